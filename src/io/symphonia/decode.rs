//! Decoding packet by packet into the caller's buffers, with warnings for
//! what is skipped and a panic boundary around every call into symphonia.

use super::*;
use crate::io::codec::aac_adts;

impl SymphoniaReader {
    pub(super) fn warn(&mut self, msg: Warning) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(msg);
        } else {
            self.warnings_dropped += 1;
        }
    }

    pub(super) fn poison(&mut self, msg: String) -> ReadError {
        self.poisoned = Some(msg.clone());
        ReadError::Decoder(msg)
    }

    pub(super) fn finish(&mut self) {
        self.eof = true;
        self.cur = 0;
        self.end = 0;
        if !self.warned_truncated && self.seek_target.is_none() {
            if let Some(total) = self.info.frames {
                // Less than a packet short is a muxer rounding up to whole
                // packets (ffmpeg's ALAC in CAF), not a lost tail.
                let slack = u64::from(self.info.format.frames_per_packet.max(1));
                if self.position.saturating_add(slack) <= total && self.limit.is_none_or(|l| self.position < l) {
                    self.warned_truncated = true;
                    self.warn(Warning::StreamEndsEarly { read: self.position, claimed: total });
                }
            }
        }
    }

    /// Decodes the next packet of the track into the decoder's buffer and
    /// sets `cur..end`. Returns false at the end of the stream.
    pub(super) fn next_block(&mut self) -> ReadResult<bool> {
        let mut silent = 0u32;
        loop {
            if self.eof {
                return Ok(false);
            }
            if self.limit.is_some_and(|l| self.position >= l) {
                self.eof = true;
                return Ok(false);
            }
            silent += 1;
            if silent > MAX_SILENT_IN_A_ROW {
                return Err(self.poison(format!("{MAX_SILENT_IN_A_ROW} packets in a row gave no audio")));
            }
            let label = format!("{} demuxer", self.info.container.long_name());
            let next = match guard(&label, || self.format.next_packet()) {
                Ok(r) => r,
                Err(msg) => return Err(self.poison(msg)),
            };
            let mut packet = match next {
                Ok(Some(p)) => p,
                Ok(None) => {
                    self.finish();
                    return Ok(false);
                }
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    if !self.warned_truncated {
                        self.warned_truncated = true;
                        self.warn(Warning::EndsInsidePacket {
                            read: self.position.saturating_add((self.end - self.cur) as u64),
                        });
                    }
                    self.finish();
                    return Ok(false);
                }
                Err(SymError::ResetRequired) => {
                    self.warn(Warning::ChainedStream);
                    self.finish();
                    return Ok(false);
                }
                Err(SymError::DecodeError(e)) => {
                    self.failed += 1;
                    self.failed_in_a_row += 1;
                    if self.failed_in_a_row > MAX_FAILED_IN_A_ROW {
                        return Err(
                            self.poison(format!("the demuxer failed {MAX_FAILED_IN_A_ROW} times in a row: {e}"))
                        );
                    }
                    self.warn(Warning::SkippedDamagedData { why: e.to_string() });
                    continue;
                }
                Err(e) => return Err(sym_err(&label, e)),
            };
            if packet.track_id != self.track_id {
                continue;
            }
            if self.own_end {
                packet.trim_end = symphonia::core::units::Duration::ZERO;
            }
            if self.skip_silent_blocks && !aac_adts::gives_audio(&packet.data) {
                continue;
            }
            if let Some(t) = self.front_trim {
                // The packet's first sample counted from the stream's start.
                let at = packet.pts.get().saturating_add(t.demuxer_delay);
                let trim = t.delay.saturating_sub(at).clamp(0, t.frame as i64) as u64;
                packet.trim_start = symphonia::core::units::Duration::new(trim);
            }
            let channels = self.channels;
            let codec_label = self.codec_label.clone();
            let decoded = match guard(&codec_label, || {
                self.decoder.decode(&packet).map(|b: GenericAudioBufferRef<'_>| (b.frames(), b.num_planes()))
            }) {
                Ok(r) => r,
                Err(msg) => return Err(self.poison(msg)),
            };
            let (frames, planes) = match decoded {
                Ok(fp) => fp,
                Err(SymError::DecodeError(_) | SymError::IoError(_) | SymError::LimitError(_))
                | Err(SymError::Unsupported(AAC_PREDICTION | AAC_GAIN_CONTROL)) => {
                    let e = match decoded {
                        Err(SymError::Unsupported(AAC_PREDICTION)) => AAC_PREDICTION_WHY.to_string(),
                        Err(SymError::Unsupported(AAC_GAIN_CONTROL)) => AAC_GAIN_CONTROL_WHY.to_string(),
                        Err(e) => e.to_string(),
                        Ok(_) => String::new(),
                    };
                    self.failed += 1;
                    self.failed_in_a_row += 1;
                    if self.failed_in_a_row > MAX_FAILED_IN_A_ROW {
                        return Err(
                            self.poison(format!("{MAX_FAILED_IN_A_ROW} packets in a row failed to decode (last: {e})"))
                        );
                    }
                    let at = self.clock.frames_of(packet.pts.get());
                    self.warn(Warning::UndecodablePacket { near: at, why: e });
                    continue;
                }
                Err(e) => return Err(sym_err(&codec_label, e)),
            };
            self.failed_in_a_row = 0;
            if frames == 0 {
                continue;
            }
            if channels != 0 && planes != channels {
                self.failed += 1;
                self.warn(Warning::ChannelCountChanged { got: planes, channels });
                continue;
            }
            self.decoded_any = true;
            self.cur = 0;
            self.end = frames;
            if let Some(target) = self.seek_target.take() {
                let start = self.clock.frames_of(packet.pts.get().saturating_add_unsigned(packet.trim_start.get()));
                let start = start.max(0) as u64;
                if start <= target {
                    self.discard = target - start;
                } else {
                    // Landed after the target (a stream that cannot go back that far).
                    self.discard = 0;
                    self.position = start.saturating_sub(self.lead);
                }
            }
            if self.discard > 0 {
                let d = self.discard.min(frames as u64) as usize;
                self.cur = d;
                self.discard -= d as u64;
                if self.cur == self.end {
                    silent = 0;
                    continue;
                }
            }
            if let Some(l) = self.limit {
                let left = l.saturating_sub(self.position);
                let have = (self.end - self.cur) as u64;
                if have > left {
                    self.end = self.cur + left as usize;
                }
            }
            return Ok(true);
        }
    }

    /// Fills `out` with whole frames; `copy` moves `n` frames from the
    /// decoder's buffer (starting at `cur`) into a slice.
    pub(super) fn fill<T: Copy>(
        &mut self,
        out: &mut [T],
        copy: fn(&GenericAudioBufferRef<'_>, std::ops::Range<usize>, &mut [T]),
    ) -> ReadResult<usize> {
        if let Some(msg) = &self.poisoned {
            return Err(ReadError::Decoder(msg.clone()));
        }
        if let Some(e) = self.pending_error.take() {
            return Err(e);
        }
        let ch = self.channels.max(1);
        let want = out.len() / ch;
        let mut done = 0usize;
        while done < want {
            if self.cur < self.end {
                let n = (want - done).min(self.end - self.cur);
                let range = self.cur..self.cur + n;
                let dst = &mut out[done * ch..(done + n) * ch];
                let decoder = &self.decoder;
                if let Err(msg) = guard(&self.codec_label, || copy(&decoder.last_decoded(), range, dst)) {
                    return Err(self.poison(msg));
                }
                self.cur += n;
                done += n;
                self.position += n as u64;
                continue;
            }
            match self.next_block() {
                Ok(true) => {}
                Ok(false) => break,
                // Hand out what was decoded; the error comes with the next call.
                Err(e) if done > 0 => {
                    self.pending_error = Some(e);
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        if done == 0 && self.eof && !self.decoded_any && self.failed > 0 {
            return Err(ReadError::Decoder(format!(
                "no packet of this {} stream could be decoded",
                self.info.codec.name()
            )));
        }
        Ok(done)
    }
}

/// symphonia's AAC decoder on a block with prediction data (AAC Main's
/// prediction, AAC LTP's long-term prediction: tools it does not have; in
/// AAC-LC, where the bit must be 0, damage) or gain control data (AAC SSR).
/// Such a block is a packet that cannot be decoded, like a damaged one; a
/// stream of nothing else fails (see [`MAX_FAILED_IN_A_ROW`]).
const AAC_PREDICTION: &str = "aac: predictor data";
const AAC_PREDICTION_WHY: &str =
    "the block uses AAC prediction (AAC Main or LTP tools, which CoreMusic does not decode), or is damaged";
const AAC_GAIN_CONTROL: &str = "aac: gain control data";
const AAC_GAIN_CONTROL_WHY: &str =
    "the block uses AAC SSR gain control (which CoreMusic does not decode), or is damaged";

pub(super) fn copy_f32(buf: &GenericAudioBufferRef<'_>, range: std::ops::Range<usize>, dst: &mut [f32]) {
    buf.slice(range).copy_to_slice_interleaved(dst);
}

pub(super) fn copy_i32(buf: &GenericAudioBufferRef<'_>, range: std::ops::Range<usize>, dst: &mut [i32]) {
    buf.slice(range).copy_to_slice_interleaved(dst);
}
