/* parley core — the sqlite output: a conversation store an agent tool can
 * query ("open conversations by priority") and metrics can be computed
 * from. Tables: authors, conversations, messages (docs/outputs.md has the
 * schema and example queries).
 *
 * Exactly-once: a batch is one transaction, and a message is keyed by the
 * event id. A redelivered event (the router delivers at least once) finds
 * its row already there and changes nothing, not even the conversation's
 * counters, because those are updated only when the message row is new. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "log.h"
#include "output.h"

typedef struct sqlite_config {
  const char *path;
  const char *synchronous;
  int64_t busy_timeout_ms;
} sqlite_config_t;

enum {
  ST_MSG_INSERT,
  ST_CONV_OF,
  ST_CONV_IN,
  ST_CONV_OUT,
  ST_AUTHOR,
  ST_COUNT
};

typedef struct sqlite_store {
  parley_output_t *o;
  const sqlite_config_t *cfg;
  sqlite3 *db;
  sqlite3_stmt *st[ST_COUNT];
  uint64_t skipped; /* unreadable events, logged */
} sqlite_store_t;

static const parley_option_t sqlite_options[] = {
    {"path", PARLEY_OPT_STRING, PARLEY_OPT_REQUIRED, NULL, offsetof(sqlite_config_t, path),
     "SQLite database file of the conversation store (created if missing)"},
    {"synchronous", PARLEY_OPT_STRING, 0, "normal", offsetof(sqlite_config_t, synchronous),
     "normal (survives a crash of the process) or full (also power loss, fsync per batch)"},
    {"busy_timeout", PARLEY_OPT_DURATION, 0, "5s", offsetof(sqlite_config_t, busy_timeout_ms),
     "how long a write waits for a reader's lock before the batch fails and is retried"},
    {NULL, 0, 0, NULL, 0, NULL},
};

/* The schema. Every statement is idempotent so open() can run it on an
 * existing store; user_version tells future migrations where they start. */
static const char sqlite_schema[] =
    "CREATE TABLE IF NOT EXISTS authors ("
    " platform TEXT NOT NULL, id TEXT NOT NULL, handle TEXT, name TEXT,"
    " followers INTEGER, verified INTEGER NOT NULL DEFAULT 0,"
    " first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,"
    " PRIMARY KEY (platform, id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS conversations ("
    " id TEXT PRIMARY KEY, platform TEXT NOT NULL, connector TEXT NOT NULL,"
    " account TEXT NOT NULL, visibility TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'closed')),"
    " priority INTEGER, sentiment REAL, sla_due TEXT,"
    " first_at TEXT NOT NULL, last_at TEXT NOT NULL,"
    " last_inbound_at TEXT, last_outbound_at TEXT, first_response_at TEXT,"
    " messages_in INTEGER NOT NULL DEFAULT 0, messages_out INTEGER NOT NULL DEFAULT 0,"
    " last_message_id TEXT);"
    "CREATE TABLE IF NOT EXISTS messages ("
    " id TEXT PRIMARY KEY, conversation_id TEXT, direction TEXT NOT NULL"
    " CHECK (direction IN ('in', 'out')), platform TEXT NOT NULL, connector TEXT NOT NULL,"
    " account TEXT NOT NULL, kind TEXT NOT NULL, visibility TEXT NOT NULL,"
    " author_id TEXT, in_reply_to TEXT, text TEXT, lang TEXT,"
    " created_at TEXT NOT NULL, received_at TEXT NOT NULL, url TEXT,"
    " sentiment REAL, priority INTEGER, sla_due TEXT, keywords TEXT,"
    " event TEXT NOT NULL, stored_at TEXT NOT NULL"
    " DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));"
    "CREATE INDEX IF NOT EXISTS messages_by_conversation"
    " ON messages (conversation_id, created_at);"
    "CREATE INDEX IF NOT EXISTS messages_by_author ON messages (platform, author_id);"
    "CREATE INDEX IF NOT EXISTS messages_by_received ON messages (received_at);"
    "CREATE INDEX IF NOT EXISTS conversations_open"
    " ON conversations (status, priority DESC, sla_due);"
    "CREATE INDEX IF NOT EXISTS conversations_by_account"
    " ON conversations (account, last_at);"
    "PRAGMA user_version = 1;";

