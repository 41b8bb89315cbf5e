/* parley core — typed readers for config nodes (config_read.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_read.h"
#include "options.h"

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

static int cfg_vfail(const char *source, parley_error_t *err, int line, const char *path,
                     const char *fmt, va_list ap) {
  char what[PARLEY_ERROR_MAX], loc[32] = "";
  vsnprintf(what, sizeof what, fmt, ap);
  if (line > 0)
    snprintf(loc, sizeof loc, ":%d", line);
  return parley_error_set(err, PARLEY_ECONFIG, "%s%s: %s: %s", source, loc, path, what);
}

int parley_cfg_fail(parley_cfgctx_t *c, int line, const char *path, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = cfg_vfail(c->source, c->err, line, path, fmt, ap);
  va_end(ap);
  return rc;
}

int parley_cfg_nomem(parley_cfgctx_t *c) {
  return parley_error_set(c->err, PARLEY_ENOMEM, "%s: out of memory", c->source);
}

/* The value as it may appear in a message (see the file comment). */
void parley_cfg_show(const parley_node_t *n, int secret, char *buf, size_t size) {
  if (secret)
    snprintf(buf, size, "the secret value");
  else if (n->substituted)
    snprintf(buf, size, "the value from ${...} substitution");
  else
    snprintf(buf, size, "'%.60s%s'", n->value, strlen(n->value) > 60 ? "..." : "");
}

const char *parley_cfg_kind(const parley_node_t *n) {
  switch (n->type) {
  case PARLEY_NODE_MAP: return "a map";
  case PARLEY_NODE_SEQ: return "a list";
  case PARLEY_NODE_NULL: return "nothing";
  default: return "a scalar";
  }
}

/* "<path>.<key>" into buf, cut short if it must be (it is only shown). */
void parley_cfg_subpath(char *buf, size_t size, const char *path, const char *key) {
  if (snprintf(buf, size, "%s.%s", path, key) >= (int)size)
    buf[size - 1] = '\0';
}

/* ------------------------------------------------------------------ */
/* Typed readers for one node                                          */
/* ------------------------------------------------------------------ */

int parley_cfg_expect(parley_cfgctx_t *c, const parley_node_t *n, parley_node_type_t type,
                      const char *path, const char *what) {
  if (n->type == type)
    return 0;
  return parley_cfg_fail(c, n->line, path, "expected %s, got %s", what, parley_cfg_kind(n));
}

/* Replace *dst with a copy of a scalar's text. */
int parley_cfg_string(parley_cfgctx_t *c, const parley_node_t *n, const char *path, char **dst) {
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_SCALAR, path, "a string");
  if (rc != 0)
    return rc;
  char *s = strdup(n->value);
  if (!s)
    return parley_cfg_nomem(c);
  free(*dst);
  *dst = s;
  return 0;
}

int parley_cfg_substituted(const parley_node_t *n) {
  if (n->substituted)
    return 1;
  for (size_t i = 0; n->type == PARLEY_NODE_SEQ && i < n->count; i++)
    if (n->items[i]->substituted)
      return 1;
  return 0;
}

int parley_cfg_strv_push(char ***v, size_t *n, const char *s) {
  char **nv = realloc(*v, (*n + 1) * sizeof *nv);
  if (!nv)
    return PARLEY_ENOMEM;
  *v = nv;
  if (!(nv[*n] = strdup(s)))
    return PARLEY_ENOMEM;
  (*n)++;
  return 0;
}

void parley_cfg_strv_free(char **v, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

/* A string or a list of strings, appended to (*v, *n). */
int parley_cfg_strlist(parley_cfgctx_t *c, const parley_node_t *n, const char *path, char ***v,
                       size_t *count) {
  if (n->type == PARLEY_NODE_SCALAR)
    return parley_cfg_strv_push(v, count, n->value) ? parley_cfg_nomem(c) : 0;
  if (n->type != PARLEY_NODE_SEQ)
    return parley_cfg_fail(c, n->line, path, "expected a string or a list of strings, got %s",
                    parley_cfg_kind(n));
  for (size_t i = 0; i < n->count; i++) {
    const parley_node_t *it = n->items[i];
    if (it->type != PARLEY_NODE_SCALAR) {
      char sub[160];
      snprintf(sub, sizeof sub, "%s[%zu]", path, i);
      return parley_cfg_fail(c, it->line, sub, "expected a string, got %s", parley_cfg_kind(it));
    }
    if (parley_cfg_strv_push(v, count, it->value))
      return parley_cfg_nomem(c);
  }
  return 0;
}

/* A whole number in [min, max]. */
int parley_cfg_uint(parley_cfgctx_t *c, const parley_node_t *n, const char *path, int64_t min,
                    int64_t max, int64_t *out) {
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_SCALAR, path, "a number");
  if (rc != 0)
    return rc;
  char *end, shown[96];
  errno = 0;
  long long v = strtoll(n->value, &end, 10);
  if (n->value[0] >= '0' && n->value[0] <= '9' && !*end && errno == 0 && v >= min && v <= max) {
    *out = (int64_t)v;
    return 0;
  }
  parley_cfg_show(n, 0, shown, sizeof shown);
  return parley_cfg_fail(c, n->line, path, "%s is not a whole number from %" PRId64 " to %" PRId64,
                  shown, min, max);
}

