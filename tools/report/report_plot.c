/* parley-report — the charts, drawn by gnuplot (report.h).
 *
 * Why gnuplot: a mature plotting program in Debian (gnuplot-nox, no X11),
 * driven by a script, that writes both PNG (pngcairo) and SVG (svg) from
 * one plot; the report stays a small C program without a plotting library
 * of its own. The data and the script go to a temporary directory, one
 * gnuplot process draws every chart (posix_spawn, with a timeout: a
 * runaway plot cannot hang the report), then the SVG files are read back
 * and the directory removed. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

extern char **environ;

#define DAY_MS 86400000LL
#define SVG_TERM "set terminal svg size 960,380 dynamic enhanced font 'sans,12' background '#ffffff'\n"
#define PNG_TERM "set terminal pngcairo size 960,380 enhanced font 'sans,10' background '#ffffff'\n"

const char *parley_report_color(const char *platform, size_t index) {
  static const struct { const char *name, *color; } known[] = {
      {"twitter", "#1d9bf0"}, {"facebook", "#3b4fa8"}, {"instagram", "#d62976"},
      {"linkedin", "#0e8a7e"}, {"tiktok", "#f0a202"},
  };
  static const char *const others[] = {"#7f7f7f", "#8c564b", "#9467bd", "#bcbd22", "#17becf"};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (!strcmp(known[i].name, platform)) return known[i].color;
  return others[index % (sizeof others / sizeof others[0])];
}

const char *parley_report_duration(double s, char *buf, size_t len) {
  if (isnan(s)) snprintf(buf, len, "–");
  else if (s < 90) snprintf(buf, len, "%.0fs", s);
  else if (s < 90 * 60) snprintf(buf, len, "%.0fm", s / 60);
  else if (s < 36 * 3600) snprintf(buf, len, "%.1fh", s / 3600);
  else snprintf(buf, len, "%.1fd", s / 86400);
  return buf;
}

/* ---- the working directory ---- */

typedef struct plot_dir {
  char path[4096];
  FILE *script;
  const parley_report_opts_t *o;
} plot_dir_t;

static int file_in(const plot_dir_t *w, const char *name, char *out, size_t len) {
  return snprintf(out, len, "%s/%s", w->path, name) >= (int)len ? PARLEY_ENOBUFS : 0;
}

/* A gnuplot single-quoted string: no escapes but '' for a quote. */
static void put_quoted(FILE *f, const char *s) {
  fputc('\'', f);
  for (; *s; s++) {
    if (*s == '\'') fputc('\'', f);
    fputc(*s, f);
  }
  fputc('\'', f);
}

static FILE *data_file(const plot_dir_t *w, const char *name) {
  char path[4200];
  if (file_in(w, name, path, sizeof path)) return NULL;
  return fopen(path, "w");
}

/* Each chart: its plot written to SVG (in the working directory) and to
 * PNG (in the report directory). body is the set/plot commands. */
static void chart_begin(plot_dir_t *w, const char *name) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s.svg", w->path, name);
  fputs("reset\n" SVG_TERM "set output ", w->script);
  put_quoted(w->script, path);
  fputc('\n', w->script);
}

static void chart_end(plot_dir_t *w, const char *name) {
  char png[4200];
  snprintf(png, sizeof png, "%s/%s.png", w->o->out, name);
  fputs(PNG_TERM "set output ", w->script);
  put_quoted(w->script, png);
  fputs("\nreplot\nunset output\n", w->script);
}

/* ---- common style ---- */

static void style(FILE *s) {
  fputs("set border 3 lc rgb '#555555'\nset xtics nomirror\nset ytics nomirror\n"
        "set grid ytics lc rgb '#e3e3e3' lw 1 dt 1\nset key outside top center horizontal "
        "samplen 1.5 spacing 1.1 font ',11'\nset tics textcolor rgb '#333333'\n"
        "set yrange [0:*]\n", s);
}

/* A chart without data: the axes and a note (gnuplot refuses a plot
 * whose every point is undefined). */
