/* parley-sim — Facebook Pages (facebook.md): the Page feed and posts,
 * comments with filter/order and cursor paging, replies, private replies,
 * hide/unhide/edit/delete, Messenger conversations and the Send API with the
 * 24-hour window, and the page webhooks (feed, mention, messages with
 * echoes, postbacks, reactions). Graph mechanics live in sim_meta.c.
 *
 * Store mapping (platform "facebook"):
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
#define PARLEY_SIM_FB_TEXT_MAX 2000
#define PARLEY_SIM_FB_PRIVATE_REPLY_MS (7u * 24u * 3600u * 1000u)
#define PARLEY_SIM_FB_HUMAN_AGENT_MS (7u * 24u * 3600u * 1000u)

typedef struct parley_sim_fb {
  parley_sim_meta_t meta;
} parley_sim_fb_t;

/* One request being served. */
typedef struct parley_sim_fb_req {
  parley_sim_t *sim;
  parley_sim_fb_t *fb;
  parley_httpd_req_t *req;
  const char *method;
  char node[256];
  char edge[64];
  parley_sim_meta_field_t *fields;
  parley_sim_headers_t h;
} parley_sim_fb_req_t;

static const char *parley_sim_fb_str(json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

static uint64_t parley_sim_fb_ms(json_t *item) {
  return (uint64_t)json_integer_value(json_object_get(item, "created_ms"));
}

static int parley_sim_fb_is(json_t *item, const char *type) {
  const char *t = parley_sim_fb_str(item, "type");
  return t && !strcmp(t, type);
}

static int parley_sim_fb_is_comment(json_t *item) {
  return parley_sim_fb_is(item, "comment") || parley_sim_fb_is(item, "reply");
}

static json_t *parley_sim_fb_find(parley_sim_t *sim, const char *id) {
  json_t *item = parley_sim_item_find(sim, PARLEY_SIM_FB, id);
  return item && !json_is_true(json_object_get(item, "deleted")) ? item : NULL;
}

/* A Page served here: the scenario account or a brand user (pages[]). */
static int parley_sim_fb_is_page(parley_sim_t *sim, const char *id) {
  json_t *u = parley_sim_user_find(sim, PARLEY_SIM_FB, id);
  return u && json_is_true(json_object_get(u, "brand"));
}

/* The customer of a DM: the side that is not the Page. */
static const char *parley_sim_fb_customer(json_t *msg) {
  return json_is_true(json_object_get(msg, "from_brand")) ? parley_sim_fb_str(msg, "recipient_id")
                                                          : parley_sim_fb_str(msg, "author_id");
}

static void parley_sim_fb_thread_id(const char *page, const char *customer, char *buf,
                                    size_t len) {
  snprintf(buf, len, "t_%s_%s", page ? page : "0", customer ? customer : "0");
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
  if (stream && !parley_sim_fb_is_comment(node)) f.conversation_id = parley_sim_fb_str(node, "id");
  else f.parent_id = parley_sim_fb_str(node, "id");
  json_t *all = parley_sim_items(sim, &f), *out = json_array(), *it;
  size_t i;
  json_array_foreach(all, i, it) if (parley_sim_fb_is_comment(it)) json_array_append(out, it);
  json_decref(all);
  return parley_sim_meta_sort(out, !reverse);
}

/* A nested edge inside fields=: comments.limit(n).summary(true){...}. */
static json_t *parley_sim_fb_edge(parley_sim_t *sim, json_t *items,
                                  const parley_sim_meta_field_t *f,
                                  parley_sim_meta_render_fn render) {
  const char *lim = parley_sim_meta_field_mod(f, "limit");
  parley_sim_meta_pager_t p = {.limit = lim ? atol(lim) : 25, .sel = f->child, .render = render};
  /* .limit(0) asks for the summary alone. */
  json_t *page = lim && atol(lim) == 0 ? json_pack("{s:[],s:{}}", "data", "paging")
                                       : parley_sim_meta_page(sim, items, &p, NULL);
  const char *sum = parley_sim_meta_field_mod(f, "summary");
  if (page && sum && !strcmp(sum, "true"))
    json_object_set_new(page, "summary",
                        json_pack("{s:s,s:I,s:b}", "order", "chronological", "total_count",
                                  (json_int_t)json_array_size(items), "can_comment", 1));
  json_decref(items);
  return page;
}

static void parley_sim_fb_comments_edge(parley_sim_t *sim, json_t *obj, json_t *item,
                                        const parley_sim_meta_field_t *sel) {
  const parley_sim_meta_field_t *f = parley_sim_meta_field_find(sel, "comments");
  if (!f) return;
  const char *filter = parley_sim_meta_field_mod(f, "filter");
  int stream = filter && !strcmp(filter, "stream");
  json_t *page = parley_sim_fb_edge(sim, parley_sim_fb_comments_of(sim, item, stream, 0), f,
                                    parley_sim_fb_render_comment);
  if (page) json_object_set_new(obj, "comments", page);
}

static void parley_sim_fb_permalink(json_t *obj, json_t *item) {
  char url[512];
  snprintf(url, sizeof url, "https://www.facebook.com/%s/posts/%s",
           parley_sim_fb_str(item, "account_id") ? parley_sim_fb_str(item, "account_id") : "0",
           parley_sim_fb_str(item, "conversation_id"));
  json_object_set_new(obj, "permalink_url", json_string(url));
}

static json_t *parley_sim_fb_render_post(parley_sim_t *sim, json_t *item,
                                         const parley_sim_meta_field_t *sel, void *data) {
  char t[32];
  const char *text = parley_sim_fb_str(item, "text");
  json_t *o = json_pack("{s:s,s:s,s:s,s:b,s:s}", "id", parley_sim_fb_str(item, "id"),
                        "created_time", parley_sim_meta_time(parley_sim_fb_ms(item), t, sizeof t),
                        "updated_time", t, "is_hidden",
                        json_is_true(json_object_get(item, "hidden")), "status_type",
                        "mobile_status_update");
  if (text) json_object_set_new(o, "message", json_string(text));
  parley_sim_fb_user_into(sim, o, "from", parley_sim_fb_str(item, "author_id"));
  parley_sim_fb_permalink(o, item);
  parley_sim_fb_comments_edge(sim, o, item, sel);
  return parley_sim_meta_select(o, sel, "id,message,created_time");
}

static int parley_sim_fb_can_reply_privately(json_t *item) {
  return !json_is_true(json_object_get(item, "from_brand")) &&
         !json_is_true(json_object_get(item, "fb_private_replied")) &&
         parley_sim_now_ms() - parley_sim_fb_ms(item) <= PARLEY_SIM_FB_PRIVATE_REPLY_MS;
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
                        "created_time", parley_sim_meta_time(parley_sim_fb_ms(item), t, sizeof t),
                        "comment_count", (json_int_t)json_array_size(replies), "like_count", 0,
                        "is_hidden", json_is_true(json_object_get(item, "hidden")), "can_hide",
                        !brand, "can_reply_privately", parley_sim_fb_can_reply_privately(item),
                        "message_tags");
  json_decref(replies);
  parley_sim_fb_user_into(sim, o, "from", parley_sim_fb_str(item, "author_id"));
  if (parent && parley_sim_fb_is_comment(parent))
    json_object_set_new(o, "parent", json_pack("{s:s}", "id", parley_sim_fb_str(parent, "id")));
  parley_sim_fb_permalink(o, item);
  parley_sim_fb_comments_edge(sim, o, item, sel);
  return parley_sim_meta_select(o, sel, "id,message,from,created_time");
}

