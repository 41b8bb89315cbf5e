/* parley core — counters, gauges and histograms. A flat list: a few hundred
 * entries at most, looked up once per (name, labels) by their owners, who
 * keep the returned pointer for the hot path. */
#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/error.h"
#include "util.h"

typedef enum { KIND_COUNTER = 0, KIND_GAUGE, KIND_HISTOGRAM } metric_kind_t;

struct parley_histogram {
  size_t n;          /* finite bounds */
  double *bounds;
  uint64_t *buckets; /* n + 1 counts, not cumulative; the last is (bounds[n-1], +Inf) */
  uint64_t count;
  double sum;
};

typedef struct metric {
  char *name;
  char *labels;
  metric_kind_t kind;
  uint64_t count;
  double gauge;
  parley_histogram_t hist;
  struct metric *next;
} metric_t;

typedef struct help {
  char *name, *text;
  struct help *next;
} help_t;

struct parley_metrics {
  metric_t *head, *tail;
  help_t *help;
};

/* The core's metrics (docs/operator-guide.md, "Metrics"). */
static const char *const builtin_help[][2] = {
    {"parley_events_emitted_total", "Events a connector instance handed over."},
    {"parley_events_invalid_total", "Events refused by validation (logged with the field)."},
    {"parley_events_accepted_total", "Events committed to the journal."},
    {"parley_events_duplicate_total", "Events already in the journal (dedup)."},
    {"parley_events_unrouted_total", "Events that matched no route, with no default output."},
    {"parley_events_rejected_total", "Events whose journal commit failed (the source retries)."},
    {"parley_source_pauses_total", "Times the sources were paused for backpressure."},
    {"parley_sources_paused", "1 while the sources are paused for that bound."},
    {"parley_backlog_bytes", "Bytes of the events not yet delivered by every output."},
    {"parley_backlog_oldest_age_seconds", "Age of the oldest undelivered event (0 when none)."},
    {"parley_journal_pruned_total", "Event bodies dropped by retention."},
    {"parley_journal_forgotten_total", "Event ids dropped after the dedup window."},
    {"parley_journal_prune_failures_total", "Retention runs that failed (logged; retried)."},
    {"parley_output_delivered_total", "Events delivered by the output."},
    {"parley_output_failures_total", "Failed delivery attempts of the output."},
    {"parley_output_backlog", "Events accepted but not yet delivered by the output."},
    {"parley_webhook_requests_total", "Webhook requests to the connector instance."},
    {"parley_webhook_refused_total", "Webhook requests answered 503 (busy or paused)."},
    {"parley_actions_total", "Actions submitted to the connector instance."},
    {"parley_actions_failed_total", "Actions the connector instance failed to perform."},
    {"parley_store_actions_total",
     "Actions the core performed on its sqlite store (assign, resolve)."},
    {"parley_store_actions_failed_total", "Store actions (assign, resolve) that failed."},
    {"parley_enrich_filled_total", "Events whose signal the enrichment step filled."},
    {"parley_enrich_kept_total", "Events whose signal the connector had already set (kept)."},
    {"parley_enrich_unfilled_total", "Events the enrichment step could not fill."},
    {"parley_auth_failures_total", "Wrong admin or agent tokens (Bearer or POST /v1/login)."},
    {"parley_auth_lockouts_total",
     "Lockouts of a client address after too many wrong tokens (router.auth_limit)."},
    {"parley_auth_refused_total",
     "Requests answered 429 because their address was locked out (token not checked)."},
    {"parley_http_connections", "HTTP connections open now."},
    {"parley_event_streams",
     "Server-Sent Events subscribers now, by channel (events: /v1/events, stream: /v1/stream)."},
    {"parley_http_client_addresses", "Distinct client addresses with an HTTP connection open."},
    {"parley_http_accepted_total", "HTTP connections accepted."},
    {"parley_http_evicted_total",
     "Idle (or stalled) HTTP connections closed to make room at max_connections."},
    {"parley_http_closed_max_requests_total",
     "HTTP connections closed after max_requests_per_connection answers."},
    {"parley_http_rejected_total", "HTTP connections or requests refused, by reason."},
    {"parley_http_timeouts_total", "HTTP connections closed by a timeout, by phase."},
};

parley_metrics_t *parley_metrics_new(void) { return calloc(1, sizeof(parley_metrics_t)); }

void parley_metrics_free(parley_metrics_t *m) {
  if (!m)
    return;
  for (metric_t *e = m->head, *next; e; e = next) {
    next = e->next;
    free(e->name);
    free(e->labels);
    free(e->hist.bounds);
    free(e->hist.buckets);
    free(e);
  }
  for (help_t *h = m->help, *next; h; h = next) {
    next = h->next;
    free(h->name);
    free(h->text);
    free(h);
  }
  free(m);
}

