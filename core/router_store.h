/* parley core — the sqlite conversation store as the admin endpoints read
 * it (GET /v1/care, /v1/inbox, /v1/conversations/<id>, /v1/stream): which
 * output is the store, and a read on libuv's thread pool with its own
 * read-only connection (WAL: it neither blocks nor is blocked by the
 * output's writes), answered back on the loop. Internal. */
#ifndef PARLEY_CORE_ROUTER_STORE_H
#define PARLEY_CORE_ROUTER_STORE_H

#include <stdatomic.h>
#include <stddef.h>

#include <jansson.h>
#include <sqlite3.h>

#include "router.h"

/* The store a request names with ?store=<output>, else the first sqlite
 * output. NULL when there is none, after answering req: 400 for a bad
 * name or an output of another type, 404 for an unknown name,
 * missing_status (404 or 503) when no sqlite output is configured. */
const parley_output_t *parley_router_store(parley_router_t *r, parley_httpd_req_t *req,
                                           int missing_status);
/* The store's file (its `path` option). */
const char *parley_router_store_path(const parley_output_t *o);

/* A read on the pool thread: 0 with *out set (answered 200, taken), or an
 * error code with err: PARLEY_EINVAL 400, PARLEY_ENOENT 404, PARLEY_ENOMEM
 * 500, anything else 503. */
typedef int (*parley_store_read_fn)(sqlite3 *db, void *arg, json_t **out, parley_error_t *err);

typedef struct parley_store_read {
  const char *what;       /* "GET /v1/inbox", for the log */
  parley_store_read_fn fn;
  void *arg;              /* taken: freed with free_arg (may be NULL) once answered */
  void (*free_arg)(void *arg);
  atomic_int *running;    /* reads of this kind running now, in the process */
  int max_running;        /* beyond: 503 with Retry-After: 5 */
} parley_store_read_t;

/* Run rd on the store at path and answer req. Always answers (503 when the
 * limit is reached or the pool cannot take the job) and always frees arg. */
void parley_router_store_read(parley_router_t *r, parley_httpd_req_t *req, const char *path,
                              const parley_store_read_t *rd);

/* {"error": <name of code>, "message": message} with status. */
void parley_router_respond_error(parley_httpd_req_t *req, int status, int code,
                                 const char *message);

#endif
