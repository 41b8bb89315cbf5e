/* parley core — the agent console's reads of the conversation store
 * (docs/console-api.md):
 *   GET /v1/inbox                 conversations waiting, in the order an
 *                                 agent should take them, keyset-paged
 *   GET /v1/conversations/<id>    one conversation: messages, state
 *                                 changes, the same person's other ones
 * Parameters are checked on the loop; the queries run on the thread pool
 * with a read-only connection (router_store.c). The inbox order is served
 * by the store's conversations_inbox index (output_sqlite_schema.c), whose
 * expressions the queries below repeat word for word. */
#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router_inbox.h"
#include "router_store.h"
#include "util.h"

/* Console reads running at once: they are short, but each holds one of
 * libuv's 4 pool threads. */
#define PARLEY_INBOX_MAX_RUNNING 3
#define PARLEY_INBOX_LIMIT_MAX 200
#define PARLEY_INBOX_LIMIT_DEFAULT 50
#define PARLEY_RELATED_MAX 20
#define PARLEY_PARAM_MAX 512

static atomic_int inbox_running;

/* ---- the SQL ---- */

#define K_SLA "coalesce(c.sla_due, '~')"
#define K_PRIO "-coalesce(c.priority, -1)"
#define K_INBOUND "coalesce(c.last_inbound_at, '~')"
#define INBOX_ORDER " ORDER BY " K_SLA ", " K_PRIO ", " K_INBOUND ", c.id"

/* The last customer message of a conversation (what the agent reads first). */
#define LAST_INBOUND                                                                        \
  " LEFT JOIN messages m ON m.id = (SELECT l.id FROM messages l"                            \
  " WHERE l.conversation_id = c.id AND l.direction = 'in'"                                  \
  " AND l.kind NOT IN ('edited', 'deleted', 'reaction')"                                    \
  " ORDER BY l.created_at DESC, l.rowid DESC LIMIT 1)"

/* One inbox row; the column numbers are row_json()'s. */
#define INBOX_SELECT                                                                        \
  "SELECT c.id, c.platform, c.connector, c.account, c.visibility, c.status, c.priority,"    \
  " c.sentiment, c.sla_due, c.first_at, c.last_at, c.last_inbound_at, c.assigned_to,"       \
  " c.messages_in, c.messages_out,"                                                         \
  " m.id, m.kind, m.text, m.lang, m.created_at, m.keywords,"                                \
  " a.id, a.handle, a.name, a.followers, a.verified, " K_SLA ", " K_PRIO ", " K_INBOUND     \
  " FROM conversations c" LAST_INBOUND                                                      \
  " LEFT JOIN authors a ON a.platform = m.platform AND a.id = m.author_id"

enum { C_ID, C_PLATFORM, C_CONNECTOR, C_ACCOUNT, C_VISIBILITY, C_STATUS, C_PRIORITY,
       C_SENTIMENT, C_SLA, C_FIRST, C_LAST, C_LAST_IN, C_ASSIGNED, C_IN, C_OUT, C_M_ID,
       C_M_KIND, C_M_TEXT, C_M_LANG, C_M_AT, C_M_KEYWORDS, C_A_ID, C_A_HANDLE, C_A_NAME,
       C_A_FOLLOWERS, C_A_VERIFIED, C_K_SLA, C_K_PRIO, C_K_INBOUND };

/* ---- the request ---- */

typedef struct inbox_query {
  const char *status;       /* the store's value; NULL: all */
  char *platform, *kind, *lang, *keyword, *assigned, *q;
  int assigned_none;
  int limit;
  parley_inbox_key_t after; /* after.id NULL: the first page */
} inbox_query_t;

static void query_free(void *p) {
  inbox_query_t *iq = p;
  if (!iq)
    return;
  free(iq->platform);
  free(iq->kind);
  free(iq->lang);
  free(iq->keyword);
  free(iq->assigned);
  free(iq->q);
  parley_inbox_key_clear(&iq->after);
  free(iq);
}

/* The API's status names: "pending" is the store's "answered" (the brand
 * answered, the customer has not written since). */
static const char *status_out(const char *store) {
  return store && strcmp(store, "answered") == 0 ? "pending" : store;
}

