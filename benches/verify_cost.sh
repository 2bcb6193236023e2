#!/usr/bin/env bash
# What `convert --verify` costs: 8 WAV files (16-bit stereo 44.1 kHz, 60 s
# of music-like audio each, 10.6 MB) converted to FLAC on every core, with
# and without --verify (each output decoded again and hashed against the
# samples written), and the same into WAV; and the cost of --normalize (a
# measuring pass decoding each file once before converting it). Release build without the
# window; best of BEST (default 5) wall times, process start included. The
# issue's budget: verification of a lossless batch costs at most 40 % more
# wall time. Usage: [BEST=N] bash benches/verify_cost.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${TMPDIR:-/tmp}/coremusic-verify-bench; mkdir -p "$dir/in"
cm=${1:-}
if [ -z "$cm" ]; then
  cargo build --release -q --no-default-features
  cm=${CARGO_TARGET_DIR:-$PWD/target}/release/coremusic
fi
for i in 1 2 3 4 5 6 7 8; do
  f=$dir/in/track$i.wav
  [ -s "$f" ] && continue
  ffmpeg -v error -f lavfi -i "sine=f=$((110 * i)):d=60" -f lavfi -i "anoisesrc=d=60:c=pink:a=0.08:seed=$i" \
    -filter_complex "amix=inputs=2,volume=0.8" -ac 2 -ar 44100 -c:a pcm_s16le "$f"
done
best() { local b=999999 t0 t1 t; for _ in $(seq "${BEST:-5}"); do rm -rf "$dir/out"; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
  t=$(echo "$t1 - $t0" | bc -l); (( $(echo "$t < $b" | bc -l) )) && b=$t; done; printf '%.3f' "$b"; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "| job | without --verify | with --verify | cost |"
echo "|---|---|---|---|"
for fmt in flac wav; do
  plain=$(best "$cm" convert "$dir/in" -o "$dir/out" -f $fmt)
  checked=$(best "$cm" convert "$dir/in" -o "$dir/out" -f $fmt --verify)
  echo "| 8 × 60 s WAV → $fmt | $plain s | $checked s | +$(printf %.0f "$(echo "scale=4; ($checked / $plain - 1) * 100" | bc)") % |"
done
plain=$(best "$cm" convert "$dir/in" -o "$dir/out" -f flac)
normed=$(best "$cm" convert "$dir/in" -o "$dir/out" -f flac --normalize -16)
echo "| 8 × 60 s WAV → flac, --normalize -16 (measuring pass) | $plain s | $normed s | +$(printf %.0f "$(echo "scale=4; ($normed / $plain - 1) * 100" | bc)") % |"
rm -rf "$dir/out"
