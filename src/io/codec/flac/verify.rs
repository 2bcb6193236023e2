//! The decoder's check of STREAMINFO's MD5 signature (what `flac -t` does):
//! every decoded block is packed as libFLAC hashes it — interleaved,
//! little-endian, (bits + 7) / 8 bytes a sample — and hashed on a thread of
//! its own, so the check costs the decoding thread only the packing.
//!
//! The packed bytes travel in a small pool of fixed buffers (no allocation
//! once the check has started); when no thread can be started, or the
//! machine has one core, the hashing happens inline.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use super::md5::Md5;

/// Bytes per buffer handed to the hashing thread.
const BUF: usize = 1 << 20;
/// Buffers in flight (one being filled, the rest queued or being hashed).
const POOL: usize = 3;

struct Worker {
    tx: SyncSender<(Vec<u8>, usize)>,
    back: Receiver<Vec<u8>>,
    handle: JoinHandle<[u8; 16]>,
}

/// A running MD5 of decoded audio.
pub(crate) struct Md5Check {
    /// Bytes per sample: (bits + 7) / 8.
    bytes: usize,
    buf: Vec<u8>,
    fill: usize,
    worker: Option<Worker>,
    inline: Md5,
}

impl Md5Check {
    /// Starts a check for samples of `bits` bits.
    pub(crate) fn new(bits: u32) -> Md5Check {
        let bytes = bits.div_ceil(8).clamp(1, 4) as usize;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let worker = if threads > 1 { Self::spawn() } else { None };
        Md5Check { bytes, buf: vec![0; BUF], fill: 0, worker, inline: Md5::new() }
    }

    fn spawn() -> Option<Worker> {
        let (tx, rx) = sync_channel::<(Vec<u8>, usize)>(POOL);
        let (back_tx, back) = sync_channel::<Vec<u8>>(POOL);
        for _ in 1..POOL {
            back_tx.send(vec![0; BUF]).ok()?;
        }
        let handle = std::thread::Builder::new()
            .name("coremusic-flac-md5".into())
            .spawn(move || {
                let mut md5 = Md5::new();
                while let Ok((b, n)) = rx.recv() {
                    md5.update(&b[..n.min(b.len())]);
                    // The decoder may have finished and gone; then the buffer is dropped.
                    let _ = back_tx.try_send(b);
                }
                md5.finish()
            })
            .ok()?;
        Some(Worker { tx, back, handle })
    }

    /// Hashes `frames` frames of the per-channel blocks `chans`.
    pub(crate) fn feed(&mut self, chans: &[Vec<i32>], frames: usize) {
        let ch = chans.len();
        let frame_bytes = ch * self.bytes;
        if frame_bytes == 0 {
            return;
        }
        let mut done = 0;
        while done < frames {
            let room = (self.buf.len() - self.fill) / frame_bytes;
            if room == 0 {
                self.flush();
                continue;
            }
            let n = room.min(frames - done);
            let out = &mut self.buf[self.fill..self.fill + n * frame_bytes];
            pack(out, chans, done, n, self.bytes);
            self.fill += n * frame_bytes;
            done += n;
        }
    }

    /// Sends the filled buffer to be hashed and takes an empty one.
    fn flush(&mut self) {
        if self.fill == 0 {
            return;
        }
        if let Some(w) = &self.worker {
            if let Ok(next) = w.back.recv() {
                let full = std::mem::replace(&mut self.buf, next);
                if w.tx.send((full, self.fill)).is_ok() {
                    self.fill = 0;
                    return;
                }
            }
            // The thread is gone (it cannot be, short of a panic): hash inline from here on.
            // What it had hashed is lost, so the digest will not match; never wrongly "intact".
            self.worker = None;
            self.inline.update(b"lost");
        }
        self.inline.update(&self.buf[..self.fill]);
        self.fill = 0;
    }

    /// The digest of everything fed.
    pub(crate) fn finish(mut self) -> [u8; 16] {
        match self.worker.take() {
            Some(w) => {
                let last = std::mem::take(&mut self.buf);
                let sent = w.tx.send((last, self.fill)).is_ok();
                drop(w.tx);
                match w.handle.join() {
                    Ok(d) if sent => d,
                    _ => [0; 16],
                }
            }
            None => {
                self.inline.update(&self.buf[..self.fill]);
                self.inline.finish()
            }
        }
    }
}

/// Packs frames `from..from + n` of `chans` into `out`, interleaved,
/// little-endian, `bytes` bytes a sample.
fn pack(out: &mut [u8], chans: &[Vec<i32>], from: usize, n: usize, bytes: usize) {
    let ch = chans.len();
    match (ch, bytes) {
        (2, 2) => {
            let (l, r) = (&chans[0][from..from + n], &chans[1][from..from + n]);
            // One 32-bit word a frame (vectorises, unlike byte-wise stores).
            for ((o, a), b) in out.chunks_exact_mut(4).zip(l).zip(r) {
                let w = (*a as u32 & 0xFFFF) | ((*b as u32) << 16);
                o.copy_from_slice(&w.to_le_bytes());
            }
        }
        (2, 3) => {
            let (l, r) = (&chans[0][from..from + n], &chans[1][from..from + n]);
            for ((o, a), b) in out.chunks_exact_mut(6).zip(l).zip(r) {
                let [a0, a1, a2, _] = a.to_le_bytes();
                let [b0, b1, b2, _] = b.to_le_bytes();
                o.copy_from_slice(&[a0, a1, a2, b0, b1, b2]);
            }
        }
        (1, _) => {
            for (o, v) in out.chunks_exact_mut(bytes).zip(&chans[0][from..from + n]) {
                o.copy_from_slice(&v.to_le_bytes()[..bytes]);
            }
        }
        _ => {
            let fb = ch * bytes;
            for (c, src) in chans.iter().enumerate() {
                let off = c * bytes;
                for (o, v) in out.chunks_exact_mut(fb).zip(&src[from..from + n]) {
                    o[off..off + bytes].copy_from_slice(&v.to_le_bytes()[..bytes]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Threaded, inline and split feeds give the digest of the packed bytes.
    #[test]
    fn digest_matches_packed_bytes() {
        for (ch, bits) in [(2usize, 16u32), (2, 24), (1, 8), (3, 20), (8, 32), (2, 12)] {
            let frames = 300_000;
            let chans: Vec<Vec<i32>> = (0..ch)
                .map(|c| (0..frames).map(|i| ((i as i64 * 7919 + c as i64 * 31) % 60000 - 30000) as i32).collect())
                .collect();
            let bytes = bits.div_ceil(8) as usize;
            let mut packed = Vec::new();
            for i in 0..frames {
                for chan in &chans {
                    packed.extend_from_slice(&chan[i].to_le_bytes()[..bytes]);
                }
            }
            let mut want = Md5::new();
            want.update(&packed);
            let want = want.finish();
            let mut check = Md5Check::new(bits);
            let mut at = 0;
            for step in [1usize, 4096, 65536, 100_000, 77].iter().cycle() {
                if at >= frames {
                    break;
                }
                let n = (*step).min(frames - at);
                let part: Vec<Vec<i32>> = chans.iter().map(|c| c[at..at + n].to_vec()).collect();
                check.feed(&part, n);
                at += n;
            }
            assert_eq!(check.finish(), want, "{ch} channels, {bits} bits");
            let mut inline = Md5Check { worker: None, ..Md5Check::new(bits) };
            inline.feed(&chans, frames);
            assert_eq!(inline.finish(), want, "inline {ch} channels, {bits} bits");
        }
    }
}
