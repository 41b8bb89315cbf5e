/* parley core — binding an options map to a typed option table
 * (parley_option_t, connector.h). Used for connector plugins and for the
 * built-in outputs alike. Internal. */
#ifndef PARLEY_CORE_OPTIONS_H
#define PARLEY_CORE_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "node.h"
#include "parley/connector.h"

/* Validate `options` (a MAP node or NULL) against `table` and fill a newly
 * allocated zeroed struct of `size` bytes. Unknown keys, wrong types, bad
 * durations, missing required options are errors of the form
 * "<source>:<line>: <where>.<key>: <what>" (where = "connectors[0].options").
 * A secret or substituted value is never quoted in a message.
 * The caller frees *out with parley_options_free(table, *out). */
int parley_options_bind(const parley_option_t *table, size_t size,
                        const parley_node_t *options, const char *source,
                        const char *where, void **out, parley_error_t *err);
void parley_options_free(const parley_option_t *table, void *bound);

/* "250ms", "5s", "2m", "1h", "1d", "1h30m", or a bare number of seconds.
 * Returns 0 and *ms, or PARLEY_EINVAL. */
int parley_duration_parse(const char *s, int64_t *ms);
/* Name of a type, "string", "duration", ... */
const char *parley_opt_type_name(parley_opt_type_t t);

#endif
