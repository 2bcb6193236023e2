//! How long the stream really is: the last whole frame found from the end
//! of the file (its sample number, then the tail decoded as playback
//! would), or a count by decoding when that cannot be trusted.

use super::*;

impl FlacReader {
    /// Decodes from the current position to the end; the frames that gives.
    pub(super) fn count_to_end(&mut self) -> ReadResult<u64> {
        while self.next_block()? {}
        Ok(self.next_start)
    }

    /// Finds the stream's real length (see the module documentation), sets
    /// `info.frames` to it and warns when STREAMINFO says otherwise. Leaves
    /// the reader at the start of the audio.
    pub(super) fn measure(&mut self, empty: bool) -> ReadResult<()> {
        let claimed = self.total_samples;
        // No frame of STREAMINFO's format: count what a decode finds (0
        // frames, or the error for frames of another format).
        let found = if empty { Some(self.count_from(self.audio_start, 0)?) } else { self.find_length()? };
        self.measured = found;
        self.input.seek_to(self.audio_start)?;
        self.reset_block(0);
        self.total_checked = false;
        self.hashing = self.md5_want.is_some();
        let rate = self.info.format.sample_rate;
        let span = |frames: u64| Span { frames, rate };
        match found {
            Some(n) => {
                self.info.frames = Some(n);
                if claimed > n {
                    self.warn(Warning::StreamInfoCutShort { claimed: span(claimed), present: span(n) });
                } else if claimed != 0 && claimed < n {
                    self.warn(Warning::StreamInfoShort { claimed: span(claimed), present: span(n) });
                }
            }
            None if claimed != 0 => {
                self.info.frames = Some(claimed);
                self.warn(Warning::LengthUnchecked { claimed: span(claimed) });
            }
            None => {
                self.info.frames = None;
                if self.has_streaminfo {
                    self.warn(Warning::MissingTotal);
                }
            }
        }
        Ok(())
    }

    /// The frames a decode from the start would give, found from the end of
    /// the file: the last whole frame with good CRCs gives its sample number,
    /// and the bytes after it are decoded as playback would decode them.
    /// `None` when no such frame is found near the end or the frame numbers
    /// cannot be right for the bytes before them.
    pub(super) fn find_length(&mut self) -> ReadResult<Option<u64>> {
        let len = self.input.len;
        let floor = self.first_frame.max(len.saturating_sub(TAIL_SCAN));
        let max_block = if self.variable { MAX_BLOCK as u64 } else { self.nominal_block.max(1) };
        // Each read covers the positions searched plus 32 bytes for the header at the last one.
        let look = 32u64;
        let mut chunk = vec![0u8; (64usize << 10).min(len.saturating_sub(floor) as usize + 2 * look as usize)];
        let mut end = len;
        let mut tries = 0;
        let mut last: Option<Found> = None;
        'scan: while end > floor {
            let start = end.saturating_sub(chunk.len() as u64 - look).max(floor);
            let n = self.input.read_at(start, &mut chunk)?;
            let mut k = ((end - start) as usize).min(n);
            while let Some(j) = chunk[..k].iter().rposition(|&b| b == 0xFF) {
                k = j;
                if chunk.get(j + 1).is_none_or(|b| b & 0xFE != 0xF8) {
                    continue;
                }
                match parse_header(&chunk[j..n]) {
                    Ok(h)
                        if h.channels as usize == self.channels
                            && h.bps.is_none_or(|b| b == self.bps)
                            && h.variable == self.variable =>
                    {
                        tries += 1;
                        if let Some(f) = self.frame_at(start + j as u64)? {
                            last = Some(f);
                            break 'scan;
                        }
                        if tries >= TAIL_TRIES {
                            break 'scan;
                        }
                    }
                    _ => {}
                }
            }
            end = start;
        }
        let from = match last {
            Some(f) => {
                // Each frame before this one takes some bytes: a sample number
                // the bytes before it cannot hold is a lie or damage.
                let room = f.pos.saturating_sub(self.first_frame) / MIN_FRAME_BYTES + 1;
                if f.sample > room.saturating_mul(max_block) {
                    None
                } else {
                    Some((f.pos, f.sample))
                }
            }
            None => None,
        };
        let from = match from {
            Some(f) => f,
            // Nothing usable near the end, but the whole stream is near the end:
            // count by decoding it, as cheap as the search was.
            None if len.saturating_sub(self.audio_start) <= TAIL_SCAN => (self.audio_start, 0),
            None => return Ok(None),
        };
        self.count_from(from.0, from.1).map(Some)
    }

    /// The frames a decode from byte `pos` (sample `sample`) to the end
    /// gives, counted without hashing and without keeping its warnings.
    fn count_from(&mut self, pos: u64, sample: u64) -> ReadResult<u64> {
        let (warnings, dropped) = (std::mem::take(&mut self.warnings), self.warnings_dropped);
        self.measuring = true;
        self.input.seek_to(pos)?;
        self.reset_block(sample);
        let r = self.count_to_end();
        self.measuring = false;
        self.warnings = warnings;
        self.warnings_dropped = dropped;
        r
    }
}
