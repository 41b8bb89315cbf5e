/* The journal: what a batch commit guarantees, dedup, checkpoints, cursors,
 * actions, pruning, open errors, and survival of kill -9. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "journal.h"

typedef struct fixture {
  char dir[64];
  char path[128];
  parley_journal_t *j;
} fixture_t;

static int setup(void **state) {
  fixture_t *f = calloc(1, sizeof *f);
  parley_error_t err = {0};
  assert_non_null(f);
  snprintf(f->dir, sizeof f->dir, "/tmp/parley-journal-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  snprintf(f->path, sizeof f->path, "%s/journal.db", f->dir);
  assert_int_equal(parley_journal_open(&f->j, f->path, &err), 0);
  *state = f;
  return 0;
}

/* The temp dir is flat: remove its files, then the dir. */
static void remove_dir(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char p[512];
  chmod(dir, 0700);
  if (!d)
    return;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    unlink(p);
  }
  closedir(d);
  rmdir(dir);
}

static int teardown(void **state) {
  fixture_t *f = *state;
  parley_journal_close(f->j);
  remove_dir(f->dir);
  free(f);
  return 0;
}

static void reopen(fixture_t *f) {
  parley_error_t err = {0};
  parley_journal_close(f->j);
  f->j = NULL;
  assert_int_equal(parley_journal_open(&f->j, f->path, &err), 0);
}

static parley_journal_entry_t entry(const char *id, const char *json) {
  parley_journal_entry_t e = {0};
  e.id = id;
  e.instance = "tw-brand";
  e.conversation = "conv-1";
  e.json = json;
  e.json_len = strlen(json);
  return e;
}

/* Run SQL on the journal file through a separate connection, as an
 * operator with the sqlite3 CLI would. */
static void sql_exec(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
}

typedef struct collected {
  size_t n;
  int64_t seq[16];
  char id[16][32];
  char json[16][64];
  size_t stop_after; /* 0: never stop */
} collected_t;

static int collect(int64_t seq, const char *id, const char *json, size_t len, void *data) {
  collected_t *c = data;
  assert_true(c->n < 16);
  assert_int_equal(strlen(json), len); /* NUL-terminated at len */
  c->seq[c->n] = seq;
  snprintf(c->id[c->n], sizeof c->id[0], "%s", id);
  snprintf(c->json[c->n], sizeof c->json[0], "%.*s", (int)len, json);
  c->n++;
  return c->stop_after && c->n == c->stop_after;
}

static int64_t count_events(parley_journal_t *j) {
  int64_t n = -1, bytes = -1;
  assert_int_equal(parley_journal_stats(j, &n, &bytes), 0);
  assert_true(bytes > 0);
  return n;
}

/* ---- commit and read ------------------------------------------------- */

static void commit_then_read_returns_events_in_seq_order(void **state) {
  fixture_t *f = *state;
  parley_journal_entry_t e[3] = {entry("tw:1", "{\"n\":1}"), entry("tw:2", "{\"n\":2}"),
                                 entry("tw:3", "{\"n\":3}")};
  collected_t c = {0};
  parley_error_t err = {0};

  assert_int_equal(parley_journal_commit(f->j, e, 3, NULL, 0, &err), 0);
  assert_int_equal(e[0].seq, 1);
  assert_int_equal(e[1].seq, 2);
  assert_int_equal(e[2].seq, 3);
  assert_int_equal(parley_journal_read(f->j, 0, 100, collect, &c), 0);
  assert_int_equal(c.n, 3);
  assert_string_equal(c.id[0], "tw:1");
  assert_string_equal(c.json[2], "{\"n\":3}");
  assert_int_equal(c.seq[2], 3);
  assert_int_equal(parley_journal_last_seq(f->j), 3);
}

static void read_starts_after_the_given_seq_and_honours_limit(void **state) {
  fixture_t *f = *state;
  parley_journal_entry_t e[4] = {entry("a", "1"), entry("b", "2"), entry("c", "3"),
                                 entry("d", "4")};
  collected_t c = {0};

  assert_int_equal(parley_journal_commit(f->j, e, 4, NULL, 0, NULL), 0);
  assert_int_equal(parley_journal_read(f->j, 1, 2, collect, &c), 0);
  assert_int_equal(c.n, 2);
  assert_string_equal(c.id[0], "b");
  assert_string_equal(c.id[1], "c");
}

