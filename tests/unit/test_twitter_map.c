/* The Twitter connector's pure mapping: v2 tweets and DM events, Account
 * Activity (v1.1) payloads, classification and matched keywords. Payloads
 * follow shared/platforms/twitter.md; ids above 2^53 must survive as text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "parley/event.h"
#include "parley/time.h"
#include "twitter.h"

/* 1790000000000000042 > 2^53: through a double it would become ...040 */
#define BIG_ID "1790000000000000042"

static const parley_twitter_map_ctx_t ctx = {.account_id = "2244994945",
                                             .account_handle = "acme",
                                             .account = "acme"};

static json_t *parse(const char *text) {
  json_error_t e;
  json_t *j = json_loads(text, 0, &e);
  assert_non_null(j);
  return j;
}

static parley_event_t *map_tweet(const char *tweet, const char *includes,
                                 const parley_twitter_map_ctx_t *c) {
  json_t *t = parse(tweet), *inc = includes ? parse(includes) : NULL;
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  assert_int_equal(parley_twitter_map_tweet(t, inc, c, &ev, &err), 0);
  json_decref(t);
  json_decref(inc);
  return ev;
}

/* Valid once the core has filled what it fills on emit. */
static void assert_valid(parley_event_t *ev) {
  parley_error_t err = {0};
  parley_event_set_connector(ev, "tw1");
  parley_event_set_received_at(ev, parley_time_now());
  if (parley_event_validate(ev, &err) != 0)
    fail_msg("invalid event: %s", err.message);
}

static const char *jane =
    "{\"users\":[{\"id\":\"99887766\",\"name\":\"Jane Doe\",\"username\":\"janedoe\","
    "\"verified\":true,\"public_metrics\":{\"followers_count\":311,\"following_count\":1}}]}";

static void test_tagged_mention_maps_every_field(void **state) {
  (void)state;
  parley_event_t *ev = map_tweet(
      "{\"id\":\"" BIG_ID "\",\"text\":\"@acme my order #5512 never arrived\","
      "\"author_id\":\"99887766\",\"conversation_id\":\"" BIG_ID "\","
      "\"created_at\":\"2024-05-13T09:21:07.000Z\",\"lang\":\"en\","
      "\"entities\":{\"mentions\":[{\"start\":0,\"end\":5,\"username\":\"acme\",\"id\":\"2244994945\"}]}}",
      jane, &ctx);
  assert_string_equal(parley_event_id(ev), "twitter:" BIG_ID);
  assert_string_equal(parley_event_platform(ev), "twitter");
  assert_string_equal(parley_event_account(ev), "acme");
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_MENTION);
  assert_int_equal(parley_event_visibility(ev), PARLEY_VISIBILITY_PUBLIC);
  assert_string_equal(parley_event_conversation_id(ev), BIG_ID);
  assert_null(parley_event_in_reply_to(ev));
  assert_string_equal(parley_event_author_id(ev), "99887766");
  assert_string_equal(parley_event_author_handle(ev), "janedoe");
  assert_string_equal(parley_event_author_name(ev), "Jane Doe");
  assert_int_equal(parley_event_author_followers(ev), 311);
  assert_int_equal(parley_event_author_verified(ev), 1);
  assert_string_equal(parley_event_text(ev), "@acme my order #5512 never arrived");
  assert_string_equal(parley_event_lang(ev), "en");
  int64_t want = 0;
  assert_int_equal(parley_time_parse("2024-05-13T09:21:07Z", &want), 0);
  assert_int_equal(parley_event_created_at(ev), want);
  assert_string_equal(parley_event_url(ev), "https://x.com/janedoe/status/" BIG_ID);
  assert_null(parley_event_raw(ev));
  assert_valid(ev);
  parley_event_free(ev);
}

static void test_reply_to_the_brand_is_a_reply_with_its_parent(void **state) {
  (void)state;
  parley_event_t *ev = map_tweet(
      "{\"id\":\"1790000000000000050\",\"text\":\"still waiting\",\"author_id\":\"99887766\","
      "\"conversation_id\":\"1790000000000000001\",\"in_reply_to_user_id\":\"2244994945\","
      "\"referenced_tweets\":[{\"type\":\"replied_to\",\"id\":\"1790000000000000049\"}],"
      "\"created_at\":\"2024-05-13T09:30:00.000Z\"}",
      jane, &ctx);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_REPLY);
  assert_string_equal(parley_event_in_reply_to(ev), "twitter:1790000000000000049");
  assert_string_equal(parley_event_conversation_id(ev), "1790000000000000001");
  assert_valid(ev);
  parley_event_free(ev);
}

