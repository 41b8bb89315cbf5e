/* The care figures of a period (core/care.c, docs/care-metrics.md) from a
 * hand-built v2 store, every figure worked out by hand below; and the live
 * care metrics (core/care_live.c) fed the same kind of timeline.
 *
 * The fixture: period [2026-11-23T00:00, 2026-11-24T00:00) (24 h), times
 * below on 2026-11-23 unless a day is given; "in" customer message, "out"
 * brand answer (agent), "res" resolution (agent), [sla ...] the message's
 * signals.sla_due.
 *
 * twitter
 *  T1 in 09:00 [sla 09:30]; out 09:10 alice; in 10:00 [10:30]; out 10:30 alice;
 *     res 11:00 alice; in 11-24 05:00 (after until: ignored)
 *  T2 in 09:00 [09:15]; in 09:05 [09:20]; out 09:45 bob
 *  T3 in 12:00 [13:00]
 *  T4 in 22:00 [11-24 02:00]
 *  T5 in 11-22 20:00 [11-22 21:00]; out 01:00 alice; res 02:00 bob (only in
 *     conversations.resolved_at/by: no conversation_events row)
 *  T6 in 14:00 (no sla); out 14:20 (no agent: sent natively); res 15:00 bob;
 *     in 16:00 [16:30]; out 16:05 alice; res 17:00 alice
 * facebook
 *  F1 in 08:00 [09:00]; reaction 08:10; out 08:30 carol; res 10:00 carol
 *  F2 in 10:00 [10:10]; res 10:05 carol (resolved without an answer)
 *  F3 in 11:00 [12:00]; out 11:20 carol; in 13:00 [13:30]; in 13:10 [13:40]
 *  F4 in 23:00 [23:30]; out 11-24 00:30 carol (after until)
 *  F5 out 15:00 carol (brand first); in 15:30 (no sla)
 *  a system event at 12:00 (no conversation)
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "care.h"
#include "care_live.h"
#include "output_sqlite.h"
#include "parley/error.h"
#include "parley/event.h"
#include "parley/time.h"

/* The store's own schema (the sqlite output creates it the same way). */
static void schema(sqlite3 *db) {
  char msg[256];
  int was = 0;
  if (parley_sqlite_schema_ensure(db, &was, msg, sizeof msg) != 0)
    fail_msg("schema: %s", msg);
}

/* "09:00" -> 2026-11-23T09:00:00.000Z; "22 20:00" -> 2026-11-22T20:00... */
static const char *at(const char *t, char *buf) {
  if (!t)
    return NULL;
  if (strchr(t, ' '))
    snprintf(buf, 32, "2026-11-%.2sT%s:00.000Z", t, t + 3);
  else
    snprintf(buf, 32, "2026-11-23T%s:00.000Z", t);
  return buf;
}

static void exec(sqlite3 *db, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
    fail_msg("%s: %s", sql, msg);
}

static void conv(sqlite3 *db, const char *id, const char *platform, const char *resolved_at,
                 const char *resolved_by) {
  char sql[512], a[32];
  snprintf(sql, sizeof sql,
           "INSERT INTO conversations (id, platform, connector, account, visibility,"
           " first_at, last_at, resolved_at, resolved_by) VALUES ('%s', '%s', 'c', 'acme',"
           " 'public', '', '', %s%s%s, %s%s%s)",
           id, platform, resolved_at ? "'" : "", resolved_at ? at(resolved_at, a) : "NULL",
           resolved_at ? "'" : "", resolved_by ? "'" : "", resolved_by ? resolved_by : "NULL",
           resolved_by ? "'" : "");
  exec(db, sql);
}

static int msg_no;

/* A message: dir "in", "out", or a kind for other inbound events. */
static void msg(sqlite3 *db, const char *conv_id, const char *platform, const char *dir,
                const char *created, const char *sla, const char *agent) {
  sqlite3_stmt *st;
  char id[32], c[32], s[32];
  int out = strcmp(dir, "out") == 0, plain_in = strcmp(dir, "in") == 0;
  snprintf(id, sizeof id, "m%d", ++msg_no);
  assert_int_equal(sqlite3_prepare_v2(db,
                                      "INSERT INTO messages (id, conversation_id, direction,"
                                      " platform, connector, account, kind, visibility,"
                                      " created_at, received_at, sla_due, event, agent)"
                                      " VALUES (?1, ?2, ?3, ?4, 'c', 'acme', ?5, 'public',"
                                      " ?6, ?6, ?7, '{}', ?8)",
                                      -1, &st, NULL),
                   SQLITE_OK);
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, conv_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, out ? "out" : "in", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, platform, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 5, out ? "outbound" : plain_in ? "mention" : dir, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 6, at(created, c), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 7, at(sla, s), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 8, agent, -1, SQLITE_TRANSIENT);
  assert_int_equal(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
}

