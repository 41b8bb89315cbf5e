/* fuzz target webhook_tiktok: tiktok.so's webhook (plugins/tiktok/
 * tiktok_webhook.c, tiktok_map.c): TikTok-Signature POSTs of comment.update,
 * authorization.removed, tiktok.ping and unknown events, whose content is
 * JSON inside a JSON string. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_host.h"
#include "parley/sdk/encode.h"
#include "parley/sdk/webhook.h"

static const char options[] =
    "base_url: http://sim.invalid/tiktok\n"
    "business_id: \"-000acmebusiness\"\n"
    "account_handle: acme\n"
    "access_token: " FUZZ_SECRET "\n"
    "client_secret: " FUZZ_SECRET "\n"
    "include_raw: true\n";

/* "t=<now, unix s>,s=" + hex(HMAC-SHA256(client_secret, t + "." + body)) */
static void sign(const fuzz_msg_t *req, char *out, size_t outlen) {
  char t[32];
  int tn = snprintf(t, sizeof t, "%lld", (long long)(fuzz_wall_ms() / 1000));
  size_t n = (size_t)tn + 1 + req->body_len;
  char *msg = malloc(n + 1);
  if (!msg)
    abort();
  memcpy(msg, t, (size_t)tn);
  msg[tn] = '.';
  if (req->body_len)
    memcpy(msg + tn + 1, req->body, req->body_len);
  uint8_t mac[PARLEY_SDK_SHA256_LEN];
  char hex[PARLEY_SDK_HEX_LEN(PARLEY_SDK_SHA256_LEN)];
  parley_sdk_hmac_sha256(FUZZ_SECRET, sizeof FUZZ_SECRET - 1, msg, n, mac);
  free(msg);
  parley_sdk_hex_encode(mac, sizeof mac, hex, sizeof hex);
  snprintf(out, outlen, "t=%s,s=%s", t, hex);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  fuzz_host_load("tiktok");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_webhook_run(options, "TikTok-Signature", sign, data, size);
  return 0;
}
