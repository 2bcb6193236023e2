//! AAC encoding on macOS through AudioToolbox's AudioConverter: the thin,
//! platform-only part of the AAC writer. Interleaved f32 goes in, 1024-frame
//! AAC-LC (or HE-AAC) packets come out and go into the shared `.m4a` muxer;
//! the cookie, the `esds` box and the `iTunSMPB` gapless tag are built by
//! [`super::aac`], which is tested everywhere. This file is only
//! type-checked off a Mac: `docs/mac-checklist.md` ("AAC encoding") says
//! what a Mac run must check.
//!
//! Safety argument for the `unsafe` blocks (the module is
//! `#[allow(unsafe_code)]`):
//! - The converter reference comes from `AudioConverterNew` returning
//!   `noErr`, is owned by [`AacM4aWriter`] alone and disposed once, in
//!   `Drop`.
//! - Property calls pass pointers to local values of exactly the size given.
//! - `AudioConverterFillComplexBuffer` gets a pointer to a [`Feed`] that
//!   lives on the caller's stack for the whole call, and an output buffer
//!   list whose one buffer points into `self.out`, sized
//!   `packets × max_packet` bytes, with `packets` descriptions. The input
//!   callback only reads the `Feed` (a slice of `self.pending` that is not
//!   touched until the call returns) and points the converter at that
//!   slice, which stays alive and unmoved until every frame of it has been
//!   consumed (it is drained only after the converter asked for more input,
//!   which means it has taken all it was given).
//! - The callback never unwinds (no panicking code in it).

use std::ffi::c_void;
use std::ptr::NonNull;

use objc2_audio_toolbox::{
    kAudioConverterCompressionMagicCookie, kAudioConverterEncodeBitRate, kAudioConverterPrimeInfo,
    kAudioConverterPropertyMaximumOutputPacketSize, AudioConverterDispose, AudioConverterFillComplexBuffer,
    AudioConverterGetProperty, AudioConverterNew, AudioConverterPrimeInfo, AudioConverterRef,
    AudioConverterSetProperty,
};
use objc2_core_audio_types::{
    kAudioFormatFlagIsFloat, kAudioFormatFlagIsPacked, kAudioFormatLinearPCM, kAudioFormatMPEG4AAC, AudioBuffer,
    AudioBufferList, AudioStreamBasicDescription, AudioStreamPacketDescription,
};

use super::aac::{audio_specific_config, esds_box, itunsmpb, mp4a_entry, AAC_FRAMES_PER_PACKET};
use super::lossy::EncoderSettings;
use crate::io::container::mp4::mux::M4aMuxer;
use crate::io::writer::{AudioWriter, WriteSeek, WriterSpec};
use crate::io::{OutputFormat, Tags, WriteError};

/// Returned by the input callback when it has nothing more until the next write.
const NEED_MORE: i32 = 0x6e_6d_6f_72; // 'nmor'
/// Packets asked for per call.
const PACKETS: u32 = 32;

/// The input the callback hands out.
struct Feed {
    data: *const f32,
    frames: u32,
    taken: u32,
    channels: u32,
    end: bool,
}

/// The converter's input callback: hands it the frames of the [`Feed`] not yet taken.
///
/// # Safety
/// `user` must be the `Feed` given to `AudioConverterFillComplexBuffer`, and
/// `io_packets` and `io_data` the converter's own (see the module's argument).
unsafe extern "C-unwind" fn input_proc(
    _conv: AudioConverterRef,
    io_packets: NonNull<u32>,
    io_data: NonNull<AudioBufferList>,
    _desc: *mut *mut AudioStreamPacketDescription,
    user: *mut c_void,
) -> i32 {
    // SAFETY: `user` is the `Feed` passed to FillComplexBuffer (see the module's argument).
    let feed = unsafe { &mut *(user as *mut Feed) };
    // SAFETY: the converter's buffer list, valid for the call.
    let list = unsafe { &mut *io_data.as_ptr() };
    let left = feed.frames - feed.taken;
    if left == 0 {
        // SAFETY: the converter's packet count, valid for the call.
        unsafe { *io_packets.as_ptr() = 0 };
        list.mBuffers[0].mDataByteSize = 0;
        return if feed.end { 0 } else { NEED_MORE };
    }
    // SAFETY: as above.
    let want = unsafe { *io_packets.as_ptr() }.min(left);
    let at = (feed.taken * feed.channels) as usize;
    list.mBuffers[0] = AudioBuffer {
        mNumberChannels: feed.channels,
        mDataByteSize: want * feed.channels * 4,
        // SAFETY: `at` is within the slice the feed points at.
        mData: unsafe { feed.data.add(at) } as *mut c_void,
    };
    // SAFETY: as above.
    unsafe { *io_packets.as_ptr() = want };
    feed.taken += want;
    0
}

