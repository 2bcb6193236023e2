//! The metering tap: the render callback copies every block it plays into a
//! lock-free ring (rtrb, sized once when the stream opens) and a metering
//! thread reads it and runs the level meters ([`crate::dsp::meter`]),
//! sending an [`Event::Levels`] every 100 ms of audio. The callback's side
//! is one bounded copy: when the ring is full (the metering thread is
//! behind) the block is skipped, never waited for; the callback never
//! allocates, locks or blocks here (`tests/engine_alloc.rs` plays through it).
//! The meters' state belongs to the metering thread alone: a reset
//! ([`MeterMsg::Reset`]) is a message to it, so the callback is not involved.

use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use rtrb::{Consumer, Producer, RingBuffer};

use super::Event;
use crate::dsp::meter::LevelMeter;

/// Audio the ring holds, in seconds.
const RING_S: f64 = 0.5;
/// How often the metering thread looks at the ring.
const POLL: Duration = Duration::from_millis(15);

/// What the worker tells the metering thread.
pub(crate) enum MeterMsg {
    /// A new stream's tap: meter it from now on (the last one wins).
    Tap(TapEnd),
    /// Start the meters again (integrated loudness, holds).
    Reset,
}

/// The metering thread's end of one stream's tap.
pub(crate) struct TapEnd {
    consumer: Consumer<f32>,
    channels: usize,
    sample_rate: u32,
}

/// A tap for a stream of `channels` at `sample_rate`: the callback's
/// producer and the metering thread's end.
pub(crate) fn tap(channels: usize, sample_rate: u32) -> (Producer<f32>, TapEnd) {
    let channels = channels.max(1);
    let frames = (sample_rate.max(1) as f64 * RING_S) as usize;
    let (producer, consumer) = RingBuffer::new(frames.max(4096) * channels);
    (producer, TapEnd { consumer, channels, sample_rate })
}

/// Callback side: copies `block` into the ring, or skips it when the ring
/// has no room. Real-time safe.
pub(crate) fn publish(producer: &mut Producer<f32>, block: &[f32]) {
    if let Ok(chunk) = producer.write_chunk_uninit(block.len()) {
        chunk.fill_from_iter(block.iter().copied());
    }
}

/// Starts the metering thread: it takes each new stream's [`TapEnd`] from
/// `taps` (the last one wins), resets when told, and sends readings on
/// `events`. It ends when `taps` is closed (the worker has gone).
pub(crate) fn spawn(taps: Receiver<MeterMsg>, events: Sender<Event>) {
    let run = move || {
        let mut current: Option<(TapEnd, LevelMeter)> = None;
        let mut buf: Vec<f32> = Vec::new();
        loop {
            match taps.recv_timeout(POLL) {
                Ok(MeterMsg::Tap(end)) => {
                    let meter = LevelMeter::new(end.channels, end.sample_rate);
                    current = Some((end, meter));
                }
                Ok(MeterMsg::Reset) => {
                    if let Some((_, meter)) = &mut current {
                        meter.reset();
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            let Some((end, meter)) = &mut current else { continue };
            let n = end.consumer.slots() / end.channels * end.channels;
            if n == 0 {
                continue;
            }
            let Ok(chunk) = end.consumer.read_chunk(n) else { continue };
            buf.clear();
            let (a, b) = chunk.as_slices();
            buf.extend_from_slice(a);
            buf.extend_from_slice(b);
            chunk.commit_all();
            let mut latest = None;
            meter.push(&buf, |r| latest = Some(r));
            if let Some(r) = latest {
                if events.send(Event::Levels(Box::new(r))).is_err() {
                    return;
                }
            }
        }
    };
    // Without the thread there are no meters; playback is not affected.
    let _ = std::thread::Builder::new().name("coremusic-meters".into()).spawn(run);
}
