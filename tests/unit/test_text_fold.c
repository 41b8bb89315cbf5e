/* Text folding (case, accents, compatibility forms) and word iteration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/error.h"
#include "text_fold.h"

static void assert_fold(const char *in, size_t len, const char *want) {
  size_t n = 0;
  char *f = parley_text_fold(in, len, &n);
  assert_non_null(f);
  if (strcmp(f, want) != 0)
    fail_msg("fold(\"%s\") = \"%s\", want \"%s\"", in, f, want);
  assert_int_equal(n, strlen(want));
  free(f);
}
#define FOLD(in, want) assert_fold(in, strlen(in), want)

static void fold_case_and_accents(void **state) {
  (void)state;
  FOLD("Müll", "mull");
  FOLD("ÉCHEC", "echec");
  FOLD("Kapot", "kapot");
  FOLD("Mu\xcc\x88ll", "mull"); /* decomposed ü folds the same */
  FOLD("niño CAFÉ façade", "nino cafe facade");
  FOLD("", "");
}

/* Full case folding maps ß and ẞ to "ss"; compatibility decomposition turns
 * the Dutch ligature ĳ into "ij" and styled letters into plain ones. */
static void fold_special_letters(void **state) {
  (void)state;
  FOLD("Straße", "strasse");
  FOLD("STRAẞE", "strasse");
  FOLD("ĳs", "ijs");
  FOLD("Ĳsselmeer", "ijsselmeer");
  FOLD("\xf0\x9d\x90\xa0\xf0\x9d\x90\xa8\xf0\x9d\x90\xa8\xf0\x9d\x90\x9d", "good"); /* 𝐠𝐨𝐨𝐝 */
  FOLD("ｆｕｌｌ", "full");
  FOLD("ﬁne", "fine");
  FOLD("Acme™", "acmetm");
}

/* Turkish dotted capital I: the language-neutral folding gives "i" (the
 * combining dot is a mark); dotless ı stays ı. Nothing crashes. */
static void fold_turkish(void **state) {
  (void)state;
  FOLD("İstanbul", "istanbul");
  FOLD("ılık", "ılık");
  FOLD("DİYARBAKIR", "diyarbakir");
}

static void fold_emoji_and_marks(void **state) {
  (void)state;
  FOLD("❤️", "❤"); /* the variation selector is a mark */
  FOLD("👍🏽", "👍🏽"); /* skin tones are symbols, kept */
  FOLD("\xcc\x88", "");  /* a lone combining mark folds to nothing */
}

/* A bad byte is U+FFFD, never a failure; NUL bytes inside are kept. */
static void fold_invalid_utf8(void **state) {
  (void)state;
  assert_fold("a\xff" "b", 3, "a\xef\xbf\xbd" "b");
  assert_fold("\xc3", 1, "\xef\xbf\xbd");             /* truncated sequence */
  /* a surrogate is one bad sequence: one U+FFFD (libunistring's u8_mbtouc) */
  assert_fold("\xed\xa0\x80x", 4, "\xef\xbf\xbdx");
  assert_fold("\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd"); /* overlong */
  size_t n = 0;
  char *f = parley_text_fold("A\0B", 3, &n);
  assert_non_null(f);
  assert_int_equal(n, 3);
  assert_memory_equal(f, "a\0b", 3);
  free(f);
  f = parley_text_fold(NULL, 0, NULL);
  assert_non_null(f);
  assert_string_equal(f, "");
  free(f);
}

