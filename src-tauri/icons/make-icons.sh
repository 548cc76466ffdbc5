#!/usr/bin/env bash
# Regenerates the app icons (RGBA PNGs, as Tauri requires) with ImageMagick: a rounded blue square
# with a white headset. Run from anywhere: bash src-tauri/icons/make-icons.sh
set -euo pipefail
cd "$(dirname "$0")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
S=1024
convert -size ${S}x${S} gradient:'#2276e0'-'#0a3a8c' PNG32:"$work/grad.png"
convert -size ${S}x${S} xc:none -fill white -draw 'roundrectangle 48,48 975,975 210,210' PNG32:"$work/shape.png"
convert "$work/grad.png" "$work/shape.png" -compose DstIn -composite PNG32:"$work/bg.png"
# The headband: the upper half of a ring.
convert -size ${S}x${S} xc:none -fill none -stroke white -strokewidth 72 -draw 'circle 512,512 512,262' \
  -region 1024x512+0+512 -alpha transparent +region PNG32:"$work/band.png"
# The microphone boom: a quarter of a ring from the right ear cup down to the mouthpiece.
convert -size ${S}x${S} xc:none -fill none -stroke white -strokewidth 44 -draw 'circle 590,700 590,835' \
  \( -size ${S}x${S} xc:none -fill white -draw 'rectangle 590,700 1023,1023' \) \
  -compose DstIn -composite PNG32:"$work/boom.png"
convert "$work/bg.png" "$work/band.png" -compose Over -composite "$work/boom.png" -compose Over -composite \
  -fill white -draw 'roundrectangle 214,470 354,720 52,52' -draw 'roundrectangle 670,470 810,720 52,52' \
  -draw 'roundrectangle 480,800 610,870 35,35' PNG32:"$work/icon.png"
for size in 32 64 128 256 512; do
  convert "$work/icon.png" -filter Lanczos -resize ${size}x${size} PNG32:"$work/$size.png"
done
cp "$work/32.png" 32x32.png
cp "$work/64.png" 64x64.png
cp "$work/128.png" 128x128.png
cp "$work/256.png" 128x128@2x.png
# The same 256 px picture under its Linux name: the bundler files a name ending in @2x under a
# hicolor folder "256x256@2" that no icon theme reads.
cp "$work/256.png" 256x256.png
cp "$work/512.png" icon.png
