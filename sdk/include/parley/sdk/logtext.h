/* parley SDK — putting values from the platform into a log line.
 *
 * Anything a platform sends is untrusted: it may be customer text (which
 * must not reach a log), arbitrarily long, or hold newlines and terminal
 * escapes that forge or garble log lines. A connector that names such a
 * value in a message passes it through one of these first:
 *
 *   char obj[48];
 *   h->log(inst, PARLEY_LOG_WARN, "webhook for object %s ignored",
 *          parley_sdk_log_word(obj, sizeof obj, json_string_value(o)));
 *
 * Both write a NUL-terminated string into buf (len > 0) and return buf.
 * Since SDK 0.3.
 */
#ifndef PARLEY_SDK_LOGTEXT_H
#define PARLEY_SDK_LOGTEXT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* For identifiers and enum-like values (ids, URNs, an "object" or "field"
 * name, an action): s itself, quoted ("'page'"), when it is made only of
 * ASCII letters, digits and _ . : - @ ( ) , / + = and fits in buf; else a
 * description that shows none of it ("(112 bytes, not shown)"). NULL reads
 * as "(none)". */
const char *parley_sdk_log_word(char *buf, size_t len, const char *s);

/* For short human text from the platform itself (an API error title): at
 * most max bytes of s (and what fits in buf), control characters and bytes
 * that are not valid UTF-8 written as \xNN, "..." when cut. Never use it
 * for customer text: that is not logged at all. */
const char *parley_sdk_log_text(char *buf, size_t len, const char *s, size_t max);

#ifdef __cplusplus
}
#endif
#endif