static void event(sqlite3 *db, const char *conv_id, const char *type, const char *when,
                  const char *agent) {
  char sql[512], a[32];
  snprintf(sql, sizeof sql,
           "INSERT INTO conversation_events (conversation_id, at, type, agent)"
           " VALUES ('%s', '%s', '%s', '%s')",
           conv_id, at(when, a), type, agent);
  exec(db, sql);
}

static sqlite3 *fixture(void) {
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
  schema(db);
  msg_no = 0;
  const char *tw = "twitter", *fb = "facebook";
  conv(db, "T1", tw, "11:00", "alice");
  msg(db, "T1", tw, "in", "09:00", "09:30", NULL);
  event(db, "T1", "opened", "09:00", "");
  msg(db, "T1", tw, "out", "09:10", NULL, "alice");
  msg(db, "T1", tw, "in", "10:00", "10:30", NULL);
  msg(db, "T1", tw, "out", "10:30", NULL, "alice");
  event(db, "T1", "assigned", "10:40", "alice");
  event(db, "T1", "resolved", "11:00", "alice");
  msg(db, "T1", tw, "in", "24 05:00", NULL, NULL);
  conv(db, "T2", tw, NULL, NULL);
  msg(db, "T2", tw, "in", "09:00", "09:15", NULL);
  msg(db, "T2", tw, "in", "09:05", "09:20", NULL);
  msg(db, "T2", tw, "out", "09:45", NULL, "bob");
  conv(db, "T3", tw, NULL, NULL);
  msg(db, "T3", tw, "in", "12:00", "13:00", NULL);
  conv(db, "T4", tw, NULL, NULL);
  msg(db, "T4", tw, "in", "22:00", "24 02:00", NULL);
  conv(db, "T5", tw, "02:00", "bob");
  msg(db, "T5", tw, "in", "22 20:00", "22 21:00", NULL);
  msg(db, "T5", tw, "out", "01:00", NULL, "alice");
  conv(db, "T6", tw, "17:00", "alice");
  msg(db, "T6", tw, "in", "14:00", NULL, NULL);
  msg(db, "T6", tw, "out", "14:20", NULL, NULL);
  event(db, "T6", "resolved", "15:00", "bob");
  msg(db, "T6", tw, "in", "16:00", "16:30", NULL);
  event(db, "T6", "reopened", "16:00", "");
  msg(db, "T6", tw, "out", "16:05", NULL, "alice");
  event(db, "T6", "resolved", "17:00", "alice");
  conv(db, "F1", fb, "10:00", "carol");
  msg(db, "F1", fb, "in", "08:00", "09:00", NULL);
  msg(db, "F1", fb, "reaction", "08:10", NULL, NULL);
  msg(db, "F1", fb, "out", "08:30", NULL, "carol");
  event(db, "F1", "resolved", "10:00", "carol");
  conv(db, "F2", fb, "10:05", "carol");
  msg(db, "F2", fb, "in", "10:00", "10:10", NULL);
  event(db, "F2", "resolved", "10:05", "carol");
  conv(db, "F3", fb, NULL, NULL);
  msg(db, "F3", fb, "in", "11:00", "12:00", NULL);
  msg(db, "F3", fb, "out", "11:20", NULL, "carol");
  msg(db, "F3", fb, "in", "13:00", "13:30", NULL);
  msg(db, "F3", fb, "in", "13:10", "13:40", NULL);
  conv(db, "F4", fb, NULL, NULL);
  msg(db, "F4", fb, "in", "23:00", "23:30", NULL);
  msg(db, "F4", fb, "out", "24 00:30", NULL, "carol");
  conv(db, "F5", fb, NULL, NULL);
  msg(db, "F5", fb, "out", "15:00", NULL, "carol");
  msg(db, "F5", fb, "in", "15:30", NULL, NULL);
  exec(db, "INSERT INTO messages (id, conversation_id, direction, platform, connector, account,"
           " kind, visibility, created_at, received_at, event) VALUES ('sys', NULL, 'in',"
           " 'facebook', 'c', 'acme', 'system', 'private', '2026-11-23T12:00:00.000Z',"
           " '2026-11-23T12:00:00.000Z', '{}')");
  return db;
}

/* ---- helpers ---- */

static json_t *compute(sqlite3 *db, const char *since, const char *until) {
  json_t *out = NULL;
  parley_error_t err = {0};
  int rc = parley_care_compute(db, since, until, &out, &err);
  if (rc)
    fail_msg("parley_care_compute: %s", err.message);
  assert_non_null(out);
  return out;
}

static json_t *get(json_t *root, const char *path) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  json_t *v = root;
  for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
    v = json_object_get(v, k);
    if (!v)
      fail_msg("no %s in the report (at %s)", path, k);
  }
  return v;
}