static void read_stops_when_the_callback_returns_non_zero(void **state) {
  fixture_t *f = *state;
  parley_journal_entry_t e[3] = {entry("a", "1"), entry("b", "2"), entry("c", "3")};
  collected_t c = {0};

  c.stop_after = 1;
  assert_int_equal(parley_journal_commit(f->j, e, 3, NULL, 0, NULL), 0);
  assert_int_equal(parley_journal_read(f->j, 0, 10, collect, &c), 0);
  assert_int_equal(c.n, 1);
  assert_string_equal(c.id[0], "a");
}

static int expect_json(int64_t seq, const char *id, const char *json, size_t len, void *data) {
  const char *want = data;
  assert_int_equal(len, strlen(want));
  assert_memory_equal(json, want, len + 1); /* NUL included */
  return 0;
}

static void read_returns_a_1kib_event_byte_for_byte(void **state) {
  fixture_t *f = *state;
  char json[1025];
  size_t i;
  parley_journal_entry_t e;

  for (i = 0; i < sizeof json - 1; i++)
    json[i] = (char)('a' + i % 26);
  json[sizeof json - 1] = '\0';
  e = entry("big", json);
  assert_int_equal(parley_journal_commit(f->j, &e, 1, NULL, 0, NULL), 0);
  assert_int_equal(parley_journal_read(f->j, 0, 1, expect_json, json), 0);
}

static void empty_journal_has_last_seq_zero(void **state) {
  fixture_t *f = *state;
  assert_int_equal(parley_journal_last_seq(f->j), 0);
  assert_int_equal(count_events(f->j), 0);
}

/* ---- dedup ----------------------------------------------------------- */

static void commit_marks_an_id_from_an_earlier_batch_as_duplicate(void **state) {
  fixture_t *f = *state;
  parley_journal_entry_t first = entry("ig:7", "{}");
  parley_journal_entry_t again[2] = {entry("ig:7", "{}"), entry("ig:8", "{}")};

  assert_int_equal(parley_journal_commit(f->j, &first, 1, NULL, 0, NULL), 0);
  assert_int_equal(first.duplicate, 0);
  assert_int_equal(parley_journal_commit(f->j, again, 2, NULL, 0, NULL), 0);
  assert_int_equal(again[0].duplicate, 1);
  assert_int_equal(again[0].seq, 0);
  assert_int_equal(again[1].duplicate, 0);
  assert_int_equal(again[1].seq, 2);
  assert_int_equal(count_events(f->j), 2);
}

static void commit_marks_a_repeated_id_within_one_batch_as_duplicate(void **state) {
  fixture_t *f = *state;
  parley_journal_entry_t e[3] = {entry("fb:1", "{}"), entry("fb:1", "{}"), entry("fb:2", "{}")};

  assert_int_equal(parley_journal_commit(f->j, e, 3, NULL, 0, NULL), 0);
  assert_int_equal(e[0].duplicate, 0);
  assert_int_equal(e[1].duplicate, 1);
  assert_int_equal(e[1].seq, 0);
  assert_int_equal(e[2].seq, 2);
  assert_int_equal(count_events(f->j), 2);
}

static void duplicates_do_not_consume_seq_numbers(void **state) {
  fixture_t *f = *state;
  parley_journal_entry_t a = entry("x", "{}"), dup = entry("x", "{}"), b = entry("y", "{}");

  assert_int_equal(parley_journal_commit(f->j, &a, 1, NULL, 0, NULL), 0);
  assert_int_equal(parley_journal_commit(f->j, &dup, 1, NULL, 0, NULL), 0);
  assert_int_equal(parley_journal_commit(f->j, &b, 1, NULL, 0, NULL), 0);
  assert_int_equal(b.seq, 2);
  assert_int_equal(parley_journal_last_seq(f->j), 2);
}

/* ---- checkpoints and atomicity --------------------------------------- */

static void checkpoint_committed_with_its_batch_is_visible_after_reopen(void **state) {
  fixture_t *f = *state;
  parley_journal_entry_t e = entry("tw:100", "{}");
  parley_journal_checkpoint_t cp = {"tw-brand", "since_id", "100"};
  char *value = NULL;

  assert_int_equal(parley_journal_commit(f->j, &e, 1, &cp, 1, NULL), 0);
  reopen(f);
  assert_int_equal(parley_journal_checkpoint_get(f->j, "tw-brand", "since_id", &value), 0);
  assert_string_equal(value, "100");
  free(value);
}

