/* parley SDK — the error object of a failed platform call.
 *
 * parley_sdk_error_parse() reads an HTTP status and a response body the way
 * each platform reports failures, and says what a caller needs to decide:
 * re-authenticate (is_auth), wait (is_rate_limit, retry_after_ms), retry
 * later (is_transient), or give up.
 *
 * Bodies understood (see the platform notes in shared/platforms):
 * - TWITTER: v2 problem+json {title, detail, type, status} (platform_code =
 *   the problem type without "https://api.twitter.com/2/problems/", or the
 *   title when the type is about:blank), v1.1 {"errors":[{code, message}]},
 *   OAuth {"error", "error_description"}. Auth: 401, v1.1 codes 32, 89, 135,
 *   215. Rate limit: 429, code 88; a "usage-capped" 429 is is_rate_limit and
 *   is_usage_cap (do not retry before the next billing period). Transient:
 *   5xx, codes 130, 131.
 * - META: {"error":{message, type, code, error_subcode, is_transient}}; also
 *   on a 2xx. Auth: code 190 (any subcode), 102. Rate limit: 4, 17, 32, 341,
 *   613, 80001..80099. Transient: 1, 2, is_transient true, 5xx.
 * - LINKEDIN: {status, serviceErrorCode, code, message}; platform_code is
 *   `code` or else serviceErrorCode. Auth: 401. Rate limit: 429; when the
 *   message names a DAY limit, retry_after_ms runs to the next UTC midnight.
 * - TIKTOK: Business envelope {code, message, request_id} (code 0 is
 *   success, even on HTTP 200 every other code is a failure); Developers v2
 *   {"error":{code, message, log_id}} (code "ok" is success). Auth: 40101,
 *   40102, 40104, 40105 and any other 401xx except 40100, the v2 codes
 *   access_token_invalid, scope_not_authorized, scope_permission_missed.
 *   Rate limit: 40100, rate_limit_exceeded. Transient: 40700 and above,
 *   5xxxx, internal_error, 5xx.
 * - GENERIC: status only (401 auth, 429 rate limit, 5xx transient), plus
 *   whichever of the shapes above the body happens to have.
 * Malformed or non-JSON bodies never fail the parse: the status decides and
 * the message says the body could not be read.
 */
#ifndef PARLEY_SDK_ERROR_H
#define PARLEY_SDK_ERROR_H

#include <stddef.h>
#include <stdint.h>

#include "parley/error.h"
#include "parley/sdk/platform.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PARLEY_SDK_CODE_MAX 64

typedef struct parley_sdk_error {
  int code;              /* PARLEY_EAUTH, PARLEY_ERATELIMIT, PARLEY_EPLATFORM
                            (refused, don't retry), PARLEY_EHTTP (transient),
                            PARLEY_ENETWORK, PARLEY_ETIMEDOUT, PARLEY_ETOOBIG,
                            PARLEY_EPARSE, PARLEY_ECANCELED; 0 = no error */
  long http_status;      /* 0 when there was no HTTP answer */
  char platform_code[PARLEY_SDK_CODE_MAX];    /* "190", "88", "usage-capped", "" */
  char platform_subcode[PARLEY_SDK_CODE_MAX]; /* Meta error_subcode, "" */
  char message[PARLEY_ERROR_MAX];             /* platform's message, no secrets */
  int64_t retry_after_ms; /* how long to wait before calling again, -1 unknown */
  int is_auth;            /* token expired/invalid/revoked: re-authenticate */
  int is_rate_limit;      /* throttled: wait, then retry */
  int is_usage_cap;       /* a quota that will not come back soon (Twitter) */
  int is_transient;       /* worth retrying with backoff */
} parley_sdk_error_t;

void parley_sdk_error_init(parley_sdk_error_t *e);

/* Classify a response. now_ms (wall) is used for LinkedIn's daily reset.
 * Returns 0 when the call succeeded (2xx and no error in the envelope; e is
 * then cleared), or the PARLEY_E* code also stored in e->code. Never fails on
 * a malformed body. */
int parley_sdk_error_parse(parley_sdk_platform_t platform, long http_status,
                           const char *body, size_t len, int64_t now_ms,
                           parley_sdk_error_t *e);

/* Fill e for a failure without an HTTP answer (status is the host's
 * PARLEY_E* transport code, detail its text, may be NULL). */
void parley_sdk_error_transport(parley_sdk_error_t *e, int status, const char *detail);

/* Copy into a parley_error_t: "<context>: HTTP 401 [190/463]: <message>". */
int parley_sdk_error_to_parley(const parley_sdk_error_t *e, const char *context,
                               parley_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
