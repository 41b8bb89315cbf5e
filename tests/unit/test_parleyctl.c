/* parleyctl's pure logic (tools/parleyctl): option parsing, the
 * parley.action.v1 it builds (checked against the core's own parser,
 * core/action_json.c), the Server-Sent Events parser and the small text
 * helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl.h"
#include "format.h"
#include "parley/action.h"
#include "parley/error.h"

/* ---- args ---- */

static const parley_ctl_opt_t SPEC[] = {{"url", 1}, {"json", 0}, {"from", 1}};
#define NSPEC (sizeof SPEC / sizeof SPEC[0])

static int parse(int argc, char **argv, parley_ctl_args_t *a, char *err) {
  memset(a, 0, sizeof *a);
  return parley_ctl_args_parse(SPEC, NSPEC, argc, argv, 0, NULL, a, err, 128);
}

static void options_and_positionals_mix_in_any_order(void **state) {
  (void)state;
  char *argv[] = {"out", "--from", "12", "--json", "--url=http://h:1", "x"};
  parley_ctl_args_t a;
  char err[128];
  assert_int_equal(parse(6, argv, &a, err), 0);
  assert_int_equal(a.npos, 2);
  assert_string_equal(a.pos[0], "out");
  assert_string_equal(a.pos[1], "x");
  assert_string_equal(parley_ctl_arg(SPEC, NSPEC, &a, "from"), "12");
  assert_string_equal(parley_ctl_arg(SPEC, NSPEC, &a, "json"), "1");
  assert_string_equal(parley_ctl_arg(SPEC, NSPEC, &a, "url"), "http://h:1");
  assert_null(parley_ctl_arg(SPEC, NSPEC, &a, "nope"));
}

static void double_dash_ends_the_options(void **state) {
  (void)state;
  char *argv[] = {"--json", "--", "--from", "-"};
  parley_ctl_args_t a;
  char err[128];
  assert_int_equal(parse(4, argv, &a, err), 0);
  assert_int_equal(a.npos, 2);
  assert_string_equal(a.pos[0], "--from");
  assert_string_equal(a.pos[1], "-");
  assert_null(parley_ctl_arg(SPEC, NSPEC, &a, "from"));
}

static void bad_options_are_named(void **state) {
  (void)state;
  parley_ctl_args_t a;
  char err[128];
  char *unknown[] = {"--frm", "3"};
  assert_int_equal(parse(2, unknown, &a, err), -1);
  assert_string_equal(err, "unknown option --frm");
  char *novalue[] = {"x", "--from"};
  assert_int_equal(parse(2, novalue, &a, err), -1);
  assert_string_equal(err, "option --from needs a value");
  char *flagvalue[] = {"--json=yes"};
  assert_int_equal(parse(1, flagvalue, &a, err), -1);
  assert_string_equal(err, "option --json takes no value");
  char *shortopt[] = {"-j"};
  assert_int_equal(parse(1, shortopt, &a, err), -1);
  assert_non_null(strstr(err, "unknown option -j"));
}

static void stop_at_positional_leaves_the_command(void **state) {
  (void)state;
  char *argv[] = {"--url", "http://h:1", "--json", "status", "--from", "1"};
  parley_ctl_args_t a = {0};
  char err[128];
  int used = -1;
  assert_int_equal(parley_ctl_args_parse(SPEC, NSPEC, 6, argv, 1, &used, &a, err, sizeof err), 0);
  assert_int_equal(used, 3);
  assert_int_equal(a.npos, 0);
  assert_string_equal(parley_ctl_arg(SPEC, NSPEC, &a, "url"), "http://h:1");
}

static void seq_is_a_positive_integer(void **state) {
  (void)state;
  int64_t v = 0;
  assert_int_equal(parley_ctl_parse_seq("1200", &v), 0);
  assert_int_equal(v, 1200);
  assert_int_equal(parley_ctl_parse_seq("0", &v), -1);
  assert_int_equal(parley_ctl_parse_seq("-3", &v), -1);
  assert_int_equal(parley_ctl_parse_seq("12x", &v), -1);
  assert_int_equal(parley_ctl_parse_seq("", &v), -1);
  assert_int_equal(parley_ctl_parse_seq("99999999999999999999", &v), -1);
}

