//! The CoreAudio backend (macOS): a HAL output AudioUnit on the chosen
//! device, f32 interleaved at the device's channel count, with the device's
//! buffer frame size set inside its allowed range.
//!
//! It reports the true output latency (device latency + safety offset +
//! buffer) and listens to the device: a processor overload counts as an xrun,
//! removal makes the worker fall back to the simulated device, a nominal rate
//! change rebuilds the stream. Property listeners only touch atomics (and a
//! short lock to find their context, on the HAL's notification thread, never
//! the IO thread). The render closure only calls the engine's callback.
//!
//! # Listener contexts: why they cannot be used after they are freed
//!
//! `AudioObjectRemovePropertyListener` stops *future* notifications, but it
//! does not wait for one already running on the HAL's notification thread —
//! and a device that disappears is exactly when a notification (`livn`) is
//! running while the stream is torn down. So the HAL is never given a
//! pointer. The listener's client data is a *key*: a number, never reused,
//! under which the context (`Arc<Watch>`) sits in a global registry
//! ([`WATCHES`]). The listener looks its key up under the registry's lock and
//! takes a clone of the `Arc` before touching anything; `Drop` removes the
//! listeners, then removes the key under the same lock. Whatever the
//! interleaving:
//! - a listener that looked up before the removal holds its own strong
//!   reference, so the context lives until that listener returns (the last
//!   reference may then be dropped on the notification thread: plain memory,
//!   no I/O);
//! - a listener that looks up after the removal finds nothing and returns;
//! - a key is never reused, so a late listener can never find another
//!   stream's context.
//!
//! No `unsafe` dereference of client data remains: the only unsafe code left
//! is the FFI calls themselves (and reading the `addresses` array the HAL
//! passes for the duration of the call).

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use coreaudio::audio_unit::audio_format::LinearPcmFlags;
use coreaudio::audio_unit::macos_helpers;
use coreaudio::audio_unit::render_callback::{self, data};
use coreaudio::audio_unit::{AudioUnit, Element, SampleFormat, Scope, StreamFormat};

use super::{
    BackendKind, CallbackFactory, DeviceError, DeviceInfo, OutputDevice, OutputStream, StreamRequest, StreamTrouble,
};
use crate::engine::callback::Shared;

const fn fourcc(s: &[u8; 4]) -> u32 {
    u32::from_be_bytes(*s)
}

const SCOPE_GLOBAL: u32 = fourcc(b"glob");
const SCOPE_OUTPUT: u32 = fourcc(b"outp");
const ELEMENT_MAIN: u32 = 0;
const BUFFER_FRAME_SIZE: u32 = fourcc(b"fsiz");
const BUFFER_FRAME_SIZE_RANGE: u32 = fourcc(b"fsz#");
const LATENCY: u32 = fourcc(b"ltnc");
const SAFETY_OFFSET: u32 = fourcc(b"saft");
const PROCESSOR_OVERLOAD: u32 = fourcc(b"over");
const DEVICE_IS_ALIVE: u32 = fourcc(b"livn");
const NOMINAL_SAMPLE_RATE: u32 = fourcc(b"nsrt");

