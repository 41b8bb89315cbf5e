/* parley core — reading the enrich: section (config_enrich.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "config_enrich.h"
#include "config_read.h"

typedef int (*ec_key_fn)(parley_cfgctx_t *c, parley_conf_enrich_t *e, const char *key,
                         const parley_node_t *v, const char *path);

/* Every key of map n through fn; null values keep the defaults. */
static int ec_each(parley_cfgctx_t *c, parley_conf_enrich_t *e, const parley_node_t *n,
                   const char *path, ec_key_fn fn) {
  char sub[160];
  if (n->type == PARLEY_NODE_NULL)
    return 0;
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_MAP, path, "a map");
  for (size_t i = 0; rc == 0 && i < n->count; i++) {
    parley_cfg_subpath(sub, sizeof sub, path, n->keys[i]);
    if (n->items[i]->type != PARLEY_NODE_NULL)
      rc = fn(c, e, n->keys[i], n->items[i], sub);
  }
  return rc;
}

static int ec_unknown(parley_cfgctx_t *c, const parley_node_t *v, const char *path,
                      const char *known) {
  return parley_cfg_fail(c, v->line, path, "unknown key (known keys: %s)", known);
}

static int ec_points(parley_cfgctx_t *c, const parley_node_t *v, const char *path, int *out) {
  int64_t p;
  int rc = parley_cfg_uint(c, v, path, 0, 100, &p);
  if (rc == 0)
    *out = (int)p;
  return rc;
}

/* ---- language: / sentiment: ---- */

static int ec_language(parley_cfgctx_t *c, parley_conf_enrich_t *e, const char *k,
                       const parley_node_t *v, const char *path) {
  if (strcmp(k, "enabled") == 0)
    return parley_cfg_bool(c, v, path, &e->lang_enabled);
  if (strcmp(k, "min_confidence") == 0)
    return parley_cfg_real(c, v, path, 0, 1, &e->lang_min_confidence);
  return ec_unknown(c, v, path, "enabled, min_confidence");
}

static int ec_sentiment(parley_cfgctx_t *c, parley_conf_enrich_t *e, const char *k,
                        const parley_node_t *v, const char *path) {
  if (strcmp(k, "enabled") == 0)
    return parley_cfg_bool(c, v, path, &e->sentiment_enabled);
  if (strcmp(k, "lexicons") == 0)
    return parley_cfg_string(c, v, path, &e->lexicons);
  return ec_unknown(c, v, path, "enabled, lexicons");
}

/* ---- keywords: ---- */

static parley_conf_kwset_t *ec_find_set(parley_conf_enrich_t *e, const char *name) {
  for (size_t i = 0; i < e->n_sets; i++)
    if (strcmp(e->sets[i].name, name) == 0)
      return &e->sets[i];
  return NULL;
}

static int ec_keywords(parley_cfgctx_t *c, parley_conf_enrich_t *e, const char *k,
                       const parley_node_t *v, const char *path) {
  parley_conf_kwset_t *nv = realloc(e->sets, (e->n_sets + 1) * sizeof *nv);
  if (!nv)
    return parley_cfg_nomem(c);
  e->sets = nv;
  parley_conf_kwset_t *s = &nv[e->n_sets++];
  *s = (parley_conf_kwset_t){.name = strdup(k), .points = -1};
  if (!s->name)
    return parley_cfg_nomem(c);
  int rc = parley_cfg_strlist(c, v, path, &s->terms, &s->n_terms);
  for (size_t i = 0; rc == 0 && i < s->n_terms; i++)
    if (!s->terms[i][strspn(s->terms[i], " \t")])
      rc = parley_cfg_fail(c, v->line, path, "term %zu is empty", i);
  return rc;
}

/* ---- priority: ---- */

static int ec_set_points(parley_cfgctx_t *c, parley_conf_enrich_t *e, const char *k,
                         const parley_node_t *v, const char *path) {
  parley_conf_kwset_t *s = ec_find_set(e, k);
  if (!s)
    return parley_cfg_fail(c, v->line, path, "no keyword set '%.60s' under enrich.keywords", k);
  return ec_points(c, v, path, &s->points);
}

