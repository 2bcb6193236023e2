#!/usr/bin/env bash
# Lossy encoding speed and size of `coremusic convert` next to ffmpeg's
# libmp3lame and libopus at equal settings, in one run, on a 5-minute 16-bit
# stereo 44.1 kHz WAV of music-like audio (plucked strings and pink noise):
#   - MP3 VBR V2      (coremusic --quality V2   | ffmpeg -c:a libmp3lame -q:a 2)
#   - MP3 CBR 192     (coremusic --bitrate 192k | ffmpeg -c:a libmp3lame -b:a 192k)
#   - Opus 128 kb/s   (coremusic --bitrate 128k | ffmpeg -c:a libopus -b:a 128k), with the
#     build's encoder (libopus off macOS) and with COREMUSIC_OPUS_ENCODER=ropus
# Best of N wall times (N=${RUNS:-3}); sizes; and the frames ffmpeg decodes
# from each output next to the source's (gapless: they must be equal; Opus is
# at 48 kHz, so the source's frames × 48000/44100).
# Then a batch of 8 one-minute files to MP3 V2 with every core: wall time
# against CPU time (user + system) shows whether the cores were used.
# Prints Markdown tables.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${TMPDIR:-/tmp}/coremusic-lossy-bench; mkdir -p "$dir"
# CARGO_FLAGS (e.g. --no-default-features: the CLI is the same without the window);
# CM=BINARY measures that binary instead of building.
cm=${CM:-}
if [ -z "$cm" ]; then
  cargo build --release -q ${CARGO_FLAGS:-}
  cm=${CARGO_TARGET_DIR:-$PWD/target}/release/coremusic
fi
src=$dir/music-5min.wav
if [ ! -s "$src" ]; then
  sox -n -r 44100 -b 16 -c 2 "$dir/a.wav" synth 300 pluck 220 pluck 330 vol 0.4
  sox -n -r 44100 -b 16 -c 2 "$dir/n.wav" synth 300 pinknoise vol 0.05
  sox -m "$dir/a.wav" "$dir/n.wav" "$src"; rm -f "$dir/a.wav" "$dir/n.wav"
fi
# Best wall and best CPU (user + sys) time of N runs, as "wall cpu": on a
# shared machine the CPU time is the steadier of the two.
best() { local bw=999999 bc=999999 w u s c; for _ in $(seq "${RUNS:-3}"); do
    /usr/bin/time -f "%e %U %S" -o "$dir/t" "$@" >/dev/null 2>&1; read -r w u s < "$dir/t"; c=$(echo "$u + $s" | bc)
    (( $(echo "$w < $bw" | bc -l) )) && bw=$w; (( $(echo "$c < $bc" | bc -l) )) && bc=$c; done
  printf '%.2f %.2f' "$bw" "$bc"; }
frames() { ffmpeg -v error -i "$1" -f s16le - | wc -c | awk '{print $1 / 4}'; }
src_frames=$(frames "$src")
src48=$(echo "$src_frames * 48000 / 44100" | bc)
echo "Source: $src_frames frames (5:00 at 44.1 kHz stereo); ffmpeg $(ffmpeg -version | head -1 | cut -d' ' -f3); load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo
echo "| job | coremusic wall / CPU | ffmpeg wall / CPU | CPU ratio | size cm / ff | size ratio | frames decoded cm / ff (want) |"
echo "|---|---|---|---|---|---|---|"
row() { # name ext want cm-args... -- ff-args...
  local name=$1 ext=$2 want=$3; shift 3
  local cm_args=() ff_args=()
  while [ "$1" != "--" ]; do cm_args+=("$1"); shift; done; shift; ff_args=("$@")
  local w_cm c_cm w_ff c_ff s_cm s_ff
  read -r w_cm c_cm <<< "$(best "$cm" convert "$src" -o "$dir/cm.$ext" --overwrite "${cm_args[@]}")"
  read -r w_ff c_ff <<< "$(best ffmpeg -v error -y -i "$src" "${ff_args[@]}" "$dir/ff.$ext")"
  s_cm=$(stat -c %s "$dir/cm.$ext"); s_ff=$(stat -c %s "$dir/ff.$ext")
  echo "| $name | ${w_cm} / ${c_cm} s | ${w_ff} / ${c_ff} s | $(echo "scale=2; $c_cm / $c_ff" | bc)× | $s_cm / $s_ff B | $(echo "scale=3; $s_cm / $s_ff" | bc) | $(frames "$dir/cm.$ext") / $(frames "$dir/ff.$ext") ($want) |"
}
row "MP3 VBR V2" mp3 "$src_frames" --quality V2 -- -c:a libmp3lame -q:a 2
row "MP3 CBR 192k" mp3 "$src_frames" --bitrate 192k -- -c:a libmp3lame -b:a 192k
# (grep -c reads all of ffmpeg's list: -q would stop early and pipefail would see SIGPIPE.)
if [ "$(ffmpeg -hide_banner -encoders 2>/dev/null | grep -c ' libopus ')" -gt 0 ]; then
  row "Opus 128k VBR" opus "$src48" --bitrate 128k -- -c:a libopus -b:a 128k
  # The same through ropus (the pure-Rust encoder macOS builds use).
  COREMUSIC_OPUS_ENCODER=ropus row "Opus 128k VBR, ropus" opus "$src48" --bitrate 128k -- -c:a libopus -b:a 128k
fi
echo
mkdir -p "$dir/batch"
if [ ! -s "$dir/batch/7.wav" ]; then
  for i in $(seq 0 7); do sox "$src" "$dir/batch/$i.wav" trim $((i * 30)) 60; done
fi
echo "| batch 8 × 1 min → MP3 V2 | wall | CPU (user + sys) | CPU / wall | cores |"
echo "|---|---|---|---|---|"
for j in 1 0; do
  rm -rf "$dir/b"
  /usr/bin/time -f "%e %U %S" -o "$dir/time" "$cm" convert "$dir/batch" -o "$dir/b" -f mp3 --quality V2 -j "$j" >/dev/null 2>&1
  read -r wall user sys < "$dir/time"
  cpu=$(echo "$user + $sys" | bc)
  label=$([ "$j" = 0 ] && echo "all cores (-j 0)" || echo "-j 1")
  echo "| $label | ${wall} s | ${cpu} s | $(echo "scale=2; $cpu / $wall" | bc) | $(nproc) |"
done
