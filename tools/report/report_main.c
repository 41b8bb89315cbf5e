/* parley-report — command line (report.h; docs/report.md). Exit status:
 * 0 written, 1 the report could not be made (store, gnuplot, output
 * directory), 2 a usage error (options, dates). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "options.h"
#include "parley/version.h"
#include "report.h"

static void usage(FILE *f) {
  fputs(
      "NAME\n"
      "    parley-report - a customer-care report of one period from parley's conversation store\n"
      "\n"
      "SYNOPSIS\n"
      "    parley-report --store FILE --out DIR [--since TIME] [--until TIME]\n"
      "                  [--title TEXT] [--sla DURATION] [--gnuplot PROGRAM]\n"
      "                  [--gnuplot-timeout DURATION] [--keep-temp]\n"
      "\n"
      "DESCRIPTION\n"
      "    Reads the SQLite store that a parleyd output of type sqlite writes (read-only,\n"
      "    also while parleyd writes it) and writes DIR/index.html, a self-contained page\n"
      "    (style inline, charts as inline SVG), and the charts as DIR/*.png:\n"
      "      demand-hour.png     customer messages by hour of day, stacked by platform\n"
      "      demand-day.png      customer messages per day, stacked by platform\n"
      "      first-response.png  first response times (histogram, cumulative share, SLA line)\n"
      "      backlog.png         conversations waiting for an answer over time\n"
      "    plus a table per platform and per agent. The figures are those of GET /v1/care\n"
      "    for the same period (docs/care-metrics.md). The charts are drawn by gnuplot.\n"
      "\n"
      "OPTIONS\n"
      "    --store FILE         the conversation store (outputs[].options.path of a sqlite output)\n"
      "    --out DIR            where to write index.html and the PNG files (created if missing)\n"
      "    --since TIME         start of the period, inclusive: 2026-11-23 (midnight UTC) or\n"
      "                         ISO-8601 such as 2026-11-23T09:00:00Z (default: --until minus 7 days)\n"
      "    --until TIME         end of the period, exclusive (default: now)\n"
      "    --title TEXT         the page's title (default: \"Customer care report\")\n"
      "    --sla DURATION       first-response target for the SLA line and share: 30m, 1h, 90s\n"
      "                         (default 30m)\n"
      "    --gnuplot PROGRAM    the gnuplot to run (default: gnuplot from PATH)\n"
      "    --gnuplot-timeout D  stop gnuplot after this long (default 60s)\n"
      "    --keep-temp          keep gnuplot's data and script files (the path is printed)\n"
      "    --help, --version\n"
      "\n"
      "EXIT STATUS\n"
      "    0 written; 1 the store, gnuplot or DIR failed; 2 bad options or dates.\n"
      "\n"
      "EXAMPLE\n"
      "    parley-report --store /var/lib/parley/conversations.db --since 2026-11-16 \\\n"
      "                  --until 2026-11-23 --out /srv/reports/week-47 --sla 1h\n"
      "\n"
      "REQUIRES\n"
      "    gnuplot with the pngcairo and svg terminals (Debian: gnuplot-nox).\n",
      f);
}

static int need(const char *opt, const char *val) {
  if (val) return 0;
  fprintf(stderr, "parley-report: %s needs a value (see --help)\n", opt);
  return -1;
}

static int duration_opt(const char *opt, const char *val, int64_t *out) {
  if (parley_duration_parse(val, out) != 0 || *out <= 0) {
    fprintf(stderr, "parley-report: %s: '%s' is not a duration such as 30m, 1h or 90s\n", opt, val);
    return -1;
  }
  return 0;
}

/* 0 to run, 1 done (--help/--version), -1 usage error (printed). */
static int parse(int argc, char **argv, parley_report_opts_t *o) {
  o->title = "Customer care report";
  o->sla_ms = 30 * 60000;
  o->timeout_ms = 60000;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    const char **slot = !strcmp(a, "--store") ? &o->store : !strcmp(a, "--out") ? &o->out
                        : !strcmp(a, "--since") ? &o->since : !strcmp(a, "--until") ? &o->until
                        : !strcmp(a, "--title") ? &o->title : !strcmp(a, "--gnuplot") ? &o->gnuplot
                                                                                   : NULL;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return 1;
    }
    if (!strcmp(a, "--version")) {
      puts("parley-report " PARLEY_VERSION_STRING);
      return 1;
    }
    if (!strcmp(a, "--keep-temp")) {
      o->keep_temp = 1;
      continue;
    }
    if (slot || !strcmp(a, "--sla") || !strcmp(a, "--gnuplot-timeout")) {
      if (need(a, v)) return -1;
      i++;
      if (slot) *slot = v;
      else if (duration_opt(a, v, !strcmp(a, "--sla") ? &o->sla_ms : &o->timeout_ms)) return -1;
      continue;
    }
    fprintf(stderr, "parley-report: unknown option '%s' (see --help)\n", a);
    return -1;
  }
  if (!o->store || !o->out) {
    fprintf(stderr, "parley-report: --store FILE and --out DIR are required (see --help)\n");
    return -1;
  }
  return 0;
}

static int make_out(const char *dir, parley_error_t *err) {
  struct stat st;
  if (mkdir(dir, 0755) != 0 && errno != EEXIST)
    return parley_error_set(err, PARLEY_EIO, "--out %s: %s", dir, strerror(errno));
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return parley_error_set(err, PARLEY_EIO, "--out %s: not a directory", dir);
  return 0;
}

int main(int argc, char **argv) {
  parley_report_opts_t o = {0};
  int rc = parse(argc, argv, &o);
  if (rc) return rc > 0 ? 0 : 2;
  parley_error_t err = {0};
  parley_report_data_t d;
  parley_report_chart_t charts[PARLEY_CHART_COUNT] = {{0}};
  rc = parley_report_load(&o, &d, &err);
  if (rc == 0) rc = make_out(o.out, &err);
  if (rc == 0) rc = parley_report_plot(&o, &d, charts, &err);
  if (rc == 0) rc = parley_report_html(&o, &d, charts, &err);
  for (int i = 0; i < PARLEY_CHART_COUNT; i++) free(charts[i].svg);
  parley_report_data_free(&d);
  if (rc) {
    fprintf(stderr, "parley-report: %s\n", err.message);
    return rc == PARLEY_EINVAL ? 2 : 1;
  }
  printf("parley-report: wrote %s/index.html\n", o.out);
  return 0;
}
