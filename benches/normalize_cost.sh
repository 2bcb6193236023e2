#!/usr/bin/env bash
# What `convert --normalize` costs on one long file: a 10-minute 16-bit
# stereo 44.1 kHz WAV (a sine in pink noise, 106 MB) to FLAC, without and
# with `--normalize -14` (a measuring pass over the input, the conversion,
# then the output measured again for the "after" figure). Release build
# without the window; best of 3 wall times and the user CPU time of one run
# (the wall time on a shared machine says little). Usage:
#   bash benches/normalize_cost.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${TMPDIR:-/tmp}/coremusic-normalize-bench; mkdir -p "$dir"
cm=${1:-}
if [ -z "$cm" ]; then
  cargo build --release -q --no-default-features
  cm=${CARGO_TARGET_DIR:-$PWD/target}/release/coremusic
fi
in=$dir/ten.wav out=$dir/out.flac
[ -s "$in" ] || ffmpeg -v error -f lavfi -i "sine=f=440:d=600" -f lavfi -i "anoisesrc=d=600:c=pink:a=0.08:seed=3" \
  -filter_complex "amix=inputs=2,volume=0.8" -ac 2 -ar 44100 -c:a pcm_s16le "$in"
best() { local b=999999 t0 t1 t; for _ in 1 2 3; do rm -f "$out"; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
  t=$(echo "$t1 - $t0" | bc -l); (( $(echo "$t < $b" | bc -l) )) && b=$t; done; printf '%.2f' "$b"; }
user() { rm -f "$out"; /usr/bin/time -f %U "$@" 2>&1 >/dev/null | tail -1; }
echo "| job | wall (best of 3) | user CPU |"
echo "|---|---|---|"
echo "| 10 min WAV → FLAC | $(best "$cm" convert "$in" -o "$out") s | $(user "$cm" convert "$in" -o "$out") s |"
echo "| same, --normalize -14 | $(best "$cm" convert "$in" -o "$out" --normalize -14) s | $(user "$cm" convert "$in" -o "$out" --normalize -14) s |"
echo "| info --loudness (the meter alone) | $(best "$cm" info --loudness "$in") s | $(user "$cm" info --loudness "$in") s |"
rm -f "$out"
