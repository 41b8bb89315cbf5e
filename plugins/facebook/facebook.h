/* facebook — the Facebook Pages connector: feed comments and visitor posts,
 * mentions of the Page, Messenger. What it shares with Instagram about the
 * Graph API lives in plugins/meta/ (meta.h); this plugin adds the Page
 * specifics: the feed and mention webhook changes (facebook.md §13, §14),
 * the back-fill of the feed, comments and tagged posts (§8, §9), and the
 * comment endpoints (§10). */
#ifndef PARLEY_FACEBOOK_H
#define PARLEY_FACEBOOK_H

#include "meta.h"

#define PARLEY_FACEBOOK_PLATFORM "facebook"

/* Back-fill task kinds. */
enum {
  PARLEY_FACEBOOK_TASK_FEED = 1,
  PARLEY_FACEBOOK_TASK_COMMENTS,
  PARLEY_FACEBOOK_TASK_TAGGED,
};

/* ---- facebook_map.c: payload -> event (pure, unit-tested) -------------- */

/* One webhook change of a Page entry: field "feed" (comments, posts,
 * reactions; add / edited / remove) or "mention". PARLEY_ENOENT for what
 * has no mapping (the caller emits it as unknown). */
int parley_facebook_map_change(parley_meta_t *m, const parley_meta_change_t *c,
                               parley_event_t **out, parley_error_t *err);
/* A comment of GET /{post}/comments (back-fill), post = its post id. */
int parley_facebook_map_comment(parley_meta_t *m, const char *page, const char *post,
                                const json_t *comment, parley_event_t **out, parley_error_t *err);
/* A post of /{page}/feed (a visitor post: mention; the Page's own:
 * outbound) or /{page}/tagged (mention). */
int parley_facebook_map_post(parley_meta_t *m, const char *page, const json_t *post,
                             int tagged, parley_event_t **out, parley_error_t *err);

/* ---- facebook_backfill.c ---------------------------------------------- */

int parley_facebook_backfill_seed(parley_meta_t *m, parley_meta_pass_t *p, const char *page);
int parley_facebook_backfill_page(parley_meta_t *m, parley_meta_pass_t *p, parley_meta_task_t *t,
                                  const json_t *page);

#endif
