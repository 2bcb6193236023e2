//! The sample table of one track: where each sample is, how big, and when,
//! from `stsz`/`stz2`, `stsc`, `stco`/`co64` and `stts`, extended by the
//! fragments of a fragmented file (`moof`/`traf`/`trun`). Every count is
//! capped by what its box can hold before anything is allocated.

use super::*;

/// A run of samples stored back to back (a chunk, or a `trun`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Run {
    pub(super) offset: u64,
    pub(super) first: u64,
}

/// A run of samples with the same duration.
#[derive(Debug, Clone, Copy)]
pub(super) struct TimeRun {
    pub(super) first: u64,
    pub(super) start: u64,
    pub(super) count: u64,
    pub(super) delta: u32,
}

/// Where every sample of a track is and when it plays.
#[derive(Debug, Default, Clone)]
pub(crate) struct SampleTable {
    pub(super) sizes: Vec<u32>,
    pub(super) runs: Vec<Run>,
    pub(super) times: Vec<TimeRun>,
}

impl SampleTable {
    /// Samples in the table.
    pub(crate) fn len(&self) -> u64 {
        self.sizes.len() as u64
    }

    pub(super) fn push_time(&mut self, delta: u32, count: u64) {
        if count == 0 {
            return;
        }
        let (first, start) = self
            .times
            .last()
            .map_or((0, 0), |t| (t.first + t.count, t.start.saturating_add(t.count.saturating_mul(t.delta as u64))));
        match self.times.last_mut() {
            Some(t) if t.delta == delta => t.count += count,
            _ => self.times.push(TimeRun { first, start, count, delta }),
        }
    }

    /// Total duration of the first `n` samples.
    pub(super) fn time_of(&self, n: u64) -> u64 {
        let i = self.times.partition_point(|t| t.first <= n).saturating_sub(1);
        match self.times.get(i) {
            Some(t) => t.start.saturating_add((n - t.first).min(t.count).saturating_mul(t.delta as u64)),
            None => 0,
        }
    }

    /// Duration of sample `n`.
    pub(super) fn delta_of(&self, n: u64) -> u32 {
        let i = self.times.partition_point(|t| t.first <= n).saturating_sub(1);
        self.times.get(i).filter(|t| n < t.first + t.count).map_or(0, |t| t.delta)
    }

    /// The sample playing at `ts` (the last one starting at or before it).
    pub(super) fn sample_at(&self, ts: u64) -> u64 {
        let i = self.times.partition_point(|t| t.start <= ts).saturating_sub(1);
        match self.times.get(i) {
            Some(t) if t.delta > 0 => {
                t.first + ((ts - t.start.min(ts)) / t.delta as u64).min(t.count.saturating_sub(1))
            }
            Some(t) => t.first,
            None => 0,
        }
    }

    /// Byte offset of sample `n`.
    pub(super) fn offset_of(&self, n: u64) -> Option<u64> {
        let i = self.runs.partition_point(|r| r.first <= n).checked_sub(1)?;
        let r = self.runs.get(i)?;
        let before: u64 = self.sizes.get(r.first as usize..n as usize)?.iter().map(|&s| s as u64).sum();
        r.offset.checked_add(before)
    }

    /// Byte offset and size of sample `n`.
    pub(crate) fn sample(&self, n: u64) -> Option<(u64, u32)> {
        Some((self.offset_of(n)?, *self.sizes.get(n as usize)?))
    }

    /// Start time of sample `n`, in timescale units.
    pub(crate) fn start_of(&self, n: u64) -> u64 {
        self.time_of(n)
    }

    /// Keeps the first `n` samples.
    pub(super) fn truncate(&mut self, n: u64) {
        self.sizes.truncate(n as usize);
        self.runs.retain(|r| r.first < n);
        self.times.retain(|t| t.first < n);
        if let Some(t) = self.times.last_mut() {
            t.count = t.count.min(n - t.first);
        }
    }

