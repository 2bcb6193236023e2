#!/usr/bin/env bash
# The whole-picture spectrogram of a 100 MB 16-bit stereo WAV (~10 min at
# 44.1 kHz): `coremusic spectrogram` next to `sox spectrogram`, at the same
# picture size (1200 × 513 pixels of spectrogram, FFT 1024: sox's -y 513),
# both counting every sample, best of 3 runs each, from the page cache.
# coremusic draws the mix of the channels in one picture; sox draws one
# picture per channel unless the channels are mixed first (`remix -`), so the
# fair baseline is `sox … remix - spectrogram …`; plain sox is shown too.
#
#   bash benches/spectrogram_compare.sh      # prints a Markdown table
set -euo pipefail
cd "$(dirname "$0")/.."
command -v sox >/dev/null || { echo "sox is not installed: nothing to compare with" >&2; exit 1; }
dir=${TMPDIR:-/tmp}/coremusic-spectrogram; mkdir -p "$dir"
cargo build --release -q --bin coremusic
bin=target/release/coremusic
f=$dir/s16-stereo-100MB.wav
# 594.4 s of a sweep and a tone over pink noise: 104,857,680 bytes.
[ -s "$f" ] || sox -n -r 44100 -b 16 -c 2 "$f" synth 594.4 sine 50-18000 pinknoise vol 0.4
cat "$f" >/dev/null
best() { # command... → best seconds of 3
  local b=999999 t0 t1 t
  for _ in 1 2 3; do
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    t=$(echo "$t1 - $t0" | bc -l); (( $(echo "$t < $b" | bc -l) )) && b=$t
  done
  echo "$b"
}
t_cm=$(best "$bin" spectrogram "$f" -o "$dir/coremusic.png" --size 1200x513)
t_cm1=$(RAYON_NUM_THREADS=1 best "$bin" spectrogram "$f" -o "$dir/coremusic-1core.png" --size 1200x513)
t_sox=$(best sox "$f" -n remix - spectrogram -x 1200 -y 513 -o "$dir/sox.png")
t_sox2=$(best sox "$f" -n spectrogram -x 1200 -y 513 -o "$dir/sox-2ch.png")
printf '| picture of %s (%.0f MB) | seconds | ÷ sox |\n|---|---|---|\n' "$(basename "$f")" "$(echo "$(stat -c %s "$f") / 1000000" | bc -l)"
printf '| `sox in.wav -n remix - spectrogram -x 1200 -y 513 -o sox.png` (the mix, one picture) | %.2f | 1.0× |\n' "$t_sox"
printf '| `sox in.wav -n spectrogram -x 1200 -y 513 -o sox.png` (a picture per channel) | %.2f | |\n' "$t_sox2"
printf '| `coremusic spectrogram in.wav -o cm.png --size 1200x513` (%s cores) | %.2f | %.1f× faster |\n' "$(nproc)" "$t_cm" "$(echo "$t_sox / $t_cm" | bc -l)"
printf '| the same on one core (`RAYON_NUM_THREADS=1`) | %.2f | %.1f× faster |\n' "$t_cm1" "$(echo "$t_sox / $t_cm1" | bc -l)"
echo "pictures: $dir/coremusic.png $dir/sox.png"
