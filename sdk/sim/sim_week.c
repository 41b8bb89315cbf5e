/* parley-sim — a generated week: the options of scenario.week and the
 * generation of its customers and timeline (sim_week.h). Times are drawn
 * per UTC hour from hourly_curve x weekday_weights, reply delays from a
 * log-normal distribution fitted to the median and the 90th percentile,
 * optionally counted in business hours only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/time.h"
#include "sim_week.h"

const char *const parley_week_platform_names[PARLEY_WEEK_NPLAT] = {"twitter", "facebook",
                                                                    "instagram", "linkedin",
                                                                    "tiktok"};

/* Customer care demand by UTC hour: quiet at night, a late-morning peak
 * and a second one in the evening (the shape care teams staff for). */
static const double parley_week_curve[24] = {0.25, 0.15, 0.10, 0.08, 0.08, 0.12, 0.30, 0.60,
                                             0.95, 1.25, 1.45, 1.50, 1.35, 1.20, 1.15, 1.10,
                                             1.10, 1.15, 1.25, 1.40, 1.45, 1.25, 0.85, 0.50};
/* Monday .. Sunday: weekends are quieter. */
static const double parley_week_days[7] = {1.05, 1.0, 1.0, 1.0, 0.95, 0.8, 0.75};
static const double parley_week_mix[PARLEY_WEEK_NPLAT] = {0.35, 0.20, 0.25, 0.05, 0.15};

#define PW_DAY_MS 86400000LL
#define PW_HOUR_MS 3600000LL

/* ---- random numbers (own state: the week does not depend on what else
 * the simulator drew) ---- */

uint64_t parley_week_rand(parley_week_t *w) { return parley_sim_xorshift(&w->rng); }

double parley_week_unif(parley_week_t *w) {
  return (double)(parley_week_rand(w) >> 11) * (1.0 / 9007199254740992.0);
}

static double parley_week_normal(parley_week_t *w) {
  double u = parley_week_unif(w), v = parley_week_unif(w);
  if (u < 1e-300) u = 1e-300;
  return sqrt(-2.0 * log(u)) * cos(2.0 * 3.14159265358979323846 * v);
}

/* Log-normal with the given median and 90th percentile (z(0.9) = 1.2816). */
static double parley_week_lognormal(parley_week_t *w, double median, double p90) {
  double sigma = p90 > median ? log(p90 / median) / 1.2815515655446004 : 0.0;
  return median * exp(sigma * parley_week_normal(w));
}

/* ---- options ---- */

static int parley_week_num(json_t *week, const char *key, double def, double lo, double hi,
                           double *out, parley_error_t *err) {
  json_t *v = json_object_get(week, key);
  if (!v) {
    *out = def;
    return 0;
  }
  if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi)
    return parley_error_set(err, PARLEY_EINVAL, "scenario: week.%s must be a number from %g to %g",
                            key, lo, hi);
  *out = json_number_value(v);
  return 0;
}

/* An array of n non-negative weights with a positive sum. */
static int parley_week_weights(json_t *v, const char *key, size_t n, double *out,
                               parley_error_t *err) {
  double sum = 0;
  if (!json_is_array(v) || json_array_size(v) != n)
    return parley_error_set(err, PARLEY_EINVAL, "scenario: week.%s must be an array of %zu numbers",
                            key, n);
  for (size_t i = 0; i < n; i++) {
    json_t *x = json_array_get(v, i);
    if (!json_is_number(x) || json_number_value(x) < 0)
      return parley_error_set(err, PARLEY_EINVAL,
                              "scenario: week.%s[%zu] must be a non-negative number", key, i);
    out[i] = json_number_value(x);
    sum += out[i];
  }
  return sum > 0 ? 0 : parley_error_set(err, PARLEY_EINVAL, "scenario: week.%s sums to 0", key);
}

static int parley_week_end(json_t *v, const char *override, int64_t start_ms, int64_t *out,
                           parley_error_t *err) {
  const char *s = override ? override : json_string_value(v);
  if (!s && v) return parley_error_set(err, PARLEY_EINVAL, "scenario: week.end must be \"now\" or an ISO-8601 time");
  if (!s || !strcmp(s, "now")) {
    *out = start_ms;
    return 0;
  }
  if (parley_time_parse(s, out) != 0)
    return parley_error_set(err, PARLEY_EINVAL,
                            "scenario: week.end: '%s' is not \"now\" or an ISO-8601 time such as "
                            "2026-11-23T00:00:00Z", s);
  return 0;
}