static const char *const inbox_params[] = {"status", "platform", "kind",  "lang",   "keyword",
                                           "assigned", "q",      "limit", "cursor", "store",
                                           NULL};

/* Every parameter must be one we know: a typo must not widen the filter
 * silently. */
static int unknown_param(parley_httpd_req_t *req, char *msg, size_t len) {
  const char *p = parley_httpd_req_query(req);
  while (*p) {
    size_t n = strcspn(p, "=&");
    int known = 0;
    for (size_t i = 0; inbox_params[i] && !known; i++)
      known = strlen(inbox_params[i]) == n && strncmp(p, inbox_params[i], n) == 0;
    if (!known && n) {
      snprintf(msg, len, "unknown parameter '%.*s' (known: status, platform, kind, lang, "
                         "keyword, assigned, q, limit, cursor, store)", (int)(n > 64 ? 64 : n), p);
      return 1;
    }
    p += strcspn(p, "&");
    if (*p == '&')
      p++;
  }
  return 0;
}

/* A text parameter: absent (NULL), or a non-empty copy. */
static int text_param(parley_httpd_req_t *req, const char *name, char **out, char *msg,
                      size_t len) {
  char buf[PARLEY_PARAM_MAX];
  int n = parley_httpd_req_query_param(req, name, buf, sizeof buf);
  *out = NULL;
  if (n == PARLEY_ENOENT)
    return 0;
  if (n == PARLEY_ENOBUFS) {
    snprintf(msg, len, "%s: longer than %d bytes", name, PARLEY_PARAM_MAX - 1);
    return PARLEY_EINVAL;
  }
  if (n <= 0) {
    snprintf(msg, len, "%s: empty", name);
    return PARLEY_EINVAL;
  }
  if (!parley_util_utf8_valid((const unsigned char *)buf)) {
    snprintf(msg, len, "%s: not UTF-8", name);
    return PARLEY_EINVAL;
  }
  return (*out = parley_strdup(buf)) ? 0 : PARLEY_ENOMEM;
}

static int check_status(inbox_query_t *iq, char *v, char *msg, size_t len) {
  static const char *const names[][2] = {
      {"open", "open"}, {"pending", "answered"}, {"resolved", "resolved"}, {"all", NULL}};
  int rc = PARLEY_EINVAL;
  iq->status = "open";
  for (size_t i = 0; v && i < 4; i++)
    if (strcmp(v, names[i][0]) == 0) {
      iq->status = names[i][1];
      rc = 0;
    }
  if (v && rc)
    snprintf(msg, len, "status: '%.64s' is not open, pending, resolved or all", v);
  free(v);
  return v ? rc : 0;
}

static int check_limit(inbox_query_t *iq, char *v, char *msg, size_t len) {
  char *end = NULL;
  long n = v ? strtol(v, &end, 10) : PARLEY_INBOX_LIMIT_DEFAULT;
  int bad = v && (!isdigit((unsigned char)*v) || *end || n < 1 || n > PARLEY_INBOX_LIMIT_MAX);
  if (bad)
    snprintf(msg, len, "limit: '%.32s' is not a whole number from 1 to %d", v,
             PARLEY_INBOX_LIMIT_MAX);
  iq->limit = (int)n;
  free(v);
  return bad ? PARLEY_EINVAL : 0;
}

static int check_fields(inbox_query_t *iq, char *msg, size_t len) {
  parley_kind_t kind;
  if (iq->kind && parley_kind_parse(iq->kind, &kind) != 0) {
    snprintf(msg, len, "kind: '%.64s' is not an event kind", iq->kind);
    return PARLEY_EINVAL;
  }
  for (const char *p = iq->lang; p && *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '-') {
      snprintf(msg, len, "lang: '%.64s' is not a language tag such as en or de-AT", iq->lang);
      return PARLEY_EINVAL;
    }
  if (iq->assigned && strcmp(iq->assigned, "none") == 0)
    iq->assigned_none = 1;
  return 0;
}