static int ec_priority(parley_cfgctx_t *c, parley_conf_enrich_t *e, const char *k,
                       const parley_node_t *v, const char *path) {
  parley_conf_priority_t *p = &e->priority;
  static const struct {
    const char *key;
    size_t off;
  } weights[] = {
      {"base", offsetof(parley_conf_priority_t, base)},
      {"followers", offsetof(parley_conf_priority_t, followers)},
      {"verified", offsetof(parley_conf_priority_t, verified)},
      {"negative", offsetof(parley_conf_priority_t, negative)},
      {"direct_message", offsetof(parley_conf_priority_t, direct_message)},
      {"answered_thread", offsetof(parley_conf_priority_t, answered_thread)},
  };
  for (size_t i = 0; i < sizeof weights / sizeof *weights; i++)
    if (strcmp(k, weights[i].key) == 0)
      return ec_points(c, v, path, (int *)(void *)((char *)p + weights[i].off));
  if (strcmp(k, "enabled") == 0)
    return parley_cfg_bool(c, v, path, &p->enabled);
  if (strcmp(k, "followers_max") == 0)
    return parley_cfg_uint(c, v, path, 10, INT64_MAX, &p->followers_max);
  if (strcmp(k, "keyword_sets") == 0)
    return ec_each(c, e, v, path, ec_set_points);
  return ec_unknown(c, v, path,
                    "enabled, base, followers, followers_max, verified, negative, "
                    "direct_message, answered_thread, keyword_sets");
}

/* ---- sla: business_hours ---- */

static int ec_time_zone_ok(const char *tz) {
  UChar id[128], canon[128];
  UErrorCode st = U_ZERO_ERROR;
  UBool system = 0;
  if (strlen(tz) >= sizeof id / sizeof *id)
    return 0;
  u_uastrcpy(id, tz);
  ucal_getCanonicalTimeZoneID(id, -1, canon, 128, &system, &st);
  return U_SUCCESS(st) && system;
}

static int ec_clock(parley_cfgctx_t *c, const parley_node_t *v, const char *path, int *min) {
  int h, m, n = 0;
  char shown[96];
  int rc = parley_cfg_expect(c, v, PARLEY_NODE_SCALAR, path, "a time of day (\"08:30\")");
  if (rc != 0)
    return rc;
  if (sscanf(v->value, "%2d:%2d%n", &h, &m, &n) == 2 && !v->value[n] && h >= 0 && m >= 0 &&
      m < 60 && (h < 24 || (h == 24 && m == 0))) {
    *min = h * 60 + m;
    return 0;
  }
  parley_cfg_show(v, 0, shown, sizeof shown);
  return parley_cfg_fail(c, v->line, path, "%s is not a time of day from 00:00 to 24:00", shown);
}

static int ec_day(const char *s) {
  static const char *const names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  for (int i = 0; i < 7; i++)
    if (strncasecmp(s, names[i], 3) == 0 && strlen(s) == 3)
      return i;
  return -1;
}

/* "mon", or a range "mon-fri". */
static int ec_days_item(const char *s, unsigned *days) {
  char a[4] = "", b[4] = "";
  int n = 0;
  if (sscanf(s, "%3[A-Za-z]-%3[A-Za-z]%n", a, b, &n) == 2 && !s[n]) {
    int from = ec_day(a), to = ec_day(b);
    if (from < 0 || to < from)
      return -1;
    for (int d = from; d <= to; d++)
      *days |= 1u << d;
    return 0;
  }
  int d = ec_day(s);
  if (d < 0)
    return -1;
  *days |= 1u << d;
  return 0;
}

static int ec_days(parley_cfgctx_t *c, const parley_node_t *v, const char *path, unsigned *days) {
  char **items = NULL;
  size_t n = 0;
  int rc = parley_cfg_strlist(c, v, path, &items, &n);
  *days = 0;
  for (size_t i = 0; rc == 0 && i < n; i++)
    if (ec_days_item(items[i], days) != 0)
      rc = parley_cfg_fail(c, v->line, path,
                           "'%.20s' is not a day (mon ... sun) or a range (mon-fri)", items[i]);
  parley_cfg_strv_free(items, n);
  return rc;
}

