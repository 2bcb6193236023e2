//! PLACEHOLDER: FLAC encoder.

use crate::io::writer::{AudioWriter, WriteSeek, WriterSpec};
use crate::io::WriteError;

/// Writer.
pub struct FlacWriter;

impl FlacWriter {
    /// Creates.
    pub fn new(_sink: Box<dyn WriteSeek>, _spec: WriterSpec) -> Result<Self, WriteError> {
        Err(WriteError::Unsupported("flac (in progress)".into()))
    }
}

impl AudioWriter for FlacWriter {
    fn write_f32(&mut self, _i: &[f32]) -> Result<(), WriteError> {
        Ok(())
    }
    fn write_i32(&mut self, _i: &[i32]) -> Result<(), WriteError> {
        Ok(())
    }
    fn finish(self: Box<Self>) -> Result<(), WriteError> {
        Ok(())
    }
}
