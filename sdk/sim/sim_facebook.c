/* parley-sim — Facebook Pages (facebook.md): the Page feed and posts,
 * comments with filter/order and cursor paging, replies, private replies,
 * hide/unhide/edit/delete, Messenger conversations and the Send API with the
 * 24-hour window, and the page webhooks (feed, mention, messages with
 * echoes, postbacks, reactions). Graph mechanics live in sim_meta.c.
 *
 * Store mapping (platform "facebook"; Pages besides the account come from
 * the scenario's pages[]):
 *   post     a Page post (from_brand) or a visitor post; account_id = Page
 *   comment  parent_id = post (top level) or comment (reply); "reply" is
 *            accepted as a synonym
 *   mention  a post or comment elsewhere that @mentions the Page (/tagged)
 *   message  Messenger DM; author_id -> recipient_id; the thread is
 *            "t_<page>_<customer>"
 *   postback, reaction  Messenger postback ("payload") / reaction
 *            ("reaction", parent_id = message or post/comment)
 *   edit, delete  run-time changes of the item parent_id (new "text"):
 *            they update the target and send the feed "edited"/"remove" */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_meta.h"

#define PARLEY_SIM_FB "facebook"
#define PARLEY_SIM_FB_TEXT_MAX 2000    /* Send API text, bytes */
#define PARLEY_SIM_FB_COMMENT_MAX 8000 /* comment message, bytes */

typedef struct parley_sim_fb {
  parley_sim_meta_t meta;
} parley_sim_fb_t;