static int ec_hours_key(parley_cfgctx_t *c, parley_conf_hours_t *h, const char *k,
                        const parley_node_t *v, const char *path) {
  if (strcmp(k, "time_zone") == 0) {
    int rc = parley_cfg_string(c, v, path, &h->time_zone);
    if (rc == 0 && !ec_time_zone_ok(h->time_zone))
      rc = parley_cfg_fail(c, v->line, path,
                           "'%.60s' is not a time zone (use an IANA name like Europe/Amsterdam)",
                           h->time_zone);
    return rc;
  }
  if (strcmp(k, "days") == 0)
    return ec_days(c, v, path, &h->days);
  if (strcmp(k, "from") == 0)
    return ec_clock(c, v, path, &h->from_min);
  if (strcmp(k, "until") == 0)
    return ec_clock(c, v, path, &h->until_min);
  return ec_unknown(c, v, path, "time_zone, days, from, until");
}

static int ec_hours(parley_cfgctx_t *c, parley_conf_enrich_t *e, const char *k,
                    const parley_node_t *v, const char *path) {
  char sub[160];
  parley_conf_hours_t *nv = realloc(e->hours, (e->n_hours + 1) * sizeof *nv);
  if (!nv)
    return parley_cfg_nomem(c);
  e->hours = nv;
  parley_conf_hours_t *h = &nv[e->n_hours++];
  *h = (parley_conf_hours_t){.name = strdup(k), .days = 0x1f, .from_min = 9 * 60,
                             .until_min = 17 * 60};
  if (!h->name)
    return parley_cfg_nomem(c);
  int rc = parley_cfg_expect(c, v, PARLEY_NODE_MAP, path, "a map with time_zone, days, from, until");
  for (size_t i = 0; rc == 0 && i < v->count; i++) {
    parley_cfg_subpath(sub, sizeof sub, path, v->keys[i]);
    rc = ec_hours_key(c, h, v->keys[i], v->items[i], sub);
  }
  if (rc == 0 && !h->time_zone)
    rc = parley_cfg_fail(c, v->line, path, "missing 'time_zone'");
  if (rc == 0 && (h->from_min >= h->until_min || !h->days))
    rc = parley_cfg_fail(c, v->line, path, "opening hours are empty (from must be before until)");
  return rc;
}

/* ---- sla: policies ---- */

static int ec_hours_index(const parley_conf_enrich_t *e, const char *name) {
  for (size_t i = 0; i < e->n_hours; i++)
    if (strcmp(e->hours[i].name, name) == 0)
      return (int)i;
  return -1;
}

static int ec_policy_key(parley_cfgctx_t *c, parley_conf_enrich_t *e, parley_conf_sla_policy_t *p,
                         const char *k, const parley_node_t *v, const char *path) {
  if (strcmp(k, "name") == 0)
    return parley_cfg_string(c, v, path, &p->match.name);
  if (strcmp(k, "match") == 0)
    return parley_cfg_match(c, &p->match, v, path);
  if (strcmp(k, "target") == 0) {
    int rc = parley_cfg_duration(c, v, path, &p->target_ms);
    if (rc == 0 && p->target_ms <= 0)
      rc = parley_cfg_fail(c, v->line, path, "the target must be longer than 0");
    return rc;
  }
  if (strcmp(k, "business_hours") == 0) {
    int rc = parley_cfg_expect(c, v, PARLEY_NODE_SCALAR, path, "the name of business hours");
    if (rc == 0 && (p->hours = ec_hours_index(e, v->value)) < 0)
      rc = parley_cfg_fail(c, v->line, path, "no business hours '%.60s' under enrich.sla.business_hours",
                           v->value);
    return rc;
  }
  return ec_unknown(c, v, path, "name, match, target, business_hours");
}

static int ec_policy_sets_ok(parley_cfgctx_t *c, parley_conf_enrich_t *e,
                             const parley_conf_sla_policy_t *p, const parley_node_t *n,
                             const char *path) {
  for (size_t i = 0; i < p->match.n_keyword_sets; i++)
    if (!ec_find_set(e, p->match.keyword_sets[i]))
      return parley_cfg_fail(c, n->line, path, "no keyword set '%.60s' under enrich.keywords",
                             p->match.keyword_sets[i]);
  return 0;
}

