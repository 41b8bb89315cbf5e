/* tiktok — one comment or reply to a parley.event.v1 event (pure).
 *
 * The same item shape arrives from business/comment/list/, from
 * business/comment/reply/list/ (§4.1, §4.2) and as the content of a
 * comment.update webhook (§5.2), so one mapping serves both paths and gives
 * the same id, "tiktok:<comment_id>".
 *
 * Decided where tiktok.md is unsure: a comment is a reply when the list it
 * came from says so, or (webhooks) when parent_comment_id is set and is not
 * the video id (§4.1 field notes: top-level comments carry the video id
 * there or nothing). create_time is seconds, as a string in lists and a
 * number elsewhere: both are read. owner:true marks the business's own
 * comments: kind outbound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/sdk/logtext.h"
#include "parley/sdk/json.h"
#include "parley/sdk/paging.h"
#include "parley/sdk/time.h"
#include "tiktok.h"

int parley_tiktok_native_id(const char *id, char *buf, size_t len) {
  const char *prefix = PARLEY_TIKTOK_PLATFORM ":";
  if (!id)
    return PARLEY_EINVAL;
  if (strncmp(id, prefix, strlen(prefix)) == 0)
    id += strlen(prefix);
  if (!parley_sdk_id_valid(id) || strlen(id) >= len)
    return PARLEY_EINVAL;
  snprintf(buf, len, "%s", id);
  return 0;
}

int parley_tiktok_event_id(const char *id, char *buf, size_t len) {
  if (!parley_sdk_id_valid(id))
    return PARLEY_EINVAL;
  int n = snprintf(buf, len, PARLEY_TIKTOK_PLATFORM ":%s", id);
  return n < 0 || (size_t)n >= len ? PARLEY_EINVAL : 0;
}

size_t parley_tiktok_chars(const char *s) {
  size_t n = 0;
  for (; s && *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80) /* not a continuation byte */
      n++;
  return n;
}

int64_t parley_tiktok_comment_ms(const json_t *c) {
  int64_t ms;
  if (parley_sdk_time_from_json(c, "create_time", &ms) == 0)
    return ms;
  /* comment.update content may carry only its timestamp (§5.2) */
  if (parley_sdk_time_from_json(c, "timestamp", &ms) == 0)
    return ms;
  return -1;
}

static int is_reply(const json_t *c, const parley_tiktok_map_ctx_t *ctx, const char *video) {
  if (ctx->level != PARLEY_TIKTOK_LEVEL_AUTO)
    return ctx->level == PARLEY_TIKTOK_LEVEL_REPLY;
  const char *parent = parley_sdk_json_str(c, "parent_comment_id", NULL);
  const char *type = parley_sdk_json_str(c, "comment_type", NULL);
  if (type && strcmp(type, "reply") == 0)
    return 1;
  return parent && *parent && strcmp(parent, video) != 0;
}

/* The thread: conversation = the video, in_reply_to = video or parent. */
static int set_thread(parley_event_t *ev, const json_t *c, const parley_tiktok_map_ctx_t *ctx,
                      const char *video, parley_error_t *err) {
  char buf[PARLEY_TIKTOK_ID_MAX + 16], shown[48];
  if (parley_tiktok_event_id(video, buf, sizeof buf) != 0)
    return parley_error_set(err, PARLEY_EINVAL, "tiktok: comment: video_id %s is not a "
                            "numeric id", parley_sdk_log_word(shown, sizeof shown, video));
  parley_event_set_conversation_id(ev, buf);
  if (is_reply(c, ctx, video)) {
    const char *parent = parley_sdk_json_str(c, "parent_comment_id", NULL);
    if (!parent || !*parent || strcmp(parent, video) == 0)
      parent = ctx->parent_id;
    if (parley_tiktok_event_id(parent, buf, sizeof buf) != 0)
      return parley_error_set(err, PARLEY_EINVAL, "tiktok: reply without a numeric "
                              "parent_comment_id");
    parley_event_set_kind(ev, PARLEY_KIND_REPLY);
  } else {
    parley_event_set_kind(ev, PARLEY_KIND_COMMENT);
  }
  parley_event_set_in_reply_to(ev, buf);
  if (parley_sdk_json_bool(c, "owner", 0))
    parley_event_set_kind(ev, PARLEY_KIND_OUTBOUND);
  return 0;
}

