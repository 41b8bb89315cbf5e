/* parleyctl — the text/event-stream parser (the WHATWG "server-sent
 * events" format): lines end with LF, CR or CRLF; "field: value" lines
 * build an event, a blank line dispatches it, lines starting with ':' are
 * comments (parleyd's keepalives). Pure: fed bytes as they arrive, in any
 * chunking. */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static int grow(char **p, size_t *cap, size_t need) {
  if (need <= *cap)
    return 0;
  size_t c = *cap ? *cap : 256;
  while (c < need)
    c *= 2;
  char *q = realloc(*p, c);
  if (!q)
    return -1;
  *p = q;
  *cap = c;
  return 0;
}

static void copy_field(char *dst, size_t cap, const char *v) {
  size_t n = strlen(v);
  if (n >= cap)
    n = cap - 1;
  memcpy(dst, v, n);
  dst[n] = '\0';
}

static int dispatch(parley_ctl_sse_t *p, parley_ctl_event_cb cb, void *data) {
  if (p->ndata == 0) { /* no data: nothing to dispatch (the spec's rule) */
    p->event[0] = '\0';
    return 0;
  }
  p->data[--p->ndata] = '\0'; /* the last '\n' */
  parley_ctl_sse_event_t ev = {p->id, p->event[0] ? p->event : "message", p->data};
  int rc = cb(&ev, data);
  p->ndata = 0;
  p->event[0] = '\0';
  return rc;
}

/* One complete line (NUL-terminated in p->line). */
static int line(parley_ctl_sse_t *p, parley_ctl_event_cb cb, void *data) {
  char *s = p->line ? p->line : "";
  if (!*s)
    return dispatch(p, cb, data);
  if (*s == ':')
    return 0;
  char *colon = strchr(s, ':');
  const char *value = "";
  if (colon) {
    *colon = '\0';
    value = colon[1] == ' ' ? colon + 2 : colon + 1;
  }
  if (strcmp(s, "data") == 0) {
    size_t n = strlen(value);
    if (grow(&p->data, &p->capdata, p->ndata + n + 2) != 0)
      return -1;
    memcpy(p->data + p->ndata, value, n);
    p->ndata += n;
    p->data[p->ndata++] = '\n';
  } else if (strcmp(s, "event") == 0) {
    copy_field(p->event, sizeof p->event, value);
  } else if (strcmp(s, "id") == 0) {
    copy_field(p->id, sizeof p->id, value);
  }
  return 0; /* "retry" and unknown fields are ignored */
}

int parley_ctl_sse_feed(parley_ctl_sse_t *p, const char *buf, size_t len,
                        parley_ctl_event_cb on_event, void *data) {
  for (size_t i = 0; i < len; i++) {
    char c = buf[i];
    if (c == '\n' && p->cr) { /* the LF of a CRLF */
      p->cr = 0;
      continue;
    }
    p->cr = c == '\r';
    if (c == '\n' || c == '\r') {
      if (grow(&p->line, &p->capline, p->nline + 1) != 0)
        return -1;
      p->line[p->nline] = '\0';
      p->nline = 0;
      int rc = line(p, on_event, data);
      if (rc != 0)
        return rc;
      continue;
    }
    if (grow(&p->line, &p->capline, p->nline + 2) != 0)
      return -1;
    p->line[p->nline++] = c;
  }
  return 0;
}

void parley_ctl_sse_free(parley_ctl_sse_t *p) {
  free(p->line);
  free(p->data);
  memset(p, 0, sizeof *p);
}
