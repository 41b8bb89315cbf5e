/* libparley-sdk hex and base64 codecs: the specification (RFC 4648
 * section 10 test vectors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "parley/error.h"
#include "parley/sdk/encode.h"

static void base64_matches_rfc4648_vectors(void **state) {
  (void)state;
  const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char *out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (size_t i = 0; i < 7; i++) {
    char buf[16];
    uint8_t back[16];
    int n = parley_sdk_base64_encode((const uint8_t *)in[i], strlen(in[i]), buf, sizeof buf);
    assert_int_equal(n, (int)strlen(out[i]));
    assert_string_equal(buf, out[i]);
    assert_int_equal(parley_sdk_base64_decode(buf, strlen(buf), back, sizeof back),
                     (int)strlen(in[i]));
    assert_memory_equal(back, in[i], strlen(in[i]));
  }
}

static void base64_accepts_missing_padding(void **state) {
  (void)state;
  uint8_t out[8];
  assert_int_equal(parley_sdk_base64_decode("Zm8", 3, out, sizeof out), 2);
  assert_memory_equal(out, "fo", 2);
}

static void base64_rejects_garbage(void **state) {
  (void)state;
  uint8_t out[64];
  const char *bad[] = {"Z", "Zm9v!", "Zm 9v", "Zg===", "=Zg=", "Zm9v\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(parley_sdk_base64_decode(bad[i], strlen(bad[i]), out, sizeof out),
                     PARLEY_EPARSE);
}

static void hex_round_trips_either_case(void **state) {
  (void)state;
  const uint8_t bytes[] = {0x00, 0x7f, 0xab, 0xff};
  char buf[9];
  uint8_t back[4];
  assert_int_equal(parley_sdk_hex_encode(bytes, 4, buf, sizeof buf), 8);
  assert_string_equal(buf, "007fabff");
  assert_int_equal(parley_sdk_hex_decode("007FABff", 8, back, sizeof back), 4);
  assert_memory_equal(back, bytes, 4);
}

static void hex_rejects_odd_length_and_non_hex(void **state) {
  (void)state;
  uint8_t out[4];
  assert_int_equal(parley_sdk_hex_decode("abc", 3, out, sizeof out), PARLEY_EPARSE);
  assert_int_equal(parley_sdk_hex_decode("zz", 2, out, sizeof out), PARLEY_EPARSE);
}

static void small_buffers_are_reported(void **state) {
  (void)state;
  char buf[4];
  uint8_t out[1];
  assert_int_equal(parley_sdk_base64_encode((const uint8_t *)"foo", 3, buf, sizeof buf),
                   PARLEY_ENOBUFS);
  assert_int_equal(parley_sdk_hex_encode((const uint8_t *)"ab", 2, buf, sizeof buf),
                   PARLEY_ENOBUFS);
  assert_int_equal(parley_sdk_hex_decode("abcd", 4, out, sizeof out), PARLEY_ENOBUFS);
  assert_int_equal(parley_sdk_base64_decode("Zm9v", 4, out, sizeof out), PARLEY_ENOBUFS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(base64_matches_rfc4648_vectors),
      cmocka_unit_test(base64_accepts_missing_padding),
      cmocka_unit_test(base64_rejects_garbage),
      cmocka_unit_test(hex_round_trips_either_case),
      cmocka_unit_test(hex_rejects_odd_length_and_non_hex),
      cmocka_unit_test(small_buffers_are_reported),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
