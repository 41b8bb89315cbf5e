/* The JSON writer (core/json_write.c) writes exactly what jansson's
 * json_dumps(JSON_COMPACT) writes for the same values, so the event encoder
 * that uses it keeps the journal's bytes unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_write.h"
#include "parley/error.h"

static char *finish(parley_jw_t *w) {
  char *out = NULL;
  size_t len = 0;
  assert_int_equal(parley_jw_finish(w, &out, &len), 0);
  assert_int_equal(len, strlen(out));
  return out;
}

static void assert_same(const char *mine, json_t *ref, size_t flags) {
  char *want = json_dumps(ref, JSON_COMPACT | JSON_ENCODE_ANY | flags);
  assert_non_null(want);
  if (strcmp(mine, want) != 0)
    fail_msg("writer gave %s, jansson %s", mine, want);
  free(want);
  json_decref(ref);
}

static void strings_are_escaped_like_jansson(void **state) {
  (void)state;
  const char *samples[] = {"", "plain", "quote \" and \\ back", "tab\there\nnew\rline",
                           "\b\f\x01\x1f\x7f", "Müll 👍 ñ", "slash / stays", "</script>"};
  for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
    parley_jw_t w;
    parley_jw_init(&w, 0);
    parley_jw_str(&w, NULL, samples[i]);
    char *mine = finish(&w);
    assert_same(mine, json_string(samples[i]), 0);
    free(mine);
  }
}

static void numbers_are_written_like_jansson(void **state) {
  (void)state;
  const double reals[] = {0.35, -1.0, 1.0, 0.0, 1e-5, 1e-7, -0.3333333333333333, 1e21, 123456.0};
  for (size_t i = 0; i < sizeof reals / sizeof *reals; i++) {
    parley_jw_t w;
    parley_jw_init(&w, 0);
    parley_jw_real(&w, NULL, reals[i], 15);
    char *mine = finish(&w);
    assert_same(mine, json_real(reals[i]), JSON_REAL_PRECISION(15));
    free(mine);
  }
  const int64_t ints[] = {0, 7, -7, 1234567890123LL, INT64_MAX, INT64_MIN};
  for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
    parley_jw_t w;
    parley_jw_init(&w, 0);
    parley_jw_int(&w, NULL, ints[i]);
    char *mine = finish(&w);
    assert_same(mine, json_integer(ints[i]), 0);
    free(mine);
  }
}

static void nested_members_and_separators(void **state) {
  (void)state;
  parley_jw_t w;
  parley_jw_init(&w, 4); /* small: forces growth */
  size_t top = parley_jw_open(&w, NULL, '{');
  parley_jw_str(&w, "a", "x");
  size_t arr = parley_jw_open(&w, "list", '[');
  parley_jw_int(&w, NULL, 1);
  size_t o = parley_jw_open(&w, NULL, '{');
  parley_jw_bool(&w, "t", 1);
  parley_jw_close(&w, o, '{', 0);
  parley_jw_close(&w, arr, '[', 0);
  parley_jw_json(&w, "raw", "{\"k\":[1,2]}", 11);
  parley_jw_bool(&w, "f", 0);
  parley_jw_close(&w, top, '{', 0);
  char *mine = finish(&w);
  assert_same(mine,
              json_pack("{s:s,s:[i,{s:b}],s:{s:[i,i]},s:b}", "a", "x", "list", 1, "t", 1, "raw",
                        "k", 1, 2, "f", 0),
              0);
  free(mine);
}

/* An empty container opened with drop_empty leaves no trace, not even the
 * comma before it; one with members stays. */
static void empty_containers_are_dropped(void **state) {
  (void)state;
  parley_jw_t w;
  parley_jw_init(&w, 0);
  size_t top = parley_jw_open(&w, NULL, '{');
  parley_jw_str(&w, "a", "x");
  size_t e = parley_jw_open(&w, "empty", '{');
  size_t inner = parley_jw_open(&w, "inner", '[');
  parley_jw_close(&w, inner, '[', 1);
  parley_jw_close(&w, e, '{', 1);
  parley_jw_str(&w, "b", "y");
  size_t full = parley_jw_open(&w, "full", '[');
  parley_jw_int(&w, NULL, 3);
  parley_jw_close(&w, full, '[', 1);
  parley_jw_close(&w, top, '{', 0);
  char *mine = finish(&w);
  assert_string_equal(mine, "{\"a\":\"x\",\"b\":\"y\",\"full\":[3]}");
  free(mine);
}

static void too_deep_is_an_error(void **state) {
  (void)state;
  parley_jw_t w;
  parley_jw_init(&w, 0);
  size_t marks[PARLEY_JW_DEPTH + 1];
  for (int i = 0; i <= PARLEY_JW_DEPTH; i++)
    marks[i] = parley_jw_open(&w, NULL, '[');
  for (int i = PARLEY_JW_DEPTH; i >= 0; i--)
    parley_jw_close(&w, marks[i], '[', 0);
  char *out = NULL;
  assert_int_equal(parley_jw_finish(&w, &out, NULL), PARLEY_ETOOBIG);
  assert_null(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(strings_are_escaped_like_jansson),
      cmocka_unit_test(numbers_are_written_like_jansson),
      cmocka_unit_test(nested_members_and_separators),
      cmocka_unit_test(empty_containers_are_dropped),
      cmocka_unit_test(too_deep_is_an_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
