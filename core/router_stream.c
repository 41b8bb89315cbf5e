/* parley core — GET /v1/stream: what the conversation store committed, as
 * Server-Sent Events, for the agent console (docs/console-api.md):
 *   event: message       data: {"conversation_id","message_id","platform","direction"}
 *   event: conversation  data: {"id","status","assigned_to"}
 * The sqlite output tells the router after each COMMIT (its watch hook,
 * output_sqlite.h), so a client that reads the store on a notification
 * sees the change. Each subscriber follows one store (?store=, else the
 * first sqlite output). */
#include <stdlib.h>
#include <string.h>

#include "output_sqlite.h"
#include "router_store.h"

static int same_store(const void *sub_data, const void *msg) { return sub_data == msg; }

static const char *status_out(const char *store) {
  return store && strcmp(store, "answered") == 0 ? "pending" : store;
}

static json_t *change_json(const parley_store_change_t *c) {
  if (c->type == PARLEY_STORE_MESSAGE)
    return json_pack("{s:s,s:s?,s:s?,s:s?}", "conversation_id", c->conversation_id,
                     "message_id", c->message_id, "platform", c->platform, "direction",
                     c->direction);
  return json_pack("{s:s,s:s?,s:s?}", "id", c->conversation_id, "status",
                   status_out(c->status), "assigned_to", c->assigned_to);
}

/* The store's watcher (on the loop, after its COMMIT). */
static void store_changed(const parley_store_change_t *c, void *data) {
  parley_output_t *o = data;
  parley_router_t *r = o->r;
  if (parley_sse_count(r->sse, PARLEY_SSE_STREAM) == 0)
    return;
  json_t *j = change_json(c);
  char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
  if (text)
    parley_sse_publish(r->sse, PARLEY_SSE_STREAM, NULL,
                       c->type == PARLEY_STORE_MESSAGE ? "message" : "conversation", text,
                       strlen(text), o);
  free(text);
  json_decref(j);
}

void parley_router_stream_watch(parley_router_t *r) {
  for (size_t i = 0; i < r->n_outputs; i++)
    if (r->outputs[i]->type == &parley_output_sqlite && r->outputs[i]->state)
      parley_output_sqlite_watch(r->outputs[i]->state, store_changed, r->outputs[i]);
}

void parley_router_stream_request(parley_router_t *r, parley_httpd_req_t *req) {
  const parley_output_t *o = parley_router_store(r, req, 503);
  if (!o)
    return;
  if (r->run != PARLEY_ROUTER_RUNNING) {
    parley_router_respond_text(req, 503, "stopping\n", NULL);
    return;
  }
  parley_sse_subscribe(r->sse, req, PARLEY_SSE_STREAM, same_store, (void *)o, NULL);
}
