/* parley core — a JSON text writer for the hot paths (the event encoder):
 * members go straight into one growable buffer, no tree of json_t and no
 * printf. The output is byte for byte what jansson's json_dumps() writes
 * with JSON_COMPACT (same escapes, "%.Ng" reals with ".0" added), so text
 * written here and text dumped by jansson can be compared.
 *
 * Errors are sticky: after a failed allocation or a too-deep nesting every
 * call is a no-op and parley_jw_finish() reports it. Internal. */
#ifndef PARLEY_CORE_JSON_WRITE_H
#define PARLEY_CORE_JSON_WRITE_H

#include <stddef.h>
#include <stdint.h>

#define PARLEY_JW_DEPTH 8

typedef struct parley_jw {
  char *buf;
  size_t len, cap;
  int err;   /* 0 or the first PARLEY_E* */
  int depth; /* open objects/arrays */
  unsigned count[PARLEY_JW_DEPTH + 1]; /* members written at each depth */
} parley_jw_t;

/* An empty writer with room for hint bytes (allocated on first write). */
void parley_jw_init(parley_jw_t *w, size_t hint);
/* Open an object ('{') or array ('['), as member key of the enclosing
 * object (key NULL: an array item or the top value). Returns the mark to
 * hand to parley_jw_close(). */
size_t parley_jw_open(parley_jw_t *w, const char *key, char brace);
/* Close what open() opened. With drop_empty, a container that got no
 * members is removed again, key and all, as if never opened. */
void parley_jw_close(parley_jw_t *w, size_t mark, char brace, int drop_empty);
/* Members (key NULL inside arrays). s must be valid UTF-8. */
void parley_jw_str(parley_jw_t *w, const char *key, const char *s);
void parley_jw_int(parley_jw_t *w, const char *key, int64_t v);
/* A real with precision significant digits (1..17), as jansson writes it. */
void parley_jw_real(parley_jw_t *w, const char *key, double v, int precision);
void parley_jw_bool(parley_jw_t *w, const char *key, int v);
/* A value that is already JSON text, copied as is. */
void parley_jw_json(parley_jw_t *w, const char *key, const char *json, size_t len);
/* The NUL-terminated text (caller frees) and its length, or the error (the
 * buffer is freed then). */
int parley_jw_finish(parley_jw_t *w, char **out, size_t *len);

#endif
