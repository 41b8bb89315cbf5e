/* embed — parley's router inside another libuv program.
 *
 * The program owns the loop and has a timer of its own ticking beside the
 * router; the config is built in code; every event arrives through a
 * callback; after N events the router is stopped asynchronously and the
 * program's loop ends. Usage: embed PLUGIN_DIR [N] */
#include <parley/parley.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct app {
  parley_router_t *router;
  uv_timer_t heartbeat;
  long want, got, german;
  int stopping;
} app_t;

static void on_stopped(parley_router_t *r, void *data) {
  app_t *app = data;
  (void)r;
  uv_close((uv_handle_t *)&app->heartbeat, NULL);
}

static void on_event(parley_router_t *r, const parley_event_t *ev, void *data) {
  app_t *app = data;
  app->got++;
  if (parley_event_lang(ev) && strcmp(parley_event_lang(ev), "de") == 0)
    app->german++;
  if (app->got == app->want && !app->stopping) {
    app->stopping = 1;
    parley_router_stop(r, on_stopped, app);
  }
}

static void heartbeat(uv_timer_t *t) {
  app_t *app = t->data;
  fprintf(stderr, "embed: %ld events so far\n", app->got);
}

static int build_config(parley_config_t *cfg, const char *plugin_dir, const char *journal,
                        long n) {
  char count[32];
  snprintf(count, sizeof count, "%ld", n);
  int rc = parley_config_set(cfg, "plugin_dir", plugin_dir);
  if (!rc) rc = parley_config_set(cfg, "listen", "");
  if (!rc) rc = parley_config_set(cfg, "journal", journal);
  if (!rc) rc = parley_config_set(cfg, "log_level", "warn");
  if (!rc) rc = parley_config_add_connector(cfg, "demo", "testconn");
  if (!rc) rc = parley_config_set_option(cfg, "demo", "account", "acme", 0);
  if (!rc) rc = parley_config_set_option(cfg, "demo", "count", count, 0);
  if (!rc) rc = parley_config_set_option(cfg, "demo", "interval", "1ms", 0);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: embed PLUGIN_DIR [N]\n");
    return 2;
  }
  app_t app = {.want = argc > 2 ? atol(argv[2]) : 1000};
  char journal[] = "/tmp/parley-embed-XXXXXX";
  if (!mkdtemp(journal))
    return 1;
  char path[64];
  snprintf(path, sizeof path, "%s/journal", journal);

  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_timer_init(&loop, &app.heartbeat);
  app.heartbeat.data = &app;
  uv_timer_start(&app.heartbeat, heartbeat, 100, 100);

  parley_error_t err = {0};
  parley_config_t *cfg = parley_config_new();
  if (!cfg || build_config(cfg, argv[1], path, app.want) != 0 ||
      parley_router_new(&app.router, &loop, cfg, &err) != 0 ||
      parley_router_start(app.router, &err) != 0) {
    fprintf(stderr, "embed: %s\n", err.message[0] ? err.message : "cannot build the config");
    return 1;
  }
  parley_config_free(cfg);
  parley_router_on_event(app.router, on_event, &app);
  uv_run(&loop, UV_RUN_DEFAULT);
  parley_router_free(app.router);
  uv_loop_close(&loop);
  printf("embed: received %ld events (%ld in German) on the program's own loop\n", app.got,
         app.german);
  remove(path);
  char side[80];
  snprintf(side, sizeof side, "%s-wal", path);
  remove(side);
  snprintf(side, sizeof side, "%s-shm", path);
  remove(side);
  remove(journal);
  return app.got == app.want ? 0 : 1;
}