static void later_checkpoint_replaces_the_earlier_value(void **state) {
  fixture_t *f = *state;
  parley_journal_checkpoint_t one = {"tw-brand", "since_id", "1"};
  parley_journal_checkpoint_t two = {"tw-brand", "since_id", "2"};
  char *value = NULL;

  assert_int_equal(parley_journal_commit(f->j, NULL, 0, &one, 1, NULL), 0);
  assert_int_equal(parley_journal_commit(f->j, NULL, 0, &two, 1, NULL), 0);
  assert_int_equal(parley_journal_checkpoint_get(f->j, "tw-brand", "since_id", &value), 0);
  assert_string_equal(value, "2");
  free(value);
}

static void checkpoint_never_committed_is_enoent(void **state) {
  fixture_t *f = *state;
  char *value = (char *)"sentinel";
  assert_int_equal(parley_journal_checkpoint_get(f->j, "tw-brand", "nothing", &value),
                   PARLEY_ENOENT);
  assert_null(value);
}

static void commit_with_an_entry_without_id_commits_neither_events_nor_checkpoints(
    void **state) {
  fixture_t *f = *state;
  parley_journal_entry_t e[3] = {entry("ok:1", "{}"), entry("ok:2", "{}"), entry("x", "{}")};
  parley_journal_checkpoint_t cp = {"tw-brand", "since_id", "2"};
  parley_error_t err = {0};
  char *value = NULL;

  e[2].id = NULL;
  assert_int_equal(parley_journal_commit(f->j, e, 3, &cp, 1, &err), PARLEY_EINVAL);
  assert_non_null(strstr(err.message, f->path));
  assert_non_null(strstr(err.message, "entry 2 has no id"));
  assert_int_equal(e[0].seq, 0); /* nothing looks committed */
  assert_int_equal(count_events(f->j), 0);
  assert_int_equal(parley_journal_checkpoint_get(f->j, "tw-brand", "since_id", &value),
                   PARLEY_ENOENT);
  /* and the journal is usable afterwards */
  e[2].id = "ok:3";
  assert_int_equal(parley_journal_commit(f->j, e, 3, &cp, 1, &err), 0);
  assert_int_equal(e[0].seq, 1);
}

static void commit_failing_inside_sqlite_rolls_back_everything_with_eio(void **state) {
  fixture_t *f = *state;
  parley_journal_entry_t e[2] = {entry("ok:1", "{}"), entry("ok:2", "{}")};
  parley_journal_checkpoint_t cp = {"tw-brand", "boom", "2"};
  parley_error_t err = {0};
  char *value = NULL;

  /* A trigger makes SQLite itself refuse the checkpoint, after the events
   * were inserted in the same transaction. */
  sql_exec(f->path, "CREATE TRIGGER refuse BEFORE INSERT ON checkpoints "
                    "WHEN NEW.key = 'boom' BEGIN SELECT RAISE(ABORT, 'refused by test'); END");
  assert_int_equal(parley_journal_commit(f->j, e, 2, &cp, 1, &err), PARLEY_EIO);
  assert_int_equal(err.code, PARLEY_EIO);
  assert_non_null(strstr(err.message, f->path));
  assert_non_null(strstr(err.message, "refused by test"));
  assert_string_equal(parley_journal_errmsg(f->j), err.message);
  assert_int_equal(count_events(f->j), 0);
  assert_int_equal(parley_journal_last_seq(f->j), 0);
  assert_int_equal(parley_journal_checkpoint_get(f->j, "tw-brand", "boom", &value),
                   PARLEY_ENOENT);
}

/* ---- cursors --------------------------------------------------------- */

static void cursor_set_is_persisted_across_reopen(void **state) {
  fixture_t *f = *state;
  int64_t seq = -1;

  assert_int_equal(parley_journal_cursor_set(f->j, "ndjson", 41), 0);
  assert_int_equal(parley_journal_cursor_set(f->j, "ndjson", 42), 0);
  reopen(f);
  assert_int_equal(parley_journal_cursor_get(f->j, "ndjson", &seq), 0);
  assert_int_equal(seq, 42);
}

static void cursor_of_an_output_never_set_is_enoent_and_zero(void **state) {
  fixture_t *f = *state;
  int64_t seq = -1;
  assert_int_equal(parley_journal_cursor_get(f->j, "nats", &seq), PARLEY_ENOENT);
  assert_int_equal(seq, 0);
}

