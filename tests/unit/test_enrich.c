/* The enrichment stage: fills what an inbound event lacks (lang, sentiment,
 * keyword sets, priority, SLA due), keeps what the connector set, leaves
 * brand messages and reactions alone, and counts what it could not fill. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "enrich.h"
#include "parley/time.h"

#define T0 1795425606000LL /* created_at of every test event */

static parley_metrics_t *metrics;

static parley_enrich_t *stage(const char *yaml) {
  parley_config_t *cfg = NULL;
  parley_enrich_t *e = NULL;
  parley_error_t err = {0};
  if (parley_config_load_string(&cfg, yaml, strlen(yaml), "yaml", "t.yaml", &err) != 0 ||
      parley_enrich_new(cfg->enrich, "t.yaml", metrics, &e, &err) != 0)
    fail_msg("%s", err.message);
  parley_config_free(cfg);
  return e;
}

static parley_event_t *msg(parley_kind_t kind, const char *conv, const char *text) {
  parley_event_t *ev = parley_event_new();
  parley_event_set_kind(ev, kind);
  parley_event_set_visibility(ev, kind == PARLEY_KIND_DIRECT_MESSAGE ? PARLEY_VISIBILITY_PRIVATE
                                                                    : PARLEY_VISIBILITY_PUBLIC);
  parley_event_set_conversation_id(ev, conv);
  parley_event_set_text(ev, text);
  parley_event_set_created_at(ev, T0);
  return ev;
}

static uint64_t counter(const char *name, const char *step) {
  char labels[64];
  snprintf(labels, sizeof labels, "step=\"%s\"", step);
  return *parley_metrics_counter(metrics, name, labels);
}

static int setup(void **state) {
  (void)state;
  metrics = parley_metrics_new();
  return metrics ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  parley_metrics_free(metrics);
  return 0;
}

static void a_german_complaint_gets_every_signal(void **state) {
  (void)state;
  parley_enrich_t *e = stage("enrich:\n");
  parley_event_t *ev = msg(PARLEY_KIND_COMMENT, "c1",
                           "Mein Paket ist schon wieder nicht angekommen, der Service ist "
                           "wirklich schlecht!!!");
  parley_enrich_event(e, ev);
  assert_string_equal(parley_event_lang(ev), "de");
  assert_true(parley_event_lang_confidence(ev) >= 0.5);
  assert_true(parley_event_sentiment(ev) < 0);
  assert_in_range(parley_event_priority(ev), 11, 100); /* base 10 + some anger */
  assert_true(parley_event_sla_due(ev) > T0);
  parley_event_free(ev);
  parley_enrich_free(e);
}

static void signals_the_connector_set_are_kept(void **state) {
  (void)state;
  parley_enrich_t *e = stage("enrich:\n");
  parley_event_t *ev = msg(PARLEY_KIND_MENTION, "c2", "Das ist wirklich schlecht");
  parley_event_set_lang(ev, "en");
  parley_event_set_sentiment(ev, 0.25);
  parley_event_set_priority(ev, 3);
  parley_event_set_sla_due(ev, T0 + 1000);
  uint64_t kept = counter("parley_enrich_kept_total", "lang");
  parley_enrich_event(e, ev);
  assert_string_equal(parley_event_lang(ev), "en");
  assert_true(isnan(parley_event_lang_confidence(ev)));
  assert_true(parley_event_sentiment(ev) == 0.25);
  assert_int_equal(parley_event_priority(ev), 3);
  assert_int_equal(parley_event_sla_due(ev), T0 + 1000);
  parley_enrich_flush(e);
  assert_int_equal(counter("parley_enrich_kept_total", "lang"), kept + 1);
  parley_event_free(ev);
  parley_enrich_free(e);
}

static void an_undetermined_platform_language_is_detected(void **state) {
  (void)state;
  parley_enrich_t *e = stage("enrich:\n");
  const char *codes[] = {"und", "qme", "zxx"};
  for (int i = 0; i < 3; i++) {
    parley_event_t *ev = msg(PARLEY_KIND_MENTION, "c2", "Mijn bestelling is nog steeds niet aangekomen");
    parley_event_set_lang(ev, codes[i]);
    parley_enrich_event(e, ev);
    assert_string_equal(parley_event_lang(ev), "nl");
    parley_event_free(ev);
  }
  parley_event_t *ev = msg(PARLEY_KIND_MENTION, "c2", "🙂🙂");
  parley_event_set_lang(ev, "und");
  parley_enrich_event(e, ev);
  assert_string_equal(parley_event_lang(ev), "und"); /* nothing better found: kept */
  parley_event_free(ev);
  parley_enrich_free(e);
}

