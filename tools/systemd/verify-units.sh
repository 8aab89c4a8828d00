#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# verify-units.sh BUILDDIR UNIT... - systemd-analyze verify the units as installed.
#
# The units name the installed programs, so they are checked inside a root that has
# them where the units expect: the meson build's own binaries, linked in.
set -eu
build=$1; shift
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
top=$(cd "$build/../.." && pwd)
for unit in "$@"; do
	for exe in $(sed -n 's/^Exec[A-Za-z]*=-\{0,1\}\([^ ]*\).*/\1/p' "$unit"); do
		mkdir -p "$root$(dirname "$exe")"
		prog=$(ls "$top/tools/$(basename "$exe")" "$top"/tools/*/"$(basename "$exe")" \
			2>/dev/null | head -n 1)
		# Copies, not symlinks: --root resolves absolute links inside the root.
		if [ -n "$prog" ] && [ -x "$prog" ]; then cp "$prog" "$root$exe"; else cp -L "$exe" "$root$exe"; fi
	done
done
mkdir -p "$root/etc/systemd/system" "$root/lib/systemd/system"
cp "$@" "$root/etc/systemd/system/"
# The targets units with default dependencies are ordered against (kstate-qemu@).
cp /lib/systemd/system/*.target "$root/lib/systemd/system/" 2>/dev/null || true
out=$(systemd-analyze verify --man=no --root="$root" "$@" 2>&1) || { echo "$out"; exit 1; }
# verify exits 0 on some problems; any complaint about our units is a failure.
if echo "$out" | grep -E 'kstate-(load|save|qemu@)[^ ]*\.service' ; then
	exit 1
fi
echo "systemd-analyze verify: $* clean"
