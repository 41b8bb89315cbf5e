/* parley core — the nats output: publish events to NATS JetStream with
 * cnats, on subject <prefix>.<platform>.<kind>, header Nats-Msg-Id = the
 * event id so the stream drops a redelivered event (within its duplicate
 * window).
 *
 * Publishing is asynchronous with a bounded window: up to max_inflight
 * messages of a batch are on the wire at once, each further one is sent as
 * an ack frees a slot, and the batch counts as delivered only when every
 * message was acknowledged by the server (a duplicate ack included). Any
 * failure (negative ack, no ack within ack_timeout, not connected) fails
 * the batch once all its messages have an outcome; the router retries it,
 * and the messages that had been stored are dropped as duplicates.
 *
 * Threads: cnats calls the ack handler on its own thread. The handler only
 * counts, under a mutex, and wakes the loop with uv_async_send; every other
 * step, parley_output_done() included, runs on the loop thread. */
#include "output.h"

#ifdef PARLEY_OUTPUT_HAVE_NATS

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <nats/nats.h>

#include "log.h"

typedef struct nats_config {
  const char *url;
  const char *user;
  const char *password;
  const char *token;
  const char *creds_file;
  const char *subject_prefix;
  const char *stream;
  int create_stream;
  int64_t duplicate_window_ms;
  int64_t max_inflight;
  int64_t ack_timeout_ms;
  int actions;
  const char *actions_prefix;
  const char *actions_stream;
  const char *results_prefix;
} nats_config_t;

typedef struct nats_out {
  parley_output_t *o;
  const nats_config_t *cfg;
  uv_loop_t *loop;
  natsConnection *nc;
  jsCtx *js;
  uv_async_t wake;
  uv_work_t setup;
  int setup_busy, setup_rc, stream_ok, actions_ok; /* written by the worker while busy */
  char setup_err[256];
  int waiting_setup;  /* a batch waits for the setup */
  uv_timer_t retry;   /* setup again after a failure (actions need it) */
  int handles;        /* uv handles open: wake, retry, the actions' */
  parley_nats_actions_t *actions;

  /* the batch (loop thread) */
  parley_output_item_t *items;
  size_t cap, n, sent;
  int in_batch, send_failed;
  char fail_msg[256];

  /* shared with the ack handler, under mu */
  uv_mutex_t mu;
  int mu_init;
  size_t acked, nacked;
  char nack_msg[256];
  int closed;

  int closing;
  void (*close_cb)(parley_output_t *o);
  parley_output_t *close_o;
} nats_out_t;

