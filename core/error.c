/* parley core — error names and messages. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "parley/error.h"

const char *parley_strerror(int code) {
  switch (code) {
  case PARLEY_OK: return "success";
#define PARLEY_ERR_MSG_(name, val, msg) case PARLEY_##name: return msg;
  PARLEY_ERRNO_MAP(PARLEY_ERR_MSG_)
#undef PARLEY_ERR_MSG_
  default: return "unknown error";
  }
}

const char *parley_err_name(int code) {
  switch (code) {
  case PARLEY_OK: return "PARLEY_OK";
#define PARLEY_ERR_NAME_(name, val, msg) case PARLEY_##name: return "PARLEY_" #name;
  PARLEY_ERRNO_MAP(PARLEY_ERR_NAME_)
#undef PARLEY_ERR_NAME_
  default: return "PARLEY_EUNKNOWN";
  }
}

int parley_error_set(parley_error_t *err, int code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return code;
}

int parley_error_set_json(parley_error_t *err, const char *what, int line, int column,
                          size_t position, size_t len, const char *reason) {
  const char *near = reason ? strstr(reason, " near ") : NULL;
  int keep = near ? (int)(near - reason) : reason ? (int)strlen(reason) : 0;
  return parley_error_set(err, PARLEY_EPARSE,
                          "%s: malformed JSON at line %d, column %d (byte %zu of %zu): %.*s", what,
                          line, column, position, len, keep, reason ? reason : "");
}
