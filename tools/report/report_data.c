/* parley-report — reading the store (report.h). The figures and tables
 * come from parley_care_compute (core/care.h), so the report and GET
 * /v1/care agree; the charts need series the care JSON summarises, which
 * are read here with the same definitions: each conversation's first
 * response time, and the backlog of conversations waiting for an answer
 * over time (replayed from conversation_events, or from the messages of a
 * store that has no events). */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "care.h"
#include "parley/time.h"
#include "report.h"

#define DAY_MS 86400000LL
#define BUSY_TIMEOUT_MS 5000
/* Customer messages (docs/care-metrics.md): inbound, and moving a conversation. */
#define CUSTOMER "direction = 'in' AND kind NOT IN ('system', 'reaction', 'edited', 'deleted')"

/* ---- series ---- */

static int series_add(parley_report_series_t *s, double v) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 256;
    double *p = realloc(s->v, cap * sizeof *p);
    if (!p) return PARLEY_ENOMEM;
    s->v = p;
    s->cap = cap;
  }
  s->v[s->n++] = v;
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double parley_report_share_within(const parley_report_series_t *v, double limit) {
  size_t lo = 0, hi = v->n;
  if (v->n == 0) return NAN;
  while (lo < hi) { /* first index above limit */
    size_t mid = (lo + hi) / 2;
    if (v->v[mid] <= limit) lo = mid + 1;
    else hi = mid;
  }
  return (double)lo / (double)v->n;
}

int parley_report_platform(const parley_report_data_t *d, const char *name) {
  for (size_t i = 0; name && i < d->nplat; i++)
    if (!strcmp(d->plat[i], name)) return (int)i;
  return -1;
}

void parley_report_data_free(parley_report_data_t *d) {
  json_decref(d->care);
  for (size_t i = 0; i < d->nplat; i++) {
    free(d->plat[i]);
    free(d->frt_plat[i].v);
  }
  free(d->frt.v);
  free(d->by_day);
  free(d->backlog.at);
  free(d->backlog.open);
  memset(d, 0, sizeof *d);
}

/* ---- the period ---- */

/* "2026-11-23" (midnight UTC) or an ISO-8601 time, normalised. */
static int parse_bound(const char *what, const char *s, int64_t *ms, char *out, parley_error_t *err) {
  char buf[64];
  if (strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
    snprintf(buf, sizeof buf, "%sT00:00:00Z", s);
    s = buf;
  }
  if (strlen(s) >= sizeof buf - 12 || parley_time_parse(s, ms) != 0)
    return parley_error_set(err, PARLEY_EINVAL,
                            "%s: '%.64s' is not a date (2026-11-23) or an ISO-8601 time "
                            "(2026-11-23T09:00:00Z, 2026-11-23T10:00:00+01:00)", what, s);
  parley_time_format(*ms, out, 32);
  return 0;
}

static int period(const parley_report_opts_t *o, parley_report_data_t *d, parley_error_t *err) {
  int rc = 0;
  if (o->until) rc = parse_bound("--until", o->until, &d->until_ms, d->until, err);
  else parley_time_format(d->until_ms = parley_time_now(), d->until, sizeof d->until);
  if (rc) return rc;
  if (o->since) rc = parse_bound("--since", o->since, &d->since_ms, d->since, err);
  else parley_time_format(d->since_ms = d->until_ms - 7 * DAY_MS, d->since, sizeof d->since);
  if (rc) return rc;
  if (d->since_ms >= d->until_ms)
    return parley_error_set(err, PARLEY_EINVAL, "--since %s is not before --until %s", d->since,
                            d->until);
  if (d->until_ms - d->since_ms > 400 * DAY_MS)
    return parley_error_set(err, PARLEY_EINVAL, "the period is longer than 400 days; "
                                                "make one report per quarter or month");
  return 0;
}

/* ---- the store ---- */

