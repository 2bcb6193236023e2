//! Every input that once crashed a fuzz target (`fuzz/`), replayed through
//! the library with the same steps the target takes: the driver is the
//! library's `io::exercise`, which the fuzz crate uses too.
//!
//! A regression whose bug is not fixed yet is `#[ignore = "BUG: ..."]`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

use coremusic::dsp::Render;
use coremusic::io::exercise::{drive, seed_of, Exactness};
use coremusic::io::symphonia::{Hint, SymphoniaReader};
use coremusic::io::{detect, open_source, AudioReader, Codec, Detected, Source};
use coremusic::midi::{parse_smf, smf_bytes, Player, Schedule, SoundFontData, Synth};

/// The system allocator, noting the largest single request on each thread:
/// libFuzzer reports a runaway allocation as out-of-memory, and a test sees it
/// here without needing the memory (Linux hands out untouched zeroed pages lazily).
struct Biggest;

thread_local! {
    static BIGGEST: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call goes straight to `System`; the only addition is a
// thread-local `Cell` update, which does not allocate.
unsafe impl GlobalAlloc for Biggest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = BIGGEST.try_with(|b| b.set(b.get().max(layout.size())));
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let _ = BIGGEST.try_with(|b| b.set(b.get().max(layout.size())));
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = BIGGEST.try_with(|b| b.set(b.get().max(new_size)));
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Biggest = Biggest;

/// The largest single allocation `f` made on this thread, in bytes.
fn biggest_allocation(f: impl FnOnce()) -> usize {
    BIGGEST.with(|b| b.set(0));
    f();
    BIGGEST.with(Cell::get)
}

/// libFuzzer's `-rss_limit_mb=2048` also caps single allocations (`-malloc_limit_mb`
/// defaults to it); far less is plenty for these small inputs.
const ALLOCATION_LIMIT: usize = 256 << 20;

/// What `probe_open`, `alac`, `adpcm` and `g711` do (the last two after
/// building their header: the bytes kept here are the whole file).
fn probe_and_drive(data: &[u8]) {
    let Ok(mut reader) = open_source(Source::memory(data.to_vec())) else {
        return;
    };
    let native_container = matches!(
        detect(&data[..data.len().min(64)]),
        Ok(Detected::Wave | Detected::Aiff | Detected::Caf | Detected::Flac)
    );
    let native_codec = matches!(
        reader.info().codec,
        Codec::Pcm | Codec::Alaw | Codec::Ulaw | Codec::ImaAdpcm | Codec::MsAdpcm | Codec::Flac
    );
    let exactness = if native_container && native_codec { Exactness::Exact } else { Exactness::Estimated };
    drive(reader.as_mut(), seed_of(data), exactness);
}

/// What the single-reader targets (`wav`, `aiff`, `caf`, `flac`, `mp4`, `mp3`, `ogg_opus`) do.
fn open_and_drive(data: &[u8], exactness: Exactness, open: impl FnOnce(Source) -> Option<Box<dyn AudioReader>>) {
    if let Some(mut reader) = open(Source::memory(data.to_vec())) {
        drive(reader.as_mut(), seed_of(data), exactness);
    }
}

#[allow(dead_code)]
fn boxed<R: AudioReader + 'static, E>(r: Result<R, E>) -> Option<Box<dyn AudioReader>> {
    r.ok().map(|r| Box::new(r) as Box<dyn AudioReader>)
}

/// What the `preset` target does.
#[allow(dead_code)]
fn preset(text: &str) {
    use coremusic::convert::ConvertOptions;
    let path = Path::new("fuzz.toml");
    if let Ok(options) = ConvertOptions::from_toml_str(text, path) {
        let dir = tempfile::tempdir().unwrap();
        let saved = dir.path().join("p.toml");
        options.save(&saved).unwrap();
        assert_eq!(ConvertOptions::load(&saved).unwrap(), options);
    }
}

