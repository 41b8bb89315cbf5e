/* parley core — counters, gauges and histograms, exposed as Prometheus text
 * on /metrics and in the status document. Entries are found by name and
 * label set once and then updated through a stable pointer. Internal. */
#ifndef PARLEY_CORE_METRICS_H
#define PARLEY_CORE_METRICS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct parley_metrics parley_metrics_t;
typedef struct parley_histogram parley_histogram_t;

parley_metrics_t *parley_metrics_new(void);
void parley_metrics_free(parley_metrics_t *m);

/* The counter (or gauge) `name` with `labels` (Prometheus label text such as
 * instance="tw1", or NULL), created at 0 on first use. The pointer stays
 * valid until parley_metrics_free; NULL only when out of memory. */
uint64_t *parley_metrics_counter(parley_metrics_t *m, const char *name, const char *labels);
double *parley_metrics_gauge(parley_metrics_t *m, const char *name, const char *labels);
/* Convenience: add n to a counter. */
void parley_metrics_add(parley_metrics_t *m, const char *name, const char *labels, uint64_t n);

/* The histogram `name` with `labels`, created empty on first use with the
 * n upper bounds (ascending, finite; copied; +Inf is implicit). Later calls
 * for the same name and labels return the same histogram and ignore bounds.
 * Stable pointer as above; NULL when out of memory or bounds are not
 * ascending. Exposed as name_bucket{...,le="b"} (cumulative), name_sum and
 * name_count. */
parley_histogram_t *parley_metrics_histogram(parley_metrics_t *m, const char *name,
                                             const char *labels, const double *bounds,
                                             size_t n);
/* Count one observation v (NaN is ignored). NULL h is a no-op. */
void parley_histogram_observe(parley_histogram_t *h, double v);
uint64_t parley_histogram_count(const parley_histogram_t *h);
double parley_histogram_sum(const parley_histogram_t *h);

/* The # HELP text of `name` (copied; replaces an earlier one). The core's
 * own metrics have theirs built in; others without one get a generic text,
 * so every family has HELP and TYPE lines. PARLEY_ENOMEM or 0. */
int parley_metrics_help(parley_metrics_t *m, const char *name, const char *help);

/* Label text name="value" into buf with the value escaped as the text
 * format wants (\\, \" and \n). Returns the length, or PARLEY_ENOBUFS. */
int parley_metrics_label(char *buf, size_t buflen, const char *name, const char *value);

/* Prometheus text exposition format (version 0.0.4); caller frees. */
char *parley_metrics_text(const parley_metrics_t *m);
/* {"name{labels}": value, ...}; a histogram gives name_count{labels} and
 * name_sum{labels}. Caller decrefs. */
json_t *parley_metrics_json(const parley_metrics_t *m);

#endif
