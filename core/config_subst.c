/* parley core — ${VAR} and ${file:/path} substitution in config scalars,
 * so secrets come from the environment or from files (Docker/Kubernetes
 * secrets) and never sit in the config itself. "$${" writes a literal "${".
 *
 * Error messages name the variable or the path, never a value. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/* A secret file larger than this is certainly not a secret. */
#define PARLEY_SUBST_FILE_MAX (64 * 1024)

typedef struct {
  char *buf;
  size_t len, cap;
} parley_sbuf_t;

static int sbuf_add(parley_sbuf_t *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *p = realloc(b->buf, cap);
    if (!p)
      return PARLEY_ENOMEM;
    b->buf = p;
    b->cap = cap;
  }
  memcpy(b->buf + b->len, s, n);
  b->len += n;
  b->buf[b->len] = '\0';
  return 0;
}

static int subst_valid_var(const char *name, size_t n) {
  if (n == 0 || !((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z') ||
                  name[0] == '_'))
    return 0;
  for (size_t i = 1; i < n; i++) {
    char c = name[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return 0;
  }
  return 1;
}

static int subst_env(const char *name, size_t n, parley_sbuf_t *b, parley_error_t *err) {
  char var[256];
  if (!subst_valid_var(name, n) || n >= sizeof var)
    return parley_error_set(err, PARLEY_ECONFIG,
                            "'${%.*s}' is not a valid variable reference "
                            "(use ${NAME}, ${file:/path}, or $${ for a literal ${)",
                            (int)(n > 64 ? 64 : n), name);
  memcpy(var, name, n);
  var[n] = '\0';
  const char *v = getenv(var);
  if (!v)
    return parley_error_set(err, PARLEY_ECONFIG, "environment variable %s is not set", var);
  return sbuf_add(b, v, strlen(v));
}

/* Read the whole file (bounded) and drop one trailing newline, which
 * editors and `echo` add but no token contains. */
static int subst_file(const char *path, parley_sbuf_t *b, parley_error_t *err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return parley_error_set(err, PARLEY_ECONFIG, "cannot read ${file:%s}: %s", path,
                            strerror(errno));
  char *data = malloc(PARLEY_SUBST_FILE_MAX + 1);
  if (!data) {
    fclose(f);
    return PARLEY_ENOMEM;
  }
  size_t n = fread(data, 1, PARLEY_SUBST_FILE_MAX + 1, f);
  int rerr = ferror(f);
  fclose(f);
  int rc = 0;
  if (rerr)
    rc = parley_error_set(err, PARLEY_ECONFIG, "cannot read ${file:%s}: read error", path);
  else if (n > PARLEY_SUBST_FILE_MAX)
    rc = parley_error_set(err, PARLEY_ECONFIG, "${file:%s} is larger than %d bytes", path,
                          PARLEY_SUBST_FILE_MAX);
  else if (memchr(data, '\0', n))
    rc = parley_error_set(err, PARLEY_ECONFIG, "${file:%s} contains a NUL byte", path);
  if (rc == 0) {
    if (n > 0 && data[n - 1] == '\n')
      n--;
    if (n > 0 && data[n - 1] == '\r')
      n--;
    rc = sbuf_add(b, data, n);
  }
  free(data);
  return rc;
}

/* s points at "${"; handle one reference and advance *s past its "}". */
static int subst_ref(const char **s, parley_sbuf_t *b, parley_error_t *err) {
  const char *start = *s + 2;
  const char *end = strchr(start, '}');
  if (!end)
    return parley_error_set(err, PARLEY_ECONFIG,
                            "unterminated '${' (write $${ for a literal ${)");
  *s = end + 1;
  size_t n = (size_t)(end - start);
  if (n >= 5 && strncmp(start, "file:", 5) == 0) {
    if (n == 5)
      return parley_error_set(err, PARLEY_ECONFIG, "${file:} needs a path");
    char *path = strndup(start + 5, n - 5);
    if (!path)
      return PARLEY_ENOMEM;
    int rc = subst_file(path, b, err);
    free(path);
    return rc;
  }
  return subst_env(start, n, b, err);
}

int parley_config_substitute(const char *s, char **out, int *substituted,
                             parley_error_t *err) {
  parley_sbuf_t b = {0};
  if (!s || !out)
    return parley_error_set(err, PARLEY_EINVAL, "nothing to substitute");
  /* One pass over the text as written: a value that itself contains
   * "${...}" is kept as it is, so the environment cannot inject references. */
  int any = 0, rc = sbuf_add(&b, "", 0);
  while (rc == 0 && *s) {
    if (s[0] == '$' && s[1] == '$' && s[2] == '{') {
      rc = sbuf_add(&b, "${", 2);
      s += 3;
    } else if (s[0] == '$' && s[1] == '{') {
      rc = subst_ref(&s, &b, err);
      any = 1;
    } else {
      size_t n = strcspn(s + 1, "$") + 1; /* copy up to the next '$' */
      rc = sbuf_add(&b, s, n);
      s += n;
    }
  }
  if (rc != 0) {
    if (rc == PARLEY_ENOMEM)
      parley_error_set(err, rc, "out of memory during substitution");
    free(b.buf);
    return rc;
  }
  *out = b.buf;
  if (substituted)
    *substituted = any;
  return 0;
}