static int check_cursor(inbox_query_t *iq, char *v, char *msg, size_t len) {
  int rc = v ? parley_inbox_cursor_decode(v, &iq->after) : 0;
  if (rc == PARLEY_EINVAL)
    snprintf(msg, len, "cursor: not a next_cursor of /v1/inbox");
  free(v);
  return rc;
}

static int parse_query(parley_httpd_req_t *req, inbox_query_t *iq, char *msg, size_t len) {
  char *status = NULL, *limit = NULL, *cursor = NULL;
  if (unknown_param(req, msg, len))
    return PARLEY_EINVAL;
  int rc = text_param(req, "status", &status, msg, len);
  if (rc == 0)
    rc = check_status(iq, status, msg, len);
  if (rc == 0 && (rc = text_param(req, "limit", &limit, msg, len)) == 0)
    rc = check_limit(iq, limit, msg, len);
  if (rc == 0 && (rc = text_param(req, "cursor", &cursor, msg, len)) == 0)
    rc = check_cursor(iq, cursor, msg, len);
  if (rc == 0)
    rc = text_param(req, "platform", &iq->platform, msg, len);
  if (rc == 0)
    rc = text_param(req, "kind", &iq->kind, msg, len);
  if (rc == 0)
    rc = text_param(req, "lang", &iq->lang, msg, len);
  if (rc == 0)
    rc = text_param(req, "keyword", &iq->keyword, msg, len);
  if (rc == 0)
    rc = text_param(req, "assigned", &iq->assigned, msg, len);
  if (rc == 0)
    rc = text_param(req, "q", &iq->q, msg, len);
  if (rc == 0)
    rc = check_fields(iq, msg, len);
  if (rc == PARLEY_ENOMEM)
    snprintf(msg, len, "out of memory");
  return rc;
}

/* ---- building the query ---- */

typedef struct sql_buf {
  char text[4096];
  size_t n;
  const char *binds[16]; /* text values, in the order of their '?' */
  int nb;
} sql_buf_t;

static void sql_add(sql_buf_t *b, const char *s) {
  size_t k = strlen(s);
  if (b->n + k < sizeof b->text) {
    memcpy(b->text + b->n, s, k + 1);
    b->n += k;
  }
}

/* " AND cond" with cond's '?'s bound to v (count of them). */
static void sql_where(sql_buf_t *b, const char *cond, const char *v, int count) {
  sql_add(b, " AND ");
  sql_add(b, cond);
  for (int i = 0; i < count && b->nb < 16; i++)
    b->binds[b->nb++] = v;
}

/* The filters; needs_message: whether they read the last customer message. */
static void inbox_filters(const inbox_query_t *iq, sql_buf_t *b, int *needs_message) {
  sql_add(b, " WHERE 1");
  if (iq->status)
    sql_where(b, "c.status = ?", iq->status, 1);
  if (iq->platform)
    sql_where(b, "c.platform = ?", iq->platform, 1);
  if (iq->assigned_none)
    sql_add(b, " AND c.assigned_to IS NULL");
  else if (iq->assigned)
    sql_where(b, "c.assigned_to = ?", iq->assigned, 1);
  if (iq->kind)
    sql_where(b, "m.kind = ?", iq->kind, 1);
  if (iq->lang) /* "de" takes "de-AT", as routes do */
    sql_where(b, "(m.lang LIKE ? OR m.lang LIKE ? || '-%')", iq->lang, 2);
  if (iq->keyword)
    sql_where(b, "EXISTS (SELECT 1 FROM json_each(m.keywords) k WHERE k.value = ?)",
              iq->keyword, 1);
  if (iq->q)
    sql_where(b, "instr(lower(m.text), lower(?)) > 0", iq->q, 1);
  *needs_message = iq->kind || iq->lang || iq->keyword || iq->q;
}

static int prepare(sqlite3 *db, const sql_buf_t *b, sqlite3_stmt **st, parley_error_t *err) {
  if (sqlite3_prepare_v2(db, b->text, -1, st, NULL) != SQLITE_OK)
    return parley_error_set(err, PARLEY_EIO, "cannot read the store: %s", sqlite3_errmsg(db));
  for (int i = 0; i < b->nb; i++)
    sqlite3_bind_text(*st, i + 1, b->binds[i], -1, SQLITE_STATIC);
  return 0;
}

