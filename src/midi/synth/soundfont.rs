//! SoundFont 2 files for rustysynth: loading, checking the RIFF sizes and
//! a short test render, so that a damaged font is an error before playback.

use super::*;

/// A loaded SoundFont (shared, read-only).
#[derive(Clone)]
pub struct SoundFontData(pub(super) Arc<rustysynth::SoundFont>);

impl std::fmt::Debug for SoundFontData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoundFontData").field("presets", &self.0.get_presets().len()).finish()
    }
}

impl SoundFontData {
    /// Loads a .sf2 file; a damaged or unsupported file is an error naming it.
    pub fn load(path: &Path) -> Result<Self, MidiError> {
        let bytes = std::fs::read(path).map_err(|source| MidiError::Io { path: path.to_path_buf(), source })?;
        Self::from_bytes(bytes, path)
    }

    /// Loads a SoundFont from bytes in memory; `name` stands for the file in errors.
    pub fn from_bytes(bytes: Vec<u8>, name: &Path) -> Result<Self, MidiError> {
        let bad = |what: String| MidiError::SoundFont { path: name.to_path_buf(), what };
        // rustysynth allocates what a chunk states before reading it: every
        // size must fit in what holds it first.
        check_riff_sizes(&bytes).map_err(bad)?;
        // rustysynth indexes into the file's tables; keep a damaged file from taking the program down.
        let parsed = std::panic::catch_unwind(move || rustysynth::SoundFont::new(&mut std::io::Cursor::new(bytes)))
            .map_err(|_| bad("the file's tables are inconsistent".into()))?;
        let sf = parsed.map_err(|e| bad(e.to_string()))?;
        if sf.get_presets().is_empty() {
            return Err(bad("it holds no presets".into()));
        }
        let sf = Arc::new(sf);
        validate_font(&sf).map_err(bad)?;
        Ok(SoundFontData(sf))
    }
}

/// Checks that every chunk of a SoundFont's RIFF tree (`RIFF` → `LIST` →
/// sub-chunks) states a size that fits in what holds it, so that no size
/// read from the file can make the parser allocate more than the file holds.
pub(super) fn check_riff_sizes(bytes: &[u8]) -> Result<(), String> {
    pub(super) fn walk(data: &[u8], depth: u32) -> Result<(), String> {
        let mut pos = 0usize;
        while pos + 8 <= data.len() {
            let id = &data[pos..pos + 4];
            let size = u32::from_le_bytes([data[pos + 4], data[pos + 5], data[pos + 6], data[pos + 7]]) as usize;
            let body = pos + 8;
            if size > data.len() - body {
                return Err(format!(
                    "chunk '{}' states {size} bytes where {} remain (damaged or cut short)",
                    String::from_utf8_lossy(id),
                    data.len() - body
                ));
            }
            if depth < 2 && (id == b"RIFF" || id == b"LIST") && size >= 4 {
                walk(&data[body + 4..body + size], depth + 1)?;
            }
            pos = body + size + (size & 1);
        }
        Ok(())
    }
    if bytes.get(..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"sfbk") {
        return Err("not a SoundFont 2 file (no RIFF sfbk header)".into());
    }
    walk(bytes, 0)
}

/// Sample rate of the validation render.
pub(super) const VALIDATE_RATE: i32 = 22_050;
/// Frames each preset plays during validation (long enough to run through short loops).
pub(super) const VALIDATE_FRAMES: usize = 2048;

/// Plays every preset of a font once, off the audio thread, so a font that
/// rustysynth parses but cannot play (tables that point outside the sample
/// data, and the like) is refused when it loads instead of panicking on the
/// audio thread later. Each preset plays the lowest, middle and highest key
/// of each of its regions at once, for [`VALIDATE_FRAMES`] frames.
pub(super) fn validate_font(sf: &Arc<rustysynth::SoundFont>) -> Result<(), String> {
    let settings = rustysynth::SynthesizerSettings::new(VALIDATE_RATE);
    let mut synth =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rustysynth::Synthesizer::new(sf, &settings)))
            .map_err(|_| "its instruments are inconsistent (the synth could not be built)".to_string())?
            .map_err(|e| e.to_string())?;
    let (mut l, mut r) = (vec![0.0f32; 256], vec![0.0f32; 256]);
    for preset in sf.get_presets() {
        let (bank, patch) = (preset.get_bank_number(), preset.get_patch_number());
        // Bank 128 is the percussion bank: channel 10 reaches it.
        let channel = if bank >= 128 { 9 } else { 0 };
        let mut keys: Vec<(i32, i32)> = Vec::new();
        for region in preset.get_regions() {
            for velocity in [100, 1] {
                let inside: Vec<i32> = (0..128).filter(|&k| region.contains(k, velocity)).collect();
                if let (Some(&lo), Some(&hi)) = (inside.first(), inside.last()) {
                    for k in [lo, (lo + hi) / 2, hi] {
                        if !keys.iter().any(|&(key, _)| key == k) {
                            keys.push((k, velocity));
                        }
                    }
                }
            }
        }
        let played = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            synth.reset();
            synth.process_midi_message(channel, 0xB0, 0, (bank - if channel == 9 { 128 } else { 0 }).clamp(0, 127));
            synth.process_midi_message(channel, 0xC0, patch.clamp(0, 127), 0);
            for &(k, velocity) in &keys {
                synth.note_on(channel, k, velocity);
            }
            for _ in 0..VALIDATE_FRAMES / l.len() {
                synth.render(&mut l, &mut r);
            }
            synth.note_off_all(false);
            synth.render(&mut l, &mut r);
        }));
        if played.is_err() || l.iter().chain(&r).any(|x| !x.is_finite()) {
            return Err(format!(
                "preset {bank}:{patch} (\"{}\") cannot be played: the file is damaged",
                preset.get_name()
            ));
        }
    }
    Ok(())
}

