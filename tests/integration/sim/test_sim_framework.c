/* parley-sim framework, unit by unit: the store, fault rules, rate-limit
 * buckets, tokens, form parsing, HMAC, and the Twitter query language.
 * No server runs here; tests/integration/sim/test_sim_twitter.py covers
 * the HTTP side. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim.h"
#include "sim_twitter.h"

static uv_loop_t loop;

/* A simulator with the Twitter module and a brand account, not started. */
static int setup(void **state) {
  static parley_sim_t sim;
  static const parley_sim_platform_t *const platforms[] = {&parley_sim_twitter};
  parley_sim_config_t cfg = {.listen = "127.0.0.1:0", .seed = 1, .rate_limit_scale = 1.0};
  parley_error_t err = {0};
  uv_loop_init(&loop);
  assert_int_equal(parley_sim_init(&sim, &loop, &cfg, platforms, 1, &err), 0);
  json_decref(sim.scenario);
  sim.scenario = json_pack("{s:{s:{s:{s:s,s:s}}}}", "platforms", "twitter", "account", "id", "100",
                           "handle", "acme");
  assert_int_equal(parley_sim_twitter.init(&sim, parley_sim_scenario_part(&sim, "twitter"), &err), 0);
  parley_sim_user_add(&sim, json_pack("{s:s,s:s,s:s}", "platform", "twitter", "id", "100", "handle", "acme"), NULL);
  parley_sim_user_add(&sim, json_pack("{s:s,s:s,s:s}", "platform", "twitter", "id", "7", "handle", "jana_k"), NULL);
  *state = &sim;
  return 0;
}

static int teardown(void **state) {
  parley_sim_free(*state);
  uv_loop_close(&loop);
  return 0;
}

static json_t *add(parley_sim_t *sim, json_t *item) {
  parley_error_t err = {0};
  json_t *stored = parley_sim_item_add(sim, item, &err);
  assert_non_null(stored);
  return stored;
}

static json_t *tweet(const char *author, const char *text) {
  return json_pack("{s:s,s:s,s:s,s:s}", "platform", "twitter", "type", "tweet", "author_id", author,
                   "text", text);
}