/* "1048576", "512KiB", "1MiB", "1GiB" (also "B"). */
static int parley_cfg_size_parse(const char *s, uint64_t *out) {
  const struct { const char *suffix; uint64_t mult; } units[] = {
      {"", 1}, {"B", 1}, {"KiB", 1024}, {"MiB", 1024 * 1024}, {"GiB", 1024 * 1024 * 1024}};
  char *end;
  if (*s < '0' || *s > '9')
    return PARLEY_EINVAL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0)
    return PARLEY_EINVAL;
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (strcmp(end, units[i].suffix) == 0) {
      if (v > SIZE_MAX / units[i].mult)
        return PARLEY_EINVAL;
      *out = v * units[i].mult;
      return 0;
    }
  }
  return PARLEY_EINVAL;
}

/* A size of at least min bytes ("0" is allowed only when min is 0). */
int parley_cfg_size(parley_cfgctx_t *c, const parley_node_t *n, const char *path, uint64_t min,
                    uint64_t *out) {
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_SCALAR, path, "a size");
  uint64_t v;
  char shown[96];
  if (rc != 0)
    return rc;
  if (parley_cfg_size_parse(n->value, &v) == 0 && v >= min) {
    *out = v;
    return 0;
  }
  parley_cfg_show(n, 0, shown, sizeof shown);
  return parley_cfg_fail(c, n->line, path, "%s is not a size%s (use e.g. 1MiB, 512KiB or bytes)", shown,
                  min ? "" : " or 0");
}

/* A duration ("30s", "7d", "0"), in ms. */
int parley_cfg_duration(parley_cfgctx_t *c, const parley_node_t *n, const char *path,
                        int64_t *out) {
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_SCALAR, path, "a duration");
  char shown[96];
  if (rc != 0)
    return rc;
  if (parley_duration_parse(n->value, out) == 0)
    return 0;
  parley_cfg_show(n, 0, shown, sizeof shown);
  return parley_cfg_fail(c, n->line, path, "%s is not a duration (use e.g. 30s, 5m, 1h, 7d, or 0)",
                  shown);
}


/* ------------------------------------------------------------------ */
/* routes:                                                             */
/* ------------------------------------------------------------------ */

/* kinds[i] came from item i of n (n a list) or from n itself; n is NULL
 * for a config built in code. */
int parley_cfg_kinds_ok(parley_cfgctx_t *c, const parley_node_t *n, const char *path,
                        char **kinds, size_t count) {
  for (size_t i = 0; i < count; i++) {
    parley_kind_t k;
    char shown[96];
    if (parley_kind_parse(kinds[i], &k) == 0)
      continue;
    const parley_node_t *it = n && n->type == PARLEY_NODE_SEQ && i < n->count ? n->items[i] : n;
    if (it && it->substituted)
      snprintf(shown, sizeof shown, "the value from ${...} substitution");
    else
      snprintf(shown, sizeof shown, "'%.60s'", kinds[i]);
    return parley_cfg_fail(c, it ? it->line : 0, path,
                    "%s is not an event kind (use mention, comment, reply, direct_message, "
                    "keyword_match, postback, reaction, edited, deleted, outbound, system or "
                    "unknown)",
                    shown);
  }
  return 0;
}

int parley_cfg_visibility(parley_cfgctx_t *c, const parley_node_t *n, const char *path,
                          int *out) {
  parley_visibility_t v;
  char shown[96];
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_SCALAR, path, "public or private");
  if (rc != 0)
    return rc;
  if (parley_visibility_parse(n->value, &v) == 0) {
    *out = (int)v;
    return 0;
  }
  parley_cfg_show(n, 0, shown, sizeof shown);
  return parley_cfg_fail(c, n->line, path, "%s is not a visibility (use public or private)", shown);
}

