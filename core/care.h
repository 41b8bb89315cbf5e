/* parley core — care metrics computed from a conversation store (the
 * sqlite output's database): what a support lead reads. Used by
 * GET /v1/care and by parley-report, so both give the same figures for the
 * same period. Definitions (exact ones: docs/care-metrics.md):
 * - demand: inbound (customer) messages, per hour;
 * - first response time: a conversation's first brand outbound created_at
 *   minus its first inbound created_at (conversations whose first inbound
 *   is in the period; one resolved before any answer has none);
 * - response time: every outbound answering one or more waiting inbound
 *   messages, minus the earliest of them;
 * - handling time: resolved_at minus the first inbound of the episode the
 *   resolution ends (the conversation's first inbound, or the first one
 *   after its previous resolution);
 * - open: conversations not answered or resolved at `until`, and their age;
 *   unresolved: not resolved at `until`;
 * - resolved per agent; within SLA: share of first responses at or before
 *   the first inbound message's signals.sla_due.
 * Each overall and per platform; times as mean, median, p90 (linear
 * interpolation). Internal. */
#ifndef PARLEY_CORE_CARE_H
#define PARLEY_CORE_CARE_H

#include <jansson.h>
#include <stddef.h>
#include <sqlite3.h>

typedef struct parley_error parley_error_t;

/* The care figures of [since, until) (ISO-8601 UTC strings as stored,
 * e.g. "2026-11-23T00:00:00Z"; NULL since = the beginning, NULL until =
 * now) from the store db (opened read-only by the caller). On success
 * *out is a new "parley.care.v1" JSON object the caller decrefs. */
int parley_care_compute(sqlite3 *db, const char *since, const char *until, json_t **out,
                        parley_error_t *err);
/* Errors: PARLEY_EINVAL for a since/until that is not an ISO-8601 time or
 * a since not before until (the message starts with "since: " or
 * "until: "); PARLEY_EIO when the store cannot be read (e.g. a store
 * without the v2 schema), with SQLite's message; PARLEY_ENOMEM. */

/* The p-quantile (0 <= p <= 1) of n ascending values by linear
 * interpolation between closest ranks (R's type 7): NAN when n is 0. */
double parley_care_percentile(const double *sorted, size_t n, double p);

#endif
