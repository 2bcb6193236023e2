//! Where a reader's bytes come from: an open file, a memory map of it, or
//! bytes in memory (tests and fuzzing). Readers that can use a whole slice
//! ([`MediaSource::as_slice`]) decode straight from it with no copy.

use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

/// Bytes a reader can read and seek, knowing their length.
pub trait MediaSource: Read + Seek + Send {
    /// Total length in bytes.
    fn byte_len(&self) -> u64;
    /// All the bytes at once, when they are in memory or mapped.
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
        /// Its length at open.
        len: u64,
    },
    /// A memory-mapped file.
    Mapped(Cursor<memmap2::Mmap>),
    /// Bytes in memory.
    Memory(Cursor<Vec<u8>>),
}

/// Files at least this large are memory-mapped: for smaller ones a buffered
/// read is as fast and costs no mapping set-up.
pub const MMAP_THRESHOLD: u64 = 4 << 20;

/// Files above this size are read with buffered reads, not mapped: a
/// pre-faulted map of a multi-gigabyte file would hold all of it resident,
/// while streaming keeps memory flat whatever the size.
pub const MMAP_MAX: u64 = 512 << 20;

impl Source {
    /// Opens a file, mapping it when it is between [`MMAP_THRESHOLD`] and
    /// [`MMAP_MAX`] bytes and mapping works.
    pub fn open(path: &Path) -> io::Result<Source> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "is a folder, not a file"));
        }
        let len = meta.len();
        if (MMAP_THRESHOLD..=MMAP_MAX).contains(&len) {
            // SAFETY: the map is read-only. If another process truncates the file
            // while it is mapped, reads may fault; CoreMusic never writes to inputs.
            // `populate` pre-faults the pages (MAP_POPULATE on Linux): without it, page
            // faults make a mapped sequential read slower than a buffered one.
            if let Ok(map) = unsafe { memmap2::MmapOptions::new().populate().map(&file) } {
                #[cfg(unix)]
                let _ = map.advise(memmap2::Advice::Sequential);
                return Ok(Source::Mapped(Cursor::new(map)));
            }
        }
        Ok(Source::File { file: io::BufReader::with_capacity(64 << 10, file), len })
    }

    /// Opens a file with plain buffered reads, never mapping it.
    pub fn open_unmapped(path: &Path) -> io::Result<Source> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        Ok(Source::File { file: io::BufReader::with_capacity(64 << 10, file), len })
    }

    /// Wraps bytes in memory.
    pub fn memory(bytes: Vec<u8>) -> Source {
        Source::Memory(Cursor::new(bytes))
    }
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::File { file, .. } => file.read(buf),
            Source::Mapped(c) => c.read(buf),
            Source::Memory(c) => c.read(buf),
        }
    }
}

impl Seek for Source {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match self {
            Source::File { file, .. } => file.seek(pos),
            Source::Mapped(c) => c.seek(pos),
            Source::Memory(c) => c.seek(pos),
        }
    }
}

impl MediaSource for Source {
    fn byte_len(&self) -> u64 {
        match self {
            Source::File { len, .. } => *len,
            Source::Mapped(c) => c.get_ref().len() as u64,
            Source::Memory(c) => c.get_ref().len() as u64,
        }
    }

    fn as_slice(&self) -> Option<&[u8]> {
        match self {
            Source::File { .. } => None,
            Source::Mapped(c) => Some(&c.get_ref()[..]),
            Source::Memory(c) => Some(&c.get_ref()[..]),
        }
    }
}
