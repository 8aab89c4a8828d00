// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cache-keepalive - a database-style block cache that stays warm across a restart,
 * kexec, firmware reboot or power cut: its hash index, LRU list and payloads live in a
 * libpmemobj pool that is a kstate region.
 *
 *   cache-keepalive run --store DIR --capacity N [workload options]
 *   cache-keepalive stats --store DIR [--json]
 *   cache-keepalive check --store DIR [--json]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cache.h"
#include "common.h"
#include "disk.h"

static const char usage_text[] =
	"Usage: cache-keepalive run --store DIR [--capacity N] [options]\n"
	"       cache-keepalive stats --store DIR [--region NAME] [--json]\n"
	"       cache-keepalive check --store DIR [--region NAME] [--json]\n"
	"\n"
	"A block cache kept in a libpmemobj pool that is a kstate region: after a restart,\n"
	"kexec, firmware reboot or power cut it is still warm. 'run' serves a random read\n"
	"(and optionally write) workload against a synthetic slow disk and prints one JSON\n"
	"line per interval; SIGTERM or SIGINT stops it cleanly.\n"
	"\n"
	"  -s, --store DIR        kstate store directory (default $KSTATE_STORE, else\n"
	"                         /var/lib/kstate); run creates it\n"
	"  -r, --region NAME      the cache's region in the store (default 'cache')\n"
	"  -c, --capacity N       run: blocks the cache holds; needed to create it\n"
	"  -b, --block-size SIZE  run, when creating: bytes per block, a power of two\n"
	"                         from 512 to 64K (default 4096)\n"
	"  -n, --blocks N         run: blocks on the disk the workload reads (default\n"
	"                         capacity + capacity/8)\n"
	"  -d, --delay-us US      run: what a miss costs, in microseconds (default 2000)\n"
	"  -w, --write-pct P      run: percent of operations that write a block (default 0)\n"
	"  -t, --seconds S        run: stop after S seconds\n"
	"  -o, --ops N            run: stop after N operations\n"
	"  -i, --interval-ms MS   run: one JSON line per MS milliseconds (default 1000)\n"
	"  -S, --seed N           run: the workload's random seed (default 1)\n"
	"  -j, --json             stats, check: print JSON\n"
	"  -h, --help             this text\n"
	"  -V, --version          print the version\n"
	"\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
	tool_print_exit_codes(f);
	fputs("See cache-keepalive(1).\n", f);
}

struct options {
	const char *store;
	const char *region;
	uint64_t capacity;
	uint64_t block_size;
	uint64_t blocks;
	uint64_t delay_us;
	uint64_t write_pct;
	uint64_t seconds;
	uint64_t ops;
	uint64_t interval_ms;
	uint64_t seed;
	bool json;
};

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static void json_line(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(o);
}

static void json_add_rate(struct json_object *o, const char *key, uint64_t hits,
			  uint64_t misses)
{
	double rate = hits + misses ? (double)hits / (double)(hits + misses) : 0.0;

	json_object_object_add(o, key, json_object_new_double(rate));
}

/* Errors from the core: its message, and the exit code of its errno. */
static int cache_error(int rc)
{
	tool_err("%s", *cache_errormsg() ? cache_errormsg() : strerror(-rc));
	return rc == -EBUSY ? TOOL_EXIT_BUSY : rc == -EEXIST ? TOOL_EXIT_REFUSED :
	       tool_exit_code(rc);
}

static int store_open(struct kstate_ctx **ctx, const struct options *o, unsigned int flags,
		      struct kstate_store **store)
{
	int rc = tool_ctx_new(ctx);

	if (rc)
		return rc;
	return tool_store_open(*ctx, o->store, flags, store);
}

/* ---------------------------------------------------------------------------------- */
/* run */

struct counts {
	uint64_t ops, hits, misses, writes;
};

static void print_interval(uint64_t t_ms, const struct counts *d, uint64_t span_us,
			   struct cache *c)
{
	struct json_object *o = json_object_new_object();

