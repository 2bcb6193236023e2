//! The warnings of the io room: problems met while reading that did not
//! stop the read, as data ([`Warning`], sorted by [`WarningClass`]), with
//! the sentence each one reads as.

/// A problem met while reading that did not stop the read: the audio that is
/// there is still delivered. Made in `io` as data; it becomes words only where
/// it is shown (`report`, `ui`), through `Display`, which gives the sentence
/// `coremusic info` prints. JSON carries that sentence too.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Warning {
    // ---- Truncated: the file holds less than its header announces.
    /// A data chunk claims more bytes than the file holds after its start.
    DataChunkCut {
        /// Bytes the chunk header claims.
        claimed: u64,
        /// Bytes the file holds after `start`.
        present: u64,
        /// Where the audio data starts.
        start: u64,
    },
    /// A CAF data chunk claims more bytes than the file holds.
    CafDataCut {
        /// Bytes the chunk header claims (CAF sizes are signed).
        claimed: i64,
        /// Bytes the file holds after the chunk header.
        present: u64,
    },
    /// The header promises more frames than the data holds.
    FewerFramesThanHeader {
        /// Frames the header promises.
        claimed: u64,
        /// Frames in the file.
        present: u64,
    },
    /// The file ended while frames were still being read.
    EndedEarly {
        /// Frames promised.
        claimed: u64,
        /// Frames read before the end.
        read: u64,
    },
    /// A decoded stream ended before the frames its header announces.
    StreamEndsEarly {
        /// Frames decoded.
        read: u64,
        /// Frames the header announces.
        claimed: u64,
    },
    /// The file ends inside a packet.
    EndsInsidePacket {
        /// Frames decoded before it.
        read: u64,
    },
    /// Ogg: the file ends inside a page; the length is the last whole page's.
    OggPageCut {
        /// Where the cut-off page starts.
        at: u64,
    },
    /// FLAC: STREAMINFO's total is longer than the frames in the file.
    StreamInfoCutShort {
        /// STREAMINFO's total.
        claimed: Span,
        /// What the file holds.
        present: Span,
    },
    /// FLAC: the stream ends inside a frame.
    CutInsideFrame {
        /// Byte offset of that frame.
        at: u64,
    },
    /// MPEG audio: the Xing/VBRI header announces more than the file holds.
    MpegHeaderLonger {
        /// PCM frames the header announces.
        claimed: u64,
        /// PCM frames the file holds.
        present: u64,
        /// Sample rate, for the times shown.
        rate: f64,
    },
    /// MP4: the header's duration is longer than the samples in the file.
    Mp4Cut {
        /// Seconds the header says.
        claimed_s: f64,
        /// Seconds the file holds.
        present_s: f64,
        /// Packets in the file.
        packets: u64,
        /// Packets the header announces.
        claimed_packets: u64,
    },
    /// MP4: the header gives a duration but there are no samples at all.
    Mp4NoSamples {
        /// Seconds the header says.
        claimed_s: f64,
    },

    // ---- Header length mismatch: two lengths disagree.
    /// FLAC: STREAMINFO's total is shorter than the frames in the file.
    StreamInfoShort {
        /// STREAMINFO's total.
        claimed: Span,
        /// What the file holds.
        present: Span,
    },
    /// FLAC: decoding gave another count than the one measured at open.
    DecodedOtherThanMeasured {
        /// Frames decoded.
        decoded: u64,
        /// Frames measured when opened.
        measured: u64,
    },
    /// FLAC: decoding gave another count than STREAMINFO's total.
    DecodedOtherThanHeader {
        /// STREAMINFO's total.
        claimed: u64,
        /// Frames decoded.
        decoded: u64,
    },

    // ---- Missing or unchecked total.
    /// FLAC: the end could not be found; STREAMINFO's total is used unchecked.
    LengthUnchecked {
        /// STREAMINFO's total.
        claimed: Span,
    },
    /// FLAC: no total in STREAMINFO and the last frame was not found.
    MissingTotal,

    // ---- Skipped junk: bytes that are not what the format expects.
    /// FLAC: bytes that are not frames between two frames.
    LostSync {
        /// Where sync was lost.
        at: u64,
        /// Why the bytes there are not a frame.
        why: &'static str,
        /// Bytes skipped to the next frame, when one was found.
        skipped: Option<u64>,
    },
    /// FLAC: bytes that are not frames from `at` to the end.
    JunkAtEnd {
        /// Where they start.
        at: u64,
        /// How many.
        bytes: u64,
        /// Why they are not a frame.
        why: &'static str,
    },
    /// Bytes where a chunk header should be.
    NotAChunk {
        /// Where.
        at: u64,
        /// Whether the audio data was already found (the WAV wording).
        after_audio: bool,
    },
    /// RF64: a chunk other than data with the "see ds64" size.
    Rf64SizedChunk {
        /// The chunk id, printable.
        id: String,
        /// Where its header starts.
        at: u64,
    },
    /// MP4: a box whose size is smaller than its header.
    ImpossibleBox {
        /// The size it gives.
        size: u64,
        /// Where it starts.
        at: u64,
    },
    /// MP4: more fragment data than CoreMusic holds; the rest is ignored.
    TooManyFragments,
    /// The audio data ends inside a frame.
    PartialFrame {
        /// Bytes of the partial frame.
        bytes: usize,
    },

    // ---- Damaged data: audio that is replaced or skipped.
    /// FLAC: bytes before the first frame of a stream with no `fLaC` header.
    JunkAtStart {
        /// How many (the first frame starts there).
        bytes: u64,
    },
    /// FLAC: the stream breaks a rule of the format that decoding reads around.
    FlacRuleBroken {
        /// What, as a sentence.
        what: String,
    },
    /// FLAC: a frame failing its CRC-16, replaced by silence.
    DamagedFrame {
        /// Its first sample.
        first: u64,
        /// One past its last sample.
        end: u64,
    },
    /// FLAC: the decoded audio does not match STREAMINFO's MD5.
    Md5Mismatch {
        /// The hash of the decoded audio.
        got: [u8; 16],
        /// The hash STREAMINFO gives.
        want: [u8; 16],
    },
    /// A demuxer skipped damaged data (symphonia's words).
    SkippedDamagedData {
        /// The demuxer's message.
        why: String,
    },
    /// A packet that does not decode was skipped (symphonia's words).
    UndecodablePacket {
        /// About where, in frames.
        near: i64,
        /// The decoder's message.
        why: String,
    },
    /// A packet with another channel count was skipped.
    ChannelCountChanged {
        /// Channels in the packet.
        got: usize,
        /// Channels of the stream.
        channels: usize,
    },

    // ---- Format oddities read around.
    /// A chained stream: only the first part is read.
    ChainedStream,
    /// WAV: nBlockAlign disagrees with the sample size; the sample size wins.
    BlockAlignMismatch {
        /// nBlockAlign.
        block_align: u32,
        /// Channels.
        channels: u32,
        /// wBitsPerSample.
        bits: u32,
        /// The frame size used.
        frame_bytes: u32,
    },

    // ---- Codecs described but not decoded.
    /// The stream's codec is described but CoreMusic cannot decode it.
    CannotDecode {
        /// What cannot be decoded, e.g. "WAVE codec 0x0031 (GSM 6.10)".
        what: String,
    },
    /// A WAVE file's fmt chunk and the MPEG stream it holds disagree.
    FmtDisagrees {
        /// Rate and channels the fmt chunk states.
        fmt: (u32, u32),
        /// Rate and channels of the stream itself.
        stream: (u32, u32),
    },
    /// The loudness of a converted output could not be measured.
    OutputNotMeasured {
        /// Why, in the words of the error.
        why: String,
    },
    // ---- Tags and the rest.
    /// Tags could not be written to an output (the conversion still stands).
    TagsNotWritten {
        /// Why, in the words of the error that stopped them.
        why: String,
    },
    /// More warnings of the same kind than are kept one by one.
    MoreOfTheSame {
        /// How many more.
        count: u64,
        /// The "… and N more" wording (symphonia) rather than "N more" (FLAC).
        and: bool,
    },
}

