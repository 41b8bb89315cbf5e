/* fuzz target sdk_text: the SDK's parsers of the short strings platforms
 * send outside JSON bodies (sdk/lib/ratelimit.c, time.c, paging.c,
 * query.c, encode.c, webhook.c). The input is a block of response headers,
 * "Name: value" one a line, as an HTTP response carries them:
 *   - the rate-limit reading of the whole block (x-rate-limit-*, the
 *     24-hour caps, Retry-After, Meta's usage headers) into a window table,
 *     then the table's arithmetic over it;
 *   - each value through every time format (ISO, Twitter v1.1, HTTP-date,
 *     epoch, any), Retry-After, reset, Meta usage, id comparison;
 *   - each value as a URL (query_param), percent-encoding, hex and base64;
 *   - each value as each platform's signature header over the whole input
 *     as the body, and as a CRC / challenge token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "parley/sdk/encode.h"
#include "parley/sdk/paging.h"
#include "parley/sdk/query.h"
#include "parley/sdk/ratelimit.h"
#include "parley/sdk/time.h"
#include "parley/sdk/webhook.h"
#include "parley/time.h"

#define MAX_HEADERS 32
#define NOW_MS 1796000000000LL

typedef struct {
  char *name[MAX_HEADERS], *value[MAX_HEADERS];
  size_t n;
} headers_t;

static void split(headers_t *h, char *text) {
  char *line = text;
  while (line && *line && h->n < MAX_HEADERS) {
    char *nl = strchr(line, '\n');
    if (nl)
      *nl = '\0';
    size_t len = strlen(line);
    if (len && line[len - 1] == '\r')
      line[len - 1] = '\0';
    char *colon = strchr(line, ':');
    if (colon) {
      *colon = '\0';
      char *v = colon + 1;
      while (*v == ' ' || *v == '\t')
        v++;
      h->name[h->n] = line;
      h->value[h->n++] = v;
    }
    line = nl ? nl + 1 : NULL;
  }
}

static const char *lookup(void *ctx, const char *name) {
  const headers_t *h = ctx;
  for (size_t i = 0; i < h->n; i++)
    if (strcasecmp(h->name[i], name) == 0)
      return h->value[i];
  return NULL;
}

static void limits(headers_t *h) {
  parley_sdk_rl_info_t info;
  parley_sdk_rl_info_init(&info);
  (void)parley_sdk_rl_parse(lookup, h, NOW_MS, &info);
  fuzz_require(info.retry_after_ms == -1 || info.retry_after_ms >= 0,
               "negative Retry-After wait %lld", (long long)info.retry_after_ms);
  parley_sdk_rl_table_t t;
  parley_sdk_rl_table_init(&t, 1000);
  const char *key = "GET /2/users/:id/mentions";
  if (parley_sdk_rl_acquire(&t, key, NOW_MS) == 0)
    (void)parley_sdk_rl_release(&t, key, &info, NOW_MS);
  (void)parley_sdk_rl_update(&t, PARLEY_SDK_RL_ALL, &info, NOW_MS);
  if (info.retry_after_ms > 0)
    (void)parley_sdk_rl_block(&t, key, NOW_MS + info.retry_after_ms);
  int64_t next = parley_sdk_rl_next_allowed(&t, key, NOW_MS);
  fuzz_require(next >= NOW_MS, "next_allowed is in the past");
  (void)parley_sdk_rl_spread_ms(&t, key, NOW_MS);
  (void)parley_sdk_rl_find(&t, key);
  parley_sdk_rl_table_free(&t);
}

static void times(const char *v) {
  int64_t ms = 0, back = 0;
  typedef int (*parse_fn)(const char *, int64_t *);
  static const parse_fn fns[] = {parley_sdk_time_parse_iso, parley_sdk_time_parse_twitter,
                                 parley_sdk_time_parse_http, parley_sdk_time_parse_epoch,
                                 parley_sdk_time_parse_any};
  for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) {
    ms = 0;
    if (fns[i](v, &ms) != 0)
      continue;
    /* a parsed time formats as RFC 3339 and reads back the same */
    char buf[64];
    if (ms >= -62135596800000LL && ms <= 253402300799999LL &&
        parley_time_format(ms, buf, sizeof buf) > 0) {
      fuzz_require(parley_time_parse(buf, &back) == 0 && back == ms,
                   "time %lld formats as %s which reads back as %lld", (long long)ms, buf,
                   (long long)back);
    }
  }
  (void)parley_sdk_time_next_utc_midnight(ms);
  int64_t wait = 0, reset = 0;
  if (parley_sdk_rl_parse_retry_after(v, NOW_MS, &wait) == 0)
    fuzz_require(wait >= 0, "negative Retry-After");
  (void)parley_sdk_rl_parse_reset(v, NOW_MS, &reset);
  int pct = 0;
  int64_t regain = 0;
  (void)parley_sdk_rl_parse_meta_usage(v, &pct, &regain);
  (void)parley_sdk_id_valid(v);
  int c = parley_sdk_id_cmp(v, "1790000000000000042");
  fuzz_require((c < 0) == (parley_sdk_id_cmp("1790000000000000042", v) > 0),
               "id_cmp is not antisymmetric");
}

