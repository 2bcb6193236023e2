#!/usr/bin/env bash
# `coremusic info` on 1,000 files: makes 1,000 short WAV/AIFF/FLAC files and
# times `coremusic info --json` over all of them (goal: under 1 s on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
dir=${TMPDIR:-/tmp}/coremusic-info1000; mkdir -p "$dir"
if [ ! -s "$dir/0999.wav" ]; then
  command -v sox >/dev/null || { echo "needs sox to make the files" >&2; exit 2; }
  sox -n -r 44100 -b 16 -c 2 "$dir/seed.wav" synth 2 sine 440
  for i in $(seq -w 0 999); do
    case $((10#$i % 3)) in
      0) cp "$dir/seed.wav" "$dir/$i.wav" ;;
      1) sox "$dir/seed.wav" "$dir/$i.aiff" ;;
      2) sox "$dir/seed.wav" "$dir/$i.flac" ;;
    esac
  done
  for i in $(seq -w 0 999); do [ -e "$dir/$i.wav" ] || ln -sf "$(ls "$dir/$i".* | head -1)" "$dir/$i.wav"; done
fi
files=("$dir"/[0-9][0-9][0-9].wav)
echo "files: ${#files[@]}"
for _ in 1 2 3; do
  /usr/bin/time -f "%e s wall, %M KB max RSS" target/release/coremusic info --json "${files[@]}" >/dev/null
done
