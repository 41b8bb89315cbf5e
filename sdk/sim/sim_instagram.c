/* parley-sim — Instagram professional accounts (instagram.md): media,
 * top-level comments and one level of replies, reply / hide / delete,
 * tagged media, caption and comment mentions (mentioned_media /
 * mentioned_comment field expansion, replies through /{ig-user}/mentions),
 * Instagram DMs (conversations, Send API, private replies: sim_meta.c) and
 * the "instagram" webhooks (comments, mentions, messages).
 *
 * Store mapping (platform "instagram"):
 *   media    the account's own media ("post" accepted too)
 *   comment  parent_id = media (top level) or a top-level comment (reply)
 *   mention  someone else's media mentioning the account (caption), or with
 *            parent_id = that media: a comment mentioning the account
 *   tag      someone else's media the account is tagged in (/tags)
 *   message, postback, reaction  DMs, as on Messenger
 * Scenario keys besides sim_meta.h's: page_id (the linked Facebook Page:
 * /{page-id}/messages and /{page-id}/conversations act for the account);
 * each accounts[] entry (another IG account of the same Meta app) may name
 * its own page_id too. Every account sees only its own media, tags and
 * mentions; mentioned_comment / mentioned_media on another account's node
 * answer (#100) as Graph does for an object the node cannot reach. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_meta.h"

#define PARLEY_SIM_IG "instagram"
#define PARLEY_SIM_IG_TEXT_MAX 1000    /* DM text, bytes (instagram.md §7) */
#define PARLEY_SIM_IG_COMMENT_MAX 8800 /* comment text: 2200 characters, in bytes */
/* Media and comment ids are 17-digit numbers (instagram.md §2): apart from
 * Facebook's, as on Graph, so a store sees no false id collisions. */
#define PARLEY_SIM_IG_ID_BASE 17890000000000000ULL

typedef struct parley_sim_ig {
  parley_sim_meta_t meta;
  json_t *pages; /* linked Facebook Page id -> IG account id */
} parley_sim_ig_t;

