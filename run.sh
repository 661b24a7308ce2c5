#!/usr/bin/env bash
# Install (the first time) and start DataLoader Explorer. Arguments go to the app, e.g.
#   bash run.sh ~/data/images      or      bash run.sh --headless --random 2000:3x64x64
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
"$PY" -c "import explorer.gui, torch, pytestqt, hypothesis" >/dev/null 2>&1 || bash scripts/install.sh
exec "$PY" main.py "$@"
