/* facebook — Page payloads -> events (facebook.md §8, §9, §13, §14).
 *
 * feed change, item "comment":
 *   add      comment (parent_id == post_id) or reply (parent_id = a
 *            comment); outbound when the Page wrote it (from.id == page)
 *   edited   edited, id "<comment_id>~edited~<hash of the new text>"
 *   remove   deleted, id "<comment_id>~deleted"
 * feed change, item status/post/photo/video/share (a post on the Page):
 *   add      mention (a visitor addresses the Page), outbound for its own
 *   edited / remove   edited / deleted as above
 * feed change, item reaction/like: reaction
 * mention change (the Page @mentioned elsewhere): mention / edited / deleted
 * Anything else (hide/unhide verbs, albums, events, other fields):
 * PARLEY_ENOENT, so the walker emits it as kind unknown with its raw body.
 *
 * conversation_id is the post id; in_reply_to the event the item answers
 * (the parent comment, or the post for a top-level comment); created_at the
 * value's created_time (epoch seconds in webhooks, ISO "+0000" in the Graph
 * API), else the entry's time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facebook.h"
#include "parley/sdk/logtext.h"
#include "parley/sdk/json.h"

typedef enum { VERB_ADD, VERB_EDIT, VERB_REMOVE, VERB_OTHER } verb_t;

static verb_t verb_of(const char *v) {
  if (!v || !strcmp(v, "add"))
    return VERB_ADD;
  if (!strcmp(v, "edited") || !strcmp(v, "edit"))
    return VERB_EDIT;
  if (!strcmp(v, "remove") || !strcmp(v, "delete"))
    return VERB_REMOVE;
  return VERB_OTHER; /* hide, unhide, block, unblock */
}

static int is_post_item(const char *item) {
  static const char *const posts[] = {"status", "post", "photo", "video", "share", "link", NULL};
  for (size_t i = 0; item && posts[i]; i++)
    if (!strcmp(item, posts[i]))
      return 1;
  return 0;
}

/* The id of an edit or a deletion must differ from the item's own id (or
 * the core's dedup would drop it) yet be the same on a redelivery. */
static void change_id(const char *id, verb_t verb, const json_t *value, char *buf, size_t len) {
  if (verb == VERB_REMOVE) {
    snprintf(buf, len, "%s~deleted", id);
  } else if (verb == VERB_EDIT) {
    char h[PARLEY_META_ID_MAX];
    json_t *text = json_pack("{s:s?}", "m", parley_sdk_json_str(value, "message", NULL));
    parley_meta_payload_id("e", id, text, h, sizeof h);
    json_decref(text);
    snprintf(buf, len, "%s~edited~%.10s", id, h + 2);
  } else {
    snprintf(buf, len, "%s", id);
  }
}

static parley_kind_t kind_for(verb_t verb, parley_kind_t add_kind) {
  return verb == VERB_EDIT ? PARLEY_KIND_EDITED : verb == VERB_REMOVE ? PARLEY_KIND_DELETED
                                                                      : add_kind;
}

static void set_author(parley_event_t *ev, const json_t *from) {
  parley_event_set_author_id(ev, parley_sdk_json_str(from, "id", NULL));
  parley_event_set_author_name(ev, parley_sdk_json_str(from, "name", NULL));
}

static int oom(parley_meta_t *m, parley_error_t *err) {
  return parley_error_set(err, PARLEY_ENOMEM, "%s: out of memory", m->plat->name);
}

static int map_comment_change(parley_meta_t *m, const parley_meta_change_t *c, verb_t verb,
                              parley_event_t **out, parley_error_t *err) {
  const json_t *v = c->value;
  const char *id = parley_sdk_json_str(v, "comment_id", NULL);
  const char *post = parley_sdk_json_str(v, "post_id", NULL);
  const char *parent = parley_sdk_json_str(v, "parent_id", NULL);
  const char *from = parley_sdk_json_str(v, "from.id", NULL);
  char native[PARLEY_META_ID_MAX + 32];
  if (!id || !post)
    return PARLEY_ENOENT;
  int own = from && !strcmp(from, c->account);
  int reply = parent && strcmp(parent, post) != 0;
  parley_kind_t add = own ? PARLEY_KIND_OUTBOUND : reply ? PARLEY_KIND_REPLY : PARLEY_KIND_COMMENT;
  change_id(id, verb, v, native, sizeof native);
  parley_event_t *ev = parley_meta_event_new(m, native, c->account, kind_for(verb, add),
                                             PARLEY_VISIBILITY_PUBLIC);
  if (!ev)
    return oom(m, err);
  parley_meta_set_conversation(m, ev, post);
  parley_meta_set_in_reply_to(m, ev, verb == VERB_ADD ? (parent ? parent : post) : id);
  set_author(ev, json_object_get(v, "from"));
  parley_event_set_text(ev, parley_sdk_json_str(v, "message", NULL));
  parley_event_set_url(ev, parley_sdk_json_str(v, "post.permalink_url", NULL));
  const char *photo = parley_sdk_json_str(v, "photo", NULL);
  if (photo)
    parley_event_add_media(ev, "image", photo);
  parley_meta_set_created(ev, v, "created_time", c->entry_time_ms);
  parley_meta_set_raw(m, ev, c->raw, 0);
  *out = ev;
  return 0;
}

