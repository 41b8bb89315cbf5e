/* parley core — counters and gauges, exposed as Prometheus text on
 * /metrics and in the status document. Entries are found by name and label
 * set once and then updated through a stable pointer. Internal. */
#ifndef PARLEY_CORE_METRICS_H
#define PARLEY_CORE_METRICS_H

#include <jansson.h>
#include <stdint.h>

typedef struct parley_metrics parley_metrics_t;

parley_metrics_t *parley_metrics_new(void);
void parley_metrics_free(parley_metrics_t *m);

/* The counter (or gauge) `name` with `labels` (Prometheus label text such as
 * instance="tw1", or NULL), created at 0 on first use. The pointer stays
 * valid until parley_metrics_free; NULL only when out of memory. */
uint64_t *parley_metrics_counter(parley_metrics_t *m, const char *name, const char *labels);
double *parley_metrics_gauge(parley_metrics_t *m, const char *name, const char *labels);
/* Convenience: add n to a counter. */
void parley_metrics_add(parley_metrics_t *m, const char *name, const char *labels, uint64_t n);

/* Prometheus text exposition format; caller frees. */
char *parley_metrics_text(const parley_metrics_t *m);
/* {"name{labels}": value, ...}; caller decrefs. */
json_t *parley_metrics_json(const parley_metrics_t *m);

#endif
