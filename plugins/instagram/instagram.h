/* instagram — the Instagram professional-account connector: comments and
 * replies on the account's media, mentions in captions and comments, tagged
 * media, Instagram DMs. The Graph API mechanics it shares with Facebook live
 * in plugins/meta/ (meta.h); this plugin adds the Instagram specifics: the
 * "comments"/"live_comments"/"mentions" webhook changes (instagram.md §9),
 * the back-fill of media, comments and tags (§3-§5), and the comment
 * endpoints (§6). */
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

/* ---- instagram_backfill.c --------------------------------------------- */

int parley_instagram_backfill_seed(parley_meta_t *m, parley_meta_pass_t *p, const char *account);
int parley_instagram_backfill_page(parley_meta_t *m, parley_meta_pass_t *p,
                                   parley_meta_task_t *t, const json_t *page);

#endif
