#!/usr/bin/env bash
# Debian packages the tests and the app need: Qt's xcb/EGL libraries, Xvfb for screenshots,
# a Korean font, Tesseract for OCR, and desktop-file-validate for packaging/linux.
# Installs only what is missing.
set -euo pipefail
packages=(
  xvfb libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
  libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0
  libxkbcommon0 libegl1 libgl1 libfontconfig1 libdbus-1-3 fonts-nanum
  tesseract-ocr tesseract-ocr-kor tesseract-ocr-eng
  desktop-file-utils
)
command -v dpkg-query >/dev/null || { echo "system-deps: not a Debian system; install the equivalents of: ${packages[*]}"; exit 0; }
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo; else
    echo "system-deps: missing ${missing[*]}; install them with apt-get (GUI/OCR tests will be skipped)"; exit 0
  fi
else SUDO=""; fi
echo "system-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
