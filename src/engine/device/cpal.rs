//! The cpal backend (every platform but macOS): opens the named or default
//! output device in its own sample format (the engine renders f32; other
//! formats are converted in the callback from a buffer allocated up front)
//! and, where the host allows, a fixed buffer size; cpal's `realtime` feature
//! gives its callback thread real-time priority. cpal's xrun errors are counted; a device that disappears makes the
//! worker fall back to the simulated device. Opening never panics: any
//! failure (no sound card, a busy device) is a [`DeviceError`].

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};

use super::{BackendKind, CallbackFactory, DeviceError, DeviceInfo, OutputDevice, OutputStream, StreamRequest};
use crate::engine::callback::{CallbackHost, Shared};

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

/// Frames of the f32 scratch buffer used when the device takes another
/// sample format (allocated when the stream is built, never in the callback).
const SCRATCH_FRAMES: usize = 16_384;

/// Builds an output stream of samples `T`: the engine renders f32 into a
/// scratch buffer allocated here, and the callback converts it.
fn build<T>(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    mut host: CallbackHost,
    on_error: impl FnMut(cpal::Error) + Send + 'static,
    scratch_len: usize,
) -> Result<cpal::Stream, cpal::Error>
where
    T: cpal::SizedSample + cpal::FromSample<f32>,
{
    let ch = (config.channels as usize).max(1);
    let mut scratch = vec![0.0f32; scratch_len.max(ch)];
    device.build_output_stream::<T, _, _>(
        config,
        move |out: &mut [T], _| {
            let now = std::time::Instant::now();
            fill_converted(out, &mut scratch, ch, |part| host.process(part, Some(now)))
        },
        on_error,
        Some(Duration::from_secs(2)),
    )
}

/// Fills `out` with samples rendered as f32 by `render` into `scratch` (in
/// whole frames of `ch` channels, one call when it fits) and converted to `T`.
/// Real-time safe: no allocation.
fn fill_converted<T: cpal::FromSample<f32>>(
    out: &mut [T],
    scratch: &mut [f32],
    ch: usize,
    mut render: impl FnMut(&mut [f32]),
) {
    let step = (scratch.len() / ch.max(1) * ch.max(1)).max(1);
    for part in out.chunks_mut(step) {
        let tmp = &mut scratch[..part.len()];
        render(tmp);
        for (o, &x) in part.iter_mut().zip(tmp.iter()) {
            *o = T::from_sample_(x);
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
        let format = default.sample_format();
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
            let host = make(&info);
            let errs = shared.clone();
            let on_error = move |err: cpal::Error| match err.kind() {
                cpal::ErrorKind::Xrun => errs.stats.add_xruns(1),
                cpal::ErrorKind::RealtimeDenied => errs.stats.set_realtime(false),
                cpal::ErrorKind::DeviceNotAvailable
                | cpal::ErrorKind::StreamInvalidated
                | cpal::ErrorKind::HostUnavailable => errs.device_lost.store(true, Relaxed),
                _ => {}
            };
            let scratch = SCRATCH_FRAMES.max(buffer as usize) * channels as usize;
            // cpal's "realtime" feature promotes its callback thread as it
            // starts; a refusal arrives as RealtimeDenied and clears this, so
            // it is set before the stream (and its thread) exists.
            shared.stats.set_realtime(cfg!(target_os = "linux"));
            let built = match format {
                cpal::SampleFormat::I16 => build::<i16>(&device, config, host, on_error, scratch),
                cpal::SampleFormat::I32 => build::<i32>(&device, config, host, on_error, scratch),
                cpal::SampleFormat::U16 => build::<u16>(&device, config, host, on_error, scratch),
                cpal::SampleFormat::U8 => build::<u8>(&device, config, host, on_error, scratch),
                cpal::SampleFormat::I8 => build::<i8>(&device, config, host, on_error, scratch),
                cpal::SampleFormat::F64 => build::<f64>(&device, config, host, on_error, scratch),
                _ => {
                    let mut host = host;
                    device.build_output_stream::<f32, _, _>(
                        config,
                        move |out: &mut [f32], _| host.process(out, Some(std::time::Instant::now())),
                        on_error,
                        Some(Duration::from_secs(2)),
                    )
                }
            };
            match built {
                Ok(stream) => {
                    stream.play().map_err(|e| fail(&e))?;
                    return Ok(Box::new(CpalStream { info, _stream: stream }));
                }
                Err(e) => last_err = Some(e.to_string()),
            }
        }
        Err(fail(&last_err.unwrap_or_else(|| "cannot open a stream".into())))
    }
}

#[cfg(test)]
mod tests {
    use super::fill_converted;

    #[test]
    fn converts_rendered_f32_to_the_device_format_in_whole_frames() {
        let mut scratch = vec![0.0f32; 6]; // three stereo frames
        let mut out = vec![0i16; 10]; // five frames: two renders
        let mut calls = Vec::new();
        fill_converted(&mut out, &mut scratch, 2, |part| {
            calls.push(part.len());
            part.fill(0.5);
        });
        assert_eq!(calls, [6, 4]);
        assert!(out.iter().all(|&s| s == 16384), "{out:?}");
        let mut u = vec![0u8; 4];
        fill_converted(&mut u, &mut scratch, 2, |part| part.fill(-1.0));
        assert_eq!(u, [0, 0, 0, 0]);
    }
}
