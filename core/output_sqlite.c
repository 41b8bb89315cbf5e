/* parley core — the sqlite output: a conversation store an agent tool can
 * query ("open conversations by priority") and metrics can be computed
 * from. Tables: authors, conversations, messages, conversation_events,
 * sent_by (docs/outputs.md has the schema, the state machine and example
 * queries; output_sqlite_schema.c creates and migrates them).
 *
 * Exactly-once: a batch is one transaction, and a message is keyed by the
 * event id. A redelivered event (the router delivers at least once) finds
 * its row already there and changes nothing, not even the conversation's
 * counters or events, because those change only when the message row is
 * new. The core's own actions (assign, resolve, the agent of a reply) come
 * through apply_action, on the loop between batches, each in its own short
 * transaction; the router's idempotency key makes them exactly-once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "log.h"
#include "output.h"
#include "output_sqlite.h"
#include "parley/time.h"

typedef struct sqlite_config {
  const char *path;
  const char *synchronous;
  int64_t busy_timeout_ms;
} sqlite_config_t;

enum {
  ST_MSG_INSERT,
  ST_CONV_OF,
  ST_CONV_STATE,
  ST_CONV_IN,
  ST_CONV_OUT,
  ST_AUTHOR,
  ST_EVENT,
  ST_SENT_GET,
  ST_SENT_PUT,
  ST_SENT_FILL_MSG,
  ST_SENT_FILL_EVENT,
  ST_CONV_GET,
  ST_RESOLVE,
  ST_ASSIGN,
  ST_COUNT
};

/* A change made in the open transaction, told the watcher after COMMIT. */
typedef struct pending_change {
  parley_store_change_type_t type;
  char *conv, *a, *b, *c; /* message: id, platform, direction; conversation: status, assignee */
} pending_change_t;

