#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# exports.sh LIBKSTATE.SO STORE-ONLY SRCDIR: libkstate is a library a VMM can link.
# - it exports exactly the names of libkstate.sym, each declared in libkstate.h and
#   documented with kernel-doc in libkstate/*.c, and listed in debian/libkstate0.symbols;
# - libkstate.h stands alone (no uapi header behind it: the ioctl structures are not
#   part of the library's ABI);
# - neither the library nor a program that uses only the store API links libpmem2,
#   libndctl, libdaxctl, libudev or libkmod (ldd), and that program works.
set -u
LIB=$1 PROG=$2 SRC=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 checks=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { checks=$((checks + 1)); }

sed -n 's/^\t\(kstate_[a-z0-9_]*\);$/\1/p' "$SRC/libkstate/libkstate.sym" | sort >"$tmp/sym"
nm -D --defined-only "$LIB" | awk '$2 == "T" || $2 == "D" || $2 == "B" { print $3 }' |
	sed 's/@.*//' | sort >"$tmp/nm"
ok; cmp -s "$tmp/sym" "$tmp/nm" || fail "exports differ from libkstate.sym: $(diff "$tmp/sym" "$tmp/nm" | grep '^[<>]' | tr '\n' ' ')"
ok; nm -D --defined-only "$LIB" | grep -q 'LIBKSTATE_0' || fail "no LIBKSTATE_0 version node"
ok; [ "$(readelf -d "$LIB" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')" = libkstate.so.0 ] ||
	fail "soname is not libkstate.so.0"
while read -r s; do
	ok; grep -Eq "(^|[ *])$s\(" "$SRC/libkstate/libkstate.h" || fail "$s: not declared in libkstate.h"
	ok; cat "$SRC"/libkstate/*.c | grep -q "^ \* $s - " || fail "$s: no kernel-doc comment"
done <"$tmp/sym"
# The Debian symbols file lists the same names (dpkg-gensymbols fails the package
# build otherwise, much later, in the package suite).
sed -n 's/^ \(kstate_[a-z0-9_]*\)@LIBKSTATE_0 .*/\1/p' "$SRC/debian/libkstate0.symbols" |
	sort >"$tmp/debsym"
ok; cmp -s "$tmp/sym" "$tmp/debsym" ||
	fail "debian/libkstate0.symbols differs from libkstate.sym: $(diff "$tmp/sym" "$tmp/debsym" | grep '^[<>]' | tr '\n' ' ')"
echo "$(wc -l <"$tmp/sym") exports"

# libkstate.h alone, without the uapi include directory.
ok; printf '#include <libkstate.h>\nint main(void) { return kstate_ctx_new(0) == 0; }\n' >"$tmp/h.c"
${CC:-cc} -fsyntax-only -Werror -Wall -I"$SRC/libkstate" "$tmp/h.c" 2>"$tmp/cc.err" ||
	fail "libkstate.h does not compile on its own: $(cat "$tmp/cc.err")"
ok; ! grep -Eq '#include <kstate/|struct kstate_(ioc|client_status)' \
	"$SRC/libkstate/libkstate.h" || fail "libkstate.h exposes uapi structures"

heavy='libpmem2|libndctl|libdaxctl|libudev|libkmod|libcrypto|libzstd|liblzma'
for bin in "$LIB" "$PROG"; do
	ok; ldd "$bin" >"$tmp/ldd" 2>&1 || fail "ldd $bin: $(cat "$tmp/ldd")"
	if grep -Eq "$heavy" "$tmp/ldd"; then
		fail "$(basename "$bin") links $(grep -Eo "$heavy" "$tmp/ldd" | sort -u | tr '\n' ' ')"
	fi
	echo "ldd $(basename "$bin"): $(awk '{print $1}' "$tmp/ldd" | tr '\n' ' ')"
done
mkdir -m 700 "$tmp/store"
ok; "$PROG" "$tmp/store" || fail "store-only program failed"

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