static const char *parley_sim_ig_str(json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

static parley_sim_ig_t *parley_sim_ig(parley_sim_t *sim) {
  return parley_sim_state(sim, PARLEY_SIM_IG);
}

static parley_sim_meta_t *parley_sim_ig_meta(parley_sim_t *sim) { return &parley_sim_ig(sim)->meta; }

static json_t *parley_sim_ig_find(parley_sim_t *sim, const char *id) {
  return parley_sim_meta_find(sim, parley_sim_ig_meta(sim), id);
}

static int parley_sim_ig_is_media(json_t *item) {
  return parley_sim_meta_is(item, "media") || parley_sim_meta_is(item, "post");
}

/* Media others posted: mentions without a parent, tags. */
static int parley_sim_ig_is_foreign_media(json_t *item) {
  return parley_sim_meta_is(item, "tag") ||
         (parley_sim_meta_is(item, "mention") && !parley_sim_ig_str(item, "parent_id"));
}

static const char *parley_sim_ig_username(parley_sim_t *sim, const char *user_id) {
  json_t *u = parley_sim_user_find(sim, PARLEY_SIM_IG, user_id);
  const char *h = parley_sim_ig_str(u, "handle");
  return h ? h : user_id ? user_id : "";
}

/* ---- rendering --------------------------------------------------------------- */

static json_t *parley_sim_ig_render_comment(parley_sim_t *sim, json_t *item,
                                            const parley_sim_meta_field_t *sel, void *data);

/* Comments directly under a node: top-level ones of a media newest first,
 * replies of a comment oldest first (as the app shows threads). */
static json_t *parley_sim_ig_children(parley_sim_t *sim, json_t *node) {
  parley_sim_filter_t f = {.platform = PARLEY_SIM_IG, .include_hidden = 1,
                           .parent_id = parley_sim_ig_str(node, "id")};
  json_t *all = parley_sim_items(sim, &f), *out = json_array(), *it;
  size_t i;
  json_array_foreach(all, i, it) if (parley_sim_meta_is_comment(it)) json_array_append(out, it);
  json_decref(all);
  return parley_sim_meta_sort(out, parley_sim_meta_is_comment(node));
}

static void parley_sim_ig_edge_into(parley_sim_t *sim, json_t *obj, json_t *item,
                                    const parley_sim_meta_field_t *sel, const char *name) {
  const parley_sim_meta_field_t *f = parley_sim_meta_field_find(sel, name);
  if (!f) return;
  json_t *page = parley_sim_meta_edge(sim, parley_sim_ig_children(sim, item), f,
                                      parley_sim_ig_render_comment, NULL);
  if (page) json_object_set_new(obj, name, page);
}

static json_t *parley_sim_ig_render_media(parley_sim_t *sim, json_t *item,
                                          const parley_sim_meta_field_t *sel, void *data) {
  char t[32], link[256];
  const char *text = parley_sim_ig_str(item, "text"), *author = parley_sim_ig_str(item, "author_id");
  json_t *comments = parley_sim_ig_children(sim, item);
  snprintf(link, sizeof link, "https://www.instagram.com/p/%s/", parley_sim_ig_str(item, "id"));
  json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:i,s:{s:s}}", "id",
                        parley_sim_ig_str(item, "id"), "caption", text ? text : "", "media_type",
                        "IMAGE", "media_product_type", "FEED", "permalink", link, "timestamp",
                        parley_sim_meta_time(parley_sim_meta_ms(item), t, sizeof t), "username",
                        parley_sim_ig_username(sim, author), "comments_count",
                        (json_int_t)json_array_size(comments), "like_count", 0, "owner", "id",
                        author ? author : "0");
  json_decref(comments);
  snprintf(link, sizeof link, "https://scontent.cdninstagram.com/sim/%s.jpg",
           parley_sim_ig_str(item, "id"));
  json_object_set_new(o, "media_url", json_string(link));
  parley_sim_ig_edge_into(sim, o, item, sel, "comments");
  return parley_sim_meta_select(o, sel, "id");
}

/* The media a comment is on, as the comment's "media" field: {id} plus,
 * when the media is known, its permalink and owner's username. */
static json_t *parley_sim_ig_comment_media(parley_sim_t *sim, json_t *item) {
  const char *id = parley_sim_ig_str(item, "conversation_id");
  json_t *media = parley_sim_ig_find(sim, id);
  json_t *o = json_pack("{s:s}", "id", id ? id : "");
  if (!media) return o;
  char link[256];
  snprintf(link, sizeof link, "https://www.instagram.com/p/%s/", id);
  json_object_set_new(o, "permalink", json_string(link));
  json_object_set_new(o, "username", json_string(parley_sim_ig_username(
                                         sim, parley_sim_ig_str(media, "author_id"))));
  return o;
}

static json_t *parley_sim_ig_render_comment(parley_sim_t *sim, json_t *item,
                                            const parley_sim_meta_field_t *sel, void *data) {
  char t[32];
  const char *text = parley_sim_ig_str(item, "text"), *author = parley_sim_ig_str(item, "author_id");
  json_t *parent = parley_sim_ig_find(sim, parley_sim_ig_str(item, "parent_id"));
  int reply = parent && parley_sim_meta_is_comment(parent);
  json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:i,s:b,s:o}", "id", parley_sim_ig_str(item, "id"),
                        "text", text ? text : "", "username", parley_sim_ig_username(sim, author),
                        "timestamp", parley_sim_meta_time(parley_sim_meta_ms(item), t, sizeof t),
                        "from", parley_sim_meta_user(sim, PARLEY_SIM_IG, author ? author : "0", 1),
                        "like_count", 0, "hidden", json_is_true(json_object_get(item, "hidden")),
                        "media", parley_sim_ig_comment_media(sim, item));
  if (reply) json_object_set_new(o, "parent_id", json_string(parley_sim_ig_str(parent, "id")));
  else parley_sim_ig_edge_into(sim, o, item, sel, "replies");
  return parley_sim_meta_select(o, sel, "id,text,timestamp");
}

