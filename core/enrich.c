/* parley core — the enrichment stage (enrich.h): language, sentiment,
 * keyword sets, priority, SLA due, in that order (each step reads what the
 * ones before it filled). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_enrich.h"
#include "enrich.h"
#include "enrich_keywords.h"
#include "enrich_lang.h"
#include "enrich_priority.h"
#include "enrich_sentiment.h"
#include "enrich_sla.h"
#include "log.h"
#include "router.h"

/* Conversations the brand answered, remembered for the priority formula:
 * two generations of ANSWERED_CAP hashes each, the older dropped when the
 * newer fills, so memory stays bounded and recent answers are kept. */
#define ANSWERED_CAP 32768

typedef struct answered_gen {
  uint64_t *slots; /* 2 * ANSWERED_CAP, 0 = empty */
  size_t used;
} answered_gen_t;

typedef enum { ST_LANG, ST_SENTIMENT, ST_KEYWORDS, ST_PRIORITY, ST_SLA, ST_COUNT } step_t;
static const char *const step_names[ST_COUNT] = {"lang", "sentiment", "keywords", "priority",
                                                 "sla"};

struct parley_enrich {
  parley_conf_enrich_t *conf;
  parley_sentiment_t *sentiment;
  parley_keywords_t *keywords;
  parley_sla_clock_t **clocks;   /* one per policy */
  unsigned char *matched;        /* one per keyword set, scratch */
  answered_gen_t answered[2];    /* [0] newer */
  /* Counted here, in the thread that enriches, and added to the metrics
   * by parley_enrich_flush() on the loop: the two never touch one counter. */
  uint64_t *filled[ST_COUNT];    /* parley_enrich_filled_total{step} */
  uint64_t *kept[ST_COUNT];      /* the connector had set it */
  uint64_t *failed[ST_COUNT];    /* could not fill it (counted, event goes on) */
  uint64_t counts[3][ST_COUNT];  /* what filled/kept/failed point into */
  uint64_t *metric[3][ST_COUNT]; /* the metrics counters */
};

/* ---- answered conversations ---- */

static uint64_t hash_id(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h ? h : 1;
}

static int gen_has(const answered_gen_t *g, uint64_t h) {
  size_t mask = 2 * ANSWERED_CAP - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    if (g->slots[i] == h)
      return 1;
    if (g->slots[i] == 0)
      return 0;
  }
}

static void gen_put(answered_gen_t *g, uint64_t h) {
  size_t mask = 2 * ANSWERED_CAP - 1;
  size_t i = h & mask;
  while (g->slots[i] != 0 && g->slots[i] != h)
    i = (i + 1) & mask;
  if (g->slots[i] == 0) {
    g->slots[i] = h;
    g->used++;
  }
}

static int answered_has(const parley_enrich_t *e, const char *conv) {
  uint64_t h = hash_id(conv);
  return gen_has(&e->answered[0], h) || gen_has(&e->answered[1], h);
}

static void answered_put(parley_enrich_t *e, const char *conv) {
  uint64_t h = hash_id(conv);
  if (gen_has(&e->answered[0], h))
    return;
  if (e->answered[0].used >= ANSWERED_CAP) {
    answered_gen_t old = e->answered[1];
    e->answered[1] = e->answered[0];
    memset(old.slots, 0, 2 * ANSWERED_CAP * sizeof *old.slots);
    old.used = 0;
    e->answered[0] = old;
  }
  gen_put(&e->answered[0], h);
}

/* ---- the steps ---- */

/* "und" (undetermined), "zxx" (no linguistic content) and the private-use
 * codes qaa-qtz, with which Twitter/X marks posts of only media (qme),
 * hashtags (qht) or mentions (qam), say the platform did not know. */
static int undetermined(const char *lang) {
  return strcmp(lang, "und") == 0 || strcmp(lang, "zxx") == 0 ||
         (strlen(lang) == 3 && lang[0] == 'q' && lang[1] >= 'a' && lang[1] <= 't');
}

static void step_lang(parley_enrich_t *e, parley_event_t *ev, const char *text) {
  parley_lang_guess_t g;
  const char *given = parley_event_lang(ev);
  if (given && !undetermined(given)) {
    (*e->kept[ST_LANG])++;
    return;
  }
  if (parley_lang_detect(text, strlen(text), e->conf->lang_min_confidence, &g) != 0 ||
      parley_event_set_lang(ev, g.code) != 0) {
    (*e->failed[ST_LANG])++;
    return;
  }
  parley_event_set_lang_confidence(ev, g.confidence);
  (*e->filled[ST_LANG])++;
}

