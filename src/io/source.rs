//! Where a reader's bytes come from: an open file read through a buffer, or
//! bytes in memory (tests and fuzzing). Readers that can use a whole slice
//! ([`MediaSource::as_slice`]) decode straight from memory with no copy.
//!
//! Files are never memory-mapped: if another program truncates a mapped file
//! while it is read, the reading process dies of SIGBUS, while a buffered read
//! just ends early (a short read that the readers report as a cut-short
//! file). The project's measurements showed a buffered read as fast as a
//! pre-faulted map (`cargo test --release --lib io::container::wav::throughput
//! -- --ignored --nocapture`), so a map bought nothing worth that risk.

use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

/// Bytes a reader can read and seek, knowing their length.
pub trait MediaSource: Read + Seek + Send {
    /// Total length in bytes.
    fn byte_len(&self) -> u64;
    /// All the bytes at once, when they are in memory.
    fn as_slice(&self) -> Option<&[u8]> {
        None
    }
}

/// The sources CoreMusic opens.
pub enum Source {
    /// A file read through the kernel with a buffer.
    File {
        /// The file.
        file: io::BufReader<File>,
        /// Its length at open. If the file shrinks later, reads end early.
        len: u64,
    },
    /// Bytes in memory.
    Memory(Cursor<Vec<u8>>),
    /// A byte range of another source seen as a whole stream (the `data`
    /// chunk of a WAVE file that holds MPEG audio).
    Window(Box<Window>),
}

/// `len` bytes of `inner` from `start`, read as a stream of their own.
pub struct Window {
    inner: Source,
    start: u64,
    len: u64,
    /// The position inside the window.
    pos: u64,
}

/// The read buffer of a file source.
const FILE_BUFFER: usize = 64 << 10;

impl Source {
    /// Opens a file for buffered reading. Folders are refused.
    pub fn open(path: &Path) -> io::Result<Source> {
        Source::open_with_buffer(path, FILE_BUFFER)
    }

    /// Opens a file read through a buffer of `buffer` bytes: a reader that
    /// seeks far between small reads (the spectrogram's scattered windows)
    /// asks for a small one, so that each read does not fetch a whole
    /// [`Source::open`] buffer (64 KiB) from the disk. Reads at least as
    /// long as the buffer go straight to the file.
    pub fn open_with_buffer(path: &Path, buffer: usize) -> io::Result<Source> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "is a folder, not a file"));
        }
        Ok(Source::File { file: io::BufReader::with_capacity(buffer.max(1), file), len: meta.len() })
    }

    /// The same as [`Source::open`] (kept for callers from when large files
    /// were memory-mapped).
    pub fn open_unmapped(path: &Path) -> io::Result<Source> {
        Source::open(path)
    }

    /// Wraps bytes in memory.
    pub fn memory(bytes: Vec<u8>) -> Source {
        Source::Memory(Cursor::new(bytes))
    }

    /// The bytes `start .. start + len` of `inner` (cut at its end) as a source of their own.
    pub fn window(mut inner: Source, start: u64, len: u64) -> io::Result<Source> {
        let start = start.min(inner.byte_len());
        let len = len.min(inner.byte_len() - start);
        inner.seek(SeekFrom::Start(start))?;
        Ok(Source::Window(Box::new(Window { inner, start, len, pos: 0 })))
    }
}

/// Reads until `buf` is full or `src` ends; the bytes read.
pub(crate) fn read_up_to<R: Read + ?Sized>(src: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match src.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::File { file, .. } => file.read(buf),
            Source::Memory(c) => c.read(buf),
            Source::Window(w) => {
                let left = usize::try_from(w.len - w.pos).unwrap_or(usize::MAX);
                let want = buf.len().min(left);
                let n = w.inner.read(&mut buf[..want])?;
                w.pos += n as u64;
                Ok(n)
            }
        }
    }
}

impl Seek for Source {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match self {
            Source::File { file, .. } => file.seek(pos),
            Source::Memory(c) => c.seek(pos),
            Source::Window(w) => {
                let to = match pos {
                    SeekFrom::Start(p) => Some(p),
                    SeekFrom::End(d) => w.len.checked_add_signed(d),
                    SeekFrom::Current(d) => w.pos.checked_add_signed(d),
                };
                let Some(to) = to else {
                    return Err(io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"));
                };
                // Past the end reads nothing, as with a file.
                let inner_to = w.start + to.min(w.len);
                w.inner.seek(SeekFrom::Start(inner_to))?;
                w.pos = to;
                Ok(to)
            }
        }
    }
}

impl MediaSource for Source {
    fn byte_len(&self) -> u64 {
        match self {
            Source::File { len, .. } => *len,
            Source::Memory(c) => c.get_ref().len() as u64,
            Source::Window(w) => w.len,
        }
    }

    fn as_slice(&self) -> Option<&[u8]> {
        match self {
            Source::File { .. } => None,
            Source::Memory(c) => Some(&c.get_ref()[..]),
            Source::Window(w) => {
                let all = w.inner.as_slice()?;
                all.get(w.start as usize..(w.start + w.len) as usize)
            }
        }
    }
}
