/* parley core — live care metrics (care_live.h). The router feeds every
 * committed event; this keeps, per conversation seen since the process
 * started, when its customer started waiting and when its current episode
 * began, and turns brand answers and resolutions into histogram
 * observations. The definitions follow the store's report (care.c,
 * docs/care-metrics.md) as far as a stream allows: events are taken in the
 * order they are committed, with their created_at times.
 *
 * Memory is bounded: at most PARLEY_CARE_LIVE_MAX conversations (the least
 * recently active forgotten first, counted), PARLEY_CARE_LIVE_PLATFORMS
 * platform and PARLEY_CARE_LIVE_AGENTS agent label values (more share the
 * value "(other)"). */
#include "care_live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/error.h"
#include "util.h"

#define PARLEY_CARE_LIVE_MAX 65536
#define PARLEY_CARE_LIVE_PLATFORMS 64
#define PARLEY_CARE_LIVE_AGENTS 256
#define CARE_BUCKETS 16384 /* hash buckets, a power of two */
#define CARE_OTHER "(other)"
#define CARE_LABEL_MAX 512

/* Care times span a minute to a week: the buckets a support lead asks
 * about ("answered within 5 minutes, within an hour, within a day"). */
static const double care_bounds[] = {60,    300,   900,   1800,   3600,  7200,
                                     14400, 28800, 86400, 172800, 604800};
#define CARE_NBOUNDS (sizeof care_bounds / sizeof care_bounds[0])

typedef struct care_platform {
  char *name;
  parley_histogram_t *first, *response, *handling;
  uint64_t *within, *after, *messages;
  double *open, *oldest;
  size_t n_open;      /* refresh scratch */
  int64_t oldest_ms;  /* refresh scratch */
} care_platform_t;

typedef struct care_conv {
  char *id;
  care_platform_t *plat;
  int64_t episode_ms;   /* first customer message since the last resolution */
  int64_t wait_ms;      /* earliest unanswered customer message; 0: not waiting */
  int64_t last_out_ms;  /* latest brand answer */
  int64_t first_sla_ms; /* sla_due of the conversation's first customer message; 0 none */
  int first_pending;    /* its first wait is not answered yet */
  struct care_conv *hnext;        /* hash chain */
  struct care_conv *older, *newer; /* activity order */
} care_conv_t;

struct parley_care_live {
  parley_metrics_t *m;
  care_conv_t *buckets[CARE_BUCKETS];
  care_conv_t *oldest, *newest;
  size_t n;
  care_platform_t plats[PARLEY_CARE_LIVE_PLATFORMS + 1]; /* the last one is "(other)" */
  size_t n_plats;
  char *agents[PARLEY_CARE_LIVE_AGENTS];
  size_t n_agents;
  uint64_t *forgotten;
};

static const char *const care_help[][2] = {
    {"parley_first_response_seconds",
     "Time from a conversation's first customer message to the brand's first answer."},
    {"parley_response_seconds",
     "Time from the earliest waiting customer message to the brand answer that ends the wait."},
    {"parley_handling_seconds",
     "Time from the first customer message of an episode to the conversation's resolution."},
    {"parley_answered_within_sla_total",
     "First responses at or before the first customer message's sla_due."},
    {"parley_answered_after_sla_total",
     "First responses after the first customer message's sla_due."},
    {"parley_customer_messages_total", "Customer (inbound) messages committed: the demand."},
    {"parley_open_conversations", "Conversations waiting for a brand answer (seen since start)."},
    {"parley_oldest_open_conversation_seconds",
     "How long the longest-waiting conversation has waited (0 when none)."},
    {"parley_resolved_total", "Conversations resolved, by the agent who resolved them."},
    {"parley_care_conversations_forgotten_total",
     "Conversations the live care metrics stopped tracking (memory bound)."},
};

/* ---- platforms and agents ---- */

static int platform_init(parley_care_live_t *c, care_platform_t *p, const char *name) {
  char labels[CARE_LABEL_MAX];
  if (parley_metrics_label(labels, sizeof labels, "platform", name) < 0 ||
      !(p->name = parley_strdup(name)))
    return PARLEY_ENOMEM;
  parley_metrics_t *m = c->m;
  p->first = parley_metrics_histogram(m, "parley_first_response_seconds", labels, care_bounds,
                                      CARE_NBOUNDS);
  p->response =
      parley_metrics_histogram(m, "parley_response_seconds", labels, care_bounds, CARE_NBOUNDS);
  p->handling =
      parley_metrics_histogram(m, "parley_handling_seconds", labels, care_bounds, CARE_NBOUNDS);
  p->within = parley_metrics_counter(m, "parley_answered_within_sla_total", labels);
  p->after = parley_metrics_counter(m, "parley_answered_after_sla_total", labels);
  p->messages = parley_metrics_counter(m, "parley_customer_messages_total", labels);
  p->open = parley_metrics_gauge(m, "parley_open_conversations", labels);
  p->oldest = parley_metrics_gauge(m, "parley_oldest_open_conversation_seconds", labels);
  if (!p->first || !p->response || !p->handling || !p->within || !p->after || !p->messages ||
      !p->open || !p->oldest) {
    free(p->name);
    memset(p, 0, sizeof *p);
    return PARLEY_ENOMEM;
  }
  return 0;
}