/// Frames at a rate, shown as `N frames (m:ss.mmm)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    /// Frames.
    pub frames: u64,
    /// Frames a second.
    pub rate: f64,
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = if self.rate > 0.0 { (self.frames as f64 * 1000.0 / self.rate).round() as u64 } else { 0 };
        write!(f, "{} frames ({})", self.frames, clock_ms(ms))
    }
}

/// `m:ss.mmm` (or `h:mm:ss.mmm`) of a count of milliseconds.
pub(crate) fn clock_ms(ms: u64) -> String {
    let (h, m, s, ms) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}.{ms:03}")
    } else {
        format!("{m}:{s:02}.{ms:03}")
    }
}

/// `m:ss.mmm` of seconds.
pub(crate) fn clock_s(secs: f64) -> String {
    clock_ms((secs.max(0.0) * 1000.0).round() as u64)
}

/// `m:ss.s` (or `h:mm:ss.s`) of seconds, to the tenth.
pub(crate) fn clock_tenths(seconds: f64) -> String {
    let tenths = (seconds * 10.0).round().max(0.0) as u64;
    let (h, rest) = (tenths / 36_000, tenths % 36_000);
    let (m, t) = (rest / 600, rest % 600);
    if h > 0 {
        format!("{h}:{m:02}:{:02}.{}", t / 10, t % 10)
    } else {
        format!("{m}:{:02}.{}", t / 10, t % 10)
    }
}