static int parley_week_langs(json_t *v, parley_week_cfg_t *c, parley_error_t *err) {
  const char *k;
  json_t *x;
  double sum = 0;
  if (!v) {
    static const char *const dl[] = {"en", "de", "nl"};
    static const double dw[] = {0.5, 0.3, 0.2};
    for (c->nlangs = 0; c->nlangs < 3; c->nlangs++) {
      snprintf(c->langs[c->nlangs], sizeof c->langs[0], "%s", dl[c->nlangs]);
      c->lang_w[c->nlangs] = dw[c->nlangs];
    }
    return 0;
  }
  if (!json_is_object(v) || json_object_size(v) == 0 || json_object_size(v) > PARLEY_WEEK_MAX_LANGS)
    return parley_error_set(err, PARLEY_EINVAL, "scenario: week.languages must be an object of "
                                                "1 to %d language codes with weights",
                            PARLEY_WEEK_MAX_LANGS);
  json_object_foreach(v, k, x) {
    size_t kl = strlen(k);
    if (kl < 2 || kl > 7 || strpbrk(k, "/\\. ") || !json_is_number(x) || json_number_value(x) < 0)
      return parley_error_set(err, PARLEY_EINVAL, "scenario: week.languages.%s: needs a language "
                                                  "code (en, de, ...) and a non-negative weight", k);
    snprintf(c->langs[c->nlangs], sizeof c->langs[0], "%s", k);
    c->lang_w[c->nlangs++] = json_number_value(x);
    sum += json_number_value(x);
  }
  return sum > 0 ? 0 : parley_error_set(err, PARLEY_EINVAL, "scenario: week.languages: weights sum to 0");
}

static int parley_week_mix_cfg(parley_sim_t *sim, json_t *v, parley_week_cfg_t *c,
                               parley_error_t *err) {
  double sum = 0;
  const char *k;
  json_t *x;
  if (v && !json_is_object(v))
    return parley_error_set(err, PARLEY_EINVAL, "scenario: week.platform_mix must be an object");
  for (int p = 0; p < PARLEY_WEEK_NPLAT; p++) c->mix[p] = v ? 0 : parley_week_mix[p];
  json_object_foreach(v, k, x) {
    int p = 0;
    while (p < PARLEY_WEEK_NPLAT && strcmp(parley_week_platform_names[p], k)) p++;
    if (p == PARLEY_WEEK_NPLAT || !json_is_number(x) || json_number_value(x) < 0)
      return parley_error_set(err, PARLEY_EINVAL, "scenario: week.platform_mix.%s: needs one of "
                                                  "twitter, facebook, instagram, linkedin, tiktok "
                                                  "and a non-negative weight", k);
    c->mix[p] = json_number_value(x);
  }
  for (int p = 0; p < PARLEY_WEEK_NPLAT; p++) {
    const char *name = parley_week_platform_names[p];
    if (c->mix[p] > 0 && !parley_sim_platform(sim, name)) c->mix[p] = 0; /* not compiled in */
    json_t *acct = parley_sim_account(sim, name);
    if (c->mix[p] > 0 && !json_is_string(json_object_get(acct, "id"))) {
      if (v) return parley_error_set(err, PARLEY_EINVAL, "scenario: week.platform_mix.%s: the "
                                                         "scenario has no platforms.%s.account",
                                     name, name);
      c->mix[p] = 0; /* the default mix: platforms without an account are left out */
    }
    sum += c->mix[p];
  }
  return sum > 0 ? 0 : parley_error_set(err, PARLEY_EINVAL, "scenario: week: no platform with "
                                                            "an account to put messages on");
}

