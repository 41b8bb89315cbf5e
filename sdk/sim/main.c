/* parley-sim — command line: parse options, run the simulator until
 * SIGINT/SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

/* The platforms compiled in (sdk/sim/CMakeLists.txt sets the flags). */
static const parley_sim_platform_t *const parley_sim_all[] = {
#ifdef PARLEY_SIM_HAVE_TWITTER
    &parley_sim_twitter,
#endif
#ifdef PARLEY_SIM_HAVE_FACEBOOK
    &parley_sim_facebook,
#endif
#ifdef PARLEY_SIM_HAVE_INSTAGRAM
    &parley_sim_instagram,
#endif
#ifdef PARLEY_SIM_HAVE_LINKEDIN
    &parley_sim_linkedin,
#endif
#ifdef PARLEY_SIM_HAVE_TIKTOK
    &parley_sim_tiktok,
#endif
    NULL,
};

#define PARLEY_SIM_MAX_WEBHOOK_ARGS 16

typedef struct parley_sim_cli {
  parley_sim_config_t config;
  const char *webhooks[PARLEY_SIM_MAX_WEBHOOK_ARGS]; /* "platform=url" */
  size_t nwebhooks;
} parley_sim_cli_t;

static void parley_sim_usage(FILE *f) {
  fputs("usage: parley-sim [options]\n"
        "  --listen HOST:PORT        address to serve (default 127.0.0.1:8787; port 0 = any)\n"
        "  --scenario FILE           scenario (JSON): accounts, customers, timeline\n"
        "  --seed N                  seed for generated content and ids (default 1)\n"
        "  --rate N                  generate N new items per second over all platforms\n"
        "  --webhook PLATFORM=URL    send PLATFORM's webhooks to URL (repeatable)\n"
        "  --keepalive-ms N          stream keep-alive interval (default 20000)\n"
        "  --rate-window-s N         make every rate-limit window N seconds long\n"
        "  --rate-limit-scale F      multiply every documented rate limit by F (min 1)\n"
        "  --webhook-retry-ms N      first webhook retry delay, doubling (default 1000)\n"
        "  --webhook-attempts N      webhook delivery attempts in all (default 4)\n"
        "  --timeout-hold-ms N       how long a 'timeout' fault holds a request (default 60000)\n"
        "  --week-end TIME           end of the scenario's generated week: now or ISO-8601\n"
        "  --week-texts DIR          labelled texts of the week (<lang>.tsv files)\n"
        "  --verbose                 log every request to stderr\n"
        "  --help\n",
        f);
}

static int parley_sim_parse_u64(const char *opt, const char *s, uint64_t *out) {
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || *end || s[0] == '-') {
    fprintf(stderr, "parley-sim: %s: '%s' is not a non-negative integer\n", opt, s);
    return -1;
  }
  *out = v;
  return 0;
}

static int parley_sim_parse_double(const char *opt, const char *s, double *out) {
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || v < 0) {
    fprintf(stderr, "parley-sim: %s: '%s' is not a non-negative number\n", opt, s);
    return -1;
  }
  *out = v;
  return 0;
}

/* One option with its value; returns 0, or -1 after printing why. */
static int parley_sim_parse_opt(parley_sim_cli_t *cli, const char *opt, const char *val) {
  parley_sim_config_t *c = &cli->config;
  uint64_t u = 0;
  if (!strcmp(opt, "--listen")) { c->listen = val; return 0; }
  if (!strcmp(opt, "--scenario")) { c->scenario_path = val; return 0; }
  if (!strcmp(opt, "--week-end")) { c->week_end = val; return 0; }
  if (!strcmp(opt, "--week-texts")) { c->week_texts = val; return 0; }
  if (!strcmp(opt, "--rate")) return parley_sim_parse_double(opt, val, &c->rate);
  if (!strcmp(opt, "--rate-limit-scale")) return parley_sim_parse_double(opt, val, &c->rate_limit_scale);
  if (!strcmp(opt, "--webhook")) {
    if (!strchr(val, '=') || cli->nwebhooks == PARLEY_SIM_MAX_WEBHOOK_ARGS) {
      fprintf(stderr, "parley-sim: --webhook: expected PLATFORM=URL (at most %d), got '%s'\n",
              PARLEY_SIM_MAX_WEBHOOK_ARGS, val);
      return -1;
    }
    cli->webhooks[cli->nwebhooks++] = val;
    return 0;
  }
  if (parley_sim_parse_u64(opt, val, &u) != 0) return -1;
  if (!strcmp(opt, "--seed")) c->seed = u;
  else if (!strcmp(opt, "--keepalive-ms")) c->keepalive_ms = u;
  else if (!strcmp(opt, "--rate-window-s")) c->rate_window_s = u;
  else if (!strcmp(opt, "--webhook-retry-ms")) c->webhook_retry_ms = u;
  else if (!strcmp(opt, "--webhook-attempts")) c->webhook_attempts = (unsigned)u;
  else if (!strcmp(opt, "--timeout-hold-ms")) c->timeout_hold_ms = u;
  else {
    fprintf(stderr, "parley-sim: unknown option '%s' (see --help)\n", opt);
    return -1;
  }
  return 0;
}