/* ---- actions --------------------------------------------------------- */

static void action_begin_with_a_new_key_records_it(void **state) {
  fixture_t *f = *state;
  char *result = (char *)"sentinel";
  assert_int_equal(parley_journal_action_begin(f->j, "idem-1", "tw-brand", &result), 0);
  assert_null(result);
}

static void action_begin_while_pending_is_dup_without_result(void **state) {
  fixture_t *f = *state;
  char *result = (char *)"sentinel";
  assert_int_equal(parley_journal_action_begin(f->j, "idem-1", "tw-brand", NULL), 0);
  assert_int_equal(parley_journal_action_begin(f->j, "idem-1", "tw-brand", &result),
                   PARLEY_EDUP);
  assert_null(result);
}

static void action_begin_after_finish_returns_the_stored_result(void **state) {
  fixture_t *f = *state;
  char *result = NULL;
  assert_int_equal(parley_journal_action_begin(f->j, "idem-1", "tw-brand", NULL), 0);
  assert_int_equal(parley_journal_action_finish(f->j, "idem-1", "{\"reply_id\":\"9\"}"), 0);
  reopen(f);
  assert_int_equal(parley_journal_action_begin(f->j, "idem-1", "tw-brand", &result),
                   PARLEY_EDUP);
  assert_non_null(result);
  assert_string_equal(result, "{\"reply_id\":\"9\"}");
  free(result);
}

static void action_finish_of_an_unknown_key_is_enoent(void **state) {
  fixture_t *f = *state;
  assert_int_equal(parley_journal_action_finish(f->j, "never-begun", "{}"), PARLEY_ENOENT);
}

/* ---- prune ----------------------------------------------------------- */

static int64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void prune_never_drops_an_undelivered_event_and_keeps_ids_for_dedup(void **state) {
  fixture_t *f = *state;
  parley_journal_entry_t e[4] = {entry("a", "{\"n\":1}"), entry("b", "{\"n\":2}"),
                                 entry("c", "{\"n\":3}"), entry("d", "{\"n\":4}")};
  collected_t c = {0};

  assert_int_equal(parley_journal_commit(f->j, e, 4, NULL, 0, NULL), 0);
  /* all are older than a time far in the future: only the cursor limits */
  assert_int_equal(parley_journal_prune(f->j, 2, INT64_MAX, 100), 2);
  assert_int_equal(parley_journal_pruned_seq(f->j), 2);
  assert_int_equal(parley_journal_read(f->j, 0, 10, collect, &c), 0);
  assert_int_equal(c.n, 4);
  assert_string_equal(c.json[0], "");          /* body dropped, id kept */
  assert_string_equal(c.json[1], "");
  assert_string_equal(c.json[2], "{\"n\":3}"); /* not delivered everywhere: kept */
  assert_string_equal(c.json[3], "{\"n\":4}");
  /* a later copy of a pruned event is still a duplicate */
  e[0].id = "a";
  assert_int_equal(parley_journal_commit(f->j, e, 1, NULL, 0, NULL), 0);
  assert_int_equal(e[0].duplicate, 1);
  /* nothing more to do until the cursor moves; seq is never reused */
  assert_int_equal(parley_journal_prune(f->j, 2, INT64_MAX, 100), 0);
  assert_int_equal(parley_journal_prune(f->j, 4, INT64_MAX, 100), 2);
  assert_int_equal(parley_journal_last_seq(f->j), 4);
  e[0].id = "e";
  assert_int_equal(parley_journal_commit(f->j, e, 1, NULL, 0, NULL), 0);
  assert_int_equal(e[0].seq, 5);
}

static void prune_keeps_delivered_events_received_at_or_after_before_ms(void **state) {
  fixture_t *f = *state;
  parley_journal_entry_t old = entry("old", "{}"), recent = entry("recent", "{}");
  collected_t c = {0};
  int64_t after_old, boundary;

  assert_int_equal(parley_journal_commit(f->j, &old, 1, NULL, 0, NULL), 0);
  after_old = wall_ms();
  /* wait for the clock to pass the old event's millisecond (no timing is
   * asserted: this only orders the two receive times) */
  while ((boundary = wall_ms()) <= after_old)
    ;
  assert_int_equal(parley_journal_commit(f->j, &recent, 1, NULL, 0, NULL), 0);
  assert_true(old.received_ms < boundary && recent.received_ms >= boundary);
  assert_int_equal(parley_journal_prune(f->j, INT64_MAX, boundary, 100), 1);
  assert_int_equal(parley_journal_prune(f->j, INT64_MAX, boundary, 100), 0);
  assert_int_equal(parley_journal_read(f->j, 0, 10, collect, &c), 0);
  assert_int_equal(c.n, 2);
  assert_string_equal(c.json[0], "");
  assert_string_equal(c.id[1], "recent");
  assert_string_equal(c.json[1], "{}");
}

