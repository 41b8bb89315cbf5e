/* parley SDK — safe field access for jansson documents.
 *
 * Platform payloads are untrusted: a field may be missing, null, or of
 * another type than documented. Every getter here takes a dotted path
 * ("data.0.author_id": object keys, and decimal indices into arrays), never
 * crashes on a missing or mistyped step, and returns the caller's default
 * instead. root may be NULL.
 *
 * Ownership: returned json_t and string pointers are borrowed from root and
 * valid as long as root is (jansson's own rule); nothing is allocated except
 * by parley_sdk_json_parse.
 */
#ifndef PARLEY_SDK_JSON_H
#define PARLEY_SDK_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "parley/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parse len bytes of JSON text (a document must be an object or an array).
 * Returns the document (the caller owns it: json_decref) or NULL with err
 * set to PARLEY_EPARSE naming `what`, the line, the column and jansson's
 * reason ("response of GET /2/users/me: line 1, column 9: ..."). Integers
 * too large for int64 are rejected rather than rounded. */
json_t *parley_sdk_json_parse(const char *text, size_t len, const char *what,
                              parley_error_t *err);

/* Like parley_sdk_json_parse, for a payload that must not be lost over one
 * bad character (a signed webhook delivery: the platform resends the same
 * bytes and finally gives up on all its messages). When the text does not
 * parse as it is, invalid UTF-8, raw control characters in strings, \u0000
 * and lone UTF-16 surrogate escapes are replaced by U+FFFD (other raw
 * controls by their \u00XX escape) and it is parsed again. *repaired is
 * the number of characters replaced (0 when it parsed as it was). NULL
 * with err as parley_sdk_json_parse when it is malformed in another way.
 * Since SDK 0.2. */
json_t *parley_sdk_json_parse_repair(const char *text, size_t len, const char *what,
                                     size_t *repaired, parley_error_t *err);

/* The repair itself: a new NUL-terminated copy of text[0..len) in *out
 * (caller frees; length in *out_len) and the number of replacements.
 * Returns 0 or PARLEY_ENOMEM. */
int parley_sdk_json_repair(const char *text, size_t len, char **out, size_t *out_len,
                           size_t *repaired);

/* The value at path, or NULL. An empty path returns root. */
json_t *parley_sdk_json_get(const json_t *root, const char *path);

/* A string, or def when missing or not a string. */
const char *parley_sdk_json_str(const json_t *root, const char *path, const char *def);

/* An int64 from a JSON integer, or from a string of decimal digits (with an
 * optional '-'), parsed exactly (never through double, so 19-digit ids
 * survive). A JSON real is accepted only when it is integral and within
 * +-2^53. Otherwise, and on overflow, def. */
int64_t parley_sdk_json_int(const json_t *root, const char *path, int64_t def);

/* A boolean from true/false, from an integer (0 = false) or from the strings
 * "true"/"false"/"1"/"0"; otherwise def. */
int parley_sdk_json_bool(const json_t *root, const char *path, int def);

/* An id as text: a string as is, an integer printed in decimal (v1.1
 * payloads send "id" as a number next to "id_str"). Copies into buf and
 * returns the length, or PARLEY_ENOENT (missing/other type) or
 * PARLEY_ENOBUFS. */
int parley_sdk_json_id(const json_t *root, const char *path, char *buf, size_t buflen);

/* The array at path and its size in *count (0 when missing or not an array,
 * in which case NULL is returned). Iterate with json_array_get(arr, i) or
 * jansson's json_array_foreach. */
json_t *parley_sdk_json_array(const json_t *root, const char *path, size_t *count);

/* Parse a JSON document that is itself carried as a string field (TikTok
 * webhooks put `content` there). Returns a new reference or NULL. */
json_t *parley_sdk_json_embedded(const json_t *root, const char *path, parley_error_t *err);

/* parley_sdk_json_embedded with parley_sdk_json_parse_repair's repair of
 * the embedded text; *repaired as there. Since SDK 0.3. */
json_t *parley_sdk_json_embedded_repair(const json_t *root, const char *path, size_t *repaired,
                                        parley_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
