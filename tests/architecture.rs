//! The house rule of DESIGN.md, checked: dependencies between the rooms of
//! `src/` point one way,
//! `cli/ui → report → analysis/convert/midi/engine → io/dsp → format`,
//! and io and dsp do not know each other.
//!
//! Reads every `.rs` file under `src/`, takes each `crate::ROOM` (and
//! `coremusic::ROOM` in the binary's `cli/`) named outside comments, and
//! fails on an arrow the table below does not allow.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The rooms, and the rooms each may use.
const ALLOWED: &[(&str, &[&str])] = &[
    ("format", &[]),
    ("io", &["format"]),
    ("dsp", &["format"]),
    ("analysis", &["io", "dsp", "format"]),
    ("convert", &["analysis", "io", "dsp", "format"]),
    ("midi", &["io", "dsp", "format"]),
    ("engine", &["midi", "io", "dsp", "format"]),
    ("report", &["analysis", "convert", "midi", "engine", "io", "dsp", "format"]),
    ("ui", &["report", "analysis", "convert", "midi", "engine", "io", "dsp", "format"]),
    ("cli", &["report", "analysis", "convert", "midi", "engine", "io", "dsp", "format"]),
];

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The rooms a line of code names: `crate::io`, `coremusic::dsp`, and the
/// members of `crate::{io, dsp::x}`.
fn rooms_named(code: &str, prefix: &str, out: &mut BTreeSet<String>) {
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or("");
            for item in inner.split(',') {
                let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                out.insert(name);
            }
        } else {
            out.insert(rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
        }
    }
}

#[test]
fn dependencies_point_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    let rooms: Vec<&str> = ALLOWED.iter().map(|(r, _)| *r).collect();
    let mut wrong = Vec::new();
    let mut seen_rooms = BTreeSet::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let Some(room) = rel.components().next().and_then(|c| c.as_os_str().to_str()) else { continue };
        let Some((_, allowed)) = ALLOWED.iter().find(|(r, _)| *r == room) else {
            // lib.rs and main.rs are the front doors: they may name every room.
            assert!(rel.components().count() == 1, "{}: a room missing from ALLOWED", rel.display());
            continue;
        };
        seen_rooms.insert(room.to_string());
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let mut named = BTreeSet::new();
            rooms_named(code, "crate::", &mut named);
            if room == "cli" {
                rooms_named(code, "coremusic::", &mut named);
            }
            for used in named {
                if used == room || !rooms.contains(&used.as_str()) {
                    continue;
                }
                if !allowed.contains(&used.as_str()) {
                    wrong.push(format!("{}:{}: {room} → {used}: {}", rel.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "arrows that run the wrong way:\n{}", wrong.join("\n"));
    for (room, _) in ALLOWED {
        assert!(seen_rooms.contains(*room), "room {room} has no files: is ALLOWED out of date?");
    }
}

#[test]
fn the_rule_reads_grouped_imports() {
    let mut named = BTreeSet::new();
    rooms_named("use crate::{io::AudioFile, dsp, format::x};", "crate::", &mut named);
    assert_eq!(named, ["dsp", "format", "io"].iter().map(|s| s.to_string()).collect());
    named.clear();
    rooms_named("let a = mycrate::ui::x;", "crate::", &mut named);
    assert!(named.is_empty());
}
