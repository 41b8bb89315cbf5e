/* parley core — binding an instance's `options:` map to a plugin's typed
 * option table (parley_option_t), as Fluent Bit's config maps do: the
 * plugin declares, the core validates and writes each value at its offset,
 * so no plugin parses its own config and every mistake is reported the
 * same way, with file:line and the key path. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_read.h"
#include "log.h"
#include "options.h"
#include "parley/error.h"

#if defined(__GNUC__)
#define PARLEY_OPT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PARLEY_OPT_PRINTF(f, a)
#endif

const char *parley_opt_type_name(parley_opt_type_t t) {
  switch (t) {
  case PARLEY_OPT_STRING: return "string";
  case PARLEY_OPT_INT: return "integer";
  case PARLEY_OPT_BOOL: return "boolean";
  case PARLEY_OPT_DURATION: return "duration";
  case PARLEY_OPT_LIST: return "list";
  case PARLEY_OPT_SECRET: return "secret";
  }
  return "unknown";
}

static size_t opt_field_size(parley_opt_type_t t) {
  switch (t) {
  case PARLEY_OPT_STRING:
  case PARLEY_OPT_SECRET: return sizeof(char *);
  case PARLEY_OPT_INT:
  case PARLEY_OPT_DURATION: return sizeof(int64_t);
  case PARLEY_OPT_BOOL: return sizeof(int);
  case PARLEY_OPT_LIST: return sizeof(parley_strlist_t);
  }
  return 0;
}

static const char *opt_node_kind(const parley_node_t *n) {
  switch (n->type) {
  case PARLEY_NODE_MAP: return "a map";
  case PARLEY_NODE_SEQ: return "a list";
  case PARLEY_NODE_NULL: return "nothing";
  default: return "a scalar";
  }
}

/* ---- conversions: 0, or an error and a description in what ---- */

static int opt_int(const char *s, int64_t *out) {
  char *end;
  if (!*s || (*s != '-' && (*s < '0' || *s > '9')))
    return PARLEY_EINVAL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || *end != '\0')
    return PARLEY_EINVAL;
  *out = (int64_t)v;
  return 0;
}

static int opt_bool(const char *s, int *out) {
  static const char *const yes[] = {"true", "yes", "on"};
  static const char *const no[] = {"false", "no", "off"};
  for (size_t i = 0; i < 3; i++) {
    if (strcasecmp(s, yes[i]) == 0)
      return *out = 1, 0;
    if (strcasecmp(s, no[i]) == 0)
      return *out = 0, 0;
  }
  return PARLEY_EINVAL;
}

/* *line is set to the offending item's line on error. */
static int opt_list(const parley_node_t *n, parley_strlist_t *out, int *line, char *what,
                    size_t wsize) {
  size_t count = n->type == PARLEY_NODE_SEQ ? n->count : 1;
  char **items = calloc(count ? count : 1, sizeof *items);
  if (!items)
    return PARLEY_ENOMEM;
  for (size_t i = 0; i < count; i++) {
    const parley_node_t *it = n->type == PARLEY_NODE_SEQ ? n->items[i] : n;
    int rc = 0;
    if (it->type != PARLEY_NODE_SCALAR) {
      snprintf(what, wsize, "item %zu is %s, expected a string", i, opt_node_kind(it));
      *line = it->line;
      rc = PARLEY_ECONFIG;
    } else if (!(items[i] = strdup(it->value))) {
      rc = PARLEY_ENOMEM;
    }
    if (rc != 0) {
      for (size_t k = 0; k < i; k++)
        free(items[k]);
      free(items);
      return rc;
    }
  }
  out->count = count;
  out->items = (const char *const *)items;
  return 0;
}