static int open_store(const char *path, sqlite3 **db, parley_error_t *err) {
  struct stat st;
  if (stat(path, &st) != 0)
    return parley_error_set(err, errno == ENOENT ? PARLEY_ENOENT : PARLEY_EIO,
                            "--store %s: %s (the file a sqlite output writes: outputs[].options.path)",
                            path, strerror(errno));
  if (!S_ISREG(st.st_mode))
    return parley_error_set(err, PARLEY_EIO, "--store %s: not a regular file", path);
  /* read-only: the report never changes the store, and never creates one */
  if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    int rc = parley_error_set(err, PARLEY_EIO, "--store %s: %s", path,
                              *db ? sqlite3_errmsg(*db) : "cannot open");
    sqlite3_close(*db);
    *db = NULL;
    return rc;
  }
  sqlite3_busy_timeout(*db, BUSY_TIMEOUT_MS);
  sqlite3_stmt *q = NULL;
  int ok = sqlite3_prepare_v2(*db, "SELECT id, conversation_id, direction, created_at FROM messages"
                                   " LIMIT 1", -1, &q, NULL) == SQLITE_OK &&
           sqlite3_step(q) != SQLITE_ERROR;
  sqlite3_finalize(q);
  if (!ok)
    return parley_error_set(err, PARLEY_EIO, "--store %s is not a parley conversation store: %s",
                            path, sqlite3_errmsg(*db));
  return 0;
}

static const char *col(sqlite3_stmt *st, int i) {
  return (const char *)sqlite3_column_text(st, i);
}

static int sql_error(sqlite3 *db, const char *what, parley_error_t *err) {
  return parley_error_set(err, PARLEY_EIO, "store: %s: %s", what, sqlite3_errmsg(db));
}

/* ---- demand (from the care JSON: the same figures as its tables) ---- */

static int platforms(parley_report_data_t *d, parley_error_t *err) {
  const char *name;
  json_t *v;
  json_object_foreach(json_object_get(d->care, "per_platform"), name, v) {
    if (d->nplat == PARLEY_REPORT_MAX_PLATFORMS)
      return parley_error_set(err, PARLEY_EINVAL, "store: more than %d platforms",
                              PARLEY_REPORT_MAX_PLATFORMS);
    if (!(d->plat[d->nplat++] = strdup(name))) return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  }
  /* the care JSON lists them in name order already; keep it */
  return 0;
}

static int demand(parley_report_data_t *d, parley_error_t *err) {
  d->day0_ms = d->since_ms - ((d->since_ms % DAY_MS) + DAY_MS) % DAY_MS;
  d->ndays = (size_t)((d->until_ms - 1 - d->day0_ms) / DAY_MS + 1);
  d->by_day = calloc(d->ndays, sizeof *d->by_day);
  if (!d->by_day) return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  for (size_t p = 0; p < d->nplat; p++) {
    json_t *dm = json_object_get(json_object_get(json_object_get(d->care, "per_platform"), d->plat[p]),
                                 "demand");
    json_t *h = json_object_get(dm, "by_hour_of_day"), *v;
    size_t i;
    const char *day;
    json_array_foreach(h, i, v) if (i < 24) d->by_hour[i][p] = json_integer_value(v);
    json_object_foreach(json_object_get(dm, "by_day"), day, v) {
      char iso[32];
      int64_t ms;
      snprintf(iso, sizeof iso, "%.10sT00:00:00Z", day);
      if (parley_time_parse(iso, &ms) != 0 || ms < d->day0_ms) continue;
      size_t k = (size_t)((ms - d->day0_ms) / DAY_MS);
      if (k < d->ndays) d->by_day[k][p] += json_integer_value(v);
    }
  }
  return 0;
}

/* ---- first response times ---- */

/* Per conversation whose first customer message is in the period: that
 * message, the first brand message at or after it, and the first
 * resolution after it (a conversation resolved before any answer has no
 * first response: care.h). */
static const char frt_sql[] =
    "WITH firsts AS ("
    " SELECT conversation_id AS conv, MIN(created_at) AS start FROM messages"
    " WHERE conversation_id IS NOT NULL AND " CUSTOMER " AND created_at < ?2"
    " GROUP BY conversation_id)"
    " SELECT coalesce(c.platform, 'unknown'), f.start,"
    "  (SELECT MIN(o.created_at) FROM messages o WHERE o.conversation_id = f.conv"
    "   AND o.direction = 'out' AND o.created_at >= f.start AND o.created_at < ?2),"
    "  (SELECT MIN(strftime('%Y-%m-%dT%H:%M:%fZ', e.at)) FROM conversation_events e"
    "   WHERE e.conversation_id = f.conv AND e.type = 'resolved'"
    "   AND julianday(e.at) >= julianday(f.start))"
    " FROM firsts f LEFT JOIN conversations c ON c.id = f.conv WHERE f.start >= ?1";

