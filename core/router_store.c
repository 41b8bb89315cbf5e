/* parley core — reading the sqlite conversation store for the admin
 * endpoints (router_store.h). */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "router_store.h"
#include "util.h"

#define PARLEY_STORE_BUSY_TIMEOUT_MS 5000

void parley_router_respond_error(parley_httpd_req_t *req, int status, int code,
                                 const char *message) {
  parley_router_respond_json(req, status, json_pack("{s:s,s:s}", "error", parley_err_name(code),
                                                    "message", message));
}

/* Read through the output's option table so that the sqlite output's
 * config struct stays private to it. */
const char *parley_router_store_path(const parley_output_t *o) {
  for (const parley_option_t *opt = o->type->options; opt && opt->name; opt++)
    if (strcmp(opt->name, "path") == 0 && opt->type == PARLEY_OPT_STRING && o->config)
      return *(const char *const *)((const char *)o->config + opt->offset);
  return NULL;
}

const parley_output_t *parley_router_store(parley_router_t *r, parley_httpd_req_t *req,
                                           int missing_status) {
  char name[128], msg[256];
  int n = parley_httpd_req_query_param(req, "store", name, sizeof name);
  if (n < 0 && n != PARLEY_ENOENT) {
    parley_router_respond_error(req, 400, PARLEY_EINVAL, "store: expected an output name");
    return NULL;
  }
  for (size_t i = 0; i < r->n_outputs; i++) {
    const parley_output_t *o = r->outputs[i];
    if (n >= 0 && strcmp(o->name, name) != 0)
      continue;
    if (o->type == &parley_output_sqlite && parley_router_store_path(o))
      return o;
    if (n >= 0) {
      snprintf(msg, sizeof msg,
               "store: output %s is of type %s, not a sqlite conversation store", o->name,
               o->type->name);
      parley_router_respond_error(req, 400, PARLEY_EINVAL, msg);
      return NULL;
    }
  }
  if (n >= 0) {
    snprintf(msg, sizeof msg, "store: there is no output named %.128s", name);
    parley_router_respond_error(req, 404, PARLEY_ENOENT, msg);
    return NULL;
  }
  snprintf(msg, sizeof msg, "no sqlite output is configured: %s reads the conversation "
                            "store that an output of type sqlite writes",
           parley_httpd_req_path(req));
  parley_router_respond_error(req, missing_status, PARLEY_ENOENT, msg);
  return NULL;
}

typedef struct store_job {
  uv_work_t work;
  parley_httpd_req_t *req;
  parley_store_read_t rd;
  char *path;
  int status;
  char *body;
} store_job_t;

static int status_of(int rc) {
  return rc == 0                ? 200
         : rc == PARLEY_EINVAL  ? 400
         : rc == PARLEY_ENOENT  ? 404
         : rc == PARLEY_ENOMEM  ? 500
                                : 503;
}

static void store_work(uv_work_t *w) {
  store_job_t *job = w->data;
  sqlite3 *db = NULL;
  parley_error_t err = {0};
  json_t *out = NULL;
  int rc = PARLEY_EIO;
  if (sqlite3_open_v2(job->path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    parley_error_set(&err, PARLEY_EIO, "cannot open the store %s: %s", job->path,
                     db ? sqlite3_errmsg(db) : "out of memory");
  } else {
    sqlite3_busy_timeout(db, PARLEY_STORE_BUSY_TIMEOUT_MS);
    rc = job->rd.fn(db, job->rd.arg, &out, &err);
  }
  sqlite3_close(db);
  job->status = status_of(rc);
  if (rc == 0) {
    job->body = json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(out);
  } else {
    json_t *j = json_pack("{s:s,s:s}", "error", parley_err_name(rc), "message", err.message);
    job->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
  }
}

static void job_free(store_job_t *job) {
  if (job->rd.free_arg)
    job->rd.free_arg(job->rd.arg);
  free(job->path);
  free(job->body);
  free(job);
}

/* Back on the loop. The router is not touched: it may have stopped since
 * (the request itself stays valid until answered). */
static void store_done(uv_work_t *w, int status) {
  store_job_t *job = w->data;
  (void)status;
  if (job->status >= 500)
    parley_log(PARLEY_LOG_WARN, "store", "%s: %s", job->rd.what,
               job->body ? job->body : "failed");
  if (job->body)
    parley_httpd_respond(job->req, job->status, "application/json", job->body,
                         strlen(job->body), NULL);
  else
    parley_router_respond_text(job->req, 500, "out of memory\n", NULL);
  atomic_fetch_sub(job->rd.running, 1);
  job_free(job);
}

void parley_router_store_read(parley_router_t *r, parley_httpd_req_t *req, const char *path,
                              const parley_store_read_t *rd) {
  static const char *const busy_headers[] = {"Retry-After: 5", NULL};
  if (atomic_fetch_add(rd->running, 1) >= rd->max_running) {
    atomic_fetch_sub(rd->running, 1);
    if (rd->free_arg)
      rd->free_arg(rd->arg);
    parley_router_respond_text(req, 503, "store busy; retry later\n", busy_headers);
    return;
  }
  store_job_t *job = calloc(1, sizeof *job);
  if (job) {
    job->req = req;
    job->rd = *rd;
    job->work.data = job;
    job->path = parley_strdup(path);
  }
  if (!job || !job->path || uv_queue_work(r->loop, &job->work, store_work, store_done) != 0) {
    atomic_fetch_sub(rd->running, 1);
    if (job)
      job_free(job);
    else if (rd->free_arg)
      rd->free_arg(rd->arg);
    parley_router_respond_error(req, 503, PARLEY_EBUSY, "cannot start reading the store");
  }
}
