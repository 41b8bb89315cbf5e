/* parley core — care figures of a period from the conversation store
 * (care.h; the definitions are docs/care-metrics.md). SQL numbers every
 * conversation's timeline (customer messages, brand answers, resolutions)
 * with window functions and returns one row per observation; C groups the
 * rows overall, per platform and per agent and computes the percentiles. */
#include "care.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/error.h"
#include "parley/time.h"
#include "util.h"

#define CARE_SCHEMA "parley.care.v1"

/* Milliseconds from time a to time b (ISO-8601 text), exact to the ms. */
#define MS(a, b) "CAST(round((julianday(" b ") - julianday(" a ")) * 86400000.0) AS INTEGER)"
#define ISO(x) "strftime('%Y-%m-%dT%H:%M:%fZ', " x ")"
/* Customer messages: inbound, and moving a conversation (docs/outputs.md). */
#define CUSTOMER "direction = 'in' AND kind NOT IN ('system', 'reaction', 'edited', 'deleted')"

/* ?1 since (NULL: the beginning), ?2 until; both "YYYY-MM-DDTHH:MM:SS.mmmZ".
 * Timeline rows: k 0 customer message, 1 brand answer, 2 resolution, in
 * time order (a tie: message, answer, resolution). wait_no counts the
 * answers and resolutions before a row: the customer messages with one
 * wait_no wait together, and the answer or resolution with that wait_no
 * ends their wait. episode_no counts the resolutions before a row. */
static const char care_sql[] =
    "WITH msg AS ("
    " SELECT conversation_id AS conv, created_at AS at,"
    "  CASE WHEN direction = 'in' THEN 0 ELSE 1 END AS k, sla_due, agent"
    " FROM messages WHERE conversation_id IS NOT NULL AND created_at < ?2"
    "  AND (direction = 'out' OR (" CUSTOMER "))),"
    " res AS ("
    " SELECT conversation_id AS conv, " ISO("at") " AS at, agent"
    " FROM conversation_events WHERE type = 'resolved'"
    " UNION ALL"
    " SELECT id, " ISO("resolved_at") ", resolved_by FROM conversations c"
    " WHERE resolved_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM conversation_events e"
    "  WHERE e.conversation_id = c.id AND e.type = 'resolved')),"
    " seq AS ("
    " SELECT conv, at, k, sla_due, agent FROM msg"
    " UNION ALL SELECT conv, at, 2, NULL, agent FROM res WHERE at < ?2),"
    " num AS MATERIALIZED ("
    " SELECT conv, at, k, sla_due, agent,"
    "  SUM(k <> 0) OVER w - (k <> 0) AS wait_no, SUM(k = 2) OVER w - (k = 2) AS episode_no"
    " FROM seq WINDOW w AS (PARTITION BY conv ORDER BY at, k ROWS UNBOUNDED PRECEDING)),"
    " waits AS MATERIALIZED ("
    " SELECT conv, wait_no, MIN(at) AS start, MIN(sla_due) AS sla FROM num WHERE k = 0"
    " GROUP BY conv, wait_no),"
    " episodes AS MATERIALIZED ("
    " SELECT conv, episode_no, MIN(at) AS start FROM num WHERE k = 0 GROUP BY conv, episode_no),"
    " closers AS MATERIALIZED ("
    " SELECT conv, wait_no, episode_no, at, k, agent FROM num WHERE k <> 0),"
    /* the first customer message (SQLite: the bare columns come from the
     * row with the minimum) */
    " firsts AS ("
    " SELECT conv, MIN(at) AS start, sla_due AS sla, wait_no FROM num WHERE k = 0 GROUP BY conv),"
    " totals AS ("
    " SELECT conv, SUM(k <> 0) AS closers, SUM(k = 2) AS episodes FROM num GROUP BY conv),"
    " obs AS ("
    " SELECT 'first' AS what, f.conv AS conv, NULL AS agent,"
    "  CASE WHEN c.k = 1 THEN " MS("f.start", "c.at") " END AS ms,"
    "  CASE c.k WHEN 1 THEN 'answered' WHEN 2 THEN 'closed' ELSE 'waiting' END AS state,"
    "  CASE WHEN f.sla IS NULL THEN 'none'"
    "   WHEN c.k = 1 THEN CASE WHEN julianday(c.at) <= julianday(f.sla) THEN 'within'"
    "    ELSE 'late' END"
    "   WHEN c.k = 2 THEN 'closed'"
    "   WHEN julianday(f.sla) < julianday(?2) THEN 'breached' ELSE 'pending' END AS sla"
    " FROM firsts f LEFT JOIN closers c ON c.conv = f.conv AND c.wait_no = f.wait_no"
    " WHERE ?1 IS NULL OR f.start >= ?1"
    " UNION ALL"
    " SELECT 'response', c.conv, c.agent, " MS("w.start", "c.at") ", NULL, NULL"
    " FROM closers c JOIN waits w ON w.conv = c.conv AND w.wait_no = c.wait_no"
    " WHERE c.k = 1 AND (?1 IS NULL OR c.at >= ?1)"
    " UNION ALL"
    " SELECT 'handling', c.conv, c.agent, " MS("e.start", "c.at") ", NULL, NULL"
    " FROM closers c LEFT JOIN episodes e ON e.conv = c.conv AND e.episode_no = c.episode_no"
    " WHERE c.k = 2 AND (?1 IS NULL OR c.at >= ?1)"
    " UNION ALL"
    " SELECT 'open', w.conv, NULL, " MS("w.start", "?2") ", NULL,"
    "  CASE WHEN w.sla IS NOT NULL AND julianday(w.sla) < julianday(?2) THEN 'breached' END"
    " FROM waits w JOIN totals t ON t.conv = w.conv AND w.wait_no = t.closers"
    " UNION ALL"
    " SELECT 'unresolved', e.conv, NULL, " MS("e.start", "?2") ", NULL, NULL"
    " FROM episodes e JOIN totals t ON t.conv = e.conv AND e.episode_no = t.episodes)"
    " SELECT o.what, coalesce(cv.platform, 'unknown'), o.agent, o.ms, o.state, o.sla"
    " FROM obs o LEFT JOIN conversations cv ON cv.id = o.conv";

