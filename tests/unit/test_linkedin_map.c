/* The LinkedIn connector's pure parts: URNs (long and short comment forms,
 * encoding, the URN an action acts on) and the mapping of comments and
 * social-action notifications to events (linkedin.md §3, §5, §7.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "linkedin.h"

#define ORG "urn:li:organization:5515715"

static int unknown_counted;

/* linkedin.c is not linked: the mapping only counts. */
void parley_linkedin_count(parley_linkedin_t *li, const char *what, uint64_t n) {
  (void)li;
  if (strcmp(what, "unknown_total") == 0)
    unknown_counted += (int)n;
}

static parley_linkedin_config_t cfg = {.include_raw = 0};

static parley_linkedin_t instance(void) {
  parley_linkedin_t li = {.cfg = &cfg};
  snprintf(li.org, sizeof li.org, "%s", ORG);
  return li;
}

static json_t *load(const char *text) {
  json_error_t e;
  json_t *j = json_loads(text, 0, &e);
  if (!j)
    fail_msg("bad test JSON: %s", e.text);
  return j;
}

static void test_short_comment_urns_are_normalised_and_split(void **state) {
  char buf[PARLEY_LINKEDIN_URN_MAX], thread[PARLEY_LINKEDIN_URN_MAX], id[32];
  (void)state;
  assert_int_equal(parley_linkedin_urn_normalize("urn:li:comment:(activity:123,456)", buf,
                                                 sizeof buf),
                   strlen("urn:li:comment:(urn:li:activity:123,456)"));
  assert_string_equal(buf, "urn:li:comment:(urn:li:activity:123,456)");
  assert_int_equal(parley_linkedin_comment_split(buf, thread, sizeof thread, id, sizeof id), 0);
  assert_string_equal(thread, "urn:li:activity:123");
  assert_string_equal(id, "456");
  assert_int_equal(parley_linkedin_comment_split("urn:li:comment:(urn:li:share:9,7094977717598625792)",
                                                 thread, sizeof thread, id, sizeof id), 0);
  assert_string_equal(id, "7094977717598625792"); /* 19 digits stay text */
  /* a reply named inside its parent comment: the post is the parent's */
  assert_int_equal(parley_linkedin_comment_split(
                       "urn:li:comment:(urn:li:comment:(urn:li:activity:5,6),7)", thread,
                       sizeof thread, id, sizeof id), 0);
  assert_string_equal(thread, "urn:li:activity:5");
  assert_string_equal(id, "7");
  assert_int_equal(parley_linkedin_comment_split("urn:li:comment:(urn:li:activity:1,x)", thread,
                                                 sizeof thread, id, sizeof id), PARLEY_EINVAL);
  assert_int_equal(parley_linkedin_urn_normalize("share:1", buf, sizeof buf), PARLEY_EINVAL);
  assert_int_equal(parley_linkedin_urn_normalize(NULL, buf, sizeof buf), PARLEY_EINVAL);
  assert_int_equal(parley_linkedin_urn_normalize("urn:li:share:1", buf, 5), PARLEY_ENOBUFS);
}

static void test_urns_are_encoded_for_paths_and_numbered_for_ids(void **state) {
  char buf[PARLEY_LINKEDIN_URN_MAX * 3];
  (void)state;
  parley_linkedin_urn_encode("urn:li:comment:(urn:li:activity:1,2)", buf, sizeof buf);
  assert_string_equal(buf, "urn%3Ali%3Acomment%3A%28urn%3Ali%3Aactivity%3A1%2C2%29");
  assert_int_equal(parley_linkedin_urn_id("urn:li:ugcPost:77", buf, sizeof buf), 0);
  assert_string_equal(buf, "77");
  assert_int_equal(parley_linkedin_urn_id("urn:li:person:Ab12", buf, sizeof buf), PARLEY_EINVAL);
  assert_true(parley_linkedin_is_post_urn("urn:li:activity:5"));
  assert_false(parley_linkedin_is_post_urn("urn:li:organization:5"));
}

