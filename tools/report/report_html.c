/* parley-report — the page (report.h): DIR/index.html, self-contained
 * (the style inline, every chart as inline SVG; the PNG files next to it
 * are linked for slides and mail). Tables come from the care JSON
 * (parley_care_compute), the same figures as GET /v1/care. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parley/time.h"
#include "parley/version.h"
#include "report.h"

static const char css[] =
    "*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',"
    "Roboto,Helvetica,Arial,sans-serif;color:#1f2328;background:#f4f5f7}"
    "header{background:#1f2a44;color:#fff;padding:22px 32px}header h1{margin:0;font-size:24px;"
    "font-weight:600}header p{margin:4px 0 0;color:#c9d1e3}main{max-width:1040px;margin:0 auto;"
    "padding:20px 24px 40px}.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,"
    "1fr));gap:12px;margin-bottom:18px}.kpi{background:#fff;border-radius:8px;padding:12px 14px;"
    "box-shadow:0 1px 2px rgba(0,0,0,.08)}.kpi b{display:block;font-size:22px;font-weight:600}"
    ".kpi span{color:#59636e;font-size:12px;text-transform:uppercase;letter-spacing:.04em}"
    "section{background:#fff;border-radius:8px;padding:16px 18px;margin-bottom:18px;"
    "box-shadow:0 1px 2px rgba(0,0,0,.08)}section h2{margin:0 0 2px;font-size:17px}"
    "section p.note{margin:0 0 8px;color:#59636e;font-size:13px}.chart svg{width:100%;height:auto;"
    "display:block}a{color:#0b5cad}table{border-collapse:collapse;width:100%;font-size:13px}"
    "th,td{padding:6px 7px;text-align:right;border-bottom:1px solid #e6e8eb;white-space:nowrap}"
    "th{white-space:normal;vertical-align:bottom}.scroll{overflow-x:auto}"
    "th:first-child,td:first-child{text-align:left}th{color:#59636e;font-weight:600;"
    "background:#fafbfc}tbody tr:hover{background:#f6f8fa}.swatch{display:inline-block;"
    "width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:baseline}"
    "footer{color:#59636e;font-size:12px;text-align:center;padding:0 24px 24px}";

/* ---- writing ---- */

static void esc(FILE *f, const char *s) {
  for (; s && *s; s++) {
    switch (*s) {
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '&': fputs("&amp;", f); break;
    case '"': fputs("&quot;", f); break;
    case '\'': fputs("&#39;", f); break;
    default: fputc(*s, f);
    }
  }
}

/* The SVG document without its XML prolog, every id (and reference to
 * one) prefixed, so that several gnuplot charts can live in one page. */
static void inline_svg(FILE *f, const char *svg, const char *prefix) {
  const char *p = strstr(svg, "<svg");
  static const char *const keys[] = {"id='", "id=\"", "href='#", "href=\"#", "url(#"};
  if (!p) return;
  while (*p) {
    size_t best = (size_t)-1, k = 0;
    const char *hit = NULL;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
      const char *h = strstr(p, keys[i]);
      if (h && (size_t)(h - p) < best) {
        best = (size_t)(h - p);
        hit = h;
        k = i;
      }
    }
    if (!hit) {
      fputs(p, f);
      break;
    }
    size_t kl = strlen(keys[k]);
    fwrite(p, 1, (size_t)(hit - p) + kl, f);
    fprintf(f, "%s-", prefix);
    p = hit + kl;
  }
}

static const char *num(json_t *v, char *buf, size_t len) {
  if (json_is_integer(v)) snprintf(buf, len, "%lld", (long long)json_integer_value(v));
  else if (json_is_real(v)) snprintf(buf, len, "%.1f", json_real_value(v));
  else snprintf(buf, len, "–");
  return buf;
}

static const char *dur(json_t *v, char *buf, size_t len) {
  return parley_report_duration(json_is_number(v) ? json_number_value(v) : NAN, buf, len);
}

static const char *pct(double x, char *buf, size_t len) {
  if (isnan(x)) snprintf(buf, len, "–");
  else snprintf(buf, len, "%.0f%%", x * 100);
  return buf;
}

