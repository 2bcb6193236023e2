use super::*;
use crate::io::{create_writer, OutputFormat, WriterSpec};

/// Writes interleaved integers of `sample`'s depth as a WAV at `rate`.
fn wav(dir: &Path, name: &str, rate: u32, channels: u16, sample: SampleFormat, audio: &[i32]) -> PathBuf {
    let path = dir.join(name);
    let spec = WriterSpec::new(OutputFormat::Wav, rate, channels, sample);
    let mut w = create_writer(Box::new(std::fs::File::create(&path).unwrap()), spec).unwrap();
    w.write_i32(audio).unwrap();
    w.finish().unwrap();
    path
}

fn music(frames: usize, channels: usize, bits: u32) -> Vec<i32> {
    let amp = ((1i64 << (bits - 1)) - 1) as f64 * 0.7;
    (0..frames * channels)
        .map(|i| {
            let t = (i / channels) as f64;
            ((t * 0.031 * (1 + i % channels) as f64).sin() * amp + (t * 0.0007).cos() * amp * 0.2) as i32
        })
        .collect()
}

fn read_all<T: ClientSampleType + Default>(r: &mut ClientReader, frames: usize) -> Vec<T> {
    let ch = r.channels();
    let mut out = Vec::new();
    let mut buf = vec![T::default(); frames * ch];
    loop {
        let n = r.read_interleaved(&mut buf).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n * ch]);
    }
}

fn read_planar<T: ClientSampleType + Default>(r: &mut ClientReader, frames: usize) -> Vec<Vec<T>> {
    let ch = r.channels();
    let mut out = vec![Vec::new(); ch];
    let mut bufs = vec![vec![T::default(); frames]; ch];
    loop {
        let mut refs: Vec<&mut [T]> = bufs.iter_mut().map(|b| &mut b[..]).collect();
        let n = r.read(&mut refs).unwrap();
        if n == 0 {
            return out;
        }
        for (o, b) in out.iter_mut().zip(&bufs) {
            o.extend_from_slice(&b[..n]);
        }
    }
}

#[test]
fn a_rate_change_gives_ceil_of_frames_times_ratio() {
    let dir = tempfile::tempdir().unwrap();
    for (from, to) in [(44100u32, 48000u32), (48000, 44100), (44100, 22050), (8000, 44100)] {
        for frames in [1usize, 147, 1000, 16385, 50_001] {
            let p = wav(dir.path(), "r.wav", from, 2, SampleFormat::S16, &music(frames, 2, 16));
            let client = ClientFormat { rate: Some(to), ..ClientFormat::default() };
            let mut r = ClientReader::open(&p, &client).unwrap();
            let want = (frames as u64 * to as u64).div_ceil(from as u64);
            assert_eq!(r.frames(), Some(want));
            assert_eq!(r.sample_rate(), to);
            let got = read_all::<f32>(&mut r, 1000);
            assert_eq!(got.len() as u64, want * 2, "{from}→{to}, {frames} frames");
        }
    }
}

#[test]
fn planar_and_interleaved_reads_are_the_same_samples() {
    let dir = tempfile::tempdir().unwrap();
    let p = wav(dir.path(), "p.wav", 44100, 3, SampleFormat::S24, &music(30_011, 3, 24));
    for sample in [ClientSample::I16, ClientSample::F32] {
        for channels in [ClientChannels::Source, ClientChannels::Count(2), ClientChannels::Map(vec![2, 0])] {
            let inter = ClientFormat { sample, rate: Some(48000), channels: channels.clone(), ..Default::default() };
            let planar = ClientFormat { interleaved: false, ..inter.clone() };
            let mut a = ClientReader::open(&p, &inter).unwrap();
            let mut b = ClientReader::open(&p, &planar).unwrap();
            let ch = a.channels();
            let (x, y) = if sample == ClientSample::I16 {
                let x: Vec<f64> = read_all::<i16>(&mut a, 777).iter().map(|&v| v as f64).collect();
                let y = read_planar::<i16>(&mut b, 1234);
                (x, y.into_iter().map(|p| p.into_iter().map(|v| v as f64).collect::<Vec<_>>()).collect::<Vec<_>>())
            } else {
                let x: Vec<f64> = read_all::<f32>(&mut a, 777).iter().map(|&v| v as f64).collect();
                let y = read_planar::<f32>(&mut b, 1234);
                (x, y.into_iter().map(|p| p.into_iter().map(|v| v as f64).collect::<Vec<_>>()).collect::<Vec<_>>())
            };
            assert_eq!(y.len(), ch);
            assert_eq!(x.len(), y[0].len() * ch);
            for (i, v) in x.iter().enumerate() {
                assert_eq!(*v, y[i % ch][i / ch], "{sample:?} {channels:?} sample {i}");
            }
        }
    }
}