static int ec_policy(parley_cfgctx_t *c, parley_conf_enrich_t *e, const parley_node_t *n,
                     size_t index) {
  char path[64], sub[160];
  snprintf(path, sizeof path, "enrich.sla.policies[%zu]", index);
  parley_conf_sla_policy_t *p = &e->policies[e->n_policies++];
  parley_cfg_match_init(&p->match);
  p->hours = -1;
  p->match.line = n->line;
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_MAP, path, "a map with match and target");
  for (size_t i = 0; rc == 0 && i < n->count; i++) {
    parley_cfg_subpath(sub, sizeof sub, path, n->keys[i]);
    rc = ec_policy_key(c, e, p, n->keys[i], n->items[i], sub);
  }
  if (rc == 0 && p->target_ms == 0)
    rc = parley_cfg_fail(c, n->line, path, "missing 'target' (e.g. target: 1h)");
  if (rc == 0)
    rc = ec_policy_sets_ok(c, e, p, n, path);
  if (rc == 0 && !p->match.name && !(p->match.name = strdup(path + strlen("enrich.sla."))))
    rc = parley_cfg_nomem(c);
  return rc;
}

static int ec_policies(parley_cfgctx_t *c, parley_conf_enrich_t *e, const parley_node_t *n,
                       const char *path) {
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_SEQ, path, "a list of policies");
  if (rc == 0 && n->count && !(e->policies = calloc(n->count, sizeof *e->policies)))
    rc = parley_cfg_nomem(c);
  for (size_t i = 0; rc == 0 && i < n->count; i++)
    rc = ec_policy(c, e, n->items[i], i);
  return rc;
}

/* business_hours first: policies refer to them by name. */
static int ec_sla(parley_cfgctx_t *c, parley_conf_enrich_t *e, const parley_node_t *n) {
  static const char *const known = "enabled, business_hours, policies";
  char sub[160];
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_MAP, "enrich.sla", "a map");
  const parley_node_t *bh = parley_node_get(n, "business_hours");
  const parley_node_t *pol = parley_node_get(n, "policies");
  if (rc == 0 && bh)
    rc = ec_each(c, e, bh, "enrich.sla.business_hours", ec_hours);
  if (rc == 0 && pol && pol->type != PARLEY_NODE_NULL)
    rc = ec_policies(c, e, pol, "enrich.sla.policies");
  for (size_t i = 0; rc == 0 && i < n->count; i++) {
    const parley_node_t *v = n->items[i];
    parley_cfg_subpath(sub, sizeof sub, "enrich.sla", n->keys[i]);
    if (strcmp(n->keys[i], "enabled") == 0 && v->type != PARLEY_NODE_NULL)
      rc = parley_cfg_bool(c, v, sub, &e->sla_enabled);
    else if (strcmp(n->keys[i], "business_hours") && strcmp(n->keys[i], "policies") &&
             strcmp(n->keys[i], "enabled"))
      rc = ec_unknown(c, v, sub, known);
  }
  return rc;
}

/* Without policies: 30 minutes for priority 70 or more, 2 hours for a
 * private message, 1 hour for anything public (docs/enrichment.md#sla). */
static int ec_default_policies(parley_conf_enrich_t *e) {
  static const struct {
    const char *name;
    int min_priority, visibility;
    int64_t target_ms;
  } defaults[] = {
      {"urgent", 70, -1, 30 * 60000},
      {"private", -1, PARLEY_VISIBILITY_PRIVATE, 120 * 60000},
      {"public", -1, -1, 60 * 60000},
  };
  size_t n = sizeof defaults / sizeof *defaults;
  if (!(e->policies = calloc(n, sizeof *e->policies)))
    return PARLEY_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    parley_conf_sla_policy_t *p = &e->policies[e->n_policies++];
    parley_cfg_match_init(&p->match);
    p->match.min_priority = defaults[i].min_priority;
    p->match.visibility = defaults[i].visibility;
    p->target_ms = defaults[i].target_ms;
    p->hours = -1;
    if (!(p->match.name = strdup(defaults[i].name)))
      return PARLEY_ENOMEM;
  }
  return 0;
}

/* ---- the section ---- */

