/* parley core — logging. */
#include "log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/time.h"

static parley_log_level_t g_level = PARLEY_LOG_INFO;
static int g_json;

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};

void parley_log_set_level(parley_log_level_t level) { g_level = level; }
parley_log_level_t parley_log_get_level(void) { return g_level; }
void parley_log_set_json(int json) { g_json = json; }

int parley_log_level_parse(const char *name, parley_log_level_t *level) {
  for (int i = 0; i <= PARLEY_LOG_TRACE; i++) {
    if (name && strcmp(name, level_names[i]) == 0) {
      *level = (parley_log_level_t)i;
      return 0;
    }
  }
  return PARLEY_EINVAL;
}

void parley_logv(parley_log_level_t level, const char *who, const char *fmt, va_list ap) {
  if (level > g_level || level < PARLEY_LOG_ERROR)
    return;
  char msg[2048], ts[PARLEY_TIME_MAX];
  vsnprintf(msg, sizeof msg, fmt, ap);
  parley_time_format(parley_time_now(), ts, sizeof ts);
  if (g_json) {
    json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "time", ts, "level", level_names[level],
                          "component", who ? who : "parley", "msg", msg);
    char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (line)
      fprintf(stderr, "%s\n", line);
    free(line);
    json_decref(o);
  } else {
    fprintf(stderr, "%s %-5s [%s] %s\n", ts, level_names[level], who ? who : "parley", msg);
  }
  fflush(stderr);
}

void parley_log(parley_log_level_t level, const char *who, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  parley_logv(level, who, fmt, ap);
  va_end(ap);
}