static const parley_option_t nats_options[] = {
    {"url", PARLEY_OPT_STRING, 0, "nats://127.0.0.1:4222", offsetof(nats_config_t, url),
     "server URL(s), comma-separated; put credentials in user/password/token, not here"},
    {"user", PARLEY_OPT_STRING, 0, NULL, offsetof(nats_config_t, user), "user name"},
    {"password", PARLEY_OPT_SECRET, 0, NULL, offsetof(nats_config_t, password), "password"},
    {"token", PARLEY_OPT_SECRET, 0, NULL, offsetof(nats_config_t, token),
     "authentication token"},
    {"creds_file", PARLEY_OPT_STRING, 0, NULL, offsetof(nats_config_t, creds_file),
     "NATS credentials file (JWT and NKey seed)"},
    {"subject_prefix", PARLEY_OPT_STRING, 0, "parley.events",
     offsetof(nats_config_t, subject_prefix), "subjects are <prefix>.<platform>.<kind>"},
    {"stream", PARLEY_OPT_STRING, 0, "PARLEY_EVENTS", offsetof(nats_config_t, stream),
     "JetStream stream that stores the subjects (created with create_stream)"},
    {"create_stream", PARLEY_OPT_BOOL, 0, "false", offsetof(nats_config_t, create_stream),
     "create the stream (subjects <prefix>.>, file storage) when it does not exist"},
    {"duplicate_window", PARLEY_OPT_DURATION, 0, "10m",
     offsetof(nats_config_t, duplicate_window_ms),
     "duplicate window of a stream created here; must exceed the longest redelivery delay"},
    {"max_inflight", PARLEY_OPT_INT, 0, "256", offsetof(nats_config_t, max_inflight),
     "messages published and not yet acknowledged, at most (1-65536)"},
    {"ack_timeout", PARLEY_OPT_DURATION, 0, "5s", offsetof(nats_config_t, ack_timeout_ms),
     "time the server has to acknowledge a message before the batch is retried"},
    {"actions", PARLEY_OPT_BOOL, 0, "false", offsetof(nats_config_t, actions),
     "consume actions for this parleyd's connector instances from the work queue"},
    {"actions_prefix", PARLEY_OPT_STRING, 0, "parley.actions",
     offsetof(nats_config_t, actions_prefix), "actions arrive on <prefix>.<instance>"},
    {"actions_stream", PARLEY_OPT_STRING, 0, "PARLEY_ACTIONS",
     offsetof(nats_config_t, actions_stream),
     "work-queue stream of the actions (created with create_stream)"},
    {"results_prefix", PARLEY_OPT_STRING, 0, "parley.action_results",
     offsetof(nats_config_t, results_prefix),
     "action results are published on <prefix>.<instance>"},
    {NULL, 0, 0, NULL, 0, NULL},
};

/* ---- subjects ---- */

static int subject_token_ok(const char *s) {
  if (!s || !*s)
    return 0;
  for (; *s; s++)
    if (*s == '.' || *s == '*' || *s == '>' || (unsigned char)*s <= ' ' || *s == 0x7f)
      return 0;
  return 1;
}

int parley_output_nats_subject(const char *prefix, const char *platform, const char *kind,
                               char *out, size_t outlen) {
  if (!prefix || !*prefix || prefix[0] == '.' || prefix[strlen(prefix) - 1] == '.' ||
      strstr(prefix, "..") || strpbrk(prefix, "*> \t\r\n") || !subject_token_ok(platform) ||
      !subject_token_ok(kind))
    return PARLEY_EINVAL;
  int n = snprintf(out, outlen, "%s.%s.%s", prefix, platform, kind);
  if (n < 0 || (size_t)n >= outlen)
    return PARLEY_ENOBUFS;
  return n;
}

/* ---- acks (cnats thread) ---- */

static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure) {
  nats_out_t *s = closure;
  (void)js;
  uv_mutex_lock(&s->mu);
  if (pa && !pae) {
    s->acked++;
  } else {
    if (s->nacked++ == 0)
      snprintf(s->nack_msg, sizeof s->nack_msg, "%s",
               pae && pae->ErrText ? pae->ErrText
                                   : natsStatus_GetText(pae ? pae->Err : NATS_ERR));
  }
  if (!s->closed)
    uv_async_send(&s->wake);
  uv_mutex_unlock(&s->mu);
  natsMsg_Destroy(msg);
}

/* ---- the batch (loop thread) ---- */

static int event_subject(const nats_out_t *s, const parley_output_item_t *it, char *subj,
                         size_t len) {
  json_t *ev = json_loadb(it->json, it->len, 0, NULL);
  int rc = parley_output_nats_subject(s->cfg->subject_prefix,
                                      json_string_value(json_object_get(ev, "platform")),
                                      json_string_value(json_object_get(ev, "kind")), subj, len);
  json_decref(ev);
  return rc;
}

