#!/usr/bin/env bash
# Install the built bundle for the current user (or system-wide with PREFIX=/usr/local as root):
# the app folder, a `desktop-rag` command, the menu entry with its MIME types (so PDFs and
# e-books offer "Open with desktop-rag"), and the icons.
#   packaging/linux/install.sh [dist/desktop-rag]     install
#   packaging/linux/install.sh --uninstall            remove
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ "$(id -u)" -eq 0 ] && [ -z "${PREFIX:-}" ]; then PREFIX=/usr/local; fi
PREFIX="${PREFIX:-$HOME/.local}"
app_dir="$PREFIX/lib/desktop-rag"
bin="$PREFIX/bin/desktop-rag"
share="${XDG_DATA_HOME:-$PREFIX/share}"
[ "$PREFIX" = "$HOME/.local" ] || share="$PREFIX/share"
desktop="$share/applications/desktop-rag.desktop"

refresh() {
  command -v update-desktop-database >/dev/null && update-desktop-database -q "$share/applications" || true
  command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$share/icons/hicolor" || true
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$app_dir" "$bin" "$desktop"
  find "$share/icons/hicolor" -name 'desktop-rag.*' -delete 2>/dev/null || true
  refresh
  echo "removed desktop-rag from $PREFIX (your libraries in the data folder are kept)"
  exit 0
fi

bundle="$(cd "${1:-$here/../../dist/desktop-rag}" && pwd)"
[ -x "$bundle/desktop-rag" ] || { echo "no bundle at $bundle: run 'make package' first" >&2; exit 1; }
mkdir -p "$(dirname "$app_dir")" "$(dirname "$bin")" "$(dirname "$desktop")"
rm -rf "$app_dir"
cp -a "$bundle" "$app_dir"
ln -sf "$app_dir/desktop-rag" "$bin"
sed -e "s|^Exec=desktop-rag |Exec=$app_dir/desktop-rag |" -e "s|^TryExec=.*|TryExec=$app_dir/desktop-rag|" \
  "$here/desktop-rag.desktop" > "$desktop"
(cd "$here/icons" && find hicolor -name 'desktop-rag.*' -exec install -D -m 644 {} "$share/icons/{}" \;)
refresh
echo "installed desktop-rag in $app_dir; menu entry $desktop"