static void test_a_later_version_of_an_edited_tweet_is_edited(void **state) {
  (void)state;
  parley_event_t *ev = map_tweet(
      "{\"id\":\"1790000000000000060\",\"text\":\"@acme still waiting (edited)\","
      "\"author_id\":\"99887766\",\"conversation_id\":\"1790000000000000059\","
      "\"edit_history_tweet_ids\":[\"1790000000000000059\",\"1790000000000000060\"],"
      "\"created_at\":\"2024-05-13T09:40:00.000Z\"}",
      jane, &ctx);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_EDITED);
  assert_string_equal(parley_event_id(ev), "twitter:1790000000000000060");
  assert_string_equal(parley_event_in_reply_to(ev), "twitter:1790000000000000059");
  assert_string_equal(parley_event_text(ev), "@acme still waiting (edited)");
  assert_valid(ev);
  parley_event_free(ev);
  /* the first version, with its history of one, is an ordinary tweet */
  ev = map_tweet("{\"id\":\"1790000000000000059\",\"text\":\"@acme still waiting\","
                 "\"author_id\":\"99887766\",\"edit_history_tweet_ids\":[\"1790000000000000059\"],"
                 "\"created_at\":\"2024-05-13T09:39:00.000Z\"}",
                 jane, &ctx);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_MENTION);
  assert_null(parley_event_in_reply_to(ev));
  parley_event_free(ev);
}

static void test_the_brands_own_tweet_is_outbound(void **state) {
  (void)state;
  parley_event_t *ev = map_tweet(
      "{\"id\":\"1790000000000000051\",\"text\":\"@janedoe sorry! DM us\",\"author_id\":\"2244994945\","
      "\"in_reply_to_user_id\":\"99887766\",\"created_at\":\"2024-05-13T09:31:00.000Z\"}",
      NULL, &ctx);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_OUTBOUND);
  /* no includes: no handle, so the id-only URL form */
  assert_string_equal(parley_event_url(ev), "https://x.com/i/web/status/1790000000000000051");
  parley_event_free(ev);
}

static void test_untagged_brand_name_is_a_keyword_match_with_its_terms(void **state) {
  (void)state;
  parley_twitter_map_ctx_t c = ctx;
  c.matched_query = "(acme OR \"acme support\" OR #acmefail) -is:retweet -from:acme lang:en";
  parley_event_t *ev = map_tweet(
      "{\"id\":\"1790000000000000060\",\"text\":\"Acme Support never answers #acmefail\","
      "\"author_id\":\"99887766\",\"created_at\":\"2024-05-13T09:40:00.000Z\",\"lang\":\"en\"}",
      jane, &c);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_KEYWORD_MATCH);
  assert_string_equal(parley_event_matched_query(ev), c.matched_query);
  assert_int_equal(parley_event_keyword_count(ev), 3);
  assert_string_equal(parley_event_keyword(ev, 0), "acme");
  assert_string_equal(parley_event_keyword(ev, 1), "acme support");
  assert_string_equal(parley_event_keyword(ev, 2), "#acmefail");
  assert_valid(ev);
  parley_event_free(ev);
}

static void test_competitor_query_names_the_competitor(void **state) {
  (void)state;
  parley_twitter_map_ctx_t c = ctx;
  c.matched_query = "globex OR initech";
  parley_event_t *ev = map_tweet(
      "{\"id\":\"1790000000000000061\",\"text\":\"switching to Globex, done waiting\","
      "\"author_id\":\"99887766\",\"created_at\":\"2024-05-13T09:41:00.000Z\"}",
      jane, &c);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_KEYWORD_MATCH);
  assert_int_equal(parley_event_keyword_count(ev), 1);
  assert_string_equal(parley_event_keyword(ev, 0), "globex");
  parley_event_free(ev);
}