static json_t *path(json_t *o, const char *a, const char *b) {
  return json_object_get(json_object_get(o, a), b);
}

/* ---- parts ---- */

static void head(FILE *f, const parley_report_opts_t *o, const parley_report_data_t *d) {
  char now[32];
  parley_time_format(parley_time_now(), now, sizeof now);
  fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        "<meta name=\"generator\" content=\"parley-report " PARLEY_VERSION_STRING "\"><title>", f);
  esc(f, o->title);
  fprintf(f, "</title><style>%s</style></head>\n<body>\n<header><h1>", css);
  esc(f, o->title);
  fprintf(f, "</h1><p>%.16s – %.16s UTC · generated %.16s UTC</p></header>\n<main>\n", d->since,
          d->until, now);
}

static void kpi(FILE *f, const char *value, const char *label) {
  fprintf(f, "<div class=\"kpi\"><b>%s</b><span>", value);
  esc(f, label);
  fputs("</span></div>", f);
}

static void kpis(FILE *f, const parley_report_opts_t *o, const parley_report_data_t *d) {
  json_t *all = json_object_get(d->care, "overall");
  char a[32], b[32], label[64], sla[16];
  fputs("<div class=\"kpis\">", f);
  kpi(f, num(path(all, "demand", "messages"), a, sizeof a), "customer messages");
  kpi(f, num(path(all, "first_response", "conversations"), a, sizeof a), "conversations");
  kpi(f, dur(path(all, "first_response", "median"), a, sizeof a), "median first response");
  kpi(f, dur(path(all, "first_response", "p90"), a, sizeof a), "p90 first response");
  parley_report_duration((double)o->sla_ms / 1000.0, sla, sizeof sla);
  snprintf(label, sizeof label, "answered within %s", sla);
  kpi(f, pct(parley_report_share_within(&d->frt, (double)o->sla_ms / 1000.0), b, sizeof b), label);
  kpi(f, num(path(all, "open", "count"), a, sizeof a), "waiting at the end");
  kpi(f, num(json_object_get(all, "resolved"), a, sizeof a), "resolved");
  fputs("</div>\n", f);
}

static const char *const chart_notes[PARLEY_CHART_COUNT] = {
    "Customer messages by hour of the day (UTC), over the whole period, stacked by platform.",
    "Customer messages per day (UTC), stacked by platform.",
    ("Time from a conversation's first customer message to the brand's first answer (conversations "
     "that started in the period), binned on a log scale; the line is the cumulative share, the "
     "dashed line the SLA target."),
    ("Conversations waiting for an answer (opened or reopened, not yet answered or resolved), "
     "overall and per platform.")};

static void chart(FILE *f, const parley_report_chart_t *c, int i) {
  char prefix[16];
  snprintf(prefix, sizeof prefix, "c%d", i + 1);
  fprintf(f, "<section class=\"chart\" id=\"%s\"><h2>", c->name);
  esc(f, c->title);
  fputs("</h2><p class=\"note\">", f);
  esc(f, chart_notes[i]);
  fprintf(f, " <a href=\"%s.png\">PNG</a></p>\n", c->name);
  inline_svg(f, c->svg, prefix);
  fputs("</section>\n", f);
}

static void platform_row(FILE *f, const parley_report_opts_t *o, const parley_report_data_t *d,
                         size_t p) {
  json_t *g = path(d->care, "per_platform", d->plat[p]);
  char v[12][32];
  fprintf(f, "<tr><td><span class=\"swatch\" style=\"background:%s\"></span>",
          parley_report_color(d->plat[p], p));
  esc(f, d->plat[p]);
  fprintf(f, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
             "<td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
          num(path(g, "demand", "messages"), v[0], 32), num(path(g, "demand", "per_hour"), v[1], 32),
          num(path(g, "first_response", "conversations"), v[2], 32),
          num(path(g, "first_response", "count"), v[3], 32),
          dur(path(g, "first_response", "median"), v[4], 32),
          dur(path(g, "first_response", "p90"), v[5], 32),
          pct(parley_report_share_within(&d->frt_plat[p], (double)o->sla_ms / 1000.0), v[6], 32),
          dur(path(g, "response", "median"), v[7], 32), num(path(g, "open", "count"), v[8], 32),
          dur(path(g, "open", "oldest_seconds"), v[9], 32), num(json_object_get(g, "resolved"), v[10], 32));
}

