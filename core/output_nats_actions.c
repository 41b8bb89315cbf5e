/* parley core — the action work queue of the nats output (scale-out).
 *
 * Agents anywhere publish parley.action.v1 documents to the JetStream
 * subject <actions_prefix>.<connector instance>. The stream that holds
 * them has work-queue retention, and the parleyd that runs the instance
 * is its only consumer (one durable consumer per instance, filtered on
 * its subject), so each action is taken by the instance that owns the
 * account. The action goes through parley_router_submit_action() like one
 * from the admin API: the journal's idempotency key makes a redelivered
 * message answer with the first result instead of replying twice. The
 * message is acknowledged once the result is recorded, and the result
 * (parley.action_result.v1) is published on
 * <results_prefix>.<connector instance>.
 *
 * Threads: cnats delivers messages on its own thread; the handler only
 * queues them under a mutex and wakes the loop (uv_async_send). Decoding,
 * submitting, acking and publishing the result run on the loop thread. */
#include "output.h"

#ifdef PARLEY_OUTPUT_HAVE_NATS

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

#include "log.h"
#include "router.h"

#define ACTIONS_MAX_ACK_PENDING 64

typedef struct action_ctx action_ctx_t;

struct parley_nats_actions {
  parley_output_t *o;
  parley_router_t *r;
  const char *stream, *prefix, *results_prefix;
  uv_async_t wake;
  uv_mutex_t mu;
  natsMsg **queue; /* received, not yet handled; under mu */
  size_t nq, capq;
  int closed;      /* under mu */
  natsConnection *nc;
  natsSubscription **subs;
  size_t nsubs;
  action_ctx_t *inflight; /* submitted, result not yet back */
  void (*close_cb)(void *data);
  void *close_data;
};

struct action_ctx {
  parley_nats_actions_t *a; /* NULL once the output closed */
  natsMsg *msg;
  char instance[128];
  action_ctx_t *prev, *next;
};

/* ---- messages in (cnats thread) ---- */

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure) {
  parley_nats_actions_t *a = closure;
  (void)nc, (void)sub;
  uv_mutex_lock(&a->mu);
  if (!a->closed && a->nq == a->capq) {
    size_t cap = a->capq ? a->capq * 2 : 64;
    natsMsg **q = realloc(a->queue, cap * sizeof *q);
    if (q) {
      a->queue = q;
      a->capq = cap;
    }
  }
  if (a->closed || a->nq == a->capq) {
    uv_mutex_unlock(&a->mu);
    natsMsg_Destroy(msg); /* not acked: JetStream delivers it again */
    return;
  }
  a->queue[a->nq++] = msg;
  uv_async_send(&a->wake);
  uv_mutex_unlock(&a->mu);
}

/* ---- handling (loop thread) ---- */

static void publish_result(parley_nats_actions_t *a, const char *instance, const char *key,
                           const parley_action_result_t *res) {
  char subject[300], *json = NULL;
  size_t len = 0;
  if (!a->nc || parley_action_result_to_json(key, res, &json, &len) != 0)
    return;
  snprintf(subject, sizeof subject, "%s.%s", a->results_prefix, instance);
  natsConnection_Publish(a->nc, subject, json, (int)len);
  free(json);
}

static void ctx_unlink(action_ctx_t *c) {
  if (!c->a)
    return;
  if (c->prev)
    c->prev->next = c->next;
  else
    c->a->inflight = c->next;
  if (c->next)
    c->next->prev = c->prev;
}

/* The router recorded the result against the idempotency key: now the
 * message may leave the work queue. */
static void action_done(parley_router_t *r, const char *key, const parley_action_result_t *res,
                        void *data) {
  action_ctx_t *c = data;
  (void)r;
  if (c->a) {
    publish_result(c->a, c->instance, key, res);
    natsMsg_Ack(c->msg, NULL);
    ctx_unlink(c);
  }
  natsMsg_Destroy(c->msg);
  free(c);
}