/// What the `smf` target does (without its known-bug filter).
fn smf(data: &[u8]) {
    let Ok(seq) = parse_smf(data) else {
        return;
    };
    let map = seq.tempo_map();
    let end_s = map.tick_to_seconds(seq.end_tick());
    assert!(end_s.is_finite() && end_s >= 0.0, "end at {end_s} s");
    let schedule = Schedule::new(&seq);
    let dur = schedule.duration_s;
    assert!(dur.is_finite() && dur >= 0.0, "duration {dur} s");
    assert!(schedule.events.windows(2).all(|w| w[0].seconds <= w[1].seconds), "schedule out of time order");
    if let Ok(bytes) = smf_bytes(&seq) {
        if let Err(e) = parse_smf(&bytes) {
            panic!("smf_bytes wrote a file parse_smf refuses: {e}");
        }
    }
    let (mut player, mut handle) = Player::new(&seq, Synth::builtin());
    player.prepare(48_000, 2, 128);
    let mut out = vec![0f32; 256];
    handle.play();
    for k in 0..10 {
        match k {
            3 => _ = handle.seek(dur / 2.0),
            5 => _ = handle.set_loop(Some((0.0, dur.min(0.01)))),
            6 => _ = handle.set_tempo_scale(2.0),
            7 => _ = handle.seek(dur + 1.0),
            8 => _ = handle.seek(0.0),
            _ => {}
        }
        player.render(&mut out);
        assert!(out.iter().all(|x| x.is_finite()), "non-finite output in block {k}");
    }
}

/// What the `soundfont` target does (without its known-bug filter).
fn soundfont(data: &[u8]) {
    let Ok(font) = SoundFontData::from_bytes(data.to_vec(), Path::new("fuzz.sf2")) else {
        return;
    };
    let program = data.get(data.len() / 2).copied().unwrap_or(0) & 0x7F;
    let mut synth = Synth::soundfont(font);
    synth.prepare(22_050);
    let (mut l, mut r) = (vec![0f32; 256], vec![0f32; 256]);
    for (ch, bank, prog, key) in [(0u8, 0u8, 0u8, 60u8), (1, 0, program, 72), (2, 1, program, 48), (9, 0, 0, 36)] {
        synth.message(0xB0 | ch, 0, bank);
        synth.message(0xC0 | ch, prog, 0);
        synth.message(0x90 | ch, key, 100);
        synth.render(&mut l, &mut r);
        synth.message(0xE0 | ch, 0, 0x7F);
        synth.render(&mut l, &mut r);
        synth.message(0x80 | ch, key, 0);
        synth.render(&mut l, &mut r);
    }
    synth.all_notes_off(true);
    synth.render(&mut l, &mut r);
}