static void test_an_event_id_and_its_conversation_give_the_urn_back(void **state) {
  char buf[PARLEY_LINKEDIN_URN_MAX];
  (void)state;
  assert_int_equal(parley_linkedin_event_urn("linkedin:456", "urn:li:activity:123", buf,
                                             sizeof buf), 0);
  assert_string_equal(buf, "urn:li:comment:(urn:li:activity:123,456)");
  assert_int_equal(parley_linkedin_event_urn("linkedin:123", "urn:li:activity:123", buf,
                                             sizeof buf), 0);
  assert_string_equal(buf, "urn:li:activity:123"); /* the post itself */
  assert_int_equal(parley_linkedin_event_urn("linkedin:urn:li:comment:(activity:1,2)", NULL, buf,
                                             sizeof buf), 0);
  assert_string_equal(buf, "urn:li:comment:(urn:li:activity:1,2)");
  assert_int_equal(parley_linkedin_event_urn("linkedin:456", NULL, buf, sizeof buf),
                   PARLEY_EINVAL);
  assert_int_equal(parley_linkedin_event_urn("linkedin:4x6", "urn:li:activity:1", buf, sizeof buf),
                   PARLEY_EINVAL);
  assert_int_equal(parley_linkedin_event_urn("linkedin:4", "urn:li:person:1", buf, sizeof buf),
                   PARLEY_EINVAL);
}

static parley_event_t *comment(const char *text) {
  parley_linkedin_t li = instance();
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  json_t *c = load(text);
  assert_int_equal(parley_linkedin_map_comment(&li, c, &ev, &err), 0);
  json_decref(c);
  return ev;
}

static void test_a_reply_maps_to_kind_reply_in_the_post_thread(void **state) {
  (void)state;
  parley_event_t *ev = comment(
      "{\"id\":\"7094977717598625999\",\"commentUrn\":\"urn:li:comment:(urn:li:activity:7094637247890620418,7094977717598625999)\","
      "\"object\":\"urn:li:activity:7094637247890620418\",\"actor\":\"urn:li:person:Ab12Cd34\","
      "\"message\":{\"text\":\"Same here 👍\"},\"created\":{\"time\":1691574506310},"
      "\"parentComment\":\"urn:li:comment:(urn:li:activity:7094637247890620418,7094977717598625792)\","
      "\"content\":[{\"entity\":{\"image\":\"urn:li:image:C4D\"}}]}");
  assert_string_equal(parley_event_id(ev), "linkedin:7094977717598625999");
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_REPLY);
  assert_string_equal(parley_event_in_reply_to(ev), "linkedin:7094977717598625792");
  assert_string_equal(parley_event_conversation_id(ev), "urn:li:activity:7094637247890620418");
  assert_string_equal(parley_event_author_id(ev), "urn:li:person:Ab12Cd34");
  assert_string_equal(parley_event_account(ev), ORG);
  assert_string_equal(parley_event_text(ev), "Same here 👍");
  assert_int_equal(parley_event_created_at(ev), 1691574506310LL); /* epoch ms kept */
  assert_int_equal(parley_event_media_count(ev), 1);
  assert_non_null(strstr(parley_event_url(ev), "?commentUrn=urn%3Ali%3Acomment%3A%28"));
  assert_null(parley_event_raw(ev)); /* include_raw off */
  parley_event_free(ev);
}

static void test_a_reply_whose_object_is_its_parent_stays_in_the_post_thread(void **state) {
  (void)state;
  parley_event_t *ev = comment(
      "{\"id\":\"7\",\"commentUrn\":\"urn:li:comment:(urn:li:activity:5,7)\","
      "\"object\":\"urn:li:comment:(urn:li:activity:5,6)\",\"actor\":\"urn:li:person:P\","
      "\"parentComment\":\"urn:li:comment:(urn:li:activity:5,6)\",\"created\":{\"time\":1700000000000}}");
  assert_string_equal(parley_event_conversation_id(ev), "urn:li:activity:5");
  assert_string_equal(parley_event_in_reply_to(ev), "linkedin:6");
  parley_event_free(ev);
}

static void test_the_organizations_own_comment_is_outbound(void **state) {
  (void)state;
  parley_event_t *ev = comment(
      "{\"id\":\"2\",\"$URN\":\"urn:li:comment:(activity:1,2)\",\"actor\":\"" ORG "\","
      "\"message\":{\"text\":\"Thanks!\"},\"created\":{\"time\":1700000000000}}");
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_OUTBOUND);
  /* no object: the thread of the URN */
  assert_string_equal(parley_event_conversation_id(ev), "urn:li:activity:1");
  assert_string_equal(parley_event_in_reply_to(ev), "linkedin:1");
  parley_event_free(ev);
}

static void test_a_comment_without_urn_or_time_is_refused_naming_it(void **state) {
  parley_linkedin_t li = instance();
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  (void)state;
  json_t *c = load("{\"id\":\"9\",\"commentUrn\":\"urn:li:comment:(urn:li:activity:1,9)\"}");
  assert_int_equal(parley_linkedin_map_comment(&li, c, &ev, &err), PARLEY_EINVAL);
  assert_non_null(strstr(err.message, "created.time"));
  json_decref(c);
  c = load("{\"id\":\"9\",\"created\":{\"time\":1}}");
  assert_int_equal(parley_linkedin_map_comment(&li, c, &ev, &err), PARLEY_EINVAL);
  assert_non_null(strstr(err.message, "comment '9'"));
  json_decref(c);
}