/* A message that can never become an action: answer and drop it. */
static void refuse(parley_nats_actions_t *a, natsMsg *msg, const char *instance,
                   const char *key, int status, const char *why) {
  parley_action_result_t res = {.status = status, .message = why};
  parley_log_instance(PARLEY_LOG_WARN, "output", parley_output_name(a->o),
                      "action on %s refused: %s", natsMsg_GetSubject(msg), why);
  publish_result(a, instance, key ? key : "", &res);
  natsMsg_Term(msg, NULL);
  natsMsg_Destroy(msg);
}

static void handle(parley_nats_actions_t *a, natsMsg *msg) {
  const char *subject = natsMsg_GetSubject(msg);
  const char *instance = subject + strlen(a->prefix) + 1;
  parley_action_t *act = NULL;
  parley_error_t err = {0};
  if (parley_action_from_json(natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg), &act,
                              &err) != 0) {
    refuse(a, msg, instance, NULL, err.code ? err.code : PARLEY_EPARSE, err.message);
    return;
  }
  /* The subject names the owner; a document naming another is a mistake. */
  if (!parley_action_connector(act))
    parley_action_set_connector(act, instance);
  if (strcmp(parley_action_connector(act), instance) != 0) {
    refuse(a, msg, instance, parley_action_idempotency_key(act), PARLEY_EINVAL,
           "action.connector differs from the instance its subject names");
    parley_action_free(act);
    return;
  }
  action_ctx_t *c = calloc(1, sizeof *c);
  if (!c) {
    natsMsg_Destroy(msg); /* not acked: delivered again later */
    parley_action_free(act);
    return;
  }
  c->a = a;
  c->msg = msg;
  snprintf(c->instance, sizeof c->instance, "%s", instance);
  c->next = a->inflight;
  if (a->inflight)
    a->inflight->prev = c;
  a->inflight = c;
  if (parley_router_submit_action(a->r, act, action_done, c, &err) != 0) {
    ctx_unlink(c);
    refuse(a, msg, instance, parley_action_idempotency_key(act), err.code, err.message);
    free(c);
  }
  parley_action_free(act);
}

static void on_wake(uv_async_t *h) {
  parley_nats_actions_t *a = h->data;
  for (;;) {
    uv_mutex_lock(&a->mu);
    natsMsg *msg = a->nq ? a->queue[0] : NULL;
    if (msg)
      memmove(a->queue, a->queue + 1, --a->nq * sizeof *a->queue);
    uv_mutex_unlock(&a->mu);
    if (!msg)
      return;
    handle(a, msg);
  }
}

/* ---- life cycle ---- */

int parley_nats_actions_new(parley_nats_actions_t **out, parley_output_t *o, uv_loop_t *loop,
                            const char *stream, const char *prefix, const char *results_prefix) {
  parley_nats_actions_t *a = calloc(1, sizeof *a);
  if (!a)
    return PARLEY_ENOMEM;
  if (uv_mutex_init(&a->mu) != 0) {
    free(a);
    return PARLEY_ENOMEM;
  }
  a->o = o;
  a->r = o->r;
  a->stream = stream;
  a->prefix = prefix;
  a->results_prefix = results_prefix;
  uv_async_init(loop, &a->wake, on_wake);
  a->wake.data = a;
  *out = a;
  return 0;
}

static natsStatus ensure_stream(parley_nats_actions_t *a, jsCtx *js, char *err, size_t errlen) {
  jsStreamInfo *si = NULL;
  jsErrCode jerr = 0;
  natsStatus st = js_GetStreamInfo(&si, js, a->stream, NULL, &jerr);
  if (st == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
    char subjects[300];
    const char *list[1] = {subjects};
    jsStreamConfig sc;
    snprintf(subjects, sizeof subjects, "%s.>", a->prefix);
    jsStreamConfig_Init(&sc);
    sc.Name = a->stream;
    sc.Subjects = list;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    sc.Retention = js_WorkQueuePolicy; /* a message leaves once acked */
    jerr = 0;
    st = js_AddStream(&si, js, &sc, NULL, &jerr);
  }
  jsStreamInfo_Destroy(si);
  if (st != NATS_OK)
    snprintf(err, errlen, "cannot find or create action stream %s: %s", a->stream,
             parley_nats_error_text(st));
  return st;
}