static parley_conf_enrich_t *ec_defaults(void) {
  parley_conf_enrich_t *e = calloc(1, sizeof *e);
  if (!e)
    return NULL;
  e->lang_enabled = 1;
  e->lang_min_confidence = 0.5;
  e->sentiment_enabled = 1;
  e->sla_enabled = 1;
  e->priority = (parley_conf_priority_t){.enabled = 1, .base = 10, .followers = 25,
                                         .followers_max = 1000000, .verified = 10,
                                         .negative = 25, .direct_message = 15,
                                         .answered_thread = 10};
  return e;
}

static const char *const ec_sections = "language, sentiment, keywords, priority, sla";

/* keywords before priority and sla, which refer to the sets by name. */
static int ec_sections_read(parley_cfgctx_t *c, parley_conf_enrich_t *e, const parley_node_t *n) {
  static const struct {
    const char *key;
    ec_key_fn fn;
  } order[] = {{"language", ec_language}, {"sentiment", ec_sentiment},
               {"keywords", ec_keywords}, {"priority", ec_priority}};
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < n->count; i++) {
    int known = strcmp(n->keys[i], "sla") == 0;
    for (size_t k = 0; k < sizeof order / sizeof *order; k++)
      known |= strcmp(n->keys[i], order[k].key) == 0;
    if (!known)
      rc = parley_cfg_fail(c, n->items[i]->line, "enrich", "unknown key '%.60s' (known keys: %s)",
                           n->keys[i], ec_sections);
  }
  for (size_t k = 0; rc == 0 && k < sizeof order / sizeof *order; k++) {
    const parley_node_t *v = parley_node_get(n, order[k].key);
    char path[64];
    snprintf(path, sizeof path, "enrich.%s", order[k].key);
    if (v)
      rc = ec_each(c, e, v, path, order[k].fn);
  }
  const parley_node_t *sla = parley_node_get(n, "sla");
  if (rc == 0 && sla && sla->type != PARLEY_NODE_NULL)
    rc = ec_sla(c, e, sla);
  return rc;
}

int parley_conf_enrich_parse(const parley_node_t *n, const char *source,
                             parley_conf_enrich_t **out, parley_error_t *err) {
  parley_cfgctx_t c = {.source = source ? source : "<config>", .err = err};
  parley_conf_enrich_t *e = ec_defaults();
  if (!e)
    return parley_cfg_nomem(&c);
  int rc = 0;
  if (n && n->type != PARLEY_NODE_NULL) {
    rc = parley_cfg_expect(&c, n, PARLEY_NODE_MAP, "enrich", "a map");
    if (rc == 0)
      rc = ec_sections_read(&c, e, n);
  }
  if (rc == 0 && !e->policies && ec_default_policies(e) != 0)
    rc = parley_cfg_nomem(&c);
  for (size_t i = 0; rc == 0 && i < e->n_sets; i++)
    if (e->sets[i].points < 0)
      e->sets[i].points = parley_conf_kwset_default_points(e->sets[i].name);
  if (rc != 0) {
    parley_conf_enrich_free(e);
    return rc;
  }
  *out = e;
  return 0;
}

void parley_conf_enrich_free(parley_conf_enrich_t *e) {
  if (!e)
    return;
  free(e->lexicons);
  for (size_t i = 0; i < e->n_sets; i++) {
    free(e->sets[i].name);
    parley_cfg_strv_free(e->sets[i].terms, e->sets[i].n_terms);
  }
  free(e->sets);
  for (size_t i = 0; i < e->n_hours; i++) {
    free(e->hours[i].name);
    free(e->hours[i].time_zone);
  }
  free(e->hours);
  for (size_t i = 0; i < e->n_policies; i++)
    parley_cfg_match_clear(&e->policies[i].match);
  free(e->policies);
  free(e);
}

int parley_conf_kwset_default_points(const char *name) {
  static const struct {
    const char *name;
    int points;
  } known[] = {{"churn", 20}, {"legal", 30}, {"safety", 40}, {"competitor", 10}};
  for (size_t i = 0; i < sizeof known / sizeof *known; i++)
    if (strcmp(name, known[i].name) == 0)
      return known[i].points;
  return 0;
}
