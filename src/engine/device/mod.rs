//! Sound devices behind one trait: [`OutputDevice`] opens an
//! [`OutputStream`] that calls the engine's render callback once per period.
//!
//! Three backends: the simulated device ([`sim`], everywhere, real-time or
//! virtual clock), cpal (not on macOS) and CoreAudio (macOS). Backends only
//! move audio between the callback and the hardware; they never decide what
//! plays. A backend that cannot open reports a [`DeviceError`] and the worker
//! falls back to the simulated device.

pub mod sim;

#[cfg(target_os = "macos")]
// unsafe: CoreAudio's C API (the render callback and property listeners
// receive raw context pointers whose lifetimes coreaudio.rs argues for).
#[allow(unsafe_code)]
pub mod coreaudio;
#[cfg(not(target_os = "macos"))]
pub mod cpal;

use std::sync::Arc;

use super::callback::{CallbackHost, Shared};

/// Which kind of backend runs a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// The simulated device.
    Sim,
    /// cpal (ALSA, WASAPI…).
    Cpal,
    /// CoreAudio's HAL output unit.
    CoreAudio,
}

/// What an open stream runs at.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DeviceInfo {
    /// The device's name (`sim` for the simulated device).
    pub name: String,
    /// The backend.
    pub backend: BackendKind,
    /// Stream rate in Hz.
    pub sample_rate: u32,
    /// Frames per callback.
    pub buffer_frames: u32,
    /// Output channels.
    pub channels: usize,
    /// True output latency in frames: buffer + device latency + safety offset.
    pub latency_frames: u64,
}

/// What the engine asks of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamRequest {
    /// Rate in Hz, or the device's own when `None`.
    pub sample_rate: Option<u32>,
    /// Frames per callback (the device may round it).
    pub buffer_frames: u32,
}

/// Why a device could not be opened or run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    /// No device by that name.
    #[error("no output device named '{0}'")]
    NotFound(String),
    /// No default output device.
    #[error("no sound output device")]
    NoDevice,
    /// The device refused the configuration or failed.
    #[error("{device}: {reason}")]
    Failed {
        /// The device.
        device: String,
        /// What it said.
        reason: String,
    },
}

/// Builds the callback for a stream once the backend knows its shape.
pub type CallbackFactory<'a> = dyn FnMut(&DeviceInfo) -> CallbackHost + 'a;

/// A sound device that can open output streams.
pub trait OutputDevice {
    /// The device's name.
    fn name(&self) -> String;
    /// Opens a running stream that calls the callback built by `make`.
    /// Dropping the stream stops it and sends the callback back to the worker.
    fn open(
        &mut self,
        request: &StreamRequest,
        shared: &Arc<Shared>,
        make: &mut CallbackFactory<'_>,
    ) -> Result<Box<dyn OutputStream>, DeviceError>;
}

/// A running stream. Dropping it stops the device.
pub trait OutputStream {
    /// What it runs at.
    fn info(&self) -> &DeviceInfo;
    /// Checks the device between callbacks (rate changes, removal); returns a
    /// problem that needs the stream rebuilt or replaced.
    fn poll(&mut self) -> Option<StreamTrouble> {
        None
    }
}

/// Something that needs the worker's attention (CoreAudio reports these; cpal
/// reports through its error callback).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
pub enum StreamTrouble {
    /// The device went away.
    Lost(String),
    /// The device now runs at another rate.
    RateChanged(u32),
}

/// Names of the output devices: `sim` first, then the backend's.
pub fn list() -> Vec<String> {
    let mut names = vec!["sim".to_string()];
    #[cfg(not(target_os = "macos"))]
    names.extend(cpal::list());
    #[cfg(target_os = "macos")]
    names.extend(coreaudio::list());
    names
}

/// The platform device named `name` (the default output when `None`).
pub fn platform(name: Option<&str>) -> Box<dyn OutputDevice> {
    #[cfg(not(target_os = "macos"))]
    return Box::new(cpal::CpalDevice::new(name));
    #[cfg(target_os = "macos")]
    return Box::new(coreaudio::CoreAudioDevice::new(name));
}