	tool_json_add_str(o, "event", "interval");
	tool_json_add_u64(o, "t_ms", t_ms);
	tool_json_add_u64(o, "ops", d->ops);
	tool_json_add_u64(o, "hits", d->hits);
	tool_json_add_u64(o, "misses", d->misses);
	tool_json_add_u64(o, "writes", d->writes);
	json_add_rate(o, "hit_rate", d->hits, d->misses);
	json_object_object_add(o, "ops_per_s", json_object_new_double(
		span_us ? (double)d->ops * 1e6 / (double)span_us : 0.0));
	tool_json_add_u64(o, "entries", cache_count(c));
	json_line(o);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One operation of the workload; updates @n. */
static int one_op(struct cache *c, const struct options *o, uint64_t *rng, uint8_t *buf,
		  struct counts *n)
{
	uint32_t bs = cache_block_size(c);
	uint64_t key = xorshift(rng) % o->blocks, version = 0;
	bool write = o->write_pct && xorshift(rng) % 100 < o->write_pct;
	int rc;

	n->ops++;
	if (write) {
		/* Write-through: the disk pays the delay, the cache takes the new version. */
		if (cache_contains(c, key, &version))
			version++;
		else
			version = 1;
		disk_write(o->delay_us);
		block_fill(buf, bs, key, version);
		n->writes++;
		return cache_put(c, key, version, buf, 0);
	}
	rc = cache_get(c, key, buf, &version);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		n->hits++;
		return 0;
	}
	n->misses++;
	disk_read(key, buf, bs, o->delay_us);
	return cache_put(c, key, 0, buf, CACHE_PUT_MISS);
}

static int serve(struct cache *c, const struct options *o)
{
	uint64_t t0 = tool_now_us(), tick = t0, next = t0 + o->interval_ms * 1000, now;
	struct counts total = { 0 }, last = { 0 }, d;
	uint64_t rng = o->seed * 0x9e3779b97f4a7c15ULL + 1;
	const char *reason = "signal";
	struct json_object *j;
	uint8_t *buf;
	int rc = 0;

	buf = malloc(cache_block_size(c));
	if (!buf) {
		tool_err("out of memory");
		return TOOL_EXIT_FAILURE;
	}
	while (!stop_signal) {
		if (o->ops && total.ops >= o->ops) {
			reason = "ops";
			break;
		}
		rc = one_op(c, o, &rng, buf, &total);
		if (rc)
			break;
		now = tool_now_us();
		if (o->seconds && now - t0 >= o->seconds * 1000000) {
			reason = "seconds";
			break;
		}
		if (now >= next) {
			d = (struct counts){ total.ops - last.ops, total.hits - last.hits,
					     total.misses - last.misses,
					     total.writes - last.writes };
			print_interval((now - t0) / 1000, &d, now - tick, c);
			last = total;
			tick = now;
			next += o->interval_ms * 1000;
		}
	}
	free(buf);
	if (rc)
		return cache_error(rc);
	now = tool_now_us();
	if (total.ops > last.ops) {
		d = (struct counts){ total.ops - last.ops, total.hits - last.hits,
				     total.misses - last.misses, total.writes - last.writes };
		print_interval((now - t0) / 1000, &d, now - tick, c);
	}
	j = json_object_new_object();
	tool_json_add_str(j, "event", "stop");
	tool_json_add_str(j, "reason", reason);
	tool_json_add_u64(j, "ms", (now - t0) / 1000);
	tool_json_add_u64(j, "ops", total.ops);
	tool_json_add_u64(j, "hits", total.hits);
	tool_json_add_u64(j, "misses", total.misses);
	tool_json_add_u64(j, "writes", total.writes);
	json_add_rate(j, "hit_rate", total.hits, total.misses);
	tool_json_add_u64(j, "entries", cache_count(c));
	json_line(j);
	return 0;
}

