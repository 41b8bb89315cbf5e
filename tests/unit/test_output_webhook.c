/* Specification of the webhook signature (core/output_webhook.c,
 * parley_output_webhook_sign): the Parley-Signature header value a receiver
 * verifies as docs/outputs.md describes. Expected digests were computed
 * independently with Python's hmac module. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "output.h"

static const char body[] = "{\"id\":\"twitter:1\"}";

static void signature_is_t_and_v1_hmac_sha256_over_timestamp_dot_body(void **state) {
  char out[128];
  int n = parley_output_webhook_sign("whsec-test", 1795000000, body, strlen(body), out, sizeof out);
  assert_string_equal(out, "t=1795000000,v1="
                           "8760f2697fec5cc81db9a8dd982fca14fce04c782d5ac3d31daca15c2aa619a4");
  assert_int_equal(n, (int)strlen(out));
}

static void signature_of_an_empty_body_at_time_zero(void **state) {
  char out[128];
  parley_output_webhook_sign("k", 0, "", 0, out, sizeof out);
  assert_string_equal(out, "t=0,v1=6b4a4b8b3c40f1e8f53a3d36682e5f99f7ad2ac1df1c93dfe336f329167641e7");
}

static void signature_changes_with_the_body_the_time_and_the_secret(void **state) {
  char a[128], b[128], c[128], d[128];
  parley_output_webhook_sign("s", 100, "x", 1, a, sizeof a);
  parley_output_webhook_sign("s", 100, "y", 1, b, sizeof b);
  parley_output_webhook_sign("s", 101, "x", 1, c, sizeof c);
  parley_output_webhook_sign("S", 100, "x", 1, d, sizeof d);
  assert_string_not_equal(a + 6, b + 6);
  assert_string_not_equal(a, c);
  assert_string_not_equal(a, d);
}

static void signature_covers_bytes_after_a_nul(void **state) {
  char a[128], b[128];
  parley_output_webhook_sign("s", 1, "a\0b", 3, a, sizeof a);
  parley_output_webhook_sign("s", 1, "a\0c", 3, b, sizeof b);
  assert_string_not_equal(a, b);
}

static void signature_refuses_a_small_buffer_and_a_missing_secret(void **state) {
  char out[128];
  assert_int_equal(parley_output_webhook_sign("s", 1795000000, "x", 1, out, 80), PARLEY_ENOBUFS);
  assert_int_equal(parley_output_webhook_sign(NULL, 1, "x", 1, out, sizeof out), PARLEY_EINVAL);
  /* exactly enough: "t=" + 10 digits + ",v1=" + 64 hex digits + NUL */
  assert_int_equal(parley_output_webhook_sign("s", 1795000000, "x", 1, out, 81), 80);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(signature_is_t_and_v1_hmac_sha256_over_timestamp_dot_body),
      cmocka_unit_test(signature_of_an_empty_body_at_time_zero),
      cmocka_unit_test(signature_changes_with_the_body_the_time_and_the_secret),
      cmocka_unit_test(signature_covers_bytes_after_a_nul),
      cmocka_unit_test(signature_refuses_a_small_buffer_and_a_missing_secret),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
