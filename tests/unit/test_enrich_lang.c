/* Language detection (core/enrich_lang.cc, CLD2): short care messages in
 * the seven care languages, what is not language evidence (URLs, handles,
 * hashtags, emoji), invalid UTF-8 and garbage, min_confidence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "enrich_lang.h"
#include "parley/error.h"

static int detect(const char *text, double min_confidence, parley_lang_guess_t *g) {
  memset(g, 0x55, sizeof *g); /* a result must overwrite this */
  return parley_lang_detect(text, strlen(text), min_confidence, g);
}

static void assert_lang(const char *text, const char *want) {
  parley_lang_guess_t g;
  int rc = detect(text, 0.5, &g);
  if (rc != 0)
    fail_msg("\"%s\": no language (%d), want %s", text, rc, want);
  if (strcmp(g.code, want) != 0)
    fail_msg("\"%s\": %s (%.2f), want %s", text, g.code, g.confidence, want);
  assert_true(g.confidence >= 0.5 && g.confidence <= 1.0);
}

static void assert_none(const char *text) {
  parley_lang_guess_t g;
  int rc = detect(text, 0, &g);
  if (rc != PARLEY_ENOENT)
    fail_msg("\"%s\": %d %s (%.2f), want PARLEY_ENOENT", text, rc, rc == 0 ? g.code : "-",
             rc == 0 ? g.confidence : 0.0);
}

/* A result is either "nothing" or a well-formed guess. */
static void assert_sane(const char *text, size_t len) {
  parley_lang_guess_t g;
  memset(&g, 0x55, sizeof g);
  int rc = parley_lang_detect(text, len, 0, &g);
  assert_true(rc == 0 || rc == PARLEY_ENOENT);
  if (rc != 0)
    return;
  size_t n = strnlen(g.code, sizeof g.code);
  assert_true(n >= 2 && n <= 3);
  for (size_t i = 0; i < n; i++)
    assert_true(g.code[i] >= 'a' && g.code[i] <= 'z');
  assert_true(g.confidence >= 0 && g.confidence <= 1);
}

/* ---- the care languages, tweet-sized ---- */

static void short_texts_in_each_care_language(void **state) {
  (void)state;
  assert_lang("my order has not arrived yet, please help", "en");
  assert_lang("Das Paket ist immer noch nicht da", "de");
  assert_lang("Het pakket is nog steeds niet bezorgd", "nl");
  assert_lang("Mon colis n'est toujours pas arrivé", "fr");
  assert_lang("Mi pedido todavía no ha llegado", "es");
  assert_lang("Il mio ordine non è ancora arrivato", "it");
  assert_lang("A minha encomenda ainda não chegou", "pt");
}

static void handles_urls_and_emoji_around_the_words(void **state) {
  (void)state;
  assert_lang("@acme_help meine Rechnung ist falsch 😡 https://example.com/rechnung/123", "de");
  assert_lang("@northwind waarom is mijn vlucht geannuleerd?? 🙄 (example.com)", "nl");
  assert_lang("@contoso je n'arrive pas à me connecter depuis ce matin 😤😤", "fr");
  assert_lang("Paket kam kaputt an #fail #customerservice #epicfail", "de");
}

static void other_languages_keep_their_code(void **state) {
  (void)state;
  /* CLD2 says "iw" and "zh-Hant": BCP 47 primary subtags are "he", "zh" */
  assert_lang("שלום, ההזמנה שלי עדיין לא הגיעה ואף אחד לא עונה", "he");
  assert_lang("我的訂單還沒有到，請幫忙查詢一下謝謝", "zh");
  assert_lang("Moje zamówienie jeszcze nie dotarło, proszę o pomoc", "pl");
}

/* ---- no language evidence ---- */

static void only_links_handles_hashtags_and_emoji_is_no_language(void **state) {
  (void)state;
  assert_none("");
  assert_none("   \t\n ");
  assert_none("https://example.com/returns/form?id=12345");
  assert_none("www.example.com");
  assert_none("(example.com) example.nl/hilfe");
  assert_none("@acme_help @northwind @contoso");
  assert_none("support@example.com");
  assert_none("❤️❤️❤️ @acme");
  assert_none("😡😡😡 @contoso");
  assert_none("👍🏽🇳🇱👨‍👩‍👧");
  assert_none("#customerservice #fail #epicfail");
  assert_none("@acme_help https://example.com/x #fail 😡 12345 !!!");
  assert_none("&amp; &lt; &gt; &#39; 2024-11-03 #A-55102");
}

/* ---- invalid input ---- */

static void invalid_utf8_never_crashes_and_words_still_count(void **state) {
  (void)state;
  parley_lang_guess_t g;
  /* bad bytes between German words: replaced, the words still speak */
  const char *t = "Das \xff Paket \xc3 ist \xed\xa0\x80 immer \xc0\xaf noch \xf8\x88\x80\x80\x80 nicht "
                  "da \xef\xbf\xbe und \x01\x0b\x7f niemand \xc2\x85 hilft \xf4\x90\x80\x80 mir";
  assert_int_equal(detect(t, 0.5, &g), 0);
  assert_string_equal(g.code, "de");
  assert_none("\xff\xfe\xfd\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc");
  /* a truncated sequence at the very end */
  assert_sane("Mi pedido no ha llegado \xe2\x82", strlen("Mi pedido no ha llegado \xe2\x82"));
}

