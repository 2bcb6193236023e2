#!/usr/bin/env bash
# lofty against CoreMusic's own tag code over a folder of real files: a line
# per file where they differ, a table per extension with the time each takes
# (fastest of three, summed; ours is `inspect`, which also reads the stream
# properties, lofty reads tags only) and, where they differ, which side
# ffprobe takes. Usage: bash benches/tags_lofty.sh DIR [more cargo args]
# The folder used for docs/notes: mutagen 1.47.0's sdist tests/data
# (`pip download --no-binary :all: --no-deps mutagen==1.47.0`), Debian's
# sound-theme-freedesktop, yaru-theme-sound and oxygen-sounds, and files
# ffmpeg/metaflac tag (made by this script into DIR/made when asked with MAKE=1).
set -euo pipefail
dir=${1:?usage: benches/tags_lofty.sh DIR}
shift
if [ "${MAKE:-0}" = 1 ]; then
  out="$dir/made"
  mkdir -p "$out"
  meta=(-metadata title="Tïtle ☃" -metadata artist="Ärtist" -metadata album="Album" -metadata album_artist="Various"
        -metadata date=2021 -metadata genre=Rock -metadata comment="A comment" -metadata track=3/9 -metadata disc=2
        -metadata composer=Comp -metadata copyright="(C) Me")
  src=(-f lavfi -i "sine=f=440:d=1:r=44100")
  ff() { ffmpeg -v error -y "${src[@]}" "${meta[@]}" "$@" </dev/null; }
  ff "$out/lame_v24.mp3"
  ff -id3v2_version 3 -write_id3v1 1 "$out/lame_v23_v1.mp3"
  ff "$out/a.flac"
  ff -c:a libvorbis "$out/a.ogg" || true
  ff -c:a libopus "$out/a.opus" || true
  ff -c:a aac "$out/aac.m4a"
  ff -c:a alac "$out/alac.m4a"
  ff "$out/info.wav"
  ff -write_id3v2 1 "$out/id3.wav"
  ff "$out/a.aiff"
  ff -write_id3v2 1 "$out/id3.aiff"
  ff "$out/a.caf"
  ff "$out/a.wv"
  cp "$out/a.flac" "$out/metaflac.flac"
  metaflac --remove-all-tags --set-tag=TITLE=Meta --set-tag=ARTIST=One --set-tag=ARTIST=Two \
    --set-tag=REPLAYGAIN_TRACK_GAIN=-3.00\ dB "$out/metaflac.flac"
fi
TAGS_LOFTY_DIR="$dir" nice cargo test --release --test tags_lofty "$@" real_folder -- --nocapture 2>&1 | grep '^|'
