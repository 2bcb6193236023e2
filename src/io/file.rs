//! The convenient way to read: [`AudioFile`] opens by path, reads in chunks,
//! reads everything, seeks, and names the file in every error. It is a thin
//! layer over [`AudioReader`]; its overhead is measured in `benches/decode.rs`.

use std::path::{Path, PathBuf};

use super::{AudioReader, FileError, StreamInfo, Warning};

/// An open audio file (the guide's `AudioFile`).
pub struct AudioFile {
    path: PathBuf,
    reader: Box<dyn AudioReader>,
    warnings: Vec<Warning>,
    /// The file's size at open, which caps what a header's counts may reserve.
    size: u64,
}

impl AudioFile {
    /// Opens `path`, choosing the reader from the file's bytes.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, FileError> {
        let path = path.as_ref();
        let mut reader = super::open(path)?;
        let warnings = reader.take_warnings();
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        Ok(AudioFile { path: path.to_path_buf(), reader, warnings, size })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the stream is.
    pub fn info(&self) -> &StreamInfo {
        self.reader.info()
    }

    /// Channels per frame.
    pub fn channels(&self) -> usize {
        self.reader.info().channels()
    }

    /// The low-level reader, for decoding into your own buffers.
    pub fn reader_mut(&mut self) -> &mut dyn AudioReader {
        self.reader.as_mut()
    }

    /// Decodes the next frames into `out` (interleaved f32); 0 at the end.
    pub fn read_f32(&mut self, out: &mut [f32]) -> Result<usize, FileError> {
        let r = self.reader.read_f32(out).map_err(|e| FileError::new(&self.path, e));
        self.collect_warnings();
        r
    }

    /// Decodes the next frames into `out` (interleaved, native integer depth); 0 at the end.
    pub fn read_i32(&mut self, out: &mut [i32]) -> Result<usize, FileError> {
        let r = self.reader.read_i32(out).map_err(|e| FileError::new(&self.path, e));
        self.collect_warnings();
        r
    }

    /// Moves to `frame`; returns where it landed.
    pub fn seek(&mut self, frame: u64) -> Result<u64, FileError> {
        self.reader.seek(frame).map_err(|e| FileError::new(&self.path, e))
    }

    /// Chunks of up to `frames` frames each, as interleaved f32.
    pub fn chunks(&mut self, frames: usize) -> Chunks<'_> {
        let len = frames.max(1) * self.channels().max(1);
        Chunks { file: self, buf: vec![0.0; len], failed: false }
    }

    /// Calls `f` with each decoded chunk, reusing one buffer (no allocation per chunk).
    pub fn for_each_chunk(&mut self, frames: usize, mut f: impl FnMut(&[f32])) -> Result<u64, FileError> {
        let ch = self.channels().max(1);
        let mut buf = vec![0.0f32; frames.max(1) * ch];
        let mut total = 0u64;
        loop {
            let n = self.read_f32(&mut buf)?;
            if n == 0 {
                return Ok(total);
            }
            total += n as u64;
            f(&buf[..n * ch]);
        }
    }

    /// Samples worth reserving before decoding everything: the header's
    /// count, but never more than the file's bytes could hold as PCM of at
    /// least 8 bits (compressed files grow the vector as they decode), so a
    /// lying header cannot make a small file reserve gigabytes.
    fn reserve_hint(&self) -> usize {
        let ch = self.channels().max(1) as u64;
        let claimed = self.info().frames.unwrap_or(0).saturating_mul(ch);
        claimed.min(self.size.max(1 << 16)).min(1 << 30) as usize
    }

    /// Decodes the rest of the file into one interleaved f32 vector.
    pub fn read_all(&mut self) -> Result<Vec<f32>, FileError> {
        let mut all = Vec::with_capacity(self.reserve_hint());
        self.for_each_chunk(16384, |c| all.extend_from_slice(c))?;
        Ok(all)
    }

    /// Decodes the rest of the file as native-depth integers.
    pub fn read_all_i32(&mut self) -> Result<Vec<i32>, FileError> {
        let ch = self.channels().max(1);
        let mut buf = vec![0i32; 16384 * ch];
        let mut all = Vec::with_capacity(self.reserve_hint());
        loop {
            let n = self.read_i32(&mut buf)?;
            if n == 0 {
                return Ok(all);
            }
            all.extend_from_slice(&buf[..n * ch]);
        }
    }

    /// Whether the decoded audio matched the checksum the file carries; see
    /// [`AudioReader::verified`].
    pub fn verified(&self) -> Option<bool> {
        self.reader.verified()
    }

    /// Leaves the file's own checksum unchecked; see [`AudioReader::skip_checksum`].
    pub fn skip_checksum(&mut self) {
        self.reader.skip_checksum()
    }

    /// Problems met so far that did not stop decoding (drained).
    pub fn take_warnings(&mut self) -> Vec<Warning> {
        self.collect_warnings();
        std::mem::take(&mut self.warnings)
    }

    fn collect_warnings(&mut self) {
        let w = self.reader.take_warnings();
        if !w.is_empty() {
            self.warnings.extend(w);
        }
    }
}

/// Iterator over decoded chunks; see [`AudioFile::chunks`].
pub struct Chunks<'a> {
    file: &'a mut AudioFile,
    buf: Vec<f32>,
    failed: bool,
}

impl Iterator for Chunks<'_> {
    type Item = Result<Vec<f32>, FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let ch = self.file.channels().max(1);
        match self.file.read_f32(&mut self.buf) {
            Ok(0) => None,
            Ok(n) => Some(Ok(self.buf[..n * ch].to_vec())),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}
