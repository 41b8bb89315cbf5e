/* parleyctl — command-line parsing: long options (--name VALUE,
 * --name=VALUE, --flag) mixed with positional arguments, so that
 * `parleyctl replay out --from 5 --json` reads naturally. Pure: no I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static int find_opt(const parley_ctl_opt_t *spec, size_t n, const char *name, size_t len) {
  for (size_t i = 0; i < n; i++)
    if (strlen(spec[i].name) == len && strncmp(spec[i].name, name, len) == 0)
      return (int)i;
  return -1;
}

/* One "--..." argument at argv[*i]; may consume the next one as value. */
static int parse_long(const parley_ctl_opt_t *spec, size_t n, int argc, char **argv, int *i,
                      parley_ctl_args_t *out, char *err, size_t errlen) {
  const char *name = argv[*i] + 2, *eq = strchr(name, '=');
  size_t len = eq ? (size_t)(eq - name) : strlen(name);
  int k = find_opt(spec, n, name, len);
  if (k < 0) {
    snprintf(err, errlen, "unknown option --%.*s", (int)len, name);
    return -1;
  }
  if (!spec[k].has_arg) {
    if (eq) {
      snprintf(err, errlen, "option --%s takes no value", spec[k].name);
      return -1;
    }
    out->value[k] = "1";
    return 0;
  }
  if (eq) {
    out->value[k] = eq + 1;
  } else if (*i + 1 < argc) {
    out->value[k] = argv[++*i];
  } else {
    snprintf(err, errlen, "option --%s needs a value", spec[k].name);
    return -1;
  }
  return 0;
}

int parley_ctl_args_parse(const parley_ctl_opt_t *spec, size_t n, int argc, char **argv,
                          int stop_at_positional, int *used, parley_ctl_args_t *out, char *err,
                          size_t errlen) {
  int i, only_pos = 0;
  if (n > PARLEY_CTL_MAX_OPTS) {
    snprintf(err, errlen, "too many options in the spec");
    return -1;
  }
  for (i = 0; i < argc; i++) {
    const char *s = argv[i];
    if (!only_pos && strcmp(s, "--") == 0) {
      only_pos = 1;
      continue;
    }
    if (!only_pos && strncmp(s, "--", 2) == 0) {
      if (parse_long(spec, n, argc, argv, &i, out, err, errlen) != 0)
        return -1;
      continue;
    }
    if (!only_pos && s[0] == '-' && s[1] != '\0') {
      snprintf(err, errlen, "unknown option %s (options are long: --name)", s);
      return -1;
    }
    if (stop_at_positional)
      break;
    if (out->npos == PARLEY_CTL_MAX_POS) {
      snprintf(err, errlen, "too many arguments");
      return -1;
    }
    out->pos[out->npos++] = s;
  }
  if (used)
    *used = i;
  return 0;
}

const char *parley_ctl_arg(const parley_ctl_opt_t *spec, size_t n, const parley_ctl_args_t *a,
                           const char *name) {
  int k = find_opt(spec, n, name, strlen(name));
  return k < 0 ? NULL : a->value[k];
}

int parley_ctl_parse_seq(const char *s, int64_t *out) {
  char *end;
  if (!s || *s < '0' || *s > '9')
    return -1;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || v < 1)
    return -1;
  *out = (int64_t)v;
  return 0;
}