/* ---- actions ---- */

/* Build in, encode it, and decode it with the core's parser. */
static char *build_ok(const parley_ctl_action_in_t *in) {
  json_t *j = NULL;
  char err[256] = "";
  int rc = parley_ctl_action_build(in, &j, err, sizeof err);
  if (rc != 0)
    fail_msg("build failed: %s", err);
  char *s = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  parley_action_t *a = NULL;
  parley_error_t perr = {0};
  if (parley_action_from_json(s, strlen(s), &a, &perr) != 0)
    fail_msg("the core refuses %s: %s", s, perr.message);
  parley_action_free(a);
  return s;
}

static void build_err(const parley_ctl_action_in_t *in, const char *want) {
  json_t *j = NULL;
  char err[256] = "";
  assert_int_equal(parley_ctl_action_build(in, &j, err, sizeof err), -1);
  assert_null(j);
  if (!strstr(err, want))
    fail_msg("error '%s' does not say '%s'", err, want);
}

static void reply_builds_reply_public_or_private(void **state) {
  (void)state;
  parley_ctl_action_in_t in = {.command = "reply", .target = "twitter:1862", .text = "Sorry!",
                               .conversation = "twitter:1860", .connector = "acme-twitter",
                               .agent = "alice", .key = "k-1"};
  char *s = build_ok(&in);
  assert_string_equal(s, "{\"schema\":\"parley.action.v1\",\"idempotency_key\":\"k-1\","
                         "\"type\":\"reply_public\",\"connector\":\"acme-twitter\","
                         "\"conversation_id\":\"twitter:1860\",\"target\":\"twitter:1862\","
                         "\"text\":\"Sorry!\",\"agent\":\"alice\"}");
  free(s);
  in.private_reply = 1;
  s = build_ok(&in);
  assert_non_null(strstr(s, "\"type\":\"reply_private\""));
  free(s);
}

static void dm_hide_assign_resolve(void **state) {
  (void)state;
  parley_ctl_action_in_t dm = {.command = "dm", .text = "Hi", .recipient = "42",
                               .platform = "twitter", .account = "acme", .key = "k-2"};
  char *s = build_ok(&dm);
  assert_non_null(strstr(s, "\"type\":\"direct_message\""));
  assert_non_null(strstr(s, "\"recipient\":\"42\""));
  assert_non_null(strstr(s, "\"platform\":\"twitter\",\"account\":\"acme\""));
  free(s);
  parley_ctl_action_in_t hide = {.command = "hide", .target = "facebook:1_2",
                                 .connector = "fb", .key = "k-3", .undo = 1};
  s = build_ok(&hide);
  assert_non_null(strstr(s, "\"type\":\"unhide\""));
  assert_null(strstr(s, "\"text\""));
  free(s);
  parley_ctl_action_in_t assign = {.command = "assign", .conversation = "tiktok:9",
                                   .assign_to = "bob", .connector = "ignored", .key = "k-4"};
  s = build_ok(&assign);
  assert_string_equal(s, "{\"schema\":\"parley.action.v1\",\"idempotency_key\":\"k-4\","
                         "\"type\":\"assign\",\"conversation_id\":\"tiktok:9\","
                         "\"assign_to\":\"bob\"}");
  free(s);
  parley_ctl_action_in_t resolve = {.command = "resolve", .conversation = "tiktok:9",
                                    .agent = "bob", .key = "k-5"};
  s = build_ok(&resolve);
  assert_non_null(strstr(s, "\"type\":\"resolve\""));
  free(s);
  assert_int_equal(parley_ctl_action_needs_connector(&resolve), 0);
  assert_int_equal(parley_ctl_action_needs_connector(&hide), 1);
}

