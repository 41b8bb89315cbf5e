/* instagram — IG payloads -> events (instagram.md §3-§5, §9).
 *
 * comments / live_comments change (a comment on the account's media):
 *   comment, or reply when parent_id names the top-level comment; outbound
 *   when the account wrote it (from.id == the account). The value carries no
 *   time: created_at is the entry's time.
 * mentions change: only ids (comment_id for a mention in a comment, media_id
 *   for one in a caption) and Meta stores nothing to poll later. The
 *   connector resolves them (instagram_mentions.c): the fetched
 *   mentioned_comment / mentioned_media object becomes the full mention
 *   (text, author handle, created_at, url; conversation = the media) through
 *   parley_instagram_map_mentioned_*; only when the fetch fails for good
 *   (or the pending set is full) is the change itself mapped here, to the
 *   ids-only mention: id = comment_id or media_id, conversation = the media,
 *   raw always (the ids are the content).
 * Anything else: PARLEY_ENOENT -> kind unknown with the raw change.
 * Instagram has no edit or delete webhooks for comments (§9). */
#include <stdio.h>
#include <string.h>

#include "instagram.h"
#include "parley/sdk/logtext.h"
#include "parley/sdk/json.h"

static int oom(parley_meta_t *m, parley_error_t *err) {
  return parley_error_set(err, PARLEY_ENOMEM, "%s: out of memory", m->plat->name);
}

static void set_author(parley_event_t *ev, const json_t *obj) {
  const char *handle = parley_sdk_json_str(obj, "from.username", NULL);
  parley_event_set_author_id(ev, parley_sdk_json_str(obj, "from.id", NULL));
  parley_event_set_author_handle(ev, handle ? handle : parley_sdk_json_str(obj, "username", NULL));
}

/* An event for a comment object (webhook value, back-fill item or
 * mentioned_comment): conversation = the media, in_reply_to = the parent
 * comment or the media, author, text, the media's permalink as url,
 * created_at from "timestamp" or fallback_ms; raw = raw when include_raw. */
static int comment_event(parley_meta_t *m, const char *account, parley_kind_t kind,
                         const char *media, const json_t *obj, int64_t fallback_ms,
                         const json_t *raw, parley_event_t **out, parley_error_t *err) {
  const char *parent = parley_sdk_json_str(obj, "parent_id", NULL);
  const char *link = parley_sdk_json_str(obj, "media.permalink", NULL);
  parley_event_t *ev = parley_meta_event_new(m, parley_sdk_json_str(obj, "id", NULL), account,
                                             kind, PARLEY_VISIBILITY_PUBLIC);
  if (!ev)
    return oom(m, err);
  parley_meta_set_conversation(m, ev, media);
  parley_meta_set_in_reply_to(m, ev, parent ? parent : media);
  set_author(ev, obj);
  parley_event_set_text(ev, parley_sdk_json_str(obj, "text", NULL));
  if (link)
    parley_event_set_url(ev, link);
  parley_meta_set_created(ev, obj, "timestamp", fallback_ms);
  parley_meta_set_raw(m, ev, raw, 0);
  *out = ev;
  return 0;
}

/* Comment, reply, or the account's own (outbound). */
static parley_kind_t comment_kind(const json_t *obj, const char *account) {
  const char *from = parley_sdk_json_str(obj, "from.id", NULL);
  if (from && !strcmp(from, account))
    return PARLEY_KIND_OUTBOUND;
  return parley_sdk_json_str(obj, "parent_id", NULL) ? PARLEY_KIND_REPLY : PARLEY_KIND_COMMENT;
}

static int map_comment(parley_meta_t *m, const parley_meta_change_t *c, parley_event_t **out,
                       parley_error_t *err) {
  const json_t *v = c->value;
  const char *media = parley_sdk_json_str(v, "media.id", NULL);
  if (!parley_sdk_json_str(v, "id", NULL) || !media)
    return PARLEY_ENOENT;
  return comment_event(m, c->account, comment_kind(v, c->account), media, v, c->entry_time_ms,
                       c->raw, out, err);
}