typedef struct sqlite_store {
  parley_output_t *o;
  const sqlite_config_t *cfg;
  sqlite3 *db;
  sqlite3_stmt *st[ST_COUNT];
  uint64_t skipped; /* unreadable events, logged */
  parley_store_watch_cb watch;
  void *watch_data;
  pending_change_t *changes;
  size_t n_changes, cap_changes;
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

static const char *const sqlite_sql[ST_COUNT] = {
    [ST_MSG_INSERT] =
        "INSERT INTO messages (id, conversation_id, direction, platform, connector, account,"
        " kind, visibility, author_id, in_reply_to, text, lang, created_at, received_at, url,"
        " sentiment, priority, sla_due, keywords, event, agent)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
        " ?18, ?19, ?20, ?21) ON CONFLICT (id) DO NOTHING",
    [ST_CONV_OF] = "SELECT conversation_id FROM messages WHERE id = ?1",
    [ST_CONV_STATE] = "SELECT status, first_inbound_at IS NOT NULL, status_at, last_inbound_at,"
                      " last_outbound_at FROM conversations WHERE id = ?1",
    /* An inbound message (re)opens its conversation. While it stays open the
     * priority is the highest and the SLA the earliest seen; reopening an
     * answered or resolved one starts from this message (?11: the time of
     * the status change, NULL when it stays open; ?12: 1 when it reopens). A
     * resolved one forgets resolved_at/by: its conversation_events keep them.
     * ?13: 0 when the message is older than the brand's last answer, so an
     * answered conversation stays answered, its priority and SLA untouched
     * (parley_conv_step); else 1. */
    [ST_CONV_IN] =
        "INSERT INTO conversations (id, platform, connector, account, visibility, status,"
        " priority, sentiment, sla_due, first_at, last_at, last_inbound_at, messages_in,"
        " last_message_id, first_inbound_at, status_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, 'open', ?6, ?7, ?8, ?9, ?9, ?9, 1, ?10, ?9, ?11)"
        " ON CONFLICT (id) DO UPDATE SET"
        " priority = CASE WHEN status = 'open' THEN max(coalesce(priority, 0),"
        "   coalesce(excluded.priority, 0)) WHEN ?13 THEN excluded.priority ELSE priority END,"
        " sla_due = CASE WHEN status = 'open' AND sla_due IS NOT NULL"
        "   AND (excluded.sla_due IS NULL OR sla_due < excluded.sla_due) THEN sla_due"
        "   WHEN status = 'open' OR ?13 THEN excluded.sla_due ELSE sla_due END,"
        " status = CASE WHEN ?13 THEN 'open' ELSE status END,"
        " sentiment = coalesce(excluded.sentiment, sentiment),"
        " last_at = max(last_at, excluded.last_at),"
        " last_inbound_at = max(coalesce(last_inbound_at, ''), excluded.last_inbound_at),"
        " messages_in = messages_in + 1, last_message_id = excluded.last_message_id,"
        " first_inbound_at = CASE WHEN first_inbound_at IS NULL"
        "   OR excluded.first_inbound_at < first_inbound_at THEN excluded.first_inbound_at"
        "   ELSE first_inbound_at END,"
        " reopened = reopened + ?12, status_at = coalesce(?11, status_at),"
        " resolved_at = CASE WHEN status = 'resolved' AND ?13 THEN NULL ELSE resolved_at END,"
        " resolved_by = CASE WHEN status = 'resolved' AND ?13 THEN NULL ELSE resolved_by END",
    /* An outbound message (the brand answered) marks it answered; a
     * resolved conversation stays resolved. ?8: the time of the change.
     * ?9: 0 when the message is older than the customer's last one, so an
     * open conversation stays open with its SLA (parley_conv_step); else 1. */
    [ST_CONV_OUT] =
        "INSERT INTO conversations (id, platform, connector, account, visibility, status,"
        " first_at, last_at, last_outbound_at, first_response_at, messages_out,"
        " last_message_id, status_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, 'answered', ?6, ?6, ?6, ?6, 1, ?7, ?8)"
        " ON CONFLICT (id) DO UPDATE SET"
        " status = CASE WHEN status = 'resolved' OR NOT ?9 THEN status ELSE 'answered' END,"
        " status_at = coalesce(?8, status_at),"
        " sla_due = CASE WHEN ?9 THEN NULL ELSE sla_due END, last_at = max(last_at, excluded.last_at),"
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
    [ST_EVENT] = "INSERT INTO conversation_events (conversation_id, at, type, agent, detail,"
                 " message_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    /* The agent of a reply sent through parley, recorded when the action
     * succeeded: the outbound message may be stored before or after. */
    [ST_SENT_GET] = "SELECT agent FROM sent_by WHERE message_id = ?1",
    [ST_SENT_PUT] = "INSERT INTO sent_by (message_id, agent, idempotency_key, at)"
                    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (message_id) DO NOTHING",
    [ST_SENT_FILL_MSG] = "UPDATE messages SET agent = ?2 WHERE id = ?1 AND agent IS NULL",
    [ST_SENT_FILL_EVENT] =
        "UPDATE conversation_events SET agent = ?2 WHERE conversation_id ="
        " (SELECT conversation_id FROM messages WHERE id = ?1)"
        " AND message_id = ?1 AND agent IS NULL",
    [ST_CONV_GET] = "SELECT status, platform, assigned_to FROM conversations WHERE id = ?1",
    [ST_RESOLVE] = "UPDATE conversations SET status = 'resolved', sla_due = NULL,"
                   " resolved_at = ?2, resolved_by = ?3, status_at = ?2 WHERE id = ?1",
    [ST_ASSIGN] = "UPDATE conversations SET assigned_to = ?2, assigned_at = ?3 WHERE id = ?1",
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

/* ---- telling the watcher ---- */

static void change_free(pending_change_t *c) {
  free(c->conv);
  free(c->a);
  free(c->b);
  free(c->c);
}

static void changes_drop(sqlite_store_t *s) {
  for (size_t i = 0; i < s->n_changes; i++)
    change_free(&s->changes[i]);
  s->n_changes = 0;
}

static char *dup_or_null(const char *v) { return v ? strdup(v) : NULL; }

/* Remember a change (a watcher misses it when memory runs out: the store
 * itself is not affected). */
static void change_add(sqlite_store_t *s, parley_store_change_type_t type, const char *conv,
                       const char *a, const char *b, const char *c) {
  if (!s->watch || !conv)
    return;
  if (s->n_changes == s->cap_changes) {
    size_t cap = s->cap_changes ? s->cap_changes * 2 : 16;
    pending_change_t *v = realloc(s->changes, cap * sizeof *v);
    if (!v)
      return;
    s->changes = v;
    s->cap_changes = cap;
  }
  pending_change_t *p = &s->changes[s->n_changes++];
  *p = (pending_change_t){type, strdup(conv), dup_or_null(a), dup_or_null(b), dup_or_null(c)};
}

/* After COMMIT: tell the watcher, in order. */
static void changes_flush(sqlite_store_t *s) {
  for (size_t i = 0; s->watch && i < s->n_changes; i++) {
    pending_change_t *p = &s->changes[i];
    parley_store_change_t c = {.type = p->type, .conversation_id = p->conv};
    if (p->type == PARLEY_STORE_MESSAGE) {
      c.message_id = p->a;
      c.platform = p->b;
      c.direction = p->c;
    } else {
      c.status = p->a;
      c.assigned_to = p->b;
    }
    s->watch(&c, s->watch_data);
  }
  changes_drop(s);
}

void parley_output_sqlite_watch(void *state, parley_store_watch_cb cb, void *data) {
  sqlite_store_t *s = state;
  s->watch = cb;
  s->watch_data = data;
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
                          const char *json, size_t len, int outbound, const char *agent,
                          int *is_new) {
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
  bind_text(st, 21, agent);
  int rc = step_done(st);
  free(kw);
  *is_new = rc == 0 && sqlite3_changes(s->db) > 0;
  return rc;
}

/* The first text column of a one-row query on key, copied; NULL if none. */
static char *lookup_text(sqlite_store_t *s, int which, const char *key, int *rc) {
  sqlite3_stmt *st = s->st[which];
  char *v = NULL;
  bind_text(st, 1, key);
  int r = sqlite3_step(st);
  if (r == SQLITE_ROW && sqlite3_column_text(st, 0))
    v = strdup((const char *)sqlite3_column_text(st, 0));
  *rc = r == SQLITE_ROW || r == SQLITE_DONE ? 0 : r;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return v;
}

/* The conversation's state before this message, and when it last changed. */
static int conversation_state(sqlite_store_t *s, const char *conv, parley_conv_state_t *c,
                              char **status_at) {
  sqlite3_stmt *st = s->st[ST_CONV_STATE];
  *c = (parley_conv_state_t){0};
  *status_at = NULL;
  bind_text(st, 1, conv);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    c->status = parley_conv_status_parse((const char *)sqlite3_column_text(st, 0));
    c->had_inbound = sqlite3_column_int(st, 1);
    if (sqlite3_column_text(st, 2))
      *status_at = strdup((const char *)sqlite3_column_text(st, 2));
    parley_conv_state_time(c->last_in, (const char *)sqlite3_column_text(st, 3));
    parley_conv_state_time(c->last_out, (const char *)sqlite3_column_text(st, 4));
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : rc;
}

static int insert_event(sqlite_store_t *s, const char *conv, const char *at, const char *type,
                        const char *agent, const char *detail, const char *message_id) {
  sqlite3_stmt *st = s->st[ST_EVENT];
  const char *args[] = {conv, at, type, agent, detail, message_id};
  for (int i = 0; i < 6; i++)
    bind_text(st, i + 1, args[i]);
  return step_done(st);
}

/* at: the time of the status change, NULL when the status stays. moves: 0
 * when the message came too late to change the status (parley_conv_step). */
static int update_conversation(sqlite_store_t *s, const sqlite_msg_t *m, const char *conv,
                               int outbound, const char *at, int reopen, int moves) {
  sqlite3_stmt *st = s->st[outbound ? ST_CONV_OUT : ST_CONV_IN];
  const char *head[] = {conv, m->platform, m->connector, m->account, m->visibility};
  for (int i = 0; i < 5; i++)
    bind_text(st, i + 1, head[i]);
  if (outbound) {
    bind_text(st, 6, m->created_at);
    bind_text(st, 7, m->id);
    bind_text(st, 8, at);
    sqlite3_bind_int(st, 9, moves);
  } else {
    bind_json_number(st, 6, m->priority);
    bind_json_number(st, 7, m->sentiment);
    bind_text(st, 8, m->sla_due);
    bind_text(st, 9, m->created_at);
    bind_text(st, 10, m->id);
    bind_text(st, 11, at);
    sqlite3_bind_int(st, 12, reopen);
    sqlite3_bind_int(st, 13, moves);
  }
  return step_done(st);
}

static int note_conversation(sqlite_store_t *s, const char *conv);

/* A new message moves its conversation through the state machine
 * (output_sqlite_schema.c) and records the change, if any, as an event. */
static int move_conversation(sqlite_store_t *s, const sqlite_msg_t *m, const char *conv,
                             int outbound, const char *agent) {
  parley_conv_state_t c;
  parley_conv_status_t from;
  char *status_at;
  int rc = conversation_state(s, conv, &c, &status_at);
  const char *type = rc == 0 ? parley_conv_step(&c, outbound, m->created_at, &from) : NULL;
  const char *at = type ? parley_conv_later(m->created_at, status_at) : NULL;
  int reopen = type && strcmp(type, "reopened") == 0;
  /* a late message the state machine kept from changing the status */
  int moves = outbound ? c.status != PARLEY_CONV_OPEN : c.status == PARLEY_CONV_OPEN;
  if (rc == 0)
    rc = update_conversation(s, m, conv, outbound, at, reopen, moves);
  if (rc == 0 && type)
    rc = insert_event(s, conv, at, type, agent, reopen ? parley_conv_status_name(from) : NULL,
                      m->id);
  if (rc == 0 && type && s->watch)
    rc = note_conversation(s, conv);
  free(status_at);
  return rc;
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
    parley_log_instance(PARLEY_LOG_ERROR, "output", parley_output_name(s->o),
                        "event %s (journal seq %lld) is not a parley.event.v1 document; not stored",
                        it->id, (long long)it->seq);
    json_decref(ev);
    return 0;
  }
  int outbound = strcmp(m.kind, "outbound") == 0, is_new = 0, rc = 0;
  char *conv = conversation_of(s, &m);
  /* The agent, when parley sent this message and the action named one. */
  char *agent = outbound ? lookup_text(s, ST_SENT_GET, m.id, &rc) : NULL;
  if (rc == 0)
    rc = insert_message(s, &m, conv, it->json, it->len, outbound, agent, &is_new);
  if (rc == 0 && is_new)
    change_add(s, PARLEY_STORE_MESSAGE, conv, m.id, m.platform, outbound ? "out" : "in");
  if (rc == 0 && is_new && conv && moves_conversation(m.kind))
    rc = move_conversation(s, &m, conv, outbound, agent);
  if (rc == 0 && is_new && !outbound)
    rc = upsert_author(s, &m);
  free(agent);
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
  char why[256] = "";
  int was = 0;
  if (parley_sqlite_schema_ensure(s->db, &was, why, sizeof why) != SQLITE_OK) {
    int rc = parley_error_set(err, PARLEY_EIO, "output %s: store %s: %s",
                              parley_output_name(s->o), s->cfg->path, why);
    sqlite_fail(s, NULL, "");
    return rc;
  }
  if (was && was < PARLEY_STORE_SCHEMA_VERSION)
    parley_log_instance(PARLEY_LOG_INFO, "output", parley_output_name(s->o),
                        "store %s migrated from schema v%d to v%d", s->cfg->path, was,
                        PARLEY_STORE_SCHEMA_VERSION);
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
  if (rc == SQLITE_OK)
    changes_flush(s);
  else
    changes_drop(s);
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
  changes_drop(s);
  free(s->changes);
  free(s);
}

/* ---- the core's actions (apply_action) ---- */

static int apply_fail(sqlite_store_t *s, parley_error_t *err, const char *what) {
  int rc = parley_error_set(err, PARLEY_EIO, "output %s: %s in %s: %s", parley_output_name(s->o),
                            what, s->cfg->path, sqlite3_errmsg(s->db));
  if (!sqlite3_get_autocommit(s->db))
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  return rc;
}

static int bind_run(sqlite_store_t *s, int which, const char *const *args, int n) {
  sqlite3_stmt *st = s->st[which];
  for (int i = 0; i < n; i++)
    bind_text(st, i + 1, args[i]);
  return step_done(st);
}

/* A reply that named its agent succeeded: remember who sent the message it
 * created, and name them on it now if its outbound event is already here
 * (else store_one() finds them when it arrives). */
static int apply_sent(sqlite_store_t *s, parley_output_action_t *op, parley_error_t *err) {
  char at[PARLEY_TIME_MAX];
  parley_time_format(op->at_ms, at, sizeof at);
  const char *put[] = {op->sent_id, parley_action_agent(op->action),
                       parley_action_idempotency_key(op->action), at};
  const char *fill[] = {op->sent_id, parley_action_agent(op->action)};
  int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = bind_run(s, ST_SENT_PUT, put, 4);
  if (rc == SQLITE_OK && (rc = bind_run(s, ST_SENT_FILL_MSG, fill, 2)) == SQLITE_OK &&
      sqlite3_changes(s->db) > 0)
    rc = bind_run(s, ST_SENT_FILL_EVENT, fill, 2);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
  op->changed = rc == SQLITE_OK;
  return rc == SQLITE_OK ? 0 : apply_fail(s, err, "cannot record the agent of a reply");
}

typedef struct conv_row {
  parley_conv_status_t status;
  char platform[64];
  char *assigned_to;
} conv_row_t;

static int read_conversation(sqlite_store_t *s, const char *id, conv_row_t *row) {
  sqlite3_stmt *st = s->st[ST_CONV_GET];
  memset(row, 0, sizeof *row);
  bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const char *platform = (const char *)sqlite3_column_text(st, 1);
    const char *assignee = (const char *)sqlite3_column_text(st, 2);
    row->status = parley_conv_status_parse((const char *)sqlite3_column_text(st, 0));
    snprintf(row->platform, sizeof row->platform, "%s", platform ? platform : "");
    row->assigned_to = assignee ? strdup(assignee) : NULL;
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? PARLEY_ENOENT : rc;
}

/* The conversation's status and assignee now (in the transaction), for
 * the watcher. */
static int note_conversation(sqlite_store_t *s, const char *conv) {
  conv_row_t row;
  int rc = read_conversation(s, conv, &row);
  if (rc == 0)
    change_add(s, PARLEY_STORE_CONVERSATION, conv, parley_conv_status_name(row.status),
               row.assigned_to, NULL);
  free(row.assigned_to);
  return rc == PARLEY_ENOENT ? 0 : rc;
}

/* resolve / assign on a conversation known to be there. A resolve of a
 * resolved conversation, or an assign to its assignee, changes nothing. */
static int change_conversation(sqlite_store_t *s, parley_output_action_t *op,
                               const conv_row_t *row) {
  const parley_action_t *a = op->action;
  const char *conv = parley_action_conversation_id(a), *agent = parley_action_agent(a);
  char at[PARLEY_TIME_MAX];
  parley_time_format(op->at_ms, at, sizeof at);
  if (parley_action_type(a) == PARLEY_ACTION_RESOLVE) {
    if (row->status == PARLEY_CONV_RESOLVED)
      return SQLITE_OK;
    const char *args[] = {conv, at, agent};
    op->changed = 1;
    int rc = bind_run(s, ST_RESOLVE, args, 3);
    return rc ? rc : insert_event(s, conv, at, "resolved", agent,
                                  parley_conv_status_name(row->status), NULL);
  }
  const char *to = parley_action_assign_to(a);
  if (row->assigned_to && strcmp(row->assigned_to, to) == 0)
    return SQLITE_OK;
  const char *args[] = {conv, to, at};
  op->changed = 1;
  int rc = bind_run(s, ST_ASSIGN, args, 3);
  return rc ? rc : insert_event(s, conv, at, "assigned", agent, to, NULL);
}

/* One short transaction on the loop: deliver() runs synchronously there, so
 * a batch's transaction is never open now; a concurrent writer (an agent
 * tool) makes BEGIN wait at most busy_timeout. */
static int sqlite_apply(void *state, parley_output_action_t *op, parley_error_t *err) {
  sqlite_store_t *s = state;
  const char *conv = parley_action_conversation_id(op->action);
  if (!s->db || !sqlite3_get_autocommit(s->db))
    return parley_error_set(err, PARLEY_ESTATE, "output %s: store %s is not ready",
                            parley_output_name(s->o), s->cfg->path);
  if (op->sent_id)
    return apply_sent(s, op, err);
  conv_row_t row;
  int rc = op->check_only ? SQLITE_OK : sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (rc == SQLITE_OK && (rc = read_conversation(s, conv, &row)) == PARLEY_ENOENT) {
    if (!sqlite3_get_autocommit(s->db))
      sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return parley_error_set(err, PARLEY_ENOENT, "conversation %s is not in the store %s", conv,
                            parley_output_name(s->o));
  }
  if (rc == SQLITE_OK) {
    snprintf(op->platform, sizeof op->platform, "%s", row.platform);
    if (!op->check_only && (rc = change_conversation(s, op, &row)) == SQLITE_OK &&
        op->changed && s->watch)
      rc = note_conversation(s, conv);
    if (!op->check_only && rc == SQLITE_OK)
      rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    free(row.assigned_to);
  }
  if (rc == SQLITE_OK)
    changes_flush(s);
  else
    changes_drop(s);
  return rc == SQLITE_OK ? 0 : apply_fail(s, err, "cannot change a conversation");
}

const parley_output_type_t parley_output_sqlite = {
    .name = "sqlite",
    .description = "conversation store in SQLite: conversations and their state changes, "
                   "messages in and out, authors",
    .options = sqlite_options,
    .config_size = sizeof(sqlite_config_t),
    .create = sqlite_create,
    .open = sqlite_open,
    .deliver = sqlite_deliver,
    .close = sqlite_close,
    .destroy = sqlite_destroy,
    .apply_action = sqlite_apply,
};
