/* The enrich: section: every default documented in docs/enrichment.md, and
 * every mistake refused with file:line and the key path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "config_enrich.h"

static parley_conf_enrich_t *parse(const char *yaml, parley_error_t *err) {
  parley_config_t *cfg = NULL;
  parley_conf_enrich_t *e = NULL;
  if (parley_config_load_string(&cfg, yaml, strlen(yaml), "yaml", "e.yaml", err) != 0)
    return NULL;
  assert_int_equal(parley_conf_enrich_parse(cfg->enrich, "e.yaml", &e, err), 0);
  parley_config_free(cfg);
  return e;
}

static void refused(const char *yaml, const char *message) {
  parley_error_t err = {0};
  parley_config_t *cfg = NULL;
  assert_int_equal(parley_config_load_string(&cfg, yaml, strlen(yaml), "yaml", "e.yaml", &err),
                   PARLEY_ECONFIG);
  if (!strstr(err.message, message))
    fail_msg("expected '%s' in '%s'", message, err.message);
}

static void without_enrich_the_stage_is_off(void **state) {
  (void)state;
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  const char *y = "router: {listen: ''}\n";
  assert_int_equal(parley_config_load_string(&cfg, y, strlen(y), "yaml", "e.yaml", &err), 0);
  assert_null(cfg->enrich);
  parley_config_free(cfg);
}

static void an_empty_enrich_turns_every_step_on_with_the_documented_defaults(void **state) {
  (void)state;
  parley_error_t err = {0};
  parley_conf_enrich_t *e = parse("enrich:\n", &err);
  assert_non_null(e);
  assert_true(e->lang_enabled && e->sentiment_enabled && e->priority.enabled && e->sla_enabled);
  assert_true(e->lang_min_confidence == 0.5);
  assert_int_equal(e->priority.base, 10);
  assert_int_equal(e->priority.followers, 25);
  assert_int_equal(e->priority.negative, 25);
  assert_int_equal(e->n_policies, 3);
  assert_string_equal(e->policies[0].match.name, "urgent");
  assert_int_equal(e->policies[0].match.min_priority, 70);
  assert_int_equal(e->policies[0].target_ms, 30 * 60000);
  assert_int_equal(e->policies[1].match.visibility, PARLEY_VISIBILITY_PRIVATE);
  assert_int_equal(e->policies[1].target_ms, 2 * 3600000);
  assert_int_equal(e->policies[2].target_ms, 3600000);
  parley_conf_enrich_free(e);
}

static void keyword_sets_get_default_points_by_name_unless_configured(void **state) {
  (void)state;
  parley_error_t err = {0};
  parley_conf_enrich_t *e = parse("enrich:\n"
                                  "  keywords:\n"
                                  "    legal: [lawyer, anwalt]\n"
                                  "    churn: [cancel, 'switch to']\n"
                                  "    brand: acme\n"
                                  "  priority:\n"
                                  "    keyword_sets: {churn: 35}\n",
                                  &err);
  assert_non_null(e);
  assert_int_equal(e->n_sets, 3);
  assert_int_equal(e->sets[0].points, 30);
  assert_int_equal(e->sets[1].points, 35);
  assert_int_equal(e->sets[2].points, 0);
  assert_int_equal(e->sets[2].n_terms, 1);
  parley_conf_enrich_free(e);
}

static void policies_with_business_hours_are_read_in_order(void **state) {
  (void)state;
  parley_error_t err = {0};
  parley_conf_enrich_t *e = parse("enrich:\n"
                                  "  keywords: {legal: [lawyer]}\n"
                                  "  sla:\n"
                                  "    business_hours:\n"
                                  "      office: {time_zone: Europe/Amsterdam, days: [mon-fri, sat],"
                                  " from: '08:00', until: '20:00'}\n"
                                  "    policies:\n"
                                  "      - {name: legal, match: {keyword_sets: legal}, target: 15m}\n"
                                  "      - {match: {kind: direct_message}, target: 2h,"
                                  " business_hours: office}\n"
                                  "      - {target: 1h}\n",
                                  &err);
  assert_non_null(e);
  assert_int_equal(e->n_policies, 3);
  assert_string_equal(e->policies[0].match.name, "legal");
  assert_int_equal(e->policies[0].hours, -1);
  assert_string_equal(e->policies[1].match.name, "policies[1]");
  assert_int_equal(e->policies[1].hours, 0);
  assert_int_equal(e->hours[0].days, 0x3f);
  assert_int_equal(e->hours[0].from_min, 8 * 60);
  assert_int_equal(e->hours[0].until_min, 20 * 60);
  parley_conf_enrich_free(e);
}

static void mistakes_are_refused_with_file_line_and_key_path(void **state) {
  (void)state;
  refused("enrich: {langauge: {}}\n", "e.yaml:1: enrich: unknown key 'langauge'");
  refused("enrich:\n  language: {min_confidence: 1.5}\n",
          "e.yaml:2: enrich.language.min_confidence: '1.5' is not a number from 0 to 1");
  refused("enrich:\n  priority: {verified: lots}\n",
          "e.yaml:2: enrich.priority.verified: 'lots' is not a whole number from 0 to 100");
  refused("enrich:\n  priority:\n    keyword_sets: {churn: 10}\n",
          "e.yaml:3: enrich.priority.keyword_sets.churn: no keyword set 'churn'");
  refused("enrich:\n  sla:\n    business_hours:\n      o: {time_zone: Mars/Olympus}\n",
          "e.yaml:4: enrich.sla.business_hours.o.time_zone: 'Mars/Olympus' is not a time zone");
  refused("enrich:\n  sla:\n    business_hours:\n      o: {time_zone: UTC, days: [mon-xyz]}\n",
          "enrich.sla.business_hours.o.days: 'mon-xyz' is not a day");
  refused("enrich:\n  sla:\n    business_hours:\n      o: {time_zone: UTC, from: '18:00', until: '09:00'}\n",
          "e.yaml:4: enrich.sla.business_hours.o: opening hours are empty");
  refused("enrich:\n  sla:\n    policies:\n      - {match: {kind: dm}, target: 1h}\n",
          "e.yaml:4: enrich.sla.policies[0].match.kind: 'dm' is not an event kind");
  refused("enrich:\n  sla:\n    policies:\n      - {match: {kind: mention}}\n",
          "e.yaml:4: enrich.sla.policies[0]: missing 'target'");
  refused("enrich:\n  sla:\n    policies:\n      - {target: 1h, business_hours: night}\n",
          "e.yaml:4: enrich.sla.policies[0].business_hours: no business hours 'night'");
  refused("enrich:\n  sla:\n    policies:\n      - {target: 1h, match: {keyword_sets: [vip]}}\n",
          "e.yaml:4: enrich.sla.policies[0]: no keyword set 'vip'");
  refused("enrich: [1]\n", "e.yaml:1: enrich: expected a map");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(without_enrich_the_stage_is_off),
      cmocka_unit_test(an_empty_enrich_turns_every_step_on_with_the_documented_defaults),
      cmocka_unit_test(keyword_sets_get_default_points_by_name_unless_configured),
      cmocka_unit_test(policies_with_business_hours_are_read_in_order),
      cmocka_unit_test(mistakes_are_refused_with_file_line_and_key_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