fn hex(d: &[u8; 16]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use Warning as W;
        match self {
            W::DataChunkCut { claimed, present, start } => write!(
                f,
                "the data chunk claims {claimed} bytes but the file holds only {present} after byte {start}; \
                 reading what is there"
            ),
            W::CafDataCut { claimed, present } => {
                write!(f, "the data chunk claims {claimed} bytes but the file holds only {present}")
            }
            W::FewerFramesThanHeader { claimed, present } => {
                write!(f, "the header promises {claimed} frames but only {present} are in the file")
            }
            W::EndedEarly { claimed, read } => {
                write!(f, "the file ended early: {claimed} frames promised, {read} read")
            }
            W::StreamEndsEarly { read, claimed } => write!(
                f,
                "the stream ends after {read} of the {claimed} frames its header announces (truncated file?)"
            ),
            W::EndsInsidePacket { read } => {
                write!(f, "the file ends inside a packet after {read} frames (truncated file)")
            }
            W::StreamInfoCutShort { claimed, present } => {
                write!(f, "STREAMINFO says {claimed}, the file holds {present}: it is cut short")
            }
            W::OggPageCut { at } => write!(
                f,
                "the file ends inside the Ogg page at byte {at} (truncated file?): the length is that of the last whole page"
            ),
            W::JunkAtStart { bytes } => write!(
                f,
                "the first {bytes} bytes are not FLAC frames (a stream picked up mid-frame?); decoding starts at byte {bytes}"
            ),
            W::FlacRuleBroken { what } => f.write_str(what),
            W::CutInsideFrame { at } => {
                write!(f, "the stream is cut short inside the frame at byte {at}; decoding stops there")
            }
            W::MpegHeaderLonger { claimed, present, rate } => {
                let rate = rate.max(1.0);
                write!(
                    f,
                    "header says {} ({claimed} frames), the file holds {} ({present} frames): truncated file?",
                    clock_tenths(*claimed as f64 / rate),
                    clock_tenths(*present as f64 / rate)
                )
            }
            W::Mp4Cut { claimed_s, present_s, packets, claimed_packets } => write!(
                f,
                "the header says {}, the file holds {} ({packets} of {claimed_packets} packets are in the file: \
                 truncated file?)",
                clock_s(*claimed_s),
                clock_s(*present_s)
            ),
            W::Mp4NoSamples { claimed_s } => write!(
                f,
                "the header says {}, but the file holds no audio samples (an empty sample table and no \
                 fragments): nothing can be decoded",
                clock_s(*claimed_s)
            ),
            W::StreamInfoShort { claimed, present } => write!(f, "STREAMINFO says {claimed}, the file holds {present}"),
            W::DecodedOtherThanMeasured { decoded, measured } => write!(
                f,
                "decoding gave {decoded} frames, not the {measured} found when the file was opened (damaged frame numbers?)"
            ),
            W::DecodedOtherThanHeader { claimed, decoded } => {
                write!(f, "STREAMINFO says the stream holds {claimed} frames but it holds {decoded}")
            }
            W::LengthUnchecked { claimed } => write!(
                f,
                "the last frame could not be found from the end of the file; the length is STREAMINFO's {claimed}, unchecked"
            ),
            W::MissingTotal => f.write_str(
                "the length is unknown until the stream is decoded (no total in STREAMINFO, and the last frame could not be found)",
            ),
            W::LostSync { at, why, skipped: Some(n) } => {
                write!(f, "lost sync at byte {at} ({why}); skipped {n} bytes to the next frame")
            }
            W::LostSync { at, why, skipped: None } => write!(f, "lost sync at byte {at} ({why})"),
            W::JunkAtEnd { at, bytes, why } => {
                write!(f, "{bytes} bytes from byte {at} to the end are not FLAC frames ({why})")
            }
            W::NotAChunk { at, after_audio: true } => write!(f, "bytes after the audio at {at} are not a chunk; ignored"),
            W::NotAChunk { at, after_audio: false } => write!(f, "bytes at {at} are not a chunk; ignored"),
            W::Rf64SizedChunk { id, at } => write!(f, "chunk {id} at byte {at} has an RF64 table size; skipped"),
            W::ImpossibleBox { size, at } => {
                write!(f, "a box of impossible size {size} at byte {at}; the rest is ignored")
            }
            W::TooManyFragments => f.write_str("too many fragments: the later ones are ignored"),
            W::PartialFrame { bytes } => {
                write!(f, "the audio data ends {bytes} bytes into a frame; the partial frame is dropped")
            }
            W::DamagedFrame { first, end } => {
                write!(f, "the frame of samples {first}..{end} fails its CRC-16 check; it is replaced by silence")
            }
            W::Md5Mismatch { got, want } => write!(
                f,
                "damaged: MD5 mismatch (the decoded audio hashes to {}, STREAMINFO says {})",
                hex(got),
                hex(want)
            ),
            W::SkippedDamagedData { why } => write!(f, "skipped damaged data: {why}"),
            W::UndecodablePacket { near, why } => {
                write!(f, "skipped a packet that does not decode (near frame {near}): {why}")
            }
            W::ChannelCountChanged { got, channels } => {
                write!(f, "skipped a packet with {got} channels in a {channels}-channel stream")
            }
            W::ChainedStream => {
                f.write_str("the stream changes format midway (chained stream); only the first part is read")
            }
            W::BlockAlignMismatch { block_align, channels, bits, frame_bytes } => write!(
                f,
                "fmt: nBlockAlign {block_align} disagrees with {channels} channels of {bits}-bit samples; \
                 read as {frame_bytes} bytes a frame, as the sample size says"
            ),
            W::CannotDecode { what } => {
                write!(f, "CoreMusic cannot decode this audio ({what}): it can be described but not played or converted")
            }
            W::FmtDisagrees { fmt, stream } => write!(
                f,
                "the fmt chunk says {} Hz, {} channels; the MPEG stream is {} Hz, {} channels",
                fmt.0, fmt.1, stream.0, stream.1
            ),
            W::OutputNotMeasured { why } => write!(f, "the output's loudness was not measured: {why}"),
            W::TagsNotWritten { why } => f.write_str(why),
            W::MoreOfTheSame { count, and: true } => write!(f, "… and {count} more problems of the same kind"),
            W::MoreOfTheSame { count, and: false } => write!(f, "{count} more problems of the same kind"),
        }
    }
}

