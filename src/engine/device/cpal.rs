//! The cpal backend (every platform but macOS): opens the named or default
//! output device with f32 samples and, where the host allows, a fixed buffer
//! size. cpal's xrun errors are counted; a device that disappears makes the
//! worker fall back to the simulated device. Opening never panics: any
//! failure (no sound card, a busy device) is a [`DeviceError`].

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};

use super::{BackendKind, CallbackFactory, DeviceError, DeviceInfo, OutputDevice, OutputStream, StreamRequest};
use crate::engine::callback::Shared;

/// Output device names cpal's default host reports.
pub fn list() -> Vec<String> {
    let host = cpal::default_host();
    match host.output_devices() {
        Ok(devices) => devices.map(|d| d.to_string()).collect(),
        Err(_) => Vec::new(),
    }
}

/// A cpal output device, chosen by name or the host's default.
pub struct CpalDevice {
    name: Option<String>,
}

impl CpalDevice {
    /// The device named `name`, or the default output when `None`.
    pub fn new(name: Option<&str>) -> Self {
        CpalDevice { name: name.map(str::to_string) }
    }

    fn find(&self) -> Result<cpal::Device, DeviceError> {
        let host = cpal::default_host();
        match &self.name {
            None => host.default_output_device().ok_or(DeviceError::NoDevice),
            Some(n) => host
                .output_devices()
                .map_err(|e| DeviceError::Failed { device: n.clone(), reason: e.to_string() })?
                .find(|d| d.to_string() == *n)
                .ok_or_else(|| DeviceError::NotFound(n.clone())),
        }
    }
}

struct CpalStream {
    info: DeviceInfo,
    _stream: cpal::Stream,
}

impl OutputStream for CpalStream {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }
}

impl OutputDevice for CpalDevice {
    fn name(&self) -> String {
        self.name.clone().unwrap_or_else(|| "default".into())
    }

    fn open(
        &mut self,
        request: &StreamRequest,
        shared: &Arc<Shared>,
        make: &mut CallbackFactory<'_>,
    ) -> Result<Box<dyn OutputStream>, DeviceError> {
        let device = self.find()?;
        let name = device.to_string();
        let fail = |e: &dyn std::fmt::Display| DeviceError::Failed { device: name.clone(), reason: e.to_string() };
        let default = device.default_output_config().map_err(|e| fail(&e))?;
        let rate = request.sample_rate.unwrap_or(default.sample_rate());
        let channels = default.channels().max(1);
        let wanted = request.buffer_frames.max(1);
        let buffer = match default.buffer_size() {
            cpal::SupportedBufferSize::Range { min, max } => wanted.clamp(*min.min(max), *max.max(min)),
            cpal::SupportedBufferSize::Unknown => wanted,
        };
        let mut last_err = None;
        for size in [cpal::BufferSize::Fixed(buffer), cpal::BufferSize::Default] {
            let config = cpal::StreamConfig { channels, sample_rate: rate, buffer_size: size };
            let info = DeviceInfo {
                name: name.clone(),
                backend: BackendKind::Cpal,
                sample_rate: rate,
                buffer_frames: buffer,
                channels: channels as usize,
                latency_frames: buffer as u64,
            };
            let mut host = make(&info);
            let errs = shared.clone();
            let built = device.build_output_stream::<f32, _, _>(
                config,
                move |out: &mut [f32], _| host.process(out, Some(std::time::Instant::now())),
                move |err: cpal::Error| match err.kind() {
                    cpal::ErrorKind::Xrun => errs.stats.add_xruns(1),
                    cpal::ErrorKind::DeviceNotAvailable
                    | cpal::ErrorKind::StreamInvalidated
                    | cpal::ErrorKind::HostUnavailable => errs.device_lost.store(true, Relaxed),
                    _ => {}
                },
                Some(Duration::from_secs(2)),
            );
            match built {
                Ok(stream) => {
                    stream.play().map_err(|e| fail(&e))?;
                    // cpal's callback thread keeps the host's default priority.
                    shared.stats.set_realtime(false);
                    return Ok(Box::new(CpalStream { info, _stream: stream }));
                }
                Err(e) => last_err = Some(e.to_string()),
            }
        }
        Err(fail(&last_err.unwrap_or_else(|| "cannot open a stream".into())))
    }
}
