/* parley core — the journal (see journal.h and docs/journal.md).
 *
 * One SQLite connection in WAL mode with every statement prepared once at
 * open. A commit is one BEGIN IMMEDIATE..COMMIT holding a batch of events
 * and the checkpoints staged with them; any failure rolls all of it back. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "journal.h"

/* How long a call waits for another connection's lock (the sqlite3 CLI, a
 * backup) before failing. */
#define PARLEY_JOURNAL_BUSY_MS 5000
/* After a checkpoint the WAL file is truncated to this size, so one burst
 * does not leave a huge -wal file behind. */
#define PARLEY_JOURNAL_WAL_LIMIT "67108864"

enum {
  PARLEY_JST_BEGIN,
  PARLEY_JST_COMMIT,
  PARLEY_JST_ROLLBACK,
  PARLEY_JST_EVENT_EXISTS,
  PARLEY_JST_EVENT_INSERT,
  PARLEY_JST_CP_PUT,
  PARLEY_JST_CP_GET,
  PARLEY_JST_READ,
  PARLEY_JST_LAST_SEQ,
  PARLEY_JST_CURSOR_GET,
  PARLEY_JST_CURSOR_SET,
  PARLEY_JST_ACTION_INSERT,
  PARLEY_JST_ACTION_RESULT,
  PARLEY_JST_ACTION_FINISH,
  PARLEY_JST_OLD_PREFIX,
  PARLEY_JST_PRUNE,
  PARLEY_JST_FORGET,
  PARLEY_JST_META_GET,
  PARLEY_JST_META_PUT,
  PARLEY_JST_SIZES,
  PARLEY_JST_STATS,
  PARLEY_JST_FIRST_SEQ,
  PARLEY_JST_COUNT_
};