static metric_t *lookup(parley_metrics_t *m, const char *name, const char *labels,
                        metric_kind_t kind) {
  for (metric_t *e = m->head; e; e = e->next)
    if (e->kind == kind && strcmp(e->name, name) == 0 && strcmp(e->labels, labels) == 0)
      return e;
  return NULL;
}

/* Keep entries of one name together so the text format groups them. */
static void link_entry(parley_metrics_t *m, metric_t *e) {
  metric_t *after = NULL;
  for (metric_t *x = m->head; x; x = x->next)
    if (strcmp(x->name, e->name) == 0)
      after = x;
  if (after) {
    e->next = after->next;
    after->next = e;
    if (m->tail == after)
      m->tail = e;
  } else if (m->tail) {
    m->tail->next = e;
    m->tail = e;
  } else {
    m->head = m->tail = e;
  }
}

static metric_t *entry_new(const char *name, const char *labels, metric_kind_t kind) {
  metric_t *e = calloc(1, sizeof *e);
  if (!e || !(e->name = parley_strdup(name)) || !(e->labels = parley_strdup(labels))) {
    if (e)
      free(e->name);
    free(e);
    return NULL;
  }
  e->kind = kind;
  return e;
}

static metric_t *find(parley_metrics_t *m, const char *name, const char *labels,
                      metric_kind_t kind) {
  labels = labels ? labels : "";
  metric_t *e = lookup(m, name, labels, kind);
  if (e)
    return e;
  if ((e = entry_new(name, labels, kind)) != NULL)
    link_entry(m, e);
  return e;
}

uint64_t *parley_metrics_counter(parley_metrics_t *m, const char *name, const char *labels) {
  metric_t *e = find(m, name, labels, KIND_COUNTER);
  return e ? &e->count : NULL;
}

double *parley_metrics_gauge(parley_metrics_t *m, const char *name, const char *labels) {
  metric_t *e = find(m, name, labels, KIND_GAUGE);
  return e ? &e->gauge : NULL;
}

void parley_metrics_add(parley_metrics_t *m, const char *name, const char *labels,
                        uint64_t n) {
  uint64_t *c = parley_metrics_counter(m, name, labels);
  if (c)
    *c += n;
}

static int hist_init(parley_histogram_t *h, const double *bounds, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(bounds[i]) || (i && bounds[i] <= bounds[i - 1]))
      return PARLEY_EINVAL;
  h->bounds = malloc((n ? n : 1) * sizeof *h->bounds);
  h->buckets = calloc(n + 1, sizeof *h->buckets);
  if (!h->bounds || !h->buckets) {
    free(h->bounds);
    free(h->buckets);
    return PARLEY_ENOMEM;
  }
  if (n)
    memcpy(h->bounds, bounds, n * sizeof *bounds);
  h->n = n;
  return 0;
}

parley_histogram_t *parley_metrics_histogram(parley_metrics_t *m, const char *name,
                                             const char *labels, const double *bounds,
                                             size_t n) {
  labels = labels ? labels : "";
  metric_t *e = lookup(m, name, labels, KIND_HISTOGRAM);
  if (e)
    return &e->hist;
  if (!(e = entry_new(name, labels, KIND_HISTOGRAM)))
    return NULL;
  if (hist_init(&e->hist, bounds, n) != 0) {
    free(e->name);
    free(e->labels);
    free(e);
    return NULL;
  }
  link_entry(m, e);
  return &e->hist;
}

void parley_histogram_observe(parley_histogram_t *h, double v) {
  if (!h || isnan(v))
    return;
  size_t i = 0;
  while (i < h->n && v > h->bounds[i]) /* le: a value on a bound is in its bucket */
    i++;
  h->buckets[i]++;
  h->count++;
  h->sum += v;
}

uint64_t parley_histogram_count(const parley_histogram_t *h) { return h ? h->count : 0; }
double parley_histogram_sum(const parley_histogram_t *h) { return h ? h->sum : 0; }

int parley_metrics_help(parley_metrics_t *m, const char *name, const char *help) {
  for (help_t *h = m->help; h; h = h->next)
    if (strcmp(h->name, name) == 0) {
      char *copy = parley_strdup(help);
      if (!copy)
        return PARLEY_ENOMEM;
      free(h->text);
      h->text = copy;
      return 0;
    }
  help_t *h = calloc(1, sizeof *h);
  if (!h || !(h->name = parley_strdup(name)) || !(h->text = parley_strdup(help))) {
    if (h)
      free(h->name);
    free(h);
    return PARLEY_ENOMEM;
  }
  h->next = m->help;
  m->help = h;
  return 0;
}

static const char *help_of(const parley_metrics_t *m, const char *name) {
  for (const help_t *h = m->help; h; h = h->next)
    if (strcmp(h->name, name) == 0)
      return h->text;
  for (size_t i = 0; i < sizeof builtin_help / sizeof builtin_help[0]; i++)
    if (strcmp(builtin_help[i][0], name) == 0)
      return builtin_help[i][1];
  return NULL;
}

