/* parley fuzzing — the helpers every target shares (see fuzz.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

void fuzz_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("fuzz: broken promise: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  abort();
}

char *fuzz_strndup(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s)
    abort();
  if (size)
    memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

int fuzz_contains(const uint8_t *data, size_t size, const char *s) {
  size_t n = strlen(s);
  if (n == 0)
    return 1;
  for (size_t i = 0; i + n <= size; i++)
    if (data[i] == (uint8_t)s[0] && memcmp(data + i, s, n) == 0)
      return 1;
  return 0;
}

void fuzz_secret_setup(void) {
  static int done;
  if (done)
    return;
  done = 1;
  setenv(FUZZ_SECRET_ENV, FUZZ_SECRET, 1);
  /* written under a temporary name and renamed: parallel fuzzers share it */
  char tmp[64];
  snprintf(tmp, sizeof tmp, "%s.%ld", FUZZ_SECRET_FILE, (long)getpid());
  FILE *f = fopen(tmp, "w");
  if (!f)
    return;
  fputs(FUZZ_SECRET "\n", f);
  if (fclose(f) != 0 || rename(tmp, FUZZ_SECRET_FILE) != 0)
    unlink(tmp);
}

void fuzz_check_error(const parley_error_t *err, const uint8_t *data, size_t size) {
  const char *end = memchr(err->message, '\0', sizeof err->message);
  fuzz_require(end != NULL, "error message is not NUL-terminated");
  fuzz_require(!strstr(err->message, FUZZ_SECRET) || fuzz_contains(data, size, FUZZ_SECRET),
               "error message quotes the secret: %s", err->message);
}

void fuzz_check_event(const parley_event_t *ev) {
  parley_error_t err = {0};
  if (parley_event_validate(ev, &err) != 0)
    return; /* the core refuses it: nothing is encoded */
  char *a = NULL, *b = NULL;
  size_t alen = 0, blen = 0;
  parley_event_t *back = NULL;
  fuzz_require(parley_event_to_json(ev, &a, &alen) == 0, "a valid event does not encode");
  fuzz_require(strlen(a) == alen, "encoded event has an inner NUL byte");
  int rc = parley_event_from_json(a, alen, &back, &err);
  fuzz_require(rc == 0, "an encoded event does not decode (%s): %s", err.message, a);
  fuzz_require(parley_event_to_json(back, &b, &blen) == 0, "a decoded event does not encode");
  fuzz_require(alen == blen && memcmp(a, b, alen) == 0,
               "event changes in a round trip:\n  %s\n  %s", a, b);
  parley_event_t *copy = parley_event_clone(ev);
  fuzz_require(copy != NULL, "event clone failed");
  char *c = NULL;
  size_t clen = 0;
  fuzz_require(parley_event_to_json(copy, &c, &clen) == 0 && clen == alen &&
                   memcmp(a, c, alen) == 0,
               "a cloned event encodes differently");
  free(c);
  parley_event_free(copy);
  parley_event_free(back);
  free(a);
  free(b);
}

void fuzz_check_action(const parley_action_t *a) {
  parley_error_t err = {0};
  char *x = NULL, *y = NULL;
  size_t xlen = 0, ylen = 0;
  parley_action_t *back = NULL;
  if (parley_action_to_json(a, &x, &xlen) != 0)
    return;
  int rc = parley_action_from_json(x, xlen, &back, &err);
  fuzz_require(rc == 0, "an encoded action does not decode (%s): %s", err.message, x);
  fuzz_require(parley_action_to_json(back, &y, &ylen) == 0, "a decoded action does not encode");
  fuzz_require(xlen == ylen && memcmp(x, y, xlen) == 0,
               "action changes in a round trip:\n  %s\n  %s", x, y);
  parley_action_t *copy = parley_action_clone(a);
  fuzz_require(copy != NULL, "action clone failed");
  parley_action_free(copy);
  parley_action_free(back);
  free(x);
  free(y);
}