static json_t *parley_sim_fb_party(parley_sim_t *sim, const char *user_id) {
  json_t *u = parley_sim_meta_user(sim, PARLEY_SIM_FB, user_id, 0);
  char email[160];
  snprintf(email, sizeof email, "%s@facebook.com", user_id ? user_id : "0");
  if (u) json_object_set_new(u, "email", json_string(email));
  return u;
}

static json_t *parley_sim_fb_render_message(parley_sim_t *sim, json_t *item,
                                            const parley_sim_meta_field_t *sel, void *data) {
  char t[32];
  const char *text = parley_sim_fb_str(item, "text");
  json_t *o = json_pack("{s:s,s:s,s:s}", "id", parley_sim_fb_str(item, "id"), "message",
                        text ? text : "", "created_time",
                        parley_sim_meta_time(parley_sim_fb_ms(item), t, sizeof t));
  json_t *from = parley_sim_fb_party(sim, parley_sim_fb_str(item, "author_id"));
  json_t *to = parley_sim_fb_party(sim, parley_sim_fb_str(item, "recipient_id"));
  if (from) json_object_set_new(o, "from", from);
  if (to) json_object_set_new(o, "to", json_pack("{s:[o]}", "data", to));
  return parley_sim_meta_select(o, sel, "id,created_time");
}

/* Messages of one thread (page, customer), newest first. */
static json_t *parley_sim_fb_thread(parley_sim_t *sim, const char *page, const char *customer) {
  parley_sim_filter_t f = {.platform = PARLEY_SIM_FB, .type = "message", .account_id = page};
  json_t *all = parley_sim_items(sim, &f), *out = json_array(), *m;
  size_t i;
  json_array_foreach(all, i, m) {
    const char *c = parley_sim_fb_customer(m);
    if (c && !strcmp(c, customer)) json_array_append(out, m);
  }
  json_decref(all);
  return parley_sim_meta_sort(out, 0);
}

/* A conversation is rendered from its newest message (the "item"). */
static json_t *parley_sim_fb_render_conversation(parley_sim_t *sim, json_t *newest,
                                                 const parley_sim_meta_field_t *sel, void *data) {
  char t[32], id[300];
  const char *page = parley_sim_fb_str(newest, "account_id");
  const char *customer = parley_sim_fb_customer(newest);
  json_t *msgs = parley_sim_fb_thread(sim, page, customer);
  parley_sim_fb_thread_id(page, customer, id, sizeof id);
  json_t *parts = json_array();
  json_t *pc = parley_sim_fb_party(sim, customer), *pp = parley_sim_fb_party(sim, page);
  if (pc) json_array_append_new(parts, pc);
  if (pp) json_array_append_new(parts, pp);
  json_t *o = json_pack("{s:s,s:s,s:{s:o},s:I,s:i}", "id", id, "updated_time",
                        parley_sim_meta_time(parley_sim_fb_ms(newest), t, sizeof t),
                        "participants", "data", parts, "message_count",
                        (json_int_t)json_array_size(msgs), "unread_count", 0);
  const parley_sim_meta_field_t *f = parley_sim_meta_field_find(sel, "messages");
  if (f) {
    json_t *page_json = parley_sim_fb_edge(sim, json_incref(msgs), f, parley_sim_fb_render_message);
    if (page_json) json_object_set_new(o, "messages", page_json);
  }
  json_decref(msgs);
  return parley_sim_meta_select(o, sel, "id,updated_time");
}

/* ---- answers ----------------------------------------------------------------- */