/* ---- GET ----------------------------------------------------------------------- */

static int parley_sim_ig_list_match(json_t *item, void *data) {
  return !strcmp(data, "tags") ? parley_sim_meta_is(item, "tag") : parley_sim_ig_is_media(item);
}

static void parley_sim_ig_get_media(parley_sim_meta_req_t *r) {
  parley_sim_filter_t f = {.platform = PARLEY_SIM_IG, .account_id = r->node,
                           .match = parley_sim_ig_list_match, .match_data = r->edge};
  json_t *items = parley_sim_meta_sort(parley_sim_items(r->sim, &f), 0);
  parley_sim_meta_respond_page(r->sim, r->req, items, r->fields, parley_sim_ig_render_media, NULL,
                               &r->h);
}

/* mentioned_media.media_id(X){...} / mentioned_comment.comment_id(X){...} */
static int parley_sim_ig_mentioned(parley_sim_meta_req_t *r, json_t *o, const char *field,
                                   const char *arg) {
  const parley_sim_meta_field_t *f = parley_sim_meta_field_find(r->fields, field);
  const char *id = parley_sim_meta_field_mod(f, arg);
  if (!f) return 0;
  json_t *item = id ? parley_sim_ig_find(r->sim, id) : NULL;
  int comment = !strcmp(field, "mentioned_comment");
  const char *owner = parley_sim_ig_str(item, "account_id");
  if (!item || (owner && strcmp(owner, r->node)) || /* a mention of another account */
      (comment ? !parley_sim_meta_is(item, "mention") || !parley_sim_ig_str(item, "parent_id")
               : !parley_sim_ig_is_foreign_media(item))) {
    char msg[256];
    snprintf(msg, sizeof msg, "(#100) %s: %s(%s) names no media or comment mentioning this "
                              "account", field, arg, id ? id : "");
    parley_sim_meta_fail(r, 100, 0, msg);
    return -1;
  }
  json_t *v = comment ? parley_sim_ig_render_comment(r->sim, item, f->child, NULL)
                      : parley_sim_ig_render_media(r->sim, item, f->child, NULL);
  json_object_set_new(o, field, v);
  return 0;
}

static void parley_sim_ig_get_user(parley_sim_meta_req_t *r) {
  json_t *u = parley_sim_user_find(r->sim, PARLEY_SIM_IG, r->node);
  parley_sim_filter_t f = {.platform = PARLEY_SIM_IG, .account_id = r->node,
                           .match = parley_sim_ig_list_match, .match_data = "media"};
  json_t *media = parley_sim_items(r->sim, &f);
  const char *handle = parley_sim_ig_str(u, "handle"), *name = parley_sim_ig_str(u, "name");
  json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "id", r->node, "user_id", r->node,
                        "username", handle ? handle : r->node, "name", name ? name : "",
                        "followers_count", json_integer_value(json_object_get(u, "followers")),
                        "media_count", (json_int_t)json_array_size(media));
  json_decref(media);
  if (parley_sim_ig_mentioned(r, o, "mentioned_media", "media_id") != 0 ||
      parley_sim_ig_mentioned(r, o, "mentioned_comment", "comment_id") != 0) {
    json_decref(o);
    return;
  }
  parley_sim_meta_ok(r, parley_sim_meta_select(o, r->fields, "id,username"));
}

static void parley_sim_ig_get_account(parley_sim_meta_req_t *r) {
  const char *e = r->edge;
  if (!*e) parley_sim_ig_get_user(r);
  else if (!strcmp(e, "media") || !strcmp(e, "tags")) parley_sim_ig_get_media(r);
  else if (!strcmp(e, "stories")) parley_sim_meta_ok(r, json_pack("{s:[]}", "data"));
  else if (!strcmp(e, "conversations")) parley_sim_meta_get_conversations(r, "instagram");
  else parley_sim_meta_no_node(r);
}

