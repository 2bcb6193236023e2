#!/usr/bin/env bash
# Loudness analysis speed: `coremusic info --loudness` (EBU R128 integrated,
# range, true peak, sample peak, DC, clipping) next to ffmpeg's ebur128
# filter with true peak, on a 100 MB 16-bit stereo 44.1 kHz WAV of
# music-like audio. Also coremusic on one thread (RAYON_NUM_THREADS=1: the
# loudness and true-peak halves of each chunk run one after the other) and
# plain `info` (headers only) for scale. Best of 3 wall times, process start
# included; MB/s of WAV file. Prints a Markdown table and both tools' figures.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${TMPDIR:-/tmp}/coremusic-loudness-bench; mkdir -p "$dir"
cargo build --release -q --no-default-features
cm=$PWD/target/release/coremusic
[ -n "${CARGO_TARGET_DIR:-}" ] && cm=$CARGO_TARGET_DIR/release/coremusic
src=$dir/music-100mb.wav
if [ ! -s "$src" ]; then
  if command -v sox >/dev/null; then
    sox -n -r 44100 -b 16 -c 2 "$dir/a.wav" synth 594 pluck 220 pluck 330 vol 0.4 2>/dev/null
    sox -n -r 44100 -b 16 -c 2 "$dir/n.wav" synth 594 pinknoise vol 0.05
    sox -m "$dir/a.wav" "$dir/n.wav" "$src"; rm -f "$dir/a.wav" "$dir/n.wav"
  else
    ffmpeg -v error -f lavfi -i "sine=f=220:d=594" -f lavfi -i "anoisesrc=d=594:a=0.05" \
      -filter_complex amix=inputs=2 -ac 2 -ar 44100 -c:a pcm_s16le "$src"
  fi
fi
mb=$(echo "scale=2; $(stat -c %s "$src") / 1000000" | bc)
best() { local b=999999 t0 t1 t; for _ in 1 2 3; do t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
  t=$(echo "$t1 - $t0" | bc -l); (( $(echo "$t < $b" | bc -l) )) && b=$t; done; printf '%.3f' "$b"; }
row() { echo "| $1 | $2 s | $(echo "scale=0; $mb / $2" | bc) MB/s |"; }
echo "file: $src ($mb MB)"
echo "| job | time | speed |"
echo "|---|---|---|"
row "coremusic info --loudness (2 threads)" "$(best "$cm" info --loudness "$src")"
row "coremusic info --loudness, RAYON_NUM_THREADS=1" "$(best env RAYON_NUM_THREADS=1 "$cm" info --loudness "$src")"
row "coremusic info (headers only)" "$(best "$cm" info "$src")"
if command -v ffmpeg >/dev/null; then
  row "ffmpeg ebur128=peak=true" "$(best ffmpeg -nostats -i "$src" -filter_complex ebur128=peak=true -f null -)"
  row "ffmpeg ebur128 (no true peak)" "$(best ffmpeg -nostats -i "$src" -filter_complex ebur128 -f null -)"
  echo; echo "ffmpeg:"; ffmpeg -nostats -i "$src" -filter_complex ebur128=peak=true -f null - 2>&1 |
    grep -E '^ +(I|LRA|Peak):'
fi
echo; echo "coremusic:"; "$cm" info --loudness "$src" | grep -E 'Loudness|peak'