static void test_handle_in_text_counts_only_as_a_whole_token(void **state) {
  (void)state;
  parley_event_t *a = map_tweet("{\"id\":\"11\",\"text\":\"hey @ACME, help\",\"author_id\":\"5\"}",
                                NULL, &ctx);
  parley_event_t *b = map_tweet("{\"id\":\"12\",\"text\":\"hey @acmecorp and me@acme\","
                                "\"author_id\":\"5\"}", NULL, &ctx);
  assert_int_equal(parley_event_kind(a), PARLEY_KIND_MENTION);
  assert_int_equal(parley_event_kind(b), PARLEY_KIND_KEYWORD_MATCH);
  parley_event_free(a);
  parley_event_free(b);
}

static void test_ids_must_be_strings(void **state) {
  (void)state;
  const char *bad[] = {"{\"id\":1790000000000000042,\"text\":\"x\"}", "{\"text\":\"x\"}",
                       "{\"id\":\"12a\",\"text\":\"x\"}", "{\"id\":\"\"}"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    json_t *t = parse(bad[i]);
    parley_event_t *ev = NULL;
    parley_error_t err = {0};
    assert_int_equal(parley_twitter_map_tweet(t, NULL, &ctx, &ev, &err), PARLEY_EINVAL);
    assert_null(ev);
    assert_non_null(strstr(err.message, "'id'"));
    json_decref(t);
  }
}

static void test_media_long_text_raw_and_missing_time(void **state) {
  (void)state;
  parley_twitter_map_ctx_t c = ctx;
  c.include_raw = 1;
  parley_event_t *ev = map_tweet(
      "{\"id\":\"" BIG_ID "\",\"text\":\"cut…\",\"note_tweet\":{\"text\":\"the whole long text @acme\"},"
      "\"author_id\":\"99887766\",\"lang\":\"und\","
      "\"attachments\":{\"media_keys\":[\"3_1\",\"7_2\",\"3_9\"]}}",
      "{\"media\":[{\"media_key\":\"3_1\",\"type\":\"photo\",\"url\":\"https://pbs.twimg.com/media/a.jpg\"},"
      "{\"media_key\":\"7_2\",\"type\":\"video\",\"preview_image_url\":\"https://pbs.twimg.com/v.jpg\"}]}",
      &c);
  assert_string_equal(parley_event_text(ev), "the whole long text @acme");
  assert_int_equal(parley_event_media_count(ev), 2);
  const char *type, *url;
  assert_int_equal(parley_event_media(ev, 0, &type, &url), 0);
  assert_string_equal(type, "image");
  assert_string_equal(url, "https://pbs.twimg.com/media/a.jpg");
  assert_int_equal(parley_event_media(ev, 1, &type, &url), 0);
  assert_string_equal(type, "video");
  /* no created_at: the snowflake's own time (id >> 22 + the Twitter epoch) */
  assert_int_equal(parley_event_created_at(ev),
                   (int64_t)(1790000000000000042ULL >> 22) + 1288834974657LL);
  assert_non_null(strstr(parley_event_raw(ev), "\"" BIG_ID "\""));
  assert_valid(ev);
  parley_event_free(ev);
}

static void test_dm_event_maps_to_a_private_message(void **state) {
  (void)state;
  json_t *dm = parse("{\"id\":\"1790100000000000001\",\"event_type\":\"MessageCreate\","
                     "\"text\":\"Hi, my order 5512 is late\",\"sender_id\":\"99887766\","
                     "\"dm_conversation_id\":\"2244994945-99887766\","
                     "\"created_at\":\"2024-05-13T09:30:11.000Z\"}");
  json_t *inc = parse(jane);
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  assert_int_equal(parley_twitter_map_dm(dm, inc, &ctx, &ev, &err), 0);
  assert_string_equal(parley_event_id(ev), "twitter:1790100000000000001");
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_DIRECT_MESSAGE);
  assert_int_equal(parley_event_visibility(ev), PARLEY_VISIBILITY_PRIVATE);
  assert_string_equal(parley_event_conversation_id(ev), "2244994945-99887766");
  assert_string_equal(parley_event_author_handle(ev), "janedoe");
  assert_valid(ev);
  parley_event_free(ev);
  json_decref(dm);
  json_decref(inc);
}

