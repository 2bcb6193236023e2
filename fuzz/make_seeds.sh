#!/usr/bin/env bash
# Writes small valid seed files for every fuzz target into fuzz/corpus/<target>/
# (git-ignored). The project's own writers make most of them
# (examples/make_fuzz_seeds.rs); ffmpeg, sox and flac add what they make when
# installed (each is skipped quietly when missing). Safe to run again: files
# are overwritten, the fuzzer's own corpus entries are kept.
#
#   fuzz/make_seeds.sh            # from the repository root or fuzz/
set -euo pipefail
cd "$(dirname "$0")/.."
C=fuzz/corpus
mkdir -p "$C"

nice -n 19 cargo run --quiet --no-default-features --example make_fuzz_seeds -- "$C"

have() { command -v "$1" >/dev/null 2>&1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# One file into a target's corpus and probe_open's.
put() { cp "$2" "$C/$1/"; cp "$2" "$C/probe_open/"; }

if have ffmpeg; then
  ff() { nice -n 19 ffmpeg -hide_banner -loglevel error -y "$@"; }
  S=(-f lavfi -i "sine=f=440:d=0.05:r=8000")
  S2=(-f lavfi -i "sine=f=440:d=0.05:r=44100" -ac 2)
  M=(-metadata title=Seed -metadata artist=CoreMusic -metadata album=Fuzz)
  mkdir -p "$C"/{wav,aiff,caf,mp4,mp3,ogg_opus,alac,tags}
  ENC=$(ffmpeg -hide_banner -encoders 2>/dev/null || true)
  enc() { grep -q "$1" <<<"$ENC"; }
  # WAV family: RF64, Wave64, ADPCM and G.711 in WAV, INFO tags.
  ff "${S[@]}" -rf64 always "$T/rf64.wav" && put wav "$T/rf64.wav"
  ff "${S[@]}" -f w64 "$T/w64.w64" && put wav "$T/w64.w64"
  ff "${S2[@]}" -c:a adpcm_ima_wav "$T/ima.wav" && put wav "$T/ima.wav"
  ff "${S2[@]}" -c:a adpcm_ms "$T/ms.wav" && put wav "$T/ms.wav"
  ff "${S[@]}" -c:a pcm_alaw "$T/alaw.wav" && put wav "$T/alaw.wav"
  ff "${S[@]}" -c:a pcm_mulaw "${M[@]}" "$T/ulaw.wav" && put wav "$T/ulaw.wav"
  ff "${S[@]}" -c:a pcm_s16be "$T/s16be.aiff" -metadata title=Seed && put aiff "$T/s16be.aiff"
  ff "${S2[@]}" -c:a adpcm_ima_qt "$T/ima4.aiff" && put aiff "$T/ima4.aiff"
  ff "${S[@]}" -c:a pcm_mulaw "$T/ulaw.aiff" && put aiff "$T/ulaw.aiff"
  ff "${S2[@]}" -c:a adpcm_ima_qt "$T/ima4.caf" && put caf "$T/ima4.caf"
  ff "${S[@]}" -c:a pcm_alaw "$T/alaw.caf" && put caf "$T/alaw.caf"
  # ALAC in CAF and MP4; AAC in the MP4 family.
  ff "${S2[@]}" -c:a alac "$T/alac.caf" && put alac "$T/alac.caf"
  ff "${S[@]}" -c:a alac -sample_fmt s32p "$T/alac24.m4a" && put alac "$T/alac24.m4a"
  ff "${S2[@]}" -c:a aac -b:a 32k "${M[@]}" "$T/aac.m4a" && put mp4 "$T/aac.m4a"
  ff "${S[@]}" -c:a aac -b:a 16k -f ipod "$T/aac.m4b" && put mp4 "$T/aac.m4b"
  ff "${S[@]}" -c:a aac -b:a 16k "$T/aac.3gp" && put mp4 "$T/aac.3gp"
  ff "${S[@]}" -c:a aac -b:a 16k -f mov "$T/aac.mov" && put mp4 "$T/aac.mov"
  ff "${S2[@]}" -c:a aac -b:a 32k -movflags +frag_keyframe+empty_moov "$T/frag.m4a" && put mp4 "$T/frag.m4a"
  # MP3 with ID3v2 (and v1), Ogg Opus / Vorbis / FLAC.
  if enc libmp3lame; then
    ff "${S[@]}" -c:a libmp3lame -b:a 8k "${M[@]}" -id3v2_version 3 -write_id3v1 1 "$T/id3.mp3" && put mp3 "$T/id3.mp3"
    ff "${S2[@]}" -c:a libmp3lame -q:a 9 -write_xing 1 "$T/vbr.mp3" && put mp3 "$T/vbr.mp3"
    ff "${S[@]}" -c:a libmp3lame -b:a 8k -id3v2_version 0 -write_xing 0 "$T/bare.mp3" && put mp3 "$T/bare.mp3"
    ff "${S[@]}" -c:a mp2 -b:a 32k "$T/layer2.mp2" && put mp3 "$T/layer2.mp2" || true
  fi
  ff "${S[@]}" -c:a aac -b:a 16k -f adts "$T/adts.aac" && put mp4 "$T/adts.aac"
  if enc libopus; then
    ff -f lavfi -i "sine=f=440:d=0.1:r=48000" -c:a libopus -b:a 12k "${M[@]}" "$T/mono.opus" && put ogg_opus "$T/mono.opus"
    ff -f lavfi -i "sine=f=440:d=0.1:r=48000" -ac 2 -c:a libopus -b:a 16k "$T/stereo.opus" && put ogg_opus "$T/stereo.opus"
    ff -f lavfi -i "sine=f=440:d=0.05:r=48000" -ac 6 -c:a libopus -b:a 64k "$T/surround.opus" && put ogg_opus "$T/surround.opus"
  fi
  if enc libvorbis; then
    ff "${S[@]}" -c:a libvorbis -q:a 0 "${M[@]}" "$T/vorbis.ogg" && put ogg_opus "$T/vorbis.ogg"
  fi
  ff "${S[@]}" -c:a flac "$T/flac.oga" && put ogg_opus "$T/flac.oga"
  # Tags: heads and tails of tag-bearing files.
  for f in "$T"/id3.mp3 "$T"/ulaw.wav "$T"/aac.m4a "$T"/vorbis.ogg "$T"/s16be.aiff; do
    [ -f "$f" ] || continue
    head -c 4096 "$f" >"$C/tags/head_$(basename "$f")"
    tail -c 256 "$f" >"$C/tags/tail_$(basename "$f")"
  done
fi

if have sox; then
  mkdir -p "$C"/{wav,aiff}
  nice -n 19 sox -n -r 8000 -c 1 -e signed -b 16 "$T/sox.w64" synth 0.03 sine 440 && put wav "$T/sox.w64"
  nice -n 19 sox -n -r 8000 -c 2 -e signed -b 24 "$T/sox_s24.aiff" synth 0.03 sine 440 && put aiff "$T/sox_s24.aiff"
  nice -n 19 sox -n -r 8000 -c 1 -e floating-point -b 32 "$T/sox_f32.wav" synth 0.03 sine 440 && put wav "$T/sox_f32.wav"
fi

if have flac; then
  mkdir -p "$C"/{flac,tags}
  for f in "$C"/wav/writer_01_*.wav "$C"/wav/writer_02_*.wav; do
    b=$(basename "$f" .wav)
    nice -n 19 flac -s -f --lax -b 192 -8 -T TITLE=Seed -o "$T/$b.cli.flac" "$f" && put flac "$T/$b.cli.flac"
    nice -n 19 flac -s -f -0 --no-padding -o "$T/$b.fast.flac" "$f" && put flac "$T/$b.fast.flac"
    head -c 4096 "$T/$b.cli.flac" >"$C/tags/head_$b.flac"
  done
fi

for d in "$C"/*/; do printf '%-12s %3d files\n' "$(basename "$d")" "$(ls "$d" | wc -l)"; done
