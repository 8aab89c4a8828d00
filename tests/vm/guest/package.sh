# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# package.sh - guest helpers for scenarios that run from the Debian packages' files
# ("# vm: tree=installed", staged by tests/package/package-test); source after lib.sh.
#
#   installed_tree_ok       every file of the kstate packages is as dpkg installed it (the
#                           packages' md5sums), and DKMS's modules are the ones it built
#   from_packages           the tools, libkstate and the modules in use are the packages'
#                           and DKMS's, and nothing of a build directory is here
#   unit_exec UNIT KEY      run the KEY= command lines (ExecStartPre, ExecStart, ...) of the
#                           installed systemd unit UNIT in order; stop at the first failure
#   restored_before_init NAME   kernel client NAME restored before /sbin/init started

installed_tree_ok() {
	_n=0 _bad=0
	for _m in /var/lib/dpkg/info/*.md5sums; do
		if ! (cd / && md5sum -c -s "$_m"); then
			say "files differ from package ${_m##*/}:"
			(cd / && md5sum -c "$_m" 2>&1 | grep -v ': OK$')
			_bad=1
		fi
		_n=$((_n + $(wc -l <"$_m")))
	done
	if ! (cd / && sha256sum -c -s /var/lib/kstate-test/dkms.sha256); then
		say "DKMS modules differ from the ones built on the host:"
		(cd / && sha256sum -c /var/lib/kstate-test/dkms.sha256 2>&1 | grep -v ': OK$')
		_bad=1
	fi
	_pkgs=$(ls /var/lib/dpkg/info/*.md5sums | wc -l)
	say "installed tree: $_n files of $_pkgs packages and" \
		"$(wc -l </var/lib/kstate-test/dkms.sha256) DKMS modules checked"
	[ $_bad = 0 ] && [ "$_pkgs" = "$(wc -l </var/lib/kstate-test/packages)" ]
}

from_packages() {
	_lib=$(LD_TRACE_LOADED_OBJECTS=1 /usr/sbin/kstate-load | sed -n 's/.*libkstate\.so\.0 => \([^ ]*\) .*/\1/p')
	_ko=$(modinfo -n kstate)
	say "kstate-load: $(command -v kstate-load), libkstate: $_lib, kstate.ko: $_ko"
	[ "$(command -v kstate-load)" = /usr/sbin/kstate-load ] &&
		[ "$(command -v kstate-save)" = /usr/sbin/kstate-save ] &&
		[ "$(command -v kstate)" = /usr/sbin/kstate ] &&
		[ "$(readlink -f "$_lib")" = "$(readlink -f /usr/lib/x86_64-linux-gnu/libkstate.so.0)" ] &&
		[ -z "${LD_LIBRARY_PATH:-}" ] &&
		case "$_ko" in "/lib/modules/$(uname -r)/updates/dkms/kstate.ko"*) true ;; *) false ;; esac &&
		! ls /usr/local/sbin/kstate* /usr/local/lib/*/libkstate* /lib/modules/*/extra/kstate* \
			>/dev/null 2>&1
}

unit_exec() {
	_old_ifs=$IFS
	IFS='
'
	for _cmd in $(sed -n "s/^$2=[-@!+]*//p" "/lib/systemd/system/$1"); do
		IFS=$_old_ifs
		say "$1 $2: $_cmd"
		# shellcheck disable=SC2086
		$_cmd || return $?
	done
	IFS=$_old_ifs
}

# The kernel log's timestamp of a line matching PATTERN (the first), in seconds.
kmsg_time() {
	dmesg | grep -m 1 "$1" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'
}

restored_before_init() {
	_r=$(kmsg_time "kstate: $1: restored from generation")
	_i=$(kmsg_time 'kstate-lab: init started')
	say "$1 restored at ${_r:-never} s, /sbin/init started at ${_i:-never} s (kernel log)"
	[ -n "$_r" ] && [ -n "$_i" ] && awk -v r="$_r" -v i="$_i" 'BEGIN { exit !(r < i) }'
}