static void num(json_t *root, const char *path, double want) {
  json_t *v = get(root, path);
  if (!json_is_number(v))
    fail_msg("%s is not a number", path);
  double got = json_number_value(v);
  if (fabs(got - want) > 1e-9)
    fail_msg("%s: got %.6f, want %.6f", path, got, want);
}

static void null(json_t *root, const char *path) {
  if (!json_is_null(get(root, path)))
    fail_msg("%s: want null", path);
}

/* count, mean, median, p90, max */
static void stats(json_t *root, const char *path, double n, double mean, double median,
                  double p90, double max) {
  char p[128];
  const char *k[] = {"count", "mean", "median", "p90", "max"};
  double v[] = {n, mean, median, p90, max};
  for (int i = 0; i < 5; i++) {
    snprintf(p, sizeof p, "%s.%s", path, k[i]);
    num(root, p, v[i]);
  }
}

/* ---- the report ---- */

static const char since[] = "2026-11-23T00:00:00Z", until[] = "2026-11-24T00:00:00Z";

static void period_and_demand(void **state) {
  (void)state;
  sqlite3 *db = fixture();
  json_t *r = compute(db, since, until);
  assert_string_equal(json_string_value(get(r, "schema")), "parley.care.v1");
  assert_string_equal(json_string_value(get(r, "period.since")), "2026-11-23T00:00:00.000Z");
  assert_string_equal(json_string_value(get(r, "period.until")), "2026-11-24T00:00:00.000Z");
  num(r, "period.hours", 24);
  /* customer messages in the period: twitter m1 09, m3 10, m6 09, m7 09,
   * m9 12, m10 22, m13 14, m15 16 = 8; facebook 08, 10, 11, 13, 13, 23, 15
   * = 7 (the reaction and the system event are not demand; T1's 05:00 is
   * after until, T5's first before since) */
  num(r, "overall.demand.messages", 15);
  num(r, "overall.demand.per_hour", 15.0 / 24);
  num(r, "per_platform.twitter.demand.messages", 8);
  num(r, "per_platform.twitter.demand.per_hour", 8.0 / 24);
  num(r, "per_platform.facebook.demand.messages", 7);
  num(r, "overall.demand.by_day.2026-11-23", 15);
  assert_int_equal(json_object_size(get(r, "overall.demand.by_day")), 1);
  json_t *hours = get(r, "overall.demand.by_hour_of_day");
  assert_int_equal(json_array_size(hours), 24);
  static const int want[24] = {[8] = 1, [9] = 3, [10] = 2, [11] = 1, [12] = 1, [13] = 2,
                               [14] = 1, [15] = 1, [16] = 1, [22] = 1, [23] = 1};
  for (int h = 0; h < 24; h++)
    assert_int_equal(json_integer_value(json_array_get(hours, (size_t)h)), want[h]);
  hours = get(r, "per_platform.facebook.demand.by_hour_of_day");
  assert_int_equal(json_integer_value(json_array_get(hours, 13)), 2);
  assert_int_equal(json_integer_value(json_array_get(hours, 9)), 0);
  json_decref(r);
  sqlite3_close(db);
}

static void first_response_times(void **state) {
  (void)state;
  sqlite3 *db = fixture();
  json_t *r = compute(db, since, until);
  /* first inbound in the period: T1 T2 T3 T4 T6 F1 F2 F3 F4 F5 (10; T5's is
   * on 11-22). Answered: T1 600, T2 2700 (from 09:00, not 09:05), T6 1200,
   * F1 1800, F3 1200. Sorted 600 1200 1200 1800 2700: mean 1500; median
   * 1200; p90 h = 4 * 0.9 = 3.6: 1800 + 0.6 * 900 = 2340. Waiting: T3 T4 F4
   * F5 (F5's 15:00 answer came before its first message); F2 resolved
   * without an answer. */
  stats(r, "overall.first_response", 5, 1500, 1200, 2340, 2700);
  num(r, "overall.first_response.conversations", 10);
  num(r, "overall.first_response.unanswered", 4);
  num(r, "overall.first_response.closed_unanswered", 1);
  /* twitter 600 1200 2700: median 1200, p90 h = 1.8: 1200 + 0.8 * 1500 */
  stats(r, "per_platform.twitter.first_response", 3, 1500, 1200, 2400, 2700);
  num(r, "per_platform.twitter.first_response.conversations", 5);
  num(r, "per_platform.twitter.first_response.unanswered", 2);
  /* facebook 1200 1800: median 1500, p90 h = 0.9: 1200 + 0.9 * 600 */
  stats(r, "per_platform.facebook.first_response", 2, 1500, 1500, 1740, 1800);
  num(r, "per_platform.facebook.first_response.closed_unanswered", 1);
  json_decref(r);
  sqlite3_close(db);
}