static const char *parley_sim_fb_str(json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

static parley_sim_meta_t *parley_sim_fb_meta(parley_sim_t *sim) {
  parley_sim_fb_t *fb = parley_sim_state(sim, PARLEY_SIM_FB);
  return &fb->meta;
}

static json_t *parley_sim_fb_find(parley_sim_t *sim, const char *id) {
  return parley_sim_meta_find(sim, parley_sim_fb_meta(sim), id);
}

static void parley_sim_fb_user_into(parley_sim_t *sim, json_t *obj, const char *key,
                                    const char *user_id) {
  json_t *u = parley_sim_meta_user(sim, PARLEY_SIM_FB, user_id, 0);
  if (u) json_object_set_new(obj, key, u);
}

/* ---- rendering ------------------------------------------------------------- */

static json_t *parley_sim_fb_render_comment(parley_sim_t *sim, json_t *item,
                                            const parley_sim_meta_field_t *sel, void *data);

/* Comments of a post or comment. stream: every comment of the post,
 * flattened. Oldest first (chronological) unless reverse. */
static json_t *parley_sim_fb_comments_of(parley_sim_t *sim, json_t *node, int stream,
                                         int reverse) {
  parley_sim_filter_t f = {.platform = PARLEY_SIM_FB, .include_hidden = 1};
  if (stream && !parley_sim_meta_is_comment(node)) f.conversation_id = parley_sim_fb_str(node, "id");
  else f.parent_id = parley_sim_fb_str(node, "id");
  json_t *all = parley_sim_items(sim, &f), *out = json_array(), *it;
  size_t i;
  json_array_foreach(all, i, it) if (parley_sim_meta_is_comment(it)) json_array_append(out, it);
  json_decref(all);
  return parley_sim_meta_sort(out, !reverse);
}

/* fields=comments.filter(stream).limit(n).summary(true){...} */
static void parley_sim_fb_comments_edge(parley_sim_t *sim, json_t *obj, json_t *item,
                                        const parley_sim_meta_field_t *sel) {
  const parley_sim_meta_field_t *f = parley_sim_meta_field_find(sel, "comments");
  if (!f) return;
  const char *filter = parley_sim_meta_field_mod(f, "filter");
  int stream = filter && !strcmp(filter, "stream");
  json_t *page = parley_sim_meta_edge(sim, parley_sim_fb_comments_of(sim, item, stream, 0), f,
                                      parley_sim_fb_render_comment, NULL);
  if (page) json_object_set_new(obj, "comments", page);
}

static void parley_sim_fb_permalink(json_t *obj, json_t *item) {
  char url[512];
  const char *page = parley_sim_fb_str(item, "account_id");
  snprintf(url, sizeof url, "https://www.facebook.com/%s/posts/%s", page ? page : "0",
           parley_sim_fb_str(item, "conversation_id"));
  json_object_set_new(obj, "permalink_url", json_string(url));
}

static json_t *parley_sim_fb_render_post(parley_sim_t *sim, json_t *item,
                                         const parley_sim_meta_field_t *sel, void *data) {
  char t[32];
  const char *text = parley_sim_fb_str(item, "text");
  json_t *o = json_pack("{s:s,s:s,s:s,s:b,s:s}", "id", parley_sim_fb_str(item, "id"),
                        "created_time", parley_sim_meta_time(parley_sim_meta_ms(item), t, sizeof t),
                        "updated_time", t, "is_hidden",
                        json_is_true(json_object_get(item, "hidden")), "status_type",
                        "mobile_status_update");
  if (text) json_object_set_new(o, "message", json_string(text));
  parley_sim_fb_user_into(sim, o, "from", parley_sim_fb_str(item, "author_id"));
  parley_sim_fb_permalink(o, item);
  parley_sim_fb_comments_edge(sim, o, item, sel);
  return parley_sim_meta_select(o, sel, "id,message,created_time");
}

static json_t *parley_sim_fb_render_comment(parley_sim_t *sim, json_t *item,
                                            const parley_sim_meta_field_t *sel, void *data) {
  char t[32];
  const char *text = parley_sim_fb_str(item, "text");
  json_t *parent = parley_sim_fb_find(sim, parley_sim_fb_str(item, "parent_id"));
  json_t *replies = parley_sim_fb_comments_of(sim, item, 0, 0);
  int brand = json_is_true(json_object_get(item, "from_brand"));
  json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:i,s:b,s:b,s:b,s:[]}", "id",
                        parley_sim_fb_str(item, "id"), "message", text ? text : "",
                        "created_time", parley_sim_meta_time(parley_sim_meta_ms(item), t, sizeof t),
                        "comment_count", (json_int_t)json_array_size(replies), "like_count", 0,
                        "is_hidden", json_is_true(json_object_get(item, "hidden")), "can_hide",
                        !brand, "can_reply_privately", parley_sim_meta_can_reply_privately(item),
                        "message_tags");
  json_decref(replies);
  parley_sim_fb_user_into(sim, o, "from", parley_sim_fb_str(item, "author_id"));
  if (parent && parley_sim_meta_is_comment(parent))
    json_object_set_new(o, "parent", json_pack("{s:s}", "id", parley_sim_fb_str(parent, "id")));
  parley_sim_fb_permalink(o, item);
  parley_sim_fb_comments_edge(sim, o, item, sel);
  return parley_sim_meta_select(o, sel, "id,message,from,created_time");
}

/* ---- GET ------------------------------------------------------------------------ */

static int parley_sim_fb_feed_match(json_t *item, void *data) {
  const char *edge = data;
  int brand = json_is_true(json_object_get(item, "from_brand"));
  if (!strcmp(edge, "tagged")) return parley_sim_meta_is(item, "mention");
  if (!parley_sim_meta_is(item, "post")) return 0;
  if (!strcmp(edge, "posts") || !strcmp(edge, "published_posts")) return brand;
  if (!strcmp(edge, "visitor_posts")) return !brand;
  return 1; /* feed */
}

static void parley_sim_fb_get_feed(parley_sim_meta_req_t *r) {
  parley_sim_filter_t f = {.platform = PARLEY_SIM_FB, .account_id = r->node,
                           .include_hidden = 1, .match = parley_sim_fb_feed_match,
                           .match_data = r->edge};
  json_t *items = parley_sim_meta_sort(parley_sim_items(r->sim, &f), 0);
  parley_sim_meta_respond_page(r->sim, r->req, items, r->fields, parley_sim_fb_render_post, NULL,
                               &r->h);
}

