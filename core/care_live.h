/* parley core — care metrics kept live in the router, for /metrics:
 * histograms of first response, response and handling time, counters of
 * answers within the SLA, gauges of open conversations and their age, per
 * platform. Fed with every committed event and with the store's state
 * changes (resolve). Bounded memory: conversations are tracked up to a cap
 * (65536), the least recently active forgotten first (counted in
 * parley_care_conversations_forgotten_total). Metric names and definitions:
 * docs/care-metrics.md. The figures over a period, computed from the
 * store, are core/care.h. Loop thread only. Internal. */
#ifndef PARLEY_CORE_CARE_LIVE_H
#define PARLEY_CORE_CARE_LIVE_H

#include <parley/event.h>

#include "metrics.h"

typedef struct parley_care_live parley_care_live_t;

/* A tracker writing into m (not owned, must outlive it); registers the
 * HELP texts of its metrics. NULL on ENOMEM. free(NULL) is a no-op, and so
 * are the calls below with c NULL. */
parley_care_live_t *parley_care_live_new(parley_metrics_t *m);
void parley_care_live_free(parley_care_live_t *c);

/* A committed event: inbound messages start or extend a wait, a brand
 * outbound ends it (first response / response time observed). Reactions,
 * edits and deletions change nothing. */
void parley_care_live_event(parley_care_live_t *c, const parley_event_t *ev);

/* The core resolved conversation_id at `at` (Unix ms) for agent (NULL:
 * none): counts parley_resolved_total{agent}, observes the handling time
 * when the conversation's episode is known, and ends its wait. platform
 * (NULL: the one its events had) labels the handling time. Strings are
 * not kept. */
void parley_care_live_resolved(parley_care_live_t *c, const char *conversation_id,
                               const char *platform, const char *agent, int64_t at_ms);

/* Refresh the open-conversation gauges (count, oldest age) as of now_ms;
 * called before /metrics is rendered. */
void parley_care_live_refresh(parley_care_live_t *c, int64_t now_ms);

#endif