static int opt_scalar(const parley_option_t *o, const parley_node_t *n, void *dst, char *what,
                      size_t wsize) {
  char shown[96];
  int64_t i64;
  int b;
  parley_cfg_show(n, o->type == PARLEY_OPT_SECRET, shown, sizeof shown);
  switch (o->type) {
  case PARLEY_OPT_STRING:
  case PARLEY_OPT_SECRET: {
    char *s = strdup(n->value);
    if (!s)
      return PARLEY_ENOMEM;
    memcpy(dst, &s, sizeof s);
    return 0;
  }
  case PARLEY_OPT_INT:
    if (opt_int(n->value, &i64) == 0)
      return memcpy(dst, &i64, sizeof i64), 0;
    snprintf(what, wsize, "%s is not an integer", shown);
    return PARLEY_ECONFIG;
  case PARLEY_OPT_BOOL:
    if (opt_bool(n->value, &b) == 0)
      return memcpy(dst, &b, sizeof b), 0;
    snprintf(what, wsize, "%s is not a boolean (use true or false)", shown);
    return PARLEY_ECONFIG;
  case PARLEY_OPT_DURATION:
    if (parley_duration_parse(n->value, &i64) == 0)
      return memcpy(dst, &i64, sizeof i64), 0;
    snprintf(what, wsize, "%s is not a duration (use e.g. 30s, 5m, 1h)", shown);
    return PARLEY_ECONFIG;
  default:
    snprintf(what, wsize, "unsupported option type");
    return PARLEY_EINVAL;
  }
}

/* Convert n into dst; on error describe it in what and set *line. */
static int opt_convert(const parley_option_t *o, const parley_node_t *n, void *dst, int *line,
                       char *what, size_t wsize) {
  *line = n->line;
  if (o->type == PARLEY_OPT_LIST) {
    parley_strlist_t l;
    int rc = opt_list(n, &l, line, what, wsize);
    if (rc == 0)
      memcpy(dst, &l, sizeof l);
    return rc;
  }
  if (n->type != PARLEY_NODE_SCALAR) {
    snprintf(what, wsize, "expected a %s, got %s", parley_opt_type_name(o->type),
             opt_node_kind(n));
    return PARLEY_ECONFIG;
  }
  return opt_scalar(o, n, dst, what, wsize);
}

/* ---- errors ---- */

/* "<source>:<line>: <where>.<key>: <what>"; line 0 means no position. */
static int opt_fail(parley_error_t *err, int code, const char *source, int line,
                    const char *where, const char *key, const char *fmt, ...)
    PARLEY_OPT_PRINTF(7, 8);

static int opt_fail(parley_error_t *err, int code, const char *source, int line,
                    const char *where, const char *key, const char *fmt, ...) {
  char what[PARLEY_ERROR_MAX], loc[64] = "";
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  if (line > 0)
    snprintf(loc, sizeof loc, ":%d", line);
  return parley_error_set(err, code, "%s%s: %s%s%s: %s", source, loc, where, key ? "." : "",
                          key ? key : "", what);
}

/* ---- the table ---- */

static const parley_option_t *opt_find(const parley_option_t *table, const char *name) {
  for (const parley_option_t *o = table; o && o->name; o++)
    if (strcmp(o->name, name) == 0)
      return o;
  return NULL;
}

/* A broken table is a bug in the plugin: say which option is wrong. */
static int opt_check_table(const parley_option_t *table, size_t size, const char *source,
                           const char *where, parley_error_t *err) {
  for (const parley_option_t *o = table; o && o->name; o++) {
    size_t fs = opt_field_size(o->type);
    if (fs == 0)
      return opt_fail(err, PARLEY_EINVAL, source, 0, where, o->name,
                      "option table: unknown type %d (a bug in the plugin)", (int)o->type);
    if (o->offset > size || size - o->offset < fs)
      return opt_fail(err, PARLEY_EINVAL, source, 0, where, o->name,
                      "option table: offset %zu does not fit a %s in %zu bytes "
                      "(a bug in the plugin)",
                      o->offset, parley_opt_type_name(o->type), size);
    if (opt_find(table, o->name) != o)
      return opt_fail(err, PARLEY_EINVAL, source, 0, where, o->name,
                      "option table: declared twice (a bug in the plugin)");
  }
  return 0;
}

static void opt_known(const parley_option_t *table, char *buf, size_t size) {
  size_t n = 0;
  buf[0] = '\0';
  for (const parley_option_t *o = table; o && o->name && n < size; o++) {
    int w = snprintf(buf + n, size - n, "%s%s", n ? ", " : "", o->name);
    if (w < 0)
      break;
    n += (size_t)w;
  }
  if (!buf[0])
    snprintf(buf, size, "none");
}

