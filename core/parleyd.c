/* parleyd — the parley daemon.
 *
 *   parleyd --config FILE          run until SIGINT/SIGTERM; SIGHUP reloads
 *   parleyd --check-config FILE    validate, print what would run, exit 0/1
 *   parleyd --list-plugins         describe every plugin and output type
 *   parleyd --version
 *
 * SIGHUP: the new config is validated (plugins loaded, options bound) while
 * the old one keeps running; if it is invalid the old one goes on. If it is
 * valid, the running connectors stop and drain, the outputs flush, and the
 * new router starts; events and checkpoints are in the journal throughout,
 * so a reload loses nothing.
 *
 * Under systemd (Type=notify, dist/systemd/parleyd.service) it says READY=1
 * once the router listens, RELOADING=1 ... READY=1 around a SIGHUP reload,
 * STOPPING=1 on SIGINT/SIGTERM, and pings the watchdog (core/notify.c). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "config.h"
#include "loader.h"
#include "log.h"
#include "notify.h"
#include "output.h"
#include "parley/parley.h"
#include "router.h"

typedef struct daemon {
  uv_loop_t *loop;
  const char *config_path;
  char **extra_dirs;
  size_t n_extra_dirs;
  parley_router_t *router;
  parley_router_t *next; /* validated config waiting for the old router to stop */
  uv_signal_t sigint, sigterm, sighup;
  parley_notify_t notify;
  int stopping; /* SIGINT/SIGTERM seen: a second one must not stop twice */
  int exit_code;
} daemon_t;

static void usage(FILE *out) {
  fprintf(out,
          "usage: parleyd --config FILE [--plugin-dir DIR]...\n"
          "       parleyd --check-config FILE [--plugin-dir DIR]...\n"
          "       parleyd --list-plugins [--plugin-dir DIR]... [--config FILE]\n"
          "       parleyd --version\n");
}

/* --plugin-dir comes before the config's own dirs. */
static int add_dirs(parley_config_t *cfg, char **dirs, size_t n) {
  if (!n)
    return 0;
  char **all = calloc(n + cfg->n_plugin_dirs, sizeof *all);
  if (!all)
    return PARLEY_ENOMEM;
  for (size_t i = 0; i < n; i++)
    all[i] = strdup(dirs[i]);
  for (size_t i = 0; i < cfg->n_plugin_dirs; i++)
    all[n + i] = cfg->plugin_dirs[i];
  free(cfg->plugin_dirs);
  cfg->plugin_dirs = all;
  cfg->n_plugin_dirs += n;
  return 0;
}

static int build(daemon_t *d, parley_router_t **out, parley_error_t *err) {
  parley_config_t *cfg = NULL;
  int rc = parley_config_load_file(&cfg, d->config_path, err);
  if (rc == 0 && add_dirs(cfg, d->extra_dirs, d->n_extra_dirs))
    rc = parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  if (rc == 0)
    rc = parley_router_new(out, d->loop, cfg, err);
  parley_config_free(cfg);
  return rc;
}

/* READY=1 with what runs, for `systemctl status`. */
static void ready(daemon_t *d, const char *what) {
  char status[256];
  snprintf(status, sizeof status, "%s: %zu connectors, %zu outputs", what,
           d->router->n_instances, d->router->n_outputs);
  parley_notify_ready(&d->notify, status);
}

static void close_signals(daemon_t *d) {
  parley_notify_close(&d->notify);
  uv_close((uv_handle_t *)&d->sigint, NULL);
  uv_close((uv_handle_t *)&d->sigterm, NULL);
  uv_close((uv_handle_t *)&d->sighup, NULL);
}

static void stopped(parley_router_t *r, void *data) {
  daemon_t *d = data;
  parley_router_free(r);
  d->router = d->next;
  d->next = NULL;
  if (!d->router) {
    close_signals(d);
    return;
  }
  parley_error_t err = {0};
  if (parley_router_start(d->router, &err) != 0) {
    parley_log(PARLEY_LOG_ERROR, "parleyd", "reloaded config failed to start: %s", err.message);
    d->exit_code = 1;
    d->stopping = 1;
    parley_notify_stopping(&d->notify, "reloaded configuration failed to start");
    parley_router_stop(d->router, stopped, d);
    return;
  }
  parley_log(PARLEY_LOG_INFO, "parleyd", "configuration reloaded");
  ready(d, "reloaded");
}

