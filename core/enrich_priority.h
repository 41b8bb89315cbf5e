/* parley core — the priority formula (docs/enrichment.md#priority): an
 * integer 0-100 from the author's reach, the message's tone and channel,
 * the keyword sets it matched and whether the brand already answered in
 * the conversation. Internal. */
#ifndef PARLEY_CORE_ENRICH_PRIORITY_H
#define PARLEY_CORE_ENRICH_PRIORITY_H

#include <parley/event.h>

#include "config_enrich.h"

/* What the formula reads besides the event. */
typedef struct parley_priority_input {
  int answered_thread;   /* the brand answered in this conversation */
  int keyword_points;    /* sum of the matched sets' points */
} parley_priority_input_t;

int parley_priority_compute(const parley_conf_priority_t *w, const parley_event_t *ev,
                            const parley_priority_input_t *in);

#endif
