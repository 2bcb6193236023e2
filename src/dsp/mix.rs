//! Channel mapping: a gain matrix from input channels to output channels,
//! built from the speaker layouts (mono↔stereo, ITU-R BS.775 down-mix of
//! 5.1/7.1 to stereo) or from an explicit map, applied to interleaved frames.

use crate::format::{Channel, ChannelLayout};

const MINUS_3DB: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// Why a channel map cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MixError {
    /// An explicit map names an input channel that does not exist.
    #[error("channel map names input channel {index}, but the input has {channels} channels (counting from 0)")]
    NoSuchChannel {
        /// The index given.
        index: usize,
        /// Input channels.
        channels: usize,
    },
    /// Zero channels asked for.
    #[error("a channel count of 0 is not possible")]
    ZeroChannels,
}

/// A gain matrix `outputs × inputs` applied to interleaved frames.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelMixer {
    inputs: usize,
    outputs: usize,
    /// Row-major: `gains[o * inputs + i]`.
    gains: Vec<f32>,
}

impl ChannelMixer {
    /// The standard mapping between two layouts: identity when equal; mono to
    /// every front channel; anything to mono as the average; 5.1/7.1 (or any
    /// layout with positions) to stereo with the ITU-R BS.775 coefficients
    /// (centre and surrounds at −3 dB, LFE dropped), normalised so a full-scale
    /// input cannot clip (as ffmpeg does); other cases by matching positions,
    /// then channel order.
    pub fn between(from: &ChannelLayout, to: &ChannelLayout) -> Result<Self, MixError> {
        let (ni, no) = (from.channels.len(), to.channels.len());
        if ni == 0 || no == 0 {
            return Err(MixError::ZeroChannels);
        }
        let mut m = ChannelMixer { inputs: ni, outputs: no, gains: vec![0.0; ni * no] };
        if from == to || (ni == no && (from.mask() == 0 || to.mask() == 0)) {
            (0..ni).for_each(|c| m.set(c, c, 1.0));
            return Ok(m);
        }
        if no == 1 {
            // Average of the channels that carry programme (LFE left out).
            let carried: Vec<usize> = (0..ni).filter(|&i| from.channels[i] != Channel::Lfe).collect();
            let carried = if carried.is_empty() { (0..ni).collect() } else { carried };
            let g = 1.0 / carried.len() as f32;
            carried.into_iter().for_each(|i| m.set(0, i, g));
            return Ok(m);
        }
        if ni == 1 {
            // Mono feeds the front pair (or the centre when there is no pair), like afconvert.
            let fronts: Vec<usize> =
                (0..no).filter(|&o| matches!(to.channels[o], Channel::FrontLeft | Channel::FrontRight)).collect();
            let targets = if fronts.is_empty() { vec![0] } else { fronts };
            targets.into_iter().for_each(|o| m.set(o, 0, 1.0));
            return Ok(m);
        }
        let out_pos = |c: Channel| to.channels.iter().position(|&x| x == c);
        let (l, r) = (out_pos(Channel::FrontLeft), out_pos(Channel::FrontRight));
        for (i, &ch) in from.channels.iter().enumerate() {
            if let Some(o) = out_pos(ch) {
                m.set(o, i, 1.0);
                continue;
            }
            let (left_side, right_side) = match ch {
                Channel::FrontCenter | Channel::BackCenter | Channel::TopCenter | Channel::TopFrontCenter => {
                    (MINUS_3DB, MINUS_3DB)
                }
                Channel::BackLeft
                | Channel::SideLeft
                | Channel::FrontLeftOfCenter
                | Channel::TopFrontLeft
                | Channel::TopBackLeft => (MINUS_3DB, 0.0),
                Channel::BackRight
                | Channel::SideRight
                | Channel::FrontRightOfCenter
                | Channel::TopFrontRight
                | Channel::TopBackRight => (0.0, MINUS_3DB),
                Channel::Lfe => (0.0, 0.0),
                Channel::Discrete(_) | Channel::FrontLeft | Channel::FrontRight => {
                    // No position in common: keep channel order.
                    if i < no {
                        m.set(i, i, 1.0);
                    }
                    (0.0, 0.0)
                }
                Channel::TopBackCenter => (MINUS_3DB, MINUS_3DB),
            };
            if let (Some(l), Some(r)) = (l, r) {
                m.add(l, i, left_side);
                m.add(r, i, right_side);
            }
        }
        if no < ni {
            m.normalize();
        }
        Ok(m)
    }

    /// An explicit map: output channel `o` is input channel `map[o]`.
    pub fn from_map(inputs: usize, map: &[usize]) -> Result<Self, MixError> {
        if inputs == 0 || map.is_empty() {
            return Err(MixError::ZeroChannels);
        }
        let mut m = ChannelMixer { inputs, outputs: map.len(), gains: vec![0.0; inputs * map.len()] };
        for (o, &i) in map.iter().enumerate() {
            if i >= inputs {
                return Err(MixError::NoSuchChannel { index: i, channels: inputs });
            }
            m.set(o, i, 1.0);
        }
        Ok(m)
    }

