/* parley core — the sqlite store's schema (v2) and the in-place migration
 * of a v1 store; the conversation state machine shared by the live store
 * and the migration. docs/outputs.md documents the tables: other tools
 * (the care metrics, agent tools) read them, so they are a contract. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output_sqlite.h"

/* ---- the state machine ---- */

static const char *const conv_status_names[] = {NULL, "open", "answered", "resolved"};

parley_conv_status_t parley_conv_status_parse(const char *s) {
  for (int i = PARLEY_CONV_OPEN; s && i <= PARLEY_CONV_RESOLVED; i++)
    if (strcmp(s, conv_status_names[i]) == 0)
      return (parley_conv_status_t)i;
  return s && strcmp(s, "closed") == 0 ? PARLEY_CONV_RESOLVED : PARLEY_CONV_NONE;
}

const char *parley_conv_status_name(parley_conv_status_t s) {
  return (unsigned)s <= PARLEY_CONV_RESOLVED ? conv_status_names[s] : NULL;
}

void parley_conv_state_time(char dst[PARLEY_CONV_TIME_MAX], const char *t) {
  size_t n = t ? strlen(t) : 0;
  if (n >= PARLEY_CONV_TIME_MAX)
    n = 0; /* unknown rather than cut: a cut time compares wrongly */
  memcpy(dst, t ? t : "", n);
  dst[n] = '\0';
}

/* 1 when t is older than the kept time ref (both known). The times are
 * RFC 3339 UTC in one format, so they sort as text (parley_conv_later). */
static int older_than(const char *t, const char *ref) {
  return t && *t && ref[0] && strcmp(t, ref) < 0;
}

static void keep_newest(char dst[PARLEY_CONV_TIME_MAX], const char *t) {
  if (t && *t && strlen(t) < PARLEY_CONV_TIME_MAX && strcmp(t, dst) > 0)
    parley_conv_state_time(dst, t);
}

/* A customer message opens a conversation the first time, reopens it when
 * the brand had answered or an agent had resolved it; the brand's message
 * answers an open (or new) one and leaves a resolved one resolved. Order of
 * arrival is not the order of writing: see output_sqlite.h. */
const char *parley_conv_step(parley_conv_state_t *c, int outbound, const char *created_at,
                             parley_conv_status_t *from) {
  parley_conv_status_t was = c->status;
  *from = was;
  if (outbound) {
    int stale = was == PARLEY_CONV_OPEN && older_than(created_at, c->last_in);
    keep_newest(c->last_out, created_at);
    if ((was != PARLEY_CONV_NONE && was != PARLEY_CONV_OPEN) || stale)
      return NULL;
    c->status = PARLEY_CONV_ANSWERED;
    return "answered";
  }
  int had = c->had_inbound;
  int stale = was == PARLEY_CONV_ANSWERED && older_than(created_at, c->last_out);
  c->had_inbound = 1;
  keep_newest(c->last_in, created_at);
  if (was == PARLEY_CONV_OPEN || stale)
    return NULL;
  c->status = PARLEY_CONV_OPEN;
  return was == PARLEY_CONV_RESOLVED || (was == PARLEY_CONV_ANSWERED && had) ? "reopened"
                                                                               : "opened";
}

const char *parley_conv_later(const char *a, const char *b) {
  if (!a || !b)
    return a ? a : b;
  return strcmp(a, b) >= 0 ? a : b;
}

/* ---- schema v2 ---- */

#define CONVERSATIONS_COLUMNS_V1                                                            \
  " id TEXT PRIMARY KEY, platform TEXT NOT NULL, connector TEXT NOT NULL,"                  \
  " account TEXT NOT NULL, visibility TEXT NOT NULL,"                                       \
  " status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'resolved')),"\
  " priority INTEGER, sentiment REAL, sla_due TEXT,"                                        \
  " first_at TEXT NOT NULL, last_at TEXT NOT NULL,"                                         \
  " last_inbound_at TEXT, last_outbound_at TEXT, first_response_at TEXT,"                   \
  " messages_in INTEGER NOT NULL DEFAULT 0, messages_out INTEGER NOT NULL DEFAULT 0,"       \
  " last_message_id TEXT,"

