/* parleyctl — small formatting helpers for human output (format.c). */
#ifndef PARLEY_CTL_FORMAT_H
#define PARLEY_CTL_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* o[key] as text / integer; NULL / 0 when missing or of another type. */
const char *parley_ctl_str(const json_t *o, const char *key);
int64_t parley_ctl_int(const json_t *o, const char *key);
/* "1.2 KiB", "340 B". */
void parley_ctl_bytes(int64_t n, char *buf, size_t len);
/* "850 ms", "12 s", "3 min", "2 h", "7 d". */
void parley_ctl_duration(int64_t ms, char *buf, size_t len);
/* j on one line of stdout, compact, and flushed (for pipes). */
void parley_ctl_print_json(const json_t *j);
/* s on one line: newlines and tabs as spaces, cut at max characters with
 * "…" (UTF-8 aware) into buf. */
void parley_ctl_one_line(const char *s, size_t max, char *buf, size_t len);

#endif
