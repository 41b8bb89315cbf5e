/* parleyctl tail [--match EXPR] [--after SEQ] [--no-reconnect] — follow
 * GET /v1/events (Server-Sent Events): one line per event as it is
 * accepted, or with --json the event document itself (one parley.event.v1
 * per line, for jq). EXPR is a route match expression; the server checks
 * it (400 names what is wrong). When the stream ends or parleyd cannot be
 * reached (a restart), tail waits and reconnects with Last-Event-ID, so
 * parleyd replays what it missed; gaps it cannot fill go to stderr. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "format.h"

static const parley_ctl_opt_t opts[] = {{"match", 1}, {"after", 1}, {"no-reconnect", 0}};

#define RETRY_MIN_MS 1000u   /* the server's "retry: 3000" is for browsers */
#define RETRY_MAX_MS 30000u

typedef struct tail {
  const parley_ctl_t *ctl;
  char last[32];  /* the id of the last event printed: where a reconnect resumes */
  int got;        /* events (or gaps) in this connection: a healthy stream */
} tail_t;

static void print_human(const char *seq, json_t *ev) {
  json_t *author = json_object_get(ev, "author");
  const char *handle = parley_ctl_str(author, "handle");
  const char *name = handle ? handle : parley_ctl_str(author, "name");
  char text[512];
  parley_ctl_one_line(parley_ctl_str(ev, "text"), 120, text, sizeof text);
  printf("%s  %s  %s %s  %s%s%s%s  (%s)\n", *seq ? seq : "-",
         parley_ctl_str(ev, "created_at") ? parley_ctl_str(ev, "created_at") : "-",
         parley_ctl_str(ev, "platform") ? parley_ctl_str(ev, "platform") : "-",
         parley_ctl_str(ev, "kind") ? parley_ctl_str(ev, "kind") : "-",
         name && handle ? "@" : "", name ? name : "", name ? ": " : "", text,
         parley_ctl_str(ev, "id") ? parley_ctl_str(ev, "id") : "-");
}

static void print_gap(const char *data) {
  json_t *g = json_loads(data, 0, NULL);
  json_int_t from = json_integer_value(json_object_get(g, "from"));
  json_int_t to = json_integer_value(json_object_get(g, "to"));
  parley_ctl_err("tail: events %" JSON_INTEGER_FORMAT " to %" JSON_INTEGER_FORMAT
                 " were missed and cannot be replayed (%s)", from, to,
                 parley_ctl_str(g, "reason") ? parley_ctl_str(g, "reason") : "?");
  json_decref(g);
}

static int on_event(const parley_ctl_sse_event_t *e, void *data) {
  tail_t *t = data;
  if (strcmp(e->event, "gap") == 0) {
    t->got = 1;
    print_gap(e->data);
    return 0;
  }
  if (strcmp(e->event, "event") != 0)
    return 0; /* other kinds a later server may send */
  t->got = 1;
  if (*e->id)
    snprintf(t->last, sizeof t->last, "%s", e->id);
  if (t->ctl->json) {
    puts(e->data);
  } else {
    json_t *ev = json_loads(e->data, 0, NULL);
    if (ev)
      print_human(e->id, ev);
    else
      printf("%s  (not JSON) %s\n", e->id, e->data);
    json_decref(ev);
  }
  return fflush(stdout) == 0 ? 0 : 1; /* a closed pipe ends the tail */
}

static char *events_path(const char *match) {
  if (!match)
    return strdup("/v1/events");
  char *q = parley_ctl_urlencode(match);
  size_t len = q ? strlen(q) + 32 : 0;
  char *path = q ? malloc(len) : NULL;
  if (path)
    snprintf(path, len, "/v1/events?match=%s", q);
  free(q);
  return path;
}

/* Follow the stream; after a failure a reconnect may cure (parleyd was
 * reached before), wait (doubling from 1 s to 30 s while nothing comes
 * through) and resume after t->last. */
static int follow(parley_ctl_t *ctl, const char *path, tail_t *t, int reconnect) {
  unsigned wait = RETRY_MIN_MS;
  int reached = 0; /* a first attempt that cannot connect is a wrong --url: exit 3 */
  for (;;) {
    int resumable = 0;
    t->got = 0;
    int rc = parley_ctl_stream(ctl, path, t->last, &resumable, on_event, t);
    reached |= rc != PARLEY_CTL_ECONNECT;
    if (rc == PARLEY_CTL_OK || !resumable || !reconnect || !reached)
      return rc;
    wait = t->got ? RETRY_MIN_MS : wait;
    parley_ctl_err("tail: reconnecting in %u s%s%s", wait / 1000,
                   *t->last ? ", resuming after event " : "", t->last);
    if (parley_ctl_stream_pause(wait))
      return PARLEY_CTL_OK;
    wait = wait * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : wait * 2;
  }
}

static int run(parley_ctl_t *ctl, const parley_ctl_opt_t *spec, size_t n,
               const parley_ctl_args_t *a) {
  const char *after = parley_ctl_arg(spec, n, a, "after");
  int64_t seq = 0;
  tail_t t = {.ctl = ctl};
  if (after && strcmp(after, "0") != 0 && parley_ctl_parse_seq(after, &seq) != 0) {
    parley_ctl_err("tail: --after '%s' is not a journal seq (an integer >= 0)", after);
    return PARLEY_CTL_EUSAGE;
  }
  if (after)
    snprintf(t.last, sizeof t.last, "%" PRId64, seq);
  char *path = events_path(parley_ctl_arg(spec, n, a, "match"));
  if (!path) {
    parley_ctl_err("out of memory");
    return PARLEY_CTL_EAPI;
  }
  int rc = follow(ctl, path, &t, parley_ctl_arg(spec, n, a, "no-reconnect") == NULL);
  free(path);
  return rc;
}

const parley_ctl_command_t parley_ctl_cmd_tail = {
    "tail", opts, sizeof opts / sizeof opts[0], 0, 0,
    "tail [--match EXPR] [--after SEQ] [--no-reconnect]", run,
};