static void platform_table(FILE *f, const parley_report_opts_t *o, const parley_report_data_t *d) {
  char sla[16];
  parley_report_duration((double)o->sla_ms / 1000.0, sla, sizeof sla);
  fputs("<section id=\"platforms\"><h2>Per platform</h2><p class=\"note\">Messages are customer "
        "messages; first response over the conversations that started in the period; response "
        "time over every answer; open = waiting for an answer at the end of the period.</p>\n"
        "<div class=\"scroll\"><table id=\"platform-table\"><thead><tr><th>platform</th><th>messages</th><th>per hour</th>"
        "<th>conversations</th><th>answered</th><th>median first response</th><th>p90 first "
        "response</th>", f);
  fprintf(f, "<th>within %s</th><th>median response</th><th>open</th><th>oldest open</th>"
             "<th>resolved</th></tr></thead><tbody>\n", sla);
  for (size_t p = 0; p < d->nplat; p++) platform_row(f, o, d, p);
  fputs("</tbody></table></div></section>\n", f);
}

static void agent_table(FILE *f, const parley_report_data_t *d) {
  json_t *agents = json_object_get(d->care, "per_agent"), *a;
  const char *name;
  char v[4][32];
  fputs("<section id=\"agents\"><h2>Per agent</h2><p class=\"note\">Answers sent and "
        "conversations resolved through parley by each agent (the actions' <code>agent</code>); "
        "answers written in the platforms' own apps have no agent.</p>\n<div class=\"scroll\">"
        "<table id=\"agent-table\">"
        "<thead><tr><th>agent</th><th>responses</th><th>median response</th><th>resolved</th>"
        "<th>median handling</th></tr></thead><tbody>\n", f);
  json_object_foreach(agents, name, a) {
    fputs("<tr><td>", f);
    esc(f, name);
    fprintf(f, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
            num(json_object_get(a, "responses"), v[0], 32),
            dur(json_object_get(a, "median_response_seconds"), v[1], 32),
            num(json_object_get(a, "resolved"), v[2], 32),
            dur(json_object_get(a, "median_handling_seconds"), v[3], 32));
  }
  if (json_object_size(agents) == 0)
    fputs("<tr class=\"empty\"><td colspan=\"5\">No answers or resolutions by an agent in this "
          "period.</td></tr>\n", f);
  fputs("</tbody></table></div></section>\n", f);
}

static void foot(FILE *f, const parley_report_opts_t *o, const parley_report_data_t *d) {
  fputs("</main>\n<footer>parley-report " PARLEY_VERSION_STRING " · store ", f);
  esc(f, o->store);
  fprintf(f, " · backlog from %s · charts drawn with gnuplot · definitions: docs/care-metrics.md"
             "</footer>\n</body></html>\n", d->backlog_source);
}

int parley_report_html(const parley_report_opts_t *o, const parley_report_data_t *d,
                       parley_report_chart_t charts[PARLEY_CHART_COUNT], parley_error_t *err) {
  char file[4200], tmp[4210];
  snprintf(file, sizeof file, "%s/index.html", o->out);
  snprintf(tmp, sizeof tmp, "%s.tmp", file);
  FILE *f = fopen(tmp, "w");
  if (!f) return parley_error_set(err, PARLEY_EIO, "%s: %s", tmp, strerror(errno));
  head(f, o, d);
  kpis(f, o, d);
  for (int i = 0; i < PARLEY_CHART_COUNT; i++) {
    chart(f, &charts[i], i);
    if (i == 1) platform_table(f, o, d);
  }
  agent_table(f, d);
  foot(f, o, d);
  int bad = ferror(f);
  if (fclose(f) || bad || rename(tmp, file)) {
    int e = errno;
    remove(tmp);
    return parley_error_set(err, PARLEY_EIO, "%s: %s", file, strerror(e));
  }
  return 0;
}
