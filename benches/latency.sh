#!/usr/bin/env bash
# latency.sh — real-time headroom of the engine's callback path on the simulated device.
#
# usage: benches/latency.sh [SECONDS]   (default 60)
#
# Runs `coremusic latency --device sim --buffer 32 --rate 48000 --seconds S --json`
# twice: on a quiet machine, then while another process decodes and encodes
# (`coremusic convert` of a 5-minute generated WAV to FLAC, in a loop). Prints
# xruns and p99 callback load for both. Goal: 0 xruns and p99 load < 10 % of
# the 667 µs period with the background load.
# The simulated device sleeps, then spins, to each deadline on an ordinary
# thread (no real-time priority is available without another crate), so a
# late wake-up by the scheduler is counted as an xrun, as a device would.
set -euo pipefail
secs=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
cargo build --quiet --release --no-default-features --manifest-path "$root/Cargo.toml"
bin=$CARGO_TARGET_DIR/release/coremusic
work=$(mktemp -d)
bg=""
cleanup() {
  if [ -n "$bg" ]; then
    touch "$work/stop"
    kill "$bg" 2>/dev/null || true
    wait "$bg" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

python3 - "$work/big.wav" <<'PY'
import random, struct, sys, wave
rate, secs = 44100, 300
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(2); w.setsampwidth(2); w.setframerate(rate)
    rnd = random.Random(1)
    block = b"".join(struct.pack("<hh", rnd.randint(-8000, 8000), rnd.randint(-8000, 8000)) for _ in range(rate))
    for _ in range(secs):
        w.writeframes(block)
PY

summary() {
  python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); print(f"{sys.argv[1]:<12} callbacks {r[\"callbacks\"]:>8}  xruns {r[\"xruns\"]:>4}  callback p50 {r[\"callback_us\"][\"p50\"]:.1} us  p99 {r[\"callback_us\"][\"p99\"]:.1} us  max {r[\"callback_us\"][\"max\"]:.1} us  load p99 {100*r[\"load_p99\"]:.2}%  jitter max {r[\"jitter_us\"][\"max\"]:.0} us")' "$1"
}

run() { "$bin" latency --device sim --buffer 32 --rate 48000 --seconds "$secs" --json; }

quiet=$(run)
( while [ ! -e "$work/stop" ]; do "$bin" convert "$work/big.wav" -o "$work/out.flac" --overwrite >/dev/null 2>&1 || true; done ) &
bg=$!
sleep 1
loaded=$(run)

echo "$quiet" | summary quiet
echo "$loaded" | summary "with convert"
echo "$loaded" | python3 -c 'import json,sys; r=json.load(sys.stdin); ok = r["xruns"] == 0 and r["load_p99"] < 0.10; print("goal (0 xruns, p99 load < 10%):", "met" if ok else "NOT met")'