static int frt_row(parley_report_data_t *d, sqlite3_stmt *st) {
  int64_t start, ans, res;
  const char *a = col(st, 2), *r = col(st, 3);
  if (!a || parley_time_parse(col(st, 1), &start) || parley_time_parse(a, &ans)) return 0;
  if (r && parley_time_parse(r, &res) == 0 && res < ans) return 0; /* closed unanswered */
  double s = (double)(ans - start) / 1000.0;
  int p = parley_report_platform(d, col(st, 0));
  int rc = series_add(&d->frt, s);
  return rc == 0 && p >= 0 ? series_add(&d->frt_plat[p], s) : rc;
}

static int first_responses(sqlite3 *db, parley_report_data_t *d, parley_error_t *err) {
  sqlite3_stmt *st = NULL;
  int rc = 0, step;
  if (sqlite3_prepare_v2(db, frt_sql, -1, &st, NULL) != SQLITE_OK)
    return sql_error(db, "first response times", err);
  sqlite3_bind_text(st, 1, d->since, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, d->until, -1, SQLITE_STATIC);
  while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) rc = frt_row(d, st);
  if (rc == 0 && step != SQLITE_DONE) rc = sql_error(db, "first response times", err);
  else if (rc) rc = parley_error_set(err, rc, "out of memory");
  sqlite3_finalize(st);
  if (d->frt.n) qsort(d->frt.v, d->frt.n, sizeof *d->frt.v, cmp_double);
  for (size_t p = 0; p < d->nplat; p++)
    if (d->frt_plat[p].n) qsort(d->frt_plat[p].v, d->frt_plat[p].n, sizeof(double), cmp_double);
  return rc;
}

/* ---- the backlog ---- */

/* State changes in the order they happened (created_at, not the order
 * the store received them, so that the backlog agrees with the care
 * figures' "open"): a customer message opens, a brand message answers, a
 * resolution (conversation_events) closes; at the same time in that order.
 * A store without conversation_events: the messages alone. */
#define BACKLOG_MESSAGES                                                                    \
  " SELECT conversation_id AS conv, platform, created_at AS at,"                          \
  " CASE direction WHEN 'in' THEN 'opened' ELSE 'answered' END AS type,"                  \
  " CASE direction WHEN 'in' THEN 0 ELSE 1 END AS k FROM messages"                        \
  " WHERE conversation_id IS NOT NULL AND (direction = 'out' OR (" CUSTOMER "))"           \
  " AND created_at < ?1"
static const char events_sql[] =
    "SELECT conv, platform, at, type FROM (" BACKLOG_MESSAGES
    " UNION ALL SELECT e.conversation_id, coalesce(c.platform, 'unknown'),"
    " strftime('%Y-%m-%dT%H:%M:%fZ', e.at), 'resolved', 2"
    " FROM conversation_events e LEFT JOIN conversations c ON c.id = e.conversation_id"
    " WHERE e.type = 'resolved' AND julianday(e.at) < julianday(?1)) ORDER BY at, k";
static const char messages_sql[] =
    "SELECT conv, platform, at, type FROM (" BACKLOG_MESSAGES ") ORDER BY at, k";

typedef struct sweep {
  parley_report_data_t *d;
  json_t *convs;          /* id -> index */
  unsigned char *waiting; /* per conversation */
  signed char *plat;      /* per conversation, -1 unknown */
  size_t n, cap;
  int64_t open[PARLEY_REPORT_MAX_PLATFORMS + 1];
} sweep_t;

static int sweep_conv(sweep_t *s, const char *id, const char *platform, size_t *out) {
  json_t *v = json_object_get(s->convs, id);
  if (v) {
    *out = (size_t)json_integer_value(v);
    return 0;
  }
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 1024;
    unsigned char *w = realloc(s->waiting, cap);
    if (w) s->waiting = w;
    signed char *p = realloc(s->plat, cap);
    if (p) s->plat = p;
    if (!w || !p) return PARLEY_ENOMEM;
    s->cap = cap;
  }
  s->waiting[s->n] = 0;
  s->plat[s->n] = (signed char)parley_report_platform(s->d, platform);
  if (json_object_set_new(s->convs, id, json_integer((json_int_t)s->n))) return PARLEY_ENOMEM;
  *out = s->n++;
  return 0;
}

