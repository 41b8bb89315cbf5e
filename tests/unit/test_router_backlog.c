/* The router's undelivered backlog: running totals kept on commit and
 * cursor moves, and rebuilt from a real journal after a restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "router.h"

static void adds_and_leaves_by_the_lowest_cursor(void **state) {
  parley_backlog_t b = {0};
  (void)state;
  parley_backlog_add(&b, 1, 1000, 100);
  parley_backlog_add(&b, 2, 1001, 50);
  parley_backlog_add(&b, 3, 1002, 25);
  assert_int_equal(b.bytes, 175);
  assert_int_equal(parley_backlog_oldest_ms(&b), 1000);
  /* a partly delivered chunk still counts whole: an over-estimate */
  parley_backlog_advance(&b, 2);
  assert_int_equal(b.bytes, 175);
  parley_backlog_advance(&b, 1); /* cursors never go back */
  assert_int_equal(b.passed, 2);
  parley_backlog_advance(&b, 3);
  assert_int_equal(b.bytes, 0);
  assert_int_equal(parley_backlog_oldest_ms(&b), 0);
  /* an event every output already passed does not count */
  parley_backlog_add(&b, 3, 1003, 10);
  assert_int_equal(b.bytes, 0);
  parley_backlog_free(&b);
}

static void chunks_are_bounded_in_events_and_time(void **state) {
  parley_backlog_t b = {0};
  (void)state;
  for (int64_t seq = 1; seq <= 3 * PARLEY_BACKLOG_CHUNK_EVENTS; seq++)
    parley_backlog_add(&b, seq, 5000, 10);
  assert_int_equal(b.n, 3);
  parley_backlog_advance(&b, PARLEY_BACKLOG_CHUNK_EVENTS);
  assert_int_equal(b.bytes, 2 * PARLEY_BACKLOG_CHUNK_EVENTS * 10);
  /* a trickle: one chunk per PARLEY_BACKLOG_CHUNK_MS, so the oldest age is
   * never off by more than that */
  int64_t seq = 3 * PARLEY_BACKLOG_CHUNK_EVENTS;
  parley_backlog_advance(&b, seq);
  parley_backlog_add(&b, seq + 1, 10000, 1);
  parley_backlog_add(&b, seq + 2, 10000 + PARLEY_BACKLOG_CHUNK_MS, 1);
  assert_int_equal(b.n, 2);
  parley_backlog_advance(&b, seq + 1);
  assert_int_equal(parley_backlog_oldest_ms(&b), 10000 + PARLEY_BACKLOG_CHUNK_MS);
  assert_int_equal(b.bytes, 1);
  parley_backlog_free(&b);
}

static void many_chunks_wrap_the_ring_and_keep_the_totals(void **state) {
  parley_backlog_t b = {0};
  uint64_t want = 0;
  (void)state;
  /* one event per chunk (a second apart); leave and add so the ring wraps
   * and grows while wrapped */
  for (int64_t seq = 1; seq <= 1000; seq++) {
    parley_backlog_add(&b, seq, seq * PARLEY_BACKLOG_CHUNK_MS, (size_t)seq);
    want += (uint64_t)seq;
    if (seq % 3 == 0) {
      parley_backlog_advance(&b, seq - 100);
      want = 0;
      for (int64_t s = (seq - 100 > 0 ? seq - 100 : 0) + 1; s <= seq; s++)
        want += (uint64_t)s;
    }
    assert_int_equal(b.bytes, want);
  }
  parley_backlog_free(&b);
}

/* ---- across a restart, with a real journal ---- */

/* A journal in a fresh temp dir; the test removes it with drop(). */
static parley_journal_t *temp_journal(char *dir, size_t dlen, char *path, size_t plen) {
  parley_journal_t *j = NULL;
  parley_error_t err = {0};
  snprintf(dir, dlen, "/tmp/parley-backlog-XXXXXX");
  assert_non_null(mkdtemp(dir));
  snprintf(path, plen, "%s/journal.db", dir);
  assert_int_equal(parley_journal_open(&j, path, &err), 0);
  return j;
}

static void drop(const char *dir, const char *path) {
  char p[192];
  for (const char *const *s = (const char *const[]){"", "-wal", "-shm", NULL}; *s; s++) {
    snprintf(p, sizeof p, "%s%s", path, *s);
    unlink(p);
  }
  rmdir(dir);
}

static parley_journal_entry_t entry(const char *id, const char *json) {
  return (parley_journal_entry_t){
      .id = id, .instance = "tc1", .json = json, .json_len = strlen(json)};
}

static void reload_after_restart_gives_the_totals_of_the_last_run(void **state) {
  char dir[64], path[128];
  parley_journal_t *j = temp_journal(dir, sizeof dir, path, sizeof path);
  parley_error_t err = {0};
  (void)state;
  parley_journal_entry_t e[4] = {entry("a", "{\"n\":1}"), entry("b", "{\"n\":22}"),
                                 entry("c", "{\"n\":333}"), entry("d", "{\"n\":4444}")};
  parley_backlog_t live = {0}, loaded = {0};

  assert_int_equal(parley_journal_commit(j, e, 4, NULL, 0, &err), 0);
  for (int i = 0; i < 4; i++)
    parley_backlog_add(&live, e[i].seq, e[i].received_ms, e[i].json_len);
  /* the slowest output delivered the first two; the process stops */
  parley_backlog_advance(&live, 2);
  assert_int_equal(parley_journal_cursor_set(j, "slow", 2), 0);
  parley_journal_close(j);
  j = NULL;
  assert_int_equal(parley_journal_open(&j, path, &err), 0);
  int64_t cursor = 0;
  assert_int_equal(parley_journal_cursor_get(j, "slow", &cursor), 0);
  assert_int_equal(parley_backlog_load(&loaded, j, cursor, &err), 0);
  /* exact after a load: it starts at the cursor, not inside a chunk */
  assert_int_equal(loaded.bytes, e[2].json_len + e[3].json_len);
  assert_true(live.bytes >= loaded.bytes);
  assert_int_equal(parley_backlog_oldest_ms(&loaded), e[2].received_ms);
  /* pruning the delivered ones changes nothing about the backlog */
  assert_int_equal(parley_journal_prune(j, cursor, INT64_MAX, 100), 2);
  parley_backlog_free(&loaded);
  assert_int_equal(parley_backlog_load(&loaded, j, cursor, &err), 0);
  assert_int_equal(loaded.bytes, e[2].json_len + e[3].json_len);
  parley_backlog_advance(&loaded, 4);
  assert_int_equal(loaded.bytes, 0);
  parley_backlog_free(&loaded);
  parley_backlog_free(&live);
  parley_journal_close(j);
  drop(dir, path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(adds_and_leaves_by_the_lowest_cursor),
      cmocka_unit_test(chunks_are_bounded_in_events_and_time),
      cmocka_unit_test(many_chunks_wrap_the_ring_and_keep_the_totals),
      cmocka_unit_test(reload_after_restart_gives_the_totals_of_the_last_run),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
