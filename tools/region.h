/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * "kstate region": make, list, show and remove regions from the command line (region.c).
 */
#ifndef KSTATE_TOOLS_REGION_H
#define KSTATE_TOOLS_REGION_H

#define REGION_SUMMARY	"create, list, show or remove regions (files programs map)"

/*
 * Run "kstate region ..." with @argv[0] = "region"; @store is the --store given before
 * the command, or NULL.  Return: the exit code.
 */
int region_main(int argc, char **argv, const char *store);

#endif /* KSTATE_TOOLS_REGION_H */