static int cmd_run(struct options *o)
{
	struct kstate_ctx *ctx = NULL;
	struct kstate_store *store = NULL;
	struct cache *c = NULL;
	struct sigaction sa = { .sa_handler = on_stop };
	const struct cache_root *r;
	struct json_object *j;
	bool created = false, was_serving;
	uint64_t t0, open_us;
	int rc, ret;

	if (o->block_size > UINT32_MAX)
		return tool_usage_error("--block-size %llu is too large",
					(unsigned long long)o->block_size);
	if (o->write_pct > 100)
		return tool_usage_error("--write-pct takes 0 to 100");
	if (!o->interval_ms)
		return tool_usage_error("--interval-ms must be at least 1");
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (mkdir(o->store, 0700) && errno != EEXIST) {
		tool_err("cannot create the store directory %s: %s", o->store, strerror(errno));
		return TOOL_EXIT_FAILURE;
	}
	ret = store_open(&ctx, o, KSTATE_STORE_CREATE, &store);
	if (ret)
		goto out;
	t0 = tool_now_us();
	rc = cache_open(store, o->region, CACHE_OPEN_SERVE, &c);
	if (rc == -ENOENT && o->capacity) {
		rc = cache_create(store, o->region, o->capacity, (uint32_t)o->block_size,
				  CACHE_OPEN_SERVE, &c);
		created = !rc;
	}
	open_us = tool_now_us() - t0;
	if (rc) {
		ret = cache_error(rc);
		goto out;
	}
	r = cache_root(c);
	if (o->capacity && o->capacity != r->capacity) {
		tool_err("%s: the cache holds %llu blocks, not %llu: run without --capacity, or "
			 "remove the region to start over", cache_path(c),
			 (unsigned long long)r->capacity, (unsigned long long)o->capacity);
		ret = TOOL_EXIT_FAILURE;
		goto out;
	}
	/* set_state() counted this session: the previous one stopped cleanly or not. */
	was_serving = r->runs - 1 != r->clean_stops;
	if (!o->blocks)
		o->blocks = r->capacity + r->capacity / 8;
	j = json_object_new_object();
	tool_json_add_str(j, "event", "start");
	tool_json_add_str(j, "pool", cache_path(c));
	tool_json_add_bool(j, "created", created);
	tool_json_add_bool(j, "pmem", cache_is_pmem(c));
	tool_json_add_u64(j, "open_us", open_us);
	tool_json_add_u64(j, "entries", r->count);
	tool_json_add_u64(j, "capacity", r->capacity);
	tool_json_add_u64(j, "block_size", r->block_size);
	tool_json_add_u64(j, "runs", r->runs);
	tool_json_add_bool(j, "previous_stop_clean", created || !was_serving);
	tool_json_add_u64(j, "blocks", o->blocks);
	tool_json_add_u64(j, "delay_us", o->delay_us);
	tool_json_add_u64(j, "write_pct", o->write_pct);
	tool_json_add_u64(j, "seed", o->seed);
	json_line(j);
	ret = serve(c, o);
out:
	rc = cache_close(&c);
	if (rc && !ret)
		ret = cache_error(rc);
	kstate_store_delete(&store);
	kstate_ctx_delete(&ctx);
	return ret;
}

/* ---------------------------------------------------------------------------------- */
/* stats and check */

static void add_counters(struct json_object *o, const char *key,
			 const struct cache_counters *n)
{
	struct json_object *s = json_object_new_object();

	tool_json_add_u64(s, "hits", n->hits);
	tool_json_add_u64(s, "misses", n->misses);
	json_add_rate(s, "hit_rate", n->hits, n->misses);
	tool_json_add_u64(s, "inserts", n->inserts);
	tool_json_add_u64(s, "updates", n->updates);
	tool_json_add_u64(s, "evictions", n->evictions);
	json_object_object_add(o, key, s);
}

/* pmemobj_check() result as text. */
static const char *pool_check_str(int rc)
{
	return rc == 1 ? "consistent" : rc == 0 ? "inconsistent" : "unreadable";
}

/*
 * The checks both commands run: the region through libkstate, pmemobj_check() on the
 * pool as it is, then open (libpmemobj's recovery runs here, as it would for the next
 * 'run') and the cache's invariants.  A pool libpmemobj calls inconsistent is not
 * opened.
 */
struct health {
	int before;		/* pmemobj_check() before opening */
	int after;		/* and after closing */
	int open_rc;
	int verify_rc;
	struct cache_report report;
	bool last_stop_clean;
	char open_msg[512];
};

static int inspect(struct kstate_store *store, const char *region, struct health *h,
		   struct json_object *j)
{
	struct cache *c = NULL;
	const struct cache_root *r;
	char path[4096];
	bool pmem = false;
	int rc;