static void parley_sim_fb_ok(parley_sim_fb_req_t *r, json_t *body) {
  parley_sim_respond_json(r->sim, r->req, 200, body, NULL, &r->h);
}

static void parley_sim_fb_fail(parley_sim_fb_req_t *r, int code, int subcode, const char *msg) {
  parley_sim_meta_error(r->sim, r->req, 400, code, subcode, "OAuthException", msg);
}

static void parley_sim_fb_no_node(parley_sim_fb_req_t *r) {
  char msg[512];
  snprintf(msg, sizeof msg,
           "Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to "
           "missing permissions, or does not support this operation.",
           !strcmp(r->method, "GET") ? "get" : "post", r->node);
  parley_sim_meta_error(r->sim, r->req, 400, 100, 33, "GraphMethodException", msg);
}

/* ---- GET ------------------------------------------------------------------------ */

static int parley_sim_fb_feed_match(json_t *item, void *data) {
  const char *edge = data;
  int brand = json_is_true(json_object_get(item, "from_brand"));
  if (!strcmp(edge, "tagged")) return parley_sim_fb_is(item, "mention");
  if (!parley_sim_fb_is(item, "post")) return 0;
  if (!strcmp(edge, "posts") || !strcmp(edge, "published_posts")) return brand;
  if (!strcmp(edge, "visitor_posts")) return !brand;
  return 1; /* feed */
}

static void parley_sim_fb_get_feed(parley_sim_fb_req_t *r) {
  parley_sim_filter_t f = {.platform = PARLEY_SIM_FB, .account_id = r->node,
                           .include_hidden = 1, .match = parley_sim_fb_feed_match,
                           .match_data = r->edge};
  json_t *items = parley_sim_meta_sort(parley_sim_items(r->sim, &f), 0);
  parley_sim_meta_respond_page(r->sim, r->req, items, r->fields, parley_sim_fb_render_post, NULL,
                               &r->h);
}

static void parley_sim_fb_get_comments(parley_sim_fb_req_t *r, json_t *node) {
  char filter[32] = "toplevel", order[32] = "chronological", summary[8] = "";
  parley_httpd_req_query_param(r->req, "filter", filter, sizeof filter);
  parley_httpd_req_query_param(r->req, "order", order, sizeof order);
  parley_httpd_req_query_param(r->req, "summary", summary, sizeof summary);
  if (strcmp(filter, "toplevel") && strcmp(filter, "stream")) {
    parley_sim_fb_fail(r, 100, 0, "(#100) filter must be one of the following values: toplevel, stream");
    return;
  }
  int reverse = !strcmp(order, "reverse_chronological");
  json_t *items = parley_sim_fb_comments_of(r->sim, node, !strcmp(filter, "stream"), reverse);
  if (!strcmp(summary, "true") || !strcmp(summary, "1")) {
    /* The page answer gains a summary: page it here rather than through
     * respond_page. */
    char after[256], before[256];
    parley_error_t err = {0};
    parley_sim_meta_pager_t p = {.sel = r->fields, .render = parley_sim_fb_render_comment};
    parley_sim_meta_pager_from_req(&p, r->req, after, before, sizeof after);
    json_t *page = parley_sim_meta_page(r->sim, items, &p, &err);
    if (page)
      json_object_set_new(page, "summary",
                          json_pack("{s:s,s:I,s:b}", "order", reverse ? "reverse_chronological"
                                                                      : "chronological",
                                    "total_count", (json_int_t)json_array_size(items),
                                    "can_comment", 1));
    json_decref(items);
    if (page) parley_sim_fb_ok(r, page);
    else parley_sim_fb_fail(r, 100, 0, err.message);
    return;
  }
  parley_sim_meta_respond_page(r->sim, r->req, items, r->fields, parley_sim_fb_render_comment,
                               NULL, &r->h);
}

static int parley_sim_fb_newest_per_thread(json_t *item, void *data) {
  json_t *seen = data;
  char key[300];
  parley_sim_fb_thread_id(parley_sim_fb_str(item, "account_id"), parley_sim_fb_customer(item),
                          key, sizeof key);
  if (json_object_get(seen, key)) return 0;
  json_object_set_new(seen, key, json_true());
  return 1;
}

static void parley_sim_fb_get_conversations(parley_sim_fb_req_t *r) {
  char platform[32] = "messenger", user[128];
  parley_httpd_req_query_param(r->req, "platform", platform, sizeof platform);
  if (strcmp(platform, "messenger")) {
    parley_sim_fb_fail(r, 100, 0, "(#100) platform must be 'messenger' here; Instagram "
                                  "conversations are served under /instagram");
    return;
  }
  int one = parley_httpd_req_query_param(r->req, "user_id", user, sizeof user) >= 0;
  parley_sim_filter_t f = {.platform = PARLEY_SIM_FB, .type = "message", .account_id = r->node};
  json_t *msgs = parley_sim_meta_sort(parley_sim_items(r->sim, &f), 0);
  json_t *seen = json_object(), *threads = json_array(), *m;
  size_t i;
  json_array_foreach(msgs, i, m) {
    const char *c = parley_sim_fb_customer(m);
    if (one && (!c || strcmp(c, user))) continue;
    if (parley_sim_fb_newest_per_thread(m, seen)) json_array_append(threads, m);
  }
  json_decref(seen);
  json_decref(msgs);
  parley_sim_meta_respond_page(r->sim, r->req, threads, r->fields,
                               parley_sim_fb_render_conversation, NULL, &r->h);
}