/* ---- rows to JSON ---- */

static json_t *col_str(sqlite3_stmt *st, int i) {
  const char *s = (const char *)sqlite3_column_text(st, i);
  return s ? json_string(s) : json_null();
}

static json_t *col_int(sqlite3_stmt *st, int i) {
  return sqlite3_column_type(st, i) == SQLITE_NULL ? json_null()
                                                   : json_integer(sqlite3_column_int64(st, i));
}

static json_t *col_real(sqlite3_stmt *st, int i) {
  return sqlite3_column_type(st, i) == SQLITE_NULL ? json_null()
                                                   : json_real(sqlite3_column_double(st, i));
}

/* The author columns from i on (id, handle, name, followers, verified). */
static json_t *author_json(sqlite3_stmt *st, int i) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL)
    return json_null();
  return json_pack("{s:o,s:o,s:o,s:o,s:b}", "id", col_str(st, i), "handle", col_str(st, i + 1),
                   "name", col_str(st, i + 2), "followers", col_int(st, i + 3), "verified",
                   sqlite3_column_int(st, i + 4));
}

static json_t *keywords_json(sqlite3_stmt *st, int i) {
  const char *s = (const char *)sqlite3_column_text(st, i);
  json_t *j = s ? json_loads(s, 0, NULL) : NULL;
  if (!json_is_array(j)) {
    json_decref(j);
    j = json_array();
  }
  return j;
}

static json_t *last_message_json(sqlite3_stmt *st) {
  if (sqlite3_column_type(st, C_M_ID) == SQLITE_NULL)
    return json_null();
  return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "id", col_str(st, C_M_ID), "kind",
                   col_str(st, C_M_KIND), "text", col_str(st, C_M_TEXT), "lang",
                   col_str(st, C_M_LANG), "created_at", col_str(st, C_M_AT), "keywords",
                   keywords_json(st, C_M_KEYWORDS));
}

static json_t *row_json(sqlite3_stmt *st) {
  const char *status = status_out((const char *)sqlite3_column_text(st, C_STATUS));
  json_t *j = json_pack(
      "{s:o,s:o,s:o,s:o,s:o,s:s?,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id",
      col_str(st, C_ID), "platform", col_str(st, C_PLATFORM), "connector",
      col_str(st, C_CONNECTOR), "account", col_str(st, C_ACCOUNT), "visibility",
      col_str(st, C_VISIBILITY), "status", status, "priority", col_int(st, C_PRIORITY),
      "sentiment", col_real(st, C_SENTIMENT), "sla_due", col_str(st, C_SLA), "first_at",
      col_str(st, C_FIRST), "last_at", col_str(st, C_LAST), "last_inbound_at",
      col_str(st, C_LAST_IN), "assigned_to", col_str(st, C_ASSIGNED), "messages_in",
      col_int(st, C_IN), "messages_out", col_int(st, C_OUT));
  if (j) {
    json_object_set_new(j, "author", author_json(st, C_A_ID));
    json_object_set_new(j, "last_message", last_message_json(st));
  }
  return j;
}

static char *row_cursor(sqlite3_stmt *st) {
  parley_inbox_key_t k = {
      .sla = (char *)sqlite3_column_text(st, C_K_SLA),
      .prio = sqlite3_column_int64(st, C_K_PRIO),
      .inbound = (char *)sqlite3_column_text(st, C_K_INBOUND),
      .id = (char *)sqlite3_column_text(st, C_ID),
  };
  return parley_inbox_cursor_encode(&k);
}

/* Rows of st (stepped to the end, or max rows) appended to arr; *more: a
 * row beyond max exists, *cursor: the key of the last one appended. */
static int collect_rows(sqlite3 *db, sqlite3_stmt *st, json_t *arr, int max, int *more,
                        char **cursor, parley_error_t *err) {
  int rc, n = 0;
  *more = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == max) {
      *more = 1;
      break;
    }
    json_t *row = row_json(st);
    if (!row || json_array_append_new(arr, row) != 0)
      return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
    n++;
    if (cursor) {
      free(*cursor);
      if (!(*cursor = row_cursor(st)))
        return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
    }
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return parley_error_set(err, PARLEY_EIO, "cannot read the store: %s", sqlite3_errmsg(db));
  return 0;
}

