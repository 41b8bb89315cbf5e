/* parley core — GET /v1/journal: the journal at a glance (docs/journal.md):
 * its seq range, size, what retention pruned, and where each output stands
 * in it. The event count is a scan of the events table (an operator's
 * question, not a per-event one), run on the loop thread like every journal
 * call: it is the journal's own connection. */
#include "router.h"

static json_t *journal_output_json(const parley_output_t *o) {
  return json_pack("{s:s,s:s,s:I,s:I,s:I,s:s}", "name", o->name, "type", o->type->name, "cursor",
                   (json_int_t)o->cursor, "saved_cursor", (json_int_t)o->saved_cursor,
                   "backlog", (json_int_t)parley_output_backlog(o), "state",
                   o->failing ? "failing" : "ok");
}

void parley_router_journal_request(parley_router_t *r, parley_httpd_req_t *req) {
  int64_t events = 0, bytes = 0;
  int64_t first = r->journal ? parley_journal_first_seq(r->journal) : 0;
  if (!r->journal || first < 0 || parley_journal_stats(r->journal, &events, &bytes) != 0) {
    parley_router_respond_json(req, 503, json_pack("{s:s,s:s}", "error", "PARLEY_EIO", "message",
                                                   r->journal ? parley_journal_errmsg(r->journal)
                                                              : "no journal open"));
    return;
  }
  json_t *outs = json_array();
  for (size_t i = 0; i < r->n_outputs; i++)
    json_array_append_new(outs, journal_output_json(r->outputs[i]));
  parley_router_backlog_gauges(r);
  parley_router_respond_json(
      req, 200,
      json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I},s:o}", "path", r->cfg->journal,
                "first_seq", (json_int_t)first, "last_seq", (json_int_t)r->last_seq, "events",
                (json_int_t)events, "bytes", (json_int_t)bytes, "pruned_seq",
                (json_int_t)parley_journal_pruned_seq(r->journal), "backlog", "bytes",
                (json_int_t)r->backlog.bytes, "oldest_age_ms",
                (json_int_t)(*r->g_backlog_age * 1000.0), "outputs", outs));
}