static const char demand_sql[] =
    "SELECT platform, substr(created_at, 1, 10), CAST(substr(created_at, 12, 2) AS INTEGER),"
    " COUNT(*) FROM messages WHERE " CUSTOMER " AND (?1 IS NULL OR created_at >= ?1)"
    " AND created_at < ?2 GROUP BY 1, 2, 3";

static const char first_sql[] =
    "SELECT MIN(created_at) FROM messages WHERE " CUSTOMER " AND created_at < ?1";

/* ---- accumulating ---- */

typedef struct care_series {
  double *v; /* seconds */
  size_t n, cap;
} care_series_t;

typedef struct care_group {
  char *name;
  int64_t demand, by_hour[24];
  json_t *by_day;
  care_series_t first, response, handling, open, unresolved;
  int64_t fr_conversations, fr_waiting, fr_closed, resolved, open_breached;
  int64_t sla_none, sla_within, sla_late, sla_breached, sla_pending, sla_closed;
} care_group_t;

typedef struct care_agent {
  char *name;
  care_series_t handling, response;
  int64_t resolved, responses;
} care_agent_t;

typedef struct care_acc {
  care_group_t overall;
  care_group_t *plats;
  size_t n_plats, cap_plats;
  care_agent_t *agents;
  size_t n_agents, cap_agents;
} care_acc_t;

static int grow(void **arr, size_t *cap, size_t need, size_t size) {
  if (need <= *cap)
    return 0;
  size_t n = *cap ? *cap * 2 : 16;
  while (n < need)
    n *= 2;
  void *p = realloc(*arr, n * size);
  if (!p)
    return PARLEY_ENOMEM;
  memset((char *)p + *cap * size, 0, (n - *cap) * size);
  *arr = p;
  *cap = n;
  return 0;
}

static int series_add(care_series_t *s, double v) {
  if (grow((void **)&s->v, &s->cap, s->n + 1, sizeof *s->v))
    return PARLEY_ENOMEM;
  s->v[s->n++] = v;
  return 0;
}

