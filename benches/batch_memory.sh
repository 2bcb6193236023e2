#!/usr/bin/env bash
# Peak memory of a batch conversion against the number of inputs: 10, 100 and
# 1,000 generated WAV files (2 s, 16-bit stereo 44.1 kHz, 345 KB each) to FLAC
# with 2 workers. Memory should not grow with the number of inputs (only as
# many files are open as there are workers). Prints inputs, wall time and peak
# RSS (GNU time's %M).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${TMPDIR:-/tmp}/coremusic-batch-memory; mkdir -p "$dir"
cargo build --release -q ${CARGO_FLAGS:-}
cm=${CARGO_TARGET_DIR:-$PWD/target}/release/coremusic
if [ ! -s "$dir/in1000/999.wav" ]; then
  python3 - "$dir" <<'PY'
import os, random, struct, sys, wave
d = sys.argv[1]
rnd = random.Random(7)
block = b"".join(struct.pack("<hh", rnd.randint(-9000, 9000), rnd.randint(-9000, 9000)) for _ in range(88200))
for n in (10, 100, 1000):
    os.makedirs(f"{d}/in{n}", exist_ok=True)
    for i in range(n):
        with wave.open(f"{d}/in{n}/{i}.wav", "wb") as w:
            w.setnchannels(2); w.setsampwidth(2); w.setframerate(44100); w.writeframes(block)
PY
fi
echo "| inputs | wall | peak RSS |"
echo "|---|---|---|"
for n in 10 100 1000; do
  rm -rf "$dir/out$n"
  /usr/bin/time -f "%e %M" -o "$dir/time$n" "$cm" convert "$dir/in$n" -o "$dir/out$n" -f flac -j 2 >/dev/null 2>&1
  read -r wall kb <"$dir/time$n"
  echo "| $n | ${wall} s | $((kb / 1024)) MB |"
done