static void parley_sim_ig_get(parley_sim_meta_req_t *r) {
  if (parley_sim_meta_is_account(r->sim, r->m, r->node)) {
    parley_sim_ig_get_account(r);
    return;
  }
  if (parley_sim_meta_get_thread(r)) return;
  json_t *item = parley_sim_ig_find(r->sim, r->node);
  int media = item && (parley_sim_ig_is_media(item) || parley_sim_ig_is_foreign_media(item));
  int comment = item && (parley_sim_meta_is_comment(item) || parley_sim_meta_is(item, "mention"));
  if (!item) {
    parley_sim_meta_no_node(r);
  } else if (!strcmp(r->edge, "comments") && media) {
    parley_sim_meta_respond_page(r->sim, r->req, parley_sim_ig_children(r->sim, item), r->fields,
                                 parley_sim_ig_render_comment, NULL, &r->h);
  } else if (!strcmp(r->edge, "replies") && comment) {
    parley_sim_meta_respond_page(r->sim, r->req, parley_sim_ig_children(r->sim, item), r->fields,
                                 parley_sim_ig_render_comment, NULL, &r->h);
  } else if (r->edge[0]) {
    parley_sim_meta_no_node(r);
  } else if (parley_sim_meta_is(item, "message")) {
    parley_sim_meta_ok(r, parley_sim_meta_render_message(r->sim, item, r->fields, r->m));
  } else {
    parley_sim_meta_ok(r, media ? parley_sim_ig_render_media(r->sim, item, r->fields, NULL)
                                : parley_sim_ig_render_comment(r->sim, item, r->fields, NULL));
  }
}

/* ---- writes ------------------------------------------------------------------------ */

/* POST /{comment}/replies: only under a top-level comment (one level). */
static void parley_sim_ig_reply(parley_sim_meta_req_t *r, json_t *target) {
  json_t *parent = parley_sim_ig_find(r->sim, parley_sim_ig_str(target, "parent_id"));
  if (!parley_sim_meta_is_comment(target) || (parent && parley_sim_meta_is_comment(parent))) {
    parley_sim_meta_fail(r, 100, 0, "(#100) Replies can only be made to top-level comments");
    return;
  }
  parley_sim_meta_comment(r, target, parley_sim_ig_str(target, "id"), "reply",
                          PARLEY_SIM_IG_COMMENT_MAX);
}

/* POST /{ig-user}/mentions: media_id (+ comment_id) and message. */
static void parley_sim_ig_mention_reply(parley_sim_meta_req_t *r) {
  char media[64], comment[64];
  int has_c = parley_sim_meta_param(r->req, "comment_id", comment, sizeof comment) > 0;
  json_t *target = has_c ? parley_sim_ig_find(r->sim, comment) : NULL;
  if (parley_sim_meta_param(r->req, "media_id", media, sizeof media) <= 0) {
    parley_sim_meta_fail(r, 100, 0, "(#100) Missing required parameter: media_id");
    return;
  }
  if (!has_c) target = parley_sim_ig_find(r->sim, media);
  if (!target || !parley_sim_meta_is(target, "mention")) {
    parley_sim_meta_fail(r, 100, 0, "(#100) media_id/comment_id name no mention of this account");
    return;
  }
  parley_sim_meta_comment(r, target, parley_sim_ig_str(target, "id"), "mention_reply",
                          PARLEY_SIM_IG_COMMENT_MAX);
}

static void parley_sim_ig_write_account(parley_sim_meta_req_t *r) {
  if (!strcmp(r->edge, "messages")) parley_sim_meta_send(r, r->node);
  else if (!strcmp(r->edge, "mentions")) parley_sim_ig_mention_reply(r);
  else if (!strcmp(r->edge, "subscribed_apps")) parley_sim_meta_ok(r, json_pack("{s:b}", "success", 1));
  else parley_sim_meta_no_node(r);
}

