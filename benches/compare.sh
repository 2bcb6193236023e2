#!/usr/bin/env bash
# Decode throughput of CoreMusic next to ffmpeg and `cat`, in one run, from the
# page cache. Makes a 10 MB and a 100 MB 16-bit stereo WAV (with sox or ffmpeg),
# then reports the best of 5 runs of each decoder, in MB/s of the WAV file.
#
#   bash benches/compare.sh            # prints a Markdown table
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${TMPDIR:-/tmp}/coremusic-compare; mkdir -p "$dir"
cargo build --release --example decode -q
bin=target/release/examples/decode

make_wav() { # seconds file
  [ -s "$2" ] && return
  if command -v sox >/dev/null; then
    sox -n -r 44100 -b 16 -c 2 "$2" synth "$1" sine 440 sine 660 vol 0.5
  else
    ffmpeg -v error -f lavfi -i "sine=f=440:d=$1" -ac 2 -ar 44100 -c:a pcm_s16le "$2"
  fi
}
best() { # command... → best seconds of 5
  local b=999999 t0 t1 t
  for _ in 1 2 3 4 5; do
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    t=$(echo "$t1 - $t0" | bc -l); (( $(echo "$t < $b" | bc -l) )) && b=$t
  done
  echo "$b"
}
printf '| file | coremusic MB/s | ffmpeg -f f32le MB/s | cat MB/s | coremusic ÷ ffmpeg | coremusic ÷ cat |\n|---|---|---|---|---|---|\n'
for spec in "10MB:59.4" "100MB:594.4"; do
  name=${spec%%:*}; secs=${spec##*:}; f="$dir/s16-stereo-$name.wav"
  make_wav "$secs" "$f"; cat "$f" >/dev/null
  size=$(stat -c %s "$f")
  t_cm=$(best "$bin" "$f")
  t_cat=$(best cat "$f")
  if command -v ffmpeg >/dev/null; then
    t_ff=$(best ffmpeg -v error -i "$f" -f f32le -y /dev/null)
    ff=$(echo "$size / $t_ff / 1000000" | bc -l); ratio=$(echo "$t_ff / $t_cm" | bc -l)
  else ff=nan; ratio=nan; fi
  printf '| %s | %.0f | %.0f | %.0f | %.1f× | %.0f%% |\n' "$name" \
    "$(echo "$size / $t_cm / 1000000" | bc -l)" "$ff" "$(echo "$size / $t_cat / 1000000" | bc -l)" \
    "$ratio" "$(echo "100 * $t_cat / $t_cm" | bc -l)"
done
