/* parley — time helpers shared by the core, the SDK and connectors.
 * Times are int64 milliseconds since the Unix epoch, UTC. */
#ifndef PARLEY_TIME_H
#define PARLEY_TIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the range a four-digit
 * RFC 3339 year can express, and so the range of every time an event carries
 * (parley_event_validate refuses others). */
#define PARLEY_TIME_MIN_MS (-62167219200000LL)
#define PARLEY_TIME_MAX_MS (253402300799999LL)

/* Size of a buffer that holds any formatted time, NUL included. */
#define PARLEY_TIME_MAX 32

/* Format as RFC 3339 UTC with milliseconds: "2026-11-23T09:20:06.123Z".
 * buf must hold PARLEY_TIME_MAX bytes. Returns the length. */
int parley_time_format(int64_t ms, char *buf, size_t buflen);

/* Parse RFC 3339 / ISO 8601 date-times as platforms send them:
 * "2026-11-23T09:20:06Z", "...06.123Z", "...06+0000", "...06+01:00",
 * "...06.000+0000". Returns 0 and *ms, or PARLEY_EPARSE. */
int parley_time_parse(const char *s, int64_t *ms);

/* Epoch seconds or milliseconds as platforms send them (values below
 * 100000000000 are taken as seconds). */
int64_t parley_time_from_epoch(int64_t value);

/* The wall clock now, in ms. */
int64_t parley_time_now(void);

#ifdef __cplusplus
}
#endif
#endif
