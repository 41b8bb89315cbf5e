/* instagram — the descriptor and the option table. The instance lifecycle,
 * webhooks and actions are the shared Meta ones (plugins/meta/), driven by
 * this plugin's platform table. */
#include <stdio.h>
#include <string.h>

#include "instagram.h"

#define CFG(field) offsetof(parley_meta_config_t, field)

static const parley_option_t options[] = {
    {"base_url", PARLEY_OPT_STRING, 0, "https://graph.facebook.com", CFG(base_url),
     "Graph API base URL (the simulator's http://127.0.0.1:PORT/instagram in tests)"},
    {"graph_version", PARLEY_OPT_STRING, 0, "v23.0", CFG(graph_version),
     "Graph API version every path is prefixed with"},
    {"app_secret", PARLEY_OPT_SECRET, PARLEY_OPT_REQUIRED, NULL, CFG(app_secret),
     "Meta app secret: appsecret_proof on every call, X-Hub-Signature-256 of webhooks"},
    {"verify_token", PARLEY_OPT_SECRET, 0, NULL, CFG(verify_token),
     "hub.verify_token of the webhook subscription (no subscription check without it)"},
    {"accounts", PARLEY_OPT_LIST, PARLEY_OPT_REQUIRED, NULL, CFG(accounts),
     "IG professional account (IG user) ids this instance serves; other entries are counted and ignored"},
    {"access_token", PARLEY_OPT_SECRET, PARLEY_OPT_REQUIRED, NULL, CFG(access_token),
     "access token for the accounts (Page token of the linked Page, or IG user token)"},
    {"backfill_interval", PARLEY_OPT_DURATION, 0, "5m", CFG(backfill_interval_ms),
     "how often media, comments, tagged media and conversations are back-filled"},
    {"include_raw", PARLEY_OPT_BOOL, 0, "false", CFG(include_raw),
     "carry the platform payload in each event's raw field"},
    {NULL, 0, 0, NULL, 0, NULL},
};

/* Instagram has one level of replies: POST /{comment}/replies answers a
 * top-level comment; on the media itself, a new comment (§6). */
static void reply_path(const char *target, int on_root, char *path, size_t len) {
  snprintf(path, len, on_root ? "/%s/comments" : "/%s/replies", target);
}

static const parley_meta_platform_t instagram_platform = {
    .name = PARLEY_INSTAGRAM_PLATFORM,
    .object = "instagram",
    .list_option = "accounts",
    .token_option = "access_token",
    .conversations_platform = "instagram",
    .map_change = parley_instagram_webhook_change,
    .backfill_seed = parley_instagram_backfill_seed,
    .backfill_page = parley_instagram_backfill_page,
    .reply_path = reply_path,
    .hide_param = "hide",
    .create = parley_instagram_mentions_create,
    .start = parley_instagram_mentions_start,
    .stop = parley_instagram_mentions_stop,
    .destroy = parley_instagram_mentions_destroy,
};

static int ig_create(const parley_host_t *host, parley_instance_t *inst, const void *config,
                     void **instance, parley_error_t *err) {
  return parley_meta_create(&instagram_platform, host, inst, config, instance, err);
}

static const parley_connector_t parley_instagram_connector = {
    .abi_major = PARLEY_ABI_MAJOR,
    .abi_minor = PARLEY_ABI_MINOR,
    .size = sizeof(parley_connector_t),
    .kind = PARLEY_PLUGIN_CONNECTOR,
    .name = "instagram",
    .version = "0.1.0",
    .platform = PARLEY_INSTAGRAM_PLATFORM,
    .description = "Instagram: comments, replies, mentions, tagged media, DMs by webhook with "
                   "polling back-fill; public reply, private reply, DM, hide",
    .receives = PARLEY_RECV_MENTIONS | PARLEY_RECV_COMMENTS | PARLEY_RECV_REPLIES |
                PARLEY_RECV_DIRECT_MESSAGES | PARLEY_RECV_WEBHOOKS | PARLEY_RECV_POSTBACKS |
                PARLEY_RECV_REACTIONS,
    .sends = PARLEY_SEND_REPLY_PUBLIC | PARLEY_SEND_REPLY_PRIVATE | PARLEY_SEND_DIRECT_MESSAGE |
             PARLEY_SEND_HIDE,
    .options = options,
    .config_size = sizeof(parley_meta_config_t),
    .create = ig_create,
    .start = parley_meta_start,
    .stop = parley_meta_stop,
    .destroy = parley_meta_destroy,
    .webhook = parley_meta_webhook,
    .action = parley_meta_action,
};

PARLEY_CONNECTOR_EXPORT(parley_instagram_connector)
