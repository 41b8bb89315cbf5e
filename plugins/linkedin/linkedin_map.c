/* linkedin — payloads to parley.event.v1 (linkedin.md §5, §6, §7.3).
 *
 * A comment (socialActions listing) or a comment notification (pull API or
 * webhook) is one event with id "linkedin:<comment id>" (the number inside
 * its URN; comment ids are globally unique 19-digit numbers):
 *   kind           reply when it has a parentComment, outbound when the
 *                  organization wrote it (the page answering natively or
 *                  through parley), else comment
 *   conversation   the post's activity URN (`object` / `sourcePost`): the
 *                  same on every path, and a valid target for a new comment
 *   in_reply_to    linkedin:<parent comment id>, or linkedin:<post's number>
 *   author.id      the actor URN (urn:li:person:... / urn:li:organization:...);
 *                  no name or handle: LinkedIn's payloads carry none and its
 *                  Profile API may not be used for other members (see the
 *                  connector doc)
 *   created_at     created.time / lastModifiedAt, epoch milliseconds
 *   url            https://www.linkedin.com/feed/update/<post>?commentUrn=<enc>
 * A notification cannot tell a reply from a top-level comment (it has no
 * parentComment), so on the webhook path a reply is kind comment answering
 * the post; the poll path, which usually arrives first or at the same time,
 * carries the parent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "linkedin.h"
#include "parley/sdk/logtext.h"
#include "parley/sdk/encode.h"
#include "parley/sdk/json.h"
#include "parley/sdk/paging.h"
#include "parley/time.h"

#define URL_MAX (PARLEY_LINKEDIN_URN_MAX * 4 + 64)

static parley_event_t *event_new(parley_linkedin_t *li, const char *native, parley_kind_t kind,
                                 parley_error_t *err) {
  char id[PARLEY_LINKEDIN_URN_MAX + 64];
  snprintf(id, sizeof id, PARLEY_LINKEDIN_PLATFORM ":%s", native);
  parley_event_t *ev = parley_event_new();
  if (!ev || parley_event_set_id(ev, id) || parley_event_set_platform(ev, PARLEY_LINKEDIN_PLATFORM) ||
      parley_event_set_account(ev, li->org)) {
    parley_event_free(ev);
    parley_error_set(err, PARLEY_ENOMEM, "linkedin: out of memory mapping %s", native);
    return NULL;
  }
  parley_event_set_kind(ev, kind);
  parley_event_set_visibility(ev, PARLEY_VISIBILITY_PUBLIC);
  return ev;
}

/* in_reply_to: "linkedin:<number of the URN>", as the ids of events. */
static void set_ref(parley_event_t *ev, int (*setter)(parley_event_t *, const char *),
                    const char *urn) {
  char id[PARLEY_SDK_ID_MAX + 16], norm[PARLEY_LINKEDIN_URN_MAX], num[PARLEY_SDK_ID_MAX];
  if (parley_linkedin_urn_normalize(urn, norm, sizeof norm) < 0 ||
      parley_linkedin_urn_id(norm, num, sizeof num) < 0)
    return;
  snprintf(id, sizeof id, PARLEY_LINKEDIN_PLATFORM ":%s", num);
  setter(ev, id);
}

static void set_url(parley_event_t *ev, const char *post, const char *comment) {
  char url[URL_MAX], enc[PARLEY_LINKEDIN_URN_MAX * 3];
  if (!post)
    return;
  int n = snprintf(url, sizeof url, "https://www.linkedin.com/feed/update/%s/", post);
  if (comment && parley_linkedin_urn_encode(comment, enc, sizeof enc) >= 0)
    snprintf(url + n, sizeof url - (size_t)n, "?commentUrn=%s", enc);
  parley_event_set_url(ev, url);
}

static void set_raw(parley_linkedin_t *li, parley_event_t *ev, const json_t *raw, int force) {
  if (!force && !li->cfg->include_raw)
    return;
  char *s = json_dumps(raw, JSON_COMPACT | JSON_ENCODE_ANY);
  if (s)
    parley_event_set_raw(ev, s, strlen(s));
  free(s);
}

/* Image comments: content[].entity.image is a URN (resolved by the Images
 * API, which the connector does not call); a URL is passed through. */