/* reply: {share, delay_median_s, delay_p90_s, follow_up_share, business_hours} */
static int parley_week_reply_cfg(json_t *v, parley_week_cfg_t *c, parley_error_t *err) {
  if (v && !json_is_object(v))
    return parley_error_set(err, PARLEY_EINVAL, "scenario: week.reply must be an object");
  struct { const char *key; double def, lo, hi; double *out; } f[] = {
      {"share", 0.85, 0, 1, &c->reply_share},
      {"delay_median_s", 1800, 1, 30 * 86400.0, &c->delay_median_s},
      {"delay_p90_s", 10800, 1, 60 * 86400.0, &c->delay_p90_s},
      {"follow_up_share", 0.15, 0, 1, &c->follow_up_share},
  };
  char key[64];
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
    snprintf(key, sizeof key, "reply.%s", f[i].key);
    json_t *x = json_object_get(v, f[i].key);
    if (x && (!json_is_number(x) || json_number_value(x) < f[i].lo || json_number_value(x) > f[i].hi))
      return parley_error_set(err, PARLEY_EINVAL, "scenario: week.%s must be a number from %g to %g",
                              key, f[i].lo, f[i].hi);
    *f[i].out = x ? json_number_value(x) : f[i].def;
  }
  if (c->delay_p90_s < c->delay_median_s)
    return parley_error_set(err, PARLEY_EINVAL, "scenario: week.reply.delay_p90_s is below "
                                                "delay_median_s");
  json_t *bh = json_object_get(v, "business_hours"), *days = json_object_get(bh, "days");
  if (!bh || json_is_null(bh)) return 0;
  json_t *s = json_object_get(bh, "start"), *e = json_object_get(bh, "end");
  if (!json_is_integer(s) || !json_is_integer(e) || json_integer_value(s) < 0 ||
      json_integer_value(e) > 24 || json_integer_value(s) >= json_integer_value(e))
    return parley_error_set(err, PARLEY_EINVAL, "scenario: week.reply.business_hours needs "
                                                "integer UTC hours start < end (0..24)");
  c->bh = 1;
  c->bh_start = (int)json_integer_value(s);
  c->bh_end = (int)json_integer_value(e);
  c->bh_days = days ? 0 : 0x3e; /* Monday to Friday */
  size_t i;
  json_t *d;
  json_array_foreach(days, i, d) {
    if (!json_is_integer(d) || json_integer_value(d) < 1 || json_integer_value(d) > 7)
      return parley_error_set(err, PARLEY_EINVAL, "scenario: week.reply.business_hours.days: "
                                                  "ISO weekdays 1 (Monday) to 7 (Sunday)");
    c->bh_days |= 1u << json_integer_value(d);
  }
  return c->bh_days ? 0 : parley_error_set(err, PARLEY_EINVAL, "scenario: week.reply."
                                                               "business_hours.days is empty");
}

static int parley_week_delivery(json_t *week, parley_week_cfg_t *c, parley_error_t *err) {
  const char *d = json_string_value(json_object_get(week, "delivery"));
  json_t *start = json_object_get(week, "replay_start");
  if (json_object_get(week, "delivery") && (!d || (strcmp(d, "history") && strcmp(d, "replay"))))
    return parley_error_set(err, PARLEY_EINVAL, "scenario: week.delivery must be \"history\" or "
                                                "\"replay\"");
  c->replay = d && !strcmp(d, "replay");
  int rc = parley_week_num(week, "replay_rate", 500, 1, 1e6, &c->replay_rate, err);
  if (rc) return rc;
  if (!start) c->replay_start_s = 0;
  else if (json_is_string(start) && !strcmp(json_string_value(start), "request")) c->replay_start_s = -1;
  else if (json_is_number(start) && json_number_value(start) >= 0) c->replay_start_s = json_number_value(start);
  else return parley_error_set(err, PARLEY_EINVAL, "scenario: week.replay_start must be seconds "
                                                   "(>= 0) or \"request\"");
  return 0;
}

static int parley_week_texts_dir(json_t *week, const char *override, const char *scenario_dir,
                                 char **out, parley_error_t *err) {
  json_t *t = json_object_get(week, "texts");
  const char *s = override ? override : json_string_value(t);
  *out = NULL;
  if (!s && t) return parley_error_set(err, PARLEY_EINVAL, "scenario: week.texts must be a directory path");
  if (!s) return 0;
  size_t n = strlen(s) + (scenario_dir ? strlen(scenario_dir) : 0) + 2;
  if (!(*out = malloc(n))) return parley_error_set(err, PARLEY_ENOMEM, "week: out of memory");
  /* relative to the scenario file, as a scenario is written next to its data */
  if (s[0] != '/' && scenario_dir && !override) snprintf(*out, n, "%s/%s", scenario_dir, s);
  else snprintf(*out, n, "%s", s);
  return 0;
}