static const char *str(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* ---- store ------------------------------------------------------------ */

static void test_id_cmp_orders_by_numeric_value(void **state) {
  assert_true(parley_sim_id_cmp("9", "10") < 0);
  assert_true(parley_sim_id_cmp("1860000000000000010", "1860000000000000009") > 0);
  assert_int_equal(parley_sim_id_cmp("42", "42"), 0);
}

static void test_item_add_fills_id_time_conversation_account_and_brand_flag(void **state) {
  parley_sim_t *sim = *state;
  uint64_t before = parley_sim_now_ms();
  json_t *t = add(sim, tweet("100", "hello"));
  assert_string_equal(str(t, "id"), "1860000000000000001");
  assert_true((uint64_t)json_integer_value(json_object_get(t, "created_ms")) >= before);
  assert_string_equal(str(t, "conversation_id"), str(t, "id"));
  assert_string_equal(str(t, "account_id"), "100");
  assert_true(json_is_true(json_object_get(t, "from_brand")));
  assert_true(json_is_false(json_object_get(t, "hidden")));
}

static void test_reply_joins_the_conversation_of_its_parent(void **state) {
  parley_sim_t *sim = *state;
  json_t *root = add(sim, tweet("7", "@acme root"));
  json_t *r1 = tweet("100", "@jana_k one");
  json_object_set(r1, "parent_id", json_object_get(root, "id"));
  r1 = add(sim, r1);
  json_t *r2 = tweet("7", "@acme two");
  json_object_set(r2, "parent_id", json_object_get(r1, "id"));
  r2 = add(sim, r2);
  assert_string_equal(str(r2, "conversation_id"), str(root, "id"));
}

static void test_item_for_an_unserved_platform_is_refused_by_name(void **state) {
  parley_error_t err = {0};
  json_t *item = json_pack("{s:s,s:s}", "platform", "myspace", "text", "x");
  assert_null(parley_sim_item_add(*state, item, &err));
  assert_int_equal(err.code, PARLEY_EINVAL);
  assert_non_null(strstr(err.message, "'myspace'"));
}

static void test_item_with_an_existing_id_is_refused(void **state) {
  parley_error_t err = {0};
  json_t *first = add(*state, tweet("7", "a"));
  json_t *again = tweet("7", "b");
  json_object_set(again, "id", json_object_get(first, "id"));
  assert_null(parley_sim_item_add(*state, again, &err));
  assert_int_equal(err.code, PARLEY_EDUP);
}

static void test_items_are_newest_first_within_since_and_until(void **state) {
  parley_sim_t *sim = *state;
  json_t *a = add(sim, tweet("7", "a")), *b = add(sim, tweet("7", "b")), *c = add(sim, tweet("7", "c"));
  (void)b;
  parley_sim_filter_t f = {.platform = "twitter", .author_id = "7", .newer_than = str(a, "id"),
                           .older_than = str(c, "id")};
  json_t *got = parley_sim_items(sim, &f);
  assert_int_equal(json_array_size(got), 1);
  assert_string_equal(str(json_array_get(got, 0), "text"), "b");
  json_decref(got);
  parley_sim_filter_t all = {.platform = "twitter", .author_id = "7"};
  got = parley_sim_items(sim, &all);
  assert_string_equal(str(json_array_get(got, 0), "text"), "c");
  assert_string_equal(str(json_array_get(got, 2), "text"), "a");
  json_decref(got);
}

static void test_items_with_explicit_older_ids_still_come_out_in_id_order(void **state) {
  parley_sim_t *sim = *state;
  const char *ids[] = {"1860000000000000050", "1860000000000000010", "1860000000000000030"};
  for (size_t i = 0; i < 3; i++) {
    json_t *t = tweet("7", ids[i]);
    json_object_set_new(t, "id", json_string(ids[i]));
    add(sim, t);
  }
  parley_sim_filter_t f = {.platform = "twitter"};
  json_t *got = parley_sim_items(sim, &f);
  assert_string_equal(str(json_array_get(got, 0), "id"), "1860000000000000050");
  assert_string_equal(str(json_array_get(got, 1), "id"), "1860000000000000030");
  assert_string_equal(str(json_array_get(got, 2), "id"), "1860000000000000010");
  json_decref(got);
}

static void test_limit_returns_only_the_newest_matches(void **state) {
  parley_sim_t *sim = *state;
  for (int i = 0; i < 10; i++) add(sim, tweet("7", "x"));
  json_t *newest = add(sim, tweet("7", "newest"));
  parley_sim_filter_t f = {.platform = "twitter", .limit = 3};
  json_t *got = parley_sim_items(sim, &f);
  assert_int_equal(json_array_size(got), 3);
  assert_ptr_equal(json_array_get(got, 0), newest);
  json_decref(got);
}

static void test_hidden_items_are_left_out_unless_asked_for(void **state) {
  parley_sim_t *sim = *state;
  json_t *t = add(sim, tweet("7", "hide me"));
  json_object_set_new(t, "hidden", json_true());
  parley_sim_filter_t f = {.platform = "twitter"};
  json_t *got = parley_sim_items(sim, &f);
  assert_int_equal(json_array_size(got), 0);
  json_decref(got);
  f.include_hidden = 1;
  got = parley_sim_items(sim, &f);
  assert_int_equal(json_array_size(got), 1);
  json_decref(got);
}

/* ---- faults ----------------------------------------------------------- */

static void test_fault_with_a_count_is_used_up(void **state) {
  parley_sim_fault_t f = {PARLEY_SIM_FAULT_STATUS5XX, 502, 0}, out;
  assert_int_equal(parley_sim_fault_add(*state, "twitter", "/2/users", &f, 2, NULL), 0);
  assert_int_equal(parley_sim_fault_take(*state, "twitter", "/2/users/1/mentions", &out), 1);
  assert_int_equal(out.status, 502);
  assert_int_equal(parley_sim_fault_take(*state, "twitter", "/2/users/1/mentions", &out), 1);
  assert_int_equal(parley_sim_fault_take(*state, "twitter", "/2/users/1/mentions", &out), 0);
  assert_int_equal(out.kind, PARLEY_SIM_FAULT_NONE);
}

static void test_fault_always_stays_until_cleared(void **state) {
  parley_sim_fault_t f = {PARLEY_SIM_FAULT_TRUNCATED, 0, 0}, out;
  parley_sim_fault_add(*state, "twitter", "", &f, 0, NULL);
  for (int i = 0; i < 5; i++) assert_int_equal(parley_sim_fault_take(*state, "twitter", "/x", &out), 1);
  parley_sim_fault_clear(*state);
  assert_int_equal(parley_sim_fault_take(*state, "twitter", "/x", &out), 0);
}

static void test_fault_applies_only_to_its_platform_and_path_prefix(void **state) {
  parley_sim_fault_t f = {PARLEY_SIM_FAULT_DUPLICATE, 0, 0}, out;
  parley_sim_fault_add(*state, "twitter", "/2/dm_events", &f, 1, NULL);
  assert_int_equal(parley_sim_fault_take(*state, "twitter", "/2/tweets", &out), 0);
  assert_int_equal(parley_sim_fault_take(*state, "facebook", "/2/dm_events", &out), 0);
  assert_int_equal(parley_sim_fault_take(*state, "twitter", "/2/dm_events", &out), 1);
}

static void test_fault_for_an_unserved_platform_is_refused(void **state) {
  parley_error_t err = {0};
  parley_sim_fault_t f = {PARLEY_SIM_FAULT_SLOW, 0, 10};
  assert_int_equal(parley_sim_fault_add(*state, "myspace", "", &f, 1, &err), PARLEY_EINVAL);
  assert_non_null(strstr(err.message, "myspace"));
}

static void test_status5xx_fault_needs_a_5xx_status(void **state) {
  parley_error_t err = {0};
  parley_sim_fault_t f = {PARLEY_SIM_FAULT_STATUS5XX, 404, 0};
  assert_int_equal(parley_sim_fault_add(*state, "twitter", "", &f, 1, &err), PARLEY_EINVAL);
}

static void test_fault_names_round_trip(void **state) {
  for (int k = PARLEY_SIM_FAULT_STATUS429; k <= PARLEY_SIM_FAULT_OVERSIZED; k++)
    assert_int_equal(parley_sim_fault_kind(parley_sim_fault_name((parley_sim_fault_kind_t)k)), k);
  assert_int_equal(parley_sim_fault_kind("meteor"), -1);
  assert_int_equal(parley_sim_fault_kind(NULL), -1);
}

/* ---- rate limits ------------------------------------------------------ */

static void test_ratelimit_counts_down_then_refuses(void **state) {
  parley_sim_rate_t r;
  for (long i = 2; i >= 0; i--) {
    assert_int_equal(parley_sim_ratelimit_take(*state, "twitter", "ep", "tok", 3, 900, &r), 0);
    assert_int_equal(r.remaining, i);
  }
  assert_int_equal(parley_sim_ratelimit_take(*state, "twitter", "ep", "tok", 3, 900, &r), 1);
  assert_int_equal(r.remaining, 0);
  assert_int_equal(r.limit, 3);
  assert_true(r.reset >= (int64_t)(parley_sim_now_ms() / 1000u) + 899);
}

static void test_ratelimit_buckets_are_per_endpoint_and_token(void **state) {
  parley_sim_rate_t r;
  assert_int_equal(parley_sim_ratelimit_take(*state, "twitter", "ep", "a", 1, 900, &r), 0);
  assert_int_equal(parley_sim_ratelimit_take(*state, "twitter", "ep", "a", 1, 900, &r), 1);
  assert_int_equal(parley_sim_ratelimit_take(*state, "twitter", "ep", "b", 1, 900, &r), 0);
  assert_int_equal(parley_sim_ratelimit_take(*state, "twitter", "other", "a", 1, 900, &r), 0);
  parley_sim_ratelimit_reset(*state);
  assert_int_equal(parley_sim_ratelimit_take(*state, "twitter", "ep", "a", 1, 900, &r), 0);
}

static void test_ratelimit_scale_and_window_come_from_the_config(void **state) {
  parley_sim_t *sim = *state;
  parley_sim_rate_t r;
  sim->config.rate_limit_scale = 0.01;
  sim->config.rate_window_s = 2;
  parley_sim_ratelimit_take(sim, "twitter", "ep", "a", 450, 900, &r);
  assert_int_equal(r.limit, 4);
  assert_int_equal(r.window_s, 2);
  parley_sim_ratelimit_take(sim, "twitter", "ep2", "a", 50, 900, &r);
  assert_int_equal(r.limit, 1); /* never below one */
}

/* ---- tokens ------------------------------------------------------------ */

static void test_auth_accepts_bearer_and_bare_tokens(void **state) {
  const parley_sim_token_t *t = NULL;
  parley_sim_token_add(*state, "twitter", "abc", "app", NULL, NULL, 0);
  assert_int_equal(parley_sim_auth(*state, "twitter", "Bearer abc", &t), PARLEY_SIM_AUTH_OK);
  assert_string_equal(t->kind, "app");
  assert_int_equal(parley_sim_auth(*state, "twitter", "bearer abc", NULL), PARLEY_SIM_AUTH_OK);
  assert_int_equal(parley_sim_auth(*state, "twitter", "abc", NULL), PARLEY_SIM_AUTH_OK);
  assert_int_equal(parley_sim_auth(*state, "facebook", "abc", NULL), PARLEY_SIM_AUTH_INVALID);
}

static void test_auth_tells_missing_from_invalid(void **state) {
  assert_int_equal(parley_sim_auth(*state, "twitter", NULL, NULL), PARLEY_SIM_AUTH_MISSING);
  assert_int_equal(parley_sim_auth(*state, "twitter", "  ", NULL), PARLEY_SIM_AUTH_MISSING);
  assert_int_equal(parley_sim_auth(*state, "twitter", "Bearer nope", NULL), PARLEY_SIM_AUTH_INVALID);
}

static void test_expiry_ends_access_tokens_but_not_refresh_or_later_tokens(void **state) {
  char buf[64];
  parley_sim_token_add(*state, "twitter", "old", "user", NULL, NULL, 0);
  parley_sim_token_add(*state, "twitter", "rt", "refresh", NULL, NULL, 0);
  parley_sim_tokens_expire(*state, "twitter");
  assert_int_equal(parley_sim_auth(*state, "twitter", "old", NULL), PARLEY_SIM_AUTH_EXPIRED);
  assert_int_equal(parley_sim_auth(*state, "twitter", "rt", NULL), PARLEY_SIM_AUTH_OK);
  const char *fresh = parley_sim_token_issue(*state, "twitter", "n-", "user", NULL, NULL, 7200, buf, sizeof buf);
  assert_non_null(fresh);
  assert_int_equal(parley_sim_auth(*state, "twitter", fresh, NULL), PARLEY_SIM_AUTH_OK);
}

static void test_revoked_token_is_invalid(void **state) {
  parley_sim_token_add(*state, "twitter", "gone", "refresh", NULL, NULL, 0);
  parley_sim_token_revoke(*state, "twitter", "gone");
  assert_int_equal(parley_sim_auth(*state, "twitter", "gone", NULL), PARLEY_SIM_AUTH_INVALID);
}

/* ---- form bodies and HMAC ------------------------------------------------ */

static void test_form_param_decodes_plus_and_percent(void **state) {
  const char *body = "grant_type=refresh_token&refresh_token=a%2Bb+c&x";
  char buf[32];
  assert_int_equal(parley_sim_form_param(body, strlen(body), "refresh_token", buf, sizeof buf), 5);
  assert_string_equal(buf, "a+b c");
  assert_int_equal(parley_sim_form_param(body, strlen(body), "x", buf, sizeof buf), 0);
  assert_int_equal(parley_sim_form_param(body, strlen(body), "grant", buf, sizeof buf), PARLEY_ENOENT);
  assert_int_equal(parley_sim_form_param(body, strlen(body), "grant_type", buf, 4), PARLEY_ENOBUFS);
}

static void test_hmac_matches_the_twitter_crc_vector(void **state) {
  char out[64];
  const char *token = "9b4507b3-9040-4669-9ca3-6b94edb50553";
  assert_int_equal(parley_sim_hmac_sha256_b64("z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu",
                                              token, strlen(token), out, sizeof out), 0);
  assert_string_equal(out, "Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8=");
}

/* ---- Twitter query language ------------------------------------------------ */

static int matches(parley_sim_t *sim, const char *q, json_t *item) {
  char err[256];
  parley_tw_query_t *query = NULL;
  assert_int_equal(parley_tw_query_parse(q, &query, err, sizeof err), 0);
  int m = parley_tw_query_match(sim, query, item);
  parley_tw_query_free(query);
  return m;
}

static void test_keyword_matches_untagged_words_only(void **state) {
  json_t *untagged = add(*state, tweet("7", "Waiting for an Acme refund"));
  json_t *tagged = add(*state, tweet("7", "@acme where is it"));
  assert_true(matches(*state, "acme", untagged));
  assert_false(matches(*state, "acme", tagged));
  assert_true(matches(*state, "@acme", tagged));
  assert_true(matches(*state, "(@acme OR acme)", untagged));
}

static void test_phrase_negation_and_operators(void **state) {
  json_t *t = add(*state, tweet("7", "Der Kundenservice von Acme ist super #acmerocket"));
  json_object_set_new(t, "lang", json_string("de"));
  assert_true(matches(*state, "\"kundenservice von acme\"", t));
  assert_true(matches(*state, "#acmerocket lang:de from:jana_k", t));
  assert_false(matches(*state, "acme -from:jana_k", t));
  assert_false(matches(*state, "acme is:reply", t));
}

static void test_invalid_queries_are_refused_with_a_reason(void **state) {
  char err[256];
  parley_tw_query_t *q = NULL;
  assert_int_equal(parley_tw_query_parse("-is:retweet", &q, err, sizeof err), PARLEY_EINVAL);
  assert_non_null(strstr(err, "non negation"));
  assert_int_equal(parley_tw_query_parse("(acme", &q, err, sizeof err), PARLEY_EINVAL);
  assert_non_null(strstr(err, "')'"));
  assert_int_equal(parley_tw_query_parse("\"open", &q, err, sizeof err), PARLEY_EINVAL);
  assert_int_equal(parley_tw_query_parse("foo:bar", &q, err, sizeof err), PARLEY_EINVAL);
  assert_non_null(strstr(err, "'foo'"));
  assert_null(q);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_id_cmp_orders_by_numeric_value),
      T(test_item_add_fills_id_time_conversation_account_and_brand_flag),
      T(test_reply_joins_the_conversation_of_its_parent),
      T(test_item_for_an_unserved_platform_is_refused_by_name),
      T(test_item_with_an_existing_id_is_refused),
      T(test_items_are_newest_first_within_since_and_until),
      T(test_items_with_explicit_older_ids_still_come_out_in_id_order),
      T(test_limit_returns_only_the_newest_matches),
      T(test_hidden_items_are_left_out_unless_asked_for),
      T(test_fault_with_a_count_is_used_up),
      T(test_fault_always_stays_until_cleared),
      T(test_fault_applies_only_to_its_platform_and_path_prefix),
      T(test_fault_for_an_unserved_platform_is_refused),
      T(test_status5xx_fault_needs_a_5xx_status),
      T(test_fault_names_round_trip),
      T(test_ratelimit_counts_down_then_refuses),
      T(test_ratelimit_buckets_are_per_endpoint_and_token),
      T(test_ratelimit_scale_and_window_come_from_the_config),
      T(test_auth_accepts_bearer_and_bare_tokens),
      T(test_auth_tells_missing_from_invalid),
      T(test_expiry_ends_access_tokens_but_not_refresh_or_later_tokens),
      T(test_revoked_token_is_invalid),
      T(test_form_param_decodes_plus_and_percent),
      T(test_hmac_matches_the_twitter_crc_vector),
      T(test_keyword_matches_untagged_words_only),
      T(test_phrase_negation_and_operators),
      T(test_invalid_queries_are_refused_with_a_reason),
  };
  return cmocka_run_group_tests_name("sim_framework", tests, NULL, NULL);
}
