//! The simulated device: the same callback contract as a sound card, on a
//! thread of its own, with nothing at the other end.
//!
//! With [`Clock::RealTime`] the thread sleeps, then spins, to each period's
//! deadline; a callback that ends after the next deadline is a real xrun.
//! With [`Clock::Virtual`] it runs exactly the callbacks a test asks for with
//! [`VirtualClock::step`], waiting before each one until the file reader has
//! nothing left to do, so results never depend on timing.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use super::{BackendKind, CallbackFactory, DeviceError, DeviceInfo, OutputDevice, OutputStream, StreamRequest};
use crate::engine::callback::{CallbackHost, Shared};

/// How the simulated device keeps time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    /// Periods follow the wall clock.
    #[default]
    RealTime,
    /// Periods run when [`VirtualClock::step`] asks.
    Virtual,
}

/// Default rate of the simulated device.
pub const SIM_RATE: u32 = 48_000;
/// Channels of the simulated device.
pub const SIM_CHANNELS: usize = 2;

pub(crate) struct StepRequest {
    pub(crate) callbacks: usize,
    pub(crate) reply: Sender<Vec<f32>>,
}

/// The simulated device.
pub struct SimDevice {
    clock: Clock,
    steps: Receiver<StepRequest>,
}

impl SimDevice {
    /// A device clocked by `clock`; virtual steps arrive on `steps`.
    pub(crate) fn new(clock: Clock, steps: Receiver<StepRequest>) -> Self {
        SimDevice { clock, steps }
    }
}

struct SimStream {
    info: DeviceInfo,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl OutputStream for SimStream {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }
}

impl Drop for SimStream {
    fn drop(&mut self) {
        self.stop.store(true, Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl OutputDevice for SimDevice {
    fn name(&self) -> String {
        "sim".into()
    }

    fn open(
        &mut self,
        request: &StreamRequest,
        shared: &Arc<Shared>,
        make: &mut CallbackFactory<'_>,
    ) -> Result<Box<dyn OutputStream>, DeviceError> {
        let rate = request.sample_rate.unwrap_or(SIM_RATE).clamp(1000, 768_000);
        let buffer = request.buffer_frames.clamp(1, 1 << 16);
        let info = DeviceInfo {
            name: "sim".into(),
            backend: BackendKind::Sim,
            sample_rate: rate,
            buffer_frames: buffer,
            channels: SIM_CHANNELS,
            latency_frames: buffer as u64,
        };
        let host = make(&info);
        let stop = Arc::new(AtomicBool::new(false));
        let (stop2, shared2, steps) = (stop.clone(), shared.clone(), self.steps.clone());
        let clock = self.clock;
        let thread = std::thread::Builder::new()
            .name("coremusic-sim-audio".into())
            .spawn(move || match clock {
                Clock::RealTime => run_realtime(host, buffer, rate, &stop2, &shared2),
                Clock::Virtual => run_virtual(host, buffer, &stop2, &shared2, &steps),
            })
            .map_err(|e| DeviceError::Failed { device: "sim".into(), reason: e.to_string() })?;
        Ok(Box::new(SimStream { info, stop, thread: Some(thread) }))
    }
}

fn run_realtime(mut host: CallbackHost, buffer: u32, rate: u32, stop: &AtomicBool, shared: &Shared) {
    let ch = host.channels();
    let mut buf = vec![0.0f32; buffer as usize * ch];
    let period = Duration::from_nanos(buffer as u64 * 1_000_000_000 / rate as u64);
    shared.stats.set_realtime(crate::engine::priority::raise_current_thread());
    let mut deadline = Instant::now() + period;
    while !stop.load(Relaxed) {
        wait_until(deadline, stop);
        let start = Instant::now();
        host.process(&mut buf, Some(start));
        let end = Instant::now();
        // The block rendered from `deadline` must be ready by the next deadline.
        deadline += period;
        if end > deadline {
            shared.stats.add_xruns(1);
            if start > deadline {
                // Woken after the deadline had passed: no callback could have made it.
                shared.stats.add_late_wakeups(1);
            }
            while deadline < end {
                deadline += period;
            }
        }
    }
}

/// Sleeps most of the way to `deadline`, then spins for precision.
fn wait_until(deadline: Instant, stop: &AtomicBool) {
    const SPIN: Duration = Duration::from_micros(300);
    loop {
        let now = Instant::now();
        if now >= deadline || stop.load(Relaxed) {
            return;
        }
        let left = deadline - now;
        if left > SPIN {
            std::thread::sleep((left - SPIN).min(Duration::from_millis(20)));
        } else {
            std::hint::spin_loop();
        }
    }
}

fn run_virtual(mut host: CallbackHost, buffer: u32, stop: &AtomicBool, shared: &Shared, steps: &Receiver<StepRequest>) {
    let ch = host.channels();
    let block = buffer as usize * ch;
    while !stop.load(Relaxed) {
        let Ok(req) = steps.recv_timeout(Duration::from_millis(5)) else { continue };
        let mut out = vec![0.0f32; req.callbacks * block];
        for part in out.chunks_mut(block.max(1)) {
            wait_for_reader(shared);
            host.process(part, None);
        }
        let _ = req.reply.send(out);
    }
}

/// Waits (at most 5 s) until the file reader has filled its ring or finished.
fn wait_for_reader(shared: &Shared) {
    let until = Instant::now() + Duration::from_secs(5);
    while shared.reader_active.load(Relaxed) && !shared.reader_idle.load(Relaxed) && Instant::now() < until {
        std::thread::sleep(Duration::from_micros(100));
    }
}

/// Drives a virtual-clock simulated device from a test or a tool.
#[derive(Clone)]
pub struct VirtualClock {
    pub(crate) steps: Sender<StepRequest>,
    pub(crate) sync: Arc<dyn Fn() -> bool + Send + Sync>,
}

impl std::fmt::Debug for VirtualClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VirtualClock")
    }
}

impl VirtualClock {
    /// Waits until the engine has handled every command sent before, then runs
    /// `callbacks` periods and returns what they rendered (interleaved, all
    /// periods in a row). Empty when no virtual-clock stream is running.
    pub fn step(&self, callbacks: usize) -> Vec<f32> {
        (self.sync)();
        let (reply, rx) = crossbeam_channel::bounded(1);
        if self.steps.send(StepRequest { callbacks, reply }).is_err() {
            return Vec::new();
        }
        rx.recv_timeout(Duration::from_secs(10)).unwrap_or_default()
    }
}