/* ---- GET /v1/inbox ---- */

static int inbox_count(sqlite3 *db, const inbox_query_t *iq, json_int_t *total,
                       parley_error_t *err) {
  sql_buf_t b = {0};
  sqlite3_stmt *st = NULL;
  int needs_message;
  sql_buf_t f = {0};
  inbox_filters(iq, &f, &needs_message);
  sql_add(&b, "SELECT count(*) FROM conversations c");
  if (needs_message)
    sql_add(&b, LAST_INBOUND);
  sql_add(&b, f.text);
  memcpy(b.binds, f.binds, sizeof f.binds);
  b.nb = f.nb;
  int rc = prepare(db, &b, &st, err);
  if (rc == 0 && sqlite3_step(st) != SQLITE_ROW)
    rc = parley_error_set(err, PARLEY_EIO, "cannot read the store: %s", sqlite3_errmsg(db));
  if (rc == 0)
    *total = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return rc;
}

static int inbox_page(sqlite3 *db, const inbox_query_t *iq, json_t *rows, char **next,
                      parley_error_t *err) {
  sql_buf_t b = {0};
  sqlite3_stmt *st = NULL;
  int needs_message, more = 0;
  char limit[32];
  sql_add(&b, INBOX_SELECT);
  inbox_filters(iq, &b, &needs_message);
  if (iq->after.id) {
    /* SQLite does not seek an expression index with a row value; the
     * redundant first-key bound lets it start the scan at the cursor's
     * SLA instead of the top of the inbox */
    sql_add(&b, " AND (" K_SLA ", " K_PRIO ", " K_INBOUND ", c.id) > (?, ?, ?, ?)"
                " AND " K_SLA " >= ?");
    b.binds[b.nb++] = iq->after.sla;
    b.binds[b.nb++] = NULL; /* bound as an integer below */
    b.binds[b.nb++] = iq->after.inbound;
    b.binds[b.nb++] = iq->after.id;
    b.binds[b.nb++] = iq->after.sla;
  }
  snprintf(limit, sizeof limit, " LIMIT %d", iq->limit + 1);
  sql_add(&b, INBOX_ORDER);
  sql_add(&b, limit);
  int rc = prepare(db, &b, &st, err);
  if (rc == 0 && iq->after.id)
    sqlite3_bind_int64(st, b.nb - 3, iq->after.prio);
  if (rc == 0)
    rc = collect_rows(db, st, rows, iq->limit, &more, next, err);
  sqlite3_finalize(st);
  if (!more) {
    free(*next);
    *next = NULL;
  }
  return rc;
}

static int inbox_read(sqlite3 *db, void *arg, json_t **out, parley_error_t *err) {
  const inbox_query_t *iq = arg;
  json_t *rows = json_array();
  char *next = NULL;
  json_int_t total = 0;
  if (!rows)
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  int rc = inbox_page(db, iq, rows, &next, err);
  if (rc == 0)
    rc = inbox_count(db, iq, &total, err);
  if (rc == 0 && !(*out = json_pack("{s:o,s:s?,s:I}", "conversations", rows, "next_cursor",
                                    next, "total", total)))
    rc = parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  else if (rc != 0)
    json_decref(rows);
  free(next);
  return rc;
}

void parley_router_inbox_request(parley_router_t *r, parley_httpd_req_t *req) {
  char msg[256];
  inbox_query_t *iq = calloc(1, sizeof *iq);
  if (!iq) {
    parley_router_respond_text(req, 500, "out of memory\n", NULL);
    return;
  }
  int rc = parse_query(req, iq, msg, sizeof msg);
  if (rc) {
    query_free(iq);
    parley_router_respond_error(req, rc == PARLEY_ENOMEM ? 500 : 400, rc, msg);
    return;
  }
  const parley_output_t *o = parley_router_store(r, req, 503);
  if (!o) {
    query_free(iq);
    return;
  }
  parley_store_read_t rd = {.what = "GET /v1/inbox", .fn = inbox_read, .arg = iq,
                            .free_arg = query_free, .running = &inbox_running,
                            .max_running = PARLEY_INBOX_MAX_RUNNING};
  parley_router_store_read(r, req, parley_router_store_path(o), &rd);
}