static void response_and_handling_times(void **state) {
  (void)state;
  sqlite3 *db = fixture();
  json_t *r = compute(db, since, until);
  /* answers in the period that end a wait: T1 600, 1800; T2 2700; T5 18000
   * (its wait began before since); T6 1200, 300 (the wait after the 15:00
   * resolution began at 16:00); F1 1800; F3 1200. F5's 15:00 answered
   * nothing, F4's is after until. Sorted 300 600 1200 1200 1800 1800 2700
   * 18000: sum 27600, mean 3450; median h = 3.5: 1200 + 0.5 * 600 = 1500;
   * p90 h = 6.3: 2700 + 0.3 * 15300 = 7290. */
  stats(r, "overall.response", 8, 3450, 1500, 7290, 18000);
  /* twitter 300 600 1200 1800 2700 18000: mean 4100; median 1500; p90
   * h = 4.5: 2700 + 0.5 * 15300 = 10350 */
  stats(r, "per_platform.twitter.response", 6, 4100, 1500, 10350, 18000);
  stats(r, "per_platform.facebook.response", 2, 1500, 1500, 1740, 1800);
  /* resolutions in the period: T1 11:00 - 09:00 = 7200; T5 (resolved_at
   * only) 02:00 - 11-22 20:00 = 21600; T6 15:00 - 14:00 = 3600 and 17:00 -
   * 16:00 = 3600 (the second episode starts at its first message); F1
   * 7200; F2 300. Sorted 300 3600 3600 7200 7200 21600: mean 7250; median
   * 5400; p90 h = 4.5: 7200 + 0.5 * 14400 = 14400. */
  num(r, "overall.resolved", 6);
  stats(r, "overall.handling", 6, 7250, 5400, 14400, 21600);
  /* twitter 3600 3600 7200 21600: mean 9000, median 5400, p90 h = 2.7:
   * 7200 + 0.7 * 14400 = 17280 */
  num(r, "per_platform.twitter.resolved", 4);
  stats(r, "per_platform.twitter.handling", 4, 9000, 5400, 17280, 21600);
  /* facebook 300 7200: p90 h = 0.9: 300 + 0.9 * 6900 = 6510 */
  stats(r, "per_platform.facebook.handling", 2, 3750, 3750, 6510, 7200);
  json_decref(r);
  sqlite3_close(db);
}

static void sla_share(void **state) {
  (void)state;
  sqlite3 *db = fixture();
  json_t *r = compute(db, since, until);
  /* first messages' sla: within T1 (09:10 <= 09:30), F1, F3; late T2
   * (09:45 > 09:15); breached unanswered T3 (13:00), F4 (23:30); pending T4
   * (due after until); closed unanswered F2; without sla T6, F5. Share:
   * 3 / (3 + 1 + 2) */
  num(r, "overall.sla.conversations", 8);
  num(r, "overall.sla.without_sla", 2);
  num(r, "overall.sla.within", 3);
  num(r, "overall.sla.late", 1);
  num(r, "overall.sla.breached_unanswered", 2);
  num(r, "overall.sla.pending", 1);
  num(r, "overall.sla.closed_unanswered", 1);
  num(r, "overall.sla.share_within", 0.5);
  num(r, "per_platform.twitter.sla.share_within", 1.0 / 3);
  num(r, "per_platform.twitter.sla.conversations", 4);
  num(r, "per_platform.facebook.sla.share_within", 2.0 / 3);
  num(r, "per_platform.facebook.sla.without_sla", 1);
  json_decref(r);
  sqlite3_close(db);
}

static void open_and_unresolved_at_until(void **state) {
  (void)state;
  sqlite3 *db = fixture();
  json_t *r = compute(db, since, until);
  /* waiting at until, age from the first unanswered message: T3 43200, T4
   * 7200, F3 39600 (13:00), F4 3600, F5 30600. Sorted 3600 7200 30600 39600
   * 43200. SLA passed: T3, F3 (13:30), F4 */
  num(r, "overall.open.count", 5);
  num(r, "overall.open.oldest_seconds", 43200);
  num(r, "overall.open.median_age_seconds", 30600);
  num(r, "overall.open.sla_breached", 3);
  num(r, "per_platform.twitter.open.count", 2);
  num(r, "per_platform.twitter.open.median_age_seconds", 25200);
  num(r, "per_platform.twitter.open.sla_breached", 1);
  num(r, "per_platform.facebook.open.oldest_seconds", 39600);
  num(r, "per_platform.facebook.open.sla_breached", 2);
  /* not resolved, age from the episode's first message: T2 54000, T3
   * 43200, T4 7200, F3 46800 (11:00), F4 3600, F5 30600 */
  num(r, "overall.unresolved.count", 6);
  num(r, "overall.unresolved.oldest_seconds", 54000);
  num(r, "overall.unresolved.median_age_seconds", 36900);
  num(r, "per_platform.twitter.unresolved.median_age_seconds", 43200);
  num(r, "per_platform.facebook.unresolved.oldest_seconds", 46800);
  json_decref(r);
  sqlite3_close(db);
}

