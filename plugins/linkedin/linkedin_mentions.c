/* linkedin — the mentions source: posts by others that @-mention the
 * organization, read from the pull form of the social-action notifications
 * (linkedin.md §6; needs rw_organization_admin, 60 days retention):
 *
 *   GET /rest/organizationalEntityNotifications?q=criteria
 *       &organizationalEntity=<org>&actions=List(SHARE_MENTION)
 *       &timeRange=(start:<ms>,end:<ms>)&start=&count=
 *
 * The Rest.li structures List(...) and (start:..,end:..) are not encoded,
 * only the URN inside is (§3). The range starts at the checkpoint,
 * "mentions.since" = "<lastModifiedAt ms>|<URN>" of the newest mention
 * taken, and ends now; every page of it is read (it only holds what is new)
 * and a mention is emitted when it is newer than the checkpoint (later ms,
 * or the same ms and a greater URN), so none is emitted twice. The
 * checkpoint moves once the range is read, staged right after the range's
 * events, which are held until then and emitted oldest first
 * (parley/sdk/order.h). A first run looks back one day and reads one page. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkedin.h"
#include "parley/sdk/json.h"
#include "parley/sdk/order.h"

#define CK_SINCE "mentions.since"
#define FIRST_LOOKBACK_MS (24LL * 3600 * 1000)
#define KEY_MAX (PARLEY_LINKEDIN_URN_MAX + 32)

struct parley_linkedin_mentions {
  parley_linkedin_t *li;
  parley_sdk_poll_t *poll;
  int first_run;
  int64_t since_ms, end_ms, start;
  char since_urn[PARLEY_LINKEDIN_URN_MAX];
  int64_t best_ms;
  char best_urn[PARLEY_LINKEDIN_URN_MAX];
  parley_sdk_order_t held; /* the range's events, emitted oldest first */
};

static void fetch(parley_linkedin_mentions_t *s);

static int newer(int64_t ms, const char *urn, int64_t than_ms, const char *than_urn) {
  return ms > than_ms || (ms == than_ms && strcmp(urn, than_urn) > 0);
}

static void load(parley_linkedin_mentions_t *s) {
  char buf[KEY_MAX];
  parley_linkedin_t *li = s->li;
  int64_t now = li->host->wall_ms(li->inst);
  s->first_run = li->host->checkpoint_get(li->inst, CK_SINCE, buf, sizeof buf) <= 0;
  char *bar = s->first_run ? NULL : strchr(buf, '|');
  s->since_ms = bar ? strtoll(buf, NULL, 10) : now - FIRST_LOOKBACK_MS;
  snprintf(s->since_urn, sizeof s->since_urn, "%s", bar ? bar + 1 : "");
  s->best_ms = s->since_ms;
  snprintf(s->best_urn, sizeof s->best_urn, "%s", s->since_urn);
  s->end_ms = now + 1; /* the range's end is exclusive */
  s->start = 0;
}

static void poll_fn(parley_sdk_poll_t *p, void *data) {
  parley_linkedin_mentions_t *s = data;
  (void)p;
  load(s);
  fetch(s);
}

static void take(parley_linkedin_mentions_t *s, const json_t *n) {
  char urn[PARLEY_LINKEDIN_URN_MAX];
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  int64_t ms = parley_linkedin_notification_ms(n);
  const char *gen = parley_sdk_json_str(n, "generatedActivity", NULL);
  if (parley_linkedin_urn_normalize(gen, urn, sizeof urn) < 0 ||
      !newer(ms, urn, s->since_ms, s->since_urn))
    return;
  if (parley_linkedin_map_notification(s->li, n, &ev, &err) != 0) {
    parley_linkedin_count(s->li, "unmapped_total", 1);
    s->li->host->log(s->li->inst, PARLEY_LOG_WARN, "mentions: %s", err.message);
    return;
  }
  parley_linkedin_mark(s->li, ev); /* this response's repairs */
  parley_sdk_order_add(&s->held, ev);
  if (newer(ms, urn, s->best_ms, s->best_urn)) {
    s->best_ms = ms;
    snprintf(s->best_urn, sizeof s->best_urn, "%s", urn);
  }
}