static int parley_cfg_match_key(parley_cfgctx_t *c, parley_conf_route_t *r, const char *k,
                         const parley_node_t *v, const char *path) {
  int64_t mf = 0;
  int rc;
  if (strcmp(k, "platform") == 0)
    return parley_cfg_strlist(c, v, path, &r->platforms, &r->n_platforms);
  if (strcmp(k, "kind") == 0) {
    size_t before = r->n_kinds;
    rc = parley_cfg_strlist(c, v, path, &r->kinds, &r->n_kinds);
    return rc ? rc : parley_cfg_kinds_ok(c, v, path, r->kinds + before, r->n_kinds - before);
  }
  if (strcmp(k, "connector") == 0) {
    r->names_substituted |= parley_cfg_substituted(v);
    return parley_cfg_strlist(c, v, path, &r->connectors, &r->n_connectors);
  }
  if (strcmp(k, "lang") == 0)
    return parley_cfg_strlist(c, v, path, &r->langs, &r->n_langs);
  if (strcmp(k, "keywords") == 0)
    return parley_cfg_strlist(c, v, path, &r->keywords, &r->n_keywords);
  if (strcmp(k, "min_followers") == 0) {
    if ((rc = parley_cfg_uint(c, v, path, 0, INT64_MAX, &mf)) == 0)
      r->min_followers = mf;
    return rc;
  }
  if (strcmp(k, "visibility") == 0)
    return parley_cfg_visibility(c, v, path, &r->visibility);
  if (strcmp(k, "keyword_sets") == 0)
    return parley_cfg_strlist(c, v, path, &r->keyword_sets, &r->n_keyword_sets);
  if (strcmp(k, "min_priority") == 0) {
    if ((rc = parley_cfg_uint(c, v, path, 0, 100, &mf)) == 0)
      r->min_priority = (int)mf;
    return rc;
  }
  return parley_cfg_fail(c, v->line, path,
                         "unknown match field (known: platform, kind, connector, lang, keywords, "
                         "keyword_sets, min_priority, min_followers, visibility)");
}

int parley_cfg_match(parley_cfgctx_t *c, parley_conf_route_t *r, const parley_node_t *n,
                     const char *path) {
  char sub[160];
  if (n->type == PARLEY_NODE_NULL)
    return 0; /* no criteria: everything matches */
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_MAP, path, "a map of match fields");
  for (size_t i = 0; rc == 0 && i < n->count; i++) {
    parley_cfg_subpath(sub, sizeof sub, path, n->keys[i]);
    if (n->items[i]->type != PARLEY_NODE_NULL)
      rc = parley_cfg_match_key(c, r, n->keys[i], n->items[i], sub);
  }
  return rc;
}

void parley_cfg_match_init(parley_conf_route_t *r) {
  memset(r, 0, sizeof *r);
  r->min_followers = -1;
  r->visibility = -1;
  r->min_priority = -1;
}

int parley_cfg_real(parley_cfgctx_t *c, const parley_node_t *n, const char *path, double min,
                    double max, double *out) {
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_SCALAR, path, "a number");
  if (rc != 0)
    return rc;
  char *end, shown[96];
  errno = 0;
  double v = strtod(n->value, &end);
  if (end != n->value && !*end && errno == 0 && isfinite(v) && v >= min && v <= max) {
    *out = v;
    return 0;
  }
  parley_cfg_show(n, 0, shown, sizeof shown);
  return parley_cfg_fail(c, n->line, path, "%s is not a number from %g to %g", shown, min, max);
}

int parley_cfg_bool(parley_cfgctx_t *c, const parley_node_t *n, const char *path, int *out) {
  static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_SCALAR, path, "true or false");
  if (rc != 0)
    return rc;
  for (size_t i = 0; i < 3; i++) {
    if (strcasecmp(n->value, yes[i]) == 0)
      return *out = 1, 0;
    if (strcasecmp(n->value, no[i]) == 0)
      return *out = 0, 0;
  }
  char shown[96];
  parley_cfg_show(n, 0, shown, sizeof shown);
  return parley_cfg_fail(c, n->line, path, "%s is not true or false", shown);
}

void parley_cfg_match_clear(parley_conf_route_t *r) {
  free(r->name);
  parley_cfg_strv_free(r->platforms, r->n_platforms);
  parley_cfg_strv_free(r->kinds, r->n_kinds);
  parley_cfg_strv_free(r->connectors, r->n_connectors);
  parley_cfg_strv_free(r->langs, r->n_langs);
  parley_cfg_strv_free(r->keywords, r->n_keywords);
  parley_cfg_strv_free(r->keyword_sets, r->n_keyword_sets);
  parley_cfg_strv_free(r->outputs, r->n_outputs);
  parley_cfg_match_init(r);
}