static void parley_sim_ig_write(parley_sim_meta_req_t *r) {
  char hide[16];
  int post = !strcmp(r->method, "POST");
  if (post && parley_sim_meta_is_account(r->sim, r->m, r->node)) {
    parley_sim_ig_write_account(r);
    return;
  }
  json_t *item = parley_sim_ig_find(r->sim, r->node);
  if (!item || parley_sim_meta_is(item, "message")) {
    parley_sim_meta_no_node(r);
  } else if (post && !strcmp(r->edge, "replies")) {
    parley_sim_ig_reply(r, item);
  } else if (post && !strcmp(r->edge, "comments") && parley_sim_ig_is_media(item)) {
    parley_sim_meta_comment(r, item, r->node, "comment", PARLEY_SIM_IG_COMMENT_MAX);
  } else if (post && !r->edge[0] && parley_sim_meta_param(r->req, "hide", hide, sizeof hide) >= 0) {
    parley_sim_meta_hide(r, item, !strcmp(hide, "true") || !strcmp(hide, "1"),
                         "(#100) Comments by the media owner can't be hidden");
  } else if (!post && !r->edge[0] && parley_sim_meta_is_comment(item)) {
    json_object_set_new(item, "deleted", json_true());
    parley_sim_record(r->sim, PARLEY_SIM_IG,
                      json_pack("{s:s,s:s}", "action", "delete", "target", r->node));
    parley_sim_meta_ok(r, json_pack("{s:b}", "success", 1));
  } else {
    parley_sim_meta_no_node(r);
  }
}

static void parley_sim_ig_serve(parley_sim_meta_req_t *r) {
  parley_sim_ig_t *ig = parley_sim_ig(r->sim);
  const char *acct = json_string_value(json_object_get(ig->pages, r->node));
  /* Facebook-Login apps act through the linked Page's id. */
  if (acct) snprintf(r->node, sizeof r->node, "%s", acct);
  if (!strcmp(r->method, "GET")) parley_sim_ig_get(r);
  else parley_sim_ig_write(r);
}

static void parley_sim_ig_handle(parley_sim_t *sim, parley_httpd_req_t *req, const char *subpath) {
  parley_sim_meta_serve(sim, parley_sim_ig_meta(sim), req, subpath, parley_sim_ig_serve);
}

/* ---- webhooks ------------------------------------------------------------------------ */

static void parley_sim_ig_change(parley_sim_t *sim, json_t *item, const char *field, json_t *v) {
  parley_sim_meta_webhook(sim, parley_sim_ig_meta(sim), parley_sim_ig_str(item, "account_id"),
                          "changes", json_pack("{s:s,s:o}", "field", field, "value", v));
}

/* New comment or reply on the account's media, the account's own too. */
static void parley_sim_ig_on_comment(parley_sim_t *sim, json_t *item) {
  const char *author = parley_sim_ig_str(item, "author_id"), *text = parley_sim_ig_str(item, "text");
  json_t *parent = parley_sim_ig_find(sim, parley_sim_ig_str(item, "parent_id"));
  json_t *v = json_pack("{s:s,s:s,s:o,s:{s:s,s:s}}", "id", parley_sim_ig_str(item, "id"), "text",
                        text ? text : "", "from",
                        parley_sim_meta_user(sim, PARLEY_SIM_IG, author ? author : "0", 1),
                        "media", "id", parley_sim_ig_str(item, "conversation_id"),
                        "media_product_type", "FEED");
  if (parent && parley_sim_meta_is_comment(parent))
    json_object_set_new(v, "parent_id", json_string(parley_sim_ig_str(parent, "id")));
  parley_sim_ig_change(sim, item, "comments", v);
}

static void parley_sim_ig_on_mention(parley_sim_t *sim, json_t *item) {
  const char *media = parley_sim_ig_str(item, "parent_id");
  json_t *v = media ? json_pack("{s:s,s:s}", "comment_id", parley_sim_ig_str(item, "id"),
                                "media_id", media)
                    : json_pack("{s:s}", "media_id", parley_sim_ig_str(item, "id"));
  parley_sim_ig_change(sim, item, "mentions", v);
}

