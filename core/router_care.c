/* parley core — GET /v1/care: the care figures of a period (care.h,
 * docs/care-metrics.md), read from the conversation store that a sqlite
 * output writes. The query scans the store's messages, so it runs on
 * libuv's thread pool (router_store.c); the loop only parses the request
 * and sends the answer. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "care.h"
#include "log.h"
#include "parley/time.h"
#include "router_store.h"
#include "util.h"

/* Reports running at once, in the whole process: each holds a thread of
 * libuv's small pool (4 by default) that file I/O and the nats output
 * also use. */
#define PARLEY_CARE_MAX_RUNNING 2

static atomic_int care_running;

typedef struct care_args {
  char *since, *until; /* NULL: open-ended */
} care_args_t;

static void care_args_free(void *p) {
  care_args_t *a = p;
  if (!a)
    return;
  free(a->since);
  free(a->until);
  free(a);
}

static int care_read(sqlite3 *db, void *arg, json_t **out, parley_error_t *err) {
  care_args_t *a = arg;
  return parley_care_compute(db, a->since, a->until, out, err);
}

/* A since/until parameter: absent (NULL), or normalized into out. */
static int time_param(parley_httpd_req_t *req, const char *name, char *out, const char **val,
                      char *msg, size_t len) {
  char buf[128];
  int64_t ms;
  *val = NULL;
  int n = parley_httpd_req_query_param(req, name, buf, sizeof buf);
  if (n == PARLEY_ENOENT)
    return 0;
  if (n < 0 || parley_time_parse(buf, &ms) != 0) {
    snprintf(msg, len, "%s: expected an ISO-8601 UTC time such as 2026-11-23T00:00:00Z", name);
    return PARLEY_EINVAL;
  }
  parley_time_format(ms, out, PARLEY_TIME_MAX);
  *val = out;
  return 0;
}

static care_args_t *care_args(const char *since, const char *until) {
  care_args_t *a = calloc(1, sizeof *a);
  if (!a)
    return NULL;
  a->since = since ? parley_strdup(since) : NULL;
  a->until = until ? parley_strdup(until) : NULL;
  if ((since && !a->since) || (until && !a->until)) {
    care_args_free(a);
    return NULL;
  }
  return a;
}

void parley_router_care_request(parley_router_t *r, parley_httpd_req_t *req) {
  char msg[256], s[PARLEY_TIME_MAX], u[PARLEY_TIME_MAX];
  const char *since, *until;
  if (time_param(req, "since", s, &since, msg, sizeof msg) ||
      time_param(req, "until", u, &until, msg, sizeof msg)) {
    parley_router_respond_error(req, 400, PARLEY_EINVAL, msg);
    return;
  }
  if (since && until && strcmp(since, until) >= 0) {
    snprintf(msg, sizeof msg, "since: %s is not before until (%s)", since, until);
    parley_router_respond_error(req, 400, PARLEY_EINVAL, msg);
    return;
  }
  const parley_output_t *o = parley_router_store(r, req, 404);
  if (!o)
    return;
  care_args_t *a = care_args(since, until);
  if (!a) {
    parley_router_respond_text(req, 500, "out of memory\n", NULL);
    return;
  }
  parley_store_read_t rd = {.what = "GET /v1/care", .fn = care_read, .arg = a,
                            .free_arg = care_args_free, .running = &care_running,
                            .max_running = PARLEY_CARE_MAX_RUNNING};
  parley_router_store_read(r, req, parley_router_store_path(o), &rd);
}
