/* parley SDK — platform time formats, on top of parley/time.h.
 *
 * Times are int64 milliseconds since the Unix epoch, UTC (as in
 * parley/time.h). Every parser returns 0 and sets *ms, or PARLEY_EPARSE
 * (PARLEY_EINVAL for NULL arguments) and leaves *ms unchanged.
 */
#ifndef PARLEY_SDK_TIME_H
#define PARLEY_SDK_TIME_H

#include <stdint.h>

#include <jansson.h>

#include "parley/time.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ISO 8601 / RFC 3339 as platforms send it: Twitter v2
 * "2024-05-13T09:21:07.000Z", Meta "2026-11-23T09:20:06+0000",
 * "...+01:00". (parley_time_parse under an SDK name.) */
int parley_sdk_time_parse_iso(const char *s, int64_t *ms);

/* Twitter v1.1 / Account Activity: "Wed Oct 10 20:19:24 +0000 2018". The
 * weekday must be a weekday name but is not checked against the date. */
int parley_sdk_time_parse_twitter(const char *s, int64_t *ms);

/* HTTP-date (RFC 9110 5.6.7) as in Retry-After: IMF-fixdate
 * "Sun, 06 Nov 1994 08:49:37 GMT" and asctime "Sun Nov  6 08:49:37 1994".
 * (The obsolete RFC 850 form is not accepted.) */
int parley_sdk_time_parse_http(const char *s, int64_t *ms);

/* Epoch seconds or milliseconds written as decimal digits ("1715592067000",
 * "1704110400"): values below 10^11 are seconds (parley_time_from_epoch).
 * 0 (platforms' "none") and a value past 9999-12-31 (PARLEY_TIME_MAX_MS),
 * which no event can carry, are PARLEY_EPARSE. */
int parley_sdk_time_parse_epoch(const char *s, int64_t *ms);

/* Any of the above, tried in that order. */
int parley_sdk_time_parse_any(const char *s, int64_t *ms);

/* A time field of a payload: a string in any format above, or a JSON number
 * of epoch seconds or milliseconds (webhooks: Meta entry.time, TikTok
 * create_time, LinkedIn lastModifiedAt). PARLEY_ENOENT when missing;
 * PARLEY_EPARSE for numbers that are not positive and, as above, times past
 * year 9999. */
int parley_sdk_time_from_json(const json_t *root, const char *path, int64_t *ms);

/* The next 00:00:00.000 UTC strictly after now_ms (LinkedIn's daily limits
 * reset then). */
int64_t parley_sdk_time_next_utc_midnight(int64_t now_ms);

#ifdef __cplusplus
}
#endif
#endif