/// Writes AAC in an .m4a file.
pub struct AacM4aWriter {
    conv: AudioConverterRef,
    mux: Option<M4aMuxer>,
    channels: usize,
    sample_rate: u32,
    bitrate: u32,
    max_packet: u32,
    pending: Vec<f32>,
    out: Vec<u8>,
    descs: Vec<AudioStreamPacketDescription>,
    frames_in: u64,
    packets: u64,
    tags: Tags,
}

// SAFETY: the converter is used from one thread at a time (`&mut self`).
unsafe impl Send for AacM4aWriter {}

fn status(what: &str, s: i32) -> Result<(), WriteError> {
    if s == 0 {
        Ok(())
    } else {
        let code: String =
            s.to_be_bytes().iter().map(|&b| if b.is_ascii_graphic() { b as char } else { '?' }).collect();
        Err(WriteError::Encoder(format!("AudioConverter {what}: OSStatus {s} ('{code}')")))
    }
}

impl AacM4aWriter {
    /// An AAC writer for `spec` (f32 samples, 1–8 channels, up to 48 kHz).
    pub fn new(sink: Box<dyn WriteSeek>, spec: WriterSpec, settings: &EncoderSettings) -> Result<Self, WriteError> {
        settings.check(OutputFormat::Aac).map_err(WriteError::Usage)?;
        let ch = u32::from(spec.channels);
        let input = AudioStreamBasicDescription {
            mSampleRate: f64::from(spec.sample_rate),
            mFormatID: kAudioFormatLinearPCM,
            mFormatFlags: kAudioFormatFlagIsFloat | kAudioFormatFlagIsPacked,
            mBytesPerPacket: 4 * ch,
            mFramesPerPacket: 1,
            mBytesPerFrame: 4 * ch,
            mChannelsPerFrame: ch,
            mBitsPerChannel: 32,
            mReserved: 0,
        };
        let output = AudioStreamBasicDescription {
            mSampleRate: f64::from(spec.sample_rate),
            mFormatID: kAudioFormatMPEG4AAC,
            mFormatFlags: 0,
            mBytesPerPacket: 0,
            mFramesPerPacket: AAC_FRAMES_PER_PACKET,
            mBytesPerFrame: 0,
            mChannelsPerFrame: ch,
            mBitsPerChannel: 0,
            mReserved: 0,
        };
        let mut conv: AudioConverterRef = std::ptr::null_mut();
        // SAFETY: pointers to locals; see the module's argument.
        status("setup", unsafe {
            AudioConverterNew(NonNull::from(&input), NonNull::from(&output), NonNull::from(&mut conv))
        })?;
        let mut w = AacM4aWriter {
            conv,
            mux: Some(M4aMuxer::new(sink)?),
            channels: usize::from(spec.channels),
            sample_rate: spec.sample_rate,
            bitrate: settings.bitrate.unwrap_or(256) * 1000,
            max_packet: 0,
            pending: Vec::new(),
            out: Vec::new(),
            descs: Vec::new(),
            frames_in: 0,
            packets: 0,
            tags: Tags::default(),
        };
        let rate = w.bitrate;
        // SAFETY: a u32 property of 4 bytes.
        status("bit rate", unsafe {
            AudioConverterSetProperty(conv, kAudioConverterEncodeBitRate, 4, NonNull::from(&rate).cast())
        })?;
        let mut size = 4u32;
        let mut max = 0u32;
        // SAFETY: a u32 property of 4 bytes.
        status("packet size", unsafe {
            AudioConverterGetProperty(
                conv,
                kAudioConverterPropertyMaximumOutputPacketSize,
                NonNull::from(&mut size),
                NonNull::from(&mut max).cast(),
            )
        })?;
        w.max_packet = max.max(1);
        w.out = vec![0; (w.max_packet * PACKETS) as usize];
        w.descs = vec![
            AudioStreamPacketDescription { mStartOffset: 0, mVariableFramesInPacket: 0, mDataByteSize: 0 };
            PACKETS as usize
        ];
        Ok(w)
    }