static void per_agent(void **state) {
  (void)state;
  sqlite3 *db = fixture();
  json_t *r = compute(db, since, until);
  /* alice answered 600 1800 18000 300 (median 1200), resolved T1 7200 and
   * T6 3600 (median 5400); bob answered 2700, resolved T5 21600 (by
   * resolved_by) and T6 3600; carol answered 1800 1200, resolved F1 7200
   * and F2 300. T6's native 14:20 answer has no agent. */
  num(r, "per_agent.alice.responses", 4);
  num(r, "per_agent.alice.median_response_seconds", 1200);
  num(r, "per_agent.alice.resolved", 2);
  num(r, "per_agent.alice.median_handling_seconds", 5400);
  num(r, "per_agent.bob.responses", 1);
  num(r, "per_agent.bob.median_response_seconds", 2700);
  num(r, "per_agent.bob.resolved", 2);
  num(r, "per_agent.bob.median_handling_seconds", 12600);
  num(r, "per_agent.carol.responses", 2);
  num(r, "per_agent.carol.median_response_seconds", 1500);
  num(r, "per_agent.carol.median_handling_seconds", 3750);
  assert_int_equal(json_object_size(get(r, "per_agent")), 3);
  json_decref(r);
  sqlite3_close(db);
}

static void without_since_the_period_starts_at_the_first_message(void **state) {
  (void)state;
  sqlite3 *db = fixture();
  json_t *r = compute(db, NULL, until);
  assert_string_equal(json_string_value(get(r, "period.since")), "2026-11-22T20:00:00.000Z");
  num(r, "period.hours", 28);
  num(r, "overall.demand.messages", 16);
  num(r, "overall.demand.by_day.2026-11-22", 1);
  /* T5 joins: first response 18000, late (due 11-22 21:00) */
  num(r, "overall.first_response.count", 6);
  num(r, "overall.first_response.max", 18000);
  num(r, "overall.sla.late", 2);
  json_decref(r);
  sqlite3_close(db);
}

static void an_earlier_until_sees_the_store_as_it_was(void **state) {
  (void)state;
  sqlite3 *db = fixture();
  /* at 09:20: T1 answered (600), T2 waiting since 09:00 (1200 s, sla 09:15
   * passed), F1 answered and not resolved yet */
  json_t *r = compute(db, since, "2026-11-23T09:20:00Z");
  num(r, "overall.first_response.count", 2);
  num(r, "overall.first_response.unanswered", 1);
  num(r, "overall.open.count", 1);
  num(r, "overall.open.oldest_seconds", 1200);
  num(r, "overall.open.sla_breached", 1);
  num(r, "overall.resolved", 1); /* T5 at 02:00 */
  null(r, "per_platform.facebook.handling.median");
  json_decref(r);
  sqlite3_close(db);
}

static void an_empty_store_gives_zeros_and_nulls(void **state) {
  (void)state;
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
  schema(db);
  json_t *r = compute(db, NULL, until);
  null(r, "period.since");
  null(r, "overall.demand.per_hour");
  num(r, "overall.first_response.count", 0);
  null(r, "overall.first_response.median");
  null(r, "overall.sla.share_within");
  null(r, "overall.open.oldest_seconds");
  assert_int_equal(json_object_size(get(r, "per_platform")), 0);
  json_decref(r);
  sqlite3_close(db);
}

static void bad_periods_and_v1_stores_are_refused(void **state) {
  (void)state;
  sqlite3 *db = fixture();
  json_t *out = NULL;
  parley_error_t err = {0};
  assert_int_equal(parley_care_compute(db, "yesterday", until, &out, &err), PARLEY_EINVAL);
  assert_true(strncmp(err.message, "since: ", 7) == 0);
  assert_int_equal(parley_care_compute(db, since, "2026-13-01", &out, &err), PARLEY_EINVAL);
  assert_true(strncmp(err.message, "until: ", 7) == 0);
  assert_int_equal(parley_care_compute(db, until, since, &out, &err), PARLEY_EINVAL);
  assert_null(out);
  sqlite3_close(db);
  assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
  exec(db, "CREATE TABLE messages (id TEXT); CREATE TABLE conversations (id TEXT)");
  assert_int_equal(parley_care_compute(db, since, until, &out, &err), PARLEY_EIO);
  assert_non_null(strstr(err.message, "v2"));
  sqlite3_close(db);
}