static const char *const sqlite_sql[ST_COUNT] = {
    [ST_MSG_INSERT] =
        "INSERT INTO messages (id, conversation_id, direction, platform, connector, account,"
        " kind, visibility, author_id, in_reply_to, text, lang, created_at, received_at, url,"
        " sentiment, priority, sla_due, keywords, event)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
        " ?18, ?19, ?20) ON CONFLICT (id) DO NOTHING",
    [ST_CONV_OF] = "SELECT conversation_id FROM messages WHERE id = ?1",
    /* An inbound message (re)opens its conversation. While it stays open the
     * priority is the highest and the SLA the earliest seen; reopening an
     * answered one starts from this message. */
    [ST_CONV_IN] =
        "INSERT INTO conversations (id, platform, connector, account, visibility, status,"
        " priority, sentiment, sla_due, first_at, last_at, last_inbound_at, messages_in,"
        " last_message_id)"
        " VALUES (?1, ?2, ?3, ?4, ?5, 'open', ?6, ?7, ?8, ?9, ?9, ?9, 1, ?10)"
        " ON CONFLICT (id) DO UPDATE SET"
        " priority = CASE WHEN status = 'open' THEN max(coalesce(priority, 0),"
        "   coalesce(excluded.priority, 0)) ELSE excluded.priority END,"
        " sla_due = CASE WHEN status = 'open' AND sla_due IS NOT NULL"
        "   AND (excluded.sla_due IS NULL OR sla_due < excluded.sla_due) THEN sla_due"
        "   ELSE excluded.sla_due END,"
        " status = 'open',"
        " sentiment = coalesce(excluded.sentiment, sentiment),"
        " last_at = max(last_at, excluded.last_at),"
        " last_inbound_at = max(coalesce(last_inbound_at, ''), excluded.last_inbound_at),"
        " messages_in = messages_in + 1, last_message_id = excluded.last_message_id",
    /* An outbound message (the brand answered) marks it answered. */
    [ST_CONV_OUT] =
        "INSERT INTO conversations (id, platform, connector, account, visibility, status,"
        " first_at, last_at, last_outbound_at, first_response_at, messages_out,"
        " last_message_id)"
        " VALUES (?1, ?2, ?3, ?4, ?5, 'answered', ?6, ?6, ?6, ?6, 1, ?7)"
        " ON CONFLICT (id) DO UPDATE SET"
        " status = CASE WHEN status = 'closed' THEN status ELSE 'answered' END,"
        " sla_due = NULL, last_at = max(last_at, excluded.last_at),"
        " last_outbound_at = max(coalesce(last_outbound_at, ''), excluded.last_outbound_at),"
        " first_response_at = coalesce(first_response_at, excluded.first_response_at),"
        " messages_out = messages_out + 1, last_message_id = excluded.last_message_id",
    [ST_AUTHOR] =
        "INSERT INTO authors (platform, id, handle, name, followers, verified, first_seen,"
        " last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
        " ON CONFLICT (platform, id) DO UPDATE SET"
        " handle = coalesce(excluded.handle, handle), name = coalesce(excluded.name, name),"
        " followers = coalesce(excluded.followers, followers), verified = excluded.verified,"
        " last_seen = max(last_seen, excluded.last_seen)",
};

/* ---- reading the event ---- */

typedef struct sqlite_msg {
  const char *id, *platform, *connector, *account, *kind, *visibility;
  const char *conversation, *in_reply_to, *text, *lang, *created_at, *received_at, *url;
  const char *author_id, *handle, *name, *sla_due;
  json_t *followers, *verified, *sentiment, *priority, *keywords;
} sqlite_msg_t;

static const char *str_at(json_t *obj, const char *key) {
  return json_string_value(json_object_get(obj, key));
}

static void msg_read(json_t *ev, sqlite_msg_t *m) {
  json_t *author = json_object_get(ev, "author"), *signals = json_object_get(ev, "signals");
  memset(m, 0, sizeof *m);
  m->id = str_at(ev, "id");
  m->platform = str_at(ev, "platform");
  m->connector = str_at(ev, "connector");
  m->account = str_at(ev, "account");
  m->kind = str_at(ev, "kind");
  m->visibility = str_at(ev, "visibility");
  m->conversation = str_at(ev, "conversation_id");
  m->in_reply_to = str_at(ev, "in_reply_to");
  m->text = str_at(ev, "text");
  m->lang = str_at(ev, "lang");
  m->created_at = str_at(ev, "created_at");
  m->received_at = str_at(ev, "received_at");
  m->url = str_at(ev, "url");
  m->author_id = str_at(author, "id");
  m->handle = str_at(author, "handle");
  m->name = str_at(author, "name");
  m->followers = json_object_get(author, "followers");
  m->verified = json_object_get(author, "verified");
  m->sentiment = json_object_get(signals, "sentiment");
  m->priority = json_object_get(signals, "priority");
  m->keywords = json_object_get(signals, "keywords");
  m->sla_due = str_at(signals, "sla_due");
}

/* ---- statements ---- */