/* "t_<page>_<customer>" into its parts. */
static int parley_sim_fb_parse_thread(const char *id, char *page, char *customer, size_t len) {
  const char *us;
  if (strncmp(id, "t_", 2) || !(us = strchr(id + 2, '_'))) return -1;
  snprintf(page, len, "%.*s", (int)(us - id - 2), id + 2);
  snprintf(customer, len, "%s", us + 1);
  return *page && *customer ? 0 : -1;
}

static void parley_sim_fb_get_thread(parley_sim_fb_req_t *r, const char *page,
                                     const char *customer) {
  json_t *msgs = parley_sim_fb_thread(r->sim, page, customer);
  if (!strcmp(r->edge, "messages")) {
    parley_sim_meta_respond_page(r->sim, r->req, msgs, r->fields, parley_sim_fb_render_message,
                                 NULL, &r->h);
    return;
  }
  json_t *newest = json_array_get(msgs, 0);
  if (!newest || r->edge[0]) {
    json_decref(msgs);
    parley_sim_fb_no_node(r);
    return;
  }
  parley_sim_fb_ok(r, parley_sim_fb_render_conversation(r->sim, newest, r->fields, NULL));
  json_decref(msgs);
}

static void parley_sim_fb_get_page(parley_sim_fb_req_t *r) {
  json_t *u = parley_sim_user_find(r->sim, PARLEY_SIM_FB, r->node);
  const char *name = parley_sim_fb_str(u, "name");
  json_t *o = json_pack("{s:s,s:s,s:s}", "id", r->node, "name", name ? name : r->node,
                        "category", "Shopping & retail");
  const char *ig = parley_sim_fb_str(u, "instagram_business_account");
  if (ig) json_object_set_new(o, "instagram_business_account", json_pack("{s:s}", "id", ig));
  parley_sim_fb_ok(r, parley_sim_meta_select(o, r->fields, "id,name"));
}

static void parley_sim_fb_get_node(parley_sim_fb_req_t *r, json_t *item) {
  parley_sim_meta_render_fn render = parley_sim_fb_render_post;
  if (parley_sim_fb_is_comment(item)) render = parley_sim_fb_render_comment;
  else if (parley_sim_fb_is(item, "message")) render = parley_sim_fb_render_message;
  parley_sim_fb_ok(r, render(r->sim, item, r->fields, NULL));
}

static void parley_sim_fb_get(parley_sim_fb_req_t *r) {
  char page[128], customer[128];
  const char *e = r->edge;
  json_t *item;
  if (parley_sim_fb_is_page(r->sim, r->node)) {
    if (!*e) parley_sim_fb_get_page(r);
    else if (!strcmp(e, "feed") || !strcmp(e, "posts") || !strcmp(e, "published_posts") ||
             !strcmp(e, "visitor_posts") || !strcmp(e, "tagged"))
      parley_sim_fb_get_feed(r);
    else if (!strcmp(e, "conversations")) parley_sim_fb_get_conversations(r);
    else if (!strcmp(e, "subscribed_apps"))
      parley_sim_fb_ok(r, json_pack("{s:[{s:s,s:s}]}", "data", "name", "parley", "id", "1"));
    else parley_sim_fb_no_node(r);
    return;
  }
  if (parley_sim_fb_parse_thread(r->node, page, customer, sizeof page) == 0) {
    parley_sim_fb_get_thread(r, page, customer);
    return;
  }
  item = parley_sim_fb_find(r->sim, r->node);
  if (!item || (*e && (strcmp(e, "comments") || parley_sim_fb_is(item, "message"))))
    parley_sim_fb_no_node(r);
  else if (*e) parley_sim_fb_get_comments(r, item);
  else parley_sim_fb_get_node(r, item);
}

/* ---- writes ---------------------------------------------------------------------- */

static json_t *parley_sim_fb_add(parley_sim_fb_req_t *r, json_t *item) {
  parley_error_t err = {0};
  json_t *stored = parley_sim_item_add(r->sim, item, &err);
  if (!stored) parley_sim_meta_error(r->sim, r->req, 500, 1, 0, "OAuthException", err.message);
  return stored;
}

static int parley_sim_fb_text(parley_sim_fb_req_t *r, const char *param, char *buf, size_t len) {
  int n = parley_sim_meta_param(r->req, param, buf, len);
  if (n == PARLEY_ENOBUFS || (n > 0 && (size_t)n > PARLEY_SIM_FB_TEXT_MAX * 4)) {
    parley_sim_fb_fail(r, 100, 0, "(#100) Param message is too long");
    return -1;
  }
  if (n <= 0) {
    parley_sim_fb_fail(r, 100, 0, "(#100) Missing required parameter: message");
    return -1;
  }
  return 0;
}

/* POST /{post-or-comment}/comments: a comment by the Page. Facebook has
 * two levels: a reply to a reply joins the top-level comment. */
static void parley_sim_fb_post_comment(parley_sim_fb_req_t *r, json_t *target) {
  char text[PARLEY_SIM_FB_TEXT_MAX * 4 + 1], id[32];
  if (parley_sim_fb_text(r, "message", text, sizeof text) != 0) return;
  json_t *parent = target;
  json_t *up = parley_sim_fb_find(r->sim, parley_sim_fb_str(target, "parent_id"));
  if (parley_sim_fb_is_comment(target) && up && parley_sim_fb_is_comment(up)) parent = up;
  const char *page = parley_sim_fb_str(target, "account_id");
  json_t *item = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "platform", PARLEY_SIM_FB, "type",
                           "comment", "id", parley_sim_next_id(r->sim, PARLEY_SIM_FB, id, sizeof id),
                           "parent_id", parley_sim_fb_str(parent, "id"), "author_id",
                           page ? page : "0", "text", text, "from_brand", 1);
  if (page) json_object_set_new(item, "account_id", json_string(page));
  json_t *stored = parley_sim_fb_add(r, item);
  if (!stored) return;
  parley_sim_record(r->sim, PARLEY_SIM_FB,
                    json_pack("{s:s,s:s,s:s,s:s}", "action", "reply", "in_reply_to",
                              parley_sim_fb_str(target, "id"), "id", id, "text", text));
  parley_sim_fb_ok(r, json_pack("{s:s}", "id", id));
}

