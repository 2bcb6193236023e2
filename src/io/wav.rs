//! PLACEHOLDER being written by a helper.

use super::writer::{AudioWriter, WriteSeek, WriterSpec};
use super::{AudioReader, ReadError, ReadResult, Source, StreamInfo, WriteError};

/// Reader.
pub struct WavReader {
    info: StreamInfo,
}

impl WavReader {
    /// Opens.
    pub fn new(_source: Source) -> ReadResult<Self> {
        Err(ReadError::unsupported("wav (in progress)"))
    }
}

impl AudioReader for WavReader {
    fn info(&self) -> &StreamInfo {
        &self.info
    }
    fn read_f32(&mut self, _out: &mut [f32]) -> ReadResult<usize> {
        Ok(0)
    }
    fn read_i32(&mut self, _out: &mut [i32]) -> ReadResult<usize> {
        Ok(0)
    }
    fn seek(&mut self, _frame: u64) -> ReadResult<u64> {
        Ok(0)
    }
}

/// Writer.
pub struct WavWriter;

impl WavWriter {
    /// Creates.
    pub fn new(_sink: Box<dyn WriteSeek>, _spec: WriterSpec) -> Result<Self, WriteError> {
        Err(WriteError::Unsupported("wav (in progress)".into()))
    }
}

impl AudioWriter for WavWriter {
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