static void group_free(care_group_t *g) {
  free(g->name);
  json_decref(g->by_day);
  free(g->first.v);
  free(g->response.v);
  free(g->handling.v);
  free(g->open.v);
  free(g->unresolved.v);
}

static void acc_free(care_acc_t *a) {
  group_free(&a->overall);
  for (size_t i = 0; i < a->n_plats; i++)
    group_free(&a->plats[i]);
  for (size_t i = 0; i < a->n_agents; i++) {
    free(a->agents[i].name);
    free(a->agents[i].handling.v);
    free(a->agents[i].response.v);
  }
  free(a->plats);
  free(a->agents);
}

static int group_init(care_group_t *g, const char *name) {
  g->by_day = json_object();
  g->name = name ? parley_strdup(name) : NULL;
  return g->by_day && (!name || g->name) ? 0 : PARLEY_ENOMEM;
}

static care_group_t *platform_group(care_acc_t *a, const char *name) {
  for (size_t i = 0; i < a->n_plats; i++)
    if (strcmp(a->plats[i].name, name) == 0)
      return &a->plats[i];
  if (grow((void **)&a->plats, &a->cap_plats, a->n_plats + 1, sizeof *a->plats))
    return NULL;
  care_group_t *g = &a->plats[a->n_plats];
  if (group_init(g, name)) {
    group_free(g);
    memset(g, 0, sizeof *g);
    return NULL;
  }
  a->n_plats++;
  return g;
}

static care_agent_t *agent_of(care_acc_t *a, const char *name) {
  for (size_t i = 0; i < a->n_agents; i++)
    if (strcmp(a->agents[i].name, name) == 0)
      return &a->agents[i];
  if (grow((void **)&a->agents, &a->cap_agents, a->n_agents + 1, sizeof *a->agents))
    return NULL;
  care_agent_t *g = &a->agents[a->n_agents];
  if (!(g->name = parley_strdup(name)))
    return NULL;
  a->n_agents++;
  return g;
}

/* ---- one observation row ---- */

typedef struct care_row {
  const char *what, *platform, *agent, *state, *sla;
  int has_ms;
  double s; /* seconds */
} care_row_t;

static void first_row(care_group_t *g, const care_row_t *r, int *rc) {
  g->fr_conversations++;
  if (strcmp(r->state, "answered") == 0)
    *rc |= series_add(&g->first, r->s);
  else if (strcmp(r->state, "closed") == 0)
    g->fr_closed++;
  else
    g->fr_waiting++;
  const char *s = r->sla;
  int64_t *slot = strcmp(s, "within") == 0     ? &g->sla_within
                  : strcmp(s, "late") == 0     ? &g->sla_late
                  : strcmp(s, "breached") == 0 ? &g->sla_breached
                  : strcmp(s, "pending") == 0  ? &g->sla_pending
                  : strcmp(s, "closed") == 0   ? &g->sla_closed
                                               : &g->sla_none;
  (*slot)++;
}

static int group_row(care_group_t *g, const care_row_t *r) {
  int rc = 0;
  if (strcmp(r->what, "first") == 0) {
    first_row(g, r, &rc);
  } else if (strcmp(r->what, "response") == 0) {
    rc = series_add(&g->response, r->s);
  } else if (strcmp(r->what, "handling") == 0) {
    g->resolved++;
    if (r->has_ms)
      rc = series_add(&g->handling, r->s);
  } else if (strcmp(r->what, "open") == 0) {
    rc = series_add(&g->open, r->s);
    if (r->sla)
      g->open_breached++;
  } else if (strcmp(r->what, "unresolved") == 0) {
    rc = series_add(&g->unresolved, r->s);
  }
  return rc ? PARLEY_ENOMEM : 0;
}

static int agent_row(care_acc_t *a, const care_row_t *r) {
  int response = strcmp(r->what, "response") == 0;
  if (!r->agent || !*r->agent || (!response && strcmp(r->what, "handling") != 0))
    return 0;
  care_agent_t *g = agent_of(a, r->agent);
  if (!g)
    return PARLEY_ENOMEM;
  if (response) {
    g->responses++;
    return series_add(&g->response, r->s);
  }
  g->resolved++;
  return r->has_ms ? series_add(&g->handling, r->s) : 0;
}