static void parley_sim_fb_get_comments(parley_sim_meta_req_t *r, json_t *node) {
  char filter[32] = "toplevel", order[32] = "chronological", summary[8] = "";
  char after[256], before[256];
  parley_error_t err = {0};
  parley_httpd_req_query_param(r->req, "filter", filter, sizeof filter);
  parley_httpd_req_query_param(r->req, "order", order, sizeof order);
  parley_httpd_req_query_param(r->req, "summary", summary, sizeof summary);
  if (strcmp(filter, "toplevel") && strcmp(filter, "stream")) {
    parley_sim_meta_fail(r, 100, 0, "(#100) filter must be one of the following values: toplevel, stream");
    return;
  }
  int reverse = !strcmp(order, "reverse_chronological");
  json_t *items = parley_sim_fb_comments_of(r->sim, node, !strcmp(filter, "stream"), reverse);
  parley_sim_meta_pager_t p = {.sel = r->fields, .render = parley_sim_fb_render_comment};
  json_t *page = NULL;
  if (parley_sim_meta_pager_from_req(&p, r->req, after, before, sizeof after) != 0)
    parley_error_set(&err, PARLEY_EINVAL, "(#100) The parameter limit must be a positive integer");
  else
    page = parley_sim_meta_page(r->sim, items, &p, &err);
  if (page && (!strcmp(summary, "true") || !strcmp(summary, "1")))
    json_object_set_new(page, "summary",
                        json_pack("{s:s,s:I,s:b}", "order",
                                  reverse ? "reverse_chronological" : "chronological",
                                  "total_count", (json_int_t)json_array_size(items),
                                  "can_comment", 1));
  json_decref(items);
  if (page) parley_sim_meta_ok(r, page);
  else parley_sim_meta_fail(r, 100, 0, err.message);
}

static void parley_sim_fb_get_page(parley_sim_meta_req_t *r) {
  json_t *u = parley_sim_user_find(r->sim, PARLEY_SIM_FB, r->node);
  const char *name = parley_sim_fb_str(u, "name");
  json_t *o = json_pack("{s:s,s:s,s:s}", "id", r->node, "name", name ? name : r->node,
                        "category", "Shopping & retail");
  const char *ig = parley_sim_fb_str(u, "instagram_business_account");
  if (ig) json_object_set_new(o, "instagram_business_account", json_pack("{s:s}", "id", ig));
  parley_sim_meta_ok(r, parley_sim_meta_select(o, r->fields, "id,name"));
}

static void parley_sim_fb_get_account(parley_sim_meta_req_t *r) {
  const char *e = r->edge;
  if (!*e) parley_sim_fb_get_page(r);
  else if (!strcmp(e, "feed") || !strcmp(e, "posts") || !strcmp(e, "published_posts") ||
           !strcmp(e, "visitor_posts") || !strcmp(e, "tagged"))
    parley_sim_fb_get_feed(r);
  else if (!strcmp(e, "conversations")) parley_sim_meta_get_conversations(r, "messenger");
  else if (!strcmp(e, "subscribed_apps"))
    parley_sim_meta_ok(r, json_pack("{s:[{s:s,s:s}]}", "data", "name", "parley", "id", "1"));
  else parley_sim_meta_no_node(r);
}

static void parley_sim_fb_get(parley_sim_meta_req_t *r) {
  json_t *item;
  if (parley_sim_meta_is_account(r->sim, r->m, r->node)) {
    parley_sim_fb_get_account(r);
    return;
  }
  if (parley_sim_meta_get_thread(r)) return;
  item = parley_sim_fb_find(r->sim, r->node);
  if (!item || (r->edge[0] && (strcmp(r->edge, "comments") || parley_sim_meta_is(item, "message")))) {
    parley_sim_meta_no_node(r);
  } else if (r->edge[0]) {
    parley_sim_fb_get_comments(r, item);
  } else if (parley_sim_meta_is(item, "message")) {
    parley_sim_meta_ok(r, parley_sim_meta_render_message(r->sim, item, r->fields, r->m));
  } else {
    parley_sim_meta_render_fn render = parley_sim_meta_is_comment(item) ? parley_sim_fb_render_comment
                                                                        : parley_sim_fb_render_post;
    parley_sim_meta_ok(r, render(r->sim, item, r->fields, NULL));
  }
}