/* v2 additions, at the end: the migration copies v1's columns by name. */
#define CONVERSATIONS_TABLE(name)                                                           \
  "CREATE TABLE IF NOT EXISTS " name " (" CONVERSATIONS_COLUMNS_V1                          \
  " first_inbound_at TEXT, assigned_to TEXT, assigned_at TEXT,"                             \
  " resolved_at TEXT, resolved_by TEXT, reopened INTEGER NOT NULL DEFAULT 0,"               \
  " status_at TEXT);"

#define CONVERSATIONS_V1_NAMES                                                              \
  "id, platform, connector, account, visibility, status, priority, sentiment, sla_due,"     \
  " first_at, last_at, last_inbound_at, last_outbound_at, first_response_at, messages_in,"  \
  " messages_out, last_message_id"

/* Every statement is idempotent: it runs on every open of a v2 store (and
 * brings back an index an operator dropped). */
static const char schema_v2[] =
    "CREATE TABLE IF NOT EXISTS authors ("
    " platform TEXT NOT NULL, id TEXT NOT NULL, handle TEXT, name TEXT,"
    " followers INTEGER, verified INTEGER NOT NULL DEFAULT 0,"
    " first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,"
    " PRIMARY KEY (platform, id)) WITHOUT ROWID;"
    CONVERSATIONS_TABLE("conversations")
    "CREATE TABLE IF NOT EXISTS messages ("
    " id TEXT PRIMARY KEY, conversation_id TEXT, direction TEXT NOT NULL"
    " CHECK (direction IN ('in', 'out')), platform TEXT NOT NULL, connector TEXT NOT NULL,"
    " account TEXT NOT NULL, kind TEXT NOT NULL, visibility TEXT NOT NULL,"
    " author_id TEXT, in_reply_to TEXT, text TEXT, lang TEXT,"
    " created_at TEXT NOT NULL, received_at TEXT NOT NULL, url TEXT,"
    " sentiment REAL, priority INTEGER, sla_due TEXT, keywords TEXT,"
    " event TEXT NOT NULL, stored_at TEXT NOT NULL"
    " DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), agent TEXT);"
    "CREATE TABLE IF NOT EXISTS conversation_events ("
    " id INTEGER PRIMARY KEY, conversation_id TEXT NOT NULL, at TEXT NOT NULL,"
    " type TEXT NOT NULL"
    " CHECK (type IN ('opened', 'answered', 'assigned', 'resolved', 'reopened')),"
    " agent TEXT, detail TEXT, message_id TEXT);"
    "CREATE TABLE IF NOT EXISTS sent_by ("
    " message_id TEXT PRIMARY KEY, agent TEXT NOT NULL, idempotency_key TEXT NOT NULL,"
    " at TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS messages_by_conversation"
    " ON messages (conversation_id, created_at);"
    "CREATE INDEX IF NOT EXISTS messages_by_author ON messages (platform, author_id);"
    "CREATE INDEX IF NOT EXISTS messages_by_received ON messages (received_at);"
    "CREATE INDEX IF NOT EXISTS conversations_open"
    " ON conversations (status, priority DESC, sla_due);"
    /* the console's inbox order (router_inbox.c repeats these expressions):
     * SLA due first (none last), higher priority, longest waiting, id */
    "CREATE INDEX IF NOT EXISTS conversations_inbox ON conversations (status,"
    " coalesce(sla_due, '~'), -coalesce(priority, -1), coalesce(last_inbound_at, '~'), id);"
    "CREATE INDEX IF NOT EXISTS conversations_by_account"
    " ON conversations (account, last_at);"
    "CREATE INDEX IF NOT EXISTS conversations_by_assignee"
    " ON conversations (assigned_to, status);"
    "CREATE INDEX IF NOT EXISTS conversation_events_by_conversation"
    " ON conversation_events (conversation_id, at);"
    "CREATE INDEX IF NOT EXISTS conversation_events_by_at ON conversation_events (at);";

/* v1 -> v2. SQLite cannot change a CHECK constraint, so conversations is
 * rebuilt (create, copy, drop, rename: sqlite.org/lang_altertable.html).
 * legacy_alter_table keeps the rename from rewriting, or refusing over,
 * views an agent tool may have defined on conversations. */
static const char migrate_v1[] =
    "PRAGMA legacy_alter_table = ON;"
    CONVERSATIONS_TABLE("conversations_v2")
    "INSERT INTO conversations_v2 (" CONVERSATIONS_V1_NAMES ")"
    " SELECT id, platform, connector, account, visibility,"
    " CASE status WHEN 'closed' THEN 'resolved' ELSE status END,"
    " priority, sentiment, sla_due, first_at, last_at, last_inbound_at, last_outbound_at,"
    " first_response_at, messages_in, messages_out, last_message_id FROM conversations;"
    "DROP TABLE conversations;"
    "ALTER TABLE conversations_v2 RENAME TO conversations;"
    "ALTER TABLE messages ADD COLUMN agent TEXT;"
    "PRAGMA legacy_alter_table = OFF;";

