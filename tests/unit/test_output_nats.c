/* Specification of NATS subject naming (core/output_nats.c,
 * parley_output_nats_subject): <prefix>.<platform>.<kind>, and refusal of
 * anything that would not be one literal subject. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "output.h"

#ifdef PARLEY_OUTPUT_HAVE_NATS

static void subject_is_prefix_platform_kind(void **state) {
  char out[64];
  assert_int_equal(parley_output_nats_subject("parley.events", "twitter", "mention", out,
                                              sizeof out),
                   (int)strlen("parley.events.twitter.mention"));
  assert_string_equal(out, "parley.events.twitter.mention");
  parley_output_nats_subject("care", "tik-tok_2", "direct_message", out, sizeof out);
  assert_string_equal(out, "care.tik-tok_2.direct_message");
}

static void subject_refuses_wildcards_dots_and_blanks_in_a_token(void **state) {
  char out[64];
  const char *bad[] = {"", "a.b", "*", ">", "a b", "a\tb", NULL};
  for (int i = 0; bad[i]; i++) {
    assert_int_equal(parley_output_nats_subject("p", bad[i], "mention", out, sizeof out),
                     PARLEY_EINVAL);
    assert_int_equal(parley_output_nats_subject("p", "twitter", bad[i], out, sizeof out),
                     PARLEY_EINVAL);
  }
  assert_int_equal(parley_output_nats_subject("p", NULL, "mention", out, sizeof out),
                   PARLEY_EINVAL);
}

static void subject_prefix_may_have_dots_but_no_empty_token_or_wildcard(void **state) {
  char out[64];
  assert_true(parley_output_nats_subject("a.b.c", "x", "y", out, sizeof out) > 0);
  const char *bad[] = {"", ".a", "a.", "a..b", "a.*", "a.>", "a b", NULL};
  for (int i = 0; bad[i]; i++)
    assert_int_equal(parley_output_nats_subject(bad[i], "x", "y", out, sizeof out),
                     PARLEY_EINVAL);
}

static void subject_refuses_a_small_buffer(void **state) {
  char out[8];
  assert_int_equal(parley_output_nats_subject("parley.events", "x", "y", out, sizeof out),
                   PARLEY_ENOBUFS);
  assert_int_equal(parley_output_nats_subject("p", "x", "y", out, 6), 5);
  assert_int_equal(parley_output_nats_subject("p", "x", "y", out, 5), PARLEY_ENOBUFS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(subject_is_prefix_platform_kind),
      cmocka_unit_test(subject_refuses_wildcards_dots_and_blanks_in_a_token),
      cmocka_unit_test(subject_prefix_may_have_dots_but_no_empty_token_or_wildcard),
      cmocka_unit_test(subject_refuses_a_small_buffer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

#else

int main(void) { /* built without cnats: nothing to specify */
  return 0;
}

#endif