/// The kind of a [`Warning`], for a reader that sorts rather than shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WarningClass {
    /// The file holds less audio than its header announces.
    Truncated,
    /// Two lengths in the file disagree.
    LengthMismatch,
    /// The length is not given or could not be checked.
    MissingTotal,
    /// Bytes that are not what the format expects were passed over.
    SkippedJunk,
    /// Audio was damaged and replaced or skipped.
    Damaged,
    /// A format oddity read around.
    Format,
    /// Tags could not be read or written.
    Tags,
    /// A count of warnings not kept one by one.
    More,
}

impl Warning {
    /// What kind of problem this is.
    pub fn class(&self) -> WarningClass {
        use Warning as W;
        use WarningClass as C;
        match self {
            W::DataChunkCut { .. }
            | W::CafDataCut { .. }
            | W::FewerFramesThanHeader { .. }
            | W::EndedEarly { .. }
            | W::StreamEndsEarly { .. }
            | W::EndsInsidePacket { .. }
            | W::OggPageCut { .. }
            | W::StreamInfoCutShort { .. }
            | W::CutInsideFrame { .. }
            | W::MpegHeaderLonger { .. }
            | W::Mp4Cut { .. }
            | W::Mp4NoSamples { .. } => C::Truncated,
            W::StreamInfoShort { .. } | W::DecodedOtherThanMeasured { .. } | W::DecodedOtherThanHeader { .. } => {
                C::LengthMismatch
            }
            W::LengthUnchecked { .. } | W::MissingTotal => C::MissingTotal,
            W::LostSync { .. }
            | W::JunkAtEnd { .. }
            | W::JunkAtStart { .. }
            | W::NotAChunk { .. }
            | W::Rf64SizedChunk { .. }
            | W::ImpossibleBox { .. }
            | W::TooManyFragments
            | W::PartialFrame { .. } => C::SkippedJunk,
            W::DamagedFrame { .. }
            | W::Md5Mismatch { .. }
            | W::SkippedDamagedData { .. }
            | W::UndecodablePacket { .. }
            | W::ChannelCountChanged { .. } => C::Damaged,
            W::ChainedStream | W::BlockAlignMismatch { .. } | W::FlacRuleBroken { .. } => C::Format,
            W::TagsNotWritten { .. } => C::Tags,
            W::CannotDecode { .. } | W::FmtDisagrees { .. } => C::Format,
            W::OutputNotMeasured { .. } => C::More,
            W::MoreOfTheSame { .. } => C::More,
        }
    }
}

