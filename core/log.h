/* parley core — logging: one line per record, text or JSON, to stderr.
 * Records carry a component ("router", "loader") or an instance name.
 * Never pass a secret. Internal. */
#ifndef PARLEY_CORE_LOG_H
#define PARLEY_CORE_LOG_H

#include <stdarg.h>

#include "parley/connector.h"

void parley_log_set_level(parley_log_level_t level);
parley_log_level_t parley_log_get_level(void);
/* format: 0 text ("2026-11-23T09:20:06.123Z INFO  [router] message"), 1 JSON */
void parley_log_set_json(int json);
int parley_log_level_parse(const char *name, parley_log_level_t *level);

void parley_log(parley_log_level_t level, const char *who, const char *fmt, ...)
    PARLEY_PRINTF(3, 4);
void parley_logv(parley_log_level_t level, const char *who, const char *fmt, va_list ap);

#endif
