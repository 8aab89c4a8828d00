#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# build-man.sh SCDOC PAGE.scd EXIT-STATUS.scd OUTPUT: a man page, with the line
# "@EXIT_STATUS@" replaced by the one exit-code table every command shares.
set -eu
sed -e "/^@EXIT_STATUS@\$/{r $3" -e 'd;}' "$2" | "$1" >"$4"
