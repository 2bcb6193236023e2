//! The contract between sound makers and the audio engine.
//!
//! Anything that produces audio in real time — a file player reading a ring
//! buffer, the MIDI player driving a synth, a test tone — implements
//! [`Render`]. The engine calls [`Render::prepare`] on a normal thread whenever
//! the stream's rate, channel count or largest block size changes, then calls
//! [`Render::render`] from the audio callback. `render` must not allocate,
//! lock, block or do I/O: everything it needs is sized in `prepare`.

/// A real-time audio producer (see the module docs for the rules).
pub trait Render: Send {
    /// Sizes internal state for `sample_rate` Hz, `channels` interleaved
    /// channels and blocks of at most `max_frames` frames. Called off the audio
    /// thread; may allocate.
    fn prepare(&mut self, sample_rate: u32, channels: usize, max_frames: usize);

    /// Writes `out.len() / channels` frames of interleaved audio into `out`,
    /// replacing what was there (silence when there is nothing to play).
    /// Real-time safe: no allocation, lock, blocking call or I/O.
    fn render(&mut self, out: &mut [f32]);
}

/// Silence: the producer the engine runs when nothing is playing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silence;

impl Render for Silence {
    fn prepare(&mut self, _sample_rate: u32, _channels: usize, _max_frames: usize) {}

    fn render(&mut self, out: &mut [f32]) {
        out.fill(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_clears_the_block() {
        let mut s = Silence;
        s.prepare(48_000, 2, 64);
        let mut out = vec![1.0f32; 128];
        s.render(&mut out);
        assert!(out.iter().all(|&x| x == 0.0));
    }
}
