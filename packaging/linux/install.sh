#!/usr/bin/env bash
# Install the built app for the current user (no root): the folder under
# ~/.local/lib, a canvas-wizard command in ~/.local/bin, the menu entry and icons.
#
#   packaging/linux/install.sh [DIST_DIR]     (default: dist; undo with --uninstall)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
lib=$HOME/.local/lib/canvas-wizard
bin=$HOME/.local/bin
if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$lib" "$bin/canvas-wizard" "$data/applications/canvas-wizard.desktop" \
    "$data/metainfo/org.canvaswizard.CanvasSyncWizard.metainfo.xml"
  find "$data/icons/hicolor" -name 'canvas-wizard.*' -delete 2>/dev/null || true
  echo "Removed. Settings, history and logs are kept (see the README, 'Where files live')."
  exit 0
fi
dist=${1:-$root/dist}
rm -rf "$lib" && mkdir -p "$lib" "$bin" "$data/applications" "$data/metainfo"
cp -a "$dist/canvas-wizard/." "$lib/"
ln -sf "$lib/canvas-wizard" "$bin/canvas-wizard"
install -m 644 "$here/canvas-wizard.desktop" "$data/applications/"
install -m 644 "$here/org.canvaswizard.CanvasSyncWizard.metainfo.xml" "$data/metainfo/"
for size in 16 24 32 48 64 128 256 512; do
  dir="$data/icons/hicolor/${size}x${size}/apps"
  mkdir -p "$dir" && install -m 644 "$root/resources/icons/canvas-wizard-$size.png" "$dir/canvas-wizard.png"
done
mkdir -p "$data/icons/hicolor/scalable/apps"
install -m 644 "$root/resources/icons/canvas-wizard.svg" "$data/icons/hicolor/scalable/apps/"
update-desktop-database "$data/applications" 2>/dev/null || true
gtk-update-icon-cache -q "$data/icons/hicolor" 2>/dev/null || true
echo "Installed: run 'canvas-wizard' or open Canvas Sync Wizard from the menu."
# Qt's X11 plugin needs system libraries that minimal Debian/Ubuntu installs lack
# (libxcb-cursor0 most often); the self-test's "desktop libraries" line names any that are missing.
"$bin/canvas-wizard" --self-test | grep -E '^(warn|FAIL) +desktop libraries:' || true