static void set_media(parley_event_t *ev, const json_t *c) {
  size_t i, n;
  json_t *item, *content = parley_sdk_json_array(c, "content", &n);
  json_array_foreach(content, i, item) {
    const char *url = parley_sdk_json_str(item, "url", NULL);
    const char *image = parley_sdk_json_str(item, "entity.image", NULL);
    const char *video = parley_sdk_json_str(item, "entity.video", NULL);
    if (url || image)
      parley_event_add_media(ev, "image", url ? url : image);
    else if (video)
      parley_event_add_media(ev, "video", video);
  }
}

static parley_kind_t comment_kind(parley_linkedin_t *li, const char *actor, int reply) {
  if (actor && strcmp(actor, li->org) == 0)
    return PARLEY_KIND_OUTBOUND;
  return reply ? PARLEY_KIND_REPLY : PARLEY_KIND_COMMENT;
}

int parley_linkedin_map_comment(parley_linkedin_t *li, const json_t *c, parley_event_t **out,
                                parley_error_t *err) {
  char urn[PARLEY_LINKEDIN_URN_MAX], thread[PARLEY_LINKEDIN_URN_MAX], cid[64];
  const char *raw_urn = parley_sdk_json_str(c, "commentUrn", parley_sdk_json_str(c, "$URN", NULL));
  int64_t ms = parley_sdk_json_int(c, "created.time", 0);
  char shown[80];
  if (parley_linkedin_urn_normalize(raw_urn, urn, sizeof urn) < 0 ||
      parley_linkedin_comment_split(urn, thread, sizeof thread, cid, sizeof cid) < 0)
    return parley_error_set(err, PARLEY_EINVAL, "linkedin: comment %s: no valid commentUrn",
                            parley_sdk_log_word(shown, sizeof shown,
                                                parley_sdk_json_str(c, "id", NULL)));
  if (ms <= 0 || ms > PARLEY_TIME_MAX_MS)
    return parley_error_set(err, PARLEY_EINVAL, "linkedin: comment %s: no valid created.time",
                            urn);
  const char *actor = parley_sdk_json_str(c, "actor", NULL);
  const char *parent = parley_sdk_json_str(c, "parentComment", NULL);
  const char *object = parley_sdk_json_str(c, "object", NULL);
  if (!parley_linkedin_is_post_urn(object))
    object = thread; /* a reply's object may be its parent comment */
  parley_event_t *ev = event_new(li, cid, comment_kind(li, actor, parent != NULL), err);
  if (!ev)
    return err->code;
  parley_event_set_conversation_id(ev, object);
  set_ref(ev, parley_event_set_in_reply_to, parent ? parent : object);
  parley_event_set_author_id(ev, actor);
  parley_event_set_text(ev, parley_sdk_json_str(c, "message.text", NULL));
  parley_event_set_created_at(ev, ms);
  set_url(ev, object, urn);
  set_media(ev, c);
  set_raw(li, ev, c, 0);
  *out = ev;
  return 0;
}

int64_t parley_linkedin_notification_ms(const json_t *n) {
  int64_t ms = parley_sdk_json_int(n, "lastModifiedAt", 0);
  return ms <= PARLEY_TIME_MAX_MS ? ms : 0; /* past year 9999: no event can carry it */
}

/* An id for a payload that carries none of its own (an edit keeps the
 * comment's URN): the hex of SHA-256 over the text, so a redelivery maps to
 * the same id. */
static void text_hash(const char *text, char *buf, size_t len) {
  unsigned char md[EVP_MAX_MD_SIZE] = {0};
  unsigned int mdlen = 0;
  char hex[PARLEY_SDK_HEX_LEN(8)];
  const char *t = text ? text : "";
  EVP_Digest(t, strlen(t), md, &mdlen, EVP_sha256(), NULL);
  parley_sdk_hex_encode(md, 8, hex, sizeof hex);
  snprintf(buf, len, "%s", hex);
}

typedef struct note {
  const char *action, *source, *generated, *owner, *text;
  int64_t ms;
} note_t;