static void prune_works_in_batches_of_at_most_limit(void **state) {
  fixture_t *f = *state;
  parley_journal_entry_t e[5] = {entry("a", "{}"), entry("b", "{}"), entry("c", "{}"),
                                 entry("d", "{}"), entry("e", "{}")};
  assert_int_equal(parley_journal_commit(f->j, e, 5, NULL, 0, NULL), 0);
  assert_int_equal(parley_journal_prune(f->j, 5, INT64_MAX, 2), 2);
  assert_int_equal(parley_journal_prune(f->j, 5, INT64_MAX, 2), 2);
  assert_int_equal(parley_journal_prune(f->j, 5, INT64_MAX, 2), 1);
  assert_int_equal(parley_journal_prune(f->j, 5, INT64_MAX, 2), 0);
  assert_int_equal(parley_journal_pruned_seq(f->j), 5);
}

static void forget_deletes_only_pruned_ids_and_then_accepts_them_again(void **state) {
  fixture_t *f = *state;
  parley_journal_entry_t e[3] = {entry("a", "{}"), entry("b", "{}"), entry("c", "{}")};
  assert_int_equal(parley_journal_commit(f->j, e, 3, NULL, 0, NULL), 0);
  /* nothing pruned yet: nothing to forget, however old */
  assert_int_equal(parley_journal_forget(f->j, INT64_MAX, 100), 0);
  assert_int_equal(parley_journal_prune(f->j, 2, INT64_MAX, 100), 2);
  /* ids younger than the dedup window stay */
  assert_int_equal(parley_journal_forget(f->j, 0, 100), 0);
  assert_int_equal(parley_journal_forget(f->j, INT64_MAX, 1), 1);
  assert_int_equal(parley_journal_forget(f->j, INT64_MAX, 100), 1);
  assert_int_equal(count_events(f->j), 1);
  /* past the dedup window, a copy of a forgotten id is new again */
  e[0].id = "a";
  e[1].id = "c";
  assert_int_equal(parley_journal_commit(f->j, e, 2, NULL, 0, NULL), 0);
  assert_int_equal(e[0].duplicate, 0);
  assert_int_equal(e[0].seq, 4);
  assert_int_equal(e[1].duplicate, 1);
}

static void prune_position_survives_reopen(void **state) {
  fixture_t *f = *state;
  parley_journal_entry_t e[3] = {entry("a", "{}"), entry("b", "{}"), entry("c", "{}")};
  assert_int_equal(parley_journal_commit(f->j, e, 3, NULL, 0, NULL), 0);
  assert_int_equal(parley_journal_prune(f->j, 2, INT64_MAX, 100), 2);
  reopen(f);
  assert_int_equal(parley_journal_pruned_seq(f->j), 2);
  assert_int_equal(parley_journal_prune(f->j, 2, INT64_MAX, 100), 0);
  assert_int_equal(parley_journal_prune(f->j, 3, INT64_MAX, 100), 1);
}

typedef struct sizes {
  size_t n;
  int64_t seq[8], ms[8];
  size_t bytes[8];
} sizes_t;

static int collect_size(int64_t seq, int64_t received_ms, size_t bytes, void *data) {
  sizes_t *z = data;
  assert_true(z->n < 8);
  z->seq[z->n] = seq;
  z->ms[z->n] = received_ms;
  z->bytes[z->n++] = bytes;
  return 0;
}

static void sizes_reports_each_event_after_a_seq(void **state) {
  fixture_t *f = *state;
  parley_journal_entry_t e[3] = {entry("a", "{}"), entry("b", "{\"k\":1}"),
                                 entry("c", "{\"text\":\"hallo\"}")};
  sizes_t z = {0};
  assert_int_equal(parley_journal_commit(f->j, e, 3, NULL, 0, NULL), 0);
  assert_int_equal(parley_journal_sizes(f->j, 1, collect_size, &z), 0);
  assert_int_equal(z.n, 2);
  assert_int_equal(z.seq[0], 2);
  assert_int_equal(z.bytes[0], 7);
  assert_int_equal(z.bytes[1], 16);
  assert_int_equal(z.ms[1], e[2].received_ms);
  assert_true(z.ms[0] > 0);
}