int parley_week_config(parley_sim_t *sim, json_t *week, const char *scenario_dir,
                       parley_week_cfg_t *c, char **texts_dir, parley_error_t *err) {
  double seed = 0, customers = 0;
  int rc;
  memset(c, 0, sizeof *c);
  *texts_dir = NULL;
  if (!json_is_object(week)) return parley_error_set(err, PARLEY_EINVAL, "scenario: week must be an object");
  if ((rc = parley_week_num(week, "days", 7, 0.01, 60, &c->days, err)) ||
      (rc = parley_week_num(week, "messages_per_day", 400, 0, 1e6, &c->per_day, err)) ||
      (rc = parley_week_num(week, "vip_share", 0.02, 0, 1, &c->vip_share, err)) ||
      (rc = parley_week_num(week, "dm_share", 0.3, 0, 1, &c->dm_share, err)) ||
      (rc = parley_week_num(week, "post_every_h", 8, 0.5, 24 * 30, &c->post_every_h, err)) ||
      (rc = parley_week_num(week, "customers", 0, 0, 1e6, &customers, err)) ||
      (rc = parley_week_num(week, "seed", (double)sim->config.seed, 0, 9007199254740992.0, &seed, err)))
    return rc;
  if (c->days * c->per_day > 2e6)
    return parley_error_set(err, PARLEY_EINVAL, "scenario: week: days x messages_per_day is %.0f, "
                                                "at most 2000000 messages", c->days * c->per_day);
  c->seed = (uint64_t)seed;
  c->customers = (size_t)customers;
  memcpy(c->curve, parley_week_curve, sizeof c->curve);
  memcpy(c->weekday, parley_week_days, sizeof c->weekday);
  json_t *v;
  if ((v = json_object_get(week, "hourly_curve")) && (rc = parley_week_weights(v, "hourly_curve", 24, c->curve, err)))
    return rc;
  if ((v = json_object_get(week, "weekday_weights")) &&
      (rc = parley_week_weights(v, "weekday_weights", 7, c->weekday, err)))
    return rc;
  if ((rc = parley_week_end(json_object_get(week, "end"), sim->config.week_end, (int64_t)sim->start_ms,
                            &c->end_ms, err)) ||
      (rc = parley_week_langs(json_object_get(week, "languages"), c, err)) ||
      (rc = parley_week_mix_cfg(sim, json_object_get(week, "platform_mix"), c, err)) ||
      (rc = parley_week_reply_cfg(json_object_get(week, "reply"), c, err)) ||
      (rc = parley_week_delivery(week, c, err)))
    return rc;
  c->start_ms = c->end_ms - (int64_t)(c->days * (double)PW_DAY_MS);
  return parley_week_texts_dir(week, sim->config.week_texts, scenario_dir, texts_dir, err);
}

/* ---- time ---- */

static int parley_week_isoday(int64_t ms) { /* 1 = Monday .. 7 = Sunday */
  int64_t days = ms >= 0 ? ms / PW_DAY_MS : (ms - PW_DAY_MS + 1) / PW_DAY_MS;
  return (int)(((days + 3) % 7 + 7) % 7) + 1;
}

static int parley_week_hour(int64_t ms) {
  return (int)(((ms % PW_DAY_MS) + PW_DAY_MS) % PW_DAY_MS / PW_HOUR_MS);
}

/* The hour slots of [start, end): weight = curve x weekday x the part of
 * the hour inside the range; cumulative, for sampling by bisection. */
typedef struct parley_week_slots {
  int64_t *at;
  double *cum;
  size_t n;
} parley_week_slots_t;

static int parley_week_slots_make(const parley_week_cfg_t *c, parley_week_slots_t *s) {
  int64_t first = c->start_ms - ((c->start_ms % PW_HOUR_MS) + PW_HOUR_MS) % PW_HOUR_MS;
  size_t n = (size_t)((c->end_ms - first + PW_HOUR_MS - 1) / PW_HOUR_MS);
  s->at = calloc(n ? n : 1, sizeof *s->at);
  s->cum = calloc(n ? n : 1, sizeof *s->cum);
  s->n = n;
  if (!s->at || !s->cum) return PARLEY_ENOMEM;
  double sum = 0;
  for (size_t i = 0; i < n; i++) {
    int64_t a = first + (int64_t)i * PW_HOUR_MS, b = a + PW_HOUR_MS;
    int64_t lo = a < c->start_ms ? c->start_ms : a, hi = b > c->end_ms ? c->end_ms : b;
    double part = hi > lo ? (double)(hi - lo) / (double)PW_HOUR_MS : 0;
    sum += c->curve[parley_week_hour(a)] * c->weekday[parley_week_isoday(a) - 1] * part;
    s->at[i] = a;
    s->cum[i] = sum;
  }
  return 0;
}