/* A failed range emits what it read all the same; the checkpoint stays. */
static void failed(parley_linkedin_mentions_t *s, const parley_sdk_error_t *e) {
  parley_sdk_order_flush(&s->held);
  parley_sdk_poll_done(s->poll, 0, e);
}

static void finish(parley_linkedin_mentions_t *s) {
  char buf[KEY_MAX];
  parley_sdk_order_flush(&s->held); /* oldest first, before the checkpoint */
  if (newer(s->best_ms, s->best_urn, s->since_ms, s->since_urn) || s->first_run) {
    snprintf(buf, sizeof buf, "%" PRId64 "|%s", s->best_ms, s->best_urn);
    s->li->host->checkpoint_set(s->li->inst, CK_SINCE, buf);
  }
  parley_linkedin_count(s->li, "mention_passes_total", 1);
  parley_sdk_poll_done(s->poll, 0, NULL);
}

static void on_page(parley_sdk_http_t *c, const parley_sdk_http_result_t *r, void *data) {
  parley_linkedin_mentions_t *s = data;
  size_t i, n;
  json_t *note;
  (void)c;
  if (r->status == PARLEY_ECANCELED) {
    parley_sdk_order_clear(&s->held); /* stopping: the next start re-reads */
    return;
  }
  parley_linkedin_outcome(s->li, r, "GET /rest/organizationalEntityNotifications");
  if (r->status < 0) {
    failed(s, r->error);
    return;
  }
  json_t *elements = parley_sdk_json_array(r->json, "elements", &n);
  json_array_foreach(elements, i, note) {
    const char *action = parley_sdk_json_str(note, "action", "");
    if (strcmp(action, "SHARE_MENTION") == 0)
      take(s, note);
  }
  int64_t total = parley_sdk_json_int(r->json, "paging.total", -1);
  s->start += (int64_t)n;
  if (!s->first_run && (int64_t)n == s->li->cfg->page_size && (total < 0 || s->start < total))
    fetch(s);
  else
    finish(s);
}

static void fetch(parley_linkedin_mentions_t *s) {
  parley_linkedin_t *li = s->li;
  char path[PARLEY_LINKEDIN_URN_MAX * 3 + 256];
  snprintf(path, sizeof path,
           "/organizationalEntityNotifications?q=criteria&organizationalEntity=%s"
           "&actions=List(SHARE_MENTION)&timeRange=(start:%" PRId64 ",end:%" PRId64 ")"
           "&start=%" PRId64 "&count=%" PRId64,
           li->org_enc, s->since_ms, s->end_ms, s->start, li->cfg->page_size);
  char *url = parley_linkedin_url(li, path);
  int rc = url ? parley_linkedin_send(li, NULL, url, "GET /rest/organizationalEntityNotifications",
                                      NULL, on_page, s)
               : PARLEY_ENOMEM;
  free(url);
  if (rc) {
    parley_sdk_error_t e;
    parley_sdk_error_transport(&e, rc, "the notifications request could not be sent");
    failed(s, &e);
  }
}

parley_sdk_poll_t *parley_linkedin_mentions_poll(parley_linkedin_mentions_t *s) {
  return s->poll;
}

int parley_linkedin_mentions_new(parley_linkedin_t *li, parley_linkedin_mentions_t **out,
                                 parley_error_t *err) {
  parley_sdk_poll_config_t pc;
  parley_linkedin_mentions_t *s = calloc(1, sizeof *s);
  if (!s)
    return parley_error_set(err, PARLEY_ENOMEM, "linkedin: out of memory");
  s->li = li;
  /* the notifications' order is not documented: times alone decide */
  parley_sdk_order_init(&s->held, parley_linkedin_emit_held, li, 0);
  parley_linkedin_poll_config(li, &pc);
  int rc = parley_sdk_poll_new(li->host, li->inst, li->http,
                               "GET /rest/organizationalEntityNotifications", &pc, poll_fn, s,
                               &s->poll);
  if (rc) {
    free(s);
    return parley_error_set(err, rc, "linkedin: cannot create the mentions poller");
  }
  *out = s;
  return 0;
}

void parley_linkedin_mentions_free(parley_linkedin_mentions_t *s) {
  if (!s)
    return;
  if (s->poll)
    parley_sdk_poll_free(s->poll);
  parley_sdk_order_clear(&s->held);
  free(s);
}
