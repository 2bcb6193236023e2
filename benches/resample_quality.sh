#!/usr/bin/env bash
# Quality and speed of CoreMusic's resampler (src/dsp/resample.rs) next to
# `sox rate -v` and ffmpeg's soxr, in one run. Prints two Markdown tables.
#
#   bash benches/resample_quality.sh        # needs sox and ffmpeg on PATH
#
# Quality: sine files made by sox (32-bit float), resampled by each tool to
# float WAV, then measured by examples/resample_probe.rs (least-squares sine
# fit, residual power / sine power). THD+N at 1 kHz and 19 kHz for
# 44.1→48 kHz, gain at 20 kHz (passband), and what is left of a 23 kHz tone
# after 48→44.1 kHz (stopband: it would alias to 21.1 kHz).
# Speed: a 100 MB 16-bit stereo 44.1 kHz WAV to 48 kHz, WAV to WAV, best of 3.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in sox ffmpeg; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
dir=${TMPDIR:-/tmp}/coremusic-resample; mkdir -p "$dir"
cargo build --release --no-default-features --example resample_probe -q
target=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
probe="$target/release/examples/resample_probe"

sine() { # rate freq file
  [ -s "$3" ] || sox -n -r "$1" -b 32 -e float "$3" synth 2 sine "$2" vol 0.5
}
sine 44100 1000 "$dir/s1k.wav"; sine 44100 19000 "$dir/s19k.wav"
sine 44100 20000 "$dir/s20k.wav"; sine 48000 23000 "$dir/s23k.wav"

run_sox() { sox "$1" -b 32 -e float "$2" rate -v "$3"; }
run_ffmpeg() { ffmpeg -v error -y -i "$1" -af "aresample=$3:resampler=soxr:precision=28" -c:a pcm_f32le "$2"; }
field() { sed -n "s/^$1 //p"; }
measure() { # tool → "thd1k thd19k pass20k stop23k"
  local t=$1 a b c d
  "run_$t" "$dir/s1k.wav" "$dir/$t-1k.wav" 48000
  "run_$t" "$dir/s19k.wav" "$dir/$t-19k.wav" 48000
  "run_$t" "$dir/s20k.wav" "$dir/$t-20k.wav" 48000
  "run_$t" "$dir/s23k.wav" "$dir/$t-23k.wav" 44100
  a=$("$probe" analyze "$dir/$t-1k.wav" 1000 0.5 | field thd_n_db)
  b=$("$probe" analyze "$dir/$t-19k.wav" 19000 0.5 | field thd_n_db)
  c=$("$probe" analyze "$dir/$t-20k.wav" 20000 0.5 | field gain_db)
  d=$("$probe" analyze "$dir/$t-23k.wav" 21100 0.5 | field level_db)
  echo "$a $b $c $d"
}

echo '| resampler | THD+N 1 kHz (dB) | THD+N 19 kHz (dB) | gain at 20 kHz (dB) | 23 kHz after 48→44.1 (dB) |'
echo '|---|---|---|---|---|'
for q in high max; do
  out=$("$probe" quality "$q")
  printf '| coremusic %s | %s | %s | %s | %s |\n' "$q" "$(field thd_n_1k_db <<<"$out")" \
    "$(field thd_n_19k_db <<<"$out")" "$(field passband_20k_db <<<"$out")" "$(field stopband_23k_db <<<"$out")"
done
read -r a b c d < <(measure sox); printf '| sox rate -v | %s | %s | %s | %s |\n' "$a" "$b" "$c" "$d"
read -r a b c d < <(measure ffmpeg); printf '| ffmpeg soxr precision=28 | %s | %s | %s | %s |\n' "$a" "$b" "$c" "$d"

big="$dir/s16-stereo-100MB.wav"
[ -s "$big" ] || sox -n -r 44100 -b 16 -c 2 "$big" synth 594.4 sine 440 sine 660 vol 0.5
cat "$big" >/dev/null
best() { # command... → best wall seconds of 3
  local b=999999 t0 t1 t
  for _ in 1 2 3; do
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    t=$(echo "$t1 - $t0" | bc -l); (( $(echo "$t < $b" | bc -l) )) && b=$t
  done
  printf '%.2f' "$b"
}
t_cm=$(best "$probe" convert "$big" "$dir/out-cm.wav" 48000 high)
t_cp=$(best "$probe" convert-parallel "$big" "$dir/out-cm.wav" 48000 high 0)
t_ff=$(best ffmpeg -v error -y -i "$big" -af aresample=48000:resampler=soxr "$dir/out-ff.wav")
t_sx=$(best sox "$big" -r 48000 "$dir/out-sox.wav" rate -v)
mem=$("$probe" speed 594.4 high | sed -n 's/^2 thread(s): \([0-9.]*\) s.*/\1/p')
echo
echo '| 100 MB 16-bit stereo WAV, 44.1→48 kHz | seconds (best of 3) | ÷ ffmpeg soxr |'
echo '|---|---|---|'
printf '| coremusic High, streamed (decode+resample ∥ encode+write) | %s | %.2f |\n' "$t_cm" "$(echo "$t_cm / $t_ff" | bc -l)"
printf '| coremusic High, whole file in memory, resample_parallel | %s | %.2f |\n' "$t_cp" "$(echo "$t_cp / $t_ff" | bc -l)"
printf '| coremusic resampling alone, in memory | %s | %.2f |\n' "$mem" "$(echo "$mem / $t_ff" | bc -l)"
printf '| ffmpeg aresample=48000:resampler=soxr | %s | 1.00 |\n' "$t_ff"
printf '| sox rate -v | %s | %.2f |\n' "$t_sx" "$(echo "$t_sx / $t_ff" | bc -l)"
