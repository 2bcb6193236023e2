#!/usr/bin/env bash
# Runs fuzz targets one after another (never two at once: the machine is
# shared), each for SECONDS (default 600), at the lowest priority, with a log
# per target in LOGDIR (default fuzz/logs, git-ignored) and a summary line
# per target in LOGDIR/summary.txt (execs, cov, ft from libFuzzer's last
# status line; "crash" and the artifact when it stopped on one).
#
#   fuzz/run_all.sh                      # every target, 10 minutes each
#   SECONDS_EACH=60 fuzz/run_all.sh wav flac
set -uo pipefail
cd "$(dirname "$0")"
LOGDIR=${LOGDIR:-$PWD/logs}
EACH=${SECONDS_EACH:-600}
mkdir -p "$LOGDIR"
ALL=(adpcm wav g711 caf aiff soundfont smf flac mp3 mp4 ogg_opus alac preset tags probe_open)
TARGETS=("${@:-${ALL[@]}}")
max_len() {
  case "$1" in
    smf | preset | tags) echo 4096 ;;
    soundfont) echo 16384 ;;
    *) echo 16384 ;;
  esac
}
for t in "${TARGETS[@]}"; do
  log="$LOGDIR/$t.log"
  mkdir -p "corpus/$t"
  start=$(date -u +%FT%TZ)
  nice -n 19 cargo +nightly fuzz run "$t" "corpus/$t" -- \
    -max_total_time="$EACH" -rss_limit_mb=2048 -timeout=10 -max_len="$(max_len "$t")" \
    -print_final_stats=1 >"$log" 2>&1
  rc=$?
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
  artifact=$(grep -oE 'artifacts/[^ ]+' "$log" | tail -1)
  status=ok
  [ $rc -ne 0 ] && status="crash rc=$rc ${artifact:-}"
  echo "$t start=$start secs=$EACH execs=${execs:-?} last=[$last] $status" >>"$LOGDIR/summary.txt"
done
