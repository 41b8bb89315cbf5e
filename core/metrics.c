/* parley core — counters and gauges. A flat list: a few hundred entries at
 * most, looked up once per (name, labels) by their owners, who keep the
 * returned pointer for the hot path. */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef struct metric {
  char *name;
  char *labels;
  int is_gauge;
  uint64_t count;
  double gauge;
  struct metric *next;
} metric_t;

struct parley_metrics {
  metric_t *head, *tail;
};

parley_metrics_t *parley_metrics_new(void) { return calloc(1, sizeof(parley_metrics_t)); }

void parley_metrics_free(parley_metrics_t *m) {
  if (!m)
    return;
  for (metric_t *e = m->head, *next; e; e = next) {
    next = e->next;
    free(e->name);
    free(e->labels);
    free(e);
  }
  free(m);
}

static metric_t *find(parley_metrics_t *m, const char *name, const char *labels, int gauge) {
  labels = labels ? labels : "";
  for (metric_t *e = m->head; e; e = e->next)
    if (e->is_gauge == gauge && strcmp(e->name, name) == 0 && strcmp(e->labels, labels) == 0)
      return e;
  metric_t *e = calloc(1, sizeof *e);
  if (!e || !(e->name = parley_strdup(name)) || !(e->labels = parley_strdup(labels))) {
    if (e)
      free(e->name);
    free(e);
    return NULL;
  }
  e->is_gauge = gauge;
  /* Keep entries of one name together so the text format groups them. */
  metric_t *after = NULL;
  for (metric_t *x = m->head; x; x = x->next)
    if (strcmp(x->name, name) == 0)
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
  return e;
}

uint64_t *parley_metrics_counter(parley_metrics_t *m, const char *name, const char *labels) {
  metric_t *e = find(m, name, labels, 0);
  return e ? &e->count : NULL;
}

double *parley_metrics_gauge(parley_metrics_t *m, const char *name, const char *labels) {
  metric_t *e = find(m, name, labels, 1);
  return e ? &e->gauge : NULL;
}

void parley_metrics_add(parley_metrics_t *m, const char *name, const char *labels,
                        uint64_t n) {
  uint64_t *c = parley_metrics_counter(m, name, labels);
  if (c)
    *c += n;
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
      fprintf(f, "# TYPE %s %s\n", e->name, e->is_gauge ? "gauge" : "counter");
    last = e->name;
    fprintf(f, "%s%s%s%s ", e->name, *e->labels ? "{" : "", e->labels, *e->labels ? "}" : "");
    if (e->is_gauge)
      fprintf(f, "%.17g\n", e->gauge);
    else
      fprintf(f, "%llu\n", (unsigned long long)e->count);
  }
  fclose(f);
  return buf;
}

json_t *parley_metrics_json(const parley_metrics_t *m) {
  json_t *o = json_object();
  for (const metric_t *e = m->head; o && e; e = e->next) {
    char *key = parley_asprintf("%s%s%s%s", e->name, *e->labels ? "{" : "", e->labels,
                                *e->labels ? "}" : "");
    if (key)
      json_object_set_new(o, key, e->is_gauge ? json_real(e->gauge)
                                              : json_integer((json_int_t)e->count));
    free(key);
  }
  return o;
}