static natsStatus publish_one(nats_out_t *s, const parley_output_item_t *it) {
  char subj[512];
  natsMsg *msg = NULL;
  jsPubOptions po;
  if (event_subject(s, it, subj, sizeof subj) < 0) {
    snprintf(s->fail_msg, sizeof s->fail_msg, "event %s: no valid subject from its platform "
             "and kind", it->id);
    return NATS_INVALID_ARG;
  }
  natsStatus st = natsMsg_Create(&msg, subj, NULL, it->json, (int)it->len);
  if (st == NATS_OK)
    st = natsMsgHeader_Set(msg, "Nats-Msg-Id", it->id);
  jsPubOptions_Init(&po);
  po.MaxWait = s->cfg->ack_timeout_ms; /* cnats reports a missing ack as an error */
  if (st == NATS_OK)
    st = js_PublishMsgAsync(s->js, &msg, &po); /* takes msg on success */
  natsMsg_Destroy(msg);
  if (st != NATS_OK)
    snprintf(s->fail_msg, sizeof s->fail_msg, "publish of %s failed: %s", it->id,
             natsStatus_GetText(st));
  return st;
}

static void batch_done(nats_out_t *s, int status, const char *msg) {
  s->in_batch = 0;
  s->n = s->sent = 0;
  parley_output_done(s->o, status, msg);
}

/* Send while the window has room, and finish the batch when every message
 * sent has its outcome. */
static void pump(nats_out_t *s) {
  if (!s->in_batch || s->closing)
    return;
  uv_mutex_lock(&s->mu);
  size_t acked = s->acked, nacked = s->nacked;
  uv_mutex_unlock(&s->mu);
  size_t window = (size_t)s->cfg->max_inflight;
  while (!s->send_failed && !nacked && s->sent < s->n && s->sent - acked - nacked < window) {
    if (publish_one(s, &s->items[s->sent]) != NATS_OK)
      s->send_failed = 1;
    else
      s->sent++;
  }
  if (acked + nacked < s->sent)
    return; /* wait for the rest: on_ack wakes us */
  if (s->send_failed) {
    batch_done(s, PARLEY_ENETWORK, s->fail_msg);
  } else if (nacked) {
    char msg[400];
    uv_mutex_lock(&s->mu);
    snprintf(msg, sizeof msg, "%zu of %zu messages not acknowledged: %s", nacked, s->sent,
             s->nack_msg);
    uv_mutex_unlock(&s->mu);
    batch_done(s, PARLEY_ENETWORK, msg);
  } else if (s->sent == s->n) {
    batch_done(s, 0, NULL);
  }
}

static void on_wake(uv_async_t *h) { pump(h->data); }

static void start_batch(nats_out_t *s) {
  uv_mutex_lock(&s->mu);
  s->acked = s->nacked = 0;
  s->nack_msg[0] = '\0';
  uv_mutex_unlock(&s->mu);
  s->sent = 0;
  s->send_failed = 0;
  s->in_batch = 1;
  pump(s);
}

/* The detail cnats keeps for the calling thread ("consumer is already
 * bound to a subscription") when it has one. Only for JetStream API calls:
 * their texts come from the server and hold no URL or credential. */
const char *parley_nats_error_text(int status) {
  const char *last = nats_GetLastError(NULL);
  return last && *last ? last : natsStatus_GetText((natsStatus)status);
}

#define js_error_text(st) parley_nats_error_text((int)(st))

/* ---- setup: connect, JetStream context, stream ----
 * On a worker thread: cnats' connect and the JetStream API calls block
 * (the loop must not). Runs before the first batch and again after a
 * failed setup; once connected, cnats reconnects by itself. */

static natsStatus set_options(nats_out_t *s, natsOptions *no);