#[test]
fn i16_reads_of_a_16_bit_file_are_its_samples() {
    let dir = tempfile::tempdir().unwrap();
    let audio = music(40_000, 2, 16);
    let p = wav(dir.path(), "x.wav", 44100, 2, SampleFormat::S16, &audio);
    let client = ClientFormat { sample: ClientSample::I16, ..ClientFormat::default() };
    let mut r = ClientReader::open(&p, &client).unwrap();
    assert!(r.is_exact());
    let got: Vec<i32> = read_all::<i16>(&mut r, 999).iter().map(|&v| v as i32).collect();
    assert_eq!(got, audio);
    // And widened to 24 bits in i32, still exact.
    let client = ClientFormat { sample: ClientSample::I24, interleaved: false, ..ClientFormat::default() };
    let mut r = ClientReader::open(&p, &client).unwrap();
    let planes = read_planar::<i32>(&mut r, 4096);
    assert!(planes[1].iter().zip(audio.chunks(2)).all(|(&v, f)| v == f[1] << 8));
}

#[test]
fn depth_reduction_is_dithered_unless_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    // A quarter of a 16-bit step, in 24 bits: rounds to 0 without dither.
    let audio = vec![64i32; 20_000];
    let p = wav(dir.path(), "d.wav", 48000, 1, SampleFormat::S24, &audio);
    let plain = ClientFormat { sample: ClientSample::I16, dither: false, ..ClientFormat::default() };
    let got = read_all::<i16>(&mut ClientReader::open(&p, &plain).unwrap(), 4096);
    assert!(got.iter().all(|&v| v == 0));
    let dithered = ClientFormat { dither: true, ..plain };
    let got = read_all::<i16>(&mut ClientReader::open(&p, &dithered).unwrap(), 4096);
    assert_eq!(got.len(), 20_000);
    assert!(got.iter().all(|&v| (-1..=1).contains(&v)));
    let mean = got.iter().map(|&v| v as f64).sum::<f64>() / got.len() as f64;
    assert!((mean - 0.25).abs() < 0.03, "dithered mean {mean} (the signal is 0.25 LSB)");
}

#[test]
fn a_channel_map_picks_channels_and_bad_requests_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let audio = music(5000, 2, 16);
    let p = wav(dir.path(), "m.wav", 44100, 2, SampleFormat::S16, &audio);
    // A map goes through the float path: bit-exact for 16 bits without dither.
    let swap = ClientFormat {
        sample: ClientSample::I16,
        channels: ClientChannels::Map(vec![1, 0]),
        dither: false,
        ..Default::default()
    };
    let got = read_all::<i16>(&mut ClientReader::open(&p, &swap).unwrap(), 512);
    assert!(got.chunks(2).zip(audio.chunks(2)).all(|(g, a)| g[0] as i32 == a[1] && g[1] as i32 == a[0]));
    let stereo = ClientFormat { channels: ClientChannels::Layout(ChannelLayout::default_for(2)), ..Default::default() };
    assert_eq!(ClientReader::open(&p, &stereo).unwrap().channels(), 2);

    let bad = ClientFormat { channels: ClientChannels::Map(vec![0, 5]), ..Default::default() };
    let e = ClientReader::open(&p, &bad).err().unwrap().to_string();
    assert!(e.contains("m.wav"), "{e}");
    let zero = ClientFormat { rate: Some(0), ..Default::default() };
    assert!(ClientReader::open(&p, &zero).is_err());
    let mut r = ClientReader::open(&p, &ClientFormat::default()).unwrap();
    let e = r.read_interleaved(&mut [0i16; 64]).unwrap_err().to_string();
    assert!(e.contains("m.wav") && e.contains("i16"), "{e}");
    let e = r.read::<f32>(&mut []).unwrap_err().to_string();
    assert!(e.contains("1 buffer"), "{e}");
}
