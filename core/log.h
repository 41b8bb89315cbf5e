/* parley core — logging: one line per record, text or JSON, to stderr.
 * Records carry a component ("router", "connector", "output"), optionally
 * the name of the connector or output instance they are about, and
 * optionally structured key/value fields. Never pass a secret. Should one
 * be passed all the same, a field under a key that names a credential
 * (token, secret, password, ...) is written as "***", and so is every
 * registered secret value (parley_log_secret_add) wherever it appears.
 * Internal. */
#ifndef PARLEY_CORE_LOG_H
#define PARLEY_CORE_LOG_H

#include <stdarg.h>
#include <stddef.h>

#include "parley/connector.h"

void parley_log_set_level(parley_log_level_t level);
parley_log_level_t parley_log_get_level(void);
/* format: 0 text ("2026-11-23T09:20:06.123Z INFO  [router] message"), 1 JSON:
 * {"time":..,"level":..,"component":..,"instance":..|null,"message":..,"fields":{..}} */
void parley_log_set_json(int json);
int parley_log_level_parse(const char *name, parley_log_level_t *level);

/* One structured field. Both strings are borrowed for the call only. A key
 * is [a-z0-9_]+ (upper case is lowered, anything else written as "_"); a
 * NULL value is JSON null. */
typedef struct parley_log_field {
  const char *key;
  const char *value;
} parley_log_field_t;

/* who: a component or an instance name (text shows it in brackets, JSON as
 * "component"; "instance" is null). Kept for the many plain lines. */
void parley_log(parley_log_level_t level, const char *who, const char *fmt, ...)
    PARLEY_PRINTF(3, 4);
void parley_logv(parley_log_level_t level, const char *who, const char *fmt, va_list ap);

/* A line about one instance: component "connector" or "output", instance its
 * configured name. Text is the same as parley_log(level, instance, ...). */
void parley_log_instance(parley_log_level_t level, const char *component, const char *instance,
                         const char *fmt, ...) PARLEY_PRINTF(4, 5);
void parley_log_instancev(parley_log_level_t level, const char *component,
                          const char *instance, const char *fmt, va_list ap);

/* The general form: instance may be NULL; fields[0..n) become the JSON
 * "fields" object. A text line shows the message only, so what a person
 * needs belongs in the message too. */
void parley_log_kv(parley_log_level_t level, const char *component, const char *instance,
                   const parley_log_field_t *fields, size_t n, const char *fmt, ...)
    PARLEY_PRINTF(6, 7);
void parley_log_kvv(parley_log_level_t level, const char *component, const char *instance,
                    const parley_log_field_t *fields, size_t n, const char *fmt, va_list ap);

/* Registers a secret value in use (borrowed: it must stay valid until
 * parley_log_secret_remove with the same pointer, before it is wiped and
 * freed). Any record whose message or field values contain it shows "***"
 * instead. Values shorter than 6 bytes are not registered. Thread-safe. */
void parley_log_secret_add(const char *secret);
void parley_log_secret_remove(const char *secret);

/* 1 when a field under this key is written as "***" (exposed for tests). */
int parley_log_key_is_secret(const char *key);

#endif
