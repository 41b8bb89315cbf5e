/* parley-conformance — options: read the --config map, then check that it
 * binds, that an empty map is refused when options are required, that an
 * unknown key is refused, and that no refusal quotes a secret. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "kit.h"

static char *read_file(const char *path, size_t *len, parley_error_t *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    parley_error_set(err, PARLEY_ECONFIG, "%s: cannot open the --config file", path);
    return NULL;
  }
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  for (size_t got; buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0;) {
    n += got;
    if (cap - n - 1 == 0) {
      char *grown = realloc(buf, cap * 2);
      if (!grown) {
        free(buf);
        buf = NULL;
      }
      buf = grown;
      cap *= 2;
    }
  }
  fclose(f);
  if (!buf) {
    parley_error_set(err, PARLEY_ENOMEM, "%s: out of memory", path);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

static int add_opt(parley_kit_t *kit, const char *key, const char *value, int append) {
  parley_kit_opt_t *grown = realloc(kit->opts, (kit->n_opts + 1) * sizeof *grown);
  if (!grown)
    return PARLEY_ENOMEM;
  kit->opts = grown;
  parley_kit_opt_t *o = &kit->opts[kit->n_opts];
  o->key = strdup(key);
  o->value = strdup(value);
  o->append = append;
  if (!o->key || !o->value) {
    free(o->key);
    free(o->value);
    return PARLEY_ENOMEM;
  }
  kit->n_opts++;
  return 0;
}

/* The file is what would stand under `options:` in parleyd's config: a
 * map of scalars and lists of scalars. */
static int take_map(parley_kit_t *kit, const parley_node_t *root, parley_error_t *err) {
  const char *src = kit->config_path;
  if (!root || root->type == PARLEY_NODE_NULL)
    return 0; /* an empty file: no options */
  if (root->type != PARLEY_NODE_MAP)
    return parley_error_set(err, PARLEY_ECONFIG, "%s:%d: expected a map of options", src,
                            root->line);
  for (size_t i = 0; i < root->count; i++) {
    const parley_node_t *v = root->items[i];
    int rc = 0;
    if (v->type == PARLEY_NODE_SCALAR) {
      rc = add_opt(kit, root->keys[i], v->value, 0);
    } else if (v->type == PARLEY_NODE_SEQ) {
      for (size_t j = 0; rc == 0 && j < v->count; j++) {
        if (v->items[j]->type != PARLEY_NODE_SCALAR)
          return parley_error_set(err, PARLEY_ECONFIG, "%s:%d: %s[%zu]: expected a scalar",
                                  src, v->items[j]->line, root->keys[i], j);
        rc = add_opt(kit, root->keys[i], v->items[j]->value, 1);
      }
    } else {
      return parley_error_set(err, PARLEY_ECONFIG,
                              "%s:%d: %s: expected a scalar or a list of scalars", src, v->line,
                              root->keys[i]);
    }
    if (rc)
      return parley_error_set(err, rc, "%s: out of memory", src);
  }
  return 0;
}

int parley_kit_read_options(parley_kit_t *kit, parley_error_t *err) {
  size_t len = 0;
  char *text = read_file(kit->config_path, &len, err);
  if (!text)
    return err->code;
  const char *dot = strrchr(kit->config_path, '.');
  parley_node_t *root = NULL;
  int rc = dot && !strcmp(dot, ".json")
               ? parley_config_parse_json(text, len, kit->config_path, &root, err)
               : parley_config_parse_yaml(text, len, kit->config_path, &root, err);
  free(text);
  if (rc == 0)
    rc = take_map(kit, root, err);
  parley_node_free(root);
  return rc;
}

/* Does any secret value of the --config appear in msg? */
static const char *leaked_secret(const parley_kit_t *kit, const char *msg) {
  const parley_connector_t *d = kit->plugin->desc;
  for (const parley_option_t *o = d->options; o && o->name; o++) {
    if (o->type != PARLEY_OPT_SECRET)
      continue;
    for (size_t i = 0; i < kit->n_opts; i++)
      if (!strcmp(kit->opts[i].key, o->name) && strlen(kit->opts[i].value) >= 4 &&
          strstr(msg, kit->opts[i].value))
        return o->name;
  }
  return NULL;
}

static const char *first_required(const parley_connector_t *d) {
  for (const parley_option_t *o = d->options; o && o->name; o++)
    if (o->flags & PARLEY_OPT_REQUIRED)
      return o->name;
  return NULL;
}

static size_t count_secrets_given(const parley_kit_t *kit) {
  size_t n = 0;
  for (const parley_option_t *o = kit->plugin->desc->options; o && o->name; o++)
    for (size_t i = 0; o->type == PARLEY_OPT_SECRET && i < kit->n_opts; i++)
      n += !strcmp(kit->opts[i].key, o->name);
  return n;
}

/* A refusal must happen, be PARLEY_ECONFIG-or-EINVAL-like and name what. */
static void expect_refusal(parley_kit_t *kit, const char *row, parley_kit_opts_mode_t mode,
                           const char *must_name, const char **leak) {
  parley_kit_run_t run;
  parley_error_t err = {0};
  if (parley_kit_run_open(&run, kit, "options.journal", mode, &err) == 0) {
    parley_kit_run_close(&run);
    parley_kit_row(&kit->report, row, PARLEY_KIT_FAIL, "accepted; expected a refusal naming '%s'",
                   must_name);
    return;
  }
  if (!*leak)
    *leak = leaked_secret(kit, err.message);
  if (!strstr(err.message, must_name))
    parley_kit_row(&kit->report, row, PARLEY_KIT_FAIL,
                   "refused, but the message does not name '%s': %s", must_name, err.message);
  else
    parley_kit_row(&kit->report, row, PARLEY_KIT_PASS, "refused: %s", err.message);
}

int parley_kit_check_options(parley_kit_t *kit) {
  const parley_connector_t *d = kit->plugin->desc;
  parley_kit_run_t run;
  parley_error_t err = {0};
  const char *leak = NULL;
  if (parley_kit_run_open(&run, kit, "options.journal", PARLEY_KIT_OPTS_ALL, &err) != 0) {
    leak = leaked_secret(kit, err.message);
    parley_kit_row(&kit->report, "options.bind", PARLEY_KIT_FAIL, "%s",
                   leak ? "refused (message withheld: it quotes a secret)" : err.message);
    return -1;
  }
  parley_kit_run_close(&run);
  parley_kit_row(&kit->report, "options.bind", PARLEY_KIT_PASS,
                 "%zu values from %s bound, create() accepted them", kit->n_opts,
                 kit->config_path);

  const char *req = first_required(d);
  if (req)
    expect_refusal(kit, "options.empty_refused", PARLEY_KIT_OPTS_NONE, req, &leak);
  else
    parley_kit_row(&kit->report, "options.empty_refused", PARLEY_KIT_SKIP,
                   "the table has no required option");
  expect_refusal(kit, "options.unknown_refused", PARLEY_KIT_OPTS_UNKNOWN,
                 PARLEY_KIT_UNKNOWN_KEY, &leak);

  if (leak)
    parley_kit_row(&kit->report, "options.secrets", PARLEY_KIT_FAIL,
                   "a refusal message quotes the value of secret option '%s'", leak);
  else if (!count_secrets_given(kit))
    parley_kit_row(&kit->report, "options.secrets", PARLEY_KIT_SKIP,
                   "no secret option in --config");
  else
    parley_kit_row(&kit->report, "options.secrets", PARLEY_KIT_PASS,
                   "no refusal message quotes a secret value");
  return 0;
}