static void empty_plot(FILE *s, const char *note) {
  fprintf(s, "set label 99 '%s' at graph 0.5, graph 0.5 center tc rgb '#59636e'\n"
             "unset key\nplot [0:1] [0:1] 2 notitle\n", note);
}

/* ---- demand: stacked bars per platform ---- */

static void stacked_plot(FILE *s, const parley_report_data_t *d, const char *file) {
  if (d->nplat == 0) {
    empty_plot(s, "no customer messages in this period");
    return;
  }
  fputs("set style data histograms\nset style histogram rowstacked\n"
        "set style fill solid 0.9 border rgb '#ffffff'\nset boxwidth 0.8 relative\n"
        "set ylabel 'customer messages'\nplot ", s);
  for (size_t p = 0; p < d->nplat; p++) {
    fprintf(s, "%s", p ? ", '' " : "");
    if (!p) put_quoted(s, file);
    fprintf(s, " using %zu%s title '%s' lc rgb '%s'", p + 2, p ? "" : ":xtic(1)", d->plat[p],
            parley_report_color(d->plat[p], p));
  }
  fputc('\n', s);
}

static int demand_hour(plot_dir_t *w, const parley_report_data_t *d) {
  char path[4200];
  FILE *f = data_file(w, "demand-hour.dat");
  if (!f) return PARLEY_EIO;
  for (int h = 0; h < 24; h++) {
    fprintf(f, "%d", h);
    for (size_t p = 0; p < d->nplat; p++) fprintf(f, " %lld", (long long)d->by_hour[h][p]);
    fputc('\n', f);
  }
  if (fclose(f)) return PARLEY_EIO;
  file_in(w, "demand-hour.dat", path, sizeof path);
  chart_begin(w, "demand-hour");
  style(w->script);
  fputs("set xlabel 'hour of day (UTC)'\n", w->script);
  stacked_plot(w->script, d, path);
  chart_end(w, "demand-hour");
  return 0;
}

static int demand_day(plot_dir_t *w, const parley_report_data_t *d) {
  char path[4200], label[32];
  FILE *f = data_file(w, "demand-day.dat");
  if (!f) return PARLEY_EIO;
  for (size_t i = 0; i < d->ndays; i++) {
    time_t t = (time_t)((d->day0_ms + (int64_t)i * DAY_MS) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(label, sizeof label, "%a %d %b", &tm);
    /* label every day up to two weeks, then every seventh */
    fprintf(f, "\"%s\"", d->ndays <= 14 || i % 7 == 0 ? label : "");
    for (size_t p = 0; p < d->nplat; p++) fprintf(f, " %lld", (long long)d->by_day[i][p]);
    fputc('\n', f);
  }
  if (fclose(f)) return PARLEY_EIO;
  file_in(w, "demand-day.dat", path, sizeof path);
  chart_begin(w, "demand-day");
  style(w->script);
  fputs("set xlabel 'day (UTC)'\n", w->script);
  stacked_plot(w->script, d, path);
  chart_end(w, "demand-day");
  return 0;
}

/* ---- first response times: log-binned histogram and the cumulative
 * share, with the SLA line ---- */

static int frt_files(plot_dir_t *w, const parley_report_data_t *d, double lo, double hi) {
  const parley_report_series_t *v = &d->frt;
  FILE *h = data_file(w, "frt-hist.dat"), *c = data_file(w, "frt-cdf.dat");
  if (!h || !c) {
    if (h) fclose(h);
    if (c) fclose(c);
    return PARLEY_EIO;
  }
  int bins = 36;
  double step = (log10(hi) - log10(lo)) / bins;
  for (int b = 0; b < bins; b++) {
    double a = pow(10, log10(lo) + b * step), z = pow(10, log10(lo) + (b + 1) * step);
    size_t n = 0;
    for (size_t i = 0; i < v->n; i++) {
      double m = v->v[i] / 60;
      if (m < lo) m = lo; /* the first bin takes the fastest */
      if (m >= a && (m < z || (b == bins - 1 && m <= z))) n++;
    }
    fprintf(h, "%g %g %zu\n", a, z, n);
  }
  size_t every = v->n > 800 ? v->n / 800 : 1;
  for (size_t i = 0; i < v->n; i++)
    if (i % every == 0 || i + 1 == v->n)
      fprintf(c, "%g %g\n", v->v[i] / 60 < lo ? lo : v->v[i] / 60, (double)(i + 1) / (double)v->n);
  int bad = fclose(h) | fclose(c);
  return bad ? PARLEY_EIO : 0;
}

static void frt_tics(FILE *s, double lo, double hi) {
  static const struct { const char *label; double min; } t[] = {
      {"10s", 1.0 / 6}, {"1m", 1}, {"5m", 5}, {"15m", 15}, {"30m", 30}, {"1h", 60}, {"2h", 120},
      {"4h", 240}, {"8h", 480}, {"1d", 1440}, {"2d", 2880}, {"1w", 10080}, {"4w", 40320}};
  fputs("set xtics (", s);
  int first = 1;
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    if (t[i].min < lo || t[i].min > hi) continue;
    fprintf(s, "%s'%s' %g", first ? "" : ", ", t[i].label, t[i].min);
    first = 0;
  }
  fputs(")\n", s);
}