static const char *sets_yaml = "enrich:\n"
                               "  sentiment: {enabled: false}\n"
                               "  keywords:\n"
                               "    broken: [kapot, kaputt, broken, mull]\n"
                               "    churn: ['switch to', opzeggen]\n"
                               "    fail: ['#fail']\n"
                               "    brand: [acme]\n";

static int has_set(const parley_event_t *ev, const char *name) {
  for (size_t i = 0; i < parley_event_keyword_count(ev); i++)
    if (strcmp(parley_event_keyword(ev, i), name) == 0)
      return 1;
  return 0;
}

static void check_sets(parley_enrich_t *e, const char *text, int broken, int churn, int fail,
                       int brand) {
  parley_event_t *ev = msg(PARLEY_KIND_MENTION, "c3", text);
  parley_enrich_event(e, ev);
  if (has_set(ev, "broken") != broken || has_set(ev, "churn") != churn ||
      has_set(ev, "fail") != fail || has_set(ev, "brand") != brand)
    fail_msg("'%s': broken %d churn %d fail %d brand %d", text, has_set(ev, "broken"),
             has_set(ev, "churn"), has_set(ev, "fail"), has_set(ev, "brand"));
  parley_event_free(ev);
}

static void keyword_sets_match_whole_words_without_case_or_accents(void **state) {
  (void)state;
  parley_enrich_t *e = stage(sets_yaml);
  check_sets(e, "Mijn telefoon is KAPOT!", 1, 0, 0, 0);
  check_sets(e, "Das ist doch Müll.", 1, 0, 0, 0);
  check_sets(e, "een kapotte doos", 0, 0, 0, 0);        /* a longer word is another word */
  check_sets(e, "I will switch to Northwind", 0, 1, 0, 0); /* a phrase: words in a row */
  check_sets(e, "switch, to be honest", 0, 1, 0, 0);    /* punctuation between is fine */
  check_sets(e, "I switch my plan to yearly", 0, 0, 0, 0);
  check_sets(e, "@Acme your app #fail", 0, 0, 1, 1);    /* a plain term matches a handle */
  check_sets(e, "fail, again", 0, 0, 0, 0);             /* "#fail" needs the hashtag */
  check_sets(e, "", 0, 0, 0, 0);
  parley_enrich_free(e);
}

static void priority_follows_the_documented_formula(void **state) {
  (void)state;
  parley_enrich_t *e = stage("enrich:\n"
                             "  sentiment: {enabled: false}\n"
                             "  keywords: {legal: [lawyer]}\n");
  /* base 10 + followers 25 * log10(1001)/log10(1000001) = 12.5 + verified
   * 10 + direct message 15 + legal 30 = 77.5 -> 78 */
  parley_event_t *ev = msg(PARLEY_KIND_DIRECT_MESSAGE, "c4", "my lawyer will call you");
  parley_event_set_author_followers(ev, 1000);
  parley_event_set_author_verified(ev, 1);
  parley_enrich_event(e, ev);
  assert_int_equal(parley_event_priority(ev), 78);
  parley_event_free(ev);
  /* a plain public message from an unknown author: the base */
  ev = msg(PARLEY_KIND_MENTION, "c5", "hello there");
  parley_enrich_event(e, ev);
  assert_int_equal(parley_event_priority(ev), 10);
  parley_event_free(ev);
  parley_enrich_free(e);
}

static void negative_sentiment_raises_priority_linearly(void **state) {
  (void)state;
  parley_enrich_t *e = stage("enrich: {sentiment: {enabled: false}}\n");
  parley_event_t *ev = msg(PARLEY_KIND_MENTION, "c6", "x");
  parley_event_set_sentiment(ev, -0.6); /* 10 + 25 * 0.6 = 25 */
  parley_enrich_event(e, ev);
  assert_int_equal(parley_event_priority(ev), 25);
  parley_event_free(ev);
  parley_enrich_free(e);
}

static void a_reply_in_a_conversation_the_brand_answered_ranks_higher(void **state) {
  (void)state;
  parley_enrich_t *e = stage("enrich: {sentiment: {enabled: false}}\n");
  parley_event_t *out = msg(PARLEY_KIND_OUTBOUND, "c7", "Sorry to hear that, we are on it");
  parley_enrich_event(e, out);
  assert_true(parley_event_priority(out) < 0); /* brand messages are left alone */
  assert_null(parley_event_lang(out));
  parley_event_free(out);
  parley_event_t *again = msg(PARLEY_KIND_REPLY, "c7", "still waiting");
  parley_event_t *other = msg(PARLEY_KIND_REPLY, "c8", "still waiting");
  parley_enrich_event(e, again);
  parley_enrich_event(e, other);
  assert_int_equal(parley_event_priority(again), 20);
  assert_int_equal(parley_event_priority(other), 10);
  parley_event_free(again);
  parley_event_free(other);
  parley_enrich_free(e);
}