/* ---- rebuilding the history of a v1 store ---- */

enum { RP_MESSAGES, RP_CONV, RP_EVENT, RP_UPDATE, RP_COUNT };

static const char *const replay_sql[RP_COUNT] = {
    /* rowid order is the order the store received them: the live order */
    [RP_MESSAGES] = "SELECT conversation_id, id, direction, created_at FROM messages"
                    " WHERE conversation_id IS NOT NULL"
                    " AND kind NOT IN ('reaction', 'edited', 'deleted', 'system')"
                    " ORDER BY conversation_id, rowid",
    [RP_CONV] = "SELECT status, last_at FROM conversations WHERE id = ?1",
    [RP_EVENT] = "INSERT INTO conversation_events (conversation_id, at, type, detail, message_id)"
                 " VALUES (?1, ?2, ?3, ?4, ?5)",
    [RP_UPDATE] = "UPDATE conversations SET first_inbound_at = ?2, reopened = ?3,"
                  " status_at = ?4, resolved_at = ?5 WHERE id = ?1",
};

typedef struct replay {
  sqlite3_stmt *st[RP_COUNT];
  char *conv;             /* the conversation being replayed, NULL before the first */
  int exists;             /* it has a row (else its messages are skipped) */
  parley_conv_status_t stored;
  char *last_at, *status_at, *first_in, *resolved_at;
  parley_conv_state_t state;
  int reopened;
} replay_t;

static void set_str(char **slot, const char *s) {
  char *copy = s ? strdup(s) : NULL;
  free(*slot);
  *slot = copy;
}

static void bind_opt(sqlite3_stmt *st, int i, const char *s) {
  if (s)
    sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(st, i);
}