    /// Input channels.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// Output channels.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// The gain from input `i` to output `o`.
    pub fn gain(&self, o: usize, i: usize) -> f32 {
        self.gains[o * self.inputs + i]
    }

    /// True when the matrix passes every channel through unchanged.
    pub fn is_identity(&self) -> bool {
        self.inputs == self.outputs
            && (0..self.outputs).all(|o| (0..self.inputs).all(|i| self.gain(o, i) == if o == i { 1.0 } else { 0.0 }))
    }

    fn set(&mut self, o: usize, i: usize, g: f32) {
        self.gains[o * self.inputs + i] = g;
    }

    fn add(&mut self, o: usize, i: usize, g: f32) {
        self.gains[o * self.inputs + i] += g;
    }

    /// Scales all gains so that no output row sums above 1 (no clipping).
    fn normalize(&mut self) {
        let worst = (0..self.outputs)
            .map(|o| (0..self.inputs).map(|i| self.gain(o, i).abs()).sum::<f32>())
            .fold(0.0f32, f32::max);
        if worst > 1.0 {
            self.gains.iter_mut().for_each(|g| *g /= worst);
        }
    }

    /// Mixes whole interleaved frames of `input` into `output` (cleared first);
    /// returns the frames mixed.
    pub fn process(&self, input: &[f32], output: &mut Vec<f32>) -> usize {
        let frames = input.len() / self.inputs;
        output.clear();
        output.resize(frames * self.outputs, 0.0);
        if self.is_identity() {
            output.copy_from_slice(&input[..frames * self.inputs]);
            return frames;
        }
        for (inf, outf) in input.chunks_exact(self.inputs).zip(output.chunks_exact_mut(self.outputs)) {
            for (o, out) in outf.iter_mut().enumerate() {
                let row = &self.gains[o * self.inputs..(o + 1) * self.inputs];
                *out = row.iter().zip(inf).map(|(g, x)| g * x).sum();
            }
        }
        frames
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(n: u32) -> ChannelLayout {
        ChannelLayout::default_for(n)
    }

    #[test]
    fn mono_to_stereo_duplicates_and_stereo_to_mono_averages() {
        let up = ChannelMixer::between(&layout(1), &layout(2)).unwrap();
        let mut out = Vec::new();
        up.process(&[0.5, -0.25], &mut out);
        assert_eq!(out, vec![0.5, 0.5, -0.25, -0.25]);
        let down = ChannelMixer::between(&layout(2), &layout(1)).unwrap();
        down.process(&[1.0, 0.0, 0.5, 0.5], &mut out);
        assert_eq!(out, vec![0.5, 0.5]);
    }

    #[test]
    fn itu_downmix_of_5_1_has_the_standard_matrix() {
        // L R C LFE Ls Rs → L' = L + .707 C + .707 Ls, normalised by 1 + .707 + .707.
        let m = ChannelMixer::between(&layout(6), &layout(2)).unwrap();
        let n = 1.0 + 2.0 * MINUS_3DB;
        let expect_l = [1.0, 0.0, MINUS_3DB, 0.0, MINUS_3DB, 0.0].map(|g| g / n);
        let expect_r = [0.0, 1.0, MINUS_3DB, 0.0, 0.0, MINUS_3DB].map(|g| g / n);
        for i in 0..6 {
            assert!((m.gain(0, i) - expect_l[i]).abs() < 1e-6, "L from {i}");
            assert!((m.gain(1, i) - expect_r[i]).abs() < 1e-6, "R from {i}");
        }
        // Full scale on every channel cannot clip.
        let mut out = Vec::new();
        m.process(&[1.0; 6], &mut out);
        assert!(out.iter().all(|v| v.abs() <= 1.0 + 1e-6), "{out:?}");
    }

    #[test]
    fn downmix_of_7_1_uses_sides_and_backs() {
        let m = ChannelMixer::between(&layout(8), &layout(2)).unwrap();
        // WAVE 7.1 order: FL FR FC LFE BL BR SL SR.
        assert!(m.gain(0, 4) > 0.0 && m.gain(0, 6) > 0.0 && m.gain(0, 5) == 0.0);
        assert!(m.gain(1, 5) > 0.0 && m.gain(1, 7) > 0.0 && m.gain(1, 3) == 0.0);
    }

    #[test]
    fn identity_and_explicit_maps() {
        assert!(ChannelMixer::between(&layout(6), &layout(6)).unwrap().is_identity());
        let m = ChannelMixer::from_map(4, &[3, 0]).unwrap();
        let mut out = Vec::new();
        m.process(&[1.0, 2.0, 3.0, 4.0], &mut out);
        assert_eq!(out, vec![4.0, 1.0]);
        assert_eq!(ChannelMixer::from_map(2, &[2]), Err(MixError::NoSuchChannel { index: 2, channels: 2 }));
    }
}
