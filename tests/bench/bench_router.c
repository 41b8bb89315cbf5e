/* bench_router — events per second through the whole router: the test
 * connector emits N events as fast as the loop allows, each is journaled
 * (SQLite, WAL, batched), routed and written by the ndjson output to
 * /dev/null; the clock stops when the router has stopped, i.e. when every
 * event has been delivered.
 *
 * With "enrich" the enrichment stage runs too (language, sentiment,
 * keyword sets, priority, SLA on business hours) and the connector leaves
 * lang unset, so every step does its work.
 *
 *   bench_router PLUGIN_DIR [N] [JOURNAL_DIR] [enrich]
 *   cmake --build build --target bench */
#include <parley/parley.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_care.h"

typedef struct bench {
  long want, got;
  int stopping;
  struct timespec t0, t1;
} bench_t;

static double seconds(const struct timespec *a, const struct timespec *b) {
  return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void stopped(parley_router_t *r, void *data) {
  bench_t *b = data;
  (void)r;
  clock_gettime(CLOCK_MONOTONIC, &b->t1);
}

static void on_event(parley_router_t *r, const parley_event_t *ev, void *data) {
  bench_t *b = data;
  (void)ev;
  if (++b->got == b->want && !b->stopping) {
    b->stopping = 1;
    parley_router_stop(r, stopped, b); /* drains the output before it reports */
  }
}

static const char *const enrich_yaml = "enrich:\n" BENCH_KEYWORDS_YAML "  sla:\n" BENCH_SLA_YAML;

/* The benchmark texts as a YAML flow list for the test connector (which
 * then cycles them and leaves lang unset). */
static void texts_yaml(char *buf, size_t size) {
  size_t o = (size_t)snprintf(buf, size, "[");
  for (size_t i = 0; i < BENCH_N_TEXTS && o < size; i++)
    o += (size_t)snprintf(buf + o, size - o, "%s'%s'", i ? ", " : "", bench_texts[i]);
  if (o < size)
    snprintf(buf + o, size - o, "]");
}

static int configure(parley_config_t **c, const char *plugins, const char *journal, long n,
                     int enrich, parley_error_t *err) {
  char yaml[4096], texts[1024];
  texts_yaml(texts, sizeof texts);
  int len = snprintf(yaml, sizeof yaml,
                     "router: {plugin_dir: '%s', listen: '', journal: '%s', log_level: warn,"
                     " queue_size: 100000}\n"
                     "connectors:\n"
                     "  - {name: bench, plugin: testconn, options: {account: acme, count: %ld,"
                     " batch: 4096, interval: 1ms, lang: %s, texts: %s}}\n"
                     "outputs: [{name: devnull, type: ndjson, options: {path: /dev/null}}]\n"
                     "routes: [{outputs: devnull}]\n%s",
                     plugins, journal, n, enrich ? "false" : "true", texts,
                     enrich ? enrich_yaml : "");
  return parley_config_load_string(c, yaml, (size_t)len, "yaml", "bench_router", err);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_router PLUGIN_DIR [N] [JOURNAL_DIR] [enrich]\n");
    return 2;
  }
  bench_t b = {.want = argc > 2 ? atol(argv[2]) : 200000};
  const char *jdir = argc > 3 ? argv[3] : "/tmp";
  int enrich = argc > 4 && strcmp(argv[4], "enrich") == 0;
  char dir[256];
  snprintf(dir, sizeof dir, "%s/parley-bench-XXXXXX", jdir);
  if (!mkdtemp(dir))
    return 1;
  char journal[300];
  snprintf(journal, sizeof journal, "%s/journal", dir);
  uv_loop_t loop;
  uv_loop_init(&loop);
  parley_config_t *cfg = NULL;
  parley_router_t *r = NULL;
  parley_error_t err = {0};
  if (configure(&cfg, argv[1], journal, b.want, enrich, &err) ||
      parley_router_new(&r, &loop, cfg, &err) || parley_router_start(r, &err)) {
    fprintf(stderr, "bench_router: %s\n", err.message);
    return 1;
  }
  parley_config_free(cfg);
  parley_router_on_event(r, on_event, &b);
  clock_gettime(CLOCK_MONOTONIC, &b.t0);
  uv_run(&loop, UV_RUN_DEFAULT);
  parley_router_free(r);
  uv_loop_close(&loop);
  double s = seconds(&b.t0, &b.t1);
  printf("bench_router: %ld events connector -> %sjournal -> route -> ndjson(/dev/null) in %.2f s: "
         "%.0f events/s\n", b.got, enrich ? "enrich -> " : "", s, (double)b.got / s);
  printf("reproduce: %s %s %ld %s%s\n", argv[0], argv[1], b.want, jdir, enrich ? " enrich" : "");
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 && b.got == b.want ? 0 : 1;
}
