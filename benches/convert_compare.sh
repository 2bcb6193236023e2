#!/usr/bin/env bash
# Conversion speed of `coremusic convert` next to ffmpeg (soxr), sox and flac,
# in one run, on a 100 MB 16-bit stereo 44.1 kHz WAV of music-like audio:
#   - resample 44.1 → 48 kHz, WAV → WAV
#   - FLAC encode (size and time against `flac -5`)
#   - a batch of 40 × 10 MB files to FLAC with 1 and 2 workers
# Best of N wall times (N=${RUNS:-3}). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${TMPDIR:-/tmp}/coremusic-convert-bench; mkdir -p "$dir"
# CARGO_FLAGS (e.g. --no-default-features: the CLI is the same without the window).
cargo build --release -q ${CARGO_FLAGS:-}
cm=${CARGO_TARGET_DIR:-$PWD/target}/release/coremusic
src=$dir/music-100mb.wav
if [ ! -s "$src" ]; then
  sox -n -r 44100 -b 16 -c 2 "$dir/a.wav" synth 594 pluck 220 pluck 330 vol 0.4 2>/dev/null ||
    ffmpeg -v error -f lavfi -i "sine=f=220:d=594" -ac 2 -c:a pcm_s16le "$dir/a.wav"
  sox -n -r 44100 -b 16 -c 2 "$dir/n.wav" synth 594 pinknoise vol 0.05
  sox -m "$dir/a.wav" "$dir/n.wav" "$src"; rm -f "$dir/a.wav" "$dir/n.wav"
fi
best() { local b=999999 t0 t1 t; for _ in $(seq "${RUNS:-3}"); do t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
  t=$(echo "$t1 - $t0" | bc -l); (( $(echo "$t < $b" | bc -l) )) && b=$t; done; printf '%.3f' "$b"; }
echo "| job | coremusic | peer | peer time | ratio |"
echo "|---|---|---|---|---|"
t_cm=$(best "$cm" convert "$src" -o "$dir/cm48.wav" --rate 48000 --overwrite)
if command -v ffmpeg >/dev/null; then
  t_ff=$(best ffmpeg -v error -y -i "$src" -af aresample=48000:resampler=soxr "$dir/ff48.wav")
  echo "| resample 44.1→48 kHz WAV→WAV | ${t_cm} s | ffmpeg soxr | ${t_ff} s | $(echo "scale=2; $t_cm / $t_ff" | bc)× |"
fi
if command -v sox >/dev/null; then
  t_sx=$(best sox "$src" "$dir/sx48.wav" rate -v 48000)
  echo "| resample 44.1→48 kHz WAV→WAV | ${t_cm} s | sox rate -v | ${t_sx} s | $(echo "scale=2; $t_cm / $t_sx" | bc)× |"
fi
t_cf=$(best "$cm" convert "$src" -o "$dir/cm.flac" --overwrite)
if command -v flac >/dev/null; then
  t_fl=$(best flac -5 -f -s -o "$dir/fl.flac" "$src")
  s_cm=$(stat -c %s "$dir/cm.flac"); s_fl=$(stat -c %s "$dir/fl.flac")
  echo "| FLAC encode | ${t_cf} s, ${s_cm} B | flac -5 | ${t_fl} s, ${s_fl} B | time $(echo "scale=2; $t_cf / $t_fl" | bc)×, size $(echo "scale=4; $s_cm / $s_fl" | bc)× |"
fi
mkdir -p "$dir/batch"
if [ ! -s "$dir/batch/39.wav" ]; then
  for i in $(seq 0 39); do sox "$src" "$dir/batch/$i.wav" trim $((i % 5 * 10)) 59.4; done
fi
t_j1=$(best bash -c "rm -rf '$dir/b1'; '$cm' convert '$dir/batch' -o '$dir/b1' -f flac -j 1")
t_j2=$(best bash -c "rm -rf '$dir/b2'; '$cm' convert '$dir/batch' -o '$dir/b2' -f flac -j 2")
echo "| batch 40 × 10 MB → FLAC | -j 2: ${t_j2} s | -j 1 | ${t_j1} s | speed-up $(echo "scale=2; $t_j1 / $t_j2" | bc)× |"