static int map_post_change(parley_meta_t *m, const parley_meta_change_t *c, verb_t verb,
                           parley_event_t **out, parley_error_t *err) {
  const json_t *v = c->value;
  const char *post = parley_sdk_json_str(v, "post_id", NULL);
  const char *from = parley_sdk_json_str(v, "from.id", NULL);
  char native[PARLEY_META_ID_MAX + 32];
  if (!post)
    return PARLEY_ENOENT;
  int own = from && !strcmp(from, c->account);
  change_id(post, verb, v, native, sizeof native);
  parley_event_t *ev = parley_meta_event_new(
      m, native, c->account, kind_for(verb, own ? PARLEY_KIND_OUTBOUND : PARLEY_KIND_MENTION),
      PARLEY_VISIBILITY_PUBLIC);
  if (!ev)
    return oom(m, err);
  parley_meta_set_conversation(m, ev, post);
  if (verb != VERB_ADD)
    parley_meta_set_in_reply_to(m, ev, post);
  set_author(ev, json_object_get(v, "from"));
  parley_event_set_text(ev, parley_sdk_json_str(v, "message", NULL));
  const char *photo = parley_sdk_json_str(v, "photo", NULL);
  if (photo)
    parley_event_add_media(ev, "image", photo);
  const char *link = parley_sdk_json_str(v, "link", NULL);
  if (link)
    parley_event_set_url(ev, link);
  parley_meta_set_created(ev, v, "created_time", c->entry_time_ms);
  parley_meta_set_raw(m, ev, c->raw, 0);
  *out = ev;
  return 0;
}

static int map_reaction_change(parley_meta_t *m, const parley_meta_change_t *c,
                               parley_event_t **out, parley_error_t *err) {
  const json_t *v = c->value;
  const char *post = parley_sdk_json_str(v, "post_id", NULL);
  const char *target = parley_sdk_json_str(v, "parent_id", post);
  const char *type = parley_sdk_json_str(v, "reaction_type", "like");
  const char *verb = parley_sdk_json_str(v, "verb", "add");
  char native[PARLEY_META_ID_MAX], text[64];
  if (!target)
    return PARLEY_ENOENT;
  parley_meta_payload_id("reaction", c->account, v, native, sizeof native);
  parley_event_t *ev = parley_meta_event_new(m, native, c->account, PARLEY_KIND_REACTION,
                                             PARLEY_VISIBILITY_PUBLIC);
  if (!ev)
    return oom(m, err);
  parley_meta_set_conversation(m, ev, post ? post : target);
  parley_meta_set_in_reply_to(m, ev, target);
  set_author(ev, json_object_get(v, "from"));
  snprintf(text, sizeof text, "%s%s", strcmp(verb, "remove") ? "" : "remove ", type);
  parley_event_set_text(ev, text);
  parley_meta_set_created(ev, v, "created_time", c->entry_time_ms);
  parley_meta_set_raw(m, ev, c->raw, 0);
  *out = ev;
  return 0;
}

/* The Page @mentioned in a post or comment elsewhere (§14). */
static int map_mention_change(parley_meta_t *m, const parley_meta_change_t *c,
                              parley_event_t **out, parley_error_t *err) {
  const json_t *v = c->value;
  const char *post = parley_sdk_json_str(v, "post_id", NULL);
  const char *comment = parley_sdk_json_str(v, "comment_id", NULL);
  const char *item = parley_sdk_json_str(v, "item", "post");
  verb_t verb = verb_of(parley_sdk_json_str(v, "verb", NULL));
  const char *id = !strcmp(item, "comment") && comment ? comment : post;
  char native[PARLEY_META_ID_MAX + 32];
  if (!id || verb == VERB_OTHER)
    return PARLEY_ENOENT;
  change_id(id, verb, v, native, sizeof native);
  parley_event_t *ev = parley_meta_event_new(m, native, c->account,
                                             kind_for(verb, PARLEY_KIND_MENTION),
                                             PARLEY_VISIBILITY_PUBLIC);
  if (!ev)
    return oom(m, err);
  parley_meta_set_conversation(m, ev, post ? post : id);
  if (verb != VERB_ADD || id != post)
    parley_meta_set_in_reply_to(m, ev, verb != VERB_ADD ? id : post);
  parley_event_set_author_id(ev, parley_sdk_json_str(v, "sender_id", NULL));
  parley_event_set_author_name(ev, parley_sdk_json_str(v, "sender_name", NULL));
  parley_event_set_text(ev, parley_sdk_json_str(v, "message", NULL));
  parley_meta_set_created(ev, v, "created_time", c->entry_time_ms);
  parley_meta_set_raw(m, ev, c->raw, 0);
  *out = ev;
  return 0;
}

