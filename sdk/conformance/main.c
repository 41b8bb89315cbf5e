/* parley-conformance — check a connector plugin against the ABI contract.
 *
 *   parley-conformance path/to/connector.so --config instance-options.yaml
 *       [--schema docs/event.schema.json] [--sim-url URL] [options]
 *
 * Prints one row per check (PASS / FAIL / SKIP and a short detail) and
 * exits 1 when any check failed, 2 on a usage error, 0 otherwise. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kit.h"

static void usage(FILE *f) {
  fputs("usage: parley-conformance CONNECTOR.so --config OPTIONS.yaml [options]\n"
        "  --config FILE          the instance's options (a YAML or JSON map, as under\n"
        "                         `options:` in parleyd's config; ${ENV} is substituted)\n"
        "  --schema FILE          also check every event against this JSON Schema\n"
        "                         (docs/event.schema.json; needs python3-jsonschema)\n"
        "  --sim-url URL          the platform simulator's control API (parley-sim or a\n"
        "                         fake platform speaking /_sim/): enables the fault rows\n"
        "  --probe-type TYPE      item type posted to /_sim/items after a fault (mention)\n"
        "  --probe JSON           more fields of that item, e.g. '{\"text\":\"@acme help\"}'\n"
        "                         (the platform may only return items that mention the brand)\n"
        "  --schema-checker FILE  check_schema.py to use (default: the installed one)\n"
        "  --quiet-ms N           an event run ends N ms after the last event (1500)\n"
        "  --max-run-ms N         and at the latest after N ms (15000)\n"
        "  --verbose              let the router log at info level (stderr)\n"
        "  --help\n",
        f);
}

/* check_schema.py: installed next to the program (<prefix>/<datadir>,
 * found from /proc/self/exe so any --prefix works), else in the source tree
 * the program was built from. */
static const char *default_checker(void) {
  static char installed[PATH_MAX + 64];
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    size_t bindir = strlen(PARLEY_KIT_BINDIR);
    /* <prefix>/<bindir>/parley-conformance -> <prefix> */
    if (slash && (size_t)(slash - exe) > bindir &&
        !strncmp(slash - bindir, PARLEY_KIT_BINDIR, bindir) && slash[-(long)bindir - 1] == '/') {
      slash[-(long)bindir - 1] = '\0';
      snprintf(installed, sizeof installed, "%s/%s/check_schema.py", exe, PARLEY_KIT_DATADIR);
      if (access(installed, R_OK) == 0)
        return installed;
    }
  }
  const char *source = PARLEY_KIT_SOURCE_DIR "/tests/unit/check_schema.py";
  return access(source, R_OK) == 0 ? source : NULL;
}

static int parse_ms(const char *s, uint64_t *out) {
  char *end = NULL;
  unsigned long long v = strtoull(s, &end, 10);
  if (!*s || *end || v == 0)
    return -1;
  *out = v;
  return 0;
}

/* Returns 0, or 2 after printing why. */
static int parse_args(parley_kit_t *kit, int argc, char **argv, const char **plugin) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    int takes = 1;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      exit(0);
    } else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
      kit->verbose = 1;
      takes = 0;
    } else if (a[0] != '-') {
      if (*plugin) {
        fprintf(stderr, "parley-conformance: one connector at a time ('%s' and '%s')\n",
                *plugin, a);
        return 2;
      }
      *plugin = a;
      takes = 0;
    } else if (!v) {
      fprintf(stderr, "parley-conformance: %s needs a value\n", a);
      return 2;
    } else if (!strcmp(a, "--config")) {
      kit->config_path = v;
    } else if (!strcmp(a, "--schema")) {
      kit->schema_path = v;
    } else if (!strcmp(a, "--sim-url")) {
      kit->sim_url = v;
    } else if (!strcmp(a, "--probe-type")) {
      kit->probe_type = v;
    } else if (!strcmp(a, "--probe")) {
      kit->probe_json = v;
    } else if (!strcmp(a, "--schema-checker")) {
      kit->checker = v;
    } else if (!strcmp(a, "--quiet-ms") && parse_ms(v, &kit->quiet_ms) == 0) {
    } else if (!strcmp(a, "--max-run-ms") && parse_ms(v, &kit->max_run_ms) == 0) {
    } else {
      fprintf(stderr, "parley-conformance: unknown option or bad value: %s %s\n", a, v);
      usage(stderr);
      return 2;
    }
    i += takes;
  }
  if (!*plugin || !kit->config_path) {
    usage(stderr);
    return 2;
  }
  return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

void parley_kit_free(parley_kit_t *kit) {
  for (size_t i = 0; i < kit->n_opts; i++) {
    free(kit->opts[i].key);
    free(kit->opts[i].value);
  }
  free(kit->opts);
  parley_plugin_unload(kit->plugin);
  free(kit->plugin_path);
  if (kit->tmpdir[0])
    nftw(kit->tmpdir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* The rows that need a working config, skipped when there is none. */
static void skip_rest(parley_kit_t *kit, const char *why) {
  static const char *const rows[] = {"lifecycle.cycles", "lifecycle.stop_deadline",
                                     "events.emitted", "events.valid", "events.schema",
                                     "ids.unique", "ids.stable", "checkpoint.resume",
                                     "fault.*"};
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
    parley_kit_row(&kit->report, rows[i], PARLEY_KIT_SKIP, "%s", why);
}

int main(int argc, char **argv) {
  parley_kit_t kit = {.max_run_ms = 15000, .quiet_ms = 1500, .probe_type = "mention"};
  const char *plugin = NULL;
  int rc = parse_args(&kit, argc, argv, &plugin);
  if (rc)
    return rc;
  if (!kit.checker)
    kit.checker = default_checker();
  char resolved[PATH_MAX];
  kit.plugin_path = strdup(realpath(plugin, resolved) ? resolved : plugin);
  const char *tmp = getenv("TMPDIR");
  snprintf(kit.tmpdir, sizeof kit.tmpdir, "%s/parley-conformance-XXXXXX",
           tmp && *tmp ? tmp : "/tmp");
  if (!kit.plugin_path || !mkdtemp(kit.tmpdir)) {
    fprintf(stderr, "parley-conformance: cannot create a temporary directory in %s\n",
            tmp && *tmp ? tmp : "/tmp");
    kit.tmpdir[0] = '\0';
    parley_kit_free(&kit);
    return 2;
  }

  parley_kit_report_begin(&kit.report, stdout, kit.plugin_path);
  parley_error_t err = {0};
  if (parley_kit_check_descriptor(&kit) != 0) {
    parley_kit_row(&kit.report, "options.*", PARLEY_KIT_SKIP, "plugin not loaded");
    skip_rest(&kit, "plugin not loaded");
  } else if (parley_kit_read_options(&kit, &err) != 0) {
    parley_kit_row(&kit.report, "options.bind", PARLEY_KIT_FAIL, "%s", err.message);
    skip_rest(&kit, "no usable --config");
  } else {
    if (parley_kit_check_options(&kit) != 0) {
      skip_rest(&kit, "options did not bind");
    } else {
      parley_kit_check_lifecycle(&kit);
      parley_kit_check_events(&kit);
      parley_kit_check_faults(&kit);
    }
  }
  rc = parley_kit_report_end(&kit.report);
  parley_kit_free(&kit);
  return rc;
}
