/* Lexicon-based sentiment: negation, boosters, emoji, "!!!", ALL CAPS and
 * "but" in en/de/nl against the lexicons built from npm (PARLEY_LEXICON_DIR
 * points at the build tree's copy); malformed lexicon files are errors that
 * name file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enrich_sentiment.h"
#include "parley/error.h"

static parley_sentiment_t *lex;

static int setup(void **state) {
  (void)state;
  parley_error_t err = {0};
  if (parley_sentiment_load(NULL, NULL, &lex, &err) != 0) {
    fprintf(stderr, "loading %s: %s\n", parley_sentiment_default_dir(), err.message);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  parley_sentiment_free(lex);
  return 0;
}

static double score(const char *lang, const char *text) {
  double v = 99;
  int rc = parley_sentiment_score(lex, lang, text, strlen(text), &v);
  if (rc != 0)
    fail_msg("score(%s, \"%s\") = %s", lang, text, parley_err_name(rc));
  assert_true(v >= -1 && v <= 1);
  return v;
}

#define POS(lang, text) check(lang, text, 1)
#define NEG(lang, text) check(lang, text, -1)
#define NOT_NEG(lang, text) check(lang, text, 0)
/* want 1: > 0.05, -1: < -0.05, 0: >= -0.05 (not negative) */
static void check(const char *lang, const char *text, int want) {
  double v = score(lang, text);
  int ok = want > 0 ? v > 0.05 : want < 0 ? v < -0.05 : v >= -0.05;
  if (!ok)
    fail_msg("%s \"%s\" scored %+.3f", lang, text, v);
}

static void languages_loaded(void **state) {
  (void)state;
  const char *langs[] = {"en", "de", "nl", "fr", "es", "it", "pt"};
  for (size_t i = 0; i < sizeof langs / sizeof *langs; i++)
    assert_true(parley_sentiment_has(lex, langs[i]));
  assert_false(parley_sentiment_has(lex, "xx"));
  assert_false(parley_sentiment_has(lex, NULL));
}

static void english(void **state) {
  (void)state;
  POS("en", "This is good");
  NEG("en", "not good");
  POS("en", "not bad");
  NEG("en", "The service is terrible");
  NOT_NEG("en", "no problem");
  assert_true(score("en", "very good") > score("en", "good"));
  assert_true(score("en", "very bad") < score("en", "bad"));
  assert_true(score("en", "kinda good") < score("en", "good"));
  assert_true(score("en", "not very good") < 0);
  NEG("en", "good, but the delivery was awful"); /* after "but" counts 1.5x */
  assert_true(score("en", "not good, great") > 0); /* the comma ends the negation */
  NEG("en", "#fail");
  POS("en", "thanks :)");
  NEG("en", "The refund never came"); /* a negator that negates nothing */
}

static void german(void **state) {
  (void)state;
  POS("de", "gut");
  NEG("de", "nicht gut");
  POS("de", "sehr gut");
  assert_true(score("de", "sehr gut") > score("de", "gut"));
  NOT_NEG("de", "kein Problem");
  NEG("de", "Müll!!!");
  NEG("de", "MÜLL"); /* folded: "mull" */
  NEG("de", "Ich liebe es nicht"); /* the negation closes the clause */
  NEG("de", "Service-Katastrophe"); /* the last part of a compound */
  NEG("de", "Die Erstattung kam nie an"); /* a negator that negates nothing */
  /* "keiner" inside its clause does not negate "kaputt" before it */
  NEG("de", "Mein Paket ist kaputt angekommen und keiner antwortet");
  NEG("de", "Mein Paket ist kaputt angekommen und keiner antwortet. Nie wieder!");
}

static void dutch(void **state) {
  (void)state;
  POS("nl", "blij");
  NEG("nl", "niet blij");
  assert_true(score("nl", "heel blij") > score("nl", "blij"));
  NOT_NEG("nl", "geen probleem");
  NEG("nl", "Dat vind ik niet leuk");
  NEG("nl", "leuk is het niet");
  assert_true(score("nl", "het") == 0); /* a stopword, whatever its stem scores */
  NEG("nl", "Het pakket is nooit aangekomen");
}

static void emoji_every_language(void **state) {
  (void)state;
  const char *langs[] = {"en", "de", "nl", "fr", "es", "it", "pt"};
  for (size_t i = 0; i < sizeof langs / sizeof *langs; i++) {
    NEG(langs[i], "😡");
    NEG(langs[i], "😡😡😡 @acme");
    POS(langs[i], "👍");
    POS(langs[i], "👍🏽"); /* skin tone: scored as the base emoji */
    POS(langs[i], "❤️");   /* with the variation selector */
  }
  assert_true(score("en", "😡😡😡") < score("en", "😡"));
}

