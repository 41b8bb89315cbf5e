/* instagram — the Instagram professional-account connector: comments and
 * replies on the account's media, mentions in captions and comments, tagged
 * media, Instagram DMs. The Graph API mechanics it shares with Facebook live
 * in plugins/meta/ (meta.h); this plugin adds the Instagram specifics: the
 * "comments"/"live_comments"/"mentions" webhook changes (instagram.md §9),
 * the back-fill of media, comments and tags (§3-§5), the comment
 * endpoints (§6), and mentions resolved to their content by a lookup that
 * survives restarts (instagram_mentions.c, §5). */
#ifndef PARLEY_INSTAGRAM_H
#define PARLEY_INSTAGRAM_H

#include "meta.h"

#define PARLEY_INSTAGRAM_PLATFORM "instagram"

enum {
  PARLEY_INSTAGRAM_TASK_MEDIA = 1,
  PARLEY_INSTAGRAM_TASK_COMMENTS,
  PARLEY_INSTAGRAM_TASK_TAGS,
};

/* ---- instagram_map.c: payload -> event (pure, unit-tested) ------------- */

/* One webhook change of an IG account entry; PARLEY_ENOENT for what has no
 * mapping (emitted as unknown by the caller). */
int parley_instagram_map_change(parley_meta_t *m, const parley_meta_change_t *c,
                                parley_event_t **out, parley_error_t *err);
/* A comment or reply of GET /{media}/comments (back-fill). */
int parley_instagram_map_comment(parley_meta_t *m, const char *account, const char *media,
                                 const json_t *comment, parley_event_t **out, parley_error_t *err);
/* A media the account is tagged in (GET /{ig-user}/tags): a mention. */
int parley_instagram_map_tagged(parley_meta_t *m, const char *account, const json_t *media,
                                parley_event_t **out, parley_error_t *err);

/* A mentioned_comment object (GET /{ig-user}?fields=mentioned_comment...,
 * §5) as the mention it is: id = the comment, conversation = its media (or
 * media, the webhook's media_id, when the object names none), author
 * handle, text, the media's permalink, created_at from its timestamp. */
int parley_instagram_map_mentioned_comment(parley_meta_t *m, const char *account,
                                           const char *media, const json_t *comment,
                                           parley_event_t **out, parley_error_t *err);
/* A mentioned_media object (a caption mention) maps like tagged media:
 * parley_instagram_map_tagged. */

/* ---- instagram_mentions.c: mentions resolved to their content ---------- */

/* At most this many mentions wait for their lookup per instance; past it a
 * mention is emitted with its ids only (counted, logged), never dropped. */
#define PARLEY_INSTAGRAM_MENTIONS_MAX 256
/* The checkpoint holding the pending set (a JSON array of
 * [account, media_id, comment_id or "", entry time ms]). */
#define PARLEY_INSTAGRAM_MENTIONS_KEY "mentions_pending"

/* The platform's map_change: "mentions" changes join the pending set (no
 * event now: *out stays NULL and 0 is returned); everything else goes to
 * parley_instagram_map_change. */
int parley_instagram_webhook_change(parley_meta_t *m, const parley_meta_change_t *c,
                                    parley_event_t **out, parley_error_t *err);
/* The pending set's lifecycle (parley_meta_platform_t create..destroy). */
int parley_instagram_mentions_create(parley_meta_t *m, parley_error_t *err);
int parley_instagram_mentions_start(parley_meta_t *m);
void parley_instagram_mentions_stop(parley_meta_t *m);
void parley_instagram_mentions_destroy(parley_meta_t *m);

/* ---- instagram_backfill.c --------------------------------------------- */

int parley_instagram_backfill_seed(parley_meta_t *m, parley_meta_pass_t *p, const char *account);
int parley_instagram_backfill_page(parley_meta_t *m, parley_meta_pass_t *p,
                                   parley_meta_task_t *t, const json_t *page);

#endif
