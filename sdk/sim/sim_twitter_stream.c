/* parley-sim — Twitter/X filtered stream (twitter.md §4): rules stored per
 * app, a long-lived chunked answer with one JSON object per "\r\n"-ended
 * line, matching_rules, keep-alive "\r\n" lines, and 429 TooManyConnections
 * beyond the allowed concurrent connections. Stream faults (§12): a fault
 * taken at connect shapes the connection's deliveries (duplicate: each
 * tweet twice; out_of_order: tweets swapped in pairs; truncated: the next
 * tweet is cut mid-line and the connection closed; invalid_utf8: a byte
 * 0xFF at the start of each tweet's text), and two control calls
 * act on open connections: POST /twitter/_sim/stream/disconnect (the
 * operational-disconnect error line, then close) and
 * POST /twitter/_sim/stream/stall (no more data nor keep-alives). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_twitter.h"

struct parley_tw_conn {
  parley_sim_t *sim;
  parley_httpd_req_t *req;
  parley_tw_fields_t fields;
  parley_sim_fault_kind_t fault; /* duplicate, out_of_order, truncated */
  char *held;                    /* out_of_order: the line kept back */
  size_t held_len;
  int stalled;
  struct parley_tw_conn *next;
};

static const char *parley_tw_s(json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

static json_t *parley_tw_sent_meta(size_t count) {
  char ts[40];
  parley_tw_time(parley_sim_now_ms(), ts, sizeof ts);
  return json_pack("{s:s,s:I}", "sent", ts, "result_count", (json_int_t)count);
}

static json_t *parley_tw_rule_json(const parley_tw_rule_t *r) {
  return json_pack("{s:s,s:s,s:s?}", "id", r->id, "value", r->value, "tag", r->tag);
}

static void parley_tw_rule_clear(parley_tw_rule_t *r) {
  free(r->value);
  free(r->tag);
  parley_tw_query_free(r->query);
}

/* ---- rules ------------------------------------------------------------------- */

static void parley_tw_rules_get(parley_tw_call_t *c) {
  char ids[1024];
  parley_tw_t *tw = c->tw;
  const char *want = parley_tw_param(c, "ids", ids, sizeof ids);
  json_t *data = json_array();
  for (size_t i = 0; i < tw->nrules; i++) {
    if (want && !parley_tw_has(want, tw->rules[i].id)) continue;
    json_array_append_new(data, parley_tw_rule_json(&tw->rules[i]));
  }
  json_t *body = json_pack("{s:o}", "meta", parley_tw_sent_meta(json_array_size(data)));
  if (json_array_size(data)) json_object_set(body, "data", data);
  json_decref(data);
  parley_tw_reply(c, 200, body);
}

static parley_tw_rule_t *parley_tw_rule_by_value(parley_tw_t *tw, const char *value) {
  for (size_t i = 0; i < tw->nrules; i++)
    if (!strcmp(tw->rules[i].value, value)) return &tw->rules[i];
  return NULL;
}

static int parley_tw_rule_store(parley_tw_call_t *c, const char *value, const char *tag,
                                parley_tw_query_t *q, json_t *data) {
  parley_tw_t *tw = c->tw;
  if (tw->nrules == tw->caprules) {
    size_t cap = tw->caprules ? tw->caprules * 2 : 8;
    parley_tw_rule_t *nr = realloc(tw->rules, cap * sizeof *nr);
    if (!nr) return PARLEY_ENOMEM;
    tw->rules = nr;
    tw->caprules = cap;
  }
  parley_tw_rule_t *r = &tw->rules[tw->nrules];
  memset(r, 0, sizeof *r);
  parley_sim_next_id(c->sim, PARLEY_TW, r->id, sizeof r->id);
  r->value = strdup(value);
  r->tag = tag ? strdup(tag) : NULL;
  r->query = q;
  if (!r->value || (tag && !r->tag)) {
    parley_tw_rule_clear(r);
    return PARLEY_ENOMEM;
  }
  tw->nrules++;
  json_array_append_new(data, parley_tw_rule_json(r));
  return 0;
}

static void parley_tw_rules_add(parley_tw_call_t *c, json_t *add, int dry_run) {
  json_t *data = json_array(), *errors = json_array(), *rule;
  size_t i, created = 0, invalid = 0;
  json_array_foreach(add, i, rule) {
    char err[256];
    parley_tw_query_t *q = NULL;
    const char *value = parley_tw_s(rule, "value"), *tag = parley_tw_s(rule, "tag");
    parley_tw_rule_t *dup = value ? parley_tw_rule_by_value(c->tw, value) : NULL;
    if (dup) {
      json_array_append_new(errors, json_pack("{s:s,s:s,s:s,s:s}", "value", value, "id", dup->id, "title",
                                              "DuplicateRule", "type",
                                              "https://api.twitter.com/2/problems/duplicate-rules"));
    } else if (!value || parley_tw_query_parse(value, &q, err, sizeof err) != 0) {
      json_array_append_new(errors, json_pack("{s:s,s:[s],s:s,s:s}", "value", value ? value : "", "details",
                                              value ? err : "a rule needs a string 'value'", "title",
                                              "Invalid Rule", "type",
                                              "https://api.twitter.com/2/problems/invalid-rules"));
    } else if (dry_run) {
      json_array_append_new(data, json_pack("{s:s,s:s?}", "value", value, "tag", tag));
      parley_tw_query_free(q);
      created++;
      continue;
    } else if (parley_tw_rule_store(c, value, tag, q, data) == 0) {
      created++;
      continue;
    } else {
      parley_tw_query_free(q);
    }
    invalid++;
  }
  json_t *meta = parley_tw_sent_meta(0);
  json_object_del(meta, "result_count");
  json_object_set_new(meta, "summary", json_pack("{s:I,s:I,s:I,s:I}", "created", (json_int_t)(dry_run ? 0 : created),
                                                 "not_created", (json_int_t)(invalid + (dry_run ? created : 0)),
                                                 "valid", (json_int_t)created, "invalid", (json_int_t)invalid));
  json_t *body = json_pack("{s:o}", "meta", meta);
  if (json_array_size(data)) json_object_set(body, "data", data);
  if (json_array_size(errors)) json_object_set(body, "errors", errors);
  json_decref(data);
  json_decref(errors);
  parley_tw_reply(c, dry_run ? 200 : 201, body);
}

static void parley_tw_rules_delete(parley_tw_call_t *c, json_t *del, int dry_run) {
  parley_tw_t *tw = c->tw;
  json_t *ids = json_object_get(del, "ids"), *values = json_object_get(del, "values");
  size_t wanted = json_array_size(ids) + json_array_size(values), deleted = 0;
  for (size_t i = 0; i < tw->nrules;) {
    parley_tw_rule_t *r = &tw->rules[i];
    int hit = 0;
    size_t k;
    json_t *v;
    json_array_foreach(ids, k, v) hit |= json_is_string(v) && !strcmp(json_string_value(v), r->id);
    json_array_foreach(values, k, v) hit |= json_is_string(v) && !strcmp(json_string_value(v), r->value);
    if (!hit) {
      i++;
      continue;
    }
    deleted++;
    if (dry_run) {
      i++;
      continue;
    }
    parley_tw_rule_clear(r);
    memmove(r, r + 1, (tw->nrules - i - 1) * sizeof *r);
    tw->nrules--;
  }
  json_t *meta = parley_tw_sent_meta(0);
  json_object_del(meta, "result_count");
  json_object_set_new(meta, "summary", json_pack("{s:I,s:I}", "deleted", (json_int_t)deleted, "not_deleted",
                                                 (json_int_t)(wanted > deleted ? wanted - deleted : 0)));
  parley_tw_reply(c, 200, json_pack("{s:o}", "meta", meta));
}

void parley_tw_stream_rules(parley_tw_call_t *c) {
  parley_error_t err = {0};
  char dry[8];
  int is_get = !strcmp(parley_httpd_req_method(c->req), "GET");
  if (parley_tw_gate(c, PARLEY_TW_AUTH_APP, NULL, is_get ? "stream/rules/get" : "stream/rules/post",
                     is_get ? 450 : 100, is_get ? 450 : 100) != 0)
    return;
  if (is_get) {
    parley_tw_rules_get(c);
    return;
  }
  int dry_run = parley_tw_param(c, "dry_run", dry, sizeof dry) && !strcmp(dry, "true");
  json_t *b = parley_sim_req_json(c->req, &err);
  json_t *add = json_object_get(b, "add"), *del = json_object_get(b, "delete");
  if (json_is_array(add) && !del) parley_tw_rules_add(c, add, dry_run);
  else if (json_is_object(del) && !add) parley_tw_rules_delete(c, del, dry_run);
  else parley_tw_invalid_param(c, "body", "", b ? "The body must hold either an 'add' array or a 'delete' object"
                                                   : err.message);
  json_decref(b);
}

/* ---- connections ------------------------------------------------------------ */

static void parley_tw_conn_unlink(parley_tw_t *tw, parley_tw_conn_t *conn) {
  for (parley_tw_conn_t **pp = &tw->conns; *pp; pp = &(*pp)->next)
    if (*pp == conn) {
      *pp = conn->next;
      return;
    }
}

static void parley_tw_stream_closed(parley_httpd_req_t *r, void *data) {
  parley_tw_conn_t *conn = data;
  parley_tw_t *tw = parley_tw_state(conn->sim);
  if (tw) parley_tw_conn_unlink(tw, conn);
  parley_httpd_stream_end(r); /* releases the request */
  free(conn->held);
  free(conn);
}

/* End a connection from our side (on_close will not run after this). */
static void parley_tw_conn_end(parley_tw_t *tw, parley_tw_conn_t *conn) {
  parley_tw_conn_unlink(tw, conn);
  parley_httpd_stream_end(conn->req);
  free(conn->held);
  free(conn);
}

static void parley_tw_keepalive(parley_sim_t *sim, parley_sim_timer_t *t, void *data) {
  parley_tw_t *tw = parley_tw_state(sim);
  for (parley_tw_conn_t *c = tw->conns; c; c = c->next)
    if (!c->stalled) parley_httpd_stream_write(c->req, "\r\n", 2);
}

static size_t parley_tw_conn_count(parley_tw_t *tw) {
  size_t n = 0;
  for (parley_tw_conn_t *c = tw->conns; c; c = c->next) n++;
  return n;
}

void parley_tw_stream_connect(parley_tw_call_t *c) {
  parley_tw_t *tw = c->tw;
  if (parley_tw_gate(c, PARLEY_TW_AUTH_APP, NULL, "tweets/search/stream", 50, 50) != 0) return;
  if (parley_tw_conn_count(tw) >= tw->max_connections) {
    parley_tw_reply(c, 429, json_pack("{s:s,s:s,s:s,s:s}", "title", "ConnectionException", "detail",
                                      "This stream is currently at the maximum allowed connection limit.",
                                      "connection_issue", "TooManyConnections", "type",
                                      "https://api.twitter.com/2/problems/streaming-connection"));
    return;
  }
  parley_tw_conn_t *conn = calloc(1, sizeof *conn);
  if (!conn) {
    parley_tw_problem(c, 503, "Service Unavailable", "about:blank", "Service Unavailable");
    return;
  }
  conn->sim = c->sim;
  conn->req = c->req;
  conn->fault = parley_sim_req_fault(c->req).kind;
  parley_tw_fields_read(c, &conn->fields);
  conn->next = tw->conns;
  tw->conns = conn;
  parley_sim_stream_start(c->sim, c->req, 200, "application/json; charset=utf-8", &c->headers,
                          parley_tw_stream_closed, conn);
  parley_sim_headers_free(&c->headers);
  if (!tw->keepalive && c->sim->config.keepalive_ms)
    tw->keepalive = parley_sim_timer_start(c->sim, c->sim->config.keepalive_ms,
                                           c->sim->config.keepalive_ms, parley_tw_keepalive, NULL);
}

/* Write one message line, shaped by the connection's fault. */
static void parley_tw_conn_deliver(parley_tw_t *tw, parley_tw_conn_t *c, const char *json) {
  size_t n = strlen(json);
  char *framed = malloc(n + 3);
  if (!framed || c->stalled) {
    free(framed);
    return;
  }
  memcpy(framed, json, n);
  memcpy(framed + n, "\r\n", 3);
  n += 2;
  switch (c->fault) {
  case PARLEY_SIM_FAULT_TRUNCATED: /* an unclean disconnect mid-message */
    parley_httpd_stream_write(c->req, framed, n / 2);
    free(framed);
    parley_tw_conn_end(tw, c);
    return;
  case PARLEY_SIM_FAULT_DUPLICATE:
    parley_httpd_stream_write(c->req, framed, n);
    parley_httpd_stream_write(c->req, framed, n);
    break;
  case PARLEY_SIM_FAULT_INVALID_UTF8: { /* in the text, so the tweet stays mappable */
    const char *t = strstr(framed, "\"text\":\"");
    size_t at = t ? (size_t)(t - framed) + 8 : n;
    parley_httpd_stream_write(c->req, framed, at);
    parley_httpd_stream_write(c->req, "\xff", 1);
    parley_httpd_stream_write(c->req, framed + at, n - at);
    break;
  }
  case PARLEY_SIM_FAULT_OUT_OF_ORDER:
    if (!c->held) { /* keep it back until the next one has gone out */
      c->held = framed;
      c->held_len = n;
      return;
    }
    parley_httpd_stream_write(c->req, framed, n);
    parley_httpd_stream_write(c->req, c->held, c->held_len);
    free(c->held);
    c->held = NULL;
    break;
  default:
    parley_httpd_stream_write(c->req, framed, n);
  }
  free(framed);
}

void parley_tw_stream_control(parley_tw_call_t *c, const char *what) {
  parley_tw_t *tw = c->tw;
  size_t n = 0;
  if (!strcmp(what, "stall")) {
    for (parley_tw_conn_t *k = tw->conns; k; k = k->next, n++) k->stalled = 1;
  } else {
    parley_error_t err = {0};
    json_t *b = parley_sim_req_json(c->req, &err);
    const char *type = parley_tw_s(b, "disconnect_type");
    json_t *line = json_pack("{s:[{s:s,s:s,s:s,s:s}]}", "errors", "title", "operational-disconnect",
                             "disconnect_type", type ? type : "OperationalDisconnect", "detail",
                             "This stream has been disconnected upstream for operational reasons.",
                             "type", "https://api.twitter.com/2/problems/operational-disconnect");
    char *text = json_dumps(line, JSON_COMPACT);
    json_decref(line);
    json_decref(b);
    while (text && tw->conns) {
      parley_tw_conn_t *k = tw->conns;
      parley_httpd_stream_write(k->req, text, strlen(text));
      parley_httpd_stream_write(k->req, "\r\n", 2);
      parley_tw_conn_end(tw, k);
      n++;
    }
    free(text);
  }
  parley_tw_reply(c, 200, json_pack("{s:s,s:I}", "done", what, "connections", (json_int_t)n));
}

/* A new tweet: every connection gets it once if any rule matches. */
void parley_tw_stream_push(parley_sim_t *sim, json_t *item) {
  parley_tw_t *tw = parley_tw_state(sim);
  if (!tw || !tw->conns) return;
  json_t *rules = json_array();
  for (size_t i = 0; i < tw->nrules; i++)
    if (parley_tw_query_match(sim, tw->rules[i].query, item))
      json_array_append_new(rules, json_pack("{s:s,s:s}", "id", tw->rules[i].id, "tag",
                                             tw->rules[i].tag ? tw->rules[i].tag : ""));
  if (json_array_size(rules) == 0) {
    json_decref(rules);
    return;
  }
  json_t *one = json_pack("[O]", item);
  for (parley_tw_conn_t *c = tw->conns, *next; c; c = next) {
    next = c->next; /* c may end below */
    json_t *line = json_pack("{s:o,s:O}", "data", parley_tw_tweet(sim, item, &c->fields),
                             "matching_rules", rules);
    json_t *inc = parley_tw_includes(sim, one, &c->fields, 0);
    if (inc) json_object_set_new(line, "includes", inc);
    char *text = json_dumps(line, JSON_COMPACT);
    json_decref(line);
    if (text) parley_tw_conn_deliver(tw, c, text);
    free(text);
  }
  json_decref(one);
  json_decref(rules);
}

void parley_tw_stream_free(parley_tw_t *tw) {
  for (size_t i = 0; i < tw->nrules; i++) parley_tw_rule_clear(&tw->rules[i]);
  free(tw->rules);
  /* Connections still listed never saw on_close (the server was freed
   * without closing): only their memory is ours. */
  while (tw->conns) {
    parley_tw_conn_t *c = tw->conns;
    tw->conns = c->next;
    free(c->held);
    free(c);
  }
}