static const char *col_text(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? (const char *)t : NULL;
}

static int bind_period(sqlite3_stmt *st, const char *since, const char *until) {
  int rc = since ? sqlite3_bind_text(st, 1, since, -1, SQLITE_TRANSIENT)
                 : sqlite3_bind_null(st, 1);
  return rc ? rc : sqlite3_bind_text(st, 2, until, -1, SQLITE_TRANSIENT);
}

static int store_error(sqlite3 *db, parley_error_t *err, const char *what) {
  return parley_error_set(err, PARLEY_EIO,
                          "care: %s: %s (the care figures need the v2 store schema, which "
                          "the sqlite output creates when it opens the store)",
                          what, sqlite3_errmsg(db));
}

static int read_observations(sqlite3 *db, care_acc_t *a, const char *since, const char *until,
                             parley_error_t *err) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, care_sql, -1, &st, NULL) != SQLITE_OK)
    return store_error(db, err, "cannot read the store");
  int rc = bind_period(st, since, until), step;
  while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
    care_row_t r = {col_text(st, 0), col_text(st, 1), col_text(st, 2), col_text(st, 4),
                    col_text(st, 5), sqlite3_column_type(st, 3) != SQLITE_NULL,
                    (double)sqlite3_column_int64(st, 3) / 1000.0};
    care_group_t *p = platform_group(a, r.platform);
    rc = p ? group_row(&a->overall, &r) : PARLEY_ENOMEM;
    if (rc == 0)
      rc = group_row(p, &r);
    if (rc == 0)
      rc = agent_row(a, &r);
  }
  if (rc == 0 && step != SQLITE_DONE)
    rc = store_error(db, err, "cannot read the store");
  else if (rc)
    rc = parley_error_set(err, rc, "care: out of memory");
  sqlite3_finalize(st);
  return rc;
}

static int demand_add(care_group_t *g, const char *day, int hour, int64_t n) {
  g->demand += n;
  if (hour >= 0 && hour < 24)
    g->by_hour[hour] += n;
  json_t *cur = json_object_get(g->by_day, day);
  return json_object_set_new(g->by_day, day,
                             json_integer((json_int_t)(json_integer_value(cur) + n)))
             ? PARLEY_ENOMEM
             : 0;
}

static int read_demand(sqlite3 *db, care_acc_t *a, const char *since, const char *until,
                       parley_error_t *err) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, demand_sql, -1, &st, NULL) != SQLITE_OK)
    return store_error(db, err, "cannot read the messages");
  int rc = bind_period(st, since, until), step;
  while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
    const char *plat = col_text(st, 0), *day = col_text(st, 1);
    int hour = sqlite3_column_int(st, 2);
    int64_t n = sqlite3_column_int64(st, 3);
    care_group_t *p = platform_group(a, plat ? plat : "unknown");
    rc = p && day ? demand_add(&a->overall, day, hour, n) : PARLEY_ENOMEM;
    if (rc == 0)
      rc = demand_add(p, day, hour, n);
  }
  if (rc == 0 && step != SQLITE_DONE)
    rc = store_error(db, err, "cannot read the messages");
  else if (rc)
    rc = parley_error_set(err, rc, "care: out of memory");
  sqlite3_finalize(st);
  return rc;
}