static void codecs(const char *v) {
  size_t n = strlen(v);
  char out[2048];
  uint8_t bin[1024];
  int r = parley_sdk_percent_decode(v, n, 0, out, sizeof out);
  fuzz_require(r < (int)sizeof out, "percent_decode overran");
  (void)parley_sdk_percent_decode(v, n, 1, out, 4);
  r = parley_sdk_percent_encode(v, n > 600 ? 600 : n, out, sizeof out);
  if (r >= 0) {
    char back[1024];
    int d = parley_sdk_percent_decode(out, (size_t)r, 0, back, sizeof back);
    fuzz_require(d == (int)(n > 600 ? 600 : n) && memcmp(back, v, (size_t)d) == 0,
                 "percent encoding does not round-trip");
  }
  (void)parley_sdk_query_param(v, "after", out, sizeof out);
  (void)parley_sdk_query_param(v, "crc_token", out, 3);
  (void)parley_sdk_query_param(v, "", out, sizeof out);
  int h = parley_sdk_hex_decode(v, n, bin, sizeof bin);
  fuzz_require(h < (int)sizeof bin, "hex_decode overran");
  int b = parley_sdk_base64_decode(v, n, bin, sizeof bin);
  if (b >= 0) {
    char again[2048];
    int e = parley_sdk_base64_encode(bin, (size_t)b, again, sizeof again);
    fuzz_require(e >= 0, "decoded base64 does not encode");
  }
  (void)parley_sdk_base64_decode(v, n, bin, 2);
}

static void signatures(const char *v, const uint8_t *body, size_t len) {
  parley_error_t err = {0};
  const char *b = (const char *)body;
  char out[512];
  (void)parley_sdk_webhook_verify_meta(FUZZ_SECRET, b, len, v, &err);
  (void)parley_sdk_webhook_verify_twitter(FUZZ_SECRET, b, len, v, &err);
  (void)parley_sdk_webhook_verify_linkedin(FUZZ_SECRET, b, len, v, &err);
  (void)parley_sdk_webhook_verify_tiktok(FUZZ_SECRET, b, len, v, NOW_MS / 1000, 300, &err);
  (void)parley_sdk_webhook_verify_tiktok(FUZZ_SECRET, b, len, v, NOW_MS / 1000, 0, &err);
  (void)parley_sdk_webhook_verify_hex(FUZZ_SECRET, b, len, v, "X-Sig", &err);
  (void)parley_sdk_webhook_verify_base64(FUZZ_SECRET, b, len, v, "X-Sig", &err);
  fuzz_check_error(&err, body, len);
  (void)parley_sdk_webhook_meta_challenge("subscribe", v, FUZZ_SECRET, v, &err);
  (void)parley_sdk_webhook_meta_challenge(v, FUZZ_SECRET, FUZZ_SECRET, "1158201444", &err);
  int r = parley_sdk_webhook_twitter_crc(FUZZ_SECRET, v, out, sizeof out);
  fuzz_require(r < (int)sizeof out, "CRC answer overran");
  r = parley_sdk_webhook_linkedin_challenge(FUZZ_SECRET, v, out, sizeof out);
  fuzz_require(r < (int)sizeof out, "challenge answer overran");
  (void)parley_sdk_webhook_twitter_crc(FUZZ_SECRET, v, out, 16);
  (void)parley_sdk_webhook_linkedin_challenge(FUZZ_SECRET, v, out, 16);
  (void)parley_sdk_meta_appsecret_proof(FUZZ_SECRET, v, out, sizeof out);
  (void)parley_sdk_secure_streq(v, FUZZ_SECRET);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_strndup(data, size);
  headers_t h = {{0}, {0}, 0};
  split(&h, text);
  limits(&h);
  for (size_t i = 0; i < h.n; i++) {
    times(h.value[i]);
    codecs(h.value[i]);
    signatures(h.value[i], data, size);
  }
  if (h.n == 0) { /* a bare value */
    times(text);
    codecs(text);
  }
  free(text);
  return 0;
}