/* ---- GET /v1/conversations/<id> ---- */

static const char *const conversation_sql = INBOX_SELECT " WHERE c.id = ?";

/* Edits and deletions are events of their own whose in_reply_to names the
 * message; the thread shows the message once, flagged, with its latest
 * text. */
static const char *const messages_sql =
    "SELECT m.id, m.direction, m.kind, m.text, m.lang, m.created_at, m.url, m.agent,"
    " m.in_reply_to, a.id, a.handle, a.name, a.followers, a.verified"
    " FROM messages m LEFT JOIN authors a ON a.platform = m.platform AND a.id = m.author_id"
    " WHERE m.conversation_id = ? ORDER BY m.created_at, m.rowid";

static const char *const events_sql =
    "SELECT type, at, agent, detail FROM conversation_events WHERE conversation_id = ?"
    " ORDER BY at, id";

/* The same person's other conversations: a customer message of theirs by
 * the same author id on the same platform, or by an author with the same
 * handle (case-insensitive) on any platform. */
static const char *const related_sql =
    INBOX_SELECT " WHERE c.id <> ?1 AND c.id IN (SELECT o.conversation_id FROM messages o"
    " WHERE o.direction = 'in' AND o.conversation_id IS NOT NULL AND (o.platform, o.author_id)"
    " IN (SELECT p.platform, p.id FROM authors p WHERE (p.platform, p.id) IN"
    "  (SELECT platform, author_id FROM messages WHERE conversation_id = ?1"
    "   AND direction = 'in' AND author_id IS NOT NULL)"
    "  OR lower(p.handle) IN (SELECT lower(h.handle) FROM authors h JOIN messages mm"
    "   ON mm.platform = h.platform AND mm.author_id = h.id"
    "   WHERE mm.conversation_id = ?1 AND mm.direction = 'in' AND h.handle IS NOT NULL)))"
    INBOX_ORDER " LIMIT 20";

static int run(sqlite3 *db, const char *sql, const char *id, sqlite3_stmt **st,
               parley_error_t *err) {
  if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
    return parley_error_set(err, PARLEY_EIO, "cannot read the store: %s", sqlite3_errmsg(db));
  sqlite3_bind_text(*st, 1, id, -1, SQLITE_STATIC);
  return 0;
}

static json_t *message_json(sqlite3_stmt *st) {
  json_t *j = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:b}", "id", col_str(st, 0),
                        "direction", col_str(st, 1), "kind", col_str(st, 2), "text",
                        col_str(st, 3), "lang", col_str(st, 4), "created_at", col_str(st, 5),
                        "url", col_str(st, 6), "agent", col_str(st, 7), "edited", 0,
                        "deleted", 0);
  if (j)
    json_object_set_new(j, "author", author_json(st, 9));
  return j;
}

static json_t *find_message(json_t *msgs, const char *id) {
  size_t i;
  json_t *m;
  json_array_foreach(msgs, i, m) {
    if (id && strcmp(json_string_value(json_object_get(m, "id")), id) == 0)
      return m;
  }
  return NULL;
}

/* An edit or deletion folded into the message it names; 0 when that
 * message is not in this thread (the event is then shown as it is). */
static int fold_change(json_t *msgs, sqlite3_stmt *st) {
  const char *kind = (const char *)sqlite3_column_text(st, 2);
  int edited = strcmp(kind, "edited") == 0;
  if (!edited && strcmp(kind, "deleted") != 0)
    return 0;
  json_t *target = find_message(msgs, (const char *)sqlite3_column_text(st, 8));
  if (!target)
    return 0;
  json_object_set_new(target, edited ? "edited" : "deleted", json_true());
  if (edited && sqlite3_column_text(st, 3))
    json_object_set_new(target, "text", col_str(st, 3));
  return 1;
}