static int opt_check_keys(const parley_option_t *table, const parley_node_t *options,
                          const char *source, const char *where, parley_error_t *err) {
  if (!options || options->type == PARLEY_NODE_NULL)
    return 0;
  if (options->type != PARLEY_NODE_MAP)
    return opt_fail(err, PARLEY_ECONFIG, source, options->line, where, NULL,
                    "expected a map of options, got %s", opt_node_kind(options));
  for (size_t i = 0; i < options->count; i++) {
    if (!opt_find(table, options->keys[i])) {
      char known[300];
      opt_known(table, known, sizeof known);
      return opt_fail(err, PARLEY_ECONFIG, source, options->items[i]->line, where,
                      options->keys[i], "unknown option (known options: %s)", known);
    }
  }
  return 0;
}

static int opt_bind_one(const parley_option_t *o, const parley_node_t *options, void *bound,
                        const char *source, const char *where, parley_error_t *err) {
  char what[300] = "";
  void *dst = (char *)bound + o->offset;
  const parley_node_t *n = parley_node_get(options, o->name);
  int rc, line;
  if (n && n->type != PARLEY_NODE_NULL) {
    rc = opt_convert(o, n, dst, &line, what, sizeof what);
    if (rc == PARLEY_ENOMEM)
      return parley_error_set(err, rc, "%s: out of memory", source);
    return rc ? opt_fail(err, rc, source, line, where, o->name, "%s", what) : 0;
  }
  if (o->default_value) {
    parley_node_t def = {.type = PARLEY_NODE_SCALAR, .value = (char *)o->default_value};
    rc = opt_convert(o, &def, dst, &line, what, sizeof what);
    if (rc == PARLEY_ENOMEM)
      return parley_error_set(err, rc, "%s: out of memory", source);
    return rc ? opt_fail(err, PARLEY_EINVAL, source, 0, where, o->name,
                         "the option table's default is invalid (a bug in the plugin): %s", what)
              : 0;
  }
  if (o->flags & PARLEY_OPT_REQUIRED)
    return opt_fail(err, PARLEY_ECONFIG, source, n ? n->line : options ? options->line : 0,
                    where, o->name,
                    "missing required option (a %s)", parley_opt_type_name(o->type));
  return 0;
}

int parley_options_bind(const parley_option_t *table, size_t size,
                        const parley_node_t *options, const char *source,
                        const char *where, void **out, parley_error_t *err) {
  int rc;
  source = source ? source : "<config>";
  where = where ? where : "options";
  if (!out)
    return parley_error_set(err, PARLEY_EINVAL, "%s: %s: nowhere to store the options",
                            source, where);
  if ((rc = opt_check_table(table, size, source, where, err)) != 0 ||
      (rc = opt_check_keys(table, options, source, where, err)) != 0)
    return rc;
  void *bound = calloc(1, size ? size : 1);
  if (!bound)
    return parley_error_set(err, PARLEY_ENOMEM, "%s: out of memory", source);
  if (options && options->type != PARLEY_NODE_MAP)
    options = NULL;
  for (const parley_option_t *o = table; o && o->name; o++) {
    if ((rc = opt_bind_one(o, options, bound, source, where, err)) != 0) {
      parley_options_free(table, bound);
      return rc;
    }
  }
  for (const parley_option_t *o = table; o && o->name; o++) {
    if (o->type == PARLEY_OPT_SECRET) {
      char *secret;
      memcpy(&secret, (char *)bound + o->offset, sizeof secret);
      parley_log_secret_add(secret); /* masked in every log record until freed */
    }
  }
  *out = bound;
  return 0;
}

/* Overwrite a secret before giving its memory back, so it does not linger
 * in freed heap (core dumps). volatile keeps the compiler from eliding it. */
static void opt_wipe(char *s) {
  volatile char *p = s;
  while (*p)
    *p++ = '\0';
}

void parley_options_free(const parley_option_t *table, void *bound) {
  if (!bound)
    return;
  for (const parley_option_t *o = table; o && o->name; o++) {
    void *src = (char *)bound + o->offset;
    if (o->type == PARLEY_OPT_STRING || o->type == PARLEY_OPT_SECRET) {
      char *s;
      memcpy(&s, src, sizeof s);
      if (s && o->type == PARLEY_OPT_SECRET) {
        parley_log_secret_remove(s);
        opt_wipe(s);
      }
      free(s);
    } else if (o->type == PARLEY_OPT_LIST) {
      parley_strlist_t l;
      memcpy(&l, src, sizeof l);
      for (size_t i = 0; i < l.count; i++)
        free((char *)l.items[i]);
      free((void *)l.items);
    }
  }
  free(bound);
}
