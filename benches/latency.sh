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
# The simulated device sleeps, then spins, to each deadline; a late wake-up by
# the scheduler is counted as an xrun, as a device would. The run uses
# SCHED_FIFO through chrt when permitted (RT=0 turns that off).
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

cat > "$work/summary.py" <<'PY'
import json, sys
r = json.loads(sys.stdin.read())
c = r["callback_us"]
print(f"{sys.argv[1]:<13} callbacks {r['callbacks']:>8}  xruns {r['xruns']:>4}  callback p50 {c['p50']:.1f} us"
      f"  p99 {c['p99']:.1f} us  max {c['max']:.1f} us  load p99 {100 * r['load_p99']:.2f}%"
      f"  jitter max {r['jitter_us']['max']:.0f} us")
PY
summary() { python3 "$work/summary.py" "$1"; }

# A sound card's callback thread runs at real-time priority; give the simulated
# device the same with chrt when allowed (RT=0 to measure without it).
rt=()
if [ "${RT:-1}" = 1 ] && command -v chrt >/dev/null && chrt -f 50 true 2>/dev/null; then rt=(chrt -f 50); fi
echo "priority: ${rt[*]:-normal (no chrt or not permitted)}"
run() { "${rt[@]}" "$bin" latency --device sim --buffer 32 --rate 48000 --seconds "$secs" --json; }

quiet=$(run)
( while [ ! -e "$work/stop" ]; do "$bin" convert "$work/big.wav" -o "$work/out.flac" --overwrite >/dev/null 2>&1 || true; done ) &
bg=$!
sleep 1
loaded=$(run)

echo "$quiet" | summary quiet
echo "$loaded" | summary "with convert"
echo "$loaded" | python3 -c 'import json,sys; r=json.load(sys.stdin); ok = r["xruns"] == 0 and r["load_p99"] < 0.10; print("goal (0 xruns, p99 load < 10%):", "met" if ok else "NOT met")'