static void percentiles_interpolate_between_ranks(void **state) {
  (void)state;
  const double v[] = {10, 20, 30, 40};
  assert_true(isnan(parley_care_percentile(v, 0, 0.5)));
  assert_true(parley_care_percentile(v, 1, 0.9) == 10);
  assert_true(parley_care_percentile(v, 4, 0.5) == 25);
  assert_true(fabs(parley_care_percentile(v, 4, 0.9) - 37) < 1e-9); /* h = 2.7 */
  assert_true(parley_care_percentile(v, 4, 1.0) == 40);
  assert_true(parley_care_percentile(v, 4, 0.0) == 10);
}

/* ---- live ---- */

static int64_t ms(const char *t) {
  char buf[32];
  int64_t v = 0;
  assert_int_equal(parley_time_parse(at(t, buf), &v), 0);
  return v;
}

static parley_event_t *ev(const char *id, const char *conv_id, const char *platform,
                          parley_kind_t kind, const char *created, const char *sla) {
  parley_event_t *e = parley_event_new();
  parley_event_set_id(e, id);
  parley_event_set_platform(e, platform);
  parley_event_set_kind(e, kind);
  if (conv_id)
    parley_event_set_conversation_id(e, conv_id);
  parley_event_set_created_at(e, ms(created));
  if (sla)
    parley_event_set_sla_due(e, ms(sla));
  return e;
}

static void feed(parley_care_live_t *c, const char *id, const char *conv_id,
                 const char *platform, parley_kind_t kind, const char *created,
                 const char *sla) {
  parley_event_t *e = ev(id, conv_id, platform, kind, created, sla);
  parley_care_live_event(c, e);
  parley_event_free(e);
}

static void has_line(const char *text, const char *line) {
  char want[512];
  snprintf(want, sizeof want, "\n%s\n", line);
  if (!strstr(text, want))
    fail_msg("no line \"%s\" in:\n%s", line, text);
}

static void live_metrics_follow_the_timeline(void **state) {
  (void)state;
  parley_metrics_t *m = parley_metrics_new();
  parley_care_live_t *c = parley_care_live_new(m);
  assert_non_null(c);
  const parley_kind_t IN = PARLEY_KIND_MENTION, OUT = PARLEY_KIND_OUTBOUND;
  /* T1 as in the store: first response 600 within, response 1800, then
   * resolved 11:00 (handling 7200) */
  feed(c, "tw:1", "T1", "twitter", IN, "09:00", "09:30");
  feed(c, "tw:2", "T1", "twitter", OUT, "09:10", NULL);
  feed(c, "tw:3", "T1", "twitter", IN, "10:00", "10:30");
  feed(c, "tw:3r", "T1", "twitter", PARLEY_KIND_REACTION, "10:01", NULL);
  feed(c, "tw:4", "T1", "twitter", OUT, "10:30", NULL);
  parley_care_live_resolved(c, "T1", "twitter", "alice", ms("11:00"));
  /* T2: two messages, answered late (2700 from the first) */
  feed(c, "tw:6", "T2", "twitter", IN, "09:00", "09:15");
  feed(c, "tw:7", "T2", "twitter", IN, "09:05", "09:20");
  feed(c, "tw:8", "T2", "twitter", OUT, "09:45", NULL);
  /* a lone mention answered by a reply naming it (no conversation_id) */
  parley_event_t *lone = ev("fb:9", NULL, "facebook", IN, "12:00", NULL);
  parley_care_live_event(c, lone);
  parley_event_free(lone);
  parley_event_t *reply = ev("fb:10", NULL, "facebook", OUT, "12:05", NULL);
  parley_event_set_in_reply_to(reply, "fb:9");
  parley_care_live_event(c, reply);
  parley_event_free(reply);
  /* waiting: F3 since 13:00 and F4 since 23:00; a brand-first conversation
   * whose answer came before the customer's message is not answered */
  feed(c, "fb:11", "F3", "facebook", IN, "13:00", NULL);
  feed(c, "fb:12", "F4", "facebook", IN, "23:00", NULL);
  feed(c, "fb:13", "F5", "facebook", OUT, "15:00", NULL);
  /* resolved by someone with a quote in the name: escaped */
  parley_care_live_resolved(c, "F9", "facebook", "o\"neil", ms("13:00"));
  parley_care_live_refresh(c, ms("24 00:00"));
  char *text = parley_metrics_text(m);
  assert_non_null(text);
  has_line(text, "# TYPE parley_first_response_seconds histogram");
  has_line(text, "parley_first_response_seconds_bucket{platform=\"twitter\",le=\"300\"} 0");
  has_line(text, "parley_first_response_seconds_bucket{platform=\"twitter\",le=\"900\"} 1");
  has_line(text, "parley_first_response_seconds_bucket{platform=\"twitter\",le=\"3600\"} 2");
  has_line(text, "parley_first_response_seconds_sum{platform=\"twitter\"} 3300");
  has_line(text, "parley_first_response_seconds_count{platform=\"twitter\"} 2");
  has_line(text, "parley_first_response_seconds_count{platform=\"facebook\"} 1");
  has_line(text, "parley_response_seconds_sum{platform=\"twitter\"} 5100");
  has_line(text, "parley_response_seconds_count{platform=\"twitter\"} 3");
  has_line(text, "parley_handling_seconds_sum{platform=\"twitter\"} 7200");
  has_line(text, "parley_answered_within_sla_total{platform=\"twitter\"} 1");
  has_line(text, "parley_answered_after_sla_total{platform=\"twitter\"} 1");
  has_line(text, "parley_customer_messages_total{platform=\"twitter\"} 4");
  has_line(text, "parley_customer_messages_total{platform=\"facebook\"} 3");
  has_line(text, "parley_open_conversations{platform=\"twitter\"} 0");
  has_line(text, "parley_open_conversations{platform=\"facebook\"} 2");
  has_line(text, "parley_oldest_open_conversation_seconds{platform=\"facebook\"} 39600");
  has_line(text, "parley_resolved_total{agent=\"alice\"} 1");
  has_line(text, "parley_resolved_total{agent=\"o\\\"neil\"} 1");
  assert_non_null(strstr(text, "# HELP parley_response_seconds "));
  free(text);
  parley_care_live_free(c);
  parley_metrics_free(m);
}