/// JSON carries the sentence, as `coremusic info` prints it.
impl serde::Serialize for Warning {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_read_well() {
        assert_eq!(clock_s(169022.694), "46:57:02.694");
        assert_eq!(clock_s(4.0), "0:04.000");
        assert_eq!(clock_tenths(4.04), "0:04.0");
        assert_eq!(clock_tenths(3725.0), "1:02:05.0");
        assert_eq!(Span { frames: 44_100, rate: 44_100.0 }.to_string(), "44100 frames (0:01.000)");
    }

    #[test]
    fn warnings_read_as_before_and_serialize_as_their_sentence() {
        let w = Warning::FewerFramesThanHeader { claimed: 10, present: 4 };
        assert_eq!(w.to_string(), "the header promises 10 frames but only 4 are in the file");
        assert_eq!(w.class(), WarningClass::Truncated);
        assert_eq!(serde_json::to_string(&w).unwrap(), format!("\"{w}\""));
        let m = Warning::Md5Mismatch { got: [0xab; 16], want: [0; 16] };
        assert_eq!(
            m.to_string(),
            format!(
                "damaged: MD5 mismatch (the decoded audio hashes to {}, STREAMINFO says {})",
                "ab".repeat(16),
                "00".repeat(16)
            )
        );
        assert_eq!(
            Warning::MoreOfTheSame { count: 3, and: true }.to_string(),
            "… and 3 more problems of the same kind"
        );
        assert_eq!(Warning::MoreOfTheSame { count: 3, and: false }.to_string(), "3 more problems of the same kind");
    }
}