static natsStatus setup_connect(nats_out_t *s) {
  natsOptions *no = NULL;
  jsOptions jo;
  natsStatus st = natsOptions_Create(&no);
  if (st == NATS_OK)
    st = set_options(s, no);
  if (st == NATS_OK)
    st = natsConnection_Connect(&s->nc, no);
  natsOptions_Destroy(no);
  if (st != NATS_OK) { /* the URL may carry credentials: never print it */
    snprintf(s->setup_err, sizeof s->setup_err, "cannot connect to NATS: %s",
             natsStatus_GetText(st));
    return st;
  }
  jsOptions_Init(&jo);
  jo.PublishAsync.AckHandler = on_ack;
  jo.PublishAsync.AckHandlerClosure = s;
  jo.PublishAsync.MaxPending = s->cfg->max_inflight;
  st = natsConnection_JetStream(&s->js, s->nc, &jo);
  if (st != NATS_OK)
    snprintf(s->setup_err, sizeof s->setup_err, "no JetStream context: %s",
             natsStatus_GetText(st));
  return st;
}

static natsStatus setup_stream(nats_out_t *s) {
  jsStreamInfo *si = NULL;
  jsErrCode jerr = 0;
  natsStatus st = js_GetStreamInfo(&si, s->js, s->cfg->stream, NULL, &jerr);
  if (st == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
    char subjects[300];
    const char *list[1] = {subjects};
    jsStreamConfig sc;
    snprintf(subjects, sizeof subjects, "%s.>", s->cfg->subject_prefix);
    jsStreamConfig_Init(&sc);
    sc.Name = s->cfg->stream;
    sc.Subjects = list;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    sc.Duplicates = s->cfg->duplicate_window_ms * 1000000; /* nanoseconds */
    jerr = 0;
    st = js_AddStream(&si, s->js, &sc, NULL, &jerr);
  }
  jsStreamInfo_Destroy(si);
  if (st != NATS_OK)
    snprintf(s->setup_err, sizeof s->setup_err, "cannot find or create stream %s: %s",
             s->cfg->stream, js_error_text(st));
  return st;
}

static void setup_work(uv_work_t *req) {
  nats_out_t *s = req->data;
  natsStatus st = NATS_OK;
  if (!s->nc)
    st = setup_connect(s);
  if (st != NATS_OK) {
    jsCtx_Destroy(s->js);
    s->js = NULL;
    natsConnection_Destroy(s->nc);
    s->nc = NULL;
    s->setup_rc = PARLEY_ENETWORK;
    return;
  }
  if (s->cfg->create_stream && !s->stream_ok) {
    st = setup_stream(s);
    s->stream_ok = st == NATS_OK;
  }
  if (st == NATS_OK && s->actions && !s->actions_ok)
    s->actions_ok = parley_nats_actions_subscribe(s->actions, s->js, s->nc,
                                                  s->cfg->create_stream, s->setup_err,
                                                  sizeof s->setup_err) == 0;
  s->setup_rc = st == NATS_OK && (!s->actions || s->actions_ok) ? 0 : PARLEY_ENETWORK;
}

static void close_step(nats_out_t *s);
static void setup_start(nats_out_t *s);

static void retry_setup(uv_timer_t *t) { setup_start(t->data); }

static void setup_done(uv_work_t *req, int status) {
  nats_out_t *s = req->data;
  const char *name = parley_output_name(s->o);
  s->setup_busy = 0;
  if (s->closing) {
    close_step(s);
    return;
  }
  int ok = status == 0 && s->setup_rc == 0;
  if (ok) {
    parley_log_instance(PARLEY_LOG_INFO, "output", name, "connected to NATS%s%s%s",
                        s->cfg->create_stream ? "; stream " : "",
                        s->cfg->create_stream ? s->cfg->stream : "",
                        s->actions ? "; consuming actions" : "");
  } else if (!s->waiting_setup) {
    parley_log_instance(PARLEY_LOG_WARN, "output", name, "%s; trying again in 2 s", s->setup_err);
    uv_timer_start(&s->retry, retry_setup, 2000, 0);
  }
  if (!s->waiting_setup)
    return;
  s->waiting_setup = 0;
  if (ok)
    start_batch(s);
  else
    batch_done(s, PARLEY_ENETWORK, status ? "cannot run the NATS setup" : s->setup_err);
}