static void bind_text(sqlite3_stmt *st, int i, const char *s) {
  if (s)
    sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(st, i);
}

static void bind_json_number(sqlite3_stmt *st, int i, json_t *v) {
  if (json_is_integer(v))
    sqlite3_bind_int64(st, i, (sqlite3_int64)json_integer_value(v));
  else if (json_is_number(v))
    sqlite3_bind_double(st, i, json_number_value(v));
  else
    sqlite3_bind_null(st, i);
}

static int step_done(sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : rc;
}

/* The conversation a message belongs to: its own conversation_id; else
 * that of the message it answers, when stored; else its own id (a lone
 * mention is a conversation of one). System events belong to none. */
static char *conversation_of(sqlite_store_t *s, const sqlite_msg_t *m) {
  if (strcmp(m->kind, "system") == 0)
    return NULL;
  if (m->conversation)
    return strdup(m->conversation);
  if (m->in_reply_to) {
    sqlite3_stmt *st = s->st[ST_CONV_OF];
    char *conv = NULL;
    bind_text(st, 1, m->in_reply_to);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
      conv = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (conv)
      return conv;
  }
  return strdup(m->id);
}

static int insert_message(sqlite_store_t *s, const sqlite_msg_t *m, const char *conv,
                          const char *json, size_t len, int outbound, int *is_new) {
  sqlite3_stmt *st = s->st[ST_MSG_INSERT];
  char *kw = m->keywords ? json_dumps(m->keywords, JSON_COMPACT) : NULL;
  const char *text_args[] = {m->id, conv, outbound ? "out" : "in", m->platform, m->connector,
                             m->account, m->kind, m->visibility, m->author_id, m->in_reply_to,
                             m->text, m->lang, m->created_at, m->received_at, m->url};
  for (int i = 0; i < 15; i++)
    bind_text(st, i + 1, text_args[i]);
  bind_json_number(st, 16, m->sentiment);
  bind_json_number(st, 17, m->priority);
  bind_text(st, 18, m->sla_due);
  bind_text(st, 19, kw);
  sqlite3_bind_text(st, 20, json, (int)len, SQLITE_TRANSIENT);
  int rc = step_done(st);
  free(kw);
  *is_new = rc == 0 && sqlite3_changes(s->db) > 0;
  return rc;
}

static int update_conversation(sqlite_store_t *s, const sqlite_msg_t *m, const char *conv,
                               int outbound) {
  sqlite3_stmt *st = s->st[outbound ? ST_CONV_OUT : ST_CONV_IN];
  const char *head[] = {conv, m->platform, m->connector, m->account, m->visibility};
  for (int i = 0; i < 5; i++)
    bind_text(st, i + 1, head[i]);
  if (outbound) {
    bind_text(st, 6, m->created_at);
    bind_text(st, 7, m->id);
  } else {
    bind_json_number(st, 6, m->priority);
    bind_json_number(st, 7, m->sentiment);
    bind_text(st, 8, m->sla_due);
    bind_text(st, 9, m->created_at);
    bind_text(st, 10, m->id);
  }
  return step_done(st);
}

static int upsert_author(sqlite_store_t *s, const sqlite_msg_t *m) {
  sqlite3_stmt *st = s->st[ST_AUTHOR];
  if (!m->author_id)
    return 0;
  bind_text(st, 1, m->platform);
  bind_text(st, 2, m->author_id);
  bind_text(st, 3, m->handle);
  bind_text(st, 4, m->name);
  bind_json_number(st, 5, m->followers);
  sqlite3_bind_int(st, 6, json_is_true(m->verified));
  bind_text(st, 7, m->created_at);
  return step_done(st);
}

/* Which events move a conversation: messages in, and the brand's answers.
 * Reactions, edits and deletions are stored but change no status. */
static int moves_conversation(const char *kind) {
  return strcmp(kind, "reaction") != 0 && strcmp(kind, "edited") != 0 &&
         strcmp(kind, "deleted") != 0;
}

/* Store one event; returns an SQLite code (0 when stored or already there). */
static int store_one(sqlite_store_t *s, const parley_output_item_t *it) {
  json_error_t jerr;
  json_t *ev = json_loadb(it->json, it->len, 0, &jerr);
  sqlite_msg_t m;
  if (ev)
    msg_read(ev, &m);
  if (!ev || !m.id || !m.platform || !m.connector || !m.account || !m.kind || !m.visibility ||
      !m.created_at || !m.received_at) {
    /* The journal only holds validated events: this is a bug, not a
     * reason to stop the store. Logged and counted, never silent. */
    s->skipped++;
    parley_log(PARLEY_LOG_ERROR, parley_output_name(s->o),
               "event %s (journal seq %lld) is not a parley.event.v1 document; not stored",
               it->id, (long long)it->seq);
    json_decref(ev);
    return 0;
  }
  int outbound = strcmp(m.kind, "outbound") == 0, is_new = 0;
  char *conv = conversation_of(s, &m);
  int rc = insert_message(s, &m, conv, it->json, it->len, outbound, &is_new);
  if (rc == 0 && is_new && conv && moves_conversation(m.kind))
    rc = update_conversation(s, &m, conv, outbound);
  if (rc == 0 && is_new && !outbound)
    rc = upsert_author(s, &m);
  free(conv);
  json_decref(ev);
  return rc;
}