static void schema_rules_are_checked_before_sending(void **state) {
  (void)state;
  parley_ctl_action_in_t in = {.command = "reply", .target = "twitter:1", .text = "x",
                               .key = "k"};
  build_err(&in, "--connector (or --platform and --account) is required");
  in.connector = "c";
  in.target = "1862";
  build_err(&in, "target '1862' is not an event id");
  in.target = "twitter:1";
  in.text = NULL;
  build_err(&in, "reply: the text is required");
  in.text = "x";
  in.key = "has space";
  build_err(&in, "--key must be 1 to 256 printable ASCII");
  in.key = "k";
  in.platform = "facebook";
  in.account = "a";
  build_err(&in, "target 'twitter:1' is not on platform facebook");
  parley_ctl_action_in_t dm = {.command = "dm", .text = "x", .connector = "c", .key = "k"};
  build_err(&dm, "--conversation or --recipient is required");
  parley_ctl_action_in_t assign = {.command = "assign", .conversation = "t:1", .key = "k"};
  build_err(&assign, "the agent to assign to is required");
  parley_ctl_action_in_t resolve = {.command = "resolve", .key = "k"};
  build_err(&resolve, "the conversation id is required");
  parley_ctl_action_in_t priv = {.command = "hide", .target = "t:1", .connector = "c",
                                 .key = "k", .private_reply = 1};
  build_err(&priv, "--private does not apply");
  parley_ctl_action_in_t nokey = {.command = "resolve", .conversation = "t:1"};
  build_err(&nokey, "an idempotency key is required");
}

static void platform_comes_from_target_or_conversation(void **state) {
  (void)state;
  char p[32];
  parley_ctl_action_in_t in = {.command = "reply", .target = "instagram:17", .conversation = "x"};
  assert_int_equal(parley_ctl_action_platform(&in, p, sizeof p), 0);
  assert_string_equal(p, "instagram");
  parley_ctl_action_in_t dm = {.command = "dm", .conversation = "linkedin:urn:li:x"};
  assert_int_equal(parley_ctl_action_platform(&dm, p, sizeof p), 0);
  assert_string_equal(p, "linkedin");
  parley_ctl_action_in_t none = {.command = "dm", .recipient = "42"};
  assert_int_equal(parley_ctl_action_platform(&none, p, sizeof p), -1);
}

static void generated_keys_are_fresh_and_valid(void **state) {
  (void)state;
  char a[48], b[48];
  assert_int_equal(parley_ctl_key_new(a, sizeof a), 0);
  assert_int_equal(parley_ctl_key_new(b, sizeof b), 0);
  assert_int_equal(strlen(a), 36);
  assert_memory_equal(a, "ctl-", 4);
  assert_int_equal(strspn(a + 4, "0123456789abcdef"), 32);
  assert_string_not_equal(a, b);
  assert_int_equal(parley_ctl_key_new(a, 10), -1);
}

/* ---- server-sent events ---- */

typedef struct seen {
  int n;
  char ids[8][32], events[8][32], data[8][128];
} seen_t;

static int collect(const parley_ctl_sse_event_t *ev, void *data) {
  seen_t *s = data;
  snprintf(s->ids[s->n], 32, "%s", ev->id);
  snprintf(s->events[s->n], 32, "%s", ev->event);
  snprintf(s->data[s->n], 128, "%s", ev->data);
  s->n++;
  return 0;
}

static void sse_events_in_any_chunking(void **state) {
  (void)state;
  static const char stream[] = "retry: 3000\n\n: keepalive\n\nid: 7\nevent: event\n"
                               "data: {\"a\":1}\n\r\nid:8\r\nevent:event\r\ndata: line1\r\n"
                               "data:line2\r\n\r\ndata: plain\n\n";
  size_t len = strlen(stream);
  for (size_t chunk = 1; chunk <= len; chunk++) {
    parley_ctl_sse_t p = {0};
    seen_t s = {0};
    for (size_t off = 0; off < len; off += chunk)
      assert_int_equal(parley_ctl_sse_feed(&p, stream + off, off + chunk > len ? len - off : chunk,
                                           collect, &s), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.ids[0], "7");
    assert_string_equal(s.events[0], "event");
    assert_string_equal(s.data[0], "{\"a\":1}");
    assert_string_equal(s.ids[1], "8");
    assert_string_equal(s.data[1], "line1\nline2");
    assert_string_equal(s.events[2], "message"); /* the default */
    assert_string_equal(s.data[2], "plain");
    parley_ctl_sse_free(&p);
  }
}