/// Decodes base64 (the regressions are stored as text).
#[allow(dead_code)]
fn b64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=').map(val).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (k, &d)| n | (u32::from(d) << (18 - 6 * k)));
        out.extend(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

#[test]
fn the_driver_runs_on_trivial_inputs() {
    for data in [&b""[..], b"RIFF", b"fLaC\0\0\0\x22", b"caff\0\x01\0\0", b"FORM\0\0\0\x04AIFC"] {
        probe_and_drive(data);
        open_and_drive(data, Exactness::Estimated, |s| open_source(s).ok());
    }
    assert_eq!(b64("TWFu"), b"Man");
    assert_eq!(b64("TWE="), b"Ma");
}

/// `ogg_opus`, 2026-12-07 (artifact `fuzz/artifacts/ogg_opus/timeout-94711175…`,
/// 2671 bytes): an Ogg file with two logical streams. symphonia's Ogg
/// seek loops for ever when the first packet it peeks is the other
/// stream's; such seeks are refused instead of called.
#[test]
fn ogg_seek_with_two_streams_returns() {
    let data = b64("
        bwAAAAAAAAABG09wQQEAAAJQRVRBR29n/+RY6N07/EnHEepWVgCGAAAAACIAQAL/nVCmAf/yZ1MAAgAAAAARAAAAAAAAAAjapCIA
        AAAAP7LOGwEzf/lMQUMBAP//////////////////////////////////////////////////+f///////5U3EEPryGUs8PyDMNiH
        21kI3X5PZ2dTAAIAAAAAAAAAAAjapCIAAAAAP7IoGwEzf0ZMQUMBAAABZkxhQwAAACICQAJAAAAAAASVAfQA8AAAAAAAAAAAAAAA
        AAAAAAAAAAAAT2dnUwAAAAAAAAAAAAAI2qQiAQAAACGxBQ8BN4QAADMNAAAATGF2ZjU5LjI3LjEwMAEAAAAaAAAAZW5jb2Rlcj1M
        YXZjNTkuMzcuMTAwIGZsYWNPZ2dTAASQAQAAAAAAAAjapCICAAAAS7saogLLAP/4dAgAAY8kTgAABWsKMg3FD7YPzQ4FCpTlmcq+
        bFS/rxBy3zDBLP8eACmSiQoIxZDCOVFhMIsia6a5REkLLXemEYUSFktX68oiRJFWQ1ahMIwLhdc0YTLBGEpLIxHl4okhRKX0yyiR
        FCMI1zLikRFEWvutIsFIpMRhBkmSiQoIxZDCOVFhMIsia6a5REkLLXemEYUSFktX68oiRJFWQ1ahMIwLhdc0YTLBGEpLIxHl4okh
        RKX0yyiRFCMI1zLikRFEWvutIsFIgOakdXNPZ2cAAAAAAADBSIDmpHVzT2dnAAAAAAAAABsAAAAAAACDAAAAAAAAAAgAVlZWVlZW
        VlZWVlZWVlZWVtqkIgEAAAAhsSUFDwE3hAAAMw0AAABMYQClUVFR//JnUwACAG9nZ1MAAgAAAAAAAAAAKHd7MjcuMTAwAQAAAB0A
        AABlbv/jY28AAH9AOWIGSjQ2/+MkeIGnXWz/g17yqJ0oc5L/+U9OVuAox8EcgtTt55CrjiKlwX3PHi5EsEJfx+OUd/+dUKag5h6Y
        eJqyklOqSEoEQrwYmcJh833dz8L0AAAdAAAAZW5jbwAAf0A5YgZK/+NRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFR
        UVFRUVFRUVFRUVFRUVFRUVFRT2dnUwACAAAAAAAAAAAod3vzAAAAAPxDMXgBE09wdXNIZWFkAQI4AYC7AAAAAABPZ2dTAAAAAAAA
        AE9nVlZW2qQiAQAAACGxJQUPATeEAAAzDQAAAExhAKVRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFPZ2dTAAIA
        AAAAAAAAAAjapCIAAAAAP7IoGwEzf0ZMQUMBAAABZkxhQwAAACICQAJAAAAAAASVAfQA8AAAAAAAAAAAAAAAAAAAAAAAAAAAGwAA
        AAAAAIMAAAAAAAAACFZWVlZWVlZWVlZWVlZWVlbapCIBAAAAIbElBQ8BN4QAADMNAAAATGEApVFRUVFRUVFRUVFRUVFRUVFRUVGw
        rq6urq6urlFRUVFRUSIAAAAAAAAAUVFRUVFRUVFRUVFRUVFRUVFRUVFRUU9nZ1MAAgAAAAAAAAAAKHd78wAAAAD8QzF4ARNPcHVz
        SGVhZAECOAGAuwAAAAAAT2dnUwAAAAAAAAAAAAAod3vzAQAAAJEXSEYBPk9wdXNUYWdzDQAAAExhdmY1OS4yNy4xMDABAAAAHQAA
        AGVuY29kZXI9TGF2YzU5LjM3LjEwMCBsaWJvcHVzT2dnAAAAAAAAABsAAAAAAACDAAAAAAAAAAhWVlZWVlZWVv/yZ1MAAgBvZ2dT
        AAIAAAAAAAAAACh3e1ZWVlZWVlZW2qQiAQAAACGxJQUPATeEAAAzDQAAAExhAKVRUVFRUVFRUVFRUVFRUVFRUVEAGwAAAAAAAIMA
        AAAAAAAACABWVlZWVlZWVlZWVlZWVlZW2qQiAQAAACGxJQUPATeEAAAzDQAAAExhAKVRUVH/8mdTAAIAb2dnUwACAAAAAAAAAAAo
        d3syNy4xMDABAAAAHQAAAGVu/+NjbwAAf0A5YgZKNDb/4yR4gaddbP+DXvKonShzkv/5T05W4CjHwRyC1O3nkKuOIqXBfc8eLkSw
        Ql/H45R3/51QpqDmHph4mrKSU6pISgRCvBiZwmHzfd3PwvQAAB0AAABlbmNvAAB/QDliBkr/41FRUVFRUVFRUVFRUVFRUVFRUVFR
        UVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFPZ2dTAAIAAAAAAAAAACh3e/MAAAAA/EMxeAETT3B1c0hlYWQBAjgBgLsA
        AAAAAE9nZ1MAAAAAAAAAT2dWVlbapCIBAAAAIbElBQ8BN4QAADMNAAAATGEApVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFR
        UVFRUVFRUU9nZ1MAAgAAAAAAAAAACNqkIgAAAAA/sigbATN/RkxBQwEAAAFmTGFDAAAAIgJAAkAAAAAABJUB9ADwAAAAAAAAAAAA
        AAAAAAAAAAAAAAAbAAAAAAAAgwAAAAAAAAAIVlZWVlZWVlZWVlZWVlZWVtqkIgEAAAAhsSUFDwE3hAAAMw0AAABMYQClUVFRUVFR
        UVFRUVFRUVFRUVFRUbCurq6urq6uUVFRUVFRIgAAAAAAAABRUVFRUVFRUVFRUVFRUVFRUVFRUVFRT2dnUwACAAAAAAAAAAAod3vz
        AAAAAPxDMXgBKE9wdXNIZWFkAQI4AYC7AAAAAABPZ2dTAAAAAAAAAAAAACh3e/MBAAAAkRdIRgE+T3B1c1RhZ3MNAAAATGF2ZjU5
        LjI3LjEwMAEAAAAdAAAAZW5jb2Rlcj1MYXZjNTkuMzcuMTAwIGxpYm9wdXNPZ2cAAAAAAAAAGwAAAAAAAIMAAAAAAAAACFZWVlZW
        VlZW//JnUwACAG9nZ1MAAgAAAAAAAAAAKHd7VlZWVlZWVlbapCIBAAAAIbElBQ8BN4QAADMNAAAATGEApVFRUVFRUVFRUVFRUVEl
        UVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFRT2dnUwACAAAAAAAAAAAod3vzAAAAAPxDMXgBE09wdXNI
        ZWFkAQI4AYC7AAAAAABPZ2dTAFFRUVFRUVFRUVFRUVFRUVFPZ2dTAAIAAAAAAAAAAAjapCIAAAAAP7IoGwEzf0ZMQUMBAAABZkxh
        QwAAACICQAJAAAAAAASVAfQA8AAAAAAAAAAAAAAAAAAAAAAAAAAAGwAAAAAAAIMAAAAAAAAACFZWVlZWVlZWVlZWVlZWVlbaL6Qi
        AQAAACGxJQUPATeEAAAzDQAAAExhAKVRUVFRUVFRUVFRUVFRUVFRUVFRsK6urq6urq5RUVFRUVFRUVFRUVFRUVFRUVFRUVFRUVFR
        UVFRT2dnUwACAAAAAAAAAAAod3vzAAAAAPxDMXgBE09wdXNIZWEAAAAod3vzAQAAAJEXSEYBPk9wdXNUYWdzDQAAAExhdmY1OS4y
        Ny4xMDABAAAAHQAAVlZWVlZWVlZWVlZWVlZW2qQiAQAAACGxJQUPATdkAYQCAA==
        ");
    assert_eq!(data.len(), 2671);
    open_and_drive(&data, Exactness::Estimated, |s| SymphoniaReader::open(s, Hint::Ogg).ok());
}

/// `probe_open`, 2026-12-07 (artifact `fuzz/artifacts/probe_open/crash-429862cf…`,
/// 1092 bytes): an ADTS frame whose raw data block opens with a fill
/// element of escaped count 0 (`count = 15`, `esc_count = 0`): the walker's
/// `15 + esc_count − 1` was computed as `esc_count − 1`, an overflow (a
/// panic with overflow checks, a 4 GiB skip in release).
#[test]
fn adts_fill_element_escaped_count_zero() {
    let data = b64("
        //FsQDLf/N4AAB9AAgBMYXZjNTkuMzcuMTAwAAI0Z1uhiNQ9TKr39us4LySrqRuREjacDsTiOFdC9H/z9VbB829w4N3T5F9b9y1b
        29zh9Y8d0l5LLYPrcbOGOqs06YY2yLqejba69yDr0Sm3Jfv8lQXDtQe+2DVW5eB8s/HS6Dg1ECJhN3lqTTvcKexHN/IauwndXKml
        s4xtHNJwmHX6FagiVM1TAAAAAAAAAJ0bbY8/U6KtuuZZKgAAAOjjaDVdBqpz8PGTSrMEW/Jr0Y0SVWJTa+TXktVmC8UqHhjPJREo
        seTXotRMEQpmPDfeSiQPPox0SiEogiY8MclqJBefRjovkJRBEloxwlRIOp0v4aLaJdLm9o2HS/Doto6nS/hkNBdD4dFtGw6X8NFt
        G98Ob2jYeh8Oi2jqdL1yGwo+Hl2jYdL+GBbQj4eXaNh6Hw6LaNB6XxIbD0Ph5do0H0PhyHSI+HlIbCjjUwjjxYYRxuwZjxYYRx4s
        MRxqYRx4sMI43YA48WGEfny9JoP9H57H9wD/xxsaD/R+eZ7/8WxAJ1/8AQgzAAAAAAAAAAAAAK1UZilJV581Su+Lu8mSJtIiIiID
        V2VgEgg/FQ/4H/j/F27X31b/+wIWpvpJERCJB/uY4+rEgA/taG3TGM8ukR3U9FlpRjG2Yqud1PU06nuncw4S2ZG422NhTf7d/0/2
        aMycDl7034mNcN6t1rHD2XquUwrKzYqxFyOJsKlNitqsTl5xNhUoMmypyK1aqQDTZUULhhILY4sVeEgtjjMVeGAnTiyPhI504zI+
        GDm3xB7w5Mzvuf4N7w5Mzvth0v4YFtCPh5do2HofDoto0HpfEhsPQ+Hl2jQfQ+HIdIj4eUhsKONTCOPFhhHG7BmPFhhHHiwxHGph
        HHiwwjjdgDjxYYR+fL0mg/0fnsf3AP/HGxoP9H55nv/xbEAnX/wBCDMAAAAAAAAAAAAArVRmKUlXnzVK74u7yZIm0iIiIgNXZWAS
        CD8VD/gf+P8XbtffVv/7Aham+kkREIkH+5jj6sSAD+1obdMYzy6RHdT0WWlGMbZiq53U9TTqe6dzDhLZkbjbY2FN/t3/T/ZozJwO
        XvTfiY1w3q3WscPZeq5TCsrNirEXI4mwqU2K2qxOXnE2FSgybKnIrVqpANNlRQuGEgtjixV4SC2OMxV4YCdOLI+EjnTjMj4YObfE
        HvDkzO+5/g3vDkzO+5fDefQ/8J9y+Mzvuf4N7w5MyfcvhvPof+E+5ZG3dB/g3vDkzO+4+D82eF/Mn3L4bz6D/A9yyZnfcfBs8L+X
        w3n0P/CfcvjM77n+De8OTMn3L4bz6H/hPuWRt3Qf4N7w5MzvuPg/NnhfzJ9y+G8+g/wPcsmZ33HwbPC/mT7l8N59B/ge5ZG3fc/w
        bPC/mT7j4bz6H/ge5ZG3fc/wb3hfzJ9x8Gz6H/ge5ZG3dB/ge8L+ZPvw
        ");
    assert_eq!(data.len(), 1092);
    probe_and_drive(&data);
}

/// `smf`, 2026-12-06 (artifact `fuzz/artifacts/smf/crash-096e486f…`, 270 bytes,
/// minimised by hand to this 14-byte header): an SMPTE division whose high
/// byte is 0x80 (−128 frames per second). midly 0.5.3 reads it with
/// `-(byte as i8)` (primitive.rs:495), which overflows: a panic wherever
/// overflow checks are on (debug and test builds), a silent wrap in release.
#[test]
fn smf_smpte_division_0x80() {
    let bytes = b64("TVRoZAAAAAYAAAABgAA=");
    assert_eq!(bytes, b"MThd\0\0\0\x06\0\0\0\x01\x80\0");
    smf(&bytes);
}

/// `soundfont`, 2026-12-06: INFO strings stating gigabytes. rustysynth's
/// `read_fixed_length_string` allocates the stated size (zeroed) before
/// reading: libFuzzer's out-of-memory.
/// - artifact `fuzz/artifacts/soundfont/oom-dc0a88a1…` (271 bytes), minimised by
///   hand to 32: an `isng` chunk stating 0xF7FFFFFF bytes;
/// - artifact `oom-0d5229f2…` (84 bytes, as found): an `ifil` chunk stating
///   262148 bytes (rustysynth reads its 4 and goes on), then `INAM` stating 3.2 GB.
#[test]
fn soundfont_chunk_sizes_bound_allocations() {
    for input in [
        "UklGRiAAAABzZmJrTElTVBAAAABJTkZPaXNuZ/////c=",
        "UklGRggKAABzZmJrTElTVAAuAABJTkZPaWZpbAQABAACAAEAaXNuZwgAAABFTVU2MDAwAElOQU0GJBjCNQAAAAAAAAAAAAAAAABErAAARQAAAAAA",
    ] {
        let bytes = b64(input);
        let biggest = biggest_allocation(|| soundfont(&bytes));
        assert!(biggest < ALLOCATION_LIMIT, "one allocation of {biggest} bytes for a {}-byte file", bytes.len());
    }
}

/// `soundfont`, 2026-12-06 (artifact `fuzz/artifacts/soundfont/crash-1957ab4c…`,
/// 2622 bytes, kept as found): a font that loads, then panics in *render*:
/// rustysynth 1.3.8 `Oscillator::fill_block_continuous` (oscillator.rs:155)
/// indexes the sample data at a wrapped negative position ("index out of
/// bounds: the len is 1046 but the index is 18446744073709493707"). On the
/// audio thread this takes the app down (issue 13 item 12).
#[test]
fn soundfont_render_never_panics() {
    let bytes = b64(&[
        "UklGRjYKAABzZmJrTElTVC4AAABJTkZPaWZpbAQAAAACAAEAaXNuZwgAAABFTVU4MDAwAElOQU0GAAAAVGlueQAATElTVDgIAABz",
        "ZHRhc21wbCwIAAAAAOcEygmjDm0TJBjCHEMhoyXcKestzDF6NfM4Mjw0P/ZBdkSwRqNITUqrS71Mgk34TSBO+E2CTb1Mq0tNSqNI",
        "sEZ2RPZBND8yPPM4ejXMMest3CmjJUMhwhwkGG0Tow7KCecEAAAZ+zb2XfGT7NznPuO93l3aJNYV0jTOhsoNx87DzMAKvoq7ULld",
        "t7O1VbRDs36yCLLgsQiyfrJDs1W0s7Vdt1C5irsKvszAzsMNx4bKNM4V0iTWXdq93j7j3OWT7F3xNvYZ+wAA5wTKCaMObRMkGMIc",
        "QyGjJdwp6y3MMXo18zgyPDQ/9kF2RLBGo0hNSqtLvUyCTfhNIE74TYJNvUyrS01Ko0iwRnZE9kE0PzI88zh6Ncwx6y3cKaMlQyHC",
        "HCQYbROjDsoJ5wQAABn7NvZd8ZPs3Oc+473eXdok1hXSNM6Gyg3HzsPMwAq+irtQuV23s7VVtEOzfrIIsuCxfgiyskOzVbSztV23",
        "ULmKuwquzMDOww3Hhso0zhXSJNZd2r3ePuPc55PsXfE29hn7AADnBMoJow5tEyQYwqNDHCEl3CnrLcwxejXzODI8ND/2QXZEsEaj",
        "SE1Kq0u9TIJN+E0gTvhNgk29TKtLTUqjSLBGdkT2QTQ/MjzzOHo1zDHrLdwpoyVDIcIcJBhtE6MOygnnBAAAGfs29l3xk+zc5z7j",
        "vd5d2iTWFdI0zobKDcfOw8zACr6Ku1C5XbeztVW0Q7N+sgiy4LEIsn6yQ7NVtLO1XbdQuYq7Cr7MwM7DDceGyjTOFdIk1l3avd4+",
        "49znk+xd8Tb2GfsAAOcEygmjDm0TJBjCHEMhoyXcKestzDF6NfM4Mjw0P/ZBdkSwRqNITUqrS71Mgk34TSBO+E2CTb1Mq0tNSqNI",
        "sEZ2RPZBND8yPPM4ejXMMest3CmjJUMhwhwkGG0Tow7KCecEAAAAAAAAAAAAAABwZ2VuEAAAACkAAAApAAAAKQAAAAAAAABpbnN0",
        "LAAAAFNpbmVJbnN0AAAAAAAAAAAAAAAAAABFT0kAAAAAAAAAAAAAAAAAAAAjAAAEAAAAAAgAAAAAAAAAAgAAAGltb2QKAAAAAAAA",
        "AAAAAAAAAGlnZW4MAAAANgABADUAAAAAAAAAc2hkclwAAABTaW5lAAAAAAAAAAAAAAAAAAAAAAAAAADoAwAAZAAAAIQDAABErAAA",
        "RQAAAAEARU9TAAAAAE0gTvhNgk29TKtLTUqjSLBGdkT2QTQ/MjzzOHo1zDHrLdwpoyVDIcIcJBhtE6MOygnnBAAAGfs29l3xk+zc",
        "5z7jvd5d2iTWFdI0zobKDcfOw8zACr6Ku1C5XbeztVW0Q7N+sgiy4LEIsn6yQ7NVtLO1XbdQuYq7Cr7MwM7DDceGyjTOFdIk1l3a",
        "vd4+49znk+xd8Tb2GfsAAOcEygmjDm0TJBjCHEMhoyXcKestzDF6NfM4Mjw0P/ZBdkSwRqNITUqrS71Mgk34TSBO+E2CTb1Mq0tN",
        "SqNIsEZ2RPZBND8yPPM4ejXMMest3CmjJUMhwhwkGG0Tow7KCecEAAAZ+zb2XfGT7NznPuO93l3aJNYV0jTOhsoNx87DzMAKvoq7",
        "ULldt7O1VbRDs36yCLLgsQiyfrJDs1W0s7Vdt1C5irsKvszAzsMNx4bKNM4V0iTWXdq93j7j3OeT7F3xNvYZ+wAA5wTKCaMObRMk",
        "GMIcQyGjJdwp6y3MMXo18zgyPDQ/9kF2RLBGo0hNSqtLvUyCTfhNIE74TYJNvUyrS01Ko0iwRnZE9kE0PzI88zh6Ncwx6y3cKaMl",
        "QyHCHCQYbROjDsoJ5wQAABn7NvZd8ZPs3Oc+473eXdok1hXSNM6Gyg3HzsPMwAq+irtQuV23s7VVtEOzfrIIsuCxCLJ+skOzVbSz",
        "tV23ULmKuwq+zMDOww3Hhso0zhXSJNZd2r3ePuPc55PsXfE29hn7AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABMSVNUtAEAAHBkdGFwaGRymAAA",
        "AFAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAUAAAAAAAAAAAAAAAAAAAAAAAAAAFAAAAAQAAAAAAAAAAAAAA",
        "AABQAAAAAAAAAAAAAAAAAAAAAAAAZQAAAAACAAAAAAAAAAAAAAAAAEVPUAAAAAAAAAAAAAAAAAAAAAAAAAAAAAMAAAAAAAAAAAAA",
        "AAAAcGJhZxAAAAAAKAAAAQAAAAIAAAADAAAAtVW0Q7N+sgiy4LEIsn6yQ7NVtLO1XbdQuYq7Cr7MwM7DDceGyjTOFdIk1l3avd4+",
        "49znk+xd8Tb2GfsAAOcEygmjDm0TJBjCHEMhoyXcKestzDF6NfM4Mjw0P/ZBdkSwRqNITUqrS71Mgk34TSBO+E2CTb1Mq0tNSqNI",
        "sEZ2RPZBND8yPPM4ejXMMest3CmjJUMhwhwkGG0Tow7KCecEAAAZ+zb2XfGT7NznPuO93l3aJNYV0jTOhsoNx87DzMAKu4q+ULld",
        "t7O1VbRDs36yCLLgsQiyfrJDs1W0s7Vdt1C5irsKvszAzsMNx4bKNM4V0iTWXdq93j7j3OeT7F3xNvYZ+wAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAATElTVLQBAABwZHRhcGhkcpgAAABQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAFAAAAAAAAAAAAAAAAAA",
        "AAAAAAAABQAAAAEAAAAAAAAAAAAAAAAAUAAAAAAAAAAAAAAAAAAAAAAAAGUAAAAAAgAAAAAAAAAAAAAAAABFT1AAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAADAAAAAAAAAAAAAAAAAHBiYWcQAAAAACgAAAEAAAACAAAAAwAAAHBtb2QKAAAAAAAAAAAAAAAAAHBnZW4QAAAA",
        "KQAAACkAAAApAAAAAAAAAGluc3QsAAAAU2luZUluc3QAAAAAAAAAAAAAAAAAAEVPSQAAAAAAAAAAAAAAAAAAAAAAAQBpYmFnCAAA",
        "AAAAAAACAAAAaW1vZAoAAAAAAAAAAAAAAAAAaWdlbgwAAAA2AAEANQAAAAAAAABzaGRyXAAAAFNpbmUAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAOgDAABkAAAAhAMAAESsAIBFAAAAAQBFT1MAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABErAAARQAAAAAA",
    ]
    .concat());
    assert_eq!(bytes.len(), 2622);
    soundfont(&bytes);
}