/* A change of a comment or post reported on the feed webhook. */
static void parley_sim_fb_feed_change(parley_sim_t *sim, json_t *item, const char *verb);

/* POST /{comment}: is_hidden=true|false, or message= (edit own comment). */
static void parley_sim_fb_update(parley_sim_fb_req_t *r, json_t *item) {
  char hidden[16], text[PARLEY_SIM_FB_TEXT_MAX * 4 + 1];
  int brand = json_is_true(json_object_get(item, "from_brand"));
  if (parley_sim_meta_param(r->req, "is_hidden", hidden, sizeof hidden) >= 0) {
    int hide = !strcmp(hidden, "true") || !strcmp(hidden, "1");
    if (!parley_sim_fb_is_comment(item) || brand) {
      parley_sim_fb_fail(r, 100, 0, "(#100) This comment can't be hidden: it is the Page's own "
                                    "comment or not a comment");
      return;
    }
    json_object_set_new(item, "hidden", json_boolean(hide));
    parley_sim_record(r->sim, PARLEY_SIM_FB,
                      json_pack("{s:s,s:s}", "action", hide ? "hide" : "unhide", "target",
                                parley_sim_fb_str(item, "id")));
    parley_sim_fb_feed_change(r->sim, item, hide ? "hide" : "unhide");
    parley_sim_fb_ok(r, json_pack("{s:b}", "success", 1));
    return;
  }
  if (parley_sim_meta_param(r->req, "message", text, sizeof text) > 0 && brand) {
    json_object_set_new(item, "text", json_string(text));
    parley_sim_record(r->sim, PARLEY_SIM_FB,
                      json_pack("{s:s,s:s,s:s}", "action", "edit", "target",
                                parley_sim_fb_str(item, "id"), "text", text));
    parley_sim_fb_feed_change(r->sim, item, "edited");
    parley_sim_fb_ok(r, json_pack("{s:b}", "success", 1));
    return;
  }
  parley_sim_fb_fail(r, 100, 0, "(#100) Nothing to update: send is_hidden, or message for the "
                                "Page's own comment");
}

static void parley_sim_fb_delete(parley_sim_fb_req_t *r, json_t *item) {
  json_object_set_new(item, "deleted", json_true());
  parley_sim_record(r->sim, PARLEY_SIM_FB,
                    json_pack("{s:s,s:s}", "action", "delete", "target",
                              parley_sim_fb_str(item, "id")));
  parley_sim_fb_feed_change(r->sim, item, "remove");
  parley_sim_fb_ok(r, json_pack("{s:b}", "success", 1));
}

/* ---- Send API ------------------------------------------------------------------------ */

/* The newest inbound message or postback of customer to page, or NULL. */
static json_t *parley_sim_fb_last_inbound(parley_sim_t *sim, const char *page,
                                          const char *customer) {
  parley_sim_filter_t f = {.platform = PARLEY_SIM_FB, .account_id = page, .author_id = customer};
  json_t *all = parley_sim_meta_sort(parley_sim_items(sim, &f), 0), *it, *found = NULL;
  size_t i;
  json_array_foreach(all, i, it) {
    if (parley_sim_fb_is(it, "message") || parley_sim_fb_is(it, "postback")) {
      found = it;
      break;
    }
  }
  json_decref(all);
  return found; /* the store keeps it alive */
}

/* Within the messaging window? 0, or answers the documented error. */
static int parley_sim_fb_window(parley_sim_fb_req_t *r, const char *page, const char *customer) {
  char type[32] = "", tag[64] = "";
  json_t *last = parley_sim_fb_last_inbound(r->sim, page, customer);
  uint64_t window = r->fb->meta.window_ms;
  parley_sim_meta_param(r->req, "messaging_type", type, sizeof type);
  parley_sim_meta_param(r->req, "tag", tag, sizeof tag);
  if (!strcmp(type, "MESSAGE_TAG") && !strcmp(tag, "HUMAN_AGENT"))
    window = PARLEY_SIM_FB_HUMAN_AGENT_MS;
  if (!last && !parley_sim_user_find(r->sim, PARLEY_SIM_FB, customer)) {
    parley_sim_fb_fail(r, 100, 2018001, "(#100) No matching user found");
    return -1;
  }
  if (!last || parley_sim_now_ms() - parley_sim_fb_ms(last) > window) {
    parley_sim_fb_fail(r, 10, 2018278, "(#10) This message is sent outside of allowed window.");
    return -1;
  }
  return 0;
}

