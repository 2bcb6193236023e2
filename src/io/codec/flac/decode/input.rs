//! The bytes under the decoder: a sliding window over the source, refilled
//! in chunks, with exact repositioning, and the search for the next frame
//! sync.

use super::*;

/// Where the frame bytes come from: the whole file in memory or mapped, or a
/// window over a file refilled as decoding moves on.
pub(super) struct Input {
    pub(super) src: Source,
    pub(super) mapped: bool,
    pub(super) len: u64,
    /// Mapped: the current offset.
    pub(super) pos: u64,
    /// Not mapped: the window.
    pub(super) buf: Vec<u8>,
    pub(super) buf_start: u64,
    pub(super) lo: usize,
    pub(super) hi: usize,
    pub(super) eof: bool,
    /// Bytes the next refill asks for: small after a seek (a seek reads a
    /// frame or two, often far from the last), doubling while reading on,
    /// up to [`CHUNK`].
    pub(super) chunk: usize,
}

impl Input {
    pub(super) fn new(src: Source, start: u64) -> ReadResult<Input> {
        let len = src.byte_len();
        let mapped = src.as_slice().is_some();
        let cap = if mapped { 0 } else { (len.saturating_sub(start) as usize).clamp(64, WINDOW) };
        let mut input = Input {
            src,
            mapped,
            len,
            pos: 0,
            buf: vec![0; cap],
            // No window yet: the seek below reads at `start` (and sets `chunk`).
            buf_start: u64::MAX,
            lo: 0,
            hi: 0,
            eof: false,
            chunk: SEEK_CHUNK,
        };
        input.seek_to(start)?;
        Ok(input)
    }

    /// The bytes from the current position, their file offset, and whether
    /// they run to the end of the file.
    pub(super) fn window(&self) -> (&[u8], u64, bool) {
        if self.mapped {
            let s = self.src.as_slice().unwrap_or(&[]);
            let p = (self.pos.min(s.len() as u64)) as usize;
            (&s[p..], p as u64, true)
        } else {
            (&self.buf[self.lo..self.hi], self.buf_start + self.lo as u64, self.eof)
        }
    }

    pub(super) fn offset(&self) -> u64 {
        if self.mapped {
            self.pos
        } else {
            self.buf_start + self.lo as u64
        }
    }

    pub(super) fn advance(&mut self, n: usize) {
        if self.mapped {
            self.pos = self.pos.saturating_add(n as u64).min(self.len);
        } else {
            self.lo = self.lo.saturating_add(n).min(self.hi);
        }
    }

    /// Reads more bytes into the window. False when nothing can change (in
    /// memory, at the end, or the window is full).
    pub(super) fn fill(&mut self) -> ReadResult<bool> {
        if self.mapped || self.eof {
            return Ok(false);
        }
        if self.lo > 0 {
            self.buf.copy_within(self.lo..self.hi, 0);
            self.buf_start += self.lo as u64;
            self.hi -= self.lo;
            self.lo = 0;
        }
        let room = self.buf.len() - self.hi;
        if room == 0 {
            return Ok(false);
        }
        let end = self.hi + room.min(self.chunk);
        self.chunk = (self.chunk * 2).min(CHUNK);
        while self.hi < end {
            match self.src.read(&mut self.buf[self.hi..end]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.hi += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(true)
    }

    /// Reads bytes at `pos` into `buf` (fewer at the end), outside the
    /// window, which the next [`Input::seek_to`] refills.
    pub(super) fn read_at(&mut self, pos: u64, buf: &mut [u8]) -> ReadResult<usize> {
        if self.mapped {
            let s = self.src.as_slice().unwrap_or(&[]);
            let p = (pos.min(s.len() as u64)) as usize;
            let n = buf.len().min(s.len() - p);
            buf[..n].copy_from_slice(&s[p..p + n]);
            return Ok(n);
        }
        self.buf_start = u64::MAX;
        self.lo = 0;
        self.hi = 0;
        self.eof = false;
        read_at(&mut self.src, pos, buf)
    }

    pub(super) fn seek_to(&mut self, off: u64) -> ReadResult<()> {
        let off = off.min(self.len);
        if self.mapped {
            self.pos = off;
            return Ok(());
        }
        if off >= self.buf_start && off - self.buf_start <= self.hi as u64 && self.buf_start != u64::MAX {
            self.lo = (off - self.buf_start) as usize;
            return Ok(());
        }
        self.src.seek(SeekFrom::Start(off))?;
        self.buf_start = off;
        self.lo = 0;
        self.hi = 0;
        self.eof = false;
        self.chunk = SEEK_CHUNK;
        Ok(())
    }
}

/// Moves `input` to the next byte pair that could start a frame (0xFFF8 or
/// 0xFFF9). False when the data ends first.
pub(super) fn sync(input: &mut Input) -> ReadResult<bool> {
    loop {
        let (data, _, eof) = input.window();
        let n = data.len();
        let mut j = 0;
        let mut keep = 0;
        let mut found = None;
        while let Some(p) = data[j..].iter().position(|&b| b == 0xFF) {
            let k = j + p;
            if k + 1 >= n {
                keep = 1;
                break;
            }
            if data[k + 1] & 0xFE == 0xF8 {
                found = Some(k);
                break;
            }
            j = k + 1;
        }
        if let Some(k) = found {
            input.advance(k);
            return Ok(true);
        }
        if eof {
            input.advance(n);
            return Ok(false);
        }
        input.advance(n - keep);
        if !input.fill()? {
            let rest = input.window().0.len();
            input.advance(rest);
            return Ok(false);
        }
    }
}
