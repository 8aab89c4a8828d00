#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every header in include/uapi/kstate/ compiles on its own with strict C11.
set -eu
uapi=$1
cc=${CC:-gcc}
rc=0
for h in "$uapi"/kstate/*.h; do
	name=kstate/$(basename "$h")
	if printf '#include <%s>\n' "$name" |
	   "$cc" -std=c11 -Wall -Wextra -Werror -I"$uapi" -fsyntax-only -x c -; then
		echo "ok: $name"
	else
		echo "FAIL: $name does not compile on its own"
		rc=1
	fi
done
exit $rc