static void parley_sim_fb_send_store(parley_sim_fb_req_t *r, const char *page,
                                     const char *customer, const char *text,
                                     const char *action, const char *in_reply_to) {
  char seq[32], mid[48];
  snprintf(mid, sizeof mid, "m_%s", parley_sim_next_id(r->sim, PARLEY_SIM_FB, seq, sizeof seq));
  json_t *item = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "platform", PARLEY_SIM_FB, "type",
                           "message", "id", mid, "author_id", page, "recipient_id", customer,
                           "account_id", page, "text", text, "from_brand", 1);
  char conv[300];
  parley_sim_fb_thread_id(page, customer, conv, sizeof conv);
  json_object_set_new(item, "conversation_id", json_string(conv));
  if (!parley_sim_fb_add(r, item)) return;
  json_t *rec = json_pack("{s:s,s:s,s:s,s:s}", "action", action, "recipient_id", customer, "id",
                          mid, "text", text);
  if (in_reply_to) json_object_set_new(rec, "in_reply_to", json_string(in_reply_to));
  parley_sim_record(r->sim, PARLEY_SIM_FB, rec);
  parley_sim_fb_ok(r, json_pack("{s:s,s:s}", "recipient_id", customer, "message_id", mid));
}

static void parley_sim_fb_private_reply(parley_sim_fb_req_t *r, const char *page,
                                        const char *comment_id, const char *text) {
  json_t *c = parley_sim_fb_find(r->sim, comment_id);
  const char *author = parley_sim_fb_str(c, "author_id");
  if (!c || !parley_sim_fb_is_comment(c) || !author) {
    parley_sim_fb_fail(r, 100, 33, "(#100) recipient.comment_id does not name a comment");
    return;
  }
  if (json_is_true(json_object_get(c, "from_brand"))) {
    parley_sim_fb_fail(r, 10, 0, "(#10) Cannot send a private reply to the Page's own comment");
    return;
  }
  if (json_is_true(json_object_get(c, "fb_private_replied"))) {
    parley_sim_fb_fail(r, 10900, 0, "Activity already replied to");
    return;
  }
  if (parley_sim_now_ms() - parley_sim_fb_ms(c) > PARLEY_SIM_FB_PRIVATE_REPLY_MS) {
    parley_sim_fb_fail(r, 10, 2018278, "(#10) This message is sent outside of allowed window.");
    return;
  }
  json_object_set_new(c, "fb_private_replied", json_true());
  parley_sim_fb_send_store(r, page, author, text, "private_reply", comment_id);
}

/* POST /{page}/messages (or /me/messages). */
static void parley_sim_fb_send(parley_sim_fb_req_t *r, const char *page) {
  json_t *rcpt = parley_sim_meta_param_json(r->req, "recipient");
  json_t *msg = parley_sim_meta_param_json(r->req, "message");
  const char *id = parley_sim_fb_str(rcpt, "id"), *cid = parley_sim_fb_str(rcpt, "comment_id");
  const char *text = parley_sim_fb_str(msg, "text");
  char action[32];
  if (!id && !cid) {
    parley_sim_fb_fail(r, 100, 0, "(#100) param recipient must be non-empty.");
  } else if (!text && parley_sim_meta_param(r->req, "sender_action", action, sizeof action) > 0) {
    parley_sim_fb_ok(r, json_pack("{s:s}", "recipient_id", id ? id : cid));
  } else if (!text || !*text) {
    parley_sim_fb_fail(r, 100, 0, "(#100) param message[text] must be non-empty.");
  } else if (strlen(text) > PARLEY_SIM_FB_TEXT_MAX) {
    parley_sim_fb_fail(r, 100, 0, "(#100) Length of param message[text] must be less than or "
                                  "equal to 2000");
  } else if (cid) {
    parley_sim_fb_private_reply(r, page, cid, text);
  } else if (parley_sim_fb_window(r, page, id) == 0) {
    parley_sim_fb_send_store(r, page, id, text, "dm", NULL);
  }
  json_decref(rcpt);
  json_decref(msg);
}

static void parley_sim_fb_write(parley_sim_fb_req_t *r) {
  int post = !strcmp(r->method, "POST");
  if (post && parley_sim_fb_is_page(r->sim, r->node)) {
    if (!strcmp(r->edge, "messages")) parley_sim_fb_send(r, r->node);
    else if (!strcmp(r->edge, "subscribed_apps")) parley_sim_fb_ok(r, json_pack("{s:b}", "success", 1));
    else parley_sim_fb_no_node(r);
    return;
  }
  json_t *item = parley_sim_fb_find(r->sim, r->node);
  if (!item || parley_sim_fb_is(item, "message")) parley_sim_fb_no_node(r);
  else if (post && !strcmp(r->edge, "comments")) parley_sim_fb_post_comment(r, item);
  else if (post && !r->edge[0]) parley_sim_fb_update(r, item);
  else if (!post && !r->edge[0]) parley_sim_fb_delete(r, item);
  else parley_sim_fb_no_node(r);
}

/* ---- dispatch ------------------------------------------------------------------------- */

/* "/123/comments" -> node "123", edge "comments"; "me" -> the token's Page. */
static int parley_sim_fb_route(parley_sim_fb_req_t *r, const char *path,
                               const parley_sim_token_t *tok) {
  const char *p = path[0] == '/' ? path + 1 : path;
  const char *slash = strchr(p, '/');
  size_t n = slash ? (size_t)(slash - p) : strlen(p);
  if (n == 0 || n >= sizeof r->node || (slash && strchr(slash + 1, '/')) ||
      (slash && strlen(slash + 1) >= sizeof r->edge))
    return -1;
  snprintf(r->node, sizeof r->node, "%.*s", (int)n, p);
  snprintf(r->edge, sizeof r->edge, "%s", slash ? slash + 1 : "");
  if (!strcmp(r->node, "me")) {
    json_t *acct = parley_sim_account(r->sim, PARLEY_SIM_FB);
    const char *me = tok && tok->user_id ? tok->user_id : parley_sim_fb_str(acct, "id");
    snprintf(r->node, sizeof r->node, "%s", me ? me : "0");
  }
  return 0;
}