#[repr(C)]
#[derive(Debug, Clone, Copy)]
struct PropertyAddress {
    selector: u32,
    scope: u32,
    element: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct ValueRange {
    minimum: f64,
    maximum: f64,
}

type ListenerProc = unsafe extern "C" fn(u32, u32, *const PropertyAddress, *mut c_void) -> i32;

#[link(name = "CoreAudio", kind = "framework")]
extern "C" {
    fn AudioObjectGetPropertyData(
        object: u32,
        address: *const PropertyAddress,
        qualifier_size: u32,
        qualifier: *const c_void,
        size: *mut u32,
        data: *mut c_void,
    ) -> i32;
    fn AudioObjectSetPropertyData(
        object: u32,
        address: *const PropertyAddress,
        qualifier_size: u32,
        qualifier: *const c_void,
        size: u32,
        data: *const c_void,
    ) -> i32;
    fn AudioObjectAddPropertyListener(
        object: u32,
        address: *const PropertyAddress,
        listener: ListenerProc,
        client: *mut c_void,
    ) -> i32;
    fn AudioObjectRemovePropertyListener(
        object: u32,
        address: *const PropertyAddress,
        listener: ListenerProc,
        client: *mut c_void,
    ) -> i32;
}

fn address(selector: u32, scope: u32) -> PropertyAddress {
    PropertyAddress { selector, scope, element: ELEMENT_MAIN }
}

/// Reads a plain-data property of a device.
fn get<T: Copy + Default>(device: u32, selector: u32, scope: u32) -> Option<T> {
    let addr = address(selector, scope);
    let mut value = T::default();
    let mut size = std::mem::size_of::<T>() as u32;
    // SAFETY: `value` is a plain-data buffer of `size` bytes that outlives the call.
    let status =
        unsafe { AudioObjectGetPropertyData(device, &addr, 0, ptr::null(), &mut size, (&mut value as *mut T).cast()) };
    (status == 0 && size as usize == std::mem::size_of::<T>()).then_some(value)
}

/// Writes a plain-data property of a device.
fn set<T: Copy>(device: u32, selector: u32, scope: u32, value: T) -> bool {
    let addr = address(selector, scope);
    let size = std::mem::size_of::<T>() as u32;
    // SAFETY: `value` is a plain-data value of `size` bytes that outlives the call.
    let status =
        unsafe { AudioObjectSetPropertyData(device, &addr, 0, ptr::null(), size, (&value as *const T).cast()) };
    status == 0
}

/// What the listeners share with the stream.
struct Watch {
    shared: Arc<Shared>,
    rate: AtomicU32,
    alive: AtomicU32,
}

/// Listener contexts by key (see the module docs): the HAL holds keys, never pointers.
static WATCHES: Mutex<Vec<(usize, Arc<Watch>)>> = Mutex::new(Vec::new());
/// The next key; keys are never reused.
static NEXT_KEY: AtomicUsize = AtomicUsize::new(1);

/// Registers a context; returns its key.
fn register(watch: Arc<Watch>) -> usize {
    let key = NEXT_KEY.fetch_add(1, Relaxed);
    WATCHES.lock().unwrap_or_else(PoisonError::into_inner).push((key, watch));
    key
}

/// The context registered under `key`, if it still is (a strong reference:
/// it stays alive while the caller holds it).
fn lookup(key: usize) -> Option<Arc<Watch>> {
    let list = WATCHES.lock().unwrap_or_else(PoisonError::into_inner);
    list.iter().find(|(k, _)| *k == key).map(|(_, w)| w.clone())
}

/// Forgets the context under `key` (listeners still running keep their own reference).
fn unregister(key: usize) {
    let removed = {
        let mut list = WATCHES.lock().unwrap_or_else(PoisonError::into_inner);
        list.iter().position(|(k, _)| *k == key).map(|i| list.swap_remove(i))
    };
    // Dropped outside the lock.
    drop(removed);
}

unsafe extern "C" fn listener(device: u32, count: u32, addresses: *const PropertyAddress, client: *mut c_void) -> i32 {
    if addresses.is_null() {
        return 0;
    }
    // `client` is a key, not a pointer: a stream already gone finds nothing.
    let Some(watch) = lookup(client as usize) else { return 0 };
    // SAFETY: the HAL passes `count` addresses, valid for the duration of the call.
    let addresses = unsafe { std::slice::from_raw_parts(addresses, count as usize) };
    for a in addresses {
        match a.selector {
            PROCESSOR_OVERLOAD => watch.shared.stats.add_xruns(1),
            DEVICE_IS_ALIVE => {
                let alive = get::<u32>(device, DEVICE_IS_ALIVE, SCOPE_GLOBAL).unwrap_or(0);
                watch.alive.store(alive, Relaxed);
                if alive == 0 {
                    watch.shared.device_lost.store(true, Relaxed);
                }
            }
            NOMINAL_SAMPLE_RATE => {
                if let Some(rate) = get::<f64>(device, NOMINAL_SAMPLE_RATE, SCOPE_GLOBAL) {
                    watch.rate.store(rate.round().clamp(0.0, u32::MAX as f64) as u32, Relaxed);
                }
            }
            _ => {}
        }
    }
    0
}

/// Output device names.
pub fn list() -> Vec<String> {
    let Ok(ids) = macos_helpers::get_audio_device_ids() else { return Vec::new() };
    ids.into_iter()
        .filter(|&id| macos_helpers::get_audio_device_supports_scope(id, Scope::Output).unwrap_or(false))
        .filter_map(|id| macos_helpers::get_device_name(id).ok())
        .collect()
}

/// A CoreAudio output device, by name or the system default.
pub struct CoreAudioDevice {
    name: Option<String>,
}

impl CoreAudioDevice {
    /// The device named `name`, or the default output when `None`.
    pub fn new(name: Option<&str>) -> Self {
        CoreAudioDevice { name: name.map(str::to_string) }
    }
}

struct CoreAudioStream {
    info: DeviceInfo,
    device: u32,
    watch: Arc<Watch>,
    /// The key the listeners were registered with (see the module docs).
    key: usize,
    listening: Vec<PropertyAddress>,
    unit: Option<AudioUnit>,
}

impl OutputStream for CoreAudioStream {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn poll(&mut self) -> Option<StreamTrouble> {
        let watch = &self.watch;
        if watch.alive.load(Relaxed) == 0 {
            return Some(StreamTrouble::Lost(format!("{} was disconnected", self.info.name)));
        }
        let rate = watch.rate.load(Relaxed);
        (rate != 0 && rate != self.info.sample_rate).then_some(StreamTrouble::RateChanged(rate))
    }
}

impl Drop for CoreAudioStream {
    fn drop(&mut self) {
        if let Some(unit) = &mut self.unit {
            let _ = unit.stop();
        }
        for addr in &self.listening {
            // SAFETY: the same (address, proc, client) triple that was registered.
            unsafe {
                AudioObjectRemovePropertyListener(self.device, addr, listener, self.key as *mut c_void);
            }
        }
        // No new notification starts now; one still running holds its own
        // reference to the watch (see the module docs).
        unregister(self.key);
        self.unit = None;
    }
}

impl OutputDevice for CoreAudioDevice {
    fn name(&self) -> String {
        self.name.clone().unwrap_or_else(|| "default".into())
    }

