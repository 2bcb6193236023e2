//! MPEG-4 audio (.m4a: AAC, ALAC): ReplayGain as iTunes freeform items in
//! `moov/udta/meta/ilst`, `----` with mean `com.apple.iTunes` and names
//! `replaygain_track_gain`, `replaygain_track_peak`, … (what foobar2000 and
//! rsgain write, and what ffmpeg, TagLib and symphonia read). Only `moov`
//! is rebuilt; when it sits before the media data and changes size, the
//! chunk offsets (`stco`/`co64`) move by the same amount, so every audio
//! byte is still found where it is. Fragmented files are refused.

use super::{is_replaygain_key, Refusal};

/// A box: its type, where it starts, where its body starts, where it ends
/// (offsets into the slice walked).
struct Span {
    kind: [u8; 4],
    start: usize,
    body: usize,
    end: usize,
}

/// The boxes of `data[from..to]`; an error when one claims more than is there.
fn spans(data: &[u8], from: usize, to: usize) -> Result<Vec<Span>, String> {
    let mut out = Vec::new();
    let mut pos = from;
    while pos < to {
        let h = data.get(pos..pos + 8).filter(|_| pos + 8 <= to).ok_or_else(|| format!("a cut box at byte {pos}"))?;
        let kind: [u8; 4] = [h[4], h[5], h[6], h[7]];
        let name = String::from_utf8_lossy(&kind).into_owned();
        let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as u64;
        let (header, size) = match size32 {
            0 => (8, (to - pos) as u64),
            1 => {
                let b = data.get(pos + 8..pos + 16).ok_or_else(|| format!("its '{name}' box is cut short"))?;
                (16, u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
            }
            s => (8, s),
        };
        let end = usize::try_from(size).ok().and_then(|s| pos.checked_add(s)).filter(|&e| e <= to && size >= header);
        let end = end.ok_or_else(|| format!("its '{name}' box at byte {pos} runs past its parent or the file"))?;
        out.push(Span { kind, start: pos, body: pos + header as usize, end });
        pos = end;
    }
    Ok(out)
}

fn boxed(kind: &[u8; 4], body: &[u8]) -> Result<Vec<u8>, String> {
    let size = u32::try_from(body.len() + 8).map_err(|_| "the 'moov' box would exceed 4 GiB".to_string())?;
    let mut v = Vec::with_capacity(body.len() + 8);
    v.extend_from_slice(&size.to_be_bytes());
    v.extend_from_slice(kind);
    v.extend_from_slice(body);
    Ok(v)
}

/// The MPEG-4 file with its ReplayGain freeform items replaced.
pub(super) fn mp4_with(bytes: &[u8], fields: &[(&str, String)]) -> Result<Vec<u8>, Refusal> {
    let top = spans(bytes, 0, bytes.len())?;
    if top.iter().any(|s| &s.kind == b"moof") {
        return Err(Refusal::Unsupported("a fragmented MPEG-4 file: ReplayGain tags are not written".into()));
    }
    let mut moovs = top.iter().filter(|s| &s.kind == b"moov");
    let moov = moovs.next().ok_or("it has no 'moov' box")?;
    if moovs.next().is_some() {
        return Err("it has two 'moov' boxes".to_string().into());
    }
    let mut new_moov = boxed(b"moov", &with_child(bytes, moov, b"udta", fields, udta_with)?)?;
    let grow = new_moov.len() as i64 - (moov.end - moov.start) as i64;
    if grow != 0 && top.iter().any(|s| &s.kind == b"mdat" && s.start > moov.start) {
        shift_chunk_offsets(&mut new_moov, moov.start as u64, grow)?;
    }
    let mut out = Vec::with_capacity(bytes.len() + new_moov.len());
    out.extend_from_slice(&bytes[..moov.start]);
    out.extend_from_slice(&new_moov);
    out.extend_from_slice(&bytes[moov.end..]);
    Ok(out)
}

type Rebuild = fn(&[u8], &[(&str, String)]) -> Result<Vec<u8>, String>;

/// The body of `parent` with its child `kind` rebuilt by `rebuild` (made
/// from nothing and added at the end when there is none).
fn with_child(
    data: &[u8],
    parent: &Span,
    kind: &[u8; 4],
    fields: &[(&str, String)],
    rebuild: Rebuild,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut found = false;
    for s in spans(data, parent.body, parent.end)? {
        if &s.kind == kind && !found {
            out.extend_from_slice(&boxed(kind, &rebuild(&data[s.body..s.end], fields)?)?);
            found = true;
        } else {
            out.extend_from_slice(&data[s.start..s.end]);
        }
    }
    if !found {
        out.extend_from_slice(&boxed(kind, &rebuild(&[], fields)?)?);
    }
    Ok(out)
}

fn udta_with(body: &[u8], fields: &[(&str, String)]) -> Result<Vec<u8>, String> {
    with_child(body, &Span { kind: *b"udta", start: 0, body: 0, end: body.len() }, b"meta", fields, meta_with)
}

/// A `meta` body: a full box in MPEG-4 files, a plain one in QuickTime's
/// (its first child, `hdlr`, then comes at once). A new one gets the
/// iTunes `mdir` handler.
fn meta_with(body: &[u8], fields: &[(&str, String)]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let kids_at = if body.is_empty() {
        out.extend_from_slice(&[0; 4]);
        let mut hdlr = vec![0u8; 8];
        hdlr.extend_from_slice(b"mdirappl");
        hdlr.extend_from_slice(&[0; 9]);
        out.extend_from_slice(&boxed(b"hdlr", &hdlr)?);
        0
    } else if body.get(4..8) == Some(b"hdlr") {
        0
    } else {
        out.extend_from_slice(body.get(..4).ok_or("its 'meta' box is cut short")?);
        4
    };
    let rest = with_child(
        body,
        &Span { kind: *b"meta", start: 0, body: kids_at, end: body.len() },
        b"ilst",
        fields,
        ilst_with,
    )?;
    out.extend_from_slice(&rest);
    Ok(out)
}

/// An `ilst` body without its ReplayGain freeform items, then the new ones.
fn ilst_with(body: &[u8], fields: &[(&str, String)]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for item in spans(body, 0, body.len())? {
        let is_gain = &item.kind == b"----"
            && spans(body, item.body, item.end)?
                .iter()
                .any(|c| &c.kind == b"name" && body.get(c.body + 4..c.end).is_some_and(is_replaygain_key));
        if !is_gain {
            out.extend_from_slice(&body[item.start..item.end]);
        }
    }
    for (key, value) in fields {
        let full = |kind: &[u8; 4], text: &[u8]| boxed(kind, &[&[0u8; 4][..], text].concat());
        let data = boxed(b"data", &[&1u32.to_be_bytes()[..], &[0; 4], value.as_bytes()].concat())?;
        let item =
            [full(b"mean", b"com.apple.iTunes")?, full(b"name", key.to_ascii_lowercase().as_bytes())?, data].concat();
        out.extend_from_slice(&boxed(b"----", &item)?);
    }
    Ok(out)
}

/// Moves every chunk offset past `after` by `grow` bytes in each track's
/// `stco`/`co64` of the `moov` box `moov` (header included).
fn shift_chunk_offsets(moov: &mut [u8], after: u64, grow: i64) -> Result<(), String> {
    let mut tables = Vec::new();
    let within = |data: &[u8], s: &Span, kind: &[u8; 4]| -> Result<Vec<Span>, String> {
        Ok(spans(data, s.body, s.end)?.into_iter().filter(|c| &c.kind == kind).collect())
    };
    let root = Span { kind: *b"moov", start: 0, body: 8, end: moov.len() };
    for trak in within(moov, &root, b"trak")? {
        for mdia in within(moov, &trak, b"mdia")? {
            for minf in within(moov, &mdia, b"minf")? {
                for stbl in within(moov, &minf, b"stbl")? {
                    tables.extend(
                        spans(moov, stbl.body, stbl.end)?.into_iter().filter(|c| matches!(&c.kind, b"stco" | b"co64")),
                    );
                }
            }
        }
    }
    for t in tables {
        let wide = &t.kind == b"co64";
        let width = if wide { 8 } else { 4 };
        let count = moov.get(t.body + 4..t.body + 8).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize);
        let count =
            count.filter(|&n| t.body + 8 + n.saturating_mul(width) <= t.end).ok_or("a cut chunk offset table")?;
        for i in 0..count {
            let at = t.body + 8 + i * width;
            let old = if wide {
                u64::from_be_bytes(moov[at..at + 8].try_into().map_err(|_| "a cut chunk offset table")?)
            } else {
                u64::from(u32::from_be_bytes(moov[at..at + 4].try_into().map_err(|_| "a cut chunk offset table")?))
            };
            if old <= after {
                continue;
            }
            let new = old.checked_add_signed(grow).ok_or("a chunk offset out of range")?;
            if wide {
                moov[at..at + 8].copy_from_slice(&new.to_be_bytes());
            } else {
                let new = u32::try_from(new).map_err(|_| "its chunk offsets would pass 4 GiB (stco)")?;
                moov[at..at + 4].copy_from_slice(&new.to_be_bytes());
            }
        }
    }
    Ok(())
}

/// The top-level boxes of `bytes`: (type, start, end) (for the tests).
#[cfg(test)]
pub(super) fn tests_spans(bytes: &[u8]) -> Vec<([u8; 4], usize, usize)> {
    spans(bytes, 0, bytes.len()).unwrap().into_iter().map(|s| (s.kind, s.start, s.end)).collect()
}

/// Moves every chunk offset of `moov` by `grow` (for the tests).
#[cfg(test)]
pub(super) fn tests_shift(moov: &mut [u8], grow: i64) {
    shift_chunk_offsets(moov, 0, grow).unwrap();
}