/* The business object whose usage a call counts against. */
static const char *parley_sim_fb_usage_object(parley_sim_fb_req_t *r) {
  json_t *item = parley_sim_item_find(r->sim, PARLEY_SIM_FB, r->node);
  const char *acct = parley_sim_fb_str(item, "account_id");
  return acct ? acct : r->node;
}

static void parley_sim_fb_handle(parley_sim_t *sim, parley_httpd_req_t *req, const char *subpath) {
  char version[16];
  parley_error_t err = {0};
  const parley_sim_token_t *tok = NULL;
  parley_sim_fb_req_t r = {.sim = sim, .fb = parley_sim_state(sim, PARLEY_SIM_FB), .req = req,
                           .method = parley_httpd_req_method(req)};
  const char *path = parley_sim_meta_strip_version(subpath, version, sizeof version);
  char fields[2048];
  if (parley_sim_meta_auth(sim, &r.fb->meta, req, &tok) != 0) return;
  if (parley_sim_fb_route(&r, path, tok) != 0) {
    parley_sim_meta_error(sim, req, 400, 2500, 0, "OAuthException",
                          "Unknown path components: the simulator serves /{node} and "
                          "/{node}/{edge}");
    return;
  }
  parley_sim_headers_add(&r.h, "facebook-api-version: %s", version);
  if (parley_sim_meta_throttle(sim, &r.fb->meta, req, parley_sim_fb_usage_object(&r), &r.h) != 0)
    goto out;
  if (parley_sim_meta_param(req, "fields", fields, sizeof fields) >= 0 &&
      parley_sim_meta_fields_parse(fields, &r.fields, &err) != 0) {
    parley_sim_meta_error(sim, req, 400, 100, 0, "OAuthException", err.message);
    goto out;
  }
  if (!strcmp(r.method, "GET")) parley_sim_fb_get(&r);
  else if (!strcmp(r.method, "POST") || !strcmp(r.method, "DELETE")) parley_sim_fb_write(&r);
  else parley_sim_meta_error(sim, req, 400, 100, 0, "OAuthException", "(#100) Unsupported method");
out:
  parley_sim_meta_fields_free(r.fields);
  parley_sim_headers_free(&r.h);
}

/* ---- webhooks ------------------------------------------------------------------------- */

static void parley_sim_fb_feed_change(parley_sim_t *sim, json_t *item, const char *verb) {
  parley_sim_fb_t *fb = parley_sim_state(sim, PARLEY_SIM_FB);
  int comment = parley_sim_fb_is_comment(item);
  json_t *v = json_pack("{s:s,s:s,s:I}", "item", comment ? "comment" : "status", "verb", verb,
                        "created_time", (json_int_t)(parley_sim_fb_ms(item) / 1000u));
  const char *text = parley_sim_fb_str(item, "text");
  json_object_set_new(v, "post_id", json_string(parley_sim_fb_str(item, "conversation_id")));
  if (text && strcmp(verb, "remove")) json_object_set_new(v, "message", json_string(text));
  parley_sim_fb_user_into(sim, v, "from", parley_sim_fb_str(item, "author_id"));
  if (comment) {
    char t[32];
    json_object_set_new(v, "comment_id", json_string(parley_sim_fb_str(item, "id")));
    json_object_set_new(v, "parent_id", json_string(parley_sim_fb_str(item, "parent_id")));
    json_object_set_new(v, "post", json_pack("{s:s,s:s,s:b,s:s,s:s}", "id",
                                             parley_sim_fb_str(item, "conversation_id"),
                                             "status_type", "mobile_status_update",
                                             "is_published", 1, "updated_time",
                                             parley_sim_meta_time(parley_sim_fb_ms(item), t, sizeof t),
                                             "promotion_status", "inactive"));
  } else {
    json_object_set_new(v, "published", json_integer(1));
  }
  parley_sim_meta_webhook(sim, &fb->meta, parley_sim_fb_str(item, "account_id"), "changes",
                          json_pack("{s:s,s:o}", "field", "feed", "value", v));
}

static void parley_sim_fb_mention(parley_sim_t *sim, json_t *item) {
  parley_sim_fb_t *fb = parley_sim_state(sim, PARLEY_SIM_FB);
  json_t *u = parley_sim_user_find(sim, PARLEY_SIM_FB, parley_sim_fb_str(item, "author_id"));
  const char *name = parley_sim_fb_str(u, "name"), *text = parley_sim_fb_str(item, "text");
  const char *parent = parley_sim_fb_str(item, "parent_id");
  json_t *v = json_pack("{s:s,s:s,s:s,s:s,s:I}", "post_id",
                        parent ? parent : parley_sim_fb_str(item, "id"), "sender_id",
                        parley_sim_fb_str(item, "author_id") ? parley_sim_fb_str(item, "author_id") : "0",
                        "item", parent ? "comment" : "post", "verb", "add", "created_time",
                        (json_int_t)(parley_sim_fb_ms(item) / 1000u));
  if (name) json_object_set_new(v, "sender_name", json_string(name));
  if (parent) json_object_set_new(v, "comment_id", json_string(parley_sim_fb_str(item, "id")));
  if (text) json_object_set_new(v, "message", json_string(text));
  parley_sim_meta_webhook(sim, &fb->meta, parley_sim_fb_str(item, "account_id"), "changes",
                          json_pack("{s:s,s:o}", "field", "mention", "value", v));
}

