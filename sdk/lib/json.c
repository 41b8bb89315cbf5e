/* parley SDK — safe field access for jansson documents (json.h). */
#include "parley/sdk/json.h"

#include <stdio.h>
#include <string.h>

/* Longest single path segment; paths are written by connector authors. */
#define PARLEY_SDK_JSON_SEGMENT_MAX 128

json_t *parley_sdk_json_parse(const char *text, size_t len, const char *what,
                              parley_error_t *err) {
  if (what == NULL)
    what = "JSON";
  if (text == NULL || len == 0) {
    parley_error_set(err, PARLEY_EPARSE, "%s: empty, expected a JSON document", what);
    return NULL;
  }
  json_error_t je;
  json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  if (doc == NULL) {
    parley_error_set_json(err, what, je.line, je.column, (size_t)je.position, len, je.text);
    return NULL;
  }
  return doc;
}

/* An array index: decimal digits only, no sign, no leading zeros. */
static int parley_sdk_json_index(const char *seg, size_t n, size_t *idx) {
  if (n == 0 || n > 9 || (n > 1 && seg[0] == '0'))
    return 0;
  size_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (seg[i] < '0' || seg[i] > '9')
      return 0;
    v = v * 10 + (size_t)(seg[i] - '0');
  }
  *idx = v;
  return 1;
}

json_t *parley_sdk_json_get(const json_t *root, const char *path) {
  json_t *cur = (json_t *)root;
  if (cur == NULL || path == NULL)
    return NULL;
  const char *p = path;
  while (*p && cur) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    if (n == 0 || n >= PARLEY_SDK_JSON_SEGMENT_MAX)
      return NULL;
    size_t idx;
    if (json_is_array(cur)) {
      cur = parley_sdk_json_index(p, n, &idx) ? json_array_get(cur, idx) : NULL;
    } else if (json_is_object(cur)) {
      char seg[PARLEY_SDK_JSON_SEGMENT_MAX];
      memcpy(seg, p, n);
      seg[n] = '\0';
      cur = json_object_get(cur, seg);
    } else {
      return NULL;
    }
    p = dot ? dot + 1 : p + n;
  }
  return cur;
}

const char *parley_sdk_json_str(const json_t *root, const char *path, const char *def) {
  json_t *v = parley_sdk_json_get(root, path);
  return json_is_string(v) ? json_string_value(v) : def;
}

/* Exact decimal parse with overflow detection. */
static int parley_sdk_parse_int64(const char *s, int64_t *out) {
  int neg = 0;
  if (*s == '-') {
    neg = 1;
    s++;
  }
  if (*s == '\0')
    return -1;
  uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; *s; s++) {
    if (*s < '0' || *s > '9')
      return -1;
    uint64_t d = (uint64_t)(*s - '0');
    if (v > (limit - d) / 10)
      return -1;
    v = v * 10 + d;
  }
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return 0;
}

int64_t parley_sdk_json_int(const json_t *root, const char *path, int64_t def) {
  json_t *v = parley_sdk_json_get(root, path);
  if (json_is_integer(v))
    return (int64_t)json_integer_value(v);
  if (json_is_string(v)) {
    int64_t out;
    return parley_sdk_parse_int64(json_string_value(v), &out) == 0 ? out : def;
  }
  if (json_is_real(v)) {
    double d = json_real_value(v);
    const double limit = 9007199254740992.0; /* 2^53: exact in a double */
    if (d >= -limit && d <= limit && d == (double)(int64_t)d)
      return (int64_t)d;
  }
  return def;
}

int parley_sdk_json_bool(const json_t *root, const char *path, int def) {
  json_t *v = parley_sdk_json_get(root, path);
  if (json_is_boolean(v))
    return json_is_true(v);
  if (json_is_integer(v))
    return json_integer_value(v) != 0;
  if (json_is_string(v)) {
    const char *s = json_string_value(v);
    if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
      return 1;
    if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
      return 0;
  }
  return def;
}

int parley_sdk_json_id(const json_t *root, const char *path, char *buf, size_t buflen) {
  json_t *v = parley_sdk_json_get(root, path);
  int n;
  if (json_is_string(v))
    n = snprintf(buf, buflen, "%s", json_string_value(v));
  else if (json_is_integer(v))
    n = snprintf(buf, buflen, "%lld", (long long)json_integer_value(v));
  else
    return PARLEY_ENOENT;
  if (n < 0 || (size_t)n >= buflen)
    return PARLEY_ENOBUFS;
  return n;
}

json_t *parley_sdk_json_array(const json_t *root, const char *path, size_t *count) {
  json_t *v = parley_sdk_json_get(root, path);
  if (!json_is_array(v)) {
    if (count)
      *count = 0;
    return NULL;
  }
  if (count)
    *count = json_array_size(v);
  return v;
}

json_t *parley_sdk_json_embedded(const json_t *root, const char *path, parley_error_t *err) {
  json_t *v = parley_sdk_json_get(root, path);
  if (!json_is_string(v)) {
    parley_error_set(err, PARLEY_EPARSE, "%s: missing or not a string", path ? path : "");
    return NULL;
  }
  return parley_sdk_json_parse(json_string_value(v), json_string_length(v), path, err);
}

json_t *parley_sdk_json_embedded_repair(const json_t *root, const char *path, size_t *repaired,
                                        parley_error_t *err) {
  *repaired = 0;
  json_t *v = parley_sdk_json_get(root, path);
  if (!json_is_string(v)) {
    parley_error_set(err, PARLEY_EPARSE, "%s: missing or not a string", path ? path : "");
    return NULL;
  }
  return parley_sdk_json_parse_repair(json_string_value(v), json_string_length(v), path, repaired,
                                      err);
}