    /// Drops every sample from the first one not wholly inside `len` bytes;
    /// returns how many were kept.
    pub(crate) fn clip_to_file(&mut self, len: u64) -> u64 {
        let mut keep = self.len();
        'runs: for (i, r) in self.runs.iter().enumerate() {
            let end = self.runs.get(i + 1).map_or(self.len(), |n| n.first).min(self.len());
            let mut at = r.offset;
            for n in r.first..end {
                at = match at.checked_add(self.sizes[n as usize] as u64) {
                    Some(e) if e <= len => e,
                    _ => {
                        keep = n;
                        break 'runs;
                    }
                };
            }
        }
        self.truncate(keep);
        keep
    }
}

/// Parses a track's `stbl`. `header_duration` (the track's `mdhd`
/// duration) times the samples that `stts` leaves untimed.
pub(super) fn parse_table(
    stbl: &[u8],
    file_len: u64,
    header_duration: u64,
) -> Result<(SampleTable, (u64, u64)), String> {
    let mut t = SampleTable::default();
    // Sizes: bounded by the box bytes (a table) or by the file (a constant).
    if let Some((_, b)) = child(stbl, b"stsz").and_then(full) {
        let constant = be32(b, 0).unwrap_or(0);
        let count = be32(b, 4).unwrap_or(0) as u64;
        if constant > 0 {
            let n = count.min(file_len / constant as u64);
            t.sizes = vec![constant; n as usize];
        } else {
            let n = count.min((b.len().saturating_sub(8) / 4) as u64) as usize;
            t.sizes = (0..n).filter_map(|i| be32(b, 8 + 4 * i)).collect();
        }
    } else if let Some((_, b)) = child(stbl, b"stz2").and_then(full) {
        let field = be32(b, 0).unwrap_or(0) & 0xff;
        let count = be32(b, 4).unwrap_or(0) as u64;
        let data = b.get(8..).unwrap_or(&[]);
        let n = match field {
            4 => count.min(data.len() as u64 * 2),
            8 => count.min(data.len() as u64),
            16 => count.min(data.len() as u64 / 2),
            _ => 0,
        } as usize;
        t.sizes = (0..n)
            .filter_map(|i| match field {
                4 => data.get(i / 2).map(|&x| if i % 2 == 0 { (x >> 4) as u32 } else { (x & 15) as u32 }),
                8 => data.get(i).map(|&x| x as u32),
                _ => be16(data, 2 * i).map(u32::from),
            })
            .collect();
    }
    // Chunk offsets.
    let mut chunk_offsets: Vec<u64> = Vec::new();
    if let Some((_, b)) = child(stbl, b"stco").and_then(full) {
        let n = (be32(b, 0).unwrap_or(0) as usize).min(b.len().saturating_sub(4) / 4);
        chunk_offsets = (0..n).filter_map(|i| be32(b, 4 + 4 * i).map(u64::from)).collect();
    } else if let Some((_, b)) = child(stbl, b"co64").and_then(full) {
        let n = (be32(b, 0).unwrap_or(0) as usize).min(b.len().saturating_sub(4) / 8);
        chunk_offsets = (0..n).filter_map(|i| be64(b, 4 + 8 * i)).collect();
    }
    // Samples per chunk.
    let stsc: Vec<(u32, u32)> = match child(stbl, b"stsc").and_then(full) {
        Some((_, b)) => {
            let n = (be32(b, 0).unwrap_or(0) as usize).min(b.len().saturating_sub(4) / 12);
            (0..n).filter_map(|i| Some((be32(b, 4 + 12 * i)?, be32(b, 8 + 12 * i)?))).collect()
        }
        None => Vec::new(),
    };
    let total = t.sizes.len() as u64;
    let mut first = 0u64;
    let mut e = 0usize;
    for (c, &offset) in chunk_offsets.iter().enumerate() {
        if first >= total {
            break;
        }
        let chunk_no = c as u64 + 1;
        while e + 1 < stsc.len() && stsc[e + 1].0 as u64 <= chunk_no {
            e += 1;
        }
        let per = stsc.get(e).map_or(0, |s| s.1) as u64;
        if per == 0 {
            continue;
        }
        t.runs.push(Run { offset, first });
        first = first.saturating_add(per);
    }
    t.sizes.truncate(first.min(total) as usize);
    // Durations: runs of the `stts` box; their counts are not allocated from.
    let mut claimed = (0u64, 0u64);
    if let Some((_, b)) = child(stbl, b"stts").and_then(full) {
        let n = (be32(b, 0).unwrap_or(0) as usize).min(b.len().saturating_sub(4) / 8);
        for i in 0..n {
            let (Some(count), Some(delta)) = (be32(b, 4 + 8 * i), be32(b, 8 + 8 * i)) else { break };
            claimed.0 = claimed.0.saturating_add(count as u64);
            claimed.1 = claimed.1.saturating_add(count as u64 * delta as u64);
            t.push_time(delta, count as u64);
        }
    }
    // Samples `stts` does not time (an empty or short table): they share
    // what is left of the header's duration, else last known delta.
    let timed = t.times.last().map_or(0, |x| x.first + x.count);
    if timed < t.len() {
        let rest = t.len() - timed;
        let used = t.time_of(timed);
        let delta = match header_duration.checked_sub(used) {
            Some(left) if left >= rest => (left + rest / 2) / rest,
            _ => t.times.last().map_or(0, |x| x.delta as u64),
        };
        match u32::try_from(delta) {
            Ok(d) if d > 0 => t.push_time(d, rest),
            _ => t.truncate(timed),
        }
    }
    Ok((t, claimed))
}

