/* parley core — sd_notify for parleyd under systemd. */
#include "notify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "log.h"

static void send_state(parley_notify_t *n, const char *state) {
  if (!n->enabled)
    return;
  int rc = sd_notify(0, state);
  if (rc < 0)
    parley_log(PARLEY_LOG_WARN, "systemd", "sd_notify failed: %s", strerror(-rc));
}

/* A newline in a status would start another assignment: keep it one line. */
static void one_line(char *s) {
  for (; *s; s++)
    if (*s == '\n' || *s == '\r')
      *s = ' ';
}

static void send_with_status(parley_notify_t *n, const char *state, const char *status) {
  char buf[1024];
  if (status) {
    char line[900];
    snprintf(line, sizeof line, "%s", status);
    one_line(line);
    snprintf(buf, sizeof buf, "%s\nSTATUS=%s", state, line);
  } else {
    snprintf(buf, sizeof buf, "%s", state);
  }
  send_state(n, buf);
}

static void ping(uv_timer_t *t) { send_state(t->data, "WATCHDOG=1"); }

void parley_notify_init(parley_notify_t *n, uv_loop_t *loop) {
  const char *sock = getenv("NOTIFY_SOCKET");
  n->enabled = sock && *sock;
  n->watchdog = 0;
  uint64_t usec = 0;
  if (!n->enabled || sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
    return;
  /* half the interval, as sd_watchdog_enabled(3) advises; at least 1 ms */
  n->watchdog_ms = usec / 2000 ? usec / 2000 : 1;
  uv_timer_init(loop, &n->timer);
  n->timer.data = n;
  uv_timer_start(&n->timer, ping, n->watchdog_ms, n->watchdog_ms);
  uv_unref((uv_handle_t *)&n->timer);
  n->watchdog = 1;
  send_state(n, "WATCHDOG=1");
  parley_log(PARLEY_LOG_INFO, "systemd", "watchdog on: a ping every %llu ms",
             (unsigned long long)n->watchdog_ms);
}

void parley_notify_ready(parley_notify_t *n, const char *status) {
  send_with_status(n, "READY=1", status);
}

void parley_notify_reloading(parley_notify_t *n, const char *status) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  char state[96];
  snprintf(state, sizeof state, "RELOADING=1\nMONOTONIC_USEC=%llu",
           (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
  send_with_status(n, state, status);
}

void parley_notify_stopping(parley_notify_t *n, const char *status) {
  send_with_status(n, "STOPPING=1", status);
}

void parley_notify_status(parley_notify_t *n, const char *fmt, ...) {
  if (!n->enabled)
    return;
  char status[900];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(status, sizeof status, fmt, ap);
  va_end(ap);
  one_line(status);
  char buf[1024];
  snprintf(buf, sizeof buf, "STATUS=%s", status);
  send_state(n, buf);
}

void parley_notify_close(parley_notify_t *n) {
  if (!n->watchdog)
    return;
  n->watchdog = 0;
  uv_timer_stop(&n->timer);
  uv_close((uv_handle_t *)&n->timer, NULL);
}
