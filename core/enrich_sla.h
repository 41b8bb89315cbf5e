/* parley core — SLA clocks: a due time is the message's created_at plus
 * its policy's target, counted only inside the policy's business hours
 * when it names some (local time of their time zone, daylight saving time
 * included, through ICU's calendar). Internal. */
#ifndef PARLEY_CORE_ENRICH_SLA_H
#define PARLEY_CORE_ENRICH_SLA_H

#include <stdint.h>

#include "config_enrich.h"

typedef struct parley_sla_clock parley_sla_clock_t;

/* A clock for hours (NULL: around the clock). NULL on ENOMEM or when ICU
 * does not know the time zone (checked at config load already). */
parley_sla_clock_t *parley_sla_clock_new(const parley_conf_hours_t *hours);
void parley_sla_clock_free(parley_sla_clock_t *c);

/* start_ms + target_ms of open time (Unix ms). Not thread-safe: one
 * clock belongs to one loop. */
int64_t parley_sla_clock_add(parley_sla_clock_t *c, int64_t start_ms, int64_t target_ms);

#endif