static int map_mention(parley_meta_t *m, const parley_meta_change_t *c, parley_event_t **out,
                       parley_error_t *err) {
  const json_t *v = c->value;
  const char *media = parley_sdk_json_str(v, "media_id", NULL);
  const char *comment = parley_sdk_json_str(v, "comment_id", NULL);
  const char *id = comment ? comment : media;
  if (!id)
    return PARLEY_ENOENT;
  parley_event_t *ev = parley_meta_event_new(m, id, c->account, PARLEY_KIND_MENTION,
                                             PARLEY_VISIBILITY_PUBLIC);
  if (!ev)
    return oom(m, err);
  parley_meta_set_conversation(m, ev, media ? media : id);
  if (comment && media)
    parley_meta_set_in_reply_to(m, ev, media);
  parley_meta_set_created(ev, v, "timestamp", c->entry_time_ms);
  parley_meta_set_raw(m, ev, c->raw, 1);
  *out = ev;
  return 0;
}

int parley_instagram_map_change(parley_meta_t *m, const parley_meta_change_t *c,
                                parley_event_t **out, parley_error_t *err) {
  *out = NULL;
  if (!json_is_object(c->value))
    return PARLEY_ENOENT;
  if (!strcmp(c->field, "comments") || !strcmp(c->field, "live_comments"))
    return map_comment(m, c, out, err);
  if (!strcmp(c->field, "mentions"))
    return map_mention(m, c, out, err);
  return PARLEY_ENOENT;
}

int parley_instagram_map_comment(parley_meta_t *m, const char *account, const char *media,
                                 const json_t *comment, parley_event_t **out, parley_error_t *err) {
  char shown[80];
  if (!parley_sdk_json_str(comment, "id", NULL))
    return parley_error_set(err, PARLEY_EINVAL, "%s: comment of media %s without an id",
                            m->plat->name, parley_sdk_log_word(shown, sizeof shown, media));
  /* the account's own replies, by the from.id the API gives */
  return comment_event(m, account, comment_kind(comment, account), media, comment, 0, comment,
                       out, err);
}

int parley_instagram_map_mentioned_comment(parley_meta_t *m, const char *account,
                                           const char *media, const json_t *comment,
                                           parley_event_t **out, parley_error_t *err) {
  const char *on = parley_sdk_json_str(comment, "media.id", NULL);
  char shown[80];
  if (!parley_sdk_json_str(comment, "id", NULL))
    return parley_error_set(err, PARLEY_EINVAL, "%s: mentioned_comment on media %s without an "
                            "id", m->plat->name, parley_sdk_log_word(shown, sizeof shown, media));
  return comment_event(m, account, PARLEY_KIND_MENTION, on ? on : media, comment, 0, comment,
                       out, err);
}

int parley_instagram_map_tagged(parley_meta_t *m, const char *account, const json_t *media,
                                parley_event_t **out, parley_error_t *err) {
  const char *id = parley_sdk_json_str(media, "id", NULL);
  if (!id)
    return parley_error_set(err, PARLEY_EINVAL, "%s: tagged media without an id", m->plat->name);
  parley_event_t *ev = parley_meta_event_new(m, id, account, PARLEY_KIND_MENTION,
                                             PARLEY_VISIBILITY_PUBLIC);
  if (!ev)
    return oom(m, err);
  parley_meta_set_conversation(m, ev, id);
  parley_event_set_author_handle(ev, parley_sdk_json_str(media, "username", NULL));
  parley_event_set_text(ev, parley_sdk_json_str(media, "caption", NULL));
  parley_event_set_url(ev, parley_sdk_json_str(media, "permalink", NULL));
  const char *url = parley_sdk_json_str(media, "media_url", NULL);
  const char *type = parley_sdk_json_str(media, "media_type", "IMAGE");
  if (url)
    parley_event_add_media(ev, !strcmp(type, "VIDEO") ? "video" : "image", url);
  parley_meta_set_created(ev, media, "timestamp", 0);
  parley_meta_set_raw(m, ev, media, 0);
  *out = ev;
  return 0;
}
