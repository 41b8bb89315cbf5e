/* parley SDK — the error object of a failed platform call (error.h). */
#include "parley/sdk/error.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "parley/sdk/json.h"
#include "parley/sdk/time.h"

static const char parley_sdk_twitter_problem[] = "https://api.twitter.com/2/problems/";

void parley_sdk_error_init(parley_sdk_error_t *e) {
  memset(e, 0, sizeof *e);
  e->retry_after_ms = -1;
}

/* Copy text into a fixed buffer, replacing control characters so a hostile
 * body cannot forge log lines. */
static void parley_sdk_copy_clean(char *dst, size_t cap, const char *src) {
  size_t i = 0;
  for (; src && src[i] && i + 1 < cap; i++)
    dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? ' ' : src[i];
  dst[i] = '\0';
}

static void parley_sdk_set_code_int(char *dst, int64_t v) {
  snprintf(dst, PARLEY_SDK_CODE_MAX, "%lld", (long long)v);
}

/* Status-only classification every platform starts from. */
static void parley_sdk_error_from_status(parley_sdk_error_t *e, long status) {
  e->http_status = status;
  e->is_auth = status == 401;
  e->is_rate_limit = status == 429;
  e->is_transient = status >= 500 || status == 408;
}

static void parley_sdk_error_oauth(parley_sdk_error_t *e, const json_t *doc) {
  /* RFC 6749 token endpoint errors: {"error":"invalid_grant", ...}. */
  const char *code = parley_sdk_json_str(doc, "error", NULL);
  if (code == NULL)
    return;
  parley_sdk_copy_clean(e->platform_code, sizeof e->platform_code, code);
  parley_sdk_copy_clean(e->message, sizeof e->message,
                        parley_sdk_json_str(doc, "error_description", code));
  if (strcmp(code, "invalid_grant") == 0 || strcmp(code, "invalid_token") == 0)
    e->is_auth = 1;
}

static void parley_sdk_error_twitter(parley_sdk_error_t *e, const json_t *doc) {
  const char *type = parley_sdk_json_str(doc, "type", NULL);
  const char *title = parley_sdk_json_str(doc, "title", NULL);
  json_t *errors = parley_sdk_json_array(doc, "errors", NULL);
  if (type || title) {
    const char *code = type;
    if (type && strncmp(type, parley_sdk_twitter_problem, sizeof parley_sdk_twitter_problem - 1) == 0)
      code = type + sizeof parley_sdk_twitter_problem - 1;
    else if (type == NULL || strcmp(type, "about:blank") == 0)
      code = title;
    parley_sdk_copy_clean(e->platform_code, sizeof e->platform_code, code);
    parley_sdk_copy_clean(e->message, sizeof e->message,
                          parley_sdk_json_str(doc, "detail", title ? title : type));
    if (strcmp(e->platform_code, "usage-capped") == 0 ||
        (title && strcmp(title, "UsageCapExceeded") == 0)) {
      e->is_rate_limit = 1;
      e->is_usage_cap = 1;
    }
  } else if (errors) {
    /* v1.1: the first error decides. */
    int64_t code = parley_sdk_json_int(errors, "0.code", -1);
    if (code >= 0)
      parley_sdk_set_code_int(e->platform_code, code);
    parley_sdk_copy_clean(e->message, sizeof e->message,
                          parley_sdk_json_str(errors, "0.message", ""));
    if (code == 32 || code == 89 || code == 135 || code == 215)
      e->is_auth = 1;
    if (code == 88)
      e->is_rate_limit = 1;
    if (code == 130 || code == 131)
      e->is_transient = 1;
  } else {
    parley_sdk_error_oauth(e, doc);
  }
}

static int parley_sdk_meta_rate_code(int64_t code) {
  return code == 4 || code == 17 || code == 32 || code == 341 || code == 613 ||
         (code >= 80001 && code <= 80099);
}