/* ---- statistics ---- */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Linear interpolation between closest ranks (Hyndman & Fan type 7, the
 * default of R, NumPy and spreadsheets' PERCENTILE.INC) over sorted v:
 * h = (n - 1) p, the value at h between v[floor h] and v[floor h + 1]. The
 * median is p = 0.5: the mean of the two middle values when n is even. */
double parley_care_percentile(const double *sorted, size_t n, double p) {
  if (n == 0)
    return NAN;
  double h = (double)(n - 1) * p;
  size_t lo = (size_t)floor(h);
  if (lo + 1 >= n)
    return sorted[n - 1];
  return sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

static void sort_series(care_series_t *s) {
  if (s->n > 1) /* an empty series has no array, and qsort wants one */
    qsort(s->v, s->n, sizeof *s->v, cmp_double);
}

/* Seconds rounded to the millisecond: the store's precision. */
static json_t *seconds(double s) {
  return isnan(s) ? json_null() : json_real(round(s * 1000) / 1000);
}

static json_t *stats_json(care_series_t *s) {
  sort_series(s);
  double sum = 0;
  for (size_t i = 0; i < s->n; i++)
    sum += s->v[i];
  double mean = s->n ? sum / (double)s->n : NAN;
  return json_pack("{s:I,s:o,s:o,s:o,s:o}", "count", (json_int_t)s->n, "mean", seconds(mean),
                   "median", seconds(parley_care_percentile(s->v, s->n, 0.5)), "p90",
                   seconds(parley_care_percentile(s->v, s->n, 0.9)), "max",
                   seconds(s->n ? s->v[s->n - 1] : NAN));
}

/* Ages: count, oldest and median, in seconds. */
static json_t *ages_json(care_series_t *s) {
  sort_series(s);
  return json_pack("{s:I,s:o,s:o}", "count", (json_int_t)s->n, "oldest_seconds",
                   seconds(s->n ? s->v[s->n - 1] : NAN), "median_age_seconds",
                   seconds(parley_care_percentile(s->v, s->n, 0.5)));
}

static json_t *ratio(int64_t num, int64_t den) {
  return den ? json_real((double)num / (double)den) : json_null();
}

static json_t *demand_json(care_group_t *g, double hours) {
  json_t *by_hour = json_array();
  for (int h = 0; by_hour && h < 24; h++)
    json_array_append_new(by_hour, json_integer((json_int_t)g->by_hour[h]));
  return json_pack("{s:I,s:o,s:o,s:O}", "messages", (json_int_t)g->demand, "per_hour",
                   hours > 0 ? json_real((double)g->demand / hours) : json_null(),
                   "by_hour_of_day", by_hour, "by_day", g->by_day);
}

static json_t *sla_json(const care_group_t *g) {
  int64_t with = g->sla_within + g->sla_late + g->sla_breached + g->sla_pending + g->sla_closed;
  return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "conversations", (json_int_t)with,
                   "without_sla", (json_int_t)g->sla_none, "within", (json_int_t)g->sla_within,
                   "late", (json_int_t)g->sla_late, "breached_unanswered",
                   (json_int_t)g->sla_breached, "pending", (json_int_t)g->sla_pending,
                   "closed_unanswered", (json_int_t)g->sla_closed, "share_within",
                   ratio(g->sla_within, g->sla_within + g->sla_late + g->sla_breached));
}

static json_t *group_json(care_group_t *g, double hours) {
  json_t *first = stats_json(&g->first), *open = ages_json(&g->open);
  if (first) {
    json_object_set_new(first, "conversations", json_integer((json_int_t)g->fr_conversations));
    json_object_set_new(first, "unanswered", json_integer((json_int_t)g->fr_waiting));
    json_object_set_new(first, "closed_unanswered", json_integer((json_int_t)g->fr_closed));
  }
  if (open)
    json_object_set_new(open, "sla_breached", json_integer((json_int_t)g->open_breached));
  return json_pack("{s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:o}", "demand", demand_json(g, hours),
                   "first_response", first, "response", stats_json(&g->response), "handling",
                   stats_json(&g->handling), "resolved", (json_int_t)g->resolved, "sla",
                   sla_json(g), "open", open, "unresolved", ages_json(&g->unresolved));
}

static double median_of(care_series_t *s) {
  sort_series(s);
  return parley_care_percentile(s->v, s->n, 0.5);
}

static json_t *agent_json(care_agent_t *g) {
  return json_pack("{s:I,s:o,s:I,s:o}", "resolved", (json_int_t)g->resolved,
                   "median_handling_seconds", seconds(median_of(&g->handling)), "responses",
                   (json_int_t)g->responses, "median_response_seconds",
                   seconds(median_of(&g->response)));
}

static int cmp_group(const void *a, const void *b) {
  return strcmp(((const care_group_t *)a)->name, ((const care_group_t *)b)->name);
}

static int cmp_agent(const void *a, const void *b) {
  return strcmp(((const care_agent_t *)a)->name, ((const care_agent_t *)b)->name);
}

static json_t *report_json(care_acc_t *a, const char *since, const char *until, double hours) {
  json_t *plats = json_object(), *agents = json_object();
  if (a->n_plats > 1)
    qsort(a->plats, a->n_plats, sizeof *a->plats, cmp_group);
  if (a->n_agents > 1)
    qsort(a->agents, a->n_agents, sizeof *a->agents, cmp_agent);
  for (size_t i = 0; plats && i < a->n_plats; i++)
    json_object_set_new(plats, a->plats[i].name, group_json(&a->plats[i], hours));
  for (size_t i = 0; agents && i < a->n_agents; i++)
    json_object_set_new(agents, a->agents[i].name, agent_json(&a->agents[i]));
  json_t *period = json_pack("{s:s?,s:s,s:o}", "since", since, "until", until, "hours",
                             json_real(hours));
  return json_pack("{s:s,s:o,s:o,s:o,s:o}", "schema", CARE_SCHEMA, "period", period, "overall",
                   group_json(&a->overall, hours), "per_platform", plats, "per_agent", agents);
}

/* ---- the period ---- */

/* A bound as the store writes times, so that text comparison is time order. */
static int normalize(const char *in, const char *what, char *out, parley_error_t *err) {
  int64_t ms;
  if (parley_time_parse(in, &ms) != 0)
    return parley_error_set(err, PARLEY_EINVAL,
                            "%s: \"%.64s\" is not an ISO-8601 time such as 2026-11-23T00:00:00Z",
                            what, in);
  parley_time_format(ms, out, PARLEY_TIME_MAX);
  return 0;
}

/* The first customer message before until, when no since is given. */
static int first_message(sqlite3 *db, const char *until, char *out, parley_error_t *err) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, first_sql, -1, &st, NULL) != SQLITE_OK)
    return store_error(db, err, "cannot read the messages");
  sqlite3_bind_text(st, 1, until, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  const char *t = rc == SQLITE_ROW ? col_text(st, 0) : NULL;
  int64_t ms;
  out[0] = '\0';
  if (t && parley_time_parse(t, &ms) == 0)
    parley_time_format(ms, out, PARLEY_TIME_MAX);
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? 0 : store_error(db, err, "cannot read the messages");
}