/* One durable push consumer per connector instance of this router, named
 * parley_<instance>: restarts resume it, and the work-queue stream refuses
 * a second consumer on the same subject, i.e. a second owner. */
static natsStatus subscribe_one(parley_nats_actions_t *a, jsCtx *js, const char *instance,
                                natsSubscription **sub, char *err, size_t errlen) {
  char subject[300], durable[160];
  jsSubOptions so;
  jsErrCode jerr = 0;
  snprintf(subject, sizeof subject, "%s.%s", a->prefix, instance);
  snprintf(durable, sizeof durable, "parley_%s", instance);
  jsSubOptions_Init(&so);
  so.Stream = a->stream;
  so.ManualAck = true;
  so.Config.Durable = durable;
  so.Config.FilterSubject = subject;
  so.Config.AckPolicy = js_AckExplicit;
  so.Config.DeliverPolicy = js_DeliverAll;
  so.Config.MaxAckPending = ACTIONS_MAX_ACK_PENDING;
  so.Config.AckWait = (int64_t)60 * 1000 * 1000 * 1000; /* ns: a platform call may be slow */
  natsStatus st = js_Subscribe(sub, js, subject, on_msg, a, NULL, &so, &jerr);
  if (st != NATS_OK)
    snprintf(err, errlen, "cannot consume %s: %s", subject, parley_nats_error_text(st));
  return st;
}

/* On a worker thread (blocking JetStream API calls). Instance names are
 * read-only while the router runs. */
int parley_nats_actions_subscribe(parley_nats_actions_t *a, void *jsctx, void *conn,
                                  int create_stream, char *err, size_t errlen) {
  jsCtx *js = jsctx;
  natsStatus st = create_stream ? ensure_stream(a, js, err, errlen) : NATS_OK;
  if (st == NATS_OK && !a->subs) {
    a->subs = calloc(a->r->n_instances ? a->r->n_instances : 1, sizeof *a->subs);
    if (!a->subs)
      return PARLEY_ENOMEM;
  }
  for (size_t i = a->nsubs; st == NATS_OK && i < a->r->n_instances; i++) {
    st = subscribe_one(a, js, a->r->instances[i]->name, &a->subs[i], err, errlen);
    if (st == NATS_OK)
      a->nsubs++;
  }
  a->nc = conn;
  return st == NATS_OK ? 0 : PARLEY_ENETWORK;
}

static void wake_closed(uv_handle_t *h) {
  parley_nats_actions_t *a = h->data;
  a->close_cb(a->close_data);
}

/* Before the connection is destroyed: stop the subscriptions, forget the
 * actions still running (their results are recorded by the router; their
 * messages, unacked, come back to this instance after a restart and get
 * the recorded answer). */
void parley_nats_actions_close(parley_nats_actions_t *a, void (*cb)(void *data), void *data) {
  uv_mutex_lock(&a->mu);
  a->closed = 1;
  uv_mutex_unlock(&a->mu);
  for (size_t i = 0; i < a->nsubs; i++) {
    natsSubscription_Unsubscribe(a->subs[i]);
    natsSubscription_Destroy(a->subs[i]);
  }
  a->nsubs = 0;
  for (action_ctx_t *c = a->inflight; c; c = c->next)
    c->a = NULL;
  a->inflight = NULL;
  a->nc = NULL;
  a->close_cb = cb;
  a->close_data = data;
  uv_close((uv_handle_t *)&a->wake, wake_closed);
}

void parley_nats_actions_free(parley_nats_actions_t *a) {
  if (!a)
    return;
  for (size_t i = 0; i < a->nq; i++)
    natsMsg_Destroy(a->queue[i]);
  for (size_t i = 0; i < a->nsubs; i++)
    natsSubscription_Destroy(a->subs[i]);
  free(a->queue);
  free(a->subs);
  uv_mutex_destroy(&a->mu);
  free(a);
}

#endif /* PARLEY_OUTPUT_HAVE_NATS */