/* The platform's metrics, created on first sight; NULL only when out of
 * memory. Past the cap, platforms share "(other)". */
static care_platform_t *platform(parley_care_live_t *c, const char *name) {
  name = name && *name ? name : "unknown";
  for (size_t i = 0; i < c->n_plats; i++)
    if (strcmp(c->plats[i].name, name) == 0)
      return &c->plats[i];
  care_platform_t *other = &c->plats[PARLEY_CARE_LIVE_PLATFORMS];
  if (c->n_plats == PARLEY_CARE_LIVE_PLATFORMS) {
    if (!other->name && platform_init(c, other, CARE_OTHER) != 0)
      return NULL;
    return other;
  }
  if (platform_init(c, &c->plats[c->n_plats], name) != 0)
    return NULL;
  return &c->plats[c->n_plats++];
}

static const char *agent_value(parley_care_live_t *c, const char *agent) {
  for (size_t i = 0; i < c->n_agents; i++)
    if (strcmp(c->agents[i], agent) == 0)
      return c->agents[i];
  if (c->n_agents == PARLEY_CARE_LIVE_AGENTS || !(c->agents[c->n_agents] = parley_strdup(agent)))
    return CARE_OTHER;
  return c->agents[c->n_agents++];
}

/* ---- conversations ---- */

static size_t hash(const char *s) {
  size_t h = 2166136261u; /* FNV-1a */
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 16777619u;
  return h & (CARE_BUCKETS - 1);
}

static care_conv_t *conv_find(parley_care_live_t *c, const char *id) {
  for (care_conv_t *v = c->buckets[hash(id)]; v; v = v->hnext)
    if (strcmp(v->id, id) == 0)
      return v;
  return NULL;
}

static void order_unlink(parley_care_live_t *c, care_conv_t *v) {
  if (v->older)
    v->older->newer = v->newer;
  else
    c->oldest = v->newer;
  if (v->newer)
    v->newer->older = v->older;
  else
    c->newest = v->older;
  v->older = v->newer = NULL;
}

static void order_append(parley_care_live_t *c, care_conv_t *v) {
  v->older = c->newest;
  v->newer = NULL;
  if (c->newest)
    c->newest->newer = v;
  else
    c->oldest = v;
  c->newest = v;
}

static void touch(parley_care_live_t *c, care_conv_t *v) {
  order_unlink(c, v);
  order_append(c, v);
}

static void conv_remove(parley_care_live_t *c, care_conv_t *v) {
  care_conv_t **slot = &c->buckets[hash(v->id)];
  while (*slot != v)
    slot = &(*slot)->hnext;
  *slot = v->hnext;
  order_unlink(c, v);
  c->n--;
  free(v->id);
  free(v);
}

static care_conv_t *conv_add(parley_care_live_t *c, const char *id, care_platform_t *p) {
  if (c->n >= PARLEY_CARE_LIVE_MAX) {
    conv_remove(c, c->oldest);
    if (c->forgotten)
      (*c->forgotten)++;
  }
  care_conv_t *v = calloc(1, sizeof *v);
  if (!v || !(v->id = parley_strdup(id))) {
    free(v);
    return NULL;
  }
  v->plat = p;
  v->first_pending = 1;
  size_t b = hash(id);
  v->hnext = c->buckets[b];
  c->buckets[b] = v;
  order_append(c, v);
  c->n++;
  return v;
}

/* The conversation an event belongs to, as the sqlite store decides it: its
 * conversation_id; else the message it answers when that one is a
 * conversation of its own (a lone mention); else its own id. */
static const char *conv_key(parley_care_live_t *c, const parley_event_t *ev) {
  const char *conv = parley_event_conversation_id(ev);
  if (conv)
    return conv;
  const char *parent = parley_event_in_reply_to(ev);
  if (parent && conv_find(c, parent))
    return parent;
  return parley_event_id(ev);
}

/* ---- life cycle ---- */

parley_care_live_t *parley_care_live_new(parley_metrics_t *m) {
  parley_care_live_t *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->m = m;
  for (size_t i = 0; i < sizeof care_help / sizeof care_help[0]; i++)
    if (parley_metrics_help(m, care_help[i][0], care_help[i][1]) != 0) {
      free(c);
      return NULL;
    }
  c->forgotten = parley_metrics_counter(m, "parley_care_conversations_forgotten_total", NULL);
  if (!c->forgotten) {
    free(c);
    return NULL;
  }
  return c;
}

void parley_care_live_free(parley_care_live_t *c) {
  if (!c)
    return;
  while (c->oldest)
    conv_remove(c, c->oldest);
  for (size_t i = 0; i <= PARLEY_CARE_LIVE_PLATFORMS; i++)
    free(c->plats[i].name);
  for (size_t i = 0; i < c->n_agents; i++)
    free(c->agents[i]);
  free(c);
}