static void embedded_nul_counts_as_a_space(void **state) {
  (void)state;
  static const char t[] = "Het pakket\0is nog steeds\0niet bezorgd";
  parley_lang_guess_t g;
  assert_int_equal(parley_lang_detect(t, sizeof t - 1, 0.5, &g), 0);
  assert_string_equal(g.code, "nl");
}

static uint32_t rng = 12345;
static uint32_t next_random(void) {
  rng = rng * 1103515245u + 12345u;
  return rng >> 8;
}

static void random_bytes_and_ascii_garbage_are_harmless(void **state) {
  (void)state;
  char buf[600];
  for (int round = 0; round < 3000; round++) {
    size_t len = next_random() % sizeof buf;
    for (size_t i = 0; i < len; i++) {
      uint32_t r = next_random();
      /* thirds: any byte, printable ASCII, UTF-8 lead/continuation bytes */
      buf[i] = (char)(round % 3 == 0 ? r : round % 3 == 1 ? 32 + r % 95 : 0x80 + r % 0x78);
    }
    assert_sane(buf, len);
  }
  assert_sane("qzx vbnm kjhg wrtz pfft", 23);
  assert_sane("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 42);
}

static void long_texts_are_read_from_their_start(void **state) {
  (void)state;
  const char *sentence = "Die Lieferung ist schon wieder zu spät und niemand meldet sich bei mir. ";
  size_t n = strlen(sentence), total = 200 * 1024;
  char *t = malloc(total + 1);
  assert_non_null(t);
  for (size_t i = 0; i < total; i++)
    t[i] = sentence[i % n];
  t[total] = '\0';
  parley_lang_guess_t g;
  assert_int_equal(parley_lang_detect(t, total, 0.5, &g), 0);
  assert_string_equal(g.code, "de");
  assert_true(g.confidence > 0.9);
  free(t);
}

static void bad_arguments(void **state) {
  (void)state;
  parley_lang_guess_t g;
  assert_int_equal(parley_lang_detect("hello there my friend", 21, 0, NULL), PARLEY_EINVAL);
  assert_int_equal(parley_lang_detect(NULL, 5, 0, &g), PARLEY_EINVAL);
  assert_int_equal(parley_lang_detect(NULL, 0, 0, &g), PARLEY_ENOENT);
}

/* ---- confidence ---- */

static void min_confidence_is_respected(void **state) {
  (void)state;
  parley_lang_guess_t g, h;
  const char *t = "Il mio ordine non è ancora arrivato";
  assert_int_equal(detect(t, 0, &g), 0);
  assert_int_equal(detect(t, g.confidence, &h), 0);
  assert_string_equal(h.code, g.code);
  assert_true(h.confidence == g.confidence);
  assert_int_equal(detect(t, g.confidence + 0.01, &h), PARLEY_ENOENT);
  assert_int_equal(detect(t, 1.01, &h), PARLEY_ENOENT);
}

static void a_word_or_two_is_a_guess_with_low_confidence(void **state) {
  (void)state;
  parley_lang_guess_t g;
  /* CLD2 will not commit on one word: still a guess below the default 0.5 */
  assert_int_equal(detect("gracias", 0, &g), 0);
  assert_string_equal(g.code, "es");
  assert_true(g.confidence > 0 && g.confidence < 0.5);
  assert_int_equal(detect("gracias", 0.5, &g), PARLEY_ENOENT);
}

static void longer_text_is_more_confident(void **state) {
  (void)state;
  parley_lang_guess_t shortg, longg;
  assert_int_equal(detect("Mi pedido todavía no ha llegado", 0, &shortg), 0);
  assert_int_equal(detect("Mi pedido todavía no ha llegado y nadie me contesta en el chat "
                          "desde hace tres días, es una vergüenza",
                          0, &longg),
                   0);
  assert_string_equal(longg.code, "es");
  assert_true(longg.confidence > shortg.confidence);
  assert_true(longg.confidence > 0.9);
}

static void the_backend_names_cld2(void **state) {
  (void)state;
  const char *b = parley_lang_backend();
  assert_non_null(b);
  assert_true(strncmp(b, "cld2 (", 6) == 0);
  assert_ptr_equal(parley_lang_backend(), b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(short_texts_in_each_care_language),
      cmocka_unit_test(handles_urls_and_emoji_around_the_words),
      cmocka_unit_test(other_languages_keep_their_code),
      cmocka_unit_test(only_links_handles_hashtags_and_emoji_is_no_language),
      cmocka_unit_test(invalid_utf8_never_crashes_and_words_still_count),
      cmocka_unit_test(embedded_nul_counts_as_a_space),
      cmocka_unit_test(random_bytes_and_ascii_garbage_are_harmless),
      cmocka_unit_test(long_texts_are_read_from_their_start),
      cmocka_unit_test(bad_arguments),
      cmocka_unit_test(min_confidence_is_respected),
      cmocka_unit_test(a_word_or_two_is_a_guess_with_low_confidence),
      cmocka_unit_test(longer_text_is_more_confident),
      cmocka_unit_test(the_backend_names_cld2),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
