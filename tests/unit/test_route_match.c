/* Route matching: every criterion a route sets must hold; lists are any-of;
 * unmatched events go to the default output or nowhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "config.h"
#include "router.h"

static const char *yaml =
    "router: {listen: '', default_output: rest}\n"
    "outputs:\n"
    "  - {name: all, type: ndjson}\n"
    "  - {name: de, type: ndjson}\n"
    "  - {name: vip, type: ndjson}\n"
    "  - {name: rest, type: ndjson}\n"
    "  - {name: care, type: ndjson}\n"
    "routes:\n"
    "  - {match: {platform: [twitter, facebook], kind: mention}, outputs: all}\n"
    "  - {match: {lang: de, keywords: [kaputt, Defekt]}, outputs: de}\n"
    "  - {match: {min_followers: 10000, visibility: public}, outputs: [vip, all]}\n"
    "  - {match: {keyword_sets: [churn, legal], min_priority: 70}, outputs: care}\n";

static parley_config_t *cfg;
static parley_output_t outs[5], *outp[5];

static int setup(void **state) {
  (void)state;
  parley_error_t err = {0};
  if (parley_config_load_string(&cfg, yaml, strlen(yaml), "yaml", "t.yaml", &err) != 0) {
    fprintf(stderr, "%s\n", err.message);
    return -1;
  }
  static char *names[] = {"all", "de", "vip", "rest", "care"};
  for (int i = 0; i < 5; i++) {
    outs[i].name = names[i];
    outs[i].index = (unsigned)i;
    outp[i] = &outs[i];
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  parley_config_free(cfg);
  return 0;
}

static parley_event_t *ev(const char *platform, parley_kind_t kind, const char *lang,
                          const char *text, int64_t followers) {
  parley_event_t *e = parley_event_new();
  parley_event_set_platform(e, platform);
  parley_event_set_kind(e, kind);
  parley_event_set_lang(e, lang);
  parley_event_set_text(e, text);
  parley_event_set_author_followers(e, followers);
  parley_event_set_visibility(e, PARLEY_VISIBILITY_PUBLIC);
  return e;
}

static parley_output_mask_t match(parley_event_t *e) {
  parley_output_mask_t m = parley_route_match(cfg, outp, 5, e);
  parley_event_free(e);
  return m;
}

#define ALL 1u
#define DE 2u
#define VIP 4u
#define REST 8u
#define CARE 16u

static void platform_and_kind_must_both_hold(void **state) {
  (void)state;
  assert_int_equal(match(ev("twitter", PARLEY_KIND_MENTION, "en", "hi", 5)), ALL);
  assert_int_equal(match(ev("facebook", PARLEY_KIND_MENTION, "en", "hi", 5)), ALL);
  assert_int_equal(match(ev("twitter", PARLEY_KIND_COMMENT, "en", "hi", 5)), REST);
}

static void keywords_match_case_insensitively_anywhere_in_the_text(void **state) {
  (void)state;
  assert_int_equal(match(ev("tiktok", PARLEY_KIND_COMMENT, "de", "Mein Handy ist KAPUTT!", 5)), DE);
  assert_int_equal(match(ev("tiktok", PARLEY_KIND_COMMENT, "de", "leider defekt", 5)), DE);
  assert_int_equal(match(ev("tiktok", PARLEY_KIND_COMMENT, "de", "alles gut", 5)), REST);
}

static void a_language_matches_its_regional_variants_only(void **state) {
  (void)state;
  assert_int_equal(match(ev("tiktok", PARLEY_KIND_COMMENT, "de-AT", "kaputt", 5)), DE);
  assert_int_equal(match(ev("tiktok", PARLEY_KIND_COMMENT, "dex", "kaputt", 5)), REST);
  assert_int_equal(match(ev("tiktok", PARLEY_KIND_COMMENT, NULL, "kaputt", 5)), REST);
}

static void min_followers_is_inclusive_and_unknown_followers_never_match(void **state) {
  (void)state;
  assert_int_equal(match(ev("linkedin", PARLEY_KIND_COMMENT, "en", "x", 10000)), VIP | ALL);
  assert_int_equal(match(ev("linkedin", PARLEY_KIND_COMMENT, "en", "x", 9999)), REST);
  assert_int_equal(match(ev("linkedin", PARLEY_KIND_COMMENT, "en", "x", -1)), REST);
}

static void fan_out_is_the_union_of_every_matching_route(void **state) {
  (void)state;
  assert_int_equal(match(ev("twitter", PARLEY_KIND_MENTION, "de", "kaputt", 20000)), ALL | DE | VIP);
}

static void visibility_is_checked(void **state) {
  (void)state;
  parley_event_t *e = ev("linkedin", PARLEY_KIND_COMMENT, "en", "x", 20000);
  parley_event_set_visibility(e, PARLEY_VISIBILITY_PRIVATE);
  assert_int_equal(match(e), REST);
}

static parley_event_t *signalled(const char *set, int priority) {
  parley_event_t *e = ev("tiktok", PARLEY_KIND_COMMENT, "en", "x", 5);
  if (set)
    parley_event_add_keyword(e, set);
  parley_event_set_priority(e, priority);
  return e;
}

static void keyword_sets_and_min_priority_match_the_enriched_signals(void **state) {
  (void)state;
  assert_int_equal(match(signalled("churn", 70)), CARE);
  assert_int_equal(match(signalled("legal", 100)), CARE);
  assert_int_equal(match(signalled("churn", 69)), REST);
  assert_int_equal(match(signalled("refund", 90)), REST);
  assert_int_equal(match(signalled(NULL, 90)), REST);
  assert_int_equal(match(signalled("churn", -1)), REST); /* no priority: never "at least" */
}

static void a_min_priority_above_100_is_refused_with_file_and_line(void **state) {
  (void)state;
  const char *bad = "outputs: [{name: o, type: ndjson}]\n"
                    "routes:\n  - {match: {min_priority: 101}, outputs: o}\n";
  parley_config_t *c = NULL;
  parley_error_t err = {0};
  assert_int_equal(parley_config_load_string(&c, bad, strlen(bad), "yaml", "b.yaml", &err),
                   PARLEY_ECONFIG);
  assert_non_null(strstr(err.message, "b.yaml:3: routes[0].match.min_priority: '101' is not a whole number from 0 to 100"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(platform_and_kind_must_both_hold),
      cmocka_unit_test(keywords_match_case_insensitively_anywhere_in_the_text),
      cmocka_unit_test(a_language_matches_its_regional_variants_only),
      cmocka_unit_test(min_followers_is_inclusive_and_unknown_followers_never_match),
      cmocka_unit_test(fan_out_is_the_union_of_every_matching_route),
      cmocka_unit_test(visibility_is_checked),
      cmocka_unit_test(keyword_sets_and_min_priority_match_the_enriched_signals),
      cmocka_unit_test(a_min_priority_above_100_is_refused_with_file_and_line),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