/* ---- events ---- */

static int is_customer_message(parley_kind_t k) {
  return k != PARLEY_KIND_OUTBOUND && k != PARLEY_KIND_SYSTEM && k != PARLEY_KIND_REACTION &&
         k != PARLEY_KIND_EDITED && k != PARLEY_KIND_DELETED;
}

static void customer_message(parley_care_live_t *c, const parley_event_t *ev) {
  care_platform_t *p = platform(c, parley_event_platform(ev));
  if (!p)
    return;
  (*p->messages)++;
  const char *key = conv_key(c, ev);
  int64_t t = parley_event_created_at(ev);
  care_conv_t *v = conv_find(c, key);
  if (!v) {
    if (!(v = conv_add(c, key, p)))
      return;
    v->first_sla_ms = parley_event_sla_due(ev);
  }
  touch(c, v);
  if (!v->episode_ms || t < v->episode_ms)
    v->episode_ms = t;
  /* A message older than an answer already seen was answered by it (the
   * platform delivered it late): it starts no wait. */
  if (t < v->last_out_ms)
    return;
  if (!v->wait_ms || t < v->wait_ms)
    v->wait_ms = t;
}

static void brand_answer(parley_care_live_t *c, const parley_event_t *ev) {
  const char *key = conv_key(c, ev);
  care_conv_t *v = conv_find(c, key);
  int64_t t = parley_event_created_at(ev);
  if (!v) {
    /* Brand-initiated, or the answer arrived before the message it answers
     * (two sources, a webhook and a poll): nothing waited, but remember the
     * answer so that the late message starts no wait. Its first response is
     * this one, as in the store (first_response_at). */
    care_platform_t *p = platform(c, parley_event_platform(ev));
    if (!p || !(v = conv_add(c, key, p)))
      return;
    v->first_pending = 0;
    v->last_out_ms = t;
    touch(c, v);
    return;
  }
  touch(c, v);
  if (t > v->last_out_ms)
    v->last_out_ms = t;
  if (!v->wait_ms || t < v->wait_ms)
    return; /* older than the wait: it answered something before */
  double s = (double)(t - v->wait_ms) / 1000.0;
  parley_histogram_observe(v->plat->response, s);
  if (v->first_pending) {
    parley_histogram_observe(v->plat->first, s);
    if (v->first_sla_ms)
      (*(t <= v->first_sla_ms ? v->plat->within : v->plat->after))++;
    v->first_pending = 0;
  }
  v->wait_ms = 0;
}

void parley_care_live_event(parley_care_live_t *c, const parley_event_t *ev) {
  if (!c || !ev)
    return;
  parley_kind_t k = parley_event_kind(ev);
  if (k == PARLEY_KIND_OUTBOUND)
    brand_answer(c, ev);
  else if (is_customer_message(k))
    customer_message(c, ev);
}

void parley_care_live_resolved(parley_care_live_t *c, const char *conversation_id,
                               const char *platform_name, const char *agent, int64_t at_ms) {
  if (!c)
    return;
  char labels[CARE_LABEL_MAX] = "";
  if (agent && *agent &&
      parley_metrics_label(labels, sizeof labels, "agent", agent_value(c, agent)) < 0)
    parley_metrics_label(labels, sizeof labels, "agent", CARE_OTHER);
  parley_metrics_add(c->m, "parley_resolved_total", labels[0] ? labels : NULL, 1);
  care_conv_t *v = conversation_id ? conv_find(c, conversation_id) : NULL;
  if (!v)
    return;
  care_platform_t *p = platform_name && *platform_name ? platform(c, platform_name) : NULL;
  if (v->episode_ms && at_ms >= v->episode_ms)
    parley_histogram_observe((p ? p : v->plat)->handling,
                             (double)(at_ms - v->episode_ms) / 1000.0);
  /* Resolved: nothing waits any more; a new message starts a new episode
   * (and its first answer is a response, not a first response). */
  v->wait_ms = 0;
  v->episode_ms = 0;
  v->first_pending = 0;
  touch(c, v);
}

void parley_care_live_refresh(parley_care_live_t *c, int64_t now_ms) {
  if (!c)
    return;
  for (size_t i = 0; i <= PARLEY_CARE_LIVE_PLATFORMS; i++) {
    c->plats[i].n_open = 0;
    c->plats[i].oldest_ms = 0;
  }
  for (const care_conv_t *v = c->oldest; v; v = v->newer) {
    if (!v->wait_ms)
      continue;
    care_platform_t *p = v->plat;
    p->n_open++;
    if (!p->oldest_ms || v->wait_ms < p->oldest_ms)
      p->oldest_ms = v->wait_ms;
  }
  for (size_t i = 0; i <= PARLEY_CARE_LIVE_PLATFORMS; i++) {
    care_platform_t *p = &c->plats[i];
    if (!p->name)
      continue;
    *p->open = (double)p->n_open;
    *p->oldest = p->n_open && now_ms > p->oldest_ms ? (double)(now_ms - p->oldest_ms) / 1000.0 : 0;
  }
}
