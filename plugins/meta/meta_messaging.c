/* meta — Messenger and Instagram messaging items -> events (facebook.md §15,
 * instagram.md §7, §9). Both platforms send the same shape in
 * entry.messaging[]: {sender, recipient, timestamp (ms), <one payload>}.
 *
 *   message            direct_message (private), id = mid
 *     is_echo          outbound: the brand wrote it (through parley or the
 *                      platform's own app), customer = recipient
 *     quick_reply      postback: the customer tapped a quick reply
 *     is_deleted       deleted, id = "<mid>~deleted"
 *   message_edit       edited, id = "<mid>~edited~<num_edit>"
 *   postback           postback (button), id = mid or a payload hash
 *   reaction           reaction, in_reply_to = the message reacted to
 *   anything else      unknown (read/delivery receipts, referrals, ...)
 * The conversation is "<account>:<customer scoped id>" (meta.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta.h"
#include "parley/sdk/json.h"

/* Meta attachment types -> parley media types. */
static const char *media_type(const char *t) {
  if (!t)
    return "file";
  if (!strcmp(t, "image") || !strcmp(t, "video") || !strcmp(t, "audio"))
    return t;
  if (!strcmp(t, "ig_reel") || !strcmp(t, "reel"))
    return "video";
  if (!strcmp(t, "animated_image") || !strcmp(t, "sticker"))
    return "gif";
  return "file";
}

static void add_attachments(parley_event_t *ev, const json_t *list) {
  size_t i;
  json_t *a;
  json_array_foreach(list, i, a) {
    const char *url = parley_sdk_json_str(a, "payload.url", NULL);
    if (!url)
      url = parley_sdk_json_str(a, "image_data.url", NULL); /* Graph messages */
    if (url)
      parley_event_add_media(ev, media_type(parley_sdk_json_str(a, "type", NULL)), url);
  }
}

typedef struct party {
  const char *customer; /* the customer's scoped id */
  int from_brand;
} party_t;

static int parties(const char *account, const json_t *item, party_t *p) {
  const char *sender = parley_sdk_json_str(item, "sender.id", NULL);
  const char *recipient = parley_sdk_json_str(item, "recipient.id", NULL);
  p->from_brand = sender && !strcmp(sender, account);
  p->customer = p->from_brand ? recipient : sender;
  return p->customer && *p->customer ? 0 : PARLEY_EINVAL;
}

/* The parts every messaging event has. */
static parley_event_t *base(parley_meta_t *m, const char *account, const char *native,
                            parley_kind_t kind, const party_t *p, const json_t *item,
                            int64_t entry_ms) {
  char conv[2 * PARLEY_META_ID_MAX];
  parley_event_t *ev = parley_meta_event_new(m, native, account, kind, PARLEY_VISIBILITY_PRIVATE);
  if (!ev)
    return NULL;
  parley_meta_dm_conversation(account, p->customer, conv, sizeof conv);
  parley_meta_set_conversation(m, ev, conv);
  parley_event_set_author_id(ev, p->from_brand ? account : p->customer);
  parley_meta_set_created(ev, item, "timestamp", entry_ms);
  parley_meta_set_raw(m, ev, item, kind == PARLEY_KIND_POSTBACK);
  return ev;
}

static int map_message(parley_meta_t *m, const char *account, const json_t *item,
                       const party_t *p, int64_t entry_ms, parley_event_t **out) {
  const json_t *msg = json_object_get(item, "message");
  const char *mid = parley_sdk_json_str(msg, "mid", NULL);
  char native[PARLEY_META_ID_MAX + 32];
  parley_kind_t kind = p->from_brand ? PARLEY_KIND_OUTBOUND : PARLEY_KIND_DIRECT_MESSAGE;
  if (!mid)
    return PARLEY_EINVAL;
  snprintf(native, sizeof native, "%s", mid);
  if (parley_sdk_json_bool(msg, "is_deleted", 0)) {
    kind = PARLEY_KIND_DELETED;
    snprintf(native, sizeof native, "%s~deleted", mid);
  } else if (!p->from_brand && json_object_get(msg, "quick_reply")) {
    kind = PARLEY_KIND_POSTBACK;
  }
  parley_event_t *ev = base(m, account, native, kind, p, item, entry_ms);
  if (!ev)
    return PARLEY_ENOMEM;
  parley_event_set_text(ev, parley_sdk_json_str(msg, "text", NULL));
  add_attachments(ev, json_object_get(msg, "attachments"));
  const char *reply_to = parley_sdk_json_str(msg, "reply_to.mid", NULL);
  if (kind == PARLEY_KIND_DELETED)
    reply_to = mid;
  parley_meta_set_in_reply_to(m, ev, reply_to);
  *out = ev;
  return 0;
}

static int map_edit(parley_meta_t *m, const char *account, const json_t *item, const party_t *p,
                    int64_t entry_ms, parley_event_t **out) {
  const json_t *e = json_object_get(item, "message_edit");
  const char *mid = parley_sdk_json_str(e, "mid", NULL);
  char native[PARLEY_META_ID_MAX + 64];
  if (!mid)
    return PARLEY_EINVAL;
  snprintf(native, sizeof native, "%s~edited~%lld", mid,
           (long long)parley_sdk_json_int(e, "num_edit", 1));
  parley_event_t *ev = base(m, account, native, PARLEY_KIND_EDITED, p, item, entry_ms);
  if (!ev)
    return PARLEY_ENOMEM;
  parley_event_set_text(ev, parley_sdk_json_str(e, "text", NULL));
  parley_meta_set_in_reply_to(m, ev, mid);
  *out = ev;
  return 0;
}