/// Appends the samples of the `traf`s of `track` in one `moof` (which starts
/// at byte `moof_at` of the file).
pub(super) fn parse_moof(moof: &[u8], moof_at: u64, track: u32, trex: (u32, u32), file_len: u64, t: &mut SampleTable) {
    for (k, traf) in boxes(moof) {
        if &k != b"traf" {
            continue;
        }
        let Some((_, tfhd_flags_and_body)) = child(traf, b"tfhd").map(|b| ((), b)) else { continue };
        let flags = be32(tfhd_flags_and_body, 0).unwrap_or(0) & 0x00ff_ffff;
        let Some(tfhd) = tfhd_flags_and_body.get(4..) else { continue };
        if be32(tfhd, 0) != Some(track) {
            continue;
        }
        let mut at = 4usize;
        let mut base = moof_at;
        if flags & 0x1 != 0 {
            base = be64(tfhd, at).unwrap_or(moof_at);
            at += 8;
        }
        if flags & 0x2 != 0 {
            at += 4;
        }
        let (mut def_dur, mut def_size) = trex;
        if flags & 0x8 != 0 {
            def_dur = be32(tfhd, at).unwrap_or(def_dur);
            at += 4;
        }
        if flags & 0x10 != 0 {
            def_size = be32(tfhd, at).unwrap_or(def_size);
        }
        let mut next_data = base;
        for (k, trun) in boxes(traf) {
            if &k != b"trun" {
                continue;
            }
            let tf = be32(trun, 0).unwrap_or(0) & 0x00ff_ffff;
            let Some(count) = be32(trun, 4) else { continue };
            let mut p = 8usize;
            let mut start = next_data;
            if tf & 0x1 != 0 {
                let off = be32(trun, p).unwrap_or(0) as i32 as i64;
                start = base.checked_add_signed(off).unwrap_or(u64::MAX);
                p += 4;
            }
            if tf & 0x4 != 0 {
                p += 4;
            }
            let per = [0x100, 0x200, 0x400, 0x800].iter().filter(|&&f| tf & f != 0).count() * 4;
            // Capped by the box (per-sample fields) or by the file (defaults).
            let fits = match trun.len().saturating_sub(p).checked_div(per) {
                Some(n) => n as u64,
                None => file_len.saturating_sub(start.min(file_len)) / def_size.max(1) as u64,
            };
            let count = (count as u64).min(fits).min(1 << 24);
            let first = t.len();
            t.runs.push(Run { offset: start, first });
            let mut total = 0u64;
            for i in 0..count as usize {
                let mut q = p + i * per;
                let mut dur = def_dur;
                let mut size = def_size;
                if tf & 0x100 != 0 {
                    dur = be32(trun, q).unwrap_or(dur);
                    q += 4;
                }
                if tf & 0x200 != 0 {
                    size = be32(trun, q).unwrap_or(size);
                }
                t.sizes.push(size);
                t.push_time(dur, 1);
                total = total.saturating_add(size as u64);
            }
            next_data = start.saturating_add(total);
        }
    }
}
