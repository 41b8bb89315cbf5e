/* Server-Sent Events framing (router_sse.c) and the match expressions of
 * GET /v1/events (parley_config_parse_match). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "router.h"

static void frame_is(const char *id, const char *event, const char *data, const char *want) {
  size_t len = 0;
  char *f = parley_sse_frame(id, event, data, strlen(data), &len);
  assert_non_null(f);
  assert_int_equal(len, strlen(want));
  assert_memory_equal(f, want, len);
  free(f);
}

static void a_message_has_id_event_and_data_then_a_blank_line(void **state) {
  (void)state;
  frame_is("17", "event", "{\"a\":1}", "id: 17\nevent: event\ndata: {\"a\":1}\n\n");
  frame_is(NULL, "message", "x", "event: message\ndata: x\n\n");
  frame_is(NULL, NULL, "x", "data: x\n\n");
}

static void every_line_of_the_data_gets_its_own_data_field(void **state) {
  (void)state;
  frame_is(NULL, NULL, "a\nb", "data: a\ndata: b\n\n");
  frame_is(NULL, NULL, "a\r\nb\rc", "data: a\ndata: b\ndata: c\n\n");
  frame_is(NULL, NULL, "a\n", "data: a\ndata: \n\n");
  frame_is(NULL, NULL, "", "data: \n\n");
  frame_is(NULL, NULL, "\n\n", "data: \ndata: \ndata: \n\n");
}

static void line_breaks_cannot_inject_fields_through_id_or_event(void **state) {
  (void)state;
  frame_is("1\nevent: evil", "a\r\nb", "x", "id: 1event: evil\nevent: ab\ndata: x\n\n");
}

static parley_event_t *ev_of(const char *platform, parley_kind_t kind, const char *text) {
  parley_event_t *ev = parley_event_new();
  parley_event_set_platform(ev, platform);
  parley_event_set_kind(ev, kind);
  parley_event_set_text(ev, text);
  return ev;
}

static void a_match_expression_filters_like_a_route(void **state) {
  (void)state;
  parley_conf_route_t m;
  char msg[256];
  assert_int_equal(parley_config_parse_match("platform=twitter, kind=mention,kind=comment", &m,
                                             msg, sizeof msg), 0);
  parley_event_t *a = ev_of("twitter", PARLEY_KIND_COMMENT, "hi");
  parley_event_t *b = ev_of("facebook", PARLEY_KIND_COMMENT, "hi");
  parley_event_t *c = ev_of("twitter", PARLEY_KIND_DIRECT_MESSAGE, "hi");
  assert_true(parley_route_matches(&m, a));
  assert_false(parley_route_matches(&m, b));
  assert_false(parley_route_matches(&m, c));
  parley_config_match_free(&m);
  assert_int_equal(parley_config_parse_match("", &m, msg, sizeof msg), 0);
  assert_true(parley_route_matches(&m, b)); /* empty: everything */
  parley_config_match_free(&m);
  assert_int_equal(parley_config_parse_match(NULL, &m, msg, sizeof msg), 0);
  assert_true(parley_route_matches(&m, c));
  parley_config_match_free(&m);
  parley_event_free(a);
  parley_event_free(b);
  parley_event_free(c);
}

static void refused(const char *expr, const char *want) {
  parley_conf_route_t m;
  char msg[256];
  assert_int_equal(parley_config_parse_match(expr, &m, msg, sizeof msg), PARLEY_EINVAL);
  if (!strstr(msg, want))
    fail_msg("%s: '%s' does not contain '%s'", expr, msg, want);
}

static void a_bad_expression_is_refused_naming_the_bad_part(void **state) {
  (void)state;
  refused("colour=red", "unknown field 'colour'");
  refused("kind=tweet", "kind: 'tweet' is not a valid value");
  refused("platform=twitter,min_priority=200", "min_priority: '200'");
  refused("platform", "'platform' is not field=value");
  refused("lang=", "lang: '' is not a valid value");
  refused("visibility=secret", "visibility");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_message_has_id_event_and_data_then_a_blank_line),
      cmocka_unit_test(every_line_of_the_data_gets_its_own_data_field),
      cmocka_unit_test(line_breaks_cannot_inject_fields_through_id_or_event),
      cmocka_unit_test(a_match_expression_filters_like_a_route),
      cmocka_unit_test(a_bad_expression_is_refused_naming_the_bad_part),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