static int stop_at_first(const parley_ctl_sse_event_t *ev, void *data) {
  (void)ev;
  ++*(int *)data;
  return 5;
}

static void sse_callback_can_stop_the_stream(void **state) {
  (void)state;
  parley_ctl_sse_t p = {0};
  int n = 0;
  assert_int_equal(parley_ctl_sse_feed(&p, "data: a\n\ndata: b\n\n", 18, stop_at_first, &n), 5);
  assert_int_equal(n, 1);
  parley_ctl_sse_free(&p);
}

/* ---- text helpers ---- */

static void one_line_flattens_and_cuts_on_characters(void **state) {
  (void)state;
  char buf[64];
  parley_ctl_one_line("a\nb\tc", 100, buf, sizeof buf);
  assert_string_equal(buf, "a b c");
  parley_ctl_one_line("h\xc3\xa9llo w\xc3\xb6rld", 5, buf, sizeof buf);
  assert_string_equal(buf, "h\xc3\xa9llo\xe2\x80\xa6");
  char small[10];
  parley_ctl_one_line("\xf0\x9f\x98\xa9\xf0\x9f\x98\xa9\xf0\x9f\x98\xa9", 100, small,
                      sizeof small);
  /* what fits of whole characters, then the "…": never a torn one */
  assert_string_equal(small, "\xf0\x9f\x98\xa9\xe2\x80\xa6");
  parley_ctl_one_line(NULL, 10, buf, sizeof buf);
  assert_string_equal(buf, "");
}

static void urlencode_and_error_text(void **state) {
  (void)state;
  char *q = parley_ctl_urlencode("platform=twitter,kind=mention é");
  assert_string_equal(q, "platform%3Dtwitter%2Ckind%3Dmention%20%C3%A9");
  free(q);
  const char *j = "{\"error\":\"PARLEY_EINVAL\",\"message\":\"from: bad\"}";
  char *t = parley_ctl_error_text(j, strlen(j));
  assert_string_equal(t, "PARLEY_EINVAL: from: bad");
  free(t);
  t = parley_ctl_error_text("admin token required\nmore", 26);
  assert_string_equal(t, "admin token required");
  free(t);
  t = parley_ctl_error_text("", 0);
  assert_string_equal(t, "(no error text)");
  free(t);
  char b[32];
  parley_ctl_bytes(1536, b, sizeof b);
  assert_string_equal(b, "1.5 KiB");
  parley_ctl_duration(3 * 86400000LL, b, sizeof b);
  assert_string_equal(b, "3 d");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(options_and_positionals_mix_in_any_order),
      cmocka_unit_test(double_dash_ends_the_options),
      cmocka_unit_test(bad_options_are_named),
      cmocka_unit_test(stop_at_positional_leaves_the_command),
      cmocka_unit_test(seq_is_a_positive_integer),
      cmocka_unit_test(reply_builds_reply_public_or_private),
      cmocka_unit_test(dm_hide_assign_resolve),
      cmocka_unit_test(schema_rules_are_checked_before_sending),
      cmocka_unit_test(platform_comes_from_target_or_conversation),
      cmocka_unit_test(generated_keys_are_fresh_and_valid),
      cmocka_unit_test(sse_events_in_any_chunking),
      cmocka_unit_test(sse_callback_can_stop_the_stream),
      cmocka_unit_test(one_line_flattens_and_cuts_on_characters),
      cmocka_unit_test(urlencode_and_error_text),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
