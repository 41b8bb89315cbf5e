/* parleyctl — formatting helpers for human output. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

const char *parley_ctl_str(const json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

int64_t parley_ctl_int(const json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  return json_is_integer(v) ? (int64_t)json_integer_value(v)
         : json_is_real(v)  ? (int64_t)json_real_value(v)
                            : 0;
}

void parley_ctl_bytes(int64_t n, char *buf, size_t len) {
  static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = (double)n;
  size_t u = 0;
  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    u++;
  }
  if (u == 0)
    snprintf(buf, len, "%" PRId64 " B", n);
  else
    snprintf(buf, len, "%.1f %s", v, unit[u]);
}

void parley_ctl_duration(int64_t ms, char *buf, size_t len) {
  if (ms < 1000)
    snprintf(buf, len, "%" PRId64 " ms", ms);
  else if (ms < 120000)
    snprintf(buf, len, "%" PRId64 " s", ms / 1000);
  else if (ms < 2 * 3600000)
    snprintf(buf, len, "%" PRId64 " min", ms / 60000);
  else if (ms < (int64_t)2 * 86400000)
    snprintf(buf, len, "%" PRId64 " h", ms / 3600000);
  else
    snprintf(buf, len, "%" PRId64 " d", ms / (int64_t)86400000);
}

void parley_ctl_print_json(const json_t *j) {
  char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
  if (s)
    puts(s);
  free(s);
  fflush(stdout);
}

void parley_ctl_one_line(const char *s, size_t max, char *buf, size_t len) {
  size_t o = 0, chars = 0;
  if (len < 8) {
    if (len)
      buf[0] = '\0';
    return;
  }
  /* at each character's first byte: room for 4 more bytes and the "…" */
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c & 0xC0) != 0x80 && (chars++ == max || o + 4 + 3 >= len)) {
      memcpy(buf + o, "\xe2\x80\xa6", 3); /* … */
      o += 3;
      break;
    }
    buf[o++] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : (char)c;
  }
  buf[o] = '\0';
}