/* ---- open errors ----------------------------------------------------- */

static void open_in_a_missing_directory_names_the_directory(void **state) {
  fixture_t *f = *state;
  parley_journal_t *j = (parley_journal_t *)f; /* must be reset to NULL */
  parley_error_t err = {0};
  char path[256], dir[200];

  snprintf(dir, sizeof dir, "%s/no-such-dir", f->dir);
  snprintf(path, sizeof path, "%s/journal.db", dir);
  assert_int_equal(parley_journal_open(&j, path, &err), PARLEY_ENOENT);
  assert_null(j);
  assert_non_null(strstr(err.message, path));
  assert_non_null(strstr(err.message, "does not exist"));
}

static void open_of_a_text_file_says_file_is_not_a_database(void **state) {
  fixture_t *f = *state;
  parley_journal_t *j = NULL;
  parley_error_t err = {0};
  char path[256], expect[300];
  FILE *fp;

  snprintf(path, sizeof path, "%s/notes.txt", f->dir);
  fp = fopen(path, "w");
  assert_non_null(fp);
  fputs("These are an operator's notes, not a journal. They are long enough to fill an "
        "SQLite header page and then some, so only the magic string decides.\n",
        fp);
  fclose(fp);
  assert_int_equal(parley_journal_open(&j, path, &err), PARLEY_EIO);
  assert_null(j);
  snprintf(expect, sizeof expect, "%s: file is not a database", path);
  assert_string_equal(err.message, expect);
}

static void open_of_a_journal_with_a_newer_schema_is_refused(void **state) {
  fixture_t *f = *state;
  parley_journal_t *j = NULL;
  parley_error_t err = {0};
  char sql[128];

  parley_journal_close(f->j);
  f->j = NULL;
  snprintf(sql, sizeof sql, "UPDATE meta SET value = %d WHERE key = 'schema_version'",
           PARLEY_JOURNAL_SCHEMA_VERSION + 1);
  sql_exec(f->path, sql);
  assert_int_equal(parley_journal_open(&j, f->path, &err), PARLEY_ENOTSUP);
  assert_null(j);
  assert_non_null(strstr(err.message, f->path));
  assert_non_null(strstr(err.message, "newer than this parley supports"));
}

static void open_of_another_sqlite_database_is_refused(void **state) {
  fixture_t *f = *state;
  parley_journal_t *j = NULL;
  parley_error_t err = {0};
  char path[256];

  snprintf(path, sizeof path, "%s/crm.db", f->dir);
  sql_exec(path, "CREATE TABLE customers(id INTEGER PRIMARY KEY)");
  assert_int_equal(parley_journal_open(&j, path, &err), PARLEY_EIO);
  assert_null(j);
  assert_non_null(strstr(err.message, "not a parley journal"));
}

static void reopen_keeps_schema_and_data(void **state) {
  fixture_t *f = *state;
  parley_journal_entry_t e = entry("kept", "{}");
  assert_int_equal(parley_journal_commit(f->j, &e, 1, NULL, 0, NULL), 0);
  reopen(f);
  reopen(f);
  assert_int_equal(count_events(f->j), 1);
}