/* "de-AT" scores with the "de" lexicon. */
static void primary_subtag(const char *lang, char *buf, size_t size) {
  size_t n = strcspn(lang, "-_");
  snprintf(buf, size, "%.*s", (int)n, lang);
}

static void step_sentiment(parley_enrich_t *e, parley_event_t *ev, const char *text) {
  const char *lang = parley_event_lang(ev);
  char primary[16];
  double score;
  if (!isnan(parley_event_sentiment(ev))) {
    (*e->kept[ST_SENTIMENT])++;
    return;
  }
  if (lang)
    primary_subtag(lang, primary, sizeof primary);
  if (!lang || parley_sentiment_score(e->sentiment, primary, text, strlen(text), &score) != 0) {
    (*e->failed[ST_SENTIMENT])++;
    return;
  }
  parley_event_set_sentiment(ev, score);
  (*e->filled[ST_SENTIMENT])++;
}

static int has_keyword(const parley_event_t *ev, const char *name) {
  size_t n = parley_event_keyword_count(ev);
  for (size_t i = 0; i < n; i++)
    if (strcmp(parley_event_keyword(ev, i), name) == 0)
      return 1;
  return 0;
}

/* Adds the matched sets' names; returns their priority points. */
static int step_keywords(parley_enrich_t *e, parley_event_t *ev, const char *text) {
  const parley_conf_enrich_t *c = e->conf;
  int points = 0;
  memset(e->matched, 0, c->n_sets ? c->n_sets : 1);
  int n = parley_keywords_match(e->keywords, text, strlen(text), e->matched);
  if (n < 0) {
    (*e->failed[ST_KEYWORDS])++;
    return 0;
  }
  for (size_t i = 0; i < c->n_sets; i++) {
    if (!e->matched[i])
      continue;
    points += c->sets[i].points;
    if (!has_keyword(ev, c->sets[i].name) && parley_event_add_keyword(ev, c->sets[i].name) != 0)
      (*e->failed[ST_KEYWORDS])++;
  }
  if (n > 0)
    (*e->filled[ST_KEYWORDS])++;
  return points;
}

static void step_priority(parley_enrich_t *e, parley_event_t *ev, int keyword_points) {
  if (parley_event_priority(ev) >= 0) {
    (*e->kept[ST_PRIORITY])++;
    return;
  }
  const char *conv = parley_event_conversation_id(ev);
  parley_priority_input_t in = {.answered_thread = conv && answered_has(e, conv),
                                .keyword_points = keyword_points};
  parley_event_set_priority(ev, parley_priority_compute(&e->conf->priority, ev, &in));
  (*e->filled[ST_PRIORITY])++;
}

static void step_sla(parley_enrich_t *e, parley_event_t *ev) {
  if (parley_event_sla_due(ev) != 0) {
    (*e->kept[ST_SLA])++;
    return;
  }
  int64_t start = parley_event_created_at(ev);
  if (start <= 0)
    start = parley_event_received_at(ev);
  for (size_t i = 0; i < e->conf->n_policies; i++) {
    const parley_conf_sla_policy_t *p = &e->conf->policies[i];
    if (!parley_route_matches(&p->match, ev))
      continue;
    parley_event_set_sla_due(ev, parley_sla_clock_add(e->clocks[i], start, p->target_ms));
    (*e->filled[ST_SLA])++;
    return;
  }
  (*e->failed[ST_SLA])++; /* no policy matched */
}

/* Messages from customers that ask for an answer; edits get the text
 * signals only, everything else none. */
static int wants_answer(parley_kind_t k) {
  return k == PARLEY_KIND_MENTION || k == PARLEY_KIND_COMMENT || k == PARLEY_KIND_REPLY ||
         k == PARLEY_KIND_DIRECT_MESSAGE || k == PARLEY_KIND_KEYWORD_MATCH;
}

void parley_enrich_event(parley_enrich_t *e, parley_event_t *ev) {
  parley_kind_t kind = parley_event_kind(ev);
  const char *conv = parley_event_conversation_id(ev);
  if (kind == PARLEY_KIND_OUTBOUND) {
    if (conv)
      answered_put(e, conv);
    return;
  }
  if (!wants_answer(kind) && kind != PARLEY_KIND_EDITED)
    return;
  const char *text = parley_event_text(ev) ? parley_event_text(ev) : "";
  const parley_conf_enrich_t *c = e->conf;
  if (c->lang_enabled && *text)
    step_lang(e, ev, text);
  if (c->sentiment_enabled && *text)
    step_sentiment(e, ev, text);
  int points = c->n_sets && *text ? step_keywords(e, ev, text) : 0;
  if (!wants_answer(kind))
    return;
  if (c->priority.enabled)
    step_priority(e, ev, points);
  if (c->sla_enabled)
    step_sla(e, ev);
}