static int comment_note(parley_linkedin_t *li, const json_t *n, const note_t *nt,
                        parley_event_t **out, parley_error_t *err) {
  char urn[PARLEY_LINKEDIN_URN_MAX], native[PARLEY_SDK_ID_MAX + 48], h[24], cid[PARLEY_SDK_ID_MAX];
  if (parley_linkedin_urn_normalize(nt->generated, urn, sizeof urn) < 0 ||
      parley_linkedin_urn_id(urn, cid, sizeof cid) < 0)
    return parley_error_set(err, PARLEY_EINVAL, "linkedin: %s notification without a comment URN",
                            parley_sdk_log_word((char[48]){0}, 48, nt->action));
  int edit = strcmp(nt->action, "COMMENT_EDIT") == 0, del = strcmp(nt->action, "COMMENT_DELETE") == 0;
  parley_kind_t kind = edit ? PARLEY_KIND_EDITED : del ? PARLEY_KIND_DELETED
                                                      : comment_kind(li, nt->owner, 0);
  if (strcmp(nt->action, "ADMIN_COMMENT") == 0)
    kind = PARLEY_KIND_OUTBOUND;
  text_hash(nt->text, h, sizeof h);
  snprintf(native, sizeof native, "%s%s%s", cid, edit ? "~edited~" : del ? "~deleted" : "",
           edit ? h : "");
  parley_event_t *ev = event_new(li, native, kind, err);
  if (!ev)
    return err->code;
  parley_event_set_conversation_id(ev, nt->source);
  set_ref(ev, parley_event_set_in_reply_to, edit || del ? urn : nt->source);
  parley_event_set_author_id(ev, nt->owner);
  if (!del)
    parley_event_set_text(ev, nt->text);
  parley_event_set_created_at(ev, nt->ms);
  set_url(ev, nt->source, urn);
  set_raw(li, ev, n, 0);
  *out = ev;
  return 0;
}

static int other_note(parley_linkedin_t *li, const json_t *n, const note_t *nt,
                      parley_event_t **out, parley_error_t *err) {
  char native[PARLEY_LINKEDIN_URN_MAX + 48];
  int mention = strcmp(nt->action, "SHARE_MENTION") == 0;
  int like = strcmp(nt->action, "LIKE") == 0;
  long long nid = (long long)parley_sdk_json_int(n, "notificationId", -1);
  char num[PARLEY_SDK_ID_MAX];
  if (mention && parley_linkedin_urn_id(nt->generated, num, sizeof num) == 0)
    snprintf(native, sizeof native, "%s", num);
  else if (nid >= 0)
    snprintf(native, sizeof native, "notification:%lld", nid);
  else
    return parley_error_set(err, PARLEY_EINVAL, "linkedin: %s notification without an id",
                            parley_sdk_log_word((char[48]){0}, 48, nt->action));
  parley_kind_t kind = mention ? PARLEY_KIND_MENTION : like ? PARLEY_KIND_REACTION
                                                            : PARLEY_KIND_UNKNOWN;
  parley_event_t *ev = event_new(li, native, kind, err);
  if (!ev)
    return err->code;
  parley_event_set_conversation_id(ev, mention ? nt->generated : nt->source);
  if (!mention)
    set_ref(ev, parley_event_set_in_reply_to, nt->source);
  parley_event_set_author_id(ev, nt->owner);
  parley_event_set_text(ev, like ? "LIKE" : nt->text);
  parley_event_set_created_at(ev, nt->ms);
  set_url(ev, mention ? nt->generated : nt->source, NULL);
  set_raw(li, ev, n, kind == PARLEY_KIND_UNKNOWN);
  if (kind == PARLEY_KIND_UNKNOWN)
    parley_linkedin_count(li, "unknown_total", 1);
  *out = ev;
  return 0;
}

int parley_linkedin_map_notification(parley_linkedin_t *li, const json_t *n,
                                     parley_event_t **out, parley_error_t *err) {
  note_t nt = {.action = parley_sdk_json_str(n, "action", NULL),
               .source = parley_sdk_json_str(n, "sourcePost", NULL),
               .generated = parley_sdk_json_str(n, "generatedActivity", NULL),
               .ms = parley_linkedin_notification_ms(n)};
  if (!nt.action || nt.ms <= 0)
    return parley_error_set(err, PARLEY_EINVAL,
                            "linkedin: notification without action or a valid lastModifiedAt");
  const json_t *deco = json_object_get(n, "decoratedGeneratedActivity");
  const json_t *body = json_object_get(deco, "comment") ? json_object_get(deco, "comment")
                                                         : json_object_get(deco, "share");
  nt.owner = parley_sdk_json_str(body, "owner", NULL);
  nt.text = parley_sdk_json_str(body, "text", NULL);
  if (!nt.source)
    nt.source = parley_sdk_json_str(body, "object", NULL);
  if (strncmp(nt.action, "COMMENT", 7) == 0 || strcmp(nt.action, "ADMIN_COMMENT") == 0)
    return comment_note(li, n, &nt, out, err);
  return other_note(li, n, &nt, out, err);
}
