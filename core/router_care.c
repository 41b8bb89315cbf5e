/* parley core — GET /v1/care: the care figures of a period (care.h,
 * docs/care-metrics.md), read from the conversation store that a sqlite
 * output writes. The query scans the store's messages, so it runs on
 * libuv's thread pool with its own read-only connection (WAL: it neither
 * blocks nor is blocked by the output's writes); the loop only parses the
 * request and sends the answer. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "care.h"
#include "log.h"
#include "parley/time.h"
#include "router.h"
#include "util.h"

/* Reports running at once, in the whole process: each holds a thread of
 * libuv's small pool (4 by default) that file I/O and the nats output
 * also use. */
#define PARLEY_CARE_MAX_RUNNING 2
#define PARLEY_CARE_BUSY_TIMEOUT_MS 5000

static atomic_int care_running;

typedef struct care_job {
  uv_work_t work;
  parley_httpd_req_t *req;
  char *path, *since, *until;
  int status;
  char *body;
} care_job_t;

static void respond_error(parley_httpd_req_t *req, int status, int code, const char *message) {
  parley_router_respond_json(req, status, json_pack("{s:s,s:s}", "error", parley_err_name(code),
                                                    "message", message));
}

/* The output's `path` option, read through its option table so that the
 * sqlite output's config struct stays private to it. */
static const char *output_path(const parley_output_t *o) {
  for (const parley_option_t *opt = o->type->options; opt && opt->name; opt++)
    if (strcmp(opt->name, "path") == 0 && opt->type == PARLEY_OPT_STRING && o->config)
      return *(const char *const *)((const char *)o->config + opt->offset);
  return NULL;
}

/* The store: the output named by ?store=, else the first sqlite output.
 * NULL with status and message set when there is none. */
static const parley_output_t *find_store(parley_router_t *r, const char *name, int *status,
                                         char *msg, size_t len) {
  for (size_t i = 0; i < r->n_outputs; i++) {
    const parley_output_t *o = r->outputs[i];
    if (name && strcmp(o->name, name) != 0)
      continue;
    if (o->type == &parley_output_sqlite && output_path(o))
      return o;
    if (name) {
      *status = 400;
      snprintf(msg, len, "store: output %s is of type %s, not a sqlite conversation store",
               o->name, o->type->name);
      return NULL;
    }
  }
  *status = 404;
  if (name)
    snprintf(msg, len, "store: there is no output named %.128s", name);
  else
    snprintf(msg, len, "no sqlite output is configured: /v1/care reads the conversation "
                       "store that an output of type sqlite writes");
  return NULL;
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

static void care_work(uv_work_t *w) {
  care_job_t *job = w->data;
  sqlite3 *db = NULL;
  parley_error_t err = {0};
  json_t *out = NULL;
  int rc = PARLEY_EIO;
  if (sqlite3_open_v2(job->path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    parley_error_set(&err, PARLEY_EIO, "cannot open the store %s: %s", job->path,
                     db ? sqlite3_errmsg(db) : "out of memory");
  } else {
    sqlite3_busy_timeout(db, PARLEY_CARE_BUSY_TIMEOUT_MS);
    rc = parley_care_compute(db, job->since, job->until, &out, &err);
  }
  sqlite3_close(db);
  if (rc == 0) {
    job->status = 200;
    job->body = json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(out);
  } else {
    job->status = rc == PARLEY_EINVAL ? 400 : rc == PARLEY_ENOMEM ? 500 : 503;
    json_t *j = json_pack("{s:s,s:s}", "error", parley_err_name(rc), "message", err.message);
    job->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
  }
}

/* Back on the loop. The router is not touched: it may have stopped since
 * (the request itself stays valid until answered). */
static void care_done(uv_work_t *w, int status) {
  care_job_t *job = w->data;
  (void)status;
  if (job->status != 200)
    parley_log(PARLEY_LOG_WARN, "care", "GET /v1/care: %s", job->body ? job->body : "failed");
  if (job->body)
    parley_httpd_respond(job->req, job->status, "application/json", job->body,
                         strlen(job->body), NULL);
  else
    parley_router_respond_text(job->req, 500, "out of memory\n", NULL);
  atomic_fetch_sub(&care_running, 1);
  free(job->path);
  free(job->since);
  free(job->until);
  free(job->body);
  free(job);
}

static care_job_t *job_new(parley_httpd_req_t *req, const char *path, const char *since,
                           const char *until) {
  care_job_t *job = calloc(1, sizeof *job);
  if (!job)
    return NULL;
  job->req = req;
  job->work.data = job;
  job->path = parley_strdup(path);
  job->since = since ? parley_strdup(since) : NULL;
  job->until = until ? parley_strdup(until) : NULL;
  if (!job->path || (since && !job->since) || (until && !job->until)) {
    free(job->path);
    free(job->since);
    free(job->until);
    free(job);
    return NULL;
  }
  return job;
}

static void start_job(parley_router_t *r, parley_httpd_req_t *req, const char *path,
                      const char *since, const char *until) {
  static const char *const busy_headers[] = {"Retry-After: 5", NULL};
  if (atomic_fetch_add(&care_running, 1) >= PARLEY_CARE_MAX_RUNNING) {
    atomic_fetch_sub(&care_running, 1);
    parley_router_respond_text(req, 503, "care reports busy; retry later\n", busy_headers);
    return;
  }
  care_job_t *job = job_new(req, path, since, until);
  if (!job || uv_queue_work(r->loop, &job->work, care_work, care_done) != 0) {
    atomic_fetch_sub(&care_running, 1);
    if (job) {
      free(job->path);
      free(job->since);
      free(job->until);
    }
    free(job);
    respond_error(req, 503, PARLEY_EBUSY, "cannot start the care report");
  }
}

void parley_router_care_request(parley_router_t *r, parley_httpd_req_t *req) {
  char msg[256], s[PARLEY_TIME_MAX], u[PARLEY_TIME_MAX], name[128];
  const char *since, *until;
  if (time_param(req, "since", s, &since, msg, sizeof msg) ||
      time_param(req, "until", u, &until, msg, sizeof msg)) {
    respond_error(req, 400, PARLEY_EINVAL, msg);
    return;
  }
  if (since && until && strcmp(since, until) >= 0) {
    snprintf(msg, sizeof msg, "since: %s is not before until (%s)", since, until);
    respond_error(req, 400, PARLEY_EINVAL, msg);
    return;
  }
  int n = parley_httpd_req_query_param(req, "store", name, sizeof name), status = 0;
  if (n < 0 && n != PARLEY_ENOENT) {
    respond_error(req, 400, PARLEY_EINVAL, "store: expected an output name");
    return;
  }
  const parley_output_t *o = find_store(r, n >= 0 ? name : NULL, &status, msg, sizeof msg);
  if (!o) {
    respond_error(req, status, status == 404 ? PARLEY_ENOENT : PARLEY_EINVAL, msg);
    return;
  }
  start_job(r, req, output_path(o), since, until);
}
