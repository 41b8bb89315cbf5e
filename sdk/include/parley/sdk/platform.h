/* parley SDK — the platforms whose conventions the SDK knows.
 *
 * The platform selects how error bodies are read (parley/sdk/error.h), which
 * auth header a token goes in, and how rate limits are reported. GENERIC
 * reads only HTTP-level signals (status, Retry-After, x-rate-limit-*), for
 * third-party connectors to platforms the SDK does not know.
 */
#ifndef PARLEY_SDK_PLATFORM_H
#define PARLEY_SDK_PLATFORM_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  PARLEY_SDK_GENERIC = 0,
  PARLEY_SDK_TWITTER,  /* X API v2 and v1.1 */
  PARLEY_SDK_META,     /* Graph API: Facebook Pages, Instagram */
  PARLEY_SDK_LINKEDIN, /* Rest.li /rest API */
  PARLEY_SDK_TIKTOK,   /* API for Business (envelope) and Developers v2 */
} parley_sdk_platform_t;

/* "generic", "twitter", "meta", "linkedin", "tiktok". */
const char *parley_sdk_platform_name(parley_sdk_platform_t p);
/* Accepts the names above plus "x", "facebook" and "instagram" (both META).
 * Returns 0 and sets *p, or PARLEY_EINVAL. */
int parley_sdk_platform_parse(const char *name, parley_sdk_platform_t *p);

#ifdef __cplusplus
}
#endif
#endif