/// The smallest useful SoundFont 2: one looped 441 Hz sine sample, one
/// instrument playing it, and `presets` presets as (bank, program), each
/// pointing at that instrument. A font the synth can load and play with no
/// file at hand: the tests and the fuzz seeds build theirs with it.
pub fn sine_soundfont(presets: &[(u16, u16)]) -> Vec<u8> {
    fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = id.to_vec();
        v.extend((body.len() as u32).to_le_bytes());
        v.extend(body);
        if body.len() % 2 == 1 {
            v.push(0);
        }
        v
    }
    fn list(kind: &[u8; 4], parts: &[Vec<u8>]) -> Vec<u8> {
        let mut body = kind.to_vec();
        for p in parts {
            body.extend(p);
        }
        chunk(b"LIST", &body)
    }
    fn name20(s: &str) -> Vec<u8> {
        let mut v = s.as_bytes().to_vec();
        v.resize(20, 0);
        v
    }
    let u16le = |x: u16| x.to_le_bytes().to_vec();
    let u32le = |x: u32| x.to_le_bytes().to_vec();
    let mut smpl = Vec::new();
    for i in 0..1000 {
        let v = ((i as f64 / 100.0 * std::f64::consts::TAU).sin() * 20_000.0) as i16;
        smpl.extend(v.to_le_bytes());
    }
    smpl.extend([0u8; 92]);
    let info =
        list(b"INFO", &[chunk(b"ifil", &[2, 0, 1, 0]), chunk(b"isng", b"EMU8000\0"), chunk(b"INAM", b"Tiny\0\0")]);
    let sdta = list(b"sdta", &[chunk(b"smpl", &smpl)]);
    let phdr = |name: &str, program: u16, bank: u16, bag: u16| {
        [name20(name), u16le(program), u16le(bank), u16le(bag), u32le(0), u32le(0), u32le(0)].concat()
    };
    let inst = |name: &str, bag: u16| [name20(name), u16le(bag)].concat();
    let gen = |op: u16, amount: u16| [u16le(op), u16le(amount)].concat();
    let shdr = |name: &str, start: u32, end: u32, ls: u32, le: u32, kind: u16| {
        [
            name20(name),
            u32le(start),
            u32le(end),
            u32le(ls),
            u32le(le),
            u32le(44_100),
            vec![69, 0],
            u16le(0),
            u16le(kind),
        ]
        .concat()
    };
    // Every preset has one bag with one generator (instrument 0); pbag has a terminal entry.
    let n = presets.len() as u16;
    let mut phdrs: Vec<u8> =
        presets.iter().enumerate().flat_map(|(k, &(bank, prog))| phdr("Sine", prog, bank, k as u16)).collect();
    phdrs.extend(phdr("EOP", 0, 0, n));
    let pbag: Vec<u8> = (0..=n).flat_map(|k| [u16le(k), u16le(0)].concat()).collect();
    let mut pgen: Vec<u8> = (0..n).flat_map(|_| gen(41, 0)).collect();
    pgen.extend(gen(0, 0));
    let pdta = list(
        b"pdta",
        &[
            chunk(b"phdr", &phdrs),
            chunk(b"pbag", &pbag),
            chunk(b"pmod", &[0u8; 10]),
            chunk(b"pgen", &pgen),
            chunk(b"inst", &[inst("SineInst", 0), inst("EOI", 1)].concat()),
            chunk(b"ibag", &[u16le(0), u16le(0), u16le(2), u16le(0)].concat()),
            chunk(b"imod", &[0u8; 10]),
            chunk(b"igen", &[gen(54, 1), gen(53, 0), gen(0, 0)].concat()),
            chunk(b"shdr", &[shdr("Sine", 0, 1000, 100, 900, 1), shdr("EOS", 0, 0, 0, 0, 0)].concat()),
        ],
    );
    let mut body = b"sfbk".to_vec();
    body.extend(info);
    body.extend(sdta);
    body.extend(pdta);
    chunk(b"RIFF", &body)
}