int parley_metrics_label(char *buf, size_t buflen, const char *name, const char *value) {
  size_t k = 0;
  int n = snprintf(buf, buflen, "%s=\"", name);
  if (n < 0 || (size_t)n >= buflen)
    return PARLEY_ENOBUFS;
  k = (size_t)n;
  for (const char *p = value ? value : ""; *p; p++) {
    const char *esc = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : *p == '\n' ? "\\n" : NULL;
    size_t len = esc ? 2 : 1;
    if (k + len + 2 > buflen)
      return PARLEY_ENOBUFS;
    if (esc)
      memcpy(buf + k, esc, 2);
    else
      buf[k] = *p;
    k += len;
  }
  buf[k++] = '"';
  buf[k] = '\0';
  return (int)k;
}

/* HELP text escaped as the format wants: backslash and line feed. */
static void put_help(FILE *f, const char *name, const char *text) {
  fprintf(f, "# HELP %s ", name);
  for (const char *p = text; *p; p++) {
    if (*p == '\\')
      fputs("\\\\", f);
    else if (*p == '\n')
      fputs("\\n", f);
    else
      fputc(*p, f);
  }
  fputc('\n', f);
}

static void put_family(FILE *f, const parley_metrics_t *m, const metric_t *e) {
  static const char *const types[] = {"counter", "gauge", "histogram"};
  const char *text = help_of(m, e->name);
  if (text) {
    put_help(f, e->name, text);
  } else {
    /* A connector's own metric: the core does not know what it means. */
    fprintf(f, "# HELP %s %s metric %s (see its documentation).\n", e->name,
            strncmp(e->name, "parley_", 7) == 0 ? "parley" : "Connector", e->name);
  }
  fprintf(f, "# TYPE %s %s\n", e->name, types[e->kind]);
}

/* The shortest text that reads back as v (bucket bounds such as 0.1). */
static void put_double(FILE *f, double v) {
  char buf[32];
  if (isinf(v)) {
    fputs(v > 0 ? "+Inf" : "-Inf", f);
    return;
  }
  if (isnan(v)) {
    fputs("NaN", f);
    return;
  }
  for (int prec = 6; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (strtod(buf, NULL) == v)
      break;
  }
  fputs(buf, f);
}

static void put_bucket(FILE *f, const metric_t *e, double le, uint64_t cum) {
  fprintf(f, "%s_bucket{%s%sle=\"", e->name, e->labels, *e->labels ? "," : "");
  put_double(f, le);
  fprintf(f, "\"} %llu\n", (unsigned long long)cum);
}

static void put_histogram(FILE *f, const metric_t *e) {
  const parley_histogram_t *h = &e->hist;
  const char *open = *e->labels ? "{" : "", *close = *e->labels ? "}" : "";
  uint64_t cum = 0;
  for (size_t i = 0; i < h->n; i++) {
    cum += h->buckets[i];
    put_bucket(f, e, h->bounds[i], cum);
  }
  put_bucket(f, e, INFINITY, h->count);
  fprintf(f, "%s_sum%s%s%s ", e->name, open, e->labels, close);
  put_double(f, h->sum);
  fprintf(f, "\n%s_count%s%s%s %llu\n", e->name, open, e->labels, close,
          (unsigned long long)h->count);
}

static void put_sample(FILE *f, const metric_t *e) {
  if (e->kind == KIND_HISTOGRAM) {
    put_histogram(f, e);
    return;
  }
  fprintf(f, "%s%s%s%s ", e->name, *e->labels ? "{" : "", e->labels, *e->labels ? "}" : "");
  if (e->kind == KIND_GAUGE)
    put_double(f, e->gauge);
  else
    fprintf(f, "%llu", (unsigned long long)e->count);
  fputc('\n', f);
}

char *parley_metrics_text(const parley_metrics_t *m) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f)
    return NULL;
  const char *last = "";
  for (const metric_t *e = m->head; e; e = e->next) {
    if (strcmp(e->name, last) != 0)
      put_family(f, m, e);
    last = e->name;
    put_sample(f, e);
  }
  fclose(f);
  return buf;
}

static void json_put(json_t *o, const metric_t *e, const char *suffix, json_t *v) {
  char *key = parley_asprintf("%s%s%s%s%s", e->name, suffix, *e->labels ? "{" : "", e->labels,
                              *e->labels ? "}" : "");
  if (key)
    json_object_set_new(o, key, v);
  else
    json_decref(v);
  free(key);
}

json_t *parley_metrics_json(const parley_metrics_t *m) {
  json_t *o = json_object();
  for (const metric_t *e = m->head; o && e; e = e->next) {
    if (e->kind == KIND_HISTOGRAM) {
      json_put(o, e, "_count", json_integer((json_int_t)e->hist.count));
      json_put(o, e, "_sum", json_real(e->hist.sum));
    } else {
      json_put(o, e, "", e->kind == KIND_GAUGE ? json_real(e->gauge)
                                               : json_integer((json_int_t)e->count));
    }
  }
  return o;
}