static double hours_between(const char *since, const char *until) {
  int64_t a, b;
  if (!since || parley_time_parse(since, &a) || parley_time_parse(until, &b) || b <= a)
    return 0;
  return (double)(b - a) / 3600000.0;
}

int parley_care_compute(sqlite3 *db, const char *since, const char *until, json_t **out,
                        parley_error_t *err) {
  char s[PARLEY_TIME_MAX] = "", u[PARLEY_TIME_MAX];
  *out = NULL;
  int rc = since ? normalize(since, "since", s, err) : 0;
  if (rc == 0 && until)
    rc = normalize(until, "until", u, err);
  else if (rc == 0)
    parley_time_format(parley_time_now(), u, sizeof u);
  if (rc)
    return rc;
  if (since && strcmp(s, u) >= 0)
    return parley_error_set(err, PARLEY_EINVAL, "since: %s is not before until (%s)", s, u);
  care_acc_t a = {0};
  if (group_init(&a.overall, NULL)) {
    acc_free(&a);
    return parley_error_set(err, PARLEY_ENOMEM, "care: out of memory");
  }
  const char *bound = since ? s : NULL;
  rc = read_observations(db, &a, bound, u, err);
  if (rc == 0)
    rc = read_demand(db, &a, bound, u, err);
  if (rc == 0 && !since)
    rc = first_message(db, u, s, err);
  if (rc == 0) {
    const char *eff = s[0] ? s : NULL;
    *out = report_json(&a, eff, u, hours_between(eff, u));
    if (!*out)
      rc = parley_error_set(err, PARLEY_ENOMEM, "care: out of memory");
  }
  acc_free(&a);
  return rc;
}