static int64_t parley_week_sample_time(parley_week_t *w, const parley_week_slots_t *s) {
  const parley_week_cfg_t *c = &w->cfg;
  double total = s->n ? s->cum[s->n - 1] : 0;
  if (total <= 0) return c->start_ms;
  double x = parley_week_unif(w) * total;
  size_t lo = 0, hi = s->n - 1;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (s->cum[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  int64_t a = s->at[lo] < c->start_ms ? c->start_ms : s->at[lo];
  int64_t b = s->at[lo] + PW_HOUR_MS > c->end_ms ? c->end_ms : s->at[lo] + PW_HOUR_MS;
  int64_t t = a + (int64_t)(parley_week_unif(w) * (double)(b - a));
  return t >= c->end_ms ? c->end_ms - 1 : t;
}

/* t + d ms of business time (only hours in [bh_start, bh_end) on bh_days
 * count); without business hours plain t + d. */
static int64_t parley_week_after(const parley_week_cfg_t *c, int64_t t, int64_t d) {
  if (!c->bh) return t + d;
  for (int guard = 0; guard < 400; guard++) {
    int64_t day = t - ((t % PW_DAY_MS) + PW_DAY_MS) % PW_DAY_MS;
    int64_t open = day + c->bh_start * PW_HOUR_MS, close = day + c->bh_end * PW_HOUR_MS;
    if (!(c->bh_days & (1u << parley_week_isoday(t))) || t >= close) {
      t = day + PW_DAY_MS; /* the next day, from midnight */
      continue;
    }
    if (t < open) t = open;
    if (t + d <= close) return t + d;
    d -= close - t;
    t = close;
  }
  return INT64_MAX / 2; /* never: past the end, so not sent */
}

/* ---- entries ---- */

static parley_week_entry_t *parley_week_entry(parley_week_t *w, int platform, int64_t ms,
                                              json_t *item, parley_week_entry_t *parent) {
  if (!item) return NULL;
  if (w->n == w->cap) {
    json_decref(item);
    return NULL; /* the pool is sized up front; never reached */
  }
  parley_week_entry_t *e = &w->pool[w->n];
  e->ms = ms;
  e->order = w->n++;
  e->platform = platform;
  e->item = item;
  e->parent = parent;
  json_object_set_new(item, "platform", json_string(parley_week_platform_names[platform]));
  json_object_set_new(item, "created_ms", json_integer((json_int_t)ms));
  json_object_set_new(item, "week", json_true());
  return e;
}

static const char *parley_week_brand_id(parley_sim_t *sim, int p) {
  return json_string_value(json_object_get(parley_sim_account(sim, parley_week_platform_names[p]), "id"));
}

static void parley_week_count_add(parley_week_t *w, int p, const char *what) {
  json_t *pc = json_object_get(w->counts, parley_week_platform_names[p]);
  if (!pc) {
    pc = json_object();
    json_object_set_new(w->counts, parley_week_platform_names[p], pc);
  }
  json_object_set_new(pc, what, json_integer(json_integer_value(json_object_get(pc, what)) + 1));
}

/* ---- customers ---- */

static const char *parley_week_pick_lang(parley_week_t *w) {
  double sum = 0, x;
  for (size_t i = 0; i < w->cfg.nlangs; i++) sum += w->cfg.lang_w[i];
  x = parley_week_unif(w) * sum;
  for (size_t i = 0; i < w->cfg.nlangs; i++) {
    if (x < w->cfg.lang_w[i]) return w->cfg.langs[i];
    x -= w->cfg.lang_w[i];
  }
  return w->cfg.langs[w->cfg.nlangs - 1];
}

static void parley_week_user_id(int p, size_t n, char *buf, size_t len) {
  switch (p) {
  case PW_TWITTER: snprintf(buf, len, "%llu", 9800000000ULL + n); break;
  case PW_FACEBOOK: snprintf(buf, len, "%llu", 7200000000000000ULL + n); break;
  case PW_INSTAGRAM: snprintf(buf, len, "%llu", 17841450000000000ULL + n); break;
  case PW_LINKEDIN: snprintf(buf, len, "ACoAAW%06zu", n); break;
  default: snprintf(buf, len, "tt-week-%zu", n); break;
  }
}

static json_t *parley_week_customer(parley_week_t *w, int p, size_t n) {
  char id[48], name[96], stem[48], handle[64];
  const char *lang = parley_week_pick_lang(w);
  parley_week_person(w, lang, name, sizeof name, stem, sizeof stem);
  snprintf(handle, sizeof handle, "%s%zu", stem, n);
  parley_week_user_id(p, n, id, sizeof id);
  int vip = parley_week_unif(w) < w->cfg.vip_share;
  /* VIPs: 50k..2M followers, log-uniform, half of them verified; others
   * a long tail around a few hundred */
  double f = vip ? exp(log(50000.0) + parley_week_unif(w) * (log(2e6) - log(50000.0)))
                 : 300.0 * exp(1.4 * parley_week_normal(w));
  if (!vip && f > 49999) f = 49999;
  return json_pack("{s:s,s:s,s:s,s:s,s:I,s:b,s:s,s:b}", "platform", parley_week_platform_names[p],
                   "id", id, "handle", handle, "name", name, "followers", (json_int_t)f,
                   "verified", vip && parley_week_unif(w) < 0.5, "lang", lang, "week_vip", vip);
}

static int parley_week_customers(parley_sim_t *sim, parley_week_t *w, parley_error_t *err) {
  double sum = 0;
  size_t total = w->cfg.customers ? w->cfg.customers
                                  : (size_t)(w->cfg.per_day * w->cfg.days / 3.0) + 10;
  for (int p = 0; p < PARLEY_WEEK_NPLAT; p++) sum += w->cfg.mix[p];
  for (int p = 0; p < PARLEY_WEEK_NPLAT; p++) {
    if (w->cfg.mix[p] <= 0) continue;
    size_t n = (size_t)((double)total * w->cfg.mix[p] / sum) + 3;
    if (!(w->customers[p] = json_array())) return parley_error_set(err, PARLEY_ENOMEM, "week: out of memory");
    for (size_t i = 1; i <= n; i++) {
      json_t *u = parley_week_customer(w, p, i);
      parley_error_t e = {0};
      if (!u) return parley_error_set(err, PARLEY_ENOMEM, "week: out of memory");
      json_array_append(w->customers[p], u);
      if (parley_sim_user_add(sim, u, &e) != 0)
        return parley_error_set(err, e.code, "scenario: week: customer %s: %s",
                                parley_week_platform_names[p], e.message);
    }
  }
  return 0;
}

/* ---- posts ---- */

static const char *const parley_week_post_type[PARLEY_WEEK_NPLAT] = {NULL, "post", "media", "post",
                                                                     "video"};

/* Brand posts to comment on, every post_every_h (+-25 %), the first one
 * before the week starts. posts[p] receives them in time order. */
static int parley_week_posts(parley_sim_t *sim, parley_week_t *w, int p,
                             parley_week_entry_t ***posts, size_t *nposts) {
  int64_t every = (int64_t)(w->cfg.post_every_h * (double)PW_HOUR_MS);
  int64_t t = w->cfg.start_ms - (int64_t)(parley_week_unif(w) * (double)every) - 60000;
  size_t cap = (size_t)((w->cfg.end_ms - t) / (every * 3 / 4) + 2);
  *posts = calloc(cap, sizeof **posts);
  *nposts = 0;
  if (!*posts) return PARLEY_ENOMEM;
  while (t < w->cfg.end_ms && *nposts < cap) {
    json_t *item = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", parley_week_post_type[p], "author_id",
                             parley_week_brand_id(sim, p), "text", parley_week_post_text(w), "lang",
                             "en", "week_role", "post");
    parley_week_entry_t *e = parley_week_entry(w, p, t, item, NULL);
    if (!e) return PARLEY_ENOMEM;
    (*posts)[(*nposts)++] = e;
    parley_week_count_add(w, p, "posts");
    t += every * 3 / 4 + (int64_t)(parley_week_unif(w) * (double)(every / 2));
  }
  return 0;
}

/* The newest post before t. */
static parley_week_entry_t *parley_week_post_at(parley_week_entry_t **posts, size_t n, int64_t t) {
  parley_week_entry_t *best = n ? posts[0] : NULL;
  for (size_t i = 0; i < n && posts[i]->ms < t; i++) best = posts[i];
  return best;
}

/* ---- conversations ---- */

typedef struct parley_week_gen {
  parley_sim_t *sim;
  parley_week_t *w;
  parley_week_slots_t slots;
  parley_week_entry_t **posts[PARLEY_WEEK_NPLAT];
  size_t nposts[PARLEY_WEEK_NPLAT];
  size_t made; /* customer messages so far */
} parley_week_gen_t;

static int parley_week_pick_platform(parley_week_t *w) {
  double sum = 0, x;
  for (int p = 0; p < PARLEY_WEEK_NPLAT; p++) sum += w->cfg.mix[p];
  x = parley_week_unif(w) * sum;
  for (int p = 0; p < PARLEY_WEEK_NPLAT; p++) {
    if (w->cfg.mix[p] > 0 && x < w->cfg.mix[p]) return p;
    x -= w->cfg.mix[p];
  }
  for (int p = PARLEY_WEEK_NPLAT - 1; p >= 0; p--)
    if (w->cfg.mix[p] > 0) return p;
  return PW_TWITTER;
}

/* Twitter: a customer tweet must @-mention the brand to be in its
 * mentions timeline. */
static json_t *parley_week_tweet_text(const char *brand_handle, const char *text) {
  char needle[80];
  snprintf(needle, sizeof needle, "@%s", brand_handle ? brand_handle : "acme");
  const char *hit = strstr(text, needle);
  size_t nl = strlen(needle);
  int word = hit && !(hit[nl] == '_' || (hit[nl] >= 'a' && hit[nl] <= 'z') ||
                      (hit[nl] >= '0' && hit[nl] <= '9'));
  return word ? json_string(text) : json_sprintf("%s %s", needle, text);
}

/* A customer message (new or follow-up). parent: the post commented on,
 * or for follow-ups the item answered. */
static parley_week_entry_t *parley_week_message(parley_week_gen_t *g, int p, int dm, json_t *who,
                                                int64_t t, parley_week_entry_t *parent,
                                                int follow_up) {
  parley_week_t *w = g->w;
  const char *lang = json_string_value(json_object_get(who, "lang"));
  const parley_week_text_t *tx = parley_week_text(w, lang);
  const char *handle = json_string_value(json_object_get(parley_sim_account(g->sim,
                                                         parley_week_platform_names[p]), "handle"));
  json_t *item = json_pack("{s:s,s:O,s:s,s:s,s:s,s:b}", "type", "comment", "author_id",
                           json_object_get(who, "id"), "lang", lang, "week_role",
                           follow_up ? "follow_up" : "message", "week_sentiment",
                           tx ? tx->sentiment : "neu", "week_vip",
                           json_is_true(json_object_get(who, "week_vip")));
  if (!item) return NULL;
  const char *text = tx ? tx->text : "Hello?";
  if (p == PW_TWITTER && !dm) json_object_set_new(item, "text", parley_week_tweet_text(handle, text));
  else json_object_set_new(item, "text", json_string(text));
  if (dm) {
    json_object_set_new(item, "type", json_string(p == PW_TWITTER ? "dm" : "message"));
    json_object_set_new(item, "recipient_id", json_string(parley_week_brand_id(g->sim, p)));
    parent = NULL;
  } else if (p == PW_TWITTER) {
    json_object_set_new(item, "type", json_string("tweet"));
  }
  json_object_set_new(item, "week_channel", json_string(dm ? "dm" : "public"));
  parley_week_entry_t *e = parley_week_entry(w, p, t, item, parent);
  if (e) parley_week_count_add(w, p, dm ? "dm_messages" : "messages");
  if (e && follow_up) parley_week_count_add(w, p, "follow_ups");
  return e;
}

/* The brand answers msg at t: same thread (comment platforms: under the
 * customer's top-level comment; Twitter: a reply tweet; DMs: a DM back). */
static parley_week_entry_t *parley_week_reply(parley_week_gen_t *g, parley_week_entry_t *msg,
                                              json_t *who, int64_t t, int follow_up) {
  int p = msg->platform;
  const char *channel = json_string_value(json_object_get(msg->item, "week_channel"));
  int dm = channel && !strcmp(channel, "dm");
  const char *lang = json_string_value(json_object_get(who, "lang"));
  const char *text = parley_week_reply_text(
      lang, json_string_value(json_object_get(msg->item, "week_sentiment")), follow_up);
  json_t *item = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}", "type",
                           dm ? (p == PW_TWITTER ? "dm" : "message") : p == PW_TWITTER ? "tweet" : "comment",
                           "author_id", parley_week_brand_id(g->sim, p), "lang", lang, "week_role",
                           "reply", "week_delay_s", (json_int_t)((t - msg->ms) / 1000), "week_channel",
                           dm ? "dm" : "public");
  if (!item) return NULL;
  if (p == PW_TWITTER && !dm)
    json_object_set_new(item, "text", json_sprintf("@%s %s",
                        json_string_value(json_object_get(who, "handle")), text));
  else
    json_object_set_new(item, "text", json_string(text));
  if (dm) json_object_set_new(item, "recipient_id", json_incref(json_object_get(who, "id")));
  /* two-level threads: a comment reply goes under the top-level comment */
  parley_week_entry_t *parent = dm ? NULL : msg;
  if (!dm && p != PW_TWITTER && msg->parent && msg->parent->parent) parent = msg->parent;
  parley_week_entry_t *e = parley_week_entry(g->w, p, t, item, parent);
  if (e) parley_week_count_add(g->w, p, dm ? "dm_replies" : "replies");
  return e;
}