static void journal_file_is_readable_by_its_owner_only(void **state) {
  fixture_t *f = *state;
  struct stat sb;
  assert_int_equal(stat(f->path, &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0600);
}

static void open_of_an_empty_file_creates_the_journal_in_it(void **state) {
  fixture_t *f = *state;
  parley_journal_t *j = NULL;
  parley_error_t err = {0};
  parley_journal_entry_t e = entry("first", "{}");
  char path[256];
  FILE *fp;

  snprintf(path, sizeof path, "%s/empty.db", f->dir);
  fp = fopen(path, "w");
  assert_non_null(fp);
  fclose(fp);
  assert_int_equal(parley_journal_open(&j, path, &err), 0);
  assert_int_equal(parley_journal_commit(j, &e, 1, NULL, 0, &err), 0);
  assert_int_equal(e.seq, 1);
  parley_journal_close(j);
}

static void calls_with_a_null_journal_are_einval(void **state) {
  parley_journal_entry_t e = entry("x", "{}");
  parley_error_t err = {0};
  int64_t seq;
  (void)state;
  assert_int_equal(parley_journal_commit(NULL, &e, 1, NULL, 0, &err), PARLEY_EINVAL);
  assert_int_equal(parley_journal_cursor_get(NULL, "o", &seq), PARLEY_EINVAL);
  assert_int_equal(parley_journal_open(NULL, "/tmp/x.db", &err), PARLEY_EINVAL);
  parley_journal_close(NULL);
}

/* A location where creating a file fails with a permission error. As root a
 * chmod'ed directory does not stop us, so try sysfs; skip if neither does. */
static int read_only_location(const char *dir, char *path, size_t len) {
  char ro[200];
  int fd;
  snprintf(ro, sizeof ro, "%s/ro", dir);
  assert_int_equal(mkdir(ro, 0555), 0);
  snprintf(path, len, "%s/journal.db", ro);
  fd = open(path, O_CREAT | O_WRONLY, 0600);
  if (fd < 0 && (errno == EACCES || errno == EROFS))
    return 1;
  if (fd >= 0) {
    close(fd);
    unlink(path);
  }
  rmdir(ro);
  snprintf(path, len, "/sys/parley-journal-test.db");
  fd = open(path, O_CREAT | O_WRONLY, 0600);
  if (fd < 0 && (errno == EACCES || errno == EROFS))
    return 1;
  if (fd >= 0) {
    close(fd);
    unlink(path);
  }
  return 0;
}

static void open_in_a_read_only_location_is_eperm(void **state) {
  fixture_t *f = *state;
  parley_journal_t *j = NULL;
  parley_error_t err = {0};
  char path[256];

  if (!read_only_location(f->dir, path, sizeof path))
    skip();
  assert_int_equal(parley_journal_open(&j, path, &err), PARLEY_EPERM);
  assert_null(j);
  assert_non_null(strstr(err.message, path));
  assert_non_null(strstr(err.message, "cannot open the journal for writing"));
}

/* ---- crash safety ---------------------------------------------------- */

#define CRASH_BATCH 40
#define CRASH_ROUNDS 4

/* The child is a connector that never stops: it resumes from its
 * checkpoint, commits batches whose ids follow from their seq and whose
 * checkpoint is the batch's last seq, and tells the parent after
 * `signal_after` batches. Exit codes say what went wrong. */
static void crash_child(const char *path, int wfd, int signal_after) {
  parley_journal_t *j = NULL;
  parley_journal_entry_t e[CRASH_BATCH];
  char ids[CRASH_BATCH][32], json[CRASH_BATCH][512], value[32];
  parley_journal_checkpoint_t cp = {"sim", "last_seq", value};
  char *stored = NULL;
  int64_t last = 0;
  int batches = 0, i;

  if (parley_journal_open(&j, path, NULL) != 0)
    _exit(10);
  if (parley_journal_checkpoint_get(j, "sim", "last_seq", &stored) == 0)
    last = strtoll(stored, NULL, 10);
  free(stored);
  for (;;) {
    for (i = 0; i < CRASH_BATCH; i++) {
      int64_t seq = last + 1 + i;
      snprintf(ids[i], sizeof ids[i], "ev-%" PRId64, seq);
      memset(json[i], 'p', sizeof json[i] - 1);
      json[i][sizeof json[i] - 1] = '\0';
      e[i] = (parley_journal_entry_t){.id = ids[i], .instance = "sim", .json = json[i],
                                      .json_len = sizeof json[i] - 1};
    }
    snprintf(value, sizeof value, "%" PRId64, last + CRASH_BATCH);
    if (parley_journal_commit(j, e, CRASH_BATCH, &cp, 1, NULL) != 0)
      _exit(11);
    for (i = 0; i < CRASH_BATCH; i++)
      if (e[i].duplicate || e[i].seq != last + 1 + i)
        _exit(12);
    last += CRASH_BATCH;
    if (++batches == signal_after && write(wfd, "c", 1) != 1)
      _exit(13);
  }
}

static void run_and_kill_child(const char *path, int signal_after) {
  int fds[2], status = 0;
  char c;
  pid_t pid;

  assert_int_equal(pipe(fds), 0);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    crash_child(path, fds[1], signal_after);
  }
  close(fds[1]);
  /* the child is still committing in a loop when the signal lands */
  assert_int_equal(read(fds[0], &c, 1), 1);
  close(fds[0]);
  assert_int_equal(kill(pid, SIGKILL), 0);
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status));
  assert_int_equal(WTERMSIG(status), SIGKILL);
}