static int run(sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int replay_event(replay_t *p, const char *at, const char *type, const char *detail,
                        const char *message) {
  sqlite3_stmt *st = p->st[RP_EVENT];
  const char *args[] = {p->conv, at, type, detail, message};
  for (int i = 0; i < 5; i++)
    bind_opt(st, i + 1, args[i]);
  set_str(&p->status_at, at);
  return run(st);
}

/* The end of one conversation: a v1 'closed' (now resolved) was set by an
 * agent tool at a time not recorded; its last message's time stands in. */
static int replay_finish(replay_t *p) {
  int rc = SQLITE_OK;
  if (!p->conv || !p->exists)
    return rc;
  if (p->stored == PARLEY_CONV_RESOLVED && p->state.status != PARLEY_CONV_RESOLVED) {
    char *at = strdup(parley_conv_later(p->last_at, p->status_at));
    rc = at ? replay_event(p, at, "resolved", "closed", NULL) : SQLITE_NOMEM;
    set_str(&p->resolved_at, at);
    free(at);
  }
  sqlite3_stmt *st = p->st[RP_UPDATE];
  bind_opt(st, 1, p->conv);
  bind_opt(st, 2, p->first_in);
  sqlite3_bind_int(st, 3, p->reopened);
  bind_opt(st, 4, p->status_at);
  bind_opt(st, 5, p->resolved_at);
  return rc == SQLITE_OK ? run(st) : rc;
}

static int replay_begin(replay_t *p, const char *conv) {
  sqlite3_stmt *st = p->st[RP_CONV];
  set_str(&p->conv, conv);
  set_str(&p->status_at, NULL);
  set_str(&p->first_in, NULL);
  set_str(&p->resolved_at, NULL);
  set_str(&p->last_at, NULL);
  p->state = (parley_conv_state_t){0};
  p->reopened = 0;
  bind_opt(st, 1, conv);
  int rc = sqlite3_step(st);
  p->exists = rc == SQLITE_ROW;
  if (p->exists) {
    p->stored = parley_conv_status_parse((const char *)sqlite3_column_text(st, 0));
    set_str(&p->last_at, (const char *)sqlite3_column_text(st, 1));
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return !p->conv ? SQLITE_NOMEM : rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int replay_message(replay_t *p, sqlite3_stmt *m) {
  const char *id = (const char *)sqlite3_column_text(m, 1);
  const char *dir = (const char *)sqlite3_column_text(m, 2);
  const char *created = (const char *)sqlite3_column_text(m, 3);
  int outbound = dir && strcmp(dir, "out") == 0;
  parley_conv_status_t from;
  if (!outbound && (!p->first_in || strcmp(created, p->first_in) < 0))
    set_str(&p->first_in, created);
  const char *type = parley_conv_step(&p->state, outbound, created, &from);
  if (!type)
    return SQLITE_OK;
  int reopen = strcmp(type, "reopened") == 0;
  p->reopened += reopen;
  char *at = strdup(parley_conv_later(created, p->status_at));
  int rc = at ? replay_event(p, at, type, reopen ? parley_conv_status_name(from) : NULL, id)
              : SQLITE_NOMEM;
  free(at);
  return rc;
}

static int replay_rows(replay_t *p) {
  sqlite3_stmt *m = p->st[RP_MESSAGES];
  int rc;
  while ((rc = sqlite3_step(m)) == SQLITE_ROW) {
    const char *conv = (const char *)sqlite3_column_text(m, 0);
    int r = SQLITE_OK;
    if (!p->conv || strcmp(conv, p->conv) != 0) {
      r = replay_finish(p);
      if (r == SQLITE_OK)
        r = replay_begin(p, conv);
    }
    if (r == SQLITE_OK && p->exists)
      r = replay_message(p, m);
    if (r != SQLITE_OK)
      return r;
  }
  return rc == SQLITE_DONE ? replay_finish(p) : rc;
}

/* conversation_events, first_inbound_at, reopened and status_at of a v1
 * store, rebuilt by running its messages through the state machine. */
static int replay_history(sqlite3 *db) {
  replay_t p = {0};
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < RP_COUNT; i++)
    rc = sqlite3_prepare_v2(db, replay_sql[i], -1, &p.st[i], NULL);
  if (rc == SQLITE_OK)
    rc = replay_rows(&p);
  for (int i = 0; i < RP_COUNT; i++)
    sqlite3_finalize(p.st[i]);
  free(p.conv);
  free(p.last_at);
  free(p.status_at);
  free(p.first_in);
  free(p.resolved_at);
  return rc;
}

/* ---- open ---- */

#define TEXT_OF_(x) #x
#define TEXT_OF(x) TEXT_OF_(x)
#define SCHEMA_VERSION_TEXT TEXT_OF(PARLEY_STORE_SCHEMA_VERSION)

static int user_version(sqlite3 *db, int *v) {
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    *v = sqlite3_column_int(st, 0);
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return rc;
}

static int schema_steps(sqlite3 *db, int version, char *msg, size_t msglen) {
  int rc = SQLITE_OK;
  if (version > PARLEY_STORE_SCHEMA_VERSION) {
    snprintf(msg, msglen, "store schema version %d is newer than this parleyd's (%d)", version,
             PARLEY_STORE_SCHEMA_VERSION);
    return SQLITE_ERROR;
  }
  if (version == 1)
    rc = sqlite3_exec(db, migrate_v1, NULL, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(db, schema_v2, NULL, NULL, NULL);
  if (rc == SQLITE_OK && version == 1)
    rc = replay_history(db);
  if (rc == SQLITE_OK && version != PARLEY_STORE_SCHEMA_VERSION)
    rc = sqlite3_exec(db, "PRAGMA user_version = " SCHEMA_VERSION_TEXT, NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    snprintf(msg, msglen, "%s schema v%d: %s", version == 1 ? "migrating to" : "creating",
             PARLEY_STORE_SCHEMA_VERSION, sqlite3_errmsg(db));
  return rc;
}

int parley_sqlite_schema_ensure(sqlite3 *db, int *was, char *msg, size_t msglen) {
  int version = 0;
  int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    snprintf(msg, msglen, "cannot lock: %s", sqlite3_errmsg(db));
    return rc;
  }
  rc = user_version(db, &version);
  *was = version;
  if (rc != SQLITE_OK)
    snprintf(msg, msglen, "cannot read the schema version: %s", sqlite3_errmsg(db));
  else
    rc = schema_steps(db, version, msg, msglen);
  if (rc == SQLITE_OK && (rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
    snprintf(msg, msglen, "cannot commit the schema: %s", sqlite3_errmsg(db));
  if (rc != SQLITE_OK && !sqlite3_get_autocommit(db))
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  return rc;
}
