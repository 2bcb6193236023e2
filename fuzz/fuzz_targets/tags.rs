//! Every tag parser on the same arbitrary bytes: they must be total (no
//! panic, no read past the slice) and their output must stay within
//! `tags::MAX_TAGS` entries and `tags::output_budget(input length)` bytes.
#![no_main]

use coremusic::io::tags;
use coremusic::io::Tags;
use libfuzzer_sys::fuzz_target;

fn check(data_len: usize, name: &str, parse: impl FnOnce(&mut Tags)) {
    let mut t = Tags::default();
    parse(&mut t);
    assert!(t.0.len() <= tags::MAX_TAGS, "{name}: {} tags", t.0.len());
    let out: usize = t.0.iter().map(|(k, v)| k.len() + v.len()).sum();
    assert!(out <= tags::output_budget(data_len), "{name}: {out} bytes of tags from {data_len} bytes");
}

fuzz_target!(|data: &[u8]| {
    let n = data.len();
    check(n, "riff_info", |t| tags::parse_riff_info(data, t));
    check(n, "id3v2", |t| tags::parse_id3v2(data, t));
    check(n, "id3v1", |t| tags::parse_id3v1(data, t));
    check(n, "ape", |t| tags::parse_ape(data, t));
    check(n, "caf_info", |t| tags::parse_caf_info(data, t));
    check(n, "vorbis_comment", |t| tags::parse_vorbis_comment(data, t));
    // An AIFF chunk id from the data, then the four known ids.
    if let Some((id, body)) = data.split_first_chunk::<4>() {
        check(n, "aiff_text", |t| tags::parse_aiff_text(*id, body, t));
    }
    for id in [*b"NAME", *b"AUTH", *b"(c) ", *b"ANNO"] {
        check(n, "aiff_text", |t| tags::parse_aiff_text(id, data, t));
    }
});
