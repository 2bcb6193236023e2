//! Seeking: a search for the frame at or just before the target by its
//! header's sample number, with guesses interpolated between the known
//! bounds (the seek table's points, the file's ends), as libFLAC does, then
//! decoding forward from the frame found.

use super::*;

impl FlacReader {
    /// Moves to `target`, or, with a `slack`, to the first frame the search
    /// finds within `slack` samples of it. Returns where it landed.
    pub(super) fn seek_within(&mut self, target: u64, slack: u64) -> ReadResult<u64> {
        // The MD5 covers the whole stream in order: after a seek it cannot be checked.
        self.hashing = false;
        self.check = None;
        if self.block_len > 0 && target >= self.block_start && target - self.block_start < self.block_len as u64 {
            self.block_pos = (target - self.block_start) as usize;
            return Ok(target);
        }
        match self.search(target, slack, true)? {
            Some(at) => Ok(at),
            // The seek table's point did not hold the frame it named.
            None => Ok(self.search(target, slack, false)?.unwrap_or(self.next_start)),
        }
    }

    /// [`Self::seek_within`]'s search, between the seek table's points
    /// around the target when `table`. The lower point is checked only when
    /// decoding starts from it (a frame found nearer the target proves
    /// itself by its header): `None` when it is not the frame it claims.
    fn search(&mut self, target: u64, slack: u64, table: bool) -> ReadResult<Option<u64>> {
        let (mut lo_pos, mut lo_sample) = (self.first_frame, 0u64);
        let mut hi_pos = self.input.len;
        // The sample at `hi_pos`, when known: then the next guess is
        // interpolated, as libFLAC does, instead of halving.
        let mut hi_sample = self.info.frames;
        // The frame last decoded (its samples are in `ch32`, the input is
        // just after it): when the search ends on it, it is not decoded again.
        let mut last: Option<Found> = None;
        // The table's point below the target, while it is the lower bound.
        let mut unchecked = false;
        let points: &[(u64, u64)] = if table { &self.seektable } else { &[] };
        if let Some(&(s, off)) = points.iter().rev().find(|p| p.0 <= target) {
            let pos = self.audio_start.saturating_add(off);
            if pos > lo_pos {
                lo_pos = pos;
                lo_sample = s;
                unchecked = true;
            }
        }
        if let Some(&(s, off)) = points.iter().find(|p| p.0 > target) {
            let p = self.audio_start.saturating_add(off);
            if p > lo_pos && p < hi_pos {
                hi_pos = p;
                hi_sample = Some(s);
            }
        }
        // Interpolated guesses land near the target in a step or two on
        // any file whose bit rate does not swing wildly; a guess that did not
        // halve the span is followed by a plain halving, so the search never
        // takes more than about twice the bisection's steps.
        let mut halve = false;
        while hi_pos > lo_pos && hi_pos - lo_pos > BISECT_MIN {
            let span = hi_pos - lo_pos;
            let guess = match hi_sample.filter(|&h| h > lo_sample && !halve) {
                Some(h) => {
                    let bytes_per_sample = span as f64 / (h - lo_sample) as f64;
                    // Aim a block early, so the frame found starts before the target.
                    let ahead = (target - lo_sample) as f64 - self.nominal_block.max(1) as f64;
                    let at = lo_pos as f64 + ahead.max(0.0) * bytes_per_sample;
                    (at as u64).clamp(lo_pos + 1, hi_pos - 1)
                }
                None => lo_pos + span / 2,
            };
            last = self.find_frame(guess, hi_pos)?;
            match &last {
                Some(f) if f.sample <= target && f.sample >= lo_sample => {
                    lo_pos = f.pos;
                    lo_sample = f.sample;
                    unchecked = false;
                    // Close enough: decoding forward from here beats another seek.
                    if target - f.sample < (SEEK_DECODE_BLOCKS * f.block.max(1)).max(slack.saturating_add(1)) {
                        break;
                    }
                }
                Some(f) if f.sample > target => {
                    if f.sample - target <= slack {
                        let f = *f;
                        return Ok(Some(self.adopt(&f)));
                    }
                    hi_pos = guess;
                    hi_sample = Some(f.sample);
                }
                _ => hi_pos = guess,
            }
            halve = !halve && hi_pos - lo_pos > span / 2;
        }
        if unchecked {
            last = self.frame_at(lo_pos)?;
            if last.is_none_or(|f| f.sample != lo_sample) {
                return Ok(None);
            }
        }
        match last.filter(|f| f.pos == lo_pos && f.sample == lo_sample) {
            Some(f) => {
                self.adopt(&f);
            }
            None => {
                self.input.seek_to(lo_pos)?;
                self.reset_block(lo_sample);
            }
        }
        loop {
            let end = self.block_start + self.block_len as u64;
            if self.block_len > 0 && target < end {
                self.block_pos = target.saturating_sub(self.block_start) as usize;
                return Ok(Some(self.block_start + self.block_pos as u64));
            }
            if self.block_len > 0 && target.saturating_sub(self.block_start) <= slack {
                self.block_pos = 0;
                return Ok(Some(self.block_start));
            }
            if !self.next_block()? {
                self.block_pos = self.block_len;
                return Ok(Some(self.next_start));
            }
        }
    }

    /// Makes the frame just decoded (`f`) the current block, at its start;
    /// returns its first sample.
    fn adopt(&mut self, f: &Found) -> u64 {
        self.reset_block(f.sample);
        self.block_len = f.block as usize;
        self.next_start = f.sample + f.block;
        f.sample
    }

    /// Moves the input to `pos` and decodes the frame there, if it is a
    /// valid one.
    pub(super) fn frame_at(&mut self, pos: u64) -> ReadResult<Option<Found>> {
        self.input.seek_to(pos)?;
        match self.try_frame()? {
            Outcome::Frame { h, crc_ok: true } => {
                Ok(Some(Found { pos, sample: self.header_sample(&h), block: h.block_size as u64 }))
            }
            _ => Ok(None),
        }
    }

    /// The first valid frame starting in `from..limit`.
    fn find_frame(&mut self, from: u64, limit: u64) -> ReadResult<Option<Found>> {
        self.input.seek_to(from)?;
        loop {
            if !sync(&mut self.input)? {
                return Ok(None);
            }
            let pos = self.input.offset();
            if pos >= limit {
                return Ok(None);
            }
            match self.try_frame()? {
                Outcome::Frame { h, crc_ok: true } => {
                    return Ok(Some(Found { pos, sample: self.header_sample(&h), block: h.block_size as u64 }))
                }
                Outcome::Frame { .. } => {}
                Outcome::Truncated { .. } | Outcome::End => return Ok(None),
                Outcome::Bad { .. } | Outcome::Changed { .. } => {
                    self.input.seek_to(pos + 1)?;
                }
            }
        }
    }
}