static void on_signal(uv_signal_t *s, int signum) {
  daemon_t *d = s->data;
  if (!d->router || d->next || d->stopping)
    return; /* already stopping or reloading */
  if (signum == SIGHUP) {
    parley_error_t err = {0};
    parley_log(PARLEY_LOG_INFO, "parleyd", "SIGHUP: reloading %s", d->config_path);
    parley_notify_reloading(&d->notify, "reloading the configuration");
    if (build(d, &d->next, &err) != 0) {
      parley_log(PARLEY_LOG_ERROR, "parleyd", "reload refused, keeping the running config: %s",
                 err.message);
      ready(d, "reload refused, running the previous configuration");
      return;
    }
  } else {
    d->stopping = 1;
    parley_log(PARLEY_LOG_INFO, "parleyd", "%s: stopping", strsignal(signum));
    parley_notify_stopping(&d->notify, "stopping: draining outputs");
  }
  if (parley_router_stop(d->router, stopped, d) != 0)
    stopped(d->router, d);
}

/* Each HTTP connection holds a descriptor; the usual soft limit (1024)
 * would cap the server below its own max_connections, so take the hard
 * limit. Logged once the log is configured. */
static void raise_nofile(rlim_t *before, rlim_t *after) {
  struct rlimit rl;
  *before = *after = 0;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return;
  *before = *after = rl.rlim_cur;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
      *after = rl.rlim_cur;
  }
}

static void log_nofile(const parley_router_t *r, rlim_t before, rlim_t after) {
  const parley_config_t *cfg = r->cfg;
  parley_log(PARLEY_LOG_INFO, "parleyd", "open files limit %llu (was %llu)",
             (unsigned long long)after, (unsigned long long)before);
  if (cfg && cfg->listen && *cfg->listen && after != RLIM_INFINITY &&
      cfg->max_connections + 64 > after)
    parley_log(PARLEY_LOG_WARN, "parleyd",
               "open files limit %llu is below router.max_connections %zu plus 64 for the "
               "rest: connections beyond it are dropped",
               (unsigned long long)after, cfg->max_connections);
}

static int run(daemon_t *d) {
  parley_error_t err = {0};
  rlim_t nofile_before, nofile_after;
  raise_nofile(&nofile_before, &nofile_after);
  d->loop = uv_default_loop();
  int rc = build(d, &d->router, &err);
  if (rc == 0)
    log_nofile(d->router, nofile_before, nofile_after);
  if (rc != 0 || parley_router_start(d->router, &err) != 0) {
    fprintf(stderr, "parleyd: %s\n", err.message);
    if (d->router) {
      parley_router_stop(d->router, NULL, NULL);
      uv_run(d->loop, UV_RUN_DEFAULT);
      parley_router_free(d->router);
    }
    return 1;
  }
  uv_signal_t *sigs[] = {&d->sigint, &d->sigterm, &d->sighup};
  int nums[] = {SIGINT, SIGTERM, SIGHUP};
  for (int i = 0; i < 3; i++) {
    uv_signal_init(d->loop, sigs[i]);
    sigs[i]->data = d;
    uv_signal_start(sigs[i], on_signal, nums[i]);
  }
  signal(SIGPIPE, SIG_IGN);
  parley_notify_init(&d->notify, d->loop);
  ready(d, "running");
  uv_run(d->loop, UV_RUN_DEFAULT);
  uv_loop_close(d->loop);
  return d->exit_code;
}

static void print_route(const parley_conf_route_t *rt, size_t i) {
  printf("  route %s:", rt->name ? rt->name : "");
  if (!rt->name)
    printf("routes[%zu]:", i);
  struct { const char *k; char **v; size_t n; } lists[] = {
      {"platform", rt->platforms, rt->n_platforms}, {"kind", rt->kinds, rt->n_kinds},
      {"connector", rt->connectors, rt->n_connectors}, {"lang", rt->langs, rt->n_langs},
      {"keywords", rt->keywords, rt->n_keywords}};
  int any = 0;
  for (size_t l = 0; l < sizeof lists / sizeof *lists; l++)
    for (size_t k = 0; k < lists[l].n; k++, any = 1) {
      if (k)
        printf("|%s", lists[l].v[k]);
      else
        printf(" %s=%s", lists[l].k, lists[l].v[k]);
    }
  if (rt->min_followers >= 0)
    printf(" min_followers=%lld", (long long)rt->min_followers), any = 1;
  if (rt->visibility >= 0)
    printf(" visibility=%s", parley_visibility_name((parley_visibility_t)rt->visibility)), any = 1;
  printf("%s ->", any ? "" : " (everything)");
  for (size_t k = 0; k < rt->n_outputs; k++)
    printf(" %s", rt->outputs[k]);
  printf("\n");
}