/* Returns 0 to run, 1 to exit successfully (--help), -1 on a usage error. */
static int parley_sim_parse_args(parley_sim_cli_t *cli, int argc, char **argv) {
  parley_sim_config_t *c = &cli->config;
  c->listen = "127.0.0.1:8787";
  c->seed = 1;
  c->keepalive_ms = 20000;
  c->rate_limit_scale = 1.0;
  c->webhook_retry_ms = 1000;
  c->webhook_attempts = 4;
  c->timeout_hold_ms = 60000;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      parley_sim_usage(stdout);
      return 1;
    }
    if (!strcmp(a, "--verbose")) {
      c->verbose = 1;
      continue;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "parley-sim: option '%s' needs a value (see --help)\n", a);
      return -1;
    }
    if (parley_sim_parse_opt(cli, a, argv[i + 1]) != 0) return -1;
    i++;
  }
  return 0;
}

static int parley_sim_apply_webhooks(parley_sim_t *sim, const parley_sim_cli_t *cli) {
  for (size_t i = 0; i < cli->nwebhooks; i++) {
    char name[32];
    const char *eq = strchr(cli->webhooks[i], '=');
    size_t n = (size_t)(eq - cli->webhooks[i]);
    if (n == 0 || n >= sizeof name) {
      fprintf(stderr, "parley-sim: --webhook '%s': bad platform name\n", cli->webhooks[i]);
      return -1;
    }
    memcpy(name, cli->webhooks[i], n);
    name[n] = '\0';
    if (!parley_sim_platform(sim, name)) {
      fprintf(stderr, "parley-sim: --webhook: unknown platform '%s'\n", name);
      return -1;
    }
    parley_sim_webhook_set_target(sim, name, eq + 1);
  }
  return 0;
}

typedef struct parley_sim_main {
  parley_sim_t sim;
  uv_signal_t sigint, sigterm;
  int stopping;
} parley_sim_main_t;

static void parley_sim_on_stopped(void *data) {
  parley_sim_main_t *m = data;
  uv_close((uv_handle_t *)&m->sigint, NULL);
  uv_close((uv_handle_t *)&m->sigterm, NULL);
}

static void parley_sim_on_signal(uv_signal_t *h, int signum) {
  parley_sim_main_t *m = h->data;
  if (m->stopping++) return;
  fprintf(stderr, "parley-sim: signal %d, stopping\n", signum);
  parley_sim_stop(&m->sim, parley_sim_on_stopped, m);
}

int main(int argc, char **argv) {
  parley_sim_cli_t cli;
  memset(&cli, 0, sizeof cli);
  int rc = parley_sim_parse_args(&cli, argc, argv);
  if (rc != 0) return rc > 0 ? 0 : 2;
  signal(SIGPIPE, SIG_IGN);

  static parley_sim_main_t m;
  parley_error_t err = {0};
  uv_loop_t *loop = uv_default_loop();
  size_t n = sizeof parley_sim_all / sizeof parley_sim_all[0] - 1;
  if (parley_sim_init(&m.sim, loop, &cli.config, parley_sim_all, n, &err) != 0 ||
      parley_sim_apply_webhooks(&m.sim, &cli) != 0 || parley_sim_start(&m.sim, &err) != 0) {
    if (err.code) fprintf(stderr, "parley-sim: %s\n", err.message);
    /* The server may already listen: close it properly before freeing. */
    if (m.sim.internal) {
      parley_sim_stop(&m.sim, NULL, NULL);
      uv_run(loop, UV_RUN_DEFAULT);
    }
    parley_sim_free(&m.sim);
    uv_loop_close(loop);
    return 1;
  }
  const char *colon = strrchr(cli.config.listen, ':');
  int hostlen = colon ? (int)(colon - cli.config.listen) : 0;
  printf("parley-sim listening on %.*s:%d\n", hostlen, cli.config.listen,
         parley_sim_port(&m.sim));
  fflush(stdout);

  uv_signal_init(loop, &m.sigint);
  uv_signal_init(loop, &m.sigterm);
  m.sigint.data = m.sigterm.data = &m;
  uv_signal_start(&m.sigint, parley_sim_on_signal, SIGINT);
  uv_signal_start(&m.sigterm, parley_sim_on_signal, SIGTERM);
  uv_run(loop, UV_RUN_DEFAULT);
  parley_sim_free(&m.sim);
  uv_loop_close(loop);
  return 0;
}