/* ---- writes ---------------------------------------------------------------------- */

/* A change of a comment or post reported on the feed webhook. */
static void parley_sim_fb_feed_change(parley_sim_t *sim, json_t *item, const char *verb);

/* POST /{post-or-comment}/comments: a comment by the Page. Facebook has
 * two levels: a reply to a reply joins the top-level comment. */
static void parley_sim_fb_post_comment(parley_sim_meta_req_t *r, json_t *target) {
  json_t *parent = target;
  json_t *up = parley_sim_fb_find(r->sim, parley_sim_fb_str(target, "parent_id"));
  if (parley_sim_meta_is_comment(target) && up && parley_sim_meta_is_comment(up)) parent = up;
  parley_sim_meta_comment(r, parent, parley_sim_fb_str(target, "id"), "reply",
                          PARLEY_SIM_FB_COMMENT_MAX);
}

/* POST /{comment}: is_hidden=true|false, or message= (edit own comment). */
static void parley_sim_fb_update(parley_sim_meta_req_t *r, json_t *item) {
  char hidden[16], text[PARLEY_SIM_FB_COMMENT_MAX + 1];
  if (parley_sim_meta_param(r->req, "is_hidden", hidden, sizeof hidden) >= 0) {
    int hide = !strcmp(hidden, "true") || !strcmp(hidden, "1");
    if (parley_sim_meta_hide(r, item, hide, "(#100) This comment can't be hidden: it is the "
                                            "Page's own comment or not a comment") == 0)
      parley_sim_fb_feed_change(r->sim, item, hide ? "hide" : "unhide");
    return;
  }
  if (parley_sim_meta_param(r->req, "message", text, sizeof text) > 0 &&
      json_is_true(json_object_get(item, "from_brand"))) {
    json_object_set_new(item, "text", json_string(text));
    parley_sim_record(r->sim, PARLEY_SIM_FB,
                      json_pack("{s:s,s:s,s:s}", "action", "edit", "target",
                                parley_sim_fb_str(item, "id"), "text", text));
    parley_sim_fb_feed_change(r->sim, item, "edited");
    parley_sim_meta_ok(r, json_pack("{s:b}", "success", 1));
    return;
  }
  parley_sim_meta_fail(r, 100, 0, "(#100) Nothing to update: send is_hidden, or message for the "
                                  "Page's own comment");
}

static void parley_sim_fb_delete(parley_sim_meta_req_t *r, json_t *item) {
  json_object_set_new(item, "deleted", json_true());
  parley_sim_record(r->sim, PARLEY_SIM_FB,
                    json_pack("{s:s,s:s}", "action", "delete", "target",
                              parley_sim_fb_str(item, "id")));
  parley_sim_fb_feed_change(r->sim, item, "remove");
  parley_sim_meta_ok(r, json_pack("{s:b}", "success", 1));
}

static void parley_sim_fb_write(parley_sim_meta_req_t *r) {
  int post = !strcmp(r->method, "POST");
  if (post && parley_sim_meta_is_account(r->sim, r->m, r->node)) {
    if (!strcmp(r->edge, "messages")) parley_sim_meta_send(r, r->node);
    else if (!strcmp(r->edge, "subscribed_apps")) parley_sim_meta_ok(r, json_pack("{s:b}", "success", 1));
    else parley_sim_meta_no_node(r);
    return;
  }
  json_t *item = parley_sim_fb_find(r->sim, r->node);
  if (!item || parley_sim_meta_is(item, "message")) parley_sim_meta_no_node(r);
  else if (post && !strcmp(r->edge, "comments")) parley_sim_fb_post_comment(r, item);
  else if (post && !r->edge[0]) parley_sim_fb_update(r, item);
  else if (!post && !r->edge[0]) parley_sim_fb_delete(r, item);
  else parley_sim_meta_no_node(r);
}

