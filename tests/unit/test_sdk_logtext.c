/* parley SDK — platform values made safe for a log line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "parley/sdk/logtext.h"

static void words_are_shown_and_text_is_not(void **state) {
  (void)state;
  char b[48];
  assert_string_equal(parley_sdk_log_word(b, sizeof b, "page"), "'page'");
  assert_string_equal(parley_sdk_log_word(b, sizeof b, "urn:li:comment:(activity:1,9)"),
                      "'urn:li:comment:(activity:1,9)'");
  /* customer words, a forged line, an escape: only the size */
  assert_string_equal(parley_sdk_log_word(b, sizeof b, "my card was stolen"),
                      "(18 bytes, not shown)");
  assert_string_equal(parley_sdk_log_word(b, sizeof b, "x\nERROR forged"), "(14 bytes, not shown)");
  assert_string_equal(parley_sdk_log_word(b, sizeof b, "\x1b[2J"), "(4 bytes, not shown)");
  assert_string_equal(parley_sdk_log_word(b, sizeof b, ""), "(0 bytes, not shown)");
  assert_string_equal(parley_sdk_log_word(b, sizeof b, NULL), "(none)");
  char longer[100];
  memset(longer, 'a', sizeof longer - 1);
  longer[sizeof longer - 1] = '\0';
  assert_string_equal(parley_sdk_log_word(b, sizeof b, longer), "(99 bytes, not shown)");
}

static void text_is_bounded_and_escaped(void **state) {
  (void)state;
  char b[64];
  assert_string_equal(parley_sdk_log_text(b, sizeof b, "Operational Disconnect", 100),
                      "Operational Disconnect");
  assert_string_equal(parley_sdk_log_text(b, sizeof b, "a\nb\x1b\xff \xc3\xa9", 100),
                      "a\\x0Ab\\x1B\\xFF \xc3\xa9");
  assert_string_equal(parley_sdk_log_text(b, sizeof b, "abcdefghij", 4), "abcd...");
  char longer[200];
  memset(longer, 'z', sizeof longer - 1);
  longer[sizeof longer - 1] = '\0';
  parley_sdk_log_text(b, sizeof b, longer, 1000);
  assert_int_equal(strlen(b), sizeof b - 1);
  assert_string_equal(b + sizeof b - 4, "...");
  /* a cut never splits a UTF-8 sequence */
  assert_string_equal(parley_sdk_log_text(b, sizeof b, "\xc3\xa9\xc3\xa9", 3), "\xc3\xa9...");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(words_are_shown_and_text_is_not),
      cmocka_unit_test(text_is_bounded_and_escaped),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
