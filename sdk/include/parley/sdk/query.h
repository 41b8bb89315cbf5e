/* parley SDK — URL and form building with percent-encoding.
 *
 * Names and values are encoded per RFC 3986: every byte except the
 * unreserved set A-Z a-z 0-9 - . _ ~ becomes %XX (uppercase hex), so UTF-8
 * text, spaces (%20), '+', '&', '=' and '#' arrive intact. The same
 * encoding is used for application/x-www-form-urlencoded bodies (every form
 * decoder accepts %20 for a space; it is also what OAuth 1.0a signing needs).
 *
 * A parley_sdk_query_t is a growing string buffer. It remembers the first
 * allocation failure, so a sequence of add() calls can be checked once at
 * the end: parley_sdk_query_str() returns NULL if any step failed.
 */
#ifndef PARLEY_SDK_QUERY_H
#define PARLEY_SDK_QUERY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct parley_sdk_query {
  char *buf;        /* NUL-terminated, owned; NULL until the first write */
  size_t len, cap;
  int params;       /* number of parameters added */
  int form;         /* 1: a form body (no '?' before the first parameter) */
  int failed;       /* PARLEY_ENOMEM after a failed allocation, else 0 */
} parley_sdk_query_t;

/* Start a URL: base is copied as is ("https://api.x.com/2/users/1/mentions");
 * parameters are appended after '?' (or '&' when base already has a query).
 * Returns 0 or PARLEY_ENOMEM. Free with parley_sdk_query_free. */
int parley_sdk_query_init_url(parley_sdk_query_t *q, const char *base);
/* Start an empty form body ("a=1&b=2"). */
void parley_sdk_query_init_form(parley_sdk_query_t *q);

/* Append name=value, both percent-encoded. A NULL value skips the
 * parameter (handy for optional ones) and returns 0. */
int parley_sdk_query_add(parley_sdk_query_t *q, const char *name, const char *value);
int parley_sdk_query_add_int(parley_sdk_query_t *q, const char *name, int64_t value);

/* The text built so far (owned by q), "" when empty, or NULL if an earlier
 * step ran out of memory. */
const char *parley_sdk_query_str(const parley_sdk_query_t *q);
/* Take ownership of the text (caller frees with free()); q is reset. NULL
 * if a step failed. */
char *parley_sdk_query_steal(parley_sdk_query_t *q);
void parley_sdk_query_free(parley_sdk_query_t *q);

/* Percent-encode len bytes of s into out (NUL-terminated). Returns the
 * encoded length or PARLEY_ENOBUFS; out needs at most 3 * len + 1 bytes. */
int parley_sdk_percent_encode(const char *s, size_t len, char *out, size_t outlen);
/* Decode %XX escapes (and '+' as a space when plus_is_space) into out.
 * Returns the length, PARLEY_EPARSE for a bad escape, or PARLEY_ENOBUFS. */
int parley_sdk_percent_decode(const char *s, size_t len, int plus_is_space, char *out,
                              size_t outlen);

/* The decoded value of query parameter `name` in url (e.g. `after` in a Meta
 * paging.next URL). Returns its length, PARLEY_ENOENT, PARLEY_EPARSE or
 * PARLEY_ENOBUFS. */
int parley_sdk_query_param(const char *url, const char *name, char *out, size_t outlen);

#ifdef __cplusplus
}
#endif
#endif