static int first_response(plot_dir_t *w, const parley_report_data_t *d) {
  char hist[4200], cdf[4200];
  const parley_report_series_t *v = &d->frt;
  double sla = (double)w->o->sla_ms / 60000.0;
  double lo = 0.25, hi = v->n ? v->v[v->n - 1] / 60 : 1440;
  if (hi < sla * 2) hi = sla * 2;
  if (hi < 60) hi = 60;
  int rc = frt_files(w, d, lo, hi);
  if (rc) return rc;
  file_in(w, "frt-hist.dat", hist, sizeof hist);
  file_in(w, "frt-cdf.dat", cdf, sizeof cdf);
  FILE *s = w->script;
  chart_begin(w, "first-response");
  style(s);
  if (v->n == 0) {
    empty_plot(s, "no answered conversation started in this period");
    chart_end(w, "first-response");
    return 0;
  }
  fprintf(s, "set logscale x\nset xrange [%g:%g]\n", lo, hi);
  frt_tics(s, lo, hi);
  fputs("set xlabel 'first response time (log scale)'\nset ylabel 'conversations'\n"
        "set y2range [0:1]\nset y2tics ('0%%' 0, '25%%' 0.25, '50%%' 0.5, '75%%' 0.75, '100%%' 1) "
        "nomirror textcolor rgb '#333333'\nset y2label 'answered within (cumulative)'\n"
        "set border 11 lc rgb '#555555'\n", s);
  char target[16];
  parley_report_duration((double)w->o->sla_ms / 1000.0, target, sizeof target);
  fprintf(s, "set arrow 1 from %g, graph 0 to %g, graph 1 nohead lw 2 lc rgb '#d62728' dt 2 front\n"
             "set label 1 'SLA %s' at %g, graph 0.96 offset 0.6,0 tc rgb '#d62728' front\n",
          sla, sla, target, sla);
  fputs("plot ", s);
  put_quoted(s, hist);
  fputs(" using (sqrt($1*$2)):($3/2):1:2:(0):3 with boxxyerror fs solid 0.75 noborder "
        "lc rgb '#4c78a8' title 'conversations', ", s);
  put_quoted(s, cdf);
  fputs(" using 1:2 axes x1y2 with lines lw 2.5 lc rgb '#f58518' title 'cumulative share'\n", s);
  chart_end(w, "first-response");
  return 0;
}

/* ---- the open backlog over time ---- */