static int ready(const nats_out_t *s) {
  return !s->setup_busy && s->js && (!s->cfg->create_stream || s->stream_ok) && (!s->actions || s->actions_ok);
}

static void setup_start(nats_out_t *s) {
  if (s->setup_busy || s->closing)
    return;
  s->setup_busy = 1;
  s->setup.data = s;
  if (uv_queue_work(s->loop, &s->setup, setup_work, setup_done) != 0) {
    s->setup_busy = 0;
    if (s->waiting_setup) {
      s->waiting_setup = 0;
      batch_done(s, PARLEY_EIO, "cannot queue the NATS setup on the thread pool");
    }
  }
}

/* ---- the output ---- */

static int nats_create(parley_output_t *o, const void *config, void **state,
                       parley_error_t *err) {
  const nats_config_t *cfg = config;
  const char *name = parley_output_name(o);
  char probe[8];
  if (parley_output_nats_subject(cfg->subject_prefix, "x", "y", probe, 0) == PARLEY_EINVAL)
    return parley_error_set(err, PARLEY_ECONFIG,
                            "output %s: subject_prefix: \"%s\" is not a valid subject prefix",
                            name, cfg->subject_prefix);
  if (!subject_token_ok(cfg->stream) || strchr(cfg->stream, '/'))
    return parley_error_set(err, PARLEY_ECONFIG, "output %s: stream: \"%s\" is not a valid name",
                            name, cfg->stream);
  if (cfg->actions &&
      (parley_output_nats_subject(cfg->actions_prefix, "x", "y", probe, 0) == PARLEY_EINVAL ||
       parley_output_nats_subject(cfg->results_prefix, "x", "y", probe, 0) == PARLEY_EINVAL ||
       !subject_token_ok(cfg->actions_stream)))
    return parley_error_set(err, PARLEY_ECONFIG,
                            "output %s: actions_prefix, results_prefix or actions_stream is not "
                            "a valid subject prefix or stream name", name);
  if (cfg->max_inflight < 1 || cfg->max_inflight > 65536)
    return parley_error_set(err, PARLEY_ECONFIG, "output %s: max_inflight: must be 1 to 65536",
                            name);
  if (cfg->ack_timeout_ms < 1)
    return parley_error_set(err, PARLEY_ECONFIG, "output %s: ack_timeout: must be positive",
                            name);
  if (cfg->password && !cfg->user)
    return parley_error_set(err, PARLEY_ECONFIG, "output %s: password: needs user", name);
  nats_out_t *s = calloc(1, sizeof *s);
  if (!s)
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  if (uv_mutex_init(&s->mu) != 0) {
    free(s);
    return parley_error_set(err, PARLEY_ENOMEM, "output %s: cannot create a mutex", name);
  }
  s->mu_init = 1;
  s->o = o;
  s->cfg = cfg;
  *state = s;
  return 0;
}

static natsStatus set_options(nats_out_t *s, natsOptions *no) {
  const nats_config_t *c = s->cfg;
  natsStatus st = natsOptions_SetURL(no, c->url);
  if (st == NATS_OK && c->user)
    st = natsOptions_SetUserInfo(no, c->user, c->password);
  if (st == NATS_OK && c->token)
    st = natsOptions_SetToken(no, c->token);
  if (st == NATS_OK && c->creds_file)
    st = natsOptions_SetUserCredentialsFromFiles(no, c->creds_file, NULL);
  /* Once connected, reconnect for ever: an outage is a backlog in the
   * journal, not an error the operator must restart parleyd for. A first
   * connection that fails fails the batch; the router retries it. */
  if (st == NATS_OK)
    st = natsOptions_SetMaxReconnect(no, -1);
  if (st == NATS_OK)
    st = natsOptions_SetReconnectWait(no, 500);
  if (st == NATS_OK)
    st = natsOptions_SetName(no, "parleyd");
  return st;
}

/* Connect at once (not at the first event): the action consumer must run
 * even when no event flows. */