/* Returns 1 if the body carried a Meta error object. */
static int parley_sdk_error_meta(parley_sdk_error_t *e, const json_t *doc) {
  json_t *err = parley_sdk_json_get(doc, "error");
  if (!json_is_object(err)) {
    parley_sdk_error_oauth(e, doc);
    return 0;
  }
  int64_t code = parley_sdk_json_int(err, "code", -1);
  int64_t sub = parley_sdk_json_int(err, "error_subcode", -1);
  if (code >= 0)
    parley_sdk_set_code_int(e->platform_code, code);
  if (sub >= 0)
    parley_sdk_set_code_int(e->platform_subcode, sub);
  parley_sdk_copy_clean(e->message, sizeof e->message, parley_sdk_json_str(err, "message", ""));
  /* Meta's HTTP status does not say what went wrong; the code does. */
  e->is_auth = code == 190 || code == 102;
  e->is_rate_limit = parley_sdk_meta_rate_code(code);
  if (code == 1 || code == 2 || parley_sdk_json_bool(err, "is_transient", 0))
    e->is_transient = 1;
  return 1;
}

static void parley_sdk_error_linkedin(parley_sdk_error_t *e, const json_t *doc,
                                      int64_t now_ms) {
  const char *code = parley_sdk_json_str(doc, "code", NULL);
  int64_t service = parley_sdk_json_int(doc, "serviceErrorCode", -1);
  if (code)
    parley_sdk_copy_clean(e->platform_code, sizeof e->platform_code, code);
  else if (service >= 0)
    parley_sdk_set_code_int(e->platform_code, service);
  else
    parley_sdk_error_oauth(e, doc);
  const char *msg = parley_sdk_json_str(doc, "message", NULL);
  if (msg)
    parley_sdk_copy_clean(e->message, sizeof e->message, msg);
  if (code && (strcmp(code, "REVOKED_ACCESS_TOKEN") == 0 ||
               strcmp(code, "EXPIRED_ACCESS_TOKEN") == 0))
    e->is_auth = 1;
  /* Daily quotas reset at midnight UTC and no header says so. */
  if (e->is_rate_limit && msg && strstr(msg, "DAY"))
    e->retry_after_ms = parley_sdk_time_next_utc_midnight(now_ms) - now_ms;
}

static void parley_sdk_tiktok_classify(parley_sdk_error_t *e, int64_t code) {
  if (code == 40100)
    e->is_rate_limit = 1;
  else if (code >= 40101 && code <= 40199)
    e->is_auth = 1;
  else if (code >= 40700)
    e->is_transient = 1;
}

/* Returns 1 if the TikTok envelope reports success. */
static int parley_sdk_error_tiktok(parley_sdk_error_t *e, const json_t *doc) {
  json_t *code = parley_sdk_json_get(doc, "code");
  json_t *v2 = parley_sdk_json_get(doc, "error");
  if (code && !json_is_null(code)) {
    int64_t c = parley_sdk_json_int(doc, "code", -1);
    if (c == 0)
      return 1;
    if (c > 0)
      parley_sdk_set_code_int(e->platform_code, c);
    else
      parley_sdk_copy_clean(e->platform_code, sizeof e->platform_code,
                            parley_sdk_json_str(doc, "code", "?"));
    parley_sdk_copy_clean(e->message, sizeof e->message,
                          parley_sdk_json_str(doc, "message", ""));
    parley_sdk_tiktok_classify(e, c);
    return 0;
  }
  if (json_is_object(v2)) {
    const char *c = parley_sdk_json_str(v2, "code", "");
    if (strcmp(c, "ok") == 0)
      return 1;
    parley_sdk_copy_clean(e->platform_code, sizeof e->platform_code, c);
    parley_sdk_copy_clean(e->message, sizeof e->message, parley_sdk_json_str(v2, "message", ""));
    if (strcmp(c, "access_token_invalid") == 0 || strcmp(c, "scope_not_authorized") == 0 ||
        strcmp(c, "scope_permission_missed") == 0)
      e->is_auth = 1;
    e->is_rate_limit |= strcmp(c, "rate_limit_exceeded") == 0;
    e->is_transient |= strcmp(c, "internal_error") == 0;
    return 0;
  }
  parley_sdk_error_oauth(e, doc);
  return -1; /* no envelope: the HTTP status decides */
}