static int backlog(plot_dir_t *w, const parley_report_data_t *d) {
  char path[4200];
  const parley_report_backlog_t *b = &d->backlog;
  FILE *f = data_file(w, "backlog.dat");
  if (!f) return PARLEY_EIO;
  for (size_t k = 0; k < b->n; k++) {
    fprintf(f, "%lld %lld", (long long)(b->at[k] / 1000), (long long)b->open[k][PARLEY_REPORT_MAX_PLATFORMS]);
    for (size_t p = 0; p < d->nplat; p++) fprintf(f, " %lld", (long long)b->open[k][p]);
    fputc('\n', f);
  }
  if (fclose(f)) return PARLEY_EIO;
  file_in(w, "backlog.dat", path, sizeof path);
  FILE *s = w->script;
  chart_begin(w, "backlog");
  style(s);
  int64_t span = d->until_ms - d->since_ms;
  fprintf(s, "set xdata time\nset timefmt '%%s'\nset format x '%s'\nset xrange ['%lld':'%lld']\n",
          span > 3 * DAY_MS ? "%a %d" : "%H:%M", (long long)(d->since_ms / 1000),
          (long long)(d->until_ms / 1000));
  fputs("set ylabel 'waiting for an answer'\nset xlabel 'time (UTC)'\nplot ", s);
  put_quoted(s, path);
  fputs(" using 1:2 with steps lw 2.5 lc rgb '#222222' title 'all platforms'", s);
  for (size_t p = 0; p < d->nplat; p++)
    fprintf(s, ", '' using 1:%zu with steps lw 1.5 lc rgb '%s' title '%s'", p + 3,
            parley_report_color(d->plat[p], p), d->plat[p]);
  fputc('\n', s);
  chart_end(w, "backlog");
  return 0;
}

/* ---- running gnuplot ---- */

/* The last lines of gnuplot's output, for an error message. */
static void log_tail(const plot_dir_t *w, char *out, size_t len) {
  char path[4200];
  out[0] = '\0';
  file_in(w, "gnuplot.log", path, sizeof path);
  FILE *f = fopen(path, "r");
  if (!f) return;
  char buf[8192];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) buf[--n] = '\0';
  const char *start = n > len - 1 ? buf + n - (len - 1) : buf;
  size_t k = strlen(start);
  memcpy(out, start, k < len ? k + 1 : len);
  out[len - 1] = '\0';
}

static int spawn_gnuplot(const plot_dir_t *w, const char *prog, pid_t *pid, parley_error_t *err) {
  char script[4200], log[4200];
  file_in(w, "charts.gp", script, sizeof script);
  file_in(w, "gnuplot.log", log, sizeof log);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  char *argv[] = {(char *)prog, script, NULL};
  int rc = posix_spawnp(pid, prog, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc == ENOENT || rc == EACCES)
    return parley_error_set(err, PARLEY_ENOENT,
                            "gnuplot: '%s' %s: parley-report draws its charts with gnuplot; install "
                            "the Debian package gnuplot-nox (apt-get install gnuplot-nox) or name "
                            "the program with --gnuplot PATH", prog,
                            rc == ENOENT ? "was not found" : "cannot be run");
  if (rc) return parley_error_set(err, PARLEY_EIO, "gnuplot: cannot start '%s': %s", prog, strerror(rc));
  return 0;
}

static int run_gnuplot(const plot_dir_t *w, parley_error_t *err) {
  const char *prog = w->o->gnuplot ? w->o->gnuplot : "gnuplot";
  pid_t pid;
  int rc = spawn_gnuplot(w, prog, &pid, err), status = 0;
  if (rc) return rc;
  struct timespec nap = {0, 10 * 1000 * 1000};
  for (int64_t waited = 0;; waited += 10) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return parley_error_set(err, PARLEY_EIO, "gnuplot: %s", strerror(errno));
    if (waited >= w->o->timeout_ms) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return parley_error_set(err, PARLEY_ETIMEDOUT, "gnuplot: no result after %lld ms, stopped "
                              "(raise --gnuplot-timeout)", (long long)w->o->timeout_ms);
    }
    nanosleep(&nap, NULL);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  char tail[400];
  log_tail(w, tail, sizeof tail);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return parley_error_set(err, PARLEY_ENOENT, "gnuplot: '%s' could not be run (exit 127): install "
                            "the Debian package gnuplot-nox", prog);
  return parley_error_set(err, PARLEY_EIO, "gnuplot failed (%s %d): %s",
                          WIFEXITED(status) ? "exit status" : "signal",
                          WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                          tail[0] ? tail : "(no output)");
}

