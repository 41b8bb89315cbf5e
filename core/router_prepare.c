/* parley core — the prepare thread: enriches and encodes batches of events
 * while the loop goes on collecting the next ones and serving connectors,
 * HTTP and outputs. It touches nothing but the events of the batch it
 * prepares (and the enrichment stage, which only it calls); the journal,
 * routing and every callback stay on the loop, and batches are committed
 * in the order they were collected, so ordering and the loop's
 * single-threaded view are unchanged.
 *
 * A dedicated thread rather than libuv's shared pool: a slow /v1/care
 * query or a DNS lookup on the pool must never hold up ingest. */
#include <stdlib.h>

#include "router.h"

static void prepare_main(void *arg) {
  parley_router_t *r = arg;
  parley_prepare_t *p = &r->prep;
  uv_mutex_lock(&p->mu);
  for (;;) {
    while (!p->cursor && !p->quit)
      uv_cond_wait(&p->cv, &p->mu);
    if (p->quit)
      break;
    parley_batch_t *b = p->cursor;
    uv_mutex_unlock(&p->mu);
    parley_router_prepare_batch(r, b);
    uv_mutex_lock(&p->mu);
    b->prepared = 1;
    p->cursor = b->next;
    uv_cond_broadcast(&p->cv);
    uv_async_send(&p->done);
  }
  uv_mutex_unlock(&p->mu);
}

static void prepare_done(uv_async_t *h) { parley_router_commit_prepared(h->data); }

int parley_prepare_start(parley_router_t *r, parley_error_t *err) {
  parley_prepare_t *p = &r->prep;
  if (uv_mutex_init(&p->mu) != 0)
    return parley_error_set(err, PARLEY_ENOMEM, "prepare thread: cannot create a mutex");
  if (uv_cond_init(&p->cv) != 0) {
    uv_mutex_destroy(&p->mu);
    return parley_error_set(err, PARLEY_ENOMEM, "prepare thread: cannot create a condition");
  }
  uv_async_init(r->loop, &p->done, prepare_done);
  p->done.data = r;
  int rc = uv_thread_create(&p->thread, prepare_main, r);
  if (rc != 0) {
    uv_close((uv_handle_t *)&p->done, NULL);
    uv_cond_destroy(&p->cv);
    uv_mutex_destroy(&p->mu);
    return parley_error_set(err, PARLEY_EIO, "prepare thread: %s", uv_strerror(rc));
  }
  p->started = 1;
  return 0;
}

void parley_prepare_submit(parley_router_t *r, parley_batch_t *b) {
  parley_prepare_t *p = &r->prep;
  b->next = NULL;
  b->prepared = 0;
  p->queued += b->n_ev;
  if (!p->started || !b->n_ev) { /* nothing to prepare, or no thread */
    parley_router_prepare_batch(r, b);
    b->prepared = 1;
  }
  if (p->started)
    uv_mutex_lock(&p->mu);
  if (p->tail)
    p->tail->next = b;
  else
    p->head = b;
  p->tail = b;
  if (!b->prepared && !p->cursor)
    p->cursor = b;
  if (p->started) {
    uv_cond_broadcast(&p->cv);
    uv_mutex_unlock(&p->mu);
  }
}

parley_batch_t *parley_prepare_pop(parley_router_t *r) {
  parley_prepare_t *p = &r->prep;
  if (p->started)
    uv_mutex_lock(&p->mu);
  parley_batch_t *b = p->head && p->head->prepared ? p->head : NULL;
  if (b && !(p->head = b->next))
    p->tail = NULL;
  if (p->started)
    uv_mutex_unlock(&p->mu);
  if (b)
    p->queued -= b->n_ev;
  return b;
}

void parley_prepare_wait(parley_router_t *r) {
  parley_prepare_t *p = &r->prep;
  if (!p->started)
    return;
  uv_mutex_lock(&p->mu);
  while (p->cursor)
    uv_cond_wait(&p->cv, &p->mu);
  uv_mutex_unlock(&p->mu);
}

void parley_prepare_recycle(parley_router_t *r, parley_batch_t *b) {
  b->next = r->prep.spare;
  r->prep.spare = b;
}

parley_batch_t *parley_prepare_fresh(parley_router_t *r) {
  parley_batch_t *b = r->prep.spare;
  if (b) {
    r->prep.spare = b->next;
    b->next = NULL;
    return b;
  }
  return calloc(1, sizeof *b);
}

void parley_prepare_close(parley_router_t *r, uv_close_cb closed_cb) {
  parley_prepare_t *p = &r->prep;
  if (p->started) {
    uv_mutex_lock(&p->mu);
    p->quit = 1;
    uv_cond_broadcast(&p->cv);
    uv_mutex_unlock(&p->mu);
    uv_thread_join(&p->thread);
    uv_cond_destroy(&p->cv);
    uv_mutex_destroy(&p->mu);
    p->started = 0;
    if (closed_cb)
      uv_close((uv_handle_t *)&p->done, closed_cb);
  }
  for (parley_batch_t *b = p->head, *next; b; b = next) {
    next = b->next;
    parley_batch_free(b);
  }
  for (parley_batch_t *b = p->spare, *next; b; b = next) {
    next = b->next;
    parley_batch_free(b);
  }
  p->head = p->tail = p->cursor = p->spare = NULL;
  p->queued = 0;
}
