/* parley-report — a care report of one period from a conversation store:
 * DIR/index.html (self-contained: inline CSS, the charts as inline SVG)
 * and the DIR/NAME.png charts. docs/report.md is the user's documentation.
 *
 * report_main.c   command line, the run
 * report_data.c   the store, read-only: parley_care_compute (core/care.h)
 *                 for the figures and tables, plus the series behind the
 *                 charts (first response times, the open backlog)
 * report_plot.c   the charts, drawn by gnuplot (a child process with a
 *                 timeout; data and script files in a temporary directory)
 * report_html.c   the page
 * Internal to the program: nothing here is a library interface. */
#ifndef PARLEY_REPORT_H
#define PARLEY_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "parley/error.h"

#define PARLEY_REPORT_MAX_PLATFORMS 16

typedef struct parley_report_opts {
  const char *store, *since, *until, *out, *title, *gnuplot;
  int64_t sla_ms;     /* first-response target (default 30 min) */
  int64_t timeout_ms; /* per gnuplot run (default 60 s) */
  int keep_temp;      /* keep the gnuplot working directory */
} parley_report_opts_t;

typedef struct parley_report_series {
  double *v;
  size_t n, cap;
} parley_report_series_t;

/* One backlog sample: conversations waiting for an answer at `at`. */
typedef struct parley_report_backlog {
  int64_t *at;
  int64_t (*open)[PARLEY_REPORT_MAX_PLATFORMS + 1]; /* per platform, then the total */
  size_t n;
} parley_report_backlog_t;

typedef struct parley_report_data {
  char since[32], until[32]; /* normalised, as the store writes times */
  int64_t since_ms, until_ms;
  json_t *care;              /* parley.care.v1 (owned) */
  size_t nplat;
  char *plat[PARLEY_REPORT_MAX_PLATFORMS];
  /* demand per day (UTC): day i starts at day0_ms + i * 86400000 */
  int64_t day0_ms;
  size_t ndays;
  int64_t (*by_day)[PARLEY_REPORT_MAX_PLATFORMS]; /* [ndays][nplat] */
  int64_t by_hour[24][PARLEY_REPORT_MAX_PLATFORMS];
  /* first response times (seconds), overall and per platform */
  parley_report_series_t frt, frt_plat[PARLEY_REPORT_MAX_PLATFORMS];
  parley_report_backlog_t backlog;
  const char *backlog_source; /* what the backlog was replayed from */
} parley_report_data_t;

/* report_data.c: everything the page shows, from the store opened
 * read-only. Errors: PARLEY_EINVAL (dates, "since: ..."/"until: ..."),
 * PARLEY_ENOENT (no store file), PARLEY_EIO (not a readable store),
 * PARLEY_ENOMEM. */
int parley_report_load(const parley_report_opts_t *o, parley_report_data_t *d,
                       parley_error_t *err);
void parley_report_data_free(parley_report_data_t *d);
/* Index of a platform name in d->plat, or -1. */
int parley_report_platform(const parley_report_data_t *d, const char *name);
/* Share of v at or below limit (v sorted ascending); NAN when empty. */
double parley_report_share_within(const parley_report_series_t *v, double limit);

/* report_plot.c: one chart as PNG (DIR/<name>.png) and SVG text. */
typedef enum {
  PARLEY_CHART_DEMAND_HOUR,
  PARLEY_CHART_DEMAND_DAY,
  PARLEY_CHART_FIRST_RESPONSE,
  PARLEY_CHART_BACKLOG,
  PARLEY_CHART_COUNT
} parley_chart_t;

typedef struct parley_report_chart {
  const char *name;  /* file stem: "demand-hour" */
  const char *title;
  char *svg;         /* the SVG document (owned), NULL until drawn */
} parley_report_chart_t;

/* Draw every chart into charts[] (svg filled) and DIR/<name>.png.
 * Errors: PARLEY_ENOENT (gnuplot not found; the message names the Debian
 * package), PARLEY_ETIMEDOUT, PARLEY_EIO (gnuplot failed: its message). */
int parley_report_plot(const parley_report_opts_t *o, const parley_report_data_t *d,
                       parley_report_chart_t charts[PARLEY_CHART_COUNT], parley_error_t *err);
/* A platform's chart colour ("#1d9bf0"); stable for known platforms. */
const char *parley_report_color(const char *platform, size_t index);
/* "45s", "12m", "3.5h", "2.1d"; "–" for NAN. buf >= 16 bytes. */
const char *parley_report_duration(double seconds, char *buf, size_t len);

/* report_html.c: write DIR/index.html. */
int parley_report_html(const parley_report_opts_t *o, const parley_report_data_t *d,
                       parley_report_chart_t charts[PARLEY_CHART_COUNT], parley_error_t *err);

#endif