/* Pick the PARLEY_E* code from the flags. */
static int parley_sdk_error_finish(parley_sdk_error_t *e) {
  if (e->is_auth)
    e->code = PARLEY_EAUTH;
  else if (e->is_rate_limit)
    e->code = PARLEY_ERATELIMIT;
  else if (e->is_transient)
    e->code = PARLEY_EHTTP;
  else
    e->code = PARLEY_EPLATFORM;
  if (e->is_usage_cap)
    e->is_transient = 0;
  if (e->message[0] == '\0')
    snprintf(e->message, sizeof e->message, "HTTP %ld", e->http_status);
  return e->code;
}

int parley_sdk_error_parse(parley_sdk_platform_t platform, long http_status,
                           const char *body, size_t len, int64_t now_ms,
                           parley_sdk_error_t *e) {
  parley_sdk_error_init(e);
  int ok_status = http_status >= 200 && http_status < 300;
  size_t repaired; /* an error body with a bad character still names the error */
  json_t *doc = body && len ? parley_sdk_json_parse_repair(body, len, "error body", &repaired, NULL)
                            : NULL;
  int failed = !ok_status;
  if (json_is_object(doc)) {
    parley_sdk_error_from_status(e, http_status);
    if (platform == PARLEY_SDK_TIKTOK) {
      /* The envelope, not the status, says whether the call worked. */
      int r = parley_sdk_error_tiktok(e, doc);
      failed = r == 0 || !ok_status;
    } else if (platform == PARLEY_SDK_META) {
      failed |= parley_sdk_error_meta(e, doc);
    } else if (!ok_status && platform == PARLEY_SDK_TWITTER) {
      parley_sdk_error_twitter(e, doc);
    } else if (!ok_status && platform == PARLEY_SDK_LINKEDIN) {
      parley_sdk_error_linkedin(e, doc, now_ms);
    } else if (!ok_status) {
      /* GENERIC: take whichever known shape the body has. */
      if (!parley_sdk_error_meta(e, doc))
        parley_sdk_error_twitter(e, doc);
    }
  } else if (!ok_status) {
    parley_sdk_error_from_status(e, http_status);
    if (body && len)
      snprintf(e->message, sizeof e->message, "HTTP %ld with a body that is not a JSON "
               "object (%zu bytes)", http_status, len);
  }
  json_decref(doc);
  if (!failed) {
    parley_sdk_error_init(e);
    return 0;
  }
  return parley_sdk_error_finish(e);
}

void parley_sdk_error_transport(parley_sdk_error_t *e, int status, const char *detail) {
  parley_sdk_error_init(e);
  e->code = status < 0 ? status : PARLEY_ENETWORK;
  e->is_transient = e->code == PARLEY_ENETWORK || e->code == PARLEY_ETIMEDOUT ||
                    e->code == PARLEY_EIO || e->code == PARLEY_EHTTP;
  parley_sdk_copy_clean(e->message, sizeof e->message,
                        detail ? detail : parley_strerror(e->code));
}

int parley_sdk_error_to_parley(const parley_sdk_error_t *e, const char *context,
                               parley_error_t *err) {
  if (context == NULL)
    context = "request";
  if (e->http_status == 0)
    return parley_error_set(err, e->code, "%s: %s", context, e->message);
  if (e->platform_code[0] && e->platform_subcode[0])
    return parley_error_set(err, e->code, "%s: HTTP %ld [%s/%s]: %s", context, e->http_status,
                            e->platform_code, e->platform_subcode, e->message);
  if (e->platform_code[0])
    return parley_error_set(err, e->code, "%s: HTTP %ld [%s]: %s", context, e->http_status,
                            e->platform_code, e->message);
  return parley_error_set(err, e->code, "%s: HTTP %ld: %s", context, e->http_status,
                          e->message);
}