	memset(h, 0, sizeof(*h));
	/* Refuses a missing or unlisted region, or a file that is not the one recorded. */
	rc = cache_locate(store, region, path, sizeof(path), &pmem);
	if (rc)
		return rc;
	tool_json_add_str(j, "pool", path);
	tool_json_add_bool(j, "pmem", pmem);
	h->before = cache_pool_check(path);
	if (h->before < 0)
		return h->before;
	h->open_rc = h->before == 1 ? cache_open(store, region, 0, &c) : -EUCLEAN;
	if (h->open_rc) {
		snprintf(h->open_msg, sizeof(h->open_msg), "%s", cache_errormsg());
	} else {
		r = cache_root(c);
		h->last_stop_clean = r->state == CACHE_STATE_IDLE;
		tool_json_add_u64(j, "capacity", r->capacity);
		tool_json_add_u64(j, "block_size", r->block_size);
		tool_json_add_u64(j, "entries", r->count);
		tool_json_add_str(j, "state", r->state == CACHE_STATE_SERVING ? "serving" : "idle");
		tool_json_add_u64(j, "runs", r->runs);
		tool_json_add_u64(j, "clean_stops", r->clean_stops);
		tool_json_add_u64(j, "transactions", r->txns);
		tool_json_add_time(j, "created", r->created_ns);
		tool_json_add_time(j, "run_started", r->run_start_ns);
		add_counters(j, "since_start", &r->run);
		add_counters(j, "total", &r->total);
		h->verify_rc = cache_verify(c, block_matches, NULL, &h->report);
		cache_close(&c);
		h->after = cache_pool_check(path);
	}
	return 0;
}

static bool healthy(const struct health *h)
{
	return h->before == 1 && !h->open_rc && !h->verify_rc && h->after == 1;
}

static void add_health(struct json_object *j, const struct health *h)
{
	struct json_object *o = json_object_new_object();

	tool_json_add_str(o, "pmemobj_check", pool_check_str(h->before));
	if (h->open_rc)
		tool_json_add_str(o, "open_error", h->open_msg);
	else
		tool_json_add_str(o, "pmemobj_check_after_recovery", pool_check_str(h->after));
	tool_json_add_str(o, "invariants", h->open_rc ? "unchecked" :
			  h->verify_rc == -EUCLEAN ? "broken" : h->verify_rc ? "unchecked" : "ok");
	tool_json_add_u64(o, "entries_indexed", h->report.entries);
	tool_json_add_u64(o, "entries_on_lru", h->report.lru);
	tool_json_add_u64(o, "objects", h->report.objects);
	tool_json_add_u64(o, "problems", h->report.problems);
	tool_json_add_str(o, "first_problem", h->report.problems ? h->report.first : NULL);
	tool_json_add_bool(o, "last_stop_clean", h->last_stop_clean);
	tool_json_add_bool(o, "consistent", healthy(h));
	json_object_object_add(j, "health", o);
}

static void print_text(struct json_object *j)
{
	json_object_object_foreach(j, key, val) {
		if (!val || strstr(key, "_ns")) {
			continue;
		} else if (json_object_is_type(val, json_type_object)) {
			printf("%s:\n", key);
			json_object_object_foreach(val, k2, v2)
				if (v2)
					printf("  %-30s %s\n", k2, json_object_get_string(v2));
		} else {
			printf("%-32s %s\n", key, json_object_get_string(val));
		}
	}
}