static int64_t parley_week_delay_ms(parley_week_t *w, json_t *who) {
  double s = parley_week_lognormal(w, w->cfg.delay_median_s, w->cfg.delay_p90_s);
  if (json_is_true(json_object_get(who, "week_vip"))) s *= 0.5; /* VIPs are answered first */
  return (int64_t)((s < 5 ? 5 : s) * 1000.0);
}

/* Maybe answer msg, and maybe the customer writes once more. */
static int parley_week_answer(parley_week_gen_t *g, parley_week_entry_t *msg, json_t *who, int depth) {
  parley_week_t *w = g->w;
  if (parley_week_unif(w) >= w->cfg.reply_share) return 0;
  int64_t at = parley_week_after(&w->cfg, msg->ms, parley_week_delay_ms(w, who));
  if (at >= w->cfg.end_ms) return 0; /* still waiting when the week ends */
  parley_week_entry_t *r = parley_week_reply(g, msg, who, at, depth > 0);
  if (!r) return PARLEY_ENOMEM;
  if (depth > 0 || parley_week_unif(w) >= w->cfg.follow_up_share) return 0;
  int64_t t2 = at + (int64_t)(parley_week_lognormal(w, 900, 7200) * 1000.0) + 1000;
  size_t want = (size_t)llround(w->cfg.per_day * w->cfg.days);
  if (t2 >= w->cfg.end_ms || g->made >= want) return 0;
  const char *ch = json_string_value(json_object_get(msg->item, "week_channel"));
  int dm = ch && !strcmp(ch, "dm");
  /* Twitter: the follow-up replies to the brand's tweet; comments join the
   * customer's top-level comment */
  parley_week_entry_t *parent = msg->platform == PW_TWITTER ? r : msg;
  parley_week_entry_t *f = parley_week_message(g, msg->platform, dm, who, t2, parent, 1);
  if (!f) return PARLEY_ENOMEM;
  g->made++;
  return parley_week_answer(g, f, who, depth + 1);
}