/* ---- the output ---- */

static int sqlite_create(parley_output_t *o, const void *config, void **state,
                         parley_error_t *err) {
  const sqlite_config_t *cfg = config;
  if (strcmp(cfg->synchronous, "normal") != 0 && strcmp(cfg->synchronous, "full") != 0)
    return parley_error_set(err, PARLEY_ECONFIG,
                            "output %s: synchronous: expected normal or full, got \"%s\"",
                            parley_output_name(o), cfg->synchronous);
  sqlite_store_t *s = calloc(1, sizeof *s);
  if (!s)
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  s->o = o;
  s->cfg = cfg;
  *state = s;
  return 0;
}

static int sqlite_fail(sqlite_store_t *s, parley_error_t *err, const char *what) {
  int rc = parley_error_set(err, PARLEY_EIO, "output %s: %s %s: %s", parley_output_name(s->o),
                            what, s->cfg->path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
  for (int i = 0; i < ST_COUNT; i++) {
    sqlite3_finalize(s->st[i]);
    s->st[i] = NULL;
  }
  sqlite3_close(s->db);
  s->db = NULL;
  return rc;
}

static int sqlite_open(void *state, uv_loop_t *loop, parley_error_t *err) {
  sqlite_store_t *s = state;
  (void)loop;
  if (sqlite3_open_v2(s->cfg->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL))
    return sqlite_fail(s, err, "cannot open");
  sqlite3_busy_timeout(s->db, (int)s->cfg->busy_timeout_ms);
  char pragmas[128];
  snprintf(pragmas, sizeof pragmas, "PRAGMA journal_mode = WAL; PRAGMA synchronous = %s;",
           strcmp(s->cfg->synchronous, "full") == 0 ? "FULL" : "NORMAL");
  if (sqlite3_exec(s->db, pragmas, NULL, NULL, NULL) != SQLITE_OK)
    return sqlite_fail(s, err, "cannot set WAL mode on");
  if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_exec(s->db, sqlite_schema, NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    return sqlite_fail(s, err, "cannot create the store schema in");
  for (int i = 0; i < ST_COUNT; i++)
    if (sqlite3_prepare_v3(s->db, sqlite_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
                           NULL) != SQLITE_OK)
      return sqlite_fail(s, err, "cannot prepare statements on");
  return 0;
}

static void sqlite_deliver(void *state, const parley_output_item_t *items, size_t n) {
  sqlite_store_t *s = state;
  int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  for (size_t i = 0; rc == SQLITE_OK && i < n; i++)
    rc = store_one(s, &items[i]);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    char msg[512];
    snprintf(msg, sizeof msg, "store %s: %s", s->cfg->path, sqlite3_errmsg(s->db));
    if (!sqlite3_get_autocommit(s->db))
      sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    parley_output_done(s->o, PARLEY_EIO, msg);
    return;
  }
  parley_output_done(s->o, 0, NULL);
}

static void sqlite_close(void *state, void (*cb)(parley_output_t *o), parley_output_t *o) {
  sqlite_store_t *s = state;
  for (int i = 0; i < ST_COUNT; i++) {
    sqlite3_finalize(s->st[i]);
    s->st[i] = NULL;
  }
  sqlite3_close(s->db);
  s->db = NULL;
  cb(o);
}

static void sqlite_destroy(void *state) {
  sqlite_store_t *s = state;
  if (!s)
    return;
  for (int i = 0; i < ST_COUNT; i++) /* opened but never closed */
    sqlite3_finalize(s->st[i]);
  sqlite3_close(s->db);
  free(s);
}

const parley_output_type_t parley_output_sqlite = {
    .name = "sqlite",
    .description = "conversation store in SQLite: conversations, messages in and out, authors",
    .options = sqlite_options,
    .config_size = sizeof(sqlite_config_t),
    .create = sqlite_create,
    .open = sqlite_open,
    .deliver = sqlite_deliver,
    .close = sqlite_close,
    .destroy = sqlite_destroy,
};