    /// Encodes what `pending` holds (all of it, and the encoder's tail, with `end`).
    fn drain(&mut self, end: bool) -> Result<(), WriteError> {
        let mut feed = Feed {
            data: self.pending.as_ptr(),
            frames: (self.pending.len() / self.channels) as u32,
            taken: 0,
            channels: self.channels as u32,
            end,
        };
        loop {
            let mut packets = PACKETS;
            let mut list = AudioBufferList {
                mNumberBuffers: 1,
                mBuffers: [AudioBuffer {
                    mNumberChannels: self.channels as u32,
                    mDataByteSize: self.out.len() as u32,
                    mData: self.out.as_mut_ptr().cast(),
                }],
            };
            // SAFETY: see the module's argument.
            let s = unsafe {
                AudioConverterFillComplexBuffer(
                    self.conv,
                    Some(input_proc),
                    (&mut feed as *mut Feed).cast(),
                    NonNull::from(&mut packets),
                    NonNull::from(&mut list),
                    self.descs.as_mut_ptr(),
                )
            };
            let mux = self.mux.as_mut().ok_or_else(|| WriteError::Usage("the AAC writer failed earlier".into()))?;
            for d in &self.descs[..packets as usize] {
                let start = d.mStartOffset as usize;
                let bytes = self
                    .out
                    .get(start..start + d.mDataByteSize as usize)
                    .ok_or_else(|| WriteError::Encoder("AudioConverter gave a packet outside its buffer".into()))?;
                mux.write_packet(bytes, AAC_FRAMES_PER_PACKET)?;
                self.packets += 1;
            }
            if s == NEED_MORE || packets == 0 {
                break;
            }
            status("encoding", s)?;
        }
        self.pending.clear();
        Ok(())
    }

    fn property_bytes(&self, id: u32) -> Result<Vec<u8>, WriteError> {
        let mut buf = vec![0u8; 256];
        let mut size = buf.len() as u32;
        // SAFETY: a buffer of `size` bytes.
        status("cookie", unsafe {
            AudioConverterGetProperty(
                self.conv,
                id,
                NonNull::from(&mut size),
                NonNull::new_unchecked(buf.as_mut_ptr()).cast(),
            )
        })?;
        buf.truncate(size as usize);
        Ok(buf)
    }
}

impl Drop for AacM4aWriter {
    fn drop(&mut self) {
        // SAFETY: created by AudioConverterNew, disposed once.
        unsafe { AudioConverterDispose(self.conv) };
    }
}

impl AudioWriter for AacM4aWriter {
    fn write_f32(&mut self, interleaved: &[f32]) -> Result<(), WriteError> {
        if interleaved.len() % self.channels != 0 {
            return Err(WriteError::Usage("a partial frame was written".into()));
        }
        self.frames_in += (interleaved.len() / self.channels) as u64;
        self.pending.extend_from_slice(interleaved);
        let r = self.drain(false);
        if r.is_err() {
            self.mux = None;
        }
        r
    }

    fn write_i32(&mut self, _: &[i32]) -> Result<(), WriteError> {
        Err(WriteError::Usage("the AAC writer takes float samples".into()))
    }

    fn set_tags(&mut self, tags: &Tags) -> Result<(), WriteError> {
        self.tags = super::lossy::with_encoder(tags, "CoreMusic (AudioToolbox AAC)");
        Ok(())
    }

    fn set_picture(&mut self, picture: &crate::io::tags::Picture) -> Result<(), WriteError> {
        if let Some(mux) = self.mux.as_mut() {
            mux.set_cover(picture);
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), WriteError> {
        self.drain(true)?;
        let cookie = self.property_bytes(kAudioConverterCompressionMagicCookie)?;
        let asc = audio_specific_config(&cookie)
            .ok_or_else(|| WriteError::Encoder("AudioConverter gave no AudioSpecificConfig".into()))?;
        let mut prime = AudioConverterPrimeInfo { leadingFrames: 0, trailingFrames: 0 };
        let mut size = std::mem::size_of::<AudioConverterPrimeInfo>() as u32;
        // SAFETY: a struct of `size` bytes.
        status("priming", unsafe {
            AudioConverterGetProperty(
                self.conv,
                kAudioConverterPrimeInfo,
                NonNull::from(&mut size),
                NonNull::from(&mut prime).cast(),
            )
        })?;
        let coded = self.packets * u64::from(AAC_FRAMES_PER_PACKET);
        let padding = coded.saturating_sub(u64::from(prime.leadingFrames) + self.frames_in) as u32;
        let mut tags = self.tags.clone();
        tags.push("itunsmpb", &itunsmpb(prime.leadingFrames, padding, self.frames_in));
        let entry = mp4a_entry(self.channels as u16, self.sample_rate, esds_box(&asc, self.bitrate, self.max_packet));
        let mut mux = self.mux.take().ok_or_else(|| WriteError::Usage("the AAC writer failed earlier".into()))?;
        mux.set_tags(&tags);
        mux.finish(&entry)
    }
}