static void print_summary(const parley_router_t *r) {
  const parley_config_t *cfg = r->cfg;
  printf("configuration OK: %s\n", cfg->source);
  printf("  listen  %s\n  journal %s\n", *cfg->listen ? cfg->listen : "(disabled)", cfg->journal);
  for (size_t i = 0; i < r->n_instances; i++) {
    const parley_instance_t *inst = r->instances[i];
    printf("  connector %s: %s %s (%s)\n", inst->name, inst->desc->name,
           inst->desc->version ? inst->desc->version : "", inst->plugin->path);
    parley_options_print_values(inst->desc->options, inst->config, stdout);
  }
  for (size_t i = 0; i < r->n_outputs; i++) {
    printf("  output %s: %s\n", r->outputs[i]->name, r->outputs[i]->type->name);
    parley_options_print_values(r->outputs[i]->type->options, r->outputs[i]->config, stdout);
  }
  for (size_t i = 0; i < cfg->n_routes; i++)
    print_route(&cfg->routes[i], i);
  if (cfg->default_output)
    printf("  unrouted events -> %s\n", cfg->default_output);
}

static int check_config(daemon_t *d) {
  parley_error_t err = {0};
  d->loop = uv_default_loop();
  parley_router_t *r = NULL;
  if (build(d, &r, &err) != 0) {
    fprintf(stderr, "parleyd: %s\n", err.message);
    return 1;
  }
  print_summary(r);
  parley_router_free(r);
  uv_loop_close(d->loop);
  return 0;
}

static void describe_one(const char *path, const parley_plugin_t *p, const parley_error_t *err,
                         void *data) {
  int *count = data;
  if (p) {
    parley_plugin_describe(p->desc, path, stdout);
    printf("\n");
    (*count)++;
  } else {
    fprintf(stderr, "parleyd: skipped %s\n", err->message);
  }
}

static int list_plugins(daemon_t *d) {
  parley_config_t *cfg = parley_config_new();
  parley_error_t err = {0};
  if (d->config_path && parley_config_load_file(&cfg, d->config_path, &err) != 0) {
    fprintf(stderr, "parleyd: %s\n", err.message);
    return 1;
  }
  add_dirs(cfg, d->extra_dirs, d->n_extra_dirs);
  size_t ndirs;
  const char *const *dirs = parley_plugin_search_dirs(cfg->plugin_dirs, cfg->n_plugin_dirs, &ndirs);
  int count = 0;
  parley_plugin_scan(dirs, ndirs, describe_one, &count);
  int outputs = 0;
  for (size_t i = 0; parley_output_types[i]; i++, outputs++) {
    const parley_output_type_t *t = parley_output_types[i];
    printf("%s (output, built in)\n  %s\n  options\n", t->name, t->description);
    parley_plugin_print_options(t->options, stdout);
    printf("\n");
  }
  printf("%d connector plugin(s), %d output type(s)\n", count, outputs);
  parley_config_free(cfg);
  return 0;
}

int main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"config", required_argument, NULL, 'c'}, {"check-config", required_argument, NULL, 'k'},
      {"list-plugins", no_argument, NULL, 'l'}, {"plugin-dir", required_argument, NULL, 'p'},
      {"version", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  daemon_t d = {0};
  char *dirs[64];
  int mode = 0, opt;
  while ((opt = getopt_long(argc, argv, "c:k:lp:vh", longopts, NULL)) != -1) {
    switch (opt) {
    case 'c': d.config_path = optarg; mode = mode ? mode : 'c'; break;
    case 'k': d.config_path = optarg; mode = 'k'; break;
    case 'l': mode = 'l'; break;
    case 'p':
      if (d.n_extra_dirs < 64)
        dirs[d.n_extra_dirs++] = optarg;
      break;
    case 'v': printf("parleyd %s (connector ABI %d.%d)\n", parley_version(), PARLEY_ABI_MAJOR, PARLEY_ABI_MINOR); return 0;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  d.extra_dirs = dirs;
  if (optind < argc || !mode) {
    usage(stderr);
    return 2;
  }
  if (mode == 'l')
    return list_plugins(&d);
  if (mode == 'k')
    return check_config(&d);
  return run(&d);
}
