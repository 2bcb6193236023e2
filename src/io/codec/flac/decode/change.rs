//! Frames whose format differs from the stream's: a sample rate, channel
//! count or sample size in a frame header that is not the one STREAMINFO
//! (or the first frame) gives. Such a frame, met where the previous frame
//! ends and whole (its CRC-16 checks out when decoded with its own format),
//! is a real format change: legal FLAC that libFLAC and ffmpeg refuse too,
//! or a STREAMINFO that lies about every frame. CoreMusic decodes streams of
//! one format, so both end in an error naming the byte and the change, not in
//! frames skipped as damage (which made a file of 1-channel frames under a
//! 5-channel STREAMINFO "convert" to nothing). A header of another format
//! met while resynchronising past damage is treated as damage.

use super::*;

impl FlacReader {
    /// True when the header gives a rate, channel count or sample size that
    /// is not the stream's.
    pub(super) fn format_differs(&self, h: &FrameHeader) -> bool {
        h.channels as usize != self.channels
            || h.bps.is_some_and(|b| b != self.bps)
            || h.rate.is_some_and(|r| r != self.rate)
    }

    /// True when the frame at the current position (header `h`) decodes
    /// with its own format and its CRC-16 checks out. Allocates its own
    /// buffers: this runs once, on the way to an error.
    pub(super) fn really_changes(&mut self, h: &FrameHeader) -> ReadResult<bool> {
        let bps = h.bps.unwrap_or(self.bps);
        let mut scratch = vec![vec![0i64; h.block_size as usize]; h.channels as usize];
        loop {
            let (data, _, eof) = self.input.window();
            match decode_frame::<i64>(data, h, bps, &mut scratch) {
                Ok(_) => return Ok(true),
                Err(FrameError::NeedMore) if !eof => {
                    if !self.input.fill()? {
                        return Ok(false);
                    }
                }
                Err(_) => return Ok(false),
            }
        }
    }

    /// The error for a real format change at `offset`.
    pub(super) fn change_error(&self, offset: u64, h: &FrameHeader) -> ReadError {
        let mut was = Vec::new();
        let mut now = Vec::new();
        if h.rate.is_some_and(|r| r != self.rate) {
            was.push(format!("{} Hz", self.rate));
            now.push(format!("{} Hz", h.rate.unwrap_or(0)));
        }
        if h.channels as usize != self.channels {
            was.push(channels(self.channels as u32));
            now.push(channels(h.channels));
        }
        if let Some(b) = h.bps.filter(|b| *b != self.bps) {
            was.push(format!("{} bits per sample", self.bps));
            now.push(format!("{b} bits per sample"));
        }
        let (was, now) = (was.join(", "), now.join(", "));
        if self.next_start == 0 && self.has_streaminfo {
            ReadError::malformed(
                offset,
                format!(
                    "STREAMINFO says {was} but the first frame has {now} (flac -t and ffmpeg refuse this file too)"
                ),
            )
        } else {
            ReadError::unsupported(format!(
                "FLAC stream whose format changes mid-stream: the frame at byte {offset} (sample {}) has {now}, \
                 the stream began with {was}; CoreMusic decodes FLAC streams of one format only",
                self.next_start
            ))
        }
    }
}

fn channels(n: u32) -> String {
    if n == 1 {
        "1 channel".to_string()
    } else {
        format!("{n} channels")
    }
}