static int map_postback(parley_meta_t *m, const char *account, const json_t *item,
                        const party_t *p, int64_t entry_ms, parley_event_t **out) {
  const json_t *pb = json_object_get(item, "postback");
  char native[PARLEY_META_ID_MAX + 32];
  const char *mid = parley_sdk_json_str(pb, "mid", NULL);
  if (mid && *mid)
    snprintf(native, sizeof native, "%s", mid);
  else
    parley_meta_payload_id("postback", account, item, native, sizeof native);
  parley_event_t *ev = base(m, account, native, PARLEY_KIND_POSTBACK, p, item, entry_ms);
  if (!ev)
    return PARLEY_ENOMEM;
  const char *title = parley_sdk_json_str(pb, "title", NULL);
  parley_event_set_text(ev, title && *title ? title : parley_sdk_json_str(pb, "payload", NULL));
  *out = ev;
  return 0;
}

static int map_reaction(parley_meta_t *m, const char *account, const json_t *item,
                        const party_t *p, int64_t entry_ms, parley_event_t **out) {
  const json_t *r = json_object_get(item, "reaction");
  const char *mid = parley_sdk_json_str(r, "mid", NULL);
  const char *action = parley_sdk_json_str(r, "action", "react");
  const char *what = parley_sdk_json_str(r, "reaction", NULL);
  const char *emoji = parley_sdk_json_str(r, "emoji", NULL);
  char native[PARLEY_META_ID_MAX];
  char text[128];
  /* one person's reaction to one message, per action and moment */
  parley_meta_payload_id("reaction", account, item, native, sizeof native);
  parley_event_t *ev = base(m, account, native, PARLEY_KIND_REACTION, p, item, entry_ms);
  if (!ev)
    return PARLEY_ENOMEM;
  snprintf(text, sizeof text, "%s%s%s", strcmp(action, "unreact") ? "" : "unreact ",
           emoji ? emoji : "", !emoji && what ? what : "");
  parley_event_set_text(ev, text);
  parley_meta_set_in_reply_to(m, ev, mid);
  *out = ev;
  return 0;
}

int parley_meta_map_messaging(parley_meta_t *m, const char *account, const json_t *item,
                              int64_t entry_ms, parley_event_t **out, parley_error_t *err) {
  party_t p;
  int rc;
  *out = NULL;
  if (!json_is_object(item) || parties(account, item, &p) != 0) {
    *out = parley_meta_unknown_event(m, account, "a messaging item without sender/recipient",
                                     item, entry_ms);
    return *out ? 0 : PARLEY_ENOMEM;
  }
  if (json_object_get(item, "message"))
    rc = map_message(m, account, item, &p, entry_ms, out);
  else if (json_object_get(item, "message_edit"))
    rc = map_edit(m, account, item, &p, entry_ms, out);
  else if (json_object_get(item, "postback"))
    rc = map_postback(m, account, item, &p, entry_ms, out);
  else if (json_object_get(item, "reaction"))
    rc = map_reaction(m, account, item, &p, entry_ms, out);
  else
    rc = PARLEY_ENOENT;
  if (rc == PARLEY_ENOENT || rc == PARLEY_EINVAL) {
    /* a known payload missing its id is as unusable as an unknown one:
     * carry it raw rather than drop it */
    *out = parley_meta_unknown_event(m, account, "a messaging item", item, entry_ms);
    return *out ? 0 : parley_error_set(err, PARLEY_ENOMEM, "%s: out of memory", m->plat->name);
  }
  if (rc)
    return parley_error_set(err, rc, "%s: messaging item: out of memory", m->plat->name);
  return 0;
}

int parley_meta_map_thread_message(parley_meta_t *m, const char *account, const json_t *msg,
                                   parley_event_t **out, parley_error_t *err) {
  const char *id = parley_sdk_json_str(msg, "id", NULL);
  const char *from = parley_sdk_json_str(msg, "from.id", NULL);
  const char *to = parley_sdk_json_str(msg, "to.data.0.id", NULL);
  party_t p = {.from_brand = from && !strcmp(from, account)};
  p.customer = p.from_brand ? to : from;
  if (!id || !p.customer)
    return parley_error_set(err, PARLEY_EINVAL, "%s: thread message without id, from or to",
                            m->plat->name);
  char conv[2 * PARLEY_META_ID_MAX];
  parley_event_t *ev = parley_meta_event_new(m, id, account,
                                             p.from_brand ? PARLEY_KIND_OUTBOUND
                                                          : PARLEY_KIND_DIRECT_MESSAGE,
                                             PARLEY_VISIBILITY_PRIVATE);
  if (!ev)
    return parley_error_set(err, PARLEY_ENOMEM, "%s: out of memory", m->plat->name);
  parley_meta_dm_conversation(account, p.customer, conv, sizeof conv);
  parley_meta_set_conversation(m, ev, conv);
  const char *who = p.from_brand ? account : p.customer;
  parley_event_set_author_id(ev, who);
  const char *name = parley_sdk_json_str(msg, "from.name", NULL);
  const char *handle = parley_sdk_json_str(msg, "from.username", NULL);
  parley_event_set_author_name(ev, name);
  parley_event_set_author_handle(ev, handle);
  parley_event_set_text(ev, parley_sdk_json_str(msg, "message", NULL));
  parley_meta_set_created(ev, msg, "created_time", 0);
  add_attachments(ev, parley_sdk_json_get(msg, "attachments.data"));
  parley_meta_set_raw(m, ev, msg, 0);
  *out = ev;
  return 0;
}
