//! Helpers shared by the container tests.

use std::io::{Cursor, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

use crate::io::writer::{create_writer, OutputFormat, WriterSpec};
use crate::io::{AudioReader, Source};

/// A Write + Seek sink whose bytes stay readable after the writer is consumed.
#[derive(Clone, Default)]
pub struct Shared(pub Arc<Mutex<Cursor<Vec<u8>>>>);

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(b)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
impl Seek for Shared {
    fn seek(&mut self, p: SeekFrom) -> std::io::Result<u64> {
        self.0.lock().unwrap().seek(p)
    }
}

/// Writes `samples` (i32 at the spec's depth) with the writer for `spec`; returns the file bytes.
pub fn write_i32(spec: WriterSpec, samples: &[i32]) -> Vec<u8> {
    let sink = Shared::default();
    let mut w = create_writer(Box::new(sink.clone()), spec).unwrap();
    let half = samples.len() / spec.channels as usize / 2 * spec.channels as usize;
    w.write_i32(&samples[..half]).unwrap();
    w.write_i32(&samples[half..]).unwrap();
    w.finish().unwrap();
    let bytes = sink.0.lock().unwrap().get_ref().clone();
    bytes
}

/// Writes f32 samples; returns the file bytes.
pub fn write_f32(spec: WriterSpec, samples: &[f32]) -> Vec<u8> {
    let sink = Shared::default();
    let mut w = create_writer(Box::new(sink.clone()), spec).unwrap();
    w.write_f32(samples).unwrap();
    w.finish().unwrap();
    let bytes = sink.0.lock().unwrap().get_ref().clone();
    bytes
}

/// `n` pseudo-random samples from `seed` that `sample` stores exactly:
/// full-scale integers at its depth, or 24-bit values in the top bits
/// for floats (exact in f32 and f64).
pub fn scrambled(n: usize, seed: u64, sample: crate::format::SampleFormat) -> Vec<i32> {
    let bits = if sample.is_float() { 24 } else { sample.bits() };
    let shift = if sample.is_float() { 8 } else { 0 };
    (0..n)
        .map(|i| {
            let x = (i as u64 + seed).wrapping_mul(0x9E3779B97F4A7C15) >> 32;
            ((x as u32 as i32) >> (32 - bits)) << shift
        })
        .collect()
}

/// A spec.
pub fn spec(format: OutputFormat, channels: u16, sample: crate::format::SampleFormat, bits: Option<u32>) -> WriterSpec {
    WriterSpec { format, sample_rate: 44100, channels, sample, bits, expected_frames: None }
}

/// Opens bytes in memory through the probe.
pub fn open(bytes: &[u8]) -> Box<dyn AudioReader> {
    crate::io::open_source(Source::memory(bytes.to_vec())).unwrap()
}

/// Opens bytes written to a temporary file, read without mapping (the buffered path).
pub fn open_buffered(bytes: &[u8]) -> (tempfile::TempDir, Box<dyn AudioReader>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x");
    std::fs::write(&path, bytes).unwrap();
    let r = crate::io::open_source(Source::open_unmapped(&path).unwrap()).unwrap();
    (dir, r)
}

/// Reads everything as i32 in odd-sized pieces.
pub fn all_i32(r: &mut dyn AudioReader) -> Vec<i32> {
    let ch = r.info().channels();
    let mut buf = vec![0i32; 997 * ch + ch - 1];
    let mut all = Vec::new();
    loop {
        let n = r.read_i32(&mut buf).unwrap();
        if n == 0 {
            return all;
        }
        all.extend_from_slice(&buf[..n * ch]);
    }
}

/// Reads everything as f32.
pub fn all_f32(r: &mut dyn AudioReader) -> Vec<f32> {
    let ch = r.info().channels();
    let mut buf = vec![0f32; 1013 * ch];
    let mut all = Vec::new();
    loop {
        let n = r.read_f32(&mut buf).unwrap();
        if n == 0 {
            return all;
        }
        all.extend_from_slice(&buf[..n * ch]);
    }
}

/// Deterministic test samples at `bits` (right-justified), full scale included.
pub fn ramp(frames: usize, channels: usize, bits: u32) -> Vec<i32> {
    let max = ((1i64 << (bits - 1)) - 1) as f64;
    (0..frames * channels)
        .map(|i| {
            let f = i / channels;
            let c = i % channels;
            match f {
                0 => -(max as i64) as i32 - 1,
                1 => max as i32,
                _ => ((f as f64 * 0.01 * (c + 1) as f64).sin() * max * 0.9) as i32 + (f % 3) as i32,
            }
        })
        .collect()
}

/// Decodes a file with symphonia into interleaved f32.
pub fn symphonia_f32(bytes: &[u8]) -> Vec<f32> {
    use symphonia::core::codecs::audio::AudioDecoderOptions;
    use symphonia::core::formats::probe::Hint;
    use symphonia::core::formats::{FormatOptions, TrackType};
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;
    let mss = MediaSourceStream::new(Box::new(Cursor::new(bytes.to_vec())), Default::default());
    let mut format = symphonia::default::get_probe()
        .probe(&Hint::new(), mss, FormatOptions::default(), MetadataOptions::default())
        .unwrap();
    let track = format.default_track(TrackType::Audio).unwrap();
    let track_id = track.id;
    let mut dec = symphonia::default::get_codecs()
        .make_audio_decoder(track.codec_params.as_ref().unwrap().audio().unwrap(), &AudioDecoderOptions::default())
        .unwrap();
    let mut out = Vec::new();
    let mut tmp: Vec<f32> = Vec::new();
    while let Ok(Some(packet)) = format.next_packet() {
        if packet.track_id != track_id {
            continue;
        }
        let buf = dec.decode(&packet).unwrap();
        tmp.resize(buf.samples_interleaved(), 0.0);
        buf.copy_to_slice_interleaved(&mut tmp);
        out.extend_from_slice(&tmp);
    }
    out
}