static void test_dm_from_the_brand_is_outbound_and_joins_are_skipped(void **state) {
  (void)state;
  json_t *mine = parse("{\"id\":\"21\",\"event_type\":\"MessageCreate\",\"text\":\"hello\","
                       "\"sender_id\":\"2244994945\",\"dm_conversation_id\":\"2244994945-99887766\"}");
  json_t *join = parse("{\"id\":\"22\",\"event_type\":\"ParticipantsJoin\","
                       "\"dm_conversation_id\":\"1790000000000000777\"}");
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  assert_int_equal(parley_twitter_map_dm(mine, NULL, &ctx, &ev, &err), 0);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_OUTBOUND);
  parley_event_free(ev);
  ev = NULL;
  assert_int_equal(parley_twitter_map_dm(join, NULL, &ctx, &ev, &err), PARLEY_ENOENT);
  assert_null(ev);
  json_decref(mine);
  json_decref(join);
}

static void test_account_activity_tweet_maps_like_the_v2_tweet(void **state) {
  (void)state;
  json_t *t = parse(
      "{\"created_at\":\"Mon May 13 09:21:07 +0000 2024\",\"id\":" BIG_ID ",\"id_str\":\"" BIG_ID "\","
      "\"text\":\"@acme my order #5512 never arrived\",\"truncated\":false,"
      "\"in_reply_to_status_id_str\":null,\"in_reply_to_user_id_str\":null,"
      "\"user\":{\"id\":99887766,\"id_str\":\"99887766\",\"name\":\"Jane Doe\","
      "\"screen_name\":\"janedoe\",\"followers_count\":311,\"verified\":false},"
      "\"entities\":{\"user_mentions\":[{\"screen_name\":\"acme\",\"id_str\":\"2244994945\"}]},"
      "\"lang\":\"en\",\"timestamp_ms\":\"1715592067123\"}");
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  assert_int_equal(parley_twitter_map_v1_tweet(t, &ctx, &ev, &err), 0);
  assert_string_equal(parley_event_id(ev), "twitter:" BIG_ID);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_MENTION);
  assert_string_equal(parley_event_author_handle(ev), "janedoe");
  assert_int_equal(parley_event_author_followers(ev), 311);
  assert_int_equal(parley_event_created_at(ev), 1715592067123LL); /* timestamp_ms: to the ms */
  assert_string_equal(parley_event_conversation_id(ev), BIG_ID);
  assert_string_equal(parley_event_url(ev), "https://x.com/janedoe/status/" BIG_ID);
  assert_valid(ev);
  parley_event_free(ev);
  json_decref(t);
}

static void test_account_activity_reply_and_long_text(void **state) {
  (void)state;
  json_t *t = parse(
      "{\"created_at\":\"Mon May 13 09:25:00 +0000 2024\",\"id_str\":\"1790000000000000070\","
      "\"text\":\"cut\",\"truncated\":true,\"extended_tweet\":{\"full_text\":\"the full reply\"},"
      "\"in_reply_to_status_id_str\":\"1790000000000000069\",\"in_reply_to_user_id_str\":\"2244994945\","
      "\"user\":{\"id_str\":\"99887766\",\"screen_name\":\"janedoe\"}}");
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  assert_int_equal(parley_twitter_map_v1_tweet(t, &ctx, &ev, &err), 0);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_REPLY);
  assert_string_equal(parley_event_text(ev), "the full reply");
  int64_t want = 0; /* no timestamp_ms: created_at, to the second */
  assert_int_equal(parley_time_parse("2024-05-13T09:25:00Z", &want), 0);
  assert_int_equal(parley_event_created_at(ev), want);
  assert_string_equal(parley_event_in_reply_to(ev), "twitter:1790000000000000069");
  parley_event_free(ev);
  json_decref(t);
}