static void the_first_matching_sla_policy_sets_the_due_time(void **state) {
  (void)state;
  parley_enrich_t *e = stage("enrich:\n  sentiment: {enabled: false}\n"
                             "  keywords: {safety: [fire, smoke]}\n");
  parley_event_t *urgent = msg(PARLEY_KIND_MENTION, "c9", "the charger caught fire"); /* 50 */
  parley_event_set_author_verified(urgent, 1);                                     /* 60 */
  parley_event_set_author_followers(urgent, 1000000);                              /* 85 */
  parley_event_t *dm = msg(PARLEY_KIND_DIRECT_MESSAGE, "c10", "where is my order");
  parley_event_t *pub = msg(PARLEY_KIND_COMMENT, "c11", "where is my order");
  parley_enrich_event(e, urgent);
  parley_enrich_event(e, dm);
  parley_enrich_event(e, pub);
  assert_int_equal(parley_event_priority(urgent), 85);
  assert_int_equal(parley_event_sla_due(urgent), T0 + 30 * 60000);
  assert_int_equal(parley_event_sla_due(dm), T0 + 2 * 3600000);
  assert_int_equal(parley_event_sla_due(pub), T0 + 3600000);
  parley_event_free(urgent);
  parley_event_free(dm);
  parley_event_free(pub);
  parley_enrich_free(e);
}

static void what_cannot_be_filled_is_counted_and_the_event_goes_on(void **state) {
  (void)state;
  parley_enrich_t *e = stage("enrich:\n");
  uint64_t lang = counter("parley_enrich_unfilled_total", "lang");
  uint64_t sent = counter("parley_enrich_unfilled_total", "sentiment");
  parley_event_t *ev = msg(PARLEY_KIND_COMMENT, "c12", "https://example.com/x @acme 12345");
  parley_enrich_event(e, ev);
  /* counted by the stage, in the metrics after a flush */
  assert_int_equal(counter("parley_enrich_unfilled_total", "lang"), lang);
  parley_enrich_flush(e);
  assert_null(parley_event_lang(ev));
  assert_true(isnan(parley_event_sentiment(ev)));
  assert_int_equal(parley_event_priority(ev), 10);
  assert_int_equal(parley_event_sla_due(ev), T0 + 3600000);
  assert_int_equal(counter("parley_enrich_unfilled_total", "lang"), lang + 1);
  assert_int_equal(counter("parley_enrich_unfilled_total", "sentiment"), sent + 1);
  parley_event_free(ev);
  parley_enrich_free(e);
}

static void reactions_and_system_events_are_left_alone(void **state) {
  (void)state;
  parley_enrich_t *e = stage("enrich:\n");
  parley_event_t *ev = msg(PARLEY_KIND_REACTION, "c13", "love it");
  parley_enrich_event(e, ev);
  assert_null(parley_event_lang(ev));
  assert_true(parley_event_priority(ev) < 0);
  assert_int_equal(parley_event_sla_due(ev), 0);
  parley_event_free(ev);
  parley_enrich_free(e);
}

static void a_missing_lexicon_directory_is_refused_naming_it(void **state) {
  (void)state;
  const char *y = "enrich: {sentiment: {lexicons: /nonexistent/lexicons}}\n";
  parley_config_t *cfg = NULL;
  parley_enrich_t *e = NULL;
  parley_error_t err = {0};
  assert_int_equal(parley_config_load_string(&cfg, y, strlen(y), "yaml", "t.yaml", &err), 0);
  assert_true(parley_enrich_new(cfg->enrich, "t.yaml", metrics, &e, &err) < 0);
  assert_null(e);
  assert_non_null(strstr(err.message, "/nonexistent/lexicons"));
  parley_config_free(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_german_complaint_gets_every_signal),
      cmocka_unit_test(signals_the_connector_set_are_kept),
      cmocka_unit_test(an_undetermined_platform_language_is_detected),
      cmocka_unit_test(keyword_sets_match_whole_words_without_case_or_accents),
      cmocka_unit_test(priority_follows_the_documented_formula),
      cmocka_unit_test(negative_sentiment_raises_priority_linearly),
      cmocka_unit_test(a_reply_in_a_conversation_the_brand_answered_ranks_higher),
      cmocka_unit_test(the_first_matching_sla_policy_sets_the_due_time),
      cmocka_unit_test(what_cannot_be_filled_is_counted_and_the_event_goes_on),
      cmocka_unit_test(reactions_and_system_events_are_left_alone),
      cmocka_unit_test(a_missing_lexicon_directory_is_refused_naming_it),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