static void live_metrics_take_an_answer_that_arrived_before_its_message(void **state) {
  (void)state;
  parley_metrics_t *m = parley_metrics_new();
  parley_care_live_t *c = parley_care_live_new(m);
  assert_non_null(c);
  /* two sources: the brand's reply (09:10) is committed before the DM it
   * answers (09:00); a later message (10:00) waits as usual */
  feed(c, "tw:2", "D1", "twitter", PARLEY_KIND_OUTBOUND, "09:10", NULL);
  feed(c, "tw:1", "D1", "twitter", PARLEY_KIND_DIRECT_MESSAGE, "09:00", NULL);
  parley_care_live_refresh(c, ms("09:30"));
  char *text = parley_metrics_text(m);
  has_line(text, "parley_open_conversations{platform=\"twitter\"} 0");
  free(text);
  feed(c, "tw:3", "D1", "twitter", PARLEY_KIND_DIRECT_MESSAGE, "10:00", NULL);
  parley_care_live_refresh(c, ms("10:30"));
  text = parley_metrics_text(m);
  has_line(text, "parley_open_conversations{platform=\"twitter\"} 1");
  free(text);
  parley_care_live_free(c);
  parley_metrics_free(m);
}

static void live_tracking_is_bounded(void **state) {
  (void)state;
  parley_metrics_t *m = parley_metrics_new();
  parley_care_live_t *c = parley_care_live_new(m);
  char id[32];
  for (int i = 0; i < 70000; i++) {
    snprintf(id, sizeof id, "c%d", i);
    feed(c, id, id, "twitter", PARLEY_KIND_MENTION, "09:00", NULL);
  }
  parley_care_live_refresh(c, ms("10:00"));
  assert_int_equal((int)*parley_metrics_gauge(m, "parley_open_conversations",
                                              "platform=\"twitter\""),
                   65536);
  assert_int_equal(*parley_metrics_counter(m, "parley_care_conversations_forgotten_total", NULL),
                   70000 - 65536);
  parley_care_live_free(c);
  parley_metrics_free(m);
}

/* The store's state machine (output_sqlite_schema.c) with messages arriving
 * out of order: a poll that lists newest first, a webhook and a poll, or two
 * connectors interleaving. */
typedef struct step {
  int out;
  const char *t;    /* created_at, at() notation */
  const char *type; /* the change expected, NULL: none */
  parley_conv_status_t after;
} step_t;

static void run_steps(const step_t *steps, size_t n) {
  parley_conv_state_t c = {0};
  for (size_t i = 0; i < n; i++) {
    char buf[32];
    parley_conv_status_t from;
    const char *type = parley_conv_step(&c, steps[i].out, at(steps[i].t, buf), &from);
    if (steps[i].type)
      assert_non_null(type);
    if (type && !steps[i].type)
      fail_msg("step %zu: unexpected change %s", i, type);
    if (type)
      assert_string_equal(type, steps[i].type);
    assert_int_equal(c.status, steps[i].after);
  }
}