static void parley_sim_fb_serve(parley_sim_meta_req_t *r) {
  if (!strcmp(r->method, "GET")) parley_sim_fb_get(r);
  else parley_sim_fb_write(r);
}

static void parley_sim_fb_handle(parley_sim_t *sim, parley_httpd_req_t *req, const char *subpath) {
  parley_sim_meta_serve(sim, parley_sim_fb_meta(sim), req, subpath, parley_sim_fb_serve);
}

/* ---- webhooks ------------------------------------------------------------------------- */

static void parley_sim_fb_change(parley_sim_t *sim, json_t *item, const char *field, json_t *v) {
  parley_sim_meta_webhook(sim, parley_sim_fb_meta(sim), parley_sim_fb_str(item, "account_id"),
                          "changes", json_pack("{s:s,s:o}", "field", field, "value", v));
}

static void parley_sim_fb_feed_change(parley_sim_t *sim, json_t *item, const char *verb) {
  char t[32];
  int comment = parley_sim_meta_is_comment(item);
  const char *text = parley_sim_fb_str(item, "text");
  const char *post = parley_sim_fb_str(item, "conversation_id");
  json_t *v = json_pack("{s:s,s:s,s:s,s:I}", "item", comment ? "comment" : "status", "verb", verb,
                        "post_id", post, "created_time",
                        (json_int_t)(parley_sim_meta_ms(item) / 1000u));
  if (text && strcmp(verb, "remove")) json_object_set_new(v, "message", json_string(text));
  parley_sim_fb_user_into(sim, v, "from", parley_sim_fb_str(item, "author_id"));
  if (comment) {
    json_object_set_new(v, "comment_id", json_string(parley_sim_fb_str(item, "id")));
    json_object_set_new(v, "parent_id", json_string(parley_sim_fb_str(item, "parent_id")));
    json_object_set_new(v, "post", json_pack("{s:s,s:s,s:b,s:s,s:s}", "id", post, "status_type",
                                             "mobile_status_update", "is_published", 1,
                                             "updated_time",
                                             parley_sim_meta_time(parley_sim_meta_ms(item), t, sizeof t),
                                             "promotion_status", "inactive"));
  } else {
    json_object_set_new(v, "published", json_integer(1));
  }
  parley_sim_fb_change(sim, item, "feed", v);
}

static void parley_sim_fb_mention(parley_sim_t *sim, json_t *item) {
  const char *author = parley_sim_fb_str(item, "author_id");
  json_t *u = parley_sim_user_find(sim, PARLEY_SIM_FB, author);
  const char *name = parley_sim_fb_str(u, "name"), *text = parley_sim_fb_str(item, "text");
  const char *parent = parley_sim_fb_str(item, "parent_id");
  json_t *v = json_pack("{s:s,s:s,s:s,s:s,s:I}", "post_id",
                        parent ? parent : parley_sim_fb_str(item, "id"), "sender_id",
                        author ? author : "0", "item", parent ? "comment" : "post", "verb", "add",
                        "created_time", (json_int_t)(parley_sim_meta_ms(item) / 1000u));
  if (name) json_object_set_new(v, "sender_name", json_string(name));
  if (parent) json_object_set_new(v, "comment_id", json_string(parley_sim_fb_str(item, "id")));
  if (text) json_object_set_new(v, "message", json_string(text));
  parley_sim_fb_change(sim, item, "mention", v);
}

