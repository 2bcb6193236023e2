#!/usr/bin/env bash
# FLAC decoding with the MD5 check: `coremusic convert x.flac -o x.wav` next
# to `flac -d -f -o x.wav x.flac` (which checks the MD5 too), in one run, on
# a 600 s 16-bit stereo 44.1 kHz music-like file (plucked tones over pink
# noise, sox) encoded by `flac -5`. Best of N (N=${RUNS:-5}) wall times, and
# the least CPU (user + system, all threads) of the runs, because on a
# shared machine the wall time measures the other users. Prints Markdown.
#   CARGO_FLAGS=--no-default-features bash benches/flac_decode.sh
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${TMPDIR:-/tmp}/coremusic-flac-bench; mkdir -p "$dir"
cargo build --release -q ${CARGO_FLAGS:-}
cm=${CARGO_TARGET_DIR:-$PWD/target}/release/coremusic
src=$dir/music.flac
if [ ! -s "$src" ]; then
  sox -n -r 44100 -b 16 -c 2 "$dir/a.wav" synth 600 pluck 220 pluck 330 vol 0.4 2>/dev/null
  sox -n -r 44100 -b 16 -c 2 "$dir/n.wav" synth 600 pinknoise vol 0.05
  sox -m "$dir/a.wav" "$dir/n.wav" "$dir/music.wav"; rm -f "$dir/a.wav" "$dir/n.wav"
  flac -5 -s -f -o "$src" "$dir/music.wav"; rm -f "$dir/music.wav"
fi
measure() { # label command... → "best-wall min-cpu"
  local bw=999 bc=999 line w c
  for _ in $(seq "${RUNS:-5}"); do
    /usr/bin/time -o "$dir/time.txt" -f "%e %U %S" "$@" >/dev/null 2>&1
    line=$(tail -1 "$dir/time.txt")
    w=$(echo "$line" | cut -d' ' -f1); c=$(echo "$line" | awk '{print $2 + $3}')
    (( $(echo "$w < $bw" | bc -l) )) && bw=$w; (( $(echo "$c < $bc" | bc -l) )) && bc=$c
  done
  echo "$bw $bc"
}
read -r cw cc < <(measure "$cm" convert "$src" -o "$dir/cm.wav" --overwrite)
read -r fw fc < <(measure flac -d -f -s -o "$dir/fl.wav" "$src")
cmp -s <(tail -c 100000000 "$dir/cm.wav") <(tail -c 100000000 "$dir/fl.wav") || echo "warning: outputs differ" >&2
echo "| decode $(stat -c %s "$src") B flac -5 → WAV, MD5 checked | coremusic | flac -d | ratio |"
echo "|---|---|---|---|"
echo "| best wall | ${cw} s | ${fw} s | $(echo "scale=2; $cw / $fw" | bc)× |"
echo "| least CPU (user + sys) | ${cc} s | ${fc} s | $(echo "scale=2; $cc / $fc" | bc)× |"