static int cmd_inspect(const struct options *o, bool stats)
{
	struct kstate_ctx *ctx = NULL;
	struct kstate_store *store = NULL;
	struct json_object *j = json_object_new_object();
	struct health h;
	int rc, ret;

	tool_json_add_str(j, "store", o->store);
	tool_json_add_str(j, "region", o->region);
	ret = store_open(&ctx, o, 0, &store);
	if (ret)
		goto out;
	rc = inspect(store, o->region, &h, j);
	if (rc) {
		ret = cache_error(rc);
		goto out;
	}
	add_health(j, &h);
	if (!stats) {
		/* check: only what says whether the pool is sound. */
		struct json_object *keep = json_object_new_object(), *v;

		json_object_object_add(keep, "store", json_object_get(
			json_object_object_get(j, "store")));
		json_object_object_add(keep, "region", json_object_get(
			json_object_object_get(j, "region")));
		if (json_object_object_get_ex(j, "pool", &v))
			json_object_object_add(keep, "pool", json_object_get(v));
		if (json_object_object_get_ex(j, "entries", &v))
			json_object_object_add(keep, "entries", json_object_get(v));
		json_object_object_get_ex(j, "health", &v);
		json_object_object_foreach(v, k, val)
			json_object_object_add(keep, k, json_object_get(val));
		json_object_put(j);
		j = keep;
	}
	if (o->json)
		tool_json_print(&j);
	else
		print_text(j);
	if (!healthy(&h)) {
		tool_err("%s: %s", o->region, h.open_rc ? h.open_msg : h.report.problems ?
			 h.report.first : "libpmemobj finds the pool inconsistent");
		ret = TOOL_EXIT_FAILURE;
	}
out:
	json_object_put(j);
	kstate_store_delete(&store);
	kstate_ctx_delete(&ctx);
	return ret;
}

/* ---------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "region", required_argument, NULL, 'r' },
		{ "capacity", required_argument, NULL, 'c' },
		{ "block-size", required_argument, NULL, 'b' },
		{ "blocks", required_argument, NULL, 'n' },
		{ "delay-us", required_argument, NULL, 'd' },
		{ "write-pct", required_argument, NULL, 'w' },
		{ "seconds", required_argument, NULL, 't' },
		{ "ops", required_argument, NULL, 'o' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "seed", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		TOOL_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 },
	};
	struct options o = {
		.region = CACHE_REGION_DEFAULT,
		.block_size = CACHE_BLOCK_DEFAULT,
		.delay_us = 2000,
		.interval_ms = 1000,
		.seed = 1,
	};
	const char *cmd, *store = NULL;
	char name[64];
	int c, rc = 0;

	tool_set_name("cache-keepalive");
	json_c_set_serialization_double_format("%.4f", JSON_C_OPTION_GLOBAL);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
		tool_print_version();
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-')
		return tool_usage_error("give a command: run, stats or check");
	cmd = argv[1];
	if (strcmp(cmd, "run") && strcmp(cmd, "stats") && strcmp(cmd, "check"))
		return tool_usage_error("unknown command '%s'", cmd);
	snprintf(name, sizeof(name), "cache-keepalive %s", cmd);
	tool_set_name(name);
	opterr = 0;
	optind = 2;
	while (!rc && (c = getopt_long(argc, argv, ":s:r:c:b:n:d:w:t:o:i:S:jhV", longopts,
				       NULL)) != -1) {
		switch (c) {
		case 's': store = optarg; break;
		case 'r': o.region = optarg; break;
		case 'c': rc = tool_parse_u64("--capacity", optarg, &o.capacity); break;
		case 'b': rc = tool_parse_size("--block-size", optarg, &o.block_size); break;
		case 'n': rc = tool_parse_u64("--blocks", optarg, &o.blocks); break;
		case 'd': rc = tool_parse_u64("--delay-us", optarg, &o.delay_us); break;
		case 'w': rc = tool_parse_u64("--write-pct", optarg, &o.write_pct); break;
		case 't': rc = tool_parse_u64("--seconds", optarg, &o.seconds); break;
		case 'o': rc = tool_parse_u64("--ops", optarg, &o.ops); break;
		case 'i': rc = tool_parse_u64("--interval-ms", optarg, &o.interval_ms); break;
		case 'S': rc = tool_parse_u64("--seed", optarg, &o.seed); break;
		case 'j': o.json = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': tool_print_version(); return 0;
		default: return tool_getopt_error(c, argv);
		}
	}
	if (rc)
		return rc;
	if (optind < argc)
		return tool_usage_error("unexpected argument '%s'", argv[optind]);
	o.store = tool_store_path(store);
	if (!strcmp(cmd, "run"))
		return cmd_run(&o);
	if (o.capacity || o.blocks || o.write_pct || o.seconds || o.ops)
		return tool_usage_error("workload options belong to 'run'");
	return cmd_inspect(&o, !strcmp(cmd, "stats"));
}