static char *read_all(const char *path, size_t max) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap + 1);
  while (buf) {
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (n < cap || cap >= max) break;
    char *b = realloc(buf, cap * 2 + 1);
    if (!b) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = b;
    cap *= 2;
  }
  fclose(f);
  if (buf) buf[n] = '\0';
  return buf;
}

/* ---- the run ---- */

static const char *const chart_names[PARLEY_CHART_COUNT] = {"demand-hour", "demand-day",
                                                            "first-response", "backlog"};
static const char *const chart_titles[PARLEY_CHART_COUNT] = {
    "Demand by hour of day", "Demand per day", "First response time", "Open backlog"};
static const char *const data_files[] = {"demand-hour.dat", "demand-day.dat", "frt-hist.dat",
                                         "frt-cdf.dat", "backlog.dat", "charts.gp", "gnuplot.log",
                                         "demand-hour.svg", "demand-day.svg",
                                         "first-response.svg", "backlog.svg"};

static void cleanup(plot_dir_t *w) {
  char path[4200];
  if (w->o->keep_temp) {
    fprintf(stderr, "parley-report: gnuplot files kept in %s\n", w->path);
    return;
  }
  for (size_t i = 0; i < sizeof data_files / sizeof data_files[0]; i++)
    if (file_in(w, data_files[i], path, sizeof path) == 0) unlink(path);
  rmdir(w->path);
}

static int write_script(plot_dir_t *w, const parley_report_data_t *d, parley_error_t *err) {
  char path[4200];
  file_in(w, "charts.gp", path, sizeof path);
  if (!(w->script = fopen(path, "w")))
    return parley_error_set(err, PARLEY_EIO, "%s: %s", path, strerror(errno));
  fputs("# parley-report: the charts (gnuplot 5)\nset encoding utf8\n", w->script);
  int rc = demand_hour(w, d);
  if (rc == 0) rc = demand_day(w, d);
  if (rc == 0) rc = first_response(w, d);
  if (rc == 0) rc = backlog(w, d);
  if (fclose(w->script) && rc == 0) rc = PARLEY_EIO;
  w->script = NULL;
  return rc ? parley_error_set(err, rc, "%s: cannot write the chart data: %s", w->path,
                               strerror(errno))
            : 0;
}

static int read_svgs(plot_dir_t *w, parley_report_chart_t charts[PARLEY_CHART_COUNT],
                     parley_error_t *err) {
  char path[4200];
  for (int i = 0; i < PARLEY_CHART_COUNT; i++) {
    snprintf(path, sizeof path, "%s/%s.svg", w->path, charts[i].name);
    if (!(charts[i].svg = read_all(path, 64u << 20)))
      return parley_error_set(err, PARLEY_EIO, "gnuplot wrote no %s.svg", charts[i].name);
  }
  return 0;
}

int parley_report_plot(const parley_report_opts_t *o, const parley_report_data_t *d,
                       parley_report_chart_t charts[PARLEY_CHART_COUNT], parley_error_t *err) {
  plot_dir_t w = {.o = o};
  const char *tmp = getenv("TMPDIR");
  for (int i = 0; i < PARLEY_CHART_COUNT; i++) {
    charts[i].name = chart_names[i];
    charts[i].title = chart_titles[i];
    charts[i].svg = NULL;
  }
  snprintf(w.path, sizeof w.path, "%s/parley-report-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(w.path))
    return parley_error_set(err, PARLEY_EIO, "cannot make a temporary directory %s: %s", w.path,
                            strerror(errno));
  int rc = write_script(&w, d, err);
  if (rc == 0) rc = run_gnuplot(&w, err);
  if (rc == 0) rc = read_svgs(&w, charts, err);
  cleanup(&w);
  return rc;
}
