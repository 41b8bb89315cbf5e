/* parley core — the systemd service protocol (sd_notify): READY, RELOADING,
 * STOPPING, STATUS and the watchdog ping. Everything here does nothing when
 * parleyd was not started by a service manager (NOTIFY_SOCKET unset), so a
 * daemon can call it unconditionally. Internal. */
#ifndef PARLEY_CORE_NOTIFY_H
#define PARLEY_CORE_NOTIFY_H

#include <uv.h>

#include "parley/connector.h"

/* Caller-owned; zero it, then parley_notify_init. */
typedef struct parley_notify {
  int enabled;         /* NOTIFY_SOCKET was set */
  int watchdog;        /* the watchdog timer runs */
  uint64_t watchdog_ms; /* ping interval: half of WATCHDOG_USEC */
  uv_timer_t timer;
} parley_notify_t;

/* Reads NOTIFY_SOCKET and WATCHDOG_USEC (sd_watchdog_enabled) and, when the
 * watchdog is on, starts a timer on loop that sends WATCHDOG=1 at half its
 * interval. The timer does not keep the loop alive. */
void parley_notify_init(parley_notify_t *n, uv_loop_t *loop);

/* READY=1 with a STATUS= line (status may be NULL). */
void parley_notify_ready(parley_notify_t *n, const char *status);
/* RELOADING=1 and MONOTONIC_USEC= (systemd 253+ wants it for
 * Type=notify-reload), then the caller sends READY=1 when done. */
void parley_notify_reloading(parley_notify_t *n, const char *status);
/* STOPPING=1 with a STATUS= line. */
void parley_notify_stopping(parley_notify_t *n, const char *status);
/* STATUS= alone: printf-style; never pass a secret. */
void parley_notify_status(parley_notify_t *n, const char *fmt, ...) PARLEY_PRINTF(2, 3);

/* Stops and closes the watchdog timer (asynchronous like every uv_close);
 * the loop can finish after this. Safe when the watchdog was never on. */
void parley_notify_close(parley_notify_t *n);

#endif
