//! `coremusic latency` and `coremusic play` as a user runs them on the
//! simulated device: the JSON fields of the CLI contract, a broken file, a
//! short file played to its end. Only field names and exit codes are checked,
//! never timings.

mod common;

use std::process::Command;

fn coremusic() -> Command {
    Command::new(env!("CARGO_BIN_EXE_coremusic"))
}

#[test]
fn latency_json_has_the_contract_fields() {
    let out = coremusic()
        .args(["latency", "--device", "sim", "--seconds", "1", "--buffer", "256", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one JSON line: {stdout}");
    let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(v["device"], "sim");
    assert_eq!(v["sample_rate"], 48_000);
    assert_eq!(v["buffer_frames"], 256);
    assert!(v["callbacks"].as_u64().unwrap() > 0);
    assert!(v["xruns"].is_u64());
    for k in ["p50", "p99", "max"] {
        assert!(v["callback_us"][k].is_number(), "callback_us.{k}");
    }
    assert!(v["load_p99"].is_number());
    assert!((v["output_latency_ms"].as_f64().unwrap() - 256.0 / 48.0).abs() < 1e-9);
}

#[test]
fn latency_sweep_json_lists_sizes_and_recommends_one() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("sweep.svg");
    let out = coremusic()
        .args(["latency", "--device", "sim", "--sweep", "--seconds", "0.2", "--json", "--report"])
        .arg(&svg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(String::from_utf8(out.stdout).unwrap().trim()).unwrap();
    let sweep = v["sweep"].as_array().unwrap();
    let sizes: Vec<u64> = sweep.iter().map(|r| r["buffer_frames"].as_u64().unwrap()).collect();
    assert_eq!(sizes, [16, 32, 64, 128, 256, 512, 1024, 2048, 4096]);
    assert!(sweep.iter().all(|r| r["load_p99"].is_number() && r["xruns"].is_u64()));
    assert!(v.get("recommended_buffer_frames").is_some());
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
}

#[test]
fn latency_report_replaces_a_file_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    // Someone's picture, and a link to someone's recording.
    let photo = dir.path().join("photo.png");
    std::fs::write(&photo, b"not a latency chart").unwrap();
    let song = common::hound_wav(dir.path(), "song.wav", 8000, 1, 100);
    let song_bytes = std::fs::read(&song).unwrap();
    let link = dir.path().join("link.svg");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&song, &link).unwrap();
    #[cfg(not(unix))]
    std::fs::copy(&song, &link).unwrap();
    let latency = |report: &std::path::Path, overwrite: bool| {
        let mut c = coremusic();
        c.args(["latency", "--device", "sim", "--seconds", "0.2", "--report"]).arg(report);
        if overwrite {
            c.arg("--overwrite");
        }
        c.output().unwrap()
    };
    for report in [&photo, &link] {
        let out = latency(report, false);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("exists") && err.contains("--overwrite"), "{err}");
    }
    assert_eq!(std::fs::read(&photo).unwrap(), b"not a latency chart");
    assert_eq!(std::fs::read(&song).unwrap(), song_bytes);
    let out = latency(&photo, true);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read(&photo).unwrap().starts_with(b"\x89PNG"));
    // Drawn beside the target and renamed into place: no part file stays.
    let svg = dir.path().join("chart.svg");
    let out = latency(&svg, false);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8(std::fs::read(&svg).unwrap()).unwrap().contains("<svg"));
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("coremusic-part"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn latency_rejects_bad_numbers() {
    for args in [["--seconds", "-1"], ["--buffer", "0"], ["--rate", "5"]] {
        let out = coremusic().args(["latency", "--device", "sim"]).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
}

#[test]
fn play_of_a_broken_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = common::file_with(dir.path(), "broken.flac", b"fLaC\x00\x00\x00\x22 not really");
    let out = coremusic().args(["play", "--device", "sim"]).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.flac"), "{err}");
    let missing = dir.path().join("missing.wav");
    let out = coremusic().args(["play", "--device", "sim"]).arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.wav"));
}

#[test]
fn play_exits_at_the_end_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let wav = common::hound_wav(dir.path(), "short.wav", 44_100, 1, 4410); // 0.1 s, resampled to 48 kHz
    let out = coremusic().args(["play", "--device", "sim", "--buffer", "256"]).arg(&wav).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}
