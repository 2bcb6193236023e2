//! iTunes `ilst`: the tag list of MPEG-4 audio (.m4a, .m4b) files, inside
//! `moov/udta/meta`. Only the writer lives here; reading `ilst` is done by the
//! MP4 reader (symphonia's, through `io::symphonia`), which maps the atoms to
//! the same keys. lofty 0.25.5 reads back what this writes, key for key
//! (`tests/tags_lofty.rs`); lofty builds tags into a finished file, while
//! this builds the box the MP4 writer puts in `moov` as it writes.

use super::keys::{native_id, TagFormat};
use crate::io::Tags;

fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(body.len() + 8);
    v.extend_from_slice(&((body.len() + 8) as u32).to_be_bytes());
    v.extend_from_slice(kind);
    v.extend_from_slice(body);
    v
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// The iTunes atom for a text tag.
fn ilst_text_atom(key: &str) -> Option<[u8; 4]> {
    native_id(TagFormat::Ilst, key).copied()
}

/// Whether the `.m4a` tags hold `key` (`track`/`disc` as numbers, their
/// totals from `track_total`/`disc_total` or an `n/total` value).
pub fn holds_tag(key: &str) -> bool {
    ilst_text_atom(key).is_some() || matches!(key, "track" | "disc" | "track_total" | "disc_total")
}

/// A `data` atom: type (1 = UTF-8, 0 = implicit), locale 0, payload.
fn data_atom(kind: u32, payload: &[u8]) -> Vec<u8> {
    boxed(b"data", &cat(&[&kind.to_be_bytes(), &0u32.to_be_bytes(), payload]))
}

/// `n` or `n/total` with their numbers (0: absent); `None` when not numbers.
fn number_pair(value: Option<&str>, total: Option<&str>) -> Option<(u16, u16)> {
    let value = value?.trim();
    let (n, t) = match value.split_once('/') {
        Some((n, t)) => (n.trim(), Some(t.trim())),
        None => (value, total.map(str::trim)),
    };
    let n: u16 = n.parse().ok()?;
    let t: u16 = t.and_then(|t| t.parse().ok()).unwrap_or(0);
    (n > 0).then_some((n, t))
}

/// A whole `ilst` box (header included) holding `tags`: text tags as UTF-8
/// `data` atoms (every value of a repeated key in one item), `track`/`disc`
/// as `trkn`/`disk` numbers; empty when no tag has an atom.
pub fn ilst_box(tags: &Tags) -> Vec<u8> {
    let mut items: Vec<u8> = Vec::new();
    let mut done: Vec<&str> = Vec::new();
    for (key, _) in &tags.0 {
        if done.contains(&key.as_str()) {
            continue;
        }
        done.push(key);
        if let Some(atom) = ilst_text_atom(key) {
            // Every value of a repeated key, as data atoms of one item.
            let values: Vec<u8> =
                tags.0.iter().filter(|(k, _)| k == key).flat_map(|(_, v)| data_atom(1, v.as_bytes())).collect();
            items.extend_from_slice(&boxed(&atom, &values));
        } else if key == "itunsmpb" {
            // Apple's gapless information, a freeform `----` item.
            if let Some(v) = tags.get(key) {
                let mean = boxed(b"mean", &cat(&[&[0; 4], b"com.apple.iTunes"]));
                let name = boxed(b"name", &cat(&[&[0; 4], b"iTunSMPB"]));
                items.extend_from_slice(&boxed(b"----", &cat(&[&mean, &name, &data_atom(1, v.as_bytes())])));
            }
        } else if key == "track" || key == "disc" {
            let total = tags.get(&format!("{key}_total"));
            if let Some((n, t)) = number_pair(tags.get(key), total) {
                let (atom, pad): (&[u8; 4], &[u8]) = if key == "track" { (b"trkn", &[0, 0]) } else { (b"disk", &[]) };
                let payload = cat(&[&[0, 0], &n.to_be_bytes(), &t.to_be_bytes(), pad]);
                items.extend_from_slice(&boxed(atom, &data_atom(0, &payload)));
            }
        }
    }
    if items.is_empty() {
        return Vec::new();
    }
    boxed(b"ilst", &items)
}
