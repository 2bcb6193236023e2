//! The errors of the io room: what went wrong, where in the file, and which file.

use std::path::PathBuf;

/// Why a stream could not be read. Carries the byte offset where it is known;
/// [`FileError`] adds the path.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The operating system refused a read, open or seek.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The bytes are not any format CoreMusic knows.
    #[error("not an audio file CoreMusic recognises ({0})")]
    UnknownFormat(String),
    /// A known container holding something CoreMusic cannot decode.
    #[error("unsupported {0}")]
    Unsupported(String),
    /// The file breaks its format's rules.
    #[error("damaged file at byte {offset}: {what}")]
    Malformed {
        /// Byte offset of the problem from the start of the file.
        offset: u64,
        /// What was expected or found.
        what: String,
    },
    /// The file ends before its headers do.
    #[error("the file ends at byte {offset} inside {what}")]
    Truncated {
        /// Where the file ends.
        offset: u64,
        /// What was being read there.
        what: String,
    },
    /// A third-party decoder reported an error or panicked.
    #[error("decoder error: {0}")]
    Decoder(String),
}

impl ReadError {
    /// Shorthand for [`ReadError::Malformed`].
    pub fn malformed(offset: u64, what: impl Into<String>) -> Self {
        ReadError::Malformed { offset, what: what.into() }
    }

    /// Shorthand for [`ReadError::Truncated`].
    pub fn truncated(offset: u64, what: impl Into<String>) -> Self {
        ReadError::Truncated { offset, what: what.into() }
    }

    /// Shorthand for [`ReadError::Unsupported`].
    pub fn unsupported(what: impl Into<String>) -> Self {
        ReadError::Unsupported(what.into())
    }
}

/// A [`ReadError`] with the file it came from; prints as `path: problem`.
#[derive(Debug, thiserror::Error)]
#[error("{}: {error}", path.display())]
pub struct FileError {
    /// The file.
    pub path: PathBuf,
    /// The problem.
    #[source]
    pub error: ReadError,
}

impl FileError {
    /// Attaches a path to an error.
    pub fn new(path: impl Into<PathBuf>, error: impl Into<ReadError>) -> Self {
        FileError { path: path.into(), error: error.into() }
    }
}

/// Why a file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The operating system refused a write.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The target format cannot hold this stream (e.g. 64-bit float in FLAC).
    #[error("{0}")]
    Unsupported(String),
    /// The caller broke the writer's contract (a partial frame, a wrong channel count).
    #[error("{0}")]
    Usage(String),
    /// The encoder failed.
    #[error("encoder error: {0}")]
    Encoder(String),
}
