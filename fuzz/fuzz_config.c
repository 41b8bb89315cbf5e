/* parley fuzzing — the config checks both config targets run
 * (fuzz_config_yaml.c, fuzz_config_json.c): the whole load of a config text
 * as parleyd does it (reader with ${...} substitution, model, cross-checks),
 * then the parts read later from the same tree: connector and output
 * options bound to a typed table of every option type (core/options.c),
 * the enrich: section (core/config_enrich.c), and the model's deep copy.
 * Errors must be NUL-terminated and never quote the secret the input can
 * only reach through ${PARLEY_FUZZ_SECRET} or ${file:/tmp/parley-fuzz.secret}. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_enrich.h"
#include "fuzz.h"
#include "options.h"

/* An option table with one option of each type under names the real
 * connectors use, so the seeds' options: maps bind. */
typedef struct {
  const char *s1, *s2, *s3;
  const char *secret1, *secret2, *secret3;
  int64_t i1, i2;
  int b1;
  int64_t d1, d2;
  parley_strlist_t l1, l2;
} fuzz_opts_t;

static const parley_option_t fuzz_table[] = {
    {"base_url", PARLEY_OPT_STRING, 0, "https://api.example", offsetof(fuzz_opts_t, s1), ""},
    {"account_id", PARLEY_OPT_STRING, 0, NULL, offsetof(fuzz_opts_t, s2), ""},
    {"account", PARLEY_OPT_STRING, 0, NULL, offsetof(fuzz_opts_t, s3), ""},
    {"token", PARLEY_OPT_SECRET, 0, NULL, offsetof(fuzz_opts_t, secret1), ""},
    {"app_secret", PARLEY_OPT_SECRET, 0, NULL, offsetof(fuzz_opts_t, secret2), ""},
    {"access_token", PARLEY_OPT_SECRET, 0, NULL, offsetof(fuzz_opts_t, secret3), ""},
    {"count", PARLEY_OPT_INT, 0, "0", offsetof(fuzz_opts_t, i1), ""},
    {"max_results", PARLEY_OPT_INT, 0, "100", offsetof(fuzz_opts_t, i2), ""},
    {"include_raw", PARLEY_OPT_BOOL, 0, "false", offsetof(fuzz_opts_t, b1), ""},
    {"poll_interval", PARLEY_OPT_DURATION, 0, "60s", offsetof(fuzz_opts_t, d1), ""},
    {"interval", PARLEY_OPT_DURATION, 0, "10ms", offsetof(fuzz_opts_t, d2), ""},
    {"sources", PARLEY_OPT_LIST, 0, NULL, offsetof(fuzz_opts_t, l1), ""},
    {"pages", PARLEY_OPT_LIST, 0, NULL, offsetof(fuzz_opts_t, l2), ""},
    {NULL, 0, 0, NULL, 0, NULL},
};

static void bind_options(const parley_conf_instance_t *v, size_t n, const uint8_t *data,
                         size_t size) {
  for (size_t i = 0; i < n; i++) {
    void *bound = NULL;
    parley_error_t err = {0};
    int rc = parley_options_bind(fuzz_table, sizeof(fuzz_opts_t), v[i].options, "fuzz.conf",
                                 "connectors[0].options", &bound, &err);
    if (rc == 0) {
      fuzz_opts_t *o = bound;
      fuzz_require(o->s1 != NULL, "the default of an option was not applied");
      parley_options_free(fuzz_table, bound);
    } else {
      fuzz_require(bound == NULL, "a failed bind handed out a struct");
      fuzz_check_error(&err, data, size);
    }
  }
}

static void check_model(const parley_config_t *cfg, const uint8_t *data, size_t size) {
  parley_config_t *copy = parley_config_clone(cfg);
  fuzz_require(copy != NULL, "config clone failed");
  parley_error_t err = {0};
  fuzz_require(parley_config_check(copy, &err) == 0, "a checked config's clone fails the check: %s",
               err.message);
  parley_config_free(copy);
  bind_options(cfg->connectors, cfg->n_connectors, data, size);
  bind_options(cfg->outputs, cfg->n_outputs, data, size);
  parley_conf_enrich_t *e = NULL;
  if (parley_conf_enrich_parse(cfg->enrich, cfg->source, &e, &err) == 0)
    parley_conf_enrich_free(e);
  else
    fuzz_check_error(&err, data, size);
}


void fuzz_config(const uint8_t *data, size_t size, const char *format) {
  fuzz_secret_setup();
  /* the readers take a length but parleyd always hands them a NUL-terminated
   * buffer (cfg_read_file): so does this */
  char *text = fuzz_strndup(data, size);
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  const char *name = strcmp(format, "json") == 0 ? "/fuzz/parley.json" : "/fuzz/parley.yaml";
  int rc = parley_config_load_string(&cfg, text, size, format, name, &err);
  if (rc == 0) {
    fuzz_require(cfg != NULL, "load succeeded without a config");
    check_model(cfg, data, size);
    parley_config_free(cfg);
  } else {
    fuzz_require(cfg == NULL, "a failed load handed out a config");
    fuzz_check_error(&err, data, size);
  }
  /* the bare reader: every node's substituted text is what the model got */
  parley_node_t *root = NULL;
  rc = strcmp(format, "json") == 0 ? parley_config_parse_json(text, size, name, &root, &err)
                                   : parley_config_parse_yaml(text, size, name, &root, &err);
  if (rc == 0) {
    parley_node_t *copy = parley_node_clone(root);
    fuzz_require(copy != NULL || root == NULL, "node clone failed");
    parley_node_free(copy);
  }
  parley_node_free(root);
  /* and the substitution on the text as one scalar */
  char *out = NULL;
  int substituted = 0;
  if (parley_config_substitute(text, &out, &substituted, &err) == 0)
    free(out);
  else
    fuzz_check_error(&err, data, size);
  free(text);
}