static parley_event_t *note(const char *action, const char *extra) {
  char text[2048];
  parley_linkedin_t li = instance();
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  snprintf(text, sizeof text,
           "{\"notificationId\":5603453321,\"organizationalEntity\":\"" ORG "\",\"action\":\"%s\","
           "\"lastModifiedAt\":1691574506310,\"sourcePost\":\"urn:li:activity:70\"%s}",
           action, extra);
  json_t *n = load(text);
  assert_int_equal(parley_linkedin_map_notification(&li, n, &ev, &err), 0);
  json_decref(n);
  return ev;
}

#define COMMENT_DECO                                                                          \
  ",\"generatedActivity\":\"urn:li:comment:(activity:70,80)\",\"decoratedGeneratedActivity\":" \
  "{\"comment\":{\"owner\":\"urn:li:person:P1\",\"text\":\"Does it support SSO?\"}}"

static void test_comment_notifications_map_to_the_ids_of_the_poll_path(void **state) {
  (void)state;
  parley_event_t *ev = note("COMMENT", COMMENT_DECO);
  assert_string_equal(parley_event_id(ev), "linkedin:80");
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_COMMENT);
  assert_string_equal(parley_event_conversation_id(ev), "urn:li:activity:70");
  assert_string_equal(parley_event_in_reply_to(ev), "linkedin:70");
  assert_string_equal(parley_event_text(ev), "Does it support SSO?");
  parley_event_free(ev);
  ev = note("ADMIN_COMMENT", COMMENT_DECO);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_OUTBOUND);
  parley_event_free(ev);
}

static void test_edits_deletes_likes_and_unknown_actions_are_events_of_their_own(void **state) {
  (void)state;
  parley_event_t *ev = note("COMMENT_EDIT", COMMENT_DECO);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_EDITED);
  assert_non_null(strstr(parley_event_id(ev), "linkedin:80~edited~"));
  assert_string_equal(parley_event_in_reply_to(ev), "linkedin:80");
  parley_event_free(ev);
  ev = note("COMMENT_DELETE", COMMENT_DECO);
  assert_string_equal(parley_event_id(ev), "linkedin:80~deleted");
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_DELETED);
  assert_null(parley_event_text(ev));
  parley_event_free(ev);
  ev = note("LIKE", "");
  assert_string_equal(parley_event_id(ev), "linkedin:notification:5603453321");
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_REACTION);
  parley_event_free(ev);
  unknown_counted = 0;
  ev = note("SHARE", "");
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_UNKNOWN);
  assert_non_null(parley_event_raw(ev)); /* always raw */
  assert_int_equal(unknown_counted, 1);
  parley_event_free(ev);
}

static void test_a_share_mention_is_a_mention_with_the_post_text(void **state) {
  (void)state;
  parley_event_t *ev = note("SHARE_MENTION",
                            ",\"generatedActivity\":\"urn:li:share:90\",\"decoratedGeneratedActivity\":"
                            "{\"share\":{\"owner\":\"urn:li:person:P2\",\"text\":\"Hi @Acme\"}}");
  assert_string_equal(parley_event_id(ev), "linkedin:90");
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_MENTION);
  assert_string_equal(parley_event_conversation_id(ev), "urn:li:share:90");
  assert_string_equal(parley_event_author_id(ev), "urn:li:person:P2");
  assert_string_equal(parley_event_text(ev), "Hi @Acme");
  parley_event_free(ev);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_short_comment_urns_are_normalised_and_split),
      cmocka_unit_test(test_urns_are_encoded_for_paths_and_numbered_for_ids),
      cmocka_unit_test(test_an_event_id_and_its_conversation_give_the_urn_back),
      cmocka_unit_test(test_a_reply_maps_to_kind_reply_in_the_post_thread),
      cmocka_unit_test(test_a_reply_whose_object_is_its_parent_stays_in_the_post_thread),
      cmocka_unit_test(test_the_organizations_own_comment_is_outbound),
      cmocka_unit_test(test_a_comment_without_urn_or_time_is_refused_naming_it),
      cmocka_unit_test(test_comment_notifications_map_to_the_ids_of_the_poll_path),
      cmocka_unit_test(test_edits_deletes_likes_and_unknown_actions_are_events_of_their_own),
      cmocka_unit_test(test_a_share_mention_is_a_mention_with_the_post_text),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
