#!/usr/bin/env bash
# Install what DataLoader Explorer needs: Qt's system libraries (Debian/Ubuntu, when run as
# root or with sudo), PyTorch (a CPU build where one is at hand, unless torch is already
# installed), and the app itself with its test extra. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

QT_LIBS="libgl1 libegl1 libfontconfig1 libxkbcommon0 libglib2.0-0 libdbus-1-3 fonts-dejavu-core"
XCB_LIBS="xvfb libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 libxcb-image0 \
libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libx11-xcb1"

if command -v apt-get >/dev/null 2>&1; then
  missing=$(for p in $QT_LIBS $XCB_LIBS; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
  if [ -n "$missing" ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "Installing system libraries for Qt: $(echo $missing)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
  fi
fi

if ! "$PY" -c "import torch" >/dev/null 2>&1; then
  # 2.13.0 is the CPU build on this project's machines; elsewhere it is PyPI's default build.
  "$PY" -m pip install -q "torch==2.13.0"
fi
"$PY" -m pip install -q -e ".[test]"