static void exclamation_and_caps(void **state) {
  (void)state;
  assert_true(score("en", "good!!!") > score("en", "good"));
  assert_true(score("en", "bad!!!") < score("en", "bad"));
  assert_true(score("de", "gut!!!") > score("de", "gut"));
  /* at most three count */
  assert_true(score("en", "good!!!!!!!!") == score("en", "good!!!"));
  /* "!" alone carries no sentiment */
  assert_true(score("en", "Order 12345!!!") == 0);
  /* an ALL-CAPS word among others is emphasised */
  assert_true(score("en", "The service is TERRIBLE") < score("en", "The service is terrible"));
}

static void nothing_to_score(void **state) {
  (void)state;
  double v = 5;
  assert_int_equal(parley_sentiment_score(lex, "en", "", 0, &v), 0);
  assert_true(v == 0);
  assert_true(score("en", "Order 12345, DM sent") == 0);
  assert_true(score("en", "a\xff\xfe\xc3") == 0); /* invalid UTF-8 */
  assert_int_equal(parley_sentiment_score(lex, "en", NULL, 0, &v), 0);
  assert_true(v == 0);
}

static void unknown_language(void **state) {
  (void)state;
  double v = 5;
  assert_int_equal(parley_sentiment_score(lex, "xx", "good", 4, &v), PARLEY_ENOENT);
  assert_true(v == 0);
  assert_int_equal(parley_sentiment_score(lex, NULL, "good", 4, &v), PARLEY_ENOENT);
  assert_int_equal(parley_sentiment_score(NULL, "en", "good", 4, &v), PARLEY_ENOENT);
}

/* A long text is scored on its head; no crash, bounded work. */
static void long_text(void **state) {
  (void)state;
  size_t n = 100000;
  char *t = malloc(n + 1);
  assert_non_null(t);
  for (size_t i = 0; i < n; i++)
    t[i] = "terrible ü😡 "[i % 15];
  t[n] = 0;
  double v = 0;
  assert_int_equal(parley_sentiment_score(lex, "en", t, n, &v), 0);
  assert_true(v < -0.5);
  free(t);
}

static void only_some_languages(void **state) {
  (void)state;
  const char *langs[] = {"de", NULL};
  parley_sentiment_t *s = NULL;
  parley_error_t err = {0};
  assert_int_equal(parley_sentiment_load(parley_sentiment_default_dir(), langs, &s, &err), 0);
  assert_true(parley_sentiment_has(s, "de"));
  assert_false(parley_sentiment_has(s, "en"));
  double v;
  assert_int_equal(parley_sentiment_score(s, "en", "good", 4, &v), PARLEY_ENOENT);
  parley_sentiment_free(s);
  parley_sentiment_free(NULL);
}

/* ---- malformed lexicons ---- */

static char tmpdir[64];