static void parley_sim_ig_on_item(parley_sim_t *sim, json_t *item) {
  parley_sim_meta_t *m = parley_sim_ig_meta(sim);
  if (parley_sim_meta_is_messaging(sim, m, item)) parley_sim_meta_on_messaging_item(sim, m, item);
  else if (parley_sim_meta_is_comment(item)) parley_sim_ig_on_comment(sim, item);
  else if (parley_sim_meta_is(item, "mention")) parley_sim_ig_on_mention(sim, item);
  /* media and tags have no webhook on Instagram: they are polled. */
}

/* ---- lifecycle ------------------------------------------------------------------------ */

/* page_id of the scenario account and of each accounts[] entry. */
static int parley_sim_ig_link_pages(parley_sim_ig_t *ig, json_t *part, parley_error_t *err) {
  json_t *acct = json_object_get(part, "account"), *a;
  const char *page = parley_sim_ig_str(part, "page_id"), *id = parley_sim_ig_str(acct, "id");
  size_t i;
  if (!(ig->pages = json_object()))
    return parley_error_set(err, PARLEY_ENOMEM, "instagram: out of memory");
  if (page && id) json_object_set_new(ig->pages, page, json_string(id));
  json_array_foreach(json_object_get(part, "accounts"), i, a) {
    page = parley_sim_ig_str(a, "page_id");
    id = parley_sim_ig_str(a, "id");
    if (page && !id)
      return parley_error_set(err, PARLEY_ECONFIG, "scenario: platforms.instagram.accounts[%zu]: "
                                                   "page_id without an id", i);
    if (page) json_object_set_new(ig->pages, page, json_string(id));
  }
  return 0;
}

static int parley_sim_ig_init(parley_sim_t *sim, json_t *part, parley_error_t *err) {
  parley_sim_ig_t *ig = calloc(1, sizeof *ig);
  if (!ig) return parley_error_set(err, PARLEY_ENOMEM, "instagram: out of memory");
  ig->meta.platform = PARLEY_SIM_IG;
  ig->meta.object = "instagram";
  ig->meta.buc_type = "instagram";
  ig->meta.instagram = 1;
  ig->meta.text_max = PARLEY_SIM_IG_TEXT_MAX;
  ig->meta.window_subcode = 2534022;
  parley_sim_set_state(sim, PARLEY_SIM_IG, ig);
  parley_sim_id_base(sim, PARLEY_SIM_IG, PARLEY_SIM_IG_ID_BASE);
  int rc = parley_sim_ig_link_pages(ig, part, err);
  return rc ? rc : parley_sim_meta_init(sim, &ig->meta, part, 80002, err);
}

static void parley_sim_ig_free(parley_sim_t *sim) {
  parley_sim_ig_t *ig = parley_sim_ig(sim);
  if (!ig) return;
  parley_sim_meta_free(&ig->meta);
  json_decref(ig->pages);
  free(ig);
  parley_sim_set_state(sim, PARLEY_SIM_IG, NULL);
}

static json_t *parley_sim_ig_error_body(parley_sim_t *sim, int status, parley_sim_headers_t *h,
                                        const char **ctype) {
  return parley_sim_meta_error_body(parley_sim_ig_meta(sim), status, h);
}

static void parley_sim_ig_on_target(parley_sim_t *sim, const char *url) {
  parley_sim_meta_verify_target(sim, parley_sim_ig_meta(sim), url);
}

const parley_sim_platform_t parley_sim_instagram = {
    .name = PARLEY_SIM_IG,
    .init = parley_sim_ig_init,
    .handle = parley_sim_ig_handle,
    .on_item = parley_sim_ig_on_item,
    .error_body = parley_sim_ig_error_body,
    .on_webhook_target = parley_sim_ig_on_target,
    .free = parley_sim_ig_free,
};