static const char *const parley_journal_sql[PARLEY_JST_COUNT_] = {
    [PARLEY_JST_BEGIN] = "BEGIN IMMEDIATE",
    [PARLEY_JST_COMMIT] = "COMMIT",
    [PARLEY_JST_ROLLBACK] = "ROLLBACK",
    [PARLEY_JST_EVENT_EXISTS] = "SELECT 1 FROM events WHERE id = ?1",
    /* A plain INSERT: the lookup above ran under the write lock, so the id
     * is new. Looking up first rather than INSERT OR IGNORE keeps seq
     * contiguous: an ignored insert still consumes an AUTOINCREMENT number. */
    [PARLEY_JST_EVENT_INSERT] =
        "INSERT INTO events(id, instance, conversation, received_ms, json) "
        "VALUES(?1, ?2, ?3, ?4, ?5)",
    [PARLEY_JST_CP_PUT] =
        "INSERT INTO checkpoints(instance, key, value, updated_ms) VALUES(?1, ?2, ?3, ?4) "
        "ON CONFLICT(instance, key) DO UPDATE SET value = excluded.value, "
        "updated_ms = excluded.updated_ms",
    [PARLEY_JST_CP_GET] = "SELECT value FROM checkpoints WHERE instance = ?1 AND key = ?2",
    [PARLEY_JST_READ] = "SELECT seq, id, json FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    /* sqlite_sequence keeps the highest seq even when those events were
     * pruned. */
    [PARLEY_JST_LAST_SEQ] =
        "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)",
    [PARLEY_JST_CURSOR_GET] = "SELECT seq FROM cursors WHERE output = ?1",
    [PARLEY_JST_CURSOR_SET] = "INSERT INTO cursors(output, seq) VALUES(?1, ?2) "
                              "ON CONFLICT(output) DO UPDATE SET seq = excluded.seq",
    [PARLEY_JST_ACTION_INSERT] =
        "INSERT INTO actions(key, instance, state, created_ms, updated_ms) "
        "VALUES(?1, ?2, 'pending', ?3, ?3) ON CONFLICT(key) DO NOTHING",
    [PARLEY_JST_ACTION_RESULT] = "SELECT result_json FROM actions WHERE key = ?1",
    [PARLEY_JST_ACTION_FINISH] =
        "UPDATE actions SET state = 'done', result_json = ?2, updated_ms = ?3 WHERE key = ?1",
    /* Retention walks seq ranges (the rowid) rather than received_ms,
     * which has no index (every index costs each commit). */
    [PARLEY_JST_OLD_PREFIX] =
        "SELECT seq, received_ms FROM events WHERE seq > ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3",
    [PARLEY_JST_PRUNE] =
        "UPDATE events SET json = NULL WHERE seq > ?1 AND seq <= ?2 AND json IS NOT NULL",
    [PARLEY_JST_FORGET] = "DELETE FROM events WHERE seq > ?1 AND seq <= ?2",
    [PARLEY_JST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [PARLEY_JST_META_PUT] = "INSERT INTO meta(key, value) VALUES(?1, ?2) "
                            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    /* length() of a BLOB comes from the record header: no body is read. */
    [PARLEY_JST_SIZES] =
        "SELECT seq, received_ms, length(json) FROM events WHERE seq > ?1 ORDER BY seq",
    [PARLEY_JST_STATS] =
        "SELECT (SELECT count(*) FROM events), "
        "((SELECT page_count FROM pragma_page_count()) - "
        "(SELECT freelist_count FROM pragma_freelist_count())) * "
        "(SELECT page_size FROM pragma_page_size())",
    [PARLEY_JST_FIRST_SEQ] = "SELECT COALESCE(min(seq), 0) FROM events",
};

struct parley_journal {
  sqlite3 *db;
  char *path;
  sqlite3_stmt *st[PARLEY_JST_COUNT_];
  int64_t pruned_seq;  /* meta.pruned_seq: bodies of seq <= it are pruned */
  parley_error_t last; /* for the calls that take no parley_error_t */
};

static int64_t parley_journal_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Record an error in j->last and, when given, in err. Returns code. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int parley_journal_fail(parley_journal_t *j, parley_error_t *err, int code,
                               const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(j->last.message, sizeof j->last.message, fmt, ap);
  va_end(ap);
  j->last.code = code;
  if (err)
    *err = j->last;
  return code;
}

/* An SQLite failure while doing `what`: names the path and SQLite's
 * message. Call before resetting the statement. */
static int parley_journal_io(parley_journal_t *j, parley_error_t *err, const char *what) {
  return parley_journal_fail(j, err, PARLEY_EIO, "%s: %s: %s", j->path, what,
                             sqlite3_errmsg(j->db));
}

/* Statements are reset after every use so none holds a read transaction
 * open, which would stop WAL checkpoints from completing. */
static void parley_journal_release(sqlite3_stmt *st) {
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

/* Run a statement that returns no rows; SQLITE_OK or SQLite's error. */
static int parley_journal_exec(parley_journal_t *j, int id) {
  int rc = sqlite3_step(j->st[id]);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* ---- open / close ---------------------------------------------------- */

/* The directory part of path, for messages. */
static void parley_journal_dirname(const char *path, char *buf, size_t len) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    snprintf(buf, len, ".");
  else if (slash == path)
    snprintf(buf, len, "/");
  else
    snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

/* Create a missing journal file ourselves: the errno of open(2) tells a
 * missing directory from a read-only one better than SQLite's "unable to
 * open database file", and 0600 keeps customers' messages private (SQLite
 * gives the -wal and -shm files the same mode). *created says whether a
 * failed open should remove it again. */
static int parley_journal_create_file(const char *path, int *created, parley_error_t *err) {
  char dir[PARLEY_ERROR_MAX];
  struct stat sb;
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

  *created = fd >= 0;
  if (fd >= 0) {
    close(fd);
    return 0;
  }
  switch (errno) {
  case EEXIST:
    return 0;
  case ENOENT:
    parley_journal_dirname(path, dir, sizeof dir);
    if (stat(dir, &sb) != 0)
      return parley_error_set(err, PARLEY_ENOENT,
                              "%s: cannot create the journal: directory %s does not exist",
                              path, dir);
    return parley_error_set(err, PARLEY_ENOENT, "%s: cannot create the journal: %s", path,
                            strerror(ENOENT));
  case EACCES:
  case EPERM:
  case EROFS:
    return parley_error_set(err, PARLEY_EPERM, "%s: cannot open the journal for writing: %s",
                            path, strerror(errno));
  default:
    return parley_error_set(err, PARLEY_EIO, "%s: cannot create the journal: %s", path,
                            strerror(errno));
  }
}

static int parley_journal_open_error(sqlite3 *db, const char *path, int rc,
                                     parley_error_t *err) {
  int sys = db ? sqlite3_system_errno(db) : 0;
  const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  char dir[PARLEY_ERROR_MAX];
  struct stat sb;

  switch (rc & 0xff) {
  case SQLITE_CANTOPEN:
  case SQLITE_IOERR:
  case SQLITE_READONLY:
    /* SQLite's errno can be of a fallback attempt: trust ENOENT only for a
     * directory that is really missing. */
    parley_journal_dirname(path, dir, sizeof dir);
    if (sys == ENOENT && stat(dir, &sb) != 0)
      return parley_error_set(err, PARLEY_ENOENT,
                              "%s: cannot create the journal: directory %s does not exist",
                              path, dir);
    if (sys == EACCES || sys == EPERM || sys == EROFS || (rc & 0xff) == SQLITE_READONLY)
      return parley_error_set(err, PARLEY_EPERM,
                              "%s: cannot open the journal for writing: %s", path,
                              sys ? strerror(sys) : msg);
    if (sys)
      return parley_error_set(err, PARLEY_EIO, "%s: %s (%s)", path, msg, strerror(sys));
    break;
  default:
    break;
  }
  return parley_error_set(err, PARLEY_EIO, "%s: %s", path, msg);
}

/* WAL lets readers (the sqlite3 CLI, the admin API) run while the loop
 * writes, and makes a commit one sequential append. NORMAL: a commit is
 * durable against a process crash; see docs/journal.md for power loss. */
static int parley_journal_configure(sqlite3 *db, const char *path, parley_error_t *err) {
  sqlite3_stmt *st = NULL;
  const unsigned char *mode;
  int rc;

  sqlite3_busy_timeout(db, PARLEY_JOURNAL_BUSY_MS);
  rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_finalize(st);
    return parley_journal_open_error(db, path, rc, err);
  }
  mode = sqlite3_column_text(st, 0);
  if (!mode || strcmp((const char *)mode, "wal") != 0) {
    parley_error_set(err, PARLEY_EIO, "%s: cannot switch the journal to WAL mode (got %s)",
                     path, mode ? (const char *)mode : "nothing");
    sqlite3_finalize(st);
    return PARLEY_EIO;
  }
  sqlite3_finalize(st);
  rc = sqlite3_exec(db,
                    "PRAGMA synchronous = NORMAL;"
                    "PRAGMA foreign_keys = ON;"
                    "PRAGMA journal_size_limit = " PARLEY_JOURNAL_WAL_LIMIT ";",
                    NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    return parley_journal_open_error(db, path, rc, err);
  return 0;
}

static int parley_journal_prepare(parley_journal_t *j, parley_error_t *err) {
  int i;
  for (i = 0; i < PARLEY_JST_COUNT_; i++) {
    if (sqlite3_prepare_v3(j->db, parley_journal_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                           &j->st[i], NULL) != SQLITE_OK)
      return parley_journal_io(j, err, "preparing statements");
  }
  return 0;
}

/* meta.pruned_seq, absent until the first prune. */
static int parley_journal_load_pruned(parley_journal_t *j, parley_error_t *err) {
  sqlite3_stmt *st = j->st[PARLEY_JST_META_GET];
  int rc;
  sqlite3_bind_text(st, 1, "pruned_seq", -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    j->pruned_seq = sqlite3_column_int64(st, 0);
  else if (rc != SQLITE_DONE)
    rc = parley_journal_io(j, err, "reading the prune position");
  parley_journal_release(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : rc;
}

int parley_journal_open(parley_journal_t **out, const char *path, parley_error_t *err) {
  parley_journal_t *j;
  int rc, created = 0;

  if (!out || !path || !*path)
    return parley_error_set(err, PARLEY_EINVAL, "journal: no path given");
  *out = NULL;
  j = calloc(1, sizeof *j);
  if (!j || !(j->path = strdup(path))) {
    free(j);
    return parley_error_set(err, PARLEY_ENOMEM, "%s: out of memory opening the journal", path);
  }
  rc = parley_journal_create_file(path, &created, err);
  if (rc != 0) {
    parley_journal_close(j);
    return rc;
  }
  rc = sqlite3_open_v2(path, &j->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    rc = parley_journal_open_error(j->db, path, rc, err);
  else if (sqlite3_db_readonly(j->db, "main") == 1)
    rc = parley_error_set(err, PARLEY_EPERM,
                          "%s: cannot open the journal for writing: the file is read-only",
                          path);
  else if ((rc = parley_journal_configure(j->db, path, err)) == 0 &&
           (rc = parley_journal_schema_migrate(j->db, path, err)) == 0 &&
           (rc = parley_journal_prepare(j, err)) == 0)
    rc = parley_journal_load_pruned(j, err);
  if (rc != 0) {
    parley_journal_close(j);
    if (created)
      unlink(path);
    return rc;
  }
  *out = j;
  return 0;
}

void parley_journal_close(parley_journal_t *j) {
  int i;
  if (!j)
    return;
  for (i = 0; i < PARLEY_JST_COUNT_; i++)
    sqlite3_finalize(j->st[i]);
  /* The last connection to close checkpoints the WAL and removes it. */
  sqlite3_close(j->db);
  free(j->path);
  free(j);
}

const char *parley_journal_errmsg(parley_journal_t *j) {
  return j ? j->last.message : "";
}

/* ---- commit ---------------------------------------------------------- */

static void parley_journal_entries_clear(parley_journal_entry_t *entries, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    entries[i].duplicate = 0;
    entries[i].seq = 0;
    entries[i].received_ms = 0;
  }
}

static int parley_journal_entry_check(parley_journal_t *j, const parley_journal_entry_t *e,
                                      size_t i, parley_error_t *err) {
  if (!e->id || !*e->id)
    return parley_journal_fail(j, err, PARLEY_EINVAL, "%s: commit: entry %zu has no id",
                               j->path, i);
  if (!e->instance)
    return parley_journal_fail(j, err, PARLEY_EINVAL,
                               "%s: commit: entry %zu (id %s) has no instance", j->path, i,
                               e->id);
  if (!e->json)
    return parley_journal_fail(j, err, PARLEY_EINVAL,
                               "%s: commit: entry %zu (id %s) has no json", j->path, i, e->id);
  return 0;
}

/* 1 when id is already journaled (this transaction included), 0 when new,
 * PARLEY_EIO on failure. */
static int parley_journal_seen(parley_journal_t *j, const char *id, parley_error_t *err) {
  sqlite3_stmt *st = j->st[PARLEY_JST_EVENT_EXISTS];
  int rc;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    rc = parley_journal_io(j, err, "commit: looking up an event id");
    parley_journal_release(st);
    return rc;
  }
  parley_journal_release(st);
  return rc == SQLITE_ROW;
}

static int parley_journal_insert(parley_journal_t *j, parley_journal_entry_t *e, size_t i,
                                 int64_t now, parley_error_t *err) {
  sqlite3_stmt *st = j->st[PARLEY_JST_EVENT_INSERT];
  int rc = parley_journal_entry_check(j, e, i, err);

  if (rc == 0)
    rc = parley_journal_seen(j, e->id, err);
  if (rc < 0)
    return rc;
  if (rc == 1) {
    e->duplicate = 1;
    return 0;
  }
  sqlite3_bind_text(st, 1, e->id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, e->instance, -1, SQLITE_STATIC);
  if (e->conversation)
    sqlite3_bind_text(st, 3, e->conversation, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, now);
  rc = sqlite3_bind_blob64(st, 5, e->json, (sqlite3_uint64)e->json_len, SQLITE_STATIC);
  if (rc != SQLITE_OK) {
    parley_journal_release(st);
    return parley_journal_fail(j, err, PARLEY_EIO, "%s: commit: entry %zu (id %s): %s",
                               j->path, i, e->id, sqlite3_errstr(rc));
  }
  rc = parley_journal_exec(j, PARLEY_JST_EVENT_INSERT);
  if (rc != SQLITE_OK) {
    rc = parley_journal_io(j, err, "commit: inserting an event");
    parley_journal_release(st);
    return rc;
  }
  e->seq = sqlite3_last_insert_rowid(j->db);
  e->received_ms = now;
  parley_journal_release(st);
  return 0;
}

static int parley_journal_put_checkpoint(parley_journal_t *j,
                                         const parley_journal_checkpoint_t *cp, size_t i,
                                         int64_t now, parley_error_t *err) {
  sqlite3_stmt *st = j->st[PARLEY_JST_CP_PUT];
  int rc;

  if (!cp->instance || !cp->key || !cp->value)
    return parley_journal_fail(j, err, PARLEY_EINVAL,
                               "%s: commit: checkpoint %zu needs an instance, a key and a value",
                               j->path, i);
  sqlite3_bind_text(st, 1, cp->instance, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, cp->key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, cp->value, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, now);
  rc = parley_journal_exec(j, PARLEY_JST_CP_PUT);
  if (rc != SQLITE_OK)
    rc = parley_journal_io(j, err, "commit: storing a checkpoint");
  parley_journal_release(st);
  return rc == SQLITE_OK ? 0 : rc;
}

/* Undo a failed commit. Some errors (disk full, I/O) have already rolled
 * the transaction back, in which case there is nothing left to undo. */
static int parley_journal_abort(parley_journal_t *j, parley_journal_entry_t *entries, size_t n,
                                int rc) {
  if (!sqlite3_get_autocommit(j->db)) {
    parley_journal_exec(j, PARLEY_JST_ROLLBACK);
    sqlite3_reset(j->st[PARLEY_JST_ROLLBACK]);
  }
  sqlite3_reset(j->st[PARLEY_JST_COMMIT]);
  parley_journal_entries_clear(entries, n);
  return rc;
}

int parley_journal_commit(parley_journal_t *j, parley_journal_entry_t *entries, size_t n,
                          const parley_journal_checkpoint_t *cps, size_t ncp,
                          parley_error_t *err) {
  int64_t now;
  size_t i;
  int rc = 0;

  if (!j || (n && !entries) || (ncp && !cps))
    return parley_error_set(err, PARLEY_EINVAL, "journal commit: invalid arguments");
  parley_journal_entries_clear(entries, n);
  if (n == 0 && ncp == 0)
    return 0;
  now = parley_journal_now_ms();
  if (parley_journal_exec(j, PARLEY_JST_BEGIN) != SQLITE_OK) {
    rc = parley_journal_io(j, err, "commit: starting the transaction");
    sqlite3_reset(j->st[PARLEY_JST_BEGIN]);
    return parley_journal_abort(j, entries, n, rc);
  }
  sqlite3_reset(j->st[PARLEY_JST_BEGIN]);
  for (i = 0; i < n && rc == 0; i++)
    rc = parley_journal_insert(j, &entries[i], i, now, err);
  for (i = 0; i < ncp && rc == 0; i++)
    rc = parley_journal_put_checkpoint(j, &cps[i], i, now, err);
  if (rc == 0 && parley_journal_exec(j, PARLEY_JST_COMMIT) != SQLITE_OK)
    rc = parley_journal_io(j, err, "commit");
  if (rc != 0)
    return parley_journal_abort(j, entries, n, rc);
  sqlite3_reset(j->st[PARLEY_JST_COMMIT]);
  return 0;
}

/* ---- reads ----------------------------------------------------------- */

/* Copy of a text column as a malloc'd string (NULL for SQL NULL). */
static int parley_journal_dup_column(sqlite3_stmt *st, int col, char **out) {
  const unsigned char *s;
  *out = NULL;
  if (sqlite3_column_type(st, col) == SQLITE_NULL)
    return 0;
  s = sqlite3_column_text(st, col);
  if (!s || !(*out = strdup((const char *)s)))
    return PARLEY_ENOMEM;
  return 0;
}

int parley_journal_checkpoint_get(parley_journal_t *j, const char *instance, const char *key,
                                  char **value) {
  sqlite3_stmt *st;
  int rc;

  if (!j || !instance || !key || !value)
    return PARLEY_EINVAL;
  *value = NULL;
  st = j->st[PARLEY_JST_CP_GET];
  sqlite3_bind_text(st, 1, instance, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    rc = parley_journal_dup_column(st, 0, value);
  else if (rc == SQLITE_DONE)
    rc = PARLEY_ENOENT;
  else
    rc = parley_journal_io(j, NULL, "reading a checkpoint");
  parley_journal_release(st);
  return rc;
}

int parley_journal_read(parley_journal_t *j, int64_t after, size_t limit,
                        parley_journal_read_cb cb, void *data) {
  sqlite3_stmt *st;
  int rc;

  if (!j || !cb)
    return PARLEY_EINVAL;
  if (limit == 0)
    return 0;
  st = j->st[PARLEY_JST_READ];
  sqlite3_bind_int64(st, 1, after);
  sqlite3_bind_int64(st, 2, (uint64_t)limit > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)limit);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    /* column_text on the BLOB gives a NUL-terminated copy; bytes after. */
    const char *json = (const char *)sqlite3_column_text(st, 2);
    size_t len = (size_t)sqlite3_column_bytes(st, 2);
    const char *id = (const char *)sqlite3_column_text(st, 1);
    if ((!json && sqlite3_column_type(st, 2) != SQLITE_NULL) || !id) {
      parley_journal_release(st);
      return parley_journal_fail(j, NULL, PARLEY_ENOMEM, "%s: reading events: out of memory",
                                 j->path);
    }
    if (cb(sqlite3_column_int64(st, 0), id, json ? json : "", json ? len : 0, data) != 0) {
      rc = SQLITE_DONE;
      break;
    }
  }
  rc = rc == SQLITE_DONE ? 0 : parley_journal_io(j, NULL, "reading events");
  parley_journal_release(st);
  return rc;
}

int64_t parley_journal_last_seq(parley_journal_t *j) {
  sqlite3_stmt *st;
  int64_t seq;

  if (!j)
    return PARLEY_EINVAL;
  st = j->st[PARLEY_JST_LAST_SEQ];
  if (sqlite3_step(st) == SQLITE_ROW)
    seq = sqlite3_column_int64(st, 0);
  else
    seq = parley_journal_io(j, NULL, "reading the last seq");
  parley_journal_release(st);
  return seq;
}

/* ---- cursors --------------------------------------------------------- */

int parley_journal_cursor_get(parley_journal_t *j, const char *output, int64_t *seq) {
  sqlite3_stmt *st;
  int rc;

  if (!j || !output || !seq)
    return PARLEY_EINVAL;
  *seq = 0;
  st = j->st[PARLEY_JST_CURSOR_GET];
  sqlite3_bind_text(st, 1, output, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *seq = sqlite3_column_int64(st, 0);
    rc = 0;
  } else if (rc == SQLITE_DONE) {
    rc = PARLEY_ENOENT;
  } else {
    rc = parley_journal_io(j, NULL, "reading a cursor");
  }
  parley_journal_release(st);
  return rc;
}

int parley_journal_cursor_set(parley_journal_t *j, const char *output, int64_t seq) {
  sqlite3_stmt *st;
  int rc;

  if (!j || !output || seq < 0)
    return PARLEY_EINVAL;
  st = j->st[PARLEY_JST_CURSOR_SET];
  sqlite3_bind_text(st, 1, output, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, seq);
  rc = parley_journal_exec(j, PARLEY_JST_CURSOR_SET);
  rc = rc == SQLITE_OK ? 0 : parley_journal_io(j, NULL, "storing a cursor");
  parley_journal_release(st);
  return rc;
}

/* ---- actions --------------------------------------------------------- */

static int parley_journal_action_result(parley_journal_t *j, const char *key,
                                        char **result_json) {
  sqlite3_stmt *st = j->st[PARLEY_JST_ACTION_RESULT];
  char *result = NULL;
  int rc;

  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    rc = result_json ? parley_journal_dup_column(st, 0, &result) : 0;
  else
    rc = parley_journal_io(j, NULL, "reading an action");
  parley_journal_release(st);
  if (rc == 0 && result_json)
    *result_json = result;
  return rc == 0 ? PARLEY_EDUP : rc;
}

int parley_journal_action_begin(parley_journal_t *j, const char *key, const char *instance,
                                char **result_json) {
  sqlite3_stmt *st;
  int rc;

  if (result_json)
    *result_json = NULL;
  if (!j || !key)
    return PARLEY_EINVAL;
  st = j->st[PARLEY_JST_ACTION_INSERT];
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  if (instance)
    sqlite3_bind_text(st, 2, instance, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, parley_journal_now_ms());
  rc = parley_journal_exec(j, PARLEY_JST_ACTION_INSERT);
  if (rc != SQLITE_OK) {
    rc = parley_journal_io(j, NULL, "recording an action");
    parley_journal_release(st);
    return rc;
  }
  rc = sqlite3_changes(j->db);
  parley_journal_release(st);
  if (rc == 1)
    return 0;
  return parley_journal_action_result(j, key, result_json);
}

int parley_journal_action_finish(parley_journal_t *j, const char *key, const char *result_json) {
  sqlite3_stmt *st;
  int rc;

  if (!j || !key)
    return PARLEY_EINVAL;
  st = j->st[PARLEY_JST_ACTION_FINISH];
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  if (result_json)
    sqlite3_bind_text(st, 2, result_json, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, parley_journal_now_ms());
  rc = parley_journal_exec(j, PARLEY_JST_ACTION_FINISH);
  if (rc != SQLITE_OK)
    rc = parley_journal_io(j, NULL, "storing an action result");
  else
    rc = sqlite3_changes(j->db) == 1 ? 0 : PARLEY_ENOENT;
  parley_journal_release(st);
  return rc;
}

/* ---- maintenance ----------------------------------------------------- */

/* The highest seq of the run of events in (lo, hi], oldest first, at most
 * limit of them, all received before before_ms; lo when there is none.
 * Stopping at the first younger event keeps an event whose clock went
 * backwards a little longer, never shorter. PARLEY_EIO on failure. */
static int64_t parley_journal_old_prefix(parley_journal_t *j, int64_t lo, int64_t hi,
                                         int64_t before_ms, size_t limit) {
  sqlite3_stmt *st = j->st[PARLEY_JST_OLD_PREFIX];
  int64_t end = lo;
  int rc;

  sqlite3_bind_int64(st, 1, lo);
  sqlite3_bind_int64(st, 2, hi);
  sqlite3_bind_int64(st, 3, limit > (size_t)INT32_MAX ? INT32_MAX : (sqlite3_int64)limit);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && sqlite3_column_int64(st, 1) < before_ms)
    end = sqlite3_column_int64(st, 0);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    end = parley_journal_io(j, NULL, "finding events to prune");
  parley_journal_release(st);
  return end;
}

/* Run the range statement id on (lo, hi], then (prune only) store the new
 * position, in one transaction. Returns the rows changed or PARLEY_EIO. */
static int64_t parley_journal_range(parley_journal_t *j, int id, int64_t lo, int64_t hi,
                                    const char *what) {
  sqlite3_stmt *st = j->st[id], *meta = j->st[PARLEY_JST_META_PUT];
  int64_t n;
  int rc = parley_journal_exec(j, PARLEY_JST_BEGIN);

  sqlite3_reset(j->st[PARLEY_JST_BEGIN]);
  if (rc != SQLITE_OK)
    return parley_journal_io(j, NULL, what);
  sqlite3_bind_int64(st, 1, lo);
  sqlite3_bind_int64(st, 2, hi);
  rc = parley_journal_exec(j, id);
  n = sqlite3_changes64(j->db);
  parley_journal_release(st);
  if (rc == SQLITE_OK && id == PARLEY_JST_PRUNE) {
    sqlite3_bind_text(meta, 1, "pruned_seq", -1, SQLITE_STATIC);
    sqlite3_bind_int64(meta, 2, hi);
    rc = parley_journal_exec(j, PARLEY_JST_META_PUT);
    parley_journal_release(meta);
  }
  if (rc == SQLITE_OK)
    rc = parley_journal_exec(j, PARLEY_JST_COMMIT);
  sqlite3_reset(j->st[PARLEY_JST_COMMIT]);
  if (rc == SQLITE_OK)
    return n;
  n = parley_journal_io(j, NULL, what);
  parley_journal_abort(j, NULL, 0, (int)n);
  return n;
}

int64_t parley_journal_prune(parley_journal_t *j, int64_t min_cursor, int64_t before_ms,
                             size_t limit) {
  int64_t hi, n;

  if (!j || limit == 0)
    return j ? 0 : PARLEY_EINVAL;
  hi = parley_journal_old_prefix(j, j->pruned_seq, min_cursor, before_ms, limit);
  if (hi <= j->pruned_seq)
    return hi < 0 ? hi : 0;
  n = parley_journal_range(j, PARLEY_JST_PRUNE, j->pruned_seq, hi, "pruning event bodies");
  if (n >= 0)
    j->pruned_seq = hi;
  return n;
}

int64_t parley_journal_forget(parley_journal_t *j, int64_t before_ms, size_t limit) {
  int64_t hi;

  if (!j || limit == 0)
    return j ? 0 : PARLEY_EINVAL;
  /* rows below are already gone: the run starts at the oldest left */
  hi = parley_journal_old_prefix(j, 0, j->pruned_seq, before_ms, limit);
  if (hi <= 0)
    return hi;
  return parley_journal_range(j, PARLEY_JST_FORGET, 0, hi, "forgetting pruned event ids");
}

int64_t parley_journal_pruned_seq(parley_journal_t *j) { return j ? j->pruned_seq : 0; }

int parley_journal_sizes(parley_journal_t *j, int64_t after, parley_journal_size_cb cb,
                         void *data) {
  sqlite3_stmt *st;
  int rc;

  if (!j || !cb)
    return PARLEY_EINVAL;
  st = j->st[PARLEY_JST_SIZES];
  sqlite3_bind_int64(st, 1, after);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    if (cb(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
           (size_t)sqlite3_column_int64(st, 2), data) != 0) {
      rc = SQLITE_DONE;
      break;
    }
  rc = rc == SQLITE_DONE ? 0 : parley_journal_io(j, NULL, "reading event sizes");
  parley_journal_release(st);
  return rc;
}

int parley_journal_stats(parley_journal_t *j, int64_t *events, int64_t *bytes) {
  sqlite3_stmt *st;
  int rc;

  if (!j)
    return PARLEY_EINVAL;
  st = j->st[PARLEY_JST_STATS];
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    if (events)
      *events = sqlite3_column_int64(st, 0);
    if (bytes)
      *bytes = sqlite3_column_int64(st, 1);
    rc = 0;
  } else {
    rc = parley_journal_io(j, NULL, "reading journal stats");
  }
  parley_journal_release(st);
  return rc;
}

int64_t parley_journal_first_seq(parley_journal_t *j) {
  sqlite3_stmt *st;
  int64_t seq;

  if (!j)
    return PARLEY_EINVAL;
  st = j->st[PARLEY_JST_FIRST_SEQ];
  if (sqlite3_step(st) == SQLITE_ROW)
    seq = sqlite3_column_int64(st, 0);
  else
    seq = parley_journal_io(j, NULL, "reading the first seq");
  parley_journal_release(st);
  return seq;
}