static void write_file(const char *name, const char *text) {
  char path[128];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void remove_file(const char *name) {
  char path[128];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  unlink(path);
}

/* Loading tmpdir with xx.tsv = text fails with code, the message holding want. */
static void expect_error(const char *text, int code, const char *want) {
  write_file("xx.tsv", text);
  parley_sentiment_t *s = (parley_sentiment_t *)1;
  parley_error_t err = {0};
  const char *langs[] = {"xx", NULL};
  assert_int_equal(parley_sentiment_load(tmpdir, langs, &s, &err), code);
  assert_null(s);
  assert_int_equal(err.code, code);
  if (!strstr(err.message, want))
    fail_msg("error \"%s\" lacks \"%s\"", err.message, want);
}

static void malformed_files(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/parley-lex-XXXXXX");
  assert_non_null(mkdtemp(tmpdir));
  write_file("emoji.tsv", "# ok\n[emoji]\n😡\t-2\n[emoticons]\n[:\t1\n:)\t2\n");
  /* a good one first */
  write_file("xx.tsv", "[meta]\nlang\txx\n[words]\nfine\t1.5\nno good\t-2\n[negators]\nnot\t-0.74\n");
  parley_sentiment_t *s = NULL;
  parley_error_t err = {0};
  assert_int_equal(parley_sentiment_load(tmpdir, NULL, &s, &err), 0);
  double v;
  assert_int_equal(parley_sentiment_score(s, "xx", "FINE", 4, &v), 0);
  assert_true(v > 0);
  assert_int_equal(parley_sentiment_score(s, "xx", "no  good", 8, &v), 0); /* a phrase */
  assert_true(v < 0);
  assert_int_equal(parley_sentiment_score(s, "xx", ":)", 2, &v), 0);
  assert_true(v > 0);
  parley_sentiment_free(s);
  /* stopwords: never scored (not through their stem either), but a
   * stopword that is a negator still negates */
  write_file("xx.tsv", "[meta]\nlang\txx\nstemmer\tgerman\n[stems]\ngut\t2\n[negators]\n"
                       "nicht\t-0.74\n[stopwords]\ngute\nnicht\n");
  assert_int_equal(parley_sentiment_load(tmpdir, NULL, &s, &err), 0);
  assert_int_equal(parley_sentiment_score(s, "xx", "guter", 5, &v), 0);
  assert_true(v > 0);
  assert_int_equal(parley_sentiment_score(s, "xx", "gute", 4, &v), 0);
  assert_true(v == 0);
  assert_int_equal(parley_sentiment_score(s, "xx", "nicht guter", 11, &v), 0);
  assert_true(v < 0);
  parley_sentiment_free(s);

  char want[128];
  snprintf(want, sizeof want, "%s/xx.tsv:3:", tmpdir);
  expect_error("[words]\nfine\t1\ngood\tabc\n", PARLEY_ECONFIG, want);
  expect_error("# c\n\n[wurds]\n", PARLEY_ECONFIG, want);
  expect_error("[words]\n\ngood\n", PARLEY_ECONFIG, want);
  expect_error("[words]\nok\t1\ngood\t1\t2\t3\n", PARLEY_ECONFIG, want);
  expect_error("[meta]\nlang\txx\nstemmer\tklingon\n", PARLEY_ECONFIG, want);
  expect_error("[words]\nok\t1\nbad\t-99\n", PARLEY_ECONFIG, "out of range");
  expect_error("good\t1\n", PARLEY_ECONFIG, "xx.tsv:1: entry before a [section]");
  expect_error("[words]\n!!!\t1\n", PARLEY_ECONFIG, "xx.tsv:2:");
  expect_error("[emoji]\n😡\t1\n", PARLEY_ECONFIG, "xx.tsv:1:");
  expect_error("[meta]\nlang\tyy\n", PARLEY_ECONFIG, "xx.tsv:2: lang 'yy'");
  expect_error("[stems]\ngut\t1\n", PARLEY_ECONFIG, "needs a stemmer");
  expect_error("[stopwords]\nthe\t1\n", PARLEY_ECONFIG, "xx.tsv:2: expected 1 tab-separated field");
  expect_error("[stopwords]\nof the\n", PARLEY_ECONFIG, "xx.tsv:2: a stopword is one word");

  /* a missing lexicon names its file */
  remove_file("xx.tsv");
  snprintf(want, sizeof want, "%s/xx.tsv: cannot open", tmpdir);
  const char *langs[] = {"xx", NULL};
  assert_int_equal(parley_sentiment_load(tmpdir, langs, &s, &err), PARLEY_ECONFIG);
  assert_non_null(strstr(err.message, want));
  /* no language at all */
  assert_int_equal(parley_sentiment_load(tmpdir, NULL, &s, &err), PARLEY_ECONFIG);
  assert_non_null(strstr(err.message, "no <lang>.tsv"));
  /* and a broken emoji file */
  write_file("emoji.tsv", "[emoji]\n😡\n");
  assert_int_equal(parley_sentiment_load(tmpdir, NULL, &s, &err), PARLEY_ECONFIG);
  assert_non_null(strstr(err.message, "emoji.tsv:2:"));
  remove_file("emoji.tsv");
  assert_int_equal(parley_sentiment_load(tmpdir, NULL, &s, &err), PARLEY_ECONFIG);
  assert_non_null(strstr(err.message, "emoji.tsv: cannot open"));
  rmdir(tmpdir);
  assert_int_equal(parley_sentiment_load("/nonexistent/parley", NULL, &s, &err), PARLEY_ECONFIG);
}

static void default_dir_override(void **state) {
  (void)state;
  const char *old = getenv("PARLEY_LEXICON_DIR");
  char *keep = old ? strdup(old) : NULL;
  setenv("PARLEY_LEXICON_DIR", "/somewhere/else", 1);
  assert_string_equal(parley_sentiment_default_dir(), "/somewhere/else");
  unsetenv("PARLEY_LEXICON_DIR");
  assert_non_null(strstr(parley_sentiment_default_dir(), "parley/lexicons"));
  if (keep)
    setenv("PARLEY_LEXICON_DIR", keep, 1);
  free(keep);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(languages_loaded),     cmocka_unit_test(english),
      cmocka_unit_test(german),               cmocka_unit_test(dutch),
      cmocka_unit_test(emoji_every_language), cmocka_unit_test(exclamation_and_caps),
      cmocka_unit_test(nothing_to_score),     cmocka_unit_test(unknown_language),
      cmocka_unit_test(long_text),            cmocka_unit_test(only_some_languages),
      cmocka_unit_test(malformed_files),      cmocka_unit_test(default_dir_override),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