/* A reaction on a post or comment (a message reaction is messaging). */
static void parley_sim_fb_reaction(parley_sim_t *sim, json_t *item) {
  const char *r = parley_sim_fb_str(item, "reaction");
  json_t *target = parley_sim_fb_find(sim, parley_sim_fb_str(item, "parent_id"));
  json_t *v = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "item", "reaction", "verb", "add",
                        "reaction_type", r ? r : "like", "post_id",
                        parley_sim_fb_str(target, "conversation_id"), "parent_id",
                        parley_sim_fb_str(target, "id"), "created_time",
                        (json_int_t)(parley_sim_meta_ms(item) / 1000u));
  parley_sim_fb_user_into(sim, v, "from", parley_sim_fb_str(item, "author_id"));
  parley_sim_fb_change(sim, item, "feed", v);
}

/* edit / delete items change their target and report it. */
static void parley_sim_fb_on_change(parley_sim_t *sim, json_t *item, int del) {
  json_t *target = parley_sim_fb_find(sim, parley_sim_fb_str(item, "parent_id"));
  const char *text = parley_sim_fb_str(item, "text");
  if (!target) {
    parley_sim_log(sim, "facebook: %s item names no existing item", del ? "delete" : "edit");
    return;
  }
  if (del) json_object_set_new(target, "deleted", json_true());
  else if (text) json_object_set_new(target, "text", json_string(text));
  parley_sim_fb_feed_change(sim, target, del ? "remove" : "edited");
}

static void parley_sim_fb_on_item(parley_sim_t *sim, json_t *item) {
  parley_sim_meta_t *m = parley_sim_fb_meta(sim);
  if (parley_sim_meta_is_messaging(sim, m, item)) parley_sim_meta_on_messaging_item(sim, m, item);
  else if (parley_sim_meta_is(item, "post") || parley_sim_meta_is_comment(item))
    parley_sim_fb_feed_change(sim, item, "add");
  else if (parley_sim_meta_is(item, "mention")) parley_sim_fb_mention(sim, item);
  else if (parley_sim_meta_is(item, "reaction")) parley_sim_fb_reaction(sim, item);
  else if (parley_sim_meta_is(item, "edit")) parley_sim_fb_on_change(sim, item, 0);
  else if (parley_sim_meta_is(item, "delete")) parley_sim_fb_on_change(sim, item, 1);
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static int parley_sim_fb_init(parley_sim_t *sim, json_t *part, parley_error_t *err) {
  parley_sim_fb_t *fb = calloc(1, sizeof *fb);
  if (!fb) return parley_error_set(err, PARLEY_ENOMEM, "facebook: out of memory");
  fb->meta.platform = PARLEY_SIM_FB;
  fb->meta.object = "page";
  fb->meta.buc_type = "pages";
  fb->meta.text_max = PARLEY_SIM_FB_TEXT_MAX;
  fb->meta.window_subcode = 2018278;
  parley_sim_set_state(sim, PARLEY_SIM_FB, fb);
  return parley_sim_meta_init(sim, &fb->meta, part, 32, err);
}

static void parley_sim_fb_free(parley_sim_t *sim) {
  parley_sim_fb_t *fb = parley_sim_state(sim, PARLEY_SIM_FB);
  if (!fb) return;
  parley_sim_meta_free(&fb->meta);
  free(fb);
  parley_sim_set_state(sim, PARLEY_SIM_FB, NULL);
}

static json_t *parley_sim_fb_error_body(parley_sim_t *sim, int status, parley_sim_headers_t *h,
                                        const char **ctype) {
  return parley_sim_meta_error_body(parley_sim_fb_meta(sim), status, h);
}

static void parley_sim_fb_on_target(parley_sim_t *sim, const char *url) {
  parley_sim_meta_verify_target(sim, parley_sim_fb_meta(sim), url);
}

const parley_sim_platform_t parley_sim_facebook = {
    .name = PARLEY_SIM_FB,
    .init = parley_sim_fb_init,
    .handle = parley_sim_fb_handle,
    .on_item = parley_sim_fb_on_item,
    .error_body = parley_sim_fb_error_body,
    .on_webhook_target = parley_sim_fb_on_target,
    .free = parley_sim_fb_free,
};