static void test_account_activity_dm_uses_the_users_map(void **state) {
  (void)state;
  json_t *p = parse(
      "{\"for_user_id\":\"2244994945\",\"direct_message_events\":[{\"type\":\"message_create\","
      "\"id\":\"1790100000000000001\",\"created_timestamp\":\"1715592611000\",\"message_create\":{"
      "\"target\":{\"recipient_id\":\"2244994945\"},\"sender_id\":\"99887766\","
      "\"message_data\":{\"text\":\"Hi, my order 5512 is late\"}}}],"
      "\"users\":{\"99887766\":{\"id\":\"99887766\",\"name\":\"Jane Doe\",\"screen_name\":\"janedoe\","
      "\"verified\":false,\"followers_count\":311}}}");
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  json_t *dm = json_array_get(json_object_get(p, "direct_message_events"), 0);
  assert_int_equal(parley_twitter_map_v1_dm(dm, json_object_get(p, "users"), &ctx, &ev, &err), 0);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_DIRECT_MESSAGE);
  /* "<lower id>-<higher id>" by numeric value, as parley-sim builds it */
  assert_string_equal(parley_event_conversation_id(ev), "99887766-2244994945");
  assert_string_equal(parley_event_author_name(ev), "Jane Doe");
  assert_int_equal(parley_event_created_at(ev), 1715592611000LL);
  assert_valid(ev);
  parley_event_free(ev);
  json_decref(p);
}

static void test_retweets_are_not_messages(void **state) {
  (void)state;
  json_t *v2 = parse("{\"id\":\"31\",\"text\":\"RT @jana_k: @acme my order\",\"author_id\":\"5\","
                     "\"referenced_tweets\":[{\"type\":\"retweeted\",\"id\":\"30\"}]}");
  json_t *v1 = parse("{\"id_str\":\"32\",\"text\":\"RT @jana_k: @acme my order\","
                     "\"user\":{\"id_str\":\"5\"},\"retweeted_status\":{\"id_str\":\"30\"}}");
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  assert_int_equal(parley_twitter_map_tweet(v2, NULL, &ctx, &ev, &err), PARLEY_ENOENT);
  assert_int_equal(parley_twitter_map_v1_tweet(v1, &ctx, &ev, &err), PARLEY_ENOENT);
  assert_null(ev);
  json_decref(v2);
  json_decref(v1);
}

static void test_dm_conversation_orders_ids_by_value(void **state) {
  (void)state;
  char buf[64];
  parley_twitter_dm_conversation("99887766", "2244994945", buf, sizeof buf);
  assert_string_equal(buf, "99887766-2244994945"); /* shorter is smaller, not "2" < "9" */
  parley_twitter_dm_conversation("2244994945", "1790000000000000001", buf, sizeof buf);
  assert_string_equal(buf, "2244994945-1790000000000000001");
}

static void test_keywords_leave_out_operators_and_negations(void **state) {
  (void)state;
  parley_event_t *ev = parley_event_new();
  size_t n = parley_twitter_match_keywords(
      "(@acme OR acme) -\"acme careers\" -is:retweet from:someone lang:en OR AND",
      "@acme acme careers lang:en from:someone", ev);
  assert_int_equal(n, 2);
  assert_string_equal(parley_event_keyword(ev, 0), "@acme");
  assert_string_equal(parley_event_keyword(ev, 1), "acme");
  parley_event_free(ev);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tagged_mention_maps_every_field),
      cmocka_unit_test(test_reply_to_the_brand_is_a_reply_with_its_parent),
      cmocka_unit_test(test_a_later_version_of_an_edited_tweet_is_edited),
      cmocka_unit_test(test_the_brands_own_tweet_is_outbound),
      cmocka_unit_test(test_untagged_brand_name_is_a_keyword_match_with_its_terms),
      cmocka_unit_test(test_competitor_query_names_the_competitor),
      cmocka_unit_test(test_handle_in_text_counts_only_as_a_whole_token),
      cmocka_unit_test(test_ids_must_be_strings),
      cmocka_unit_test(test_media_long_text_raw_and_missing_time),
      cmocka_unit_test(test_dm_event_maps_to_a_private_message),
      cmocka_unit_test(test_dm_from_the_brand_is_outbound_and_joins_are_skipped),
      cmocka_unit_test(test_account_activity_tweet_maps_like_the_v2_tweet),
      cmocka_unit_test(test_account_activity_reply_and_long_text),
      cmocka_unit_test(test_account_activity_dm_uses_the_users_map),
      cmocka_unit_test(test_retweets_are_not_messages),
      cmocka_unit_test(test_dm_conversation_orders_ids_by_value),
      cmocka_unit_test(test_keywords_leave_out_operators_and_negations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