/* Messenger events: sender/recipient/timestamp plus one payload key. */
static void parley_sim_fb_messaging(parley_sim_t *sim, json_t *item, const char *key,
                                    json_t *payload) {
  parley_sim_fb_t *fb = parley_sim_state(sim, PARLEY_SIM_FB);
  const char *page = parley_sim_fb_str(item, "account_id");
  int brand = json_is_true(json_object_get(item, "from_brand"));
  const char *customer = parley_sim_fb_customer(item);
  json_t *ev = json_pack("{s:{s:s},s:{s:s},s:I,s:o}", "sender", "id",
                         brand ? page : customer ? customer : "0", "recipient", "id",
                         brand ? (customer ? customer : "0") : page, "timestamp",
                         (json_int_t)parley_sim_fb_ms(item), key, payload);
  parley_sim_meta_webhook(sim, &fb->meta, page, "messaging", ev);
}

static void parley_sim_fb_on_message(parley_sim_t *sim, json_t *item) {
  const char *text = parley_sim_fb_str(item, "text");
  json_t *m = json_pack("{s:s}", "mid", parley_sim_fb_str(item, "id"));
  if (text) json_object_set_new(m, "text", json_string(text));
  if (json_is_true(json_object_get(item, "from_brand"))) {
    /* The Page's own messages come back as echoes (sent here or in the app). */
    json_object_set_new(m, "is_echo", json_true());
    json_object_set_new(m, "app_id", json_integer(1000000001));
  }
  parley_sim_fb_messaging(sim, item, "message", m);
}

static void parley_sim_fb_on_reaction(parley_sim_t *sim, json_t *item) {
  const char *r = parley_sim_fb_str(item, "reaction");
  json_t *target = parley_sim_fb_find(sim, parley_sim_fb_str(item, "parent_id"));
  if (target && !parley_sim_fb_is(target, "message")) {
    parley_sim_fb_t *fb = parley_sim_state(sim, PARLEY_SIM_FB);
    json_t *v = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "item", "reaction", "verb", "add",
                          "reaction_type", r ? r : "like", "post_id",
                          parley_sim_fb_str(target, "conversation_id"), "parent_id",
                          parley_sim_fb_str(target, "id"), "created_time",
                          (json_int_t)(parley_sim_fb_ms(item) / 1000u));
    parley_sim_fb_user_into(sim, v, "from", parley_sim_fb_str(item, "author_id"));
    parley_sim_meta_webhook(sim, &fb->meta, parley_sim_fb_str(item, "account_id"), "changes",
                            json_pack("{s:s,s:o}", "field", "feed", "value", v));
    return;
  }
  parley_sim_fb_messaging(sim, item, "reaction",
                          json_pack("{s:s,s:s,s:s,s:s}", "mid",
                                    parley_sim_fb_str(item, "parent_id") ? parley_sim_fb_str(item, "parent_id") : "",
                                    "action", "react", "emoji", "\xe2\x9d\xa4", "reaction",
                                    r ? r : "love"));
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
  const char *payload = parley_sim_fb_str(item, "payload");
  if (parley_sim_fb_is(item, "post") || parley_sim_fb_is_comment(item))
    parley_sim_fb_feed_change(sim, item, "add");
  else if (parley_sim_fb_is(item, "mention")) parley_sim_fb_mention(sim, item);
  else if (parley_sim_fb_is(item, "message")) parley_sim_fb_on_message(sim, item);
  else if (parley_sim_fb_is(item, "reaction")) parley_sim_fb_on_reaction(sim, item);
  else if (parley_sim_fb_is(item, "edit")) parley_sim_fb_on_change(sim, item, 0);
  else if (parley_sim_fb_is(item, "delete")) parley_sim_fb_on_change(sim, item, 1);
  else if (parley_sim_fb_is(item, "postback"))
    parley_sim_fb_messaging(sim, item, "postback",
                            json_pack("{s:s,s:s,s:s}", "mid", parley_sim_fb_str(item, "id"),
                                      "title", parley_sim_fb_str(item, "text") ? parley_sim_fb_str(item, "text") : "",
                                      "payload", payload ? payload : ""));
}

/* ---- lifecycle --------------------------------------------------------------------------- */

/* pages[]: more Pages of the same app, served like the account. */
static int parley_sim_fb_pages(parley_sim_t *sim, json_t *part, parley_error_t *err) {
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(part, "pages"), i, p) {
    json_t *u = json_deep_copy(p);
    json_object_set_new(u, "platform", json_string(PARLEY_SIM_FB));
    json_object_set_new(u, "brand", json_true());
    int rc = parley_sim_user_add(sim, u, err);
    if (rc != 0) return rc;
  }
  return 0;
}

static int parley_sim_fb_init(parley_sim_t *sim, json_t *part, parley_error_t *err) {
  parley_sim_fb_t *fb = calloc(1, sizeof *fb);
  if (!fb) return parley_error_set(err, PARLEY_ENOMEM, "facebook: out of memory");
  fb->meta.platform = PARLEY_SIM_FB;
  fb->meta.object = "page";
  fb->meta.buc_type = "pages";
  parley_sim_set_state(sim, PARLEY_SIM_FB, fb);
  int rc = parley_sim_meta_init(sim, &fb->meta, part, 32, err);
  if (rc == 0) rc = parley_sim_fb_pages(sim, part, err);
  return rc;
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
  parley_sim_fb_t *fb = parley_sim_state(sim, PARLEY_SIM_FB);
  return parley_sim_meta_error_body(&fb->meta, status, h);
}

static void parley_sim_fb_on_target(parley_sim_t *sim, const char *url) {
  parley_sim_fb_t *fb = parley_sim_state(sim, PARLEY_SIM_FB);
  parley_sim_meta_verify_target(sim, &fb->meta, url);
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
