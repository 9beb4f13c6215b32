#!/usr/bin/env bash
# Build the Linux one-folder app: dist/canvas-wizard/canvas-wizard (plus a .tar.gz of it).
#
#   packaging/build_linux.sh [DIST_DIR] [WORK_DIR]
#
# Needs the project's virtualenv with the build extra: .venv/bin/pip install -e '.[build]'.
# Afterwards the frozen app checks itself: --version and --self-test (Qt offscreen,
# the setup wizard, keyring, TLS). Set PYTHON to use another interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
DIST=$(realpath -m "${1:-$ROOT/dist}")
WORK=$(realpath -m "${2:-$ROOT/build/pyinstaller}")

if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
  echo "PyInstaller is missing: $PYTHON -m pip install -e '.[build]'" >&2
  exit 2
fi

start=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$DIST" --workpath "$WORK" packaging/canvas-wizard.spec
app="$DIST/canvas-wizard"
echo "Built $app in $(( $(date +%s) - start )) s, $(du -sh "$app" | cut -f1)"

"$app/canvas-wizard" --version
QT_QPA_PLATFORM=offscreen "$app/canvas-wizard" --self-test

version=$("$app/canvas-wizard" --version | awk '{print $2}')
tarball="$DIST/canvas-wizard-$version-linux-$(uname -m).tar.gz"
tar -C "$DIST" -czf "$tarball" canvas-wizard
echo "Packed $tarball ($(du -h "$tarball" | cut -f1))"