    fn open(
        &mut self,
        request: &StreamRequest,
        shared: &Arc<Shared>,
        make: &mut CallbackFactory<'_>,
    ) -> Result<Box<dyn OutputStream>, DeviceError> {
        let device = match &self.name {
            None => macos_helpers::get_default_device_id(false).ok_or(DeviceError::NoDevice)?,
            Some(n) => {
                macos_helpers::get_device_id_from_name(n, false).ok_or_else(|| DeviceError::NotFound(n.clone()))?
            }
        };
        let name = macos_helpers::get_device_name(device).unwrap_or_else(|_| self.name());
        let fail = |what: &str, e: &dyn std::fmt::Debug| DeviceError::Failed {
            device: name.clone(),
            reason: format!("{what}: {e:?}"),
        };
        if let Some(rate) = request.sample_rate {
            let current = get::<f64>(device, NOMINAL_SAMPLE_RATE, SCOPE_GLOBAL).unwrap_or(0.0);
            if (current - rate as f64).abs() > 0.5 {
                macos_helpers::set_device_sample_rate(device, rate as f64)
                    .map_err(|e| fail(&format!("cannot run at {rate} Hz"), &e))?;
            }
        }
        // Buffer size, inside the range the device allows.
        let range = get::<ValueRange>(device, BUFFER_FRAME_SIZE_RANGE, SCOPE_GLOBAL).unwrap_or_default();
        let mut frames = request.buffer_frames.max(1) as f64;
        if range.maximum >= range.minimum && range.maximum > 0.0 {
            frames = frames.clamp(range.minimum, range.maximum);
        }
        set(device, BUFFER_FRAME_SIZE, SCOPE_GLOBAL, frames as u32);
        let buffer = get::<u32>(device, BUFFER_FRAME_SIZE, SCOPE_GLOBAL).unwrap_or(frames as u32).max(1);

        let mut unit = macos_helpers::audio_unit_from_device_id_uninitialized(device, false)
            .map_err(|e| fail("cannot open the output unit", &e))?;
        let hw = unit.stream_format(Scope::Output, Element::Output).map_err(|e| fail("no device format", &e))?;
        let rate = hw.sample_rate.round().clamp(1.0, u32::MAX as f64) as u32;
        let channels = hw.channels.max(1);
        let client = StreamFormat {
            sample_rate: hw.sample_rate,
            sample_format: SampleFormat::F32,
            flags: LinearPcmFlags::IS_FLOAT | LinearPcmFlags::IS_PACKED,
            channels,
        };
        unit.set_stream_format(client, Scope::Input, Element::Output)
            .map_err(|e| fail("the device refused f32 interleaved", &e))?;

        let latency = get::<u32>(device, LATENCY, SCOPE_OUTPUT).unwrap_or(0) as u64
            + get::<u32>(device, SAFETY_OFFSET, SCOPE_OUTPUT).unwrap_or(0) as u64
            + buffer as u64;
        let info = DeviceInfo {
            name: name.clone(),
            backend: BackendKind::CoreAudio,
            sample_rate: rate,
            buffer_frames: buffer,
            channels: channels as usize,
            latency_frames: latency,
        };
        let mut host = make(&info);
        type Args = render_callback::Args<data::Interleaved<f32>>;
        unit.set_render_callback(move |args: Args| {
            host.process(args.data.buffer, Some(Instant::now()));
            Ok(())
        })
        .map_err(|e| fail("cannot set the render callback", &e))?;
        unit.initialize().map_err(|e| fail("cannot initialise the output unit", &e))?;

        let watch = Arc::new(Watch { shared: shared.clone(), rate: AtomicU32::new(rate), alive: AtomicU32::new(1) });
        let key = register(watch.clone());
        let mut stream = CoreAudioStream { info, device, watch, key, listening: Vec::new(), unit: None };
        for (selector, scope) in
            [(PROCESSOR_OVERLOAD, SCOPE_GLOBAL), (DEVICE_IS_ALIVE, SCOPE_GLOBAL), (NOMINAL_SAMPLE_RATE, SCOPE_GLOBAL)]
        {
            let addr = address(selector, scope);
            // SAFETY: plain FFI; the client data is a key, never dereferenced (see the module docs).
            let status = unsafe { AudioObjectAddPropertyListener(device, &addr, listener, key as *mut c_void) };
            if status == 0 {
                stream.listening.push(addr);
            }
        }
        unit.start().map_err(|e| fail("cannot start the output unit", &e))?;
        // The HAL's IO thread is a time-constraint (real-time) thread.
        shared.stats.set_realtime(true);
        stream.unit = Some(unit);
        Ok(Box::new(stream))
    }
}
