//! The writer thread of a conversion: encoding and disk writes run beside
//! the decoding and resampling, a few blocks behind.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::io::{AudioWriter, WriteError};

/// Samples on their way to the writer thread.
enum Block {
    Int(Vec<i32>),
    Float(Vec<f32>),
}

/// Runs a writer on its own thread: writes are queued (a few blocks deep,
/// so memory stays bounded; emptied blocks come back to be refilled) and the
/// first error comes back on the next call. The thread stops at its own
/// first error; dropped without [`AudioWriter::finish`] (the conversion
/// failed or was cancelled), it is told to stop, drops what is queued
/// without encoding it, and is waited for, so nothing writes to the
/// temporary file once it is being removed.
pub(super) struct ThreadedWriter {
    blocks: Option<crossbeam_channel::Sender<Block>>,
    free: crossbeam_channel::Receiver<Block>,
    thread: Option<std::thread::JoinHandle<Result<(), WriteError>>>,
    stop: std::sync::Arc<AtomicBool>,
}

impl ThreadedWriter {
    pub(super) fn start(mut inner: Box<dyn AudioWriter>) -> Self {
        let (tx, rx) = crossbeam_channel::bounded::<Block>(4);
        let (give_back, free) = crossbeam_channel::bounded::<Block>(6);
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::Builder::new()
            .name("coremusic-writer".into())
            .spawn(move || {
                for block in rx {
                    if stopped.load(Ordering::Relaxed) {
                        return Err(WriteError::Encoder("stopped".into()));
                    }
                    match &block {
                        Block::Int(v) => inner.write_i32(v)?,
                        Block::Float(v) => inner.write_f32(v)?,
                    }
                    let _ = give_back.try_send(block);
                }
                if stopped.load(Ordering::Relaxed) {
                    return Err(WriteError::Encoder("stopped".into()));
                }
                inner.finish()
            })
            .ok();
        ThreadedWriter { blocks: thread.is_some().then_some(tx), free, thread, stop }
    }

    fn send(&mut self, block: Block) -> Result<(), WriteError> {
        let sent = self.blocks.as_ref().is_some_and(|tx| tx.send(block).is_ok());
        if sent {
            Ok(())
        } else {
            // The thread stopped: report why.
            self.blocks = None;
            Err(self.join().err().unwrap_or_else(|| WriteError::Encoder("the writer thread stopped".into())))
        }
    }

    fn join(&mut self) -> Result<(), WriteError> {
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(WriteError::Encoder("the writer thread panicked".into())),
            None => Err(WriteError::Encoder("the writer thread could not start".into())),
        }
    }
}

impl Drop for ThreadedWriter {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.stop.store(true, Ordering::Relaxed);
            self.blocks = None;
            let _ = self.join();
        }
    }
}

impl AudioWriter for ThreadedWriter {
    fn write_f32(&mut self, interleaved: &[f32]) -> Result<(), WriteError> {
        let mut v = match self.free.try_recv() {
            Ok(Block::Float(v)) => v,
            _ => Vec::with_capacity(interleaved.len()),
        };
        v.clear();
        v.extend_from_slice(interleaved);
        self.send(Block::Float(v))
    }

    fn write_i32(&mut self, interleaved: &[i32]) -> Result<(), WriteError> {
        let mut v = match self.free.try_recv() {
            Ok(Block::Int(v)) => v,
            _ => Vec::with_capacity(interleaved.len()),
        };
        v.clear();
        v.extend_from_slice(interleaved);
        self.send(Block::Int(v))
    }

    fn finish(mut self: Box<Self>) -> Result<(), WriteError> {
        self.blocks = None;
        self.join()
    }
}