/* TikTok has no link to a single comment: the event links to its video. */
static void set_url(parley_event_t *ev, const parley_tiktok_map_ctx_t *ctx, const char *video) {
  char url[PARLEY_TIKTOK_ID_MAX * 3 + 64];
  if (ctx->video_url && strncmp(ctx->video_url, "https://", 8) == 0) {
    parley_event_set_url(ev, ctx->video_url);
  } else if (ctx->account_handle && *ctx->account_handle) {
    snprintf(url, sizeof url, "https://www.tiktok.com/@%.64s/video/%s", ctx->account_handle,
             video);
    parley_event_set_url(ev, url);
  }
}

static void set_author(parley_event_t *ev, const json_t *c) {
  const char *handle = parley_sdk_json_str(c, "username", NULL);
  if (!handle || !*handle)
    handle = parley_sdk_json_str(c, "unique_identifier", NULL);
  parley_event_set_author_id(ev, parley_sdk_json_str(c, "user_id", NULL));
  parley_event_set_author_handle(ev, handle);
  parley_event_set_author_name(ev, parley_sdk_json_str(c, "display_name", NULL));
}

static int set_raw(parley_event_t *ev, const json_t *c) {
  char *raw = json_dumps(c, JSON_COMPACT);
  int rc = raw ? parley_event_set_raw(ev, raw, strlen(raw)) : PARLEY_ENOMEM;
  free(raw);
  return rc;
}

static int fill(parley_event_t *ev, const json_t *c, const parley_tiktok_map_ctx_t *ctx,
                parley_error_t *err) {
  char id[PARLEY_TIKTOK_ID_MAX + 16];
  const char *cid = parley_sdk_json_str(c, "comment_id", NULL);
  const char *video = parley_sdk_json_str(c, "video_id", ctx->video_id);
  if (parley_tiktok_event_id(cid, id, sizeof id) != 0)
    return parley_error_set(err, PARLEY_EINVAL, "tiktok: comment: comment_id missing or not a "
                            "numeric id");
  int64_t ms = parley_tiktok_comment_ms(c);
  if (ms <= 0)
    return parley_error_set(err, PARLEY_EINVAL, "tiktok: comment %s: create_time missing or "
                            "not epoch seconds", cid);
  parley_event_set_id(ev, id);
  parley_event_set_platform(ev, PARLEY_TIKTOK_PLATFORM);
  parley_event_set_account(ev, ctx->account);
  parley_event_set_visibility(ev, PARLEY_VISIBILITY_PUBLIC);
  parley_event_set_created_at(ev, ms);
  int rc = set_thread(ev, c, ctx, video ? video : "", err);
  if (rc)
    return rc;
  set_author(ev, c);
  parley_event_set_text(ev, parley_sdk_json_str(c, "text", NULL));
  set_url(ev, ctx, video);
  if (ctx->include_raw && set_raw(ev, c) != 0)
    return parley_error_set(err, PARLEY_ENOMEM, "tiktok: comment %s: raw payload", cid);
  return 0;
}

int parley_tiktok_map_comment(const json_t *c, const parley_tiktok_map_ctx_t *ctx,
                              parley_event_t **out, parley_error_t *err) {
  if (!json_is_object(c))
    return parley_error_set(err, PARLEY_EINVAL, "tiktok: comment is not a JSON object");
  parley_event_t *ev = parley_event_new();
  if (!ev)
    return parley_error_set(err, PARLEY_ENOMEM, "tiktok: out of memory");
  int rc = fill(ev, c, ctx, err);
  if (rc) {
    parley_event_free(ev);
    return rc;
  }
  *out = ev;
  return 0;
}