static void in_order_conversations_open_answer_and_reopen(void **state) {
  (void)state;
  const step_t s[] = {
      {0, "09:00", "opened", PARLEY_CONV_OPEN},
      {0, "09:05", NULL, PARLEY_CONV_OPEN},
      {1, "09:10", "answered", PARLEY_CONV_ANSWERED},
      {0, "10:00", "reopened", PARLEY_CONV_OPEN},
  };
  run_steps(s, sizeof s / sizeof *s);
}

static void a_customer_message_older_than_the_answer_does_not_reopen(void **state) {
  (void)state;
  /* newest first: the brand's reply, then the DM it answers */
  const step_t s[] = {
      {1, "09:10", "answered", PARLEY_CONV_ANSWERED},
      {0, "09:00", NULL, PARLEY_CONV_ANSWERED},
      /* a later message does reopen it */
      {0, "10:00", "reopened", PARLEY_CONV_OPEN},
  };
  run_steps(s, sizeof s / sizeof *s);
}

static void an_answer_older_than_the_customers_last_message_does_not_answer(void **state) {
  (void)state;
  /* in 09:00, out 09:10, in 10:00, received newest first */
  const step_t s[] = {
      {0, "10:00", "opened", PARLEY_CONV_OPEN},
      {1, "09:10", NULL, PARLEY_CONV_OPEN},
      {0, "09:00", NULL, PARLEY_CONV_OPEN},
      /* the answer to 10:00 */
      {1, "10:20", "answered", PARLEY_CONV_ANSWERED},
      /* a late copy of the 09:00 message still does not reopen */
      {0, "09:00", NULL, PARLEY_CONV_ANSWERED},
  };
  run_steps(s, sizeof s / sizeof *s);
}

static void the_same_instant_and_unknown_times_follow_arrival(void **state) {
  (void)state;
  const step_t s[] = {
      {1, "09:10", "answered", PARLEY_CONV_ANSWERED},
      {0, "09:10", "opened", PARLEY_CONV_OPEN}, /* not older: the customer wrote again */
      {1, NULL, "answered", PARLEY_CONV_ANSWERED},
      {0, NULL, "reopened", PARLEY_CONV_OPEN},
  };
  run_steps(s, sizeof s / sizeof *s);
}

static void a_resolved_conversation_reopens_whatever_the_time(void **state) {
  (void)state;
  parley_conv_state_t c = {.status = PARLEY_CONV_RESOLVED, .had_inbound = 1};
  parley_conv_state_time(c.last_out, "2026-11-23T09:10:00.000Z");
  parley_conv_status_t from;
  const char *type = parley_conv_step(&c, 0, "2026-11-23T09:00:00.000Z", &from);
  assert_non_null(type);
  assert_string_equal(type, "reopened");
  assert_int_equal(from, PARLEY_CONV_RESOLVED);
  assert_int_equal(c.status, PARLEY_CONV_OPEN);
}

static void a_stored_time_too_long_is_unknown(void **state) {
  (void)state;
  char t[PARLEY_CONV_TIME_MAX];
  char longer[PARLEY_CONV_TIME_MAX + 8];
  memset(longer, '9', sizeof longer - 1);
  longer[sizeof longer - 1] = '\0';
  parley_conv_state_time(t, longer);
  assert_string_equal(t, "");
  parley_conv_state_time(t, NULL);
  assert_string_equal(t, "");
  parley_conv_state_time(t, "2026-11-23T09:10:00.000Z");
  assert_string_equal(t, "2026-11-23T09:10:00.000Z");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(period_and_demand),
      cmocka_unit_test(first_response_times),
      cmocka_unit_test(response_and_handling_times),
      cmocka_unit_test(sla_share),
      cmocka_unit_test(open_and_unresolved_at_until),
      cmocka_unit_test(per_agent),
      cmocka_unit_test(without_since_the_period_starts_at_the_first_message),
      cmocka_unit_test(an_earlier_until_sees_the_store_as_it_was),
      cmocka_unit_test(an_empty_store_gives_zeros_and_nulls),
      cmocka_unit_test(bad_periods_and_v1_stores_are_refused),
      cmocka_unit_test(percentiles_interpolate_between_ranks),
      cmocka_unit_test(live_metrics_follow_the_timeline),
      cmocka_unit_test(live_tracking_is_bounded),
      cmocka_unit_test(live_metrics_take_an_answer_that_arrived_before_its_message),
      cmocka_unit_test(in_order_conversations_open_answer_and_reopen),
      cmocka_unit_test(a_customer_message_older_than_the_answer_does_not_reopen),
      cmocka_unit_test(an_answer_older_than_the_customers_last_message_does_not_answer),
      cmocka_unit_test(the_same_instant_and_unknown_times_follow_arrival),
      cmocka_unit_test(a_resolved_conversation_reopens_whatever_the_time),
      cmocka_unit_test(a_stored_time_too_long_is_unknown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