/* ---- building ---- */

static int counters(parley_enrich_t *e, parley_metrics_t *m) {
  char labels[64];
  for (int s = 0; s < ST_COUNT; s++) {
    snprintf(labels, sizeof labels, "step=\"%s\"", step_names[s]);
    e->metric[0][s] = parley_metrics_counter(m, "parley_enrich_filled_total", labels);
    e->metric[1][s] = parley_metrics_counter(m, "parley_enrich_kept_total", labels);
    e->metric[2][s] = parley_metrics_counter(m, "parley_enrich_unfilled_total", labels);
    if (!e->metric[0][s] || !e->metric[1][s] || !e->metric[2][s])
      return PARLEY_ENOMEM;
    e->filled[s] = &e->counts[0][s];
    e->kept[s] = &e->counts[1][s];
    e->failed[s] = &e->counts[2][s];
  }
  return 0;
}

void parley_enrich_flush(parley_enrich_t *e) {
  for (int k = 0; e && k < 3; k++)
    for (int s = 0; s < ST_COUNT; s++) {
      *e->metric[k][s] += e->counts[k][s];
      e->counts[k][s] = 0;
    }
}

static int load_sentiment(parley_enrich_t *e, parley_error_t *err) {
  if (!e->conf->sentiment_enabled)
    return 0;
  const char *dir = e->conf->lexicons ? e->conf->lexicons : parley_sentiment_default_dir();
  return parley_sentiment_load(dir, NULL, &e->sentiment, err);
}

static int prepare(parley_enrich_t *e, parley_metrics_t *m, parley_error_t *err) {
  const parley_conf_enrich_t *c = e->conf;
  for (int g = 0; g < 2; g++)
    if (!(e->answered[g].slots = calloc(2 * ANSWERED_CAP, sizeof(uint64_t))))
      return PARLEY_ENOMEM;
  if (!(e->matched = calloc(c->n_sets ? c->n_sets : 1, 1)) ||
      !(e->keywords = parley_keywords_new(c->sets, c->n_sets)) ||
      !(e->clocks = calloc(c->n_policies ? c->n_policies : 1, sizeof *e->clocks)))
    return PARLEY_ENOMEM;
  for (size_t i = 0; i < c->n_policies; i++) {
    int h = c->policies[i].hours;
    if (!(e->clocks[i] = parley_sla_clock_new(h >= 0 ? &c->hours[h] : NULL)))
      return parley_error_set(err, PARLEY_ECONFIG, "enrich.sla: cannot open the time zone of %s",
                              c->policies[i].match.name);
  }
  int rc = counters(e, m);
  return rc ? rc : load_sentiment(e, err);
}

int parley_enrich_new(const parley_node_t *conf, const char *source, parley_metrics_t *m,
                      parley_enrich_t **out, parley_error_t *err) {
  parley_enrich_t *e = calloc(1, sizeof *e);
  if (!e)
    return PARLEY_ENOMEM;
  int rc = parley_conf_enrich_parse(conf, source, &e->conf, err);
  if (rc == 0)
    rc = prepare(e, m, err);
  if (rc != 0) {
    if (rc == PARLEY_ENOMEM && err && !err->message[0])
      parley_error_set(err, rc, "enrich: out of memory");
    parley_enrich_free(e);
    return rc;
  }
  parley_log(PARLEY_LOG_INFO, "enrich", "enrichment on: language by %s, %zu keyword sets, %zu SLA policies",
             parley_lang_backend(), e->conf->n_sets, e->conf->n_policies);
  *out = e;
  return 0;
}

void parley_enrich_free(parley_enrich_t *e) {
  if (!e)
    return;
  for (size_t i = 0; e->clocks && i < e->conf->n_policies; i++)
    parley_sla_clock_free(e->clocks[i]);
  free(e->clocks);
  parley_keywords_free(e->keywords);
  parley_sentiment_free(e->sentiment);
  free(e->matched);
  free(e->answered[0].slots);
  free(e->answered[1].slots);
  parley_conf_enrich_free(e->conf);
  free(e);
}