static int parley_week_conversation(parley_week_gen_t *g) {
  parley_week_t *w = g->w;
  int p = parley_week_pick_platform(w);
  json_t *pool = w->customers[p];
  json_t *who = json_array_get(pool, (size_t)(parley_week_rand(w) % json_array_size(pool)));
  int64_t t = parley_week_sample_time(w, &g->slots);
  int dm = p <= PW_INSTAGRAM && parley_week_unif(w) < w->cfg.dm_share;
  parley_week_entry_t *post = dm || p == PW_TWITTER ? NULL
                                                    : parley_week_post_at(g->posts[p], g->nposts[p], t);
  parley_week_entry_t *m = parley_week_message(g, p, dm, who, t, post, 0);
  if (!m) return PARLEY_ENOMEM;
  g->made++;
  return parley_week_answer(g, m, who, 0);
}

static int parley_week_seq_cmp(const void *a, const void *b) {
  const parley_week_entry_t *x = *(parley_week_entry_t *const *)a, *y = *(parley_week_entry_t *const *)b;
  if (x->ms != y->ms) return x->ms < y->ms ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

static int parley_week_timeline(parley_week_gen_t *g) {
  parley_week_t *w = g->w;
  size_t want = (size_t)llround(w->cfg.per_day * w->cfg.days);
  int rc = parley_week_slots_make(&w->cfg, &g->slots);
  for (int p = 1; rc == 0 && p < PARLEY_WEEK_NPLAT; p++)
    if (w->cfg.mix[p] > 0) rc = parley_week_posts(g->sim, w, p, &g->posts[p], &g->nposts[p]);
  while (rc == 0 && g->made < want) rc = parley_week_conversation(g);
  if (rc == 0 && !(w->seq = calloc(w->n ? w->n : 1, sizeof *w->seq))) rc = PARLEY_ENOMEM;
  for (size_t i = 0; rc == 0 && i < w->n; i++) w->seq[i] = &w->pool[i];
  if (rc == 0) qsort(w->seq, w->n, sizeof *w->seq, parley_week_seq_cmp);
  return rc;
}

int parley_week_generate(parley_sim_t *sim, parley_week_t *w, parley_error_t *err) {
  parley_week_gen_t g = {.sim = sim, .w = w};
  size_t want = (size_t)llround(w->cfg.per_day * w->cfg.days);
  double posts = 0;
  for (int p = 1; p < PARLEY_WEEK_NPLAT; p++)
    if (w->cfg.mix[p] > 0) posts += w->cfg.days * 24 / (w->cfg.post_every_h * 0.75) + 3;
  w->rng = w->cfg.seed * 0x9E3779B97F4A7C15ULL + 0xD1B54A32D192ED03ULL;
  if (w->rng == 0) w->rng = 1;
  /* every message can bring a reply; follow-ups count as messages */
  w->cap = want * 2 + (size_t)posts + 16;
  w->pool = calloc(w->cap, sizeof *w->pool);
  w->counts = json_object();
  int rc = w->pool && w->counts ? parley_week_customers(sim, w, err)
                                : parley_error_set(err, PARLEY_ENOMEM, "week: out of memory");
  if (rc == 0 && (rc = parley_week_timeline(&g)) != 0)
    rc = parley_error_set(err, rc, "week: out of memory generating %zu messages", want);
  free(g.slots.at);
  free(g.slots.cum);
  for (int p = 0; p < PARLEY_WEEK_NPLAT; p++) free(g.posts[p]);
  return rc;
}