static void sweep_apply(sweep_t *s, size_t c, const char *type) {
  int now = !strcmp(type, "opened") || !strcmp(type, "reopened") ? 1
            : !strcmp(type, "answered") || !strcmp(type, "resolved") ? 0
                                                                      : s->waiting[c];
  if (now == s->waiting[c]) return;
  int delta = now ? 1 : -1;
  s->waiting[c] = (unsigned char)now;
  if (s->plat[c] >= 0) s->open[s->plat[c]] += delta;
  s->open[PARLEY_REPORT_MAX_PLATFORMS] += delta;
}

static void sweep_sample(sweep_t *s, size_t k, int64_t at) {
  parley_report_backlog_t *b = &s->d->backlog;
  b->at[k] = at;
  for (size_t p = 0; p < s->d->nplat; p++) b->open[k][p] = s->open[p];
  b->open[k][PARLEY_REPORT_MAX_PLATFORMS] = s->open[PARLEY_REPORT_MAX_PLATFORMS];
}

/* Samples every step from since to until; each sees the changes up to
 * its time. A row is read ahead and applied once a sample reaches it. */
static int sweep_rows(sweep_t *s, sqlite3_stmt *st, int64_t step) {
  parley_report_data_t *d = s->d;
  int64_t at = 0;
  int have = 0, done = 0;
  for (size_t k = 0; k < d->backlog.n; k++) {
    int64_t t = d->since_ms + (int64_t)k * step;
    if (t > d->until_ms) t = d->until_ms;
    for (;;) {
      if (!have && !done) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
          done = 1;
          break;
        }
        if (rc != SQLITE_ROW) return PARLEY_EIO;
        have = 1;
        if (parley_time_parse(col(st, 2), &at) != 0) at = INT64_MIN; /* unreadable: at once */
      }
      if (!have || at > t) break;
      size_t c;
      int rc = sweep_conv(s, col(st, 0), col(st, 1), &c);
      if (rc) return rc;
      sweep_apply(s, c, col(st, 3));
      have = 0;
    }
    sweep_sample(s, k, t);
  }
  return 0;
}

static int sweep_run(sqlite3 *db, parley_report_data_t *d, const char *sql, parley_error_t *err) {
  sqlite3_stmt *st = NULL;
  sweep_t s = {.d = d, .convs = json_object()};
  /* about 600 samples over the period, at least one a minute apart */
  int64_t span = d->until_ms - d->since_ms, step = span / 600 < 60000 ? 60000 : span / 600;
  d->backlog.n = (size_t)(span / step) + 2;
  d->backlog.at = calloc(d->backlog.n, sizeof *d->backlog.at);
  d->backlog.open = calloc(d->backlog.n, sizeof *d->backlog.open);
  if (!s.convs || !d->backlog.at || !d->backlog.open) {
    json_decref(s.convs);
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  }
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK ? 0 : PARLEY_EIO;
  if (rc == 0) {
    sqlite3_bind_text(st, 1, d->until, -1, SQLITE_STATIC);
    rc = sweep_rows(&s, st, step);
  }
  if (rc == PARLEY_EIO) rc = sql_error(db, "the backlog", err);
  else if (rc) rc = parley_error_set(err, rc, "out of memory");
  sqlite3_finalize(st);
  json_decref(s.convs);
  free(s.waiting);
  free(s.plat);
  return rc;
}

static int backlog(sqlite3 *db, parley_report_data_t *d, parley_error_t *err) {
  sqlite3_stmt *st = NULL;
  int have = sqlite3_prepare_v2(db, "SELECT 1 FROM conversation_events LIMIT 1", -1, &st, NULL) ==
             SQLITE_OK;
  sqlite3_finalize(st);
  d->backlog_source = have ? "messages and resolutions" : "messages";
  return sweep_run(db, d, have ? events_sql : messages_sql, err);
}

/* ---- all of it ---- */

static int load_db(sqlite3 *db, parley_report_data_t *d, parley_error_t *err) {
  int rc = parley_care_compute(db, d->since, d->until, &d->care, err);
  if (rc == 0) rc = platforms(d, err);
  if (rc == 0) rc = demand(d, err);
  if (rc == 0) rc = first_responses(db, d, err);
  if (rc == 0) rc = backlog(db, d, err);
  return rc;
}

int parley_report_load(const parley_report_opts_t *o, parley_report_data_t *d,
                       parley_error_t *err) {
  sqlite3 *db = NULL;
  memset(d, 0, sizeof *d);
  int rc = period(o, d, err);
  if (rc == 0) rc = open_store(o->store, &db, err);
  if (rc == 0) rc = load_db(db, d, err);
  sqlite3_close(db);
  return rc;
}
