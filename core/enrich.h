/* parley core — the enrichment stage (docs/enrichment.md): between the
 * connector and the journal, fill the care signals an inbound event lacks:
 * lang (+ lang_confidence), sentiment, keyword sets, priority, SLA due.
 * Connectors keep what they set; a failing step is counted and the event
 * goes on unchanged by it — enrichment never drops or delays an event.
 * Every step is bounded CPU work. Not thread-safe: the router calls it
 * from one thread at a time (its prepare thread). Internal. */
#ifndef PARLEY_CORE_ENRICH_H
#define PARLEY_CORE_ENRICH_H

#include <parley/event.h>

#include "metrics.h"
#include "node.h"

typedef struct parley_enrich parley_enrich_t;

/* Build the stage from the config's enrich: node (NULL node: every
 * default), loading lexicons and preparing keyword sets and time zones.
 * Counters go to m (not owned). On success the caller owns *out. */
int parley_enrich_new(const parley_node_t *conf, const char *source, parley_metrics_t *m,
                      parley_enrich_t **out, parley_error_t *err);
void parley_enrich_free(parley_enrich_t *e); /* NULL is fine */

/* Fill what ev lacks. Outbound events are remembered (their conversation
 * counts as answered for the priority formula) and otherwise left alone. */
void parley_enrich_event(parley_enrich_t *e, parley_event_t *ev);
/* Add what the steps counted since the last flush to the metrics; call it
 * on the thread that reads the metrics, while no event is being enriched. */
void parley_enrich_flush(parley_enrich_t *e); /* NULL is fine */

#endif