static void fold_into_buffer(void **state) {
  (void)state;
  char buf[16];
  size_t n = 99;
  assert_int_equal(parley_text_fold_into("Müll", strlen("Müll"), buf, sizeof buf, &n), 0);
  assert_string_equal(buf, "mull");
  assert_int_equal(n, 4);
  assert_int_equal(parley_text_fold_into("ÉCHEC ÉCHEC ÉCHEC", strlen("ÉCHEC ÉCHEC ÉCHEC"), buf,
                                         sizeof buf, &n),
                   PARLEY_ENOBUFS);
  assert_string_equal(buf, "");
  assert_int_equal(parley_text_fold_into("Straße", strlen("Straße"), buf, 8, &n), 0);
  assert_string_equal(buf, "strasse"); /* exactly fits: 7 bytes + NUL */
  assert_int_equal(parley_text_fold_into("x", 1, buf, 0, &n), PARLEY_EINVAL);
}

/* Folding twice changes nothing. */
static void fold_idempotent(void **state) {
  (void)state;
  const char *in[] = {"Müll ÉCHEC Straße", "İstanbul ĳs 👍🏽 ❤️", "Ǆ ǅ ǆ ﬃ ⅷ ΣΑΣ"};
  for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
    size_t n1, n2;
    char *a = parley_text_fold(in[i], strlen(in[i]), &n1);
    char *b = parley_text_fold(a, n1, &n2);
    assert_string_equal(a, b);
    free(a);
    free(b);
  }
}

/* The words of s, joined by '|'. */
static char *words(const char *s, size_t len) {
  static char out[512];
  size_t pos = 0, o = 0;
  parley_text_word_t w;
  out[0] = 0;
  while (parley_text_next_word(s, len, &pos, &w)) {
    assert_true(w.len > 0);
    assert_true(w.p >= s && w.p + w.len <= s + len);
    o += (size_t)snprintf(out + o, sizeof out - o, "%s%.*s", o ? "|" : "", (int)w.len, w.p);
  }
  assert_int_equal(pos, len);
  return out;
}
#define WORDS(s) words(s, strlen(s))

static void words_social_text(void **state) {
  (void)state;
  assert_string_equal(WORDS("Nicht gut!!! #fail @acme 😡👍🏽 don't"),
                      "Nicht|gut|#fail|@acme|😡|👍🏽|don't");
  assert_string_equal(WORDS("it’s a well-known 'quote' -- e-mail_me"),
                      "it’s|a|well-known|quote|e-mail_me");
  assert_string_equal(WORDS("# @ #! x- -y ''"), "x|y");
  assert_string_equal(WORDS("  "), "");
  assert_string_equal(WORDS(""), "");
}

static void words_emoji(void **state) {
  (void)state;
  /* ZWJ sequence, flag, keycap-free heart with VS16, repeated emoji */
  assert_string_equal(WORDS("👩‍💻 ok🇩🇪❤️😡😡"), "👩‍💻|ok|🇩🇪|❤️|😡|😡");
  assert_string_equal(WORDS("great👍"), "great|👍");
  /* a bare skin-tone modifier or ZWJ is not a word */
  assert_string_equal(WORDS("\xf0\x9f\x8f\xbd \xe2\x80\x8d"), "");
}

static void words_unicode(void **state) {
  (void)state;
  assert_string_equal(WORDS("Mu\xcc\x88ll, Straße; 2024 über"), "Mu\xcc\x88ll|Straße|2024|über");
  assert_string_equal(WORDS("日本語のテキスト"), "日本語のテキスト");
  assert_string_equal(WORDS("a\xff" "b"), "a|b"); /* U+FFFD splits, is no word */
  assert_string_equal(words("x\0y", 3), "x|y");
  size_t pos = 0;
  parley_text_word_t w;
  assert_int_equal(parley_text_next_word(NULL, 0, &pos, &w), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fold_case_and_accents), cmocka_unit_test(fold_special_letters),
      cmocka_unit_test(fold_turkish),          cmocka_unit_test(fold_emoji_and_marks),
      cmocka_unit_test(fold_invalid_utf8),     cmocka_unit_test(fold_into_buffer),
      cmocka_unit_test(fold_idempotent),       cmocka_unit_test(words_social_text),
      cmocka_unit_test(words_emoji),           cmocka_unit_test(words_unicode),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