static int read_messages(sqlite3 *db, const char *id, json_t *msgs, parley_error_t *err) {
  sqlite3_stmt *st = NULL;
  int rc = run(db, messages_sql, id, &st, err), s = SQLITE_DONE;
  while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
    if (fold_change(msgs, st))
      continue;
    json_t *m = message_json(st);
    if (!m || json_array_append_new(msgs, m) != 0)
      rc = parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  }
  if (rc == 0 && s != SQLITE_DONE)
    rc = parley_error_set(err, PARLEY_EIO, "cannot read the store: %s", sqlite3_errmsg(db));
  sqlite3_finalize(st);
  return rc;
}

static int read_events(sqlite3 *db, const char *id, json_t *events, parley_error_t *err) {
  sqlite3_stmt *st = NULL;
  int rc = run(db, events_sql, id, &st, err), s = SQLITE_DONE;
  while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
    json_t *e = json_pack("{s:o,s:o,s:o,s:o}", "type", col_str(st, 0), "at", col_str(st, 1),
                          "agent", col_str(st, 2), "detail", col_str(st, 3));
    if (!e || json_array_append_new(events, e) != 0)
      rc = parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  }
  if (rc == 0 && s != SQLITE_DONE)
    rc = parley_error_set(err, PARLEY_EIO, "cannot read the store: %s", sqlite3_errmsg(db));
  sqlite3_finalize(st);
  return rc;
}

static int read_rows(sqlite3 *db, const char *sql, const char *id, json_t *rows,
                     parley_error_t *err) {
  sqlite3_stmt *st = NULL;
  int more;
  int rc = run(db, sql, id, &st, err);
  if (rc == 0)
    rc = collect_rows(db, st, rows, PARLEY_RELATED_MAX, &more, NULL, err);
  sqlite3_finalize(st);
  return rc;
}

static int conversation_read(sqlite3 *db, void *arg, json_t **out, parley_error_t *err) {
  const char *id = arg;
  json_t *conv = json_array(), *msgs = json_array(), *events = json_array(),
         *related = json_array();
  int rc = conv && msgs && events && related ? 0 : PARLEY_ENOMEM;
  if (rc)
    parley_error_set(err, rc, "out of memory");
  if (rc == 0)
    rc = read_rows(db, conversation_sql, id, conv, err);
  if (rc == 0 && json_array_size(conv) == 0)
    rc = parley_error_set(err, PARLEY_ENOENT, "conversation %.200s is not in the store", id);
  if (rc == 0)
    rc = read_messages(db, id, msgs, err);
  if (rc == 0)
    rc = read_events(db, id, events, err);
  if (rc == 0)
    rc = read_rows(db, related_sql, id, related, err);
  if (rc == 0) {
    *out = json_pack("{s:O,s:o,s:o,s:o}", "conversation", json_array_get(conv, 0), "messages",
                     msgs, "events", events, "related", related);
    msgs = events = related = NULL;
    if (!*out)
      rc = parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  }
  json_decref(conv);
  json_decref(msgs);
  json_decref(events);
  json_decref(related);
  return rc;
}

void parley_router_conversation_request(parley_router_t *r, parley_httpd_req_t *req) {
  const char *raw = parley_httpd_req_path(req) + strlen("/v1/conversations/");
  size_t cap = strlen(raw) + 1;
  char *id = malloc(cap);
  if (!id) {
    parley_router_respond_text(req, 500, "out of memory\n", NULL);
    return;
  }
  int n = parley_url_decode(raw, id, cap);
  if (n <= 0 || !parley_util_utf8_valid((const unsigned char *)id)) {
    free(id);
    parley_router_respond_error(req, n == 0 ? 404 : 400, n == 0 ? PARLEY_ENOENT : PARLEY_EINVAL,
                                n == 0 ? "no conversation id in the path"
                                       : "the conversation id is not a valid URL-encoded "
                                         "UTF-8 string");
    return;
  }
  const parley_output_t *o = parley_router_store(r, req, 503);
  if (!o) {
    free(id);
    return;
  }
  parley_store_read_t rd = {.what = "GET /v1/conversations", .fn = conversation_read,
                            .arg = id, .free_arg = free, .running = &inbox_running,
                            .max_running = PARLEY_INBOX_MAX_RUNNING};
  parley_router_store_read(r, req, parley_router_store_path(o), &rd);
}