int parley_facebook_map_change(parley_meta_t *m, const parley_meta_change_t *c,
                               parley_event_t **out, parley_error_t *err) {
  *out = NULL;
  if (!json_is_object(c->value))
    return PARLEY_ENOENT;
  if (!strcmp(c->field, "mention"))
    return map_mention_change(m, c, out, err);
  if (strcmp(c->field, "feed") != 0)
    return PARLEY_ENOENT;
  const char *item = parley_sdk_json_str(c->value, "item", NULL);
  verb_t verb = verb_of(parley_sdk_json_str(c->value, "verb", NULL));
  if (item && (!strcmp(item, "reaction") || !strcmp(item, "like")))
    return map_reaction_change(m, c, out, err);
  if (verb == VERB_OTHER)
    return PARLEY_ENOENT;
  if (item && !strcmp(item, "comment"))
    return map_comment_change(m, c, verb, out, err);
  if (is_post_item(item))
    return map_post_change(m, c, verb, out, err);
  return PARLEY_ENOENT;
}

int parley_facebook_map_comment(parley_meta_t *m, const char *page, const char *post,
                                const json_t *comment, parley_event_t **out, parley_error_t *err) {
  const char *id = parley_sdk_json_str(comment, "id", NULL);
  const char *from = parley_sdk_json_str(comment, "from.id", NULL);
  const char *parent = parley_sdk_json_str(comment, "parent.id", NULL);
  char shown[80];
  if (!id)
    return parley_error_set(err, PARLEY_EINVAL, "%s: comment of post %s without an id",
                            m->plat->name, parley_sdk_log_word(shown, sizeof shown, post));
  parley_kind_t kind = from && !strcmp(from, page) ? PARLEY_KIND_OUTBOUND
                       : parent                    ? PARLEY_KIND_REPLY
                                                   : PARLEY_KIND_COMMENT;
  parley_event_t *ev = parley_meta_event_new(m, id, page, kind, PARLEY_VISIBILITY_PUBLIC);
  if (!ev)
    return oom(m, err);
  parley_meta_set_conversation(m, ev, post);
  parley_meta_set_in_reply_to(m, ev, parent ? parent : post);
  set_author(ev, json_object_get(comment, "from"));
  parley_event_set_text(ev, parley_sdk_json_str(comment, "message", NULL));
  parley_event_set_url(ev, parley_sdk_json_str(comment, "permalink_url", NULL));
  const char *img = parley_sdk_json_str(comment, "attachment.media.image.src", NULL);
  if (img)
    parley_event_add_media(ev, "image", img);
  parley_meta_set_created(ev, comment, "created_time", 0);
  parley_meta_set_raw(m, ev, comment, 0);
  *out = ev;
  return 0;
}

int parley_facebook_map_post(parley_meta_t *m, const char *page, const json_t *post, int tagged,
                             parley_event_t **out, parley_error_t *err) {
  const char *id = parley_sdk_json_str(post, "id", NULL);
  const char *from = parley_sdk_json_str(post, "from.id", NULL);
  if (!id)
    return parley_error_set(err, PARLEY_EINVAL, "%s: post of page %s without an id",
                            m->plat->name, page);
  int own = !tagged && from && !strcmp(from, page);
  parley_event_t *ev = parley_meta_event_new(m, id, page,
                                             own ? PARLEY_KIND_OUTBOUND : PARLEY_KIND_MENTION,
                                             PARLEY_VISIBILITY_PUBLIC);
  if (!ev)
    return oom(m, err);
  parley_meta_set_conversation(m, ev, id);
  set_author(ev, json_object_get(post, "from"));
  parley_event_set_text(ev, parley_sdk_json_str(post, "message", NULL));
  parley_event_set_url(ev, parley_sdk_json_str(post, "permalink_url", NULL));
  parley_meta_set_created(ev, post, "created_time", 0);
  parley_meta_set_raw(m, ev, post, 0);
  *out = ev;
  return 0;
}