static int nats_open(void *state, uv_loop_t *loop, parley_error_t *err) {
  nats_out_t *s = state;
  s->loop = loop;
  if (s->cfg->actions &&
      parley_nats_actions_new(&s->actions, s->o, loop, s->cfg->actions_stream,
                              s->cfg->actions_prefix, s->cfg->results_prefix) != 0)
    return parley_error_set(err, PARLEY_ENOMEM, "output %s: out of memory",
                            parley_output_name(s->o));
  uv_async_init(loop, &s->wake, on_wake);
  s->wake.data = s;
  uv_timer_init(loop, &s->retry);
  s->retry.data = s;
  s->handles = 2 + (s->actions != NULL);
  setup_start(s);
  return 0;
}

static void nats_deliver(void *state, const parley_output_item_t *items, size_t n) {
  nats_out_t *s = state;
  if (n > s->cap) {
    parley_output_item_t *p = realloc(s->items, n * sizeof *p);
    if (!p) {
      parley_output_done(s->o, PARLEY_ENOMEM, "out of memory copying a batch");
      return;
    }
    s->items = p;
    s->cap = n;
  }
  memcpy(s->items, items, n * sizeof *items); /* the array lives only during this call */
  s->n = n;
  if (ready(s)) {
    start_batch(s);
    return;
  }
  s->in_batch = 1;
  s->waiting_setup = 1;
  uv_timer_stop(&s->retry);
  setup_start(s); /* or wait for the one running */
}

/* Closing: stop the action consumer, drop the connection (its threads
 * stop), then close the uv handles; cb when all are closed and no setup
 * runs on a worker thread. */
static void close_step(nats_out_t *s) {
  if (s->setup_busy || s->handles > 0 || !s->close_cb)
    return;
  void (*cb)(parley_output_t *o) = s->close_cb;
  s->close_cb = NULL;
  cb(s->close_o);
}

static void handle_closed(uv_handle_t *h) {
  nats_out_t *s = h->data;
  s->handles--;
  close_step(s);
}

static void actions_closed(void *data) {
  nats_out_t *s = data;
  s->handles--;
  close_step(s);
}

static void nats_close(void *state, void (*cb)(parley_output_t *o), parley_output_t *o) {
  nats_out_t *s = state;
  s->closing = 1;
  s->close_cb = cb;
  s->close_o = o;
  /* The flag covers an ack handler that runs before the threads stop. */
  uv_mutex_lock(&s->mu);
  s->closed = 1;
  uv_mutex_unlock(&s->mu);
  if (s->handles == 0) { /* never opened */
    close_step(s);
    return;
  }
  if (s->actions)
    parley_nats_actions_close(s->actions, actions_closed, s);
  if (!s->setup_busy) { /* else the worker still uses them: destroy() frees */
    jsCtx_Destroy(s->js);
    s->js = NULL;
    natsConnection_Destroy(s->nc);
    s->nc = NULL;
  }
  uv_close((uv_handle_t *)&s->wake, handle_closed);
  uv_close((uv_handle_t *)&s->retry, handle_closed);
}

static void nats_destroy(void *state) {
  nats_out_t *s = state;
  if (!s)
    return;
  parley_nats_actions_free(s->actions);
  jsCtx_Destroy(s->js);
  natsConnection_Destroy(s->nc);
  if (s->mu_init)
    uv_mutex_destroy(&s->mu);
  free(s->items);
  free(s);
}

const parley_output_type_t parley_output_nats = {
    .name = "nats",
    .description = "publish to NATS JetStream: <prefix>.<platform>.<kind>, Nats-Msg-Id = event id",
    .options = nats_options,
    .config_size = sizeof(nats_config_t),
    .create = nats_create,
    .open = nats_open,
    .deliver = nats_deliver,
    .close = nats_close,
    .destroy = nats_destroy,
};

#endif /* PARLEY_OUTPUT_HAVE_NATS */