static void assert_integrity_ok(const char *path) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

typedef struct crash_check {
  int64_t expect_seq;
  int ok;
} crash_check_t;

static int check_crash_event(int64_t seq, const char *id, const char *json, size_t len,
                             void *data) {
  crash_check_t *c = data;
  char want[32];
  snprintf(want, sizeof want, "ev-%" PRId64, seq);
  if (seq != c->expect_seq || strcmp(id, want) != 0 || len != 511) {
    c->ok = 0;
    return 1;
  }
  c->expect_seq++;
  return 0;
}

static void kill_9_during_commits_loses_no_batch_and_separates_no_checkpoint(void **state) {
  fixture_t *f = *state;
  int64_t previous = 0;
  int round;

  parley_journal_close(f->j); /* no connection is carried across fork */
  f->j = NULL;
  for (round = 0; round < CRASH_ROUNDS; round++) {
    crash_check_t check = {1, 1};
    char *value = NULL;
    int64_t last;

    run_and_kill_child(f->path, 10 + 15 * round);
    assert_integrity_ok(f->path);
    reopen(f);
    assert_int_equal(parley_journal_checkpoint_get(f->j, "sim", "last_seq", &value), 0);
    last = parley_journal_last_seq(f->j);
    /* the checkpoint travelled with its batch: it is the last seq */
    assert_int_equal(strtoll(value, NULL, 10), last);
    free(value);
    assert_int_equal(last % CRASH_BATCH, 0);
    assert_true(last >= previous + (int64_t)(10 + 15 * round) * CRASH_BATCH);
    /* every seq present exactly once, with the id it was committed with */
    assert_int_equal(count_events(f->j), last);
    assert_int_equal(parley_journal_read(f->j, 0, (size_t)last, check_crash_event, &check), 0);
    assert_true(check.ok);
    assert_int_equal(check.expect_seq, last + 1);
    previous = last;
    parley_journal_close(f->j);
    f->j = NULL;
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
      T(commit_then_read_returns_events_in_seq_order),
      T(read_starts_after_the_given_seq_and_honours_limit),
      T(read_stops_when_the_callback_returns_non_zero),
      T(read_returns_a_1kib_event_byte_for_byte),
      T(empty_journal_has_last_seq_zero),
      T(commit_marks_an_id_from_an_earlier_batch_as_duplicate),
      T(commit_marks_a_repeated_id_within_one_batch_as_duplicate),
      T(duplicates_do_not_consume_seq_numbers),
      T(checkpoint_committed_with_its_batch_is_visible_after_reopen),
      T(later_checkpoint_replaces_the_earlier_value),
      T(checkpoint_never_committed_is_enoent),
      T(commit_with_an_entry_without_id_commits_neither_events_nor_checkpoints),
      T(commit_failing_inside_sqlite_rolls_back_everything_with_eio),
      T(cursor_set_is_persisted_across_reopen),
      T(cursor_of_an_output_never_set_is_enoent_and_zero),
      T(action_begin_with_a_new_key_records_it),
      T(action_begin_while_pending_is_dup_without_result),
      T(action_begin_after_finish_returns_the_stored_result),
      T(action_finish_of_an_unknown_key_is_enoent),
      T(prune_never_drops_an_undelivered_event_and_keeps_ids_for_dedup),
      T(prune_keeps_delivered_events_received_at_or_after_before_ms),
      T(prune_works_in_batches_of_at_most_limit),
      T(forget_deletes_only_pruned_ids_and_then_accepts_them_again),
      T(prune_position_survives_reopen),
      T(sizes_reports_each_event_after_a_seq),
      T(open_in_a_missing_directory_names_the_directory),
      T(open_of_a_text_file_says_file_is_not_a_database),
      T(open_of_a_journal_with_a_newer_schema_is_refused),
      T(open_of_another_sqlite_database_is_refused),
      T(reopen_keeps_schema_and_data),
      T(open_in_a_read_only_location_is_eperm),
      T(journal_file_is_readable_by_its_owner_only),
      T(open_of_an_empty_file_creates_the_journal_in_it),
      T(calls_with_a_null_journal_are_einval),
      T(kill_9_during_commits_loses_no_batch_and_separates_no_checkpoint),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
