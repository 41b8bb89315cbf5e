/* bench_router — events per second through the whole router: the test
 * connector emits N events as fast as the loop allows, each is journaled
 * (SQLite, WAL, batched), routed and written by the ndjson output to
 * /dev/null; the clock stops when the router has stopped, i.e. when every
 * event has been delivered.
 *
 *   bench_router PLUGIN_DIR [N] [JOURNAL_DIR]
 *   cmake --build build --target bench */
#include <parley/parley.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static int configure(parley_config_t *c, const char *plugins, const char *journal, long n) {
  char count[32];
  snprintf(count, sizeof count, "%ld", n);
  int rc = parley_config_set(c, "plugin_dir", plugins);
  if (!rc) rc = parley_config_set(c, "listen", "");
  if (!rc) rc = parley_config_set(c, "journal", journal);
  if (!rc) rc = parley_config_set(c, "log_level", "warn");
  if (!rc) rc = parley_config_set(c, "queue_size", "100000");
  if (!rc) rc = parley_config_add_connector(c, "bench", "testconn");
  if (!rc) rc = parley_config_set_option(c, "bench", "account", "acme", 0);
  if (!rc) rc = parley_config_set_option(c, "bench", "count", count, 0);
  if (!rc) rc = parley_config_set_option(c, "bench", "batch", "512", 0);
  if (!rc) rc = parley_config_set_option(c, "bench", "interval", "1ms", 0);
  if (!rc) rc = parley_config_add_output(c, "devnull", "ndjson");
  if (!rc) rc = parley_config_set_option(c, "devnull", "path", "/dev/null", 0);
  if (!rc) rc = parley_config_add_route(c, NULL, "devnull");
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_router PLUGIN_DIR [N] [JOURNAL_DIR]\n");
    return 2;
  }
  bench_t b = {.want = argc > 2 ? atol(argv[2]) : 200000};
  char dir[256];
  snprintf(dir, sizeof dir, "%s/parley-bench-XXXXXX", argc > 3 ? argv[3] : "/tmp");
  if (!mkdtemp(dir))
    return 1;
  char journal[300];
  snprintf(journal, sizeof journal, "%s/journal", dir);
  uv_loop_t loop;
  uv_loop_init(&loop);
  parley_config_t *cfg = parley_config_new();
  parley_router_t *r = NULL;
  parley_error_t err = {0};
  if (!cfg || configure(cfg, argv[1], journal, b.want) ||
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
  printf("bench_router: %ld events connector -> journal -> route -> ndjson(/dev/null) in %.2f s: "
         "%.0f events/s\n", b.got, s, (double)b.got / s);
  printf("reproduce: %s %s %ld\n", argv[0], argv[1], b.want);
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 && b.got == b.want ? 0 : 1;
}
