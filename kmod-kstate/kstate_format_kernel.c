// SPDX-License-Identifier: GPL-2.0-only
/*
 * The shared format implementation, compiled into the module.  The source lives in
 * format/ (found through the include path) and is the same file libkstate compiles:
 * one contract, one implementation.
 */
#include "kstate_format.c"
