/* parleyctl tail [--match EXPR] — follow GET /v1/events (Server-Sent
 * Events): one line per event as it is accepted, or with --json the event
 * document itself (one parley.event.v1 per line, for jq). EXPR is a route
 * match expression; the server checks it (400 names what is wrong). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "format.h"

static const parley_ctl_opt_t opts[] = {{"match", 1}};

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

static int on_event(const parley_ctl_sse_event_t *e, void *data) {
  const parley_ctl_t *ctl = data;
  if (strcmp(e->event, "event") != 0)
    return 0; /* other kinds a later server may send */
  if (ctl->json) {
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

static int run(parley_ctl_t *ctl, const parley_ctl_opt_t *spec, size_t n,
               const parley_ctl_args_t *a) {
  const char *match = parley_ctl_arg(spec, n, a, "match");
  char *path = NULL;
  if (match) {
    char *q = parley_ctl_urlencode(match);
    size_t len = q ? strlen(q) + 32 : 0;
    path = q ? malloc(len) : NULL;
    if (path)
      snprintf(path, len, "/v1/events?match=%s", q);
    free(q);
    if (!path) {
      parley_ctl_err("out of memory");
      return PARLEY_CTL_EAPI;
    }
  }
  int rc = parley_ctl_stream(ctl, path ? path : "/v1/events", on_event, ctl);
  free(path);
  return rc;
}

const parley_ctl_command_t parley_ctl_cmd_tail = {
    "tail", opts, sizeof opts / sizeof opts[0], 0, 0, "tail [--match EXPR]", run,
};
