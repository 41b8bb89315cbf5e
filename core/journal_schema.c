/* parley core — the journal's schema and its migrations.
 *
 * The schema version lives in the meta table. Migration i takes a journal
 * from version i to i+1; a new version appends one step here and bumps
 * PARLEY_JOURNAL_SCHEMA_VERSION. All steps run in one transaction, so a
 * crash during an upgrade leaves the old version intact. */
#include <sqlite3.h>

#include "journal.h"

static const char *const parley_journal_migrations[PARLEY_JOURNAL_SCHEMA_VERSION] = {
    /* 0 -> 1: the initial schema. AUTOINCREMENT so a seq is never reused,
     * even after the newest events were pruned: output cursors stay valid. */
    "CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value NOT NULL);\n"
    "CREATE TABLE events(\n"
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  id TEXT UNIQUE NOT NULL,\n"
    "  instance TEXT,\n"
    "  conversation TEXT,\n"
    "  received_ms INTEGER,\n"
    "  json BLOB);\n"
    "CREATE TABLE checkpoints(\n"
    "  instance TEXT NOT NULL,\n"
    "  key TEXT NOT NULL,\n"
    "  value TEXT NOT NULL,\n"
    "  updated_ms INTEGER NOT NULL,\n"
    "  PRIMARY KEY(instance, key));\n"
    "CREATE TABLE cursors(\n"
    "  output TEXT PRIMARY KEY NOT NULL,\n"
    "  seq INTEGER NOT NULL);\n"
    "CREATE TABLE actions(\n"
    "  key TEXT PRIMARY KEY NOT NULL,\n"
    "  instance TEXT,\n"
    "  state TEXT NOT NULL,\n"
    "  result_json TEXT,\n"
    "  created_ms INTEGER NOT NULL,\n"
    "  updated_ms INTEGER NOT NULL);\n",
};

static int parley_jschema_fail(sqlite3 *db, const char *path, const char *what,
                               parley_error_t *err) {
  parley_error_set(err, PARLEY_EIO, "%s: %s: %s", path, what, sqlite3_errmsg(db));
  if (!sqlite3_get_autocommit(db))
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  return PARLEY_EIO;
}

/* Refusals that are not SQLite errors still roll back the transaction. */
static int parley_jschema_refuse(sqlite3 *db, parley_error_t *err) {
  if (!sqlite3_get_autocommit(db))
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  return err ? err->code : PARLEY_EIO;
}

/* The integer a one-row query returns; -1 on error. */
static sqlite3_int64 parley_jschema_scalar(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  sqlite3_int64 v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    return -1;
  if (sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

/* The version in meta: 0 for an empty database (a new journal), a negative
 * PARLEY_E* code (err filled) for a database that is not a parley journal. */
static int parley_jschema_version(sqlite3 *db, const char *path, sqlite3_int64 *version,
                                  parley_error_t *err) {
  sqlite3_int64 has_meta = parley_jschema_scalar(
      db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
  sqlite3_int64 objects = parley_jschema_scalar(db, "SELECT count(*) FROM sqlite_master");
  sqlite3_stmt *st = NULL;
  int rc;

  if (has_meta < 0 || objects < 0)
    return parley_error_set(err, PARLEY_EIO, "%s: reading the schema: %s", path,
                            sqlite3_errmsg(db));
  if (!has_meta) {
    *version = 0;
    if (objects == 0)
      return 0;
    return parley_error_set(err, PARLEY_EIO,
                            "%s: is an SQLite database but not a parley journal (no meta table)",
                            path);
  }
  if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st,
                         NULL) != SQLITE_OK)
    return parley_error_set(err, PARLEY_EIO, "%s: reading the schema version: %s", path,
                            sqlite3_errmsg(db));
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER &&
      sqlite3_column_int64(st, 0) > 0) {
    *version = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return 0;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return parley_error_set(err, PARLEY_EIO, "%s: reading the schema version: %s", path,
                            sqlite3_errmsg(db));
  return parley_error_set(err, PARLEY_EIO,
                          "%s: not a parley journal: meta has no valid schema_version", path);
}

static int parley_jschema_store_version(sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db,
                              "INSERT INTO meta(key, value) VALUES('schema_version', ?) "
                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                              -1, &st, NULL);
  if (rc != SQLITE_OK)
    return rc;
  sqlite3_bind_int64(st, 1, PARLEY_JOURNAL_SCHEMA_VERSION);
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int parley_journal_schema_migrate(struct sqlite3 *db, const char *path, parley_error_t *err) {
  sqlite3_int64 version = 0;
  int rc;

  /* IMMEDIATE: two processes opening a new journal at once must not both
   * create the schema. */
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return parley_jschema_fail(db, path, "opening the journal", err);
  rc = parley_jschema_version(db, path, &version, err);
  if (rc < 0)
    return parley_jschema_refuse(db, err);
  if (version > PARLEY_JOURNAL_SCHEMA_VERSION) {
    parley_error_set(err, PARLEY_ENOTSUP,
                     "%s: journal schema version %lld is newer than this parley supports "
                     "(%d); upgrade parley or point it at another journal",
                     path, (long long)version, PARLEY_JOURNAL_SCHEMA_VERSION);
    return parley_jschema_refuse(db, err);
  }
  if (version < PARLEY_JOURNAL_SCHEMA_VERSION) {
    for (; version < PARLEY_JOURNAL_SCHEMA_VERSION; version++)
      if (sqlite3_exec(db, parley_journal_migrations[version], NULL, NULL, NULL) != SQLITE_OK)
        return parley_jschema_fail(db, path, "migrating the schema", err);
    if (parley_jschema_store_version(db) != SQLITE_OK)
      return parley_jschema_fail(db, path, "storing the schema version", err);
  }
  if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    return parley_jschema_fail(db, path, "committing the schema", err);
  return 0;
}
