/* fuzz target webhook_instagram: instagram.so's /hooks/<instance> handler
 * (plugins/meta/meta_webhook.c, instagram_map.c, instagram_mentions.c,
 * meta_messaging.c): the hub.challenge GET and X-Hub-Signature-256 POSTs
 * of Instagram account deliveries. */
#include <stdio.h>

#include "fuzz_host.h"
#include "parley/sdk/encode.h"
#include "parley/sdk/webhook.h"

static const char options[] =
    "base_url: http://sim.invalid/instagram\n"
    "app_secret: " FUZZ_SECRET "\n"
    "verify_token: fuzz-verify-token\n"
    "accounts: [\"17841400000000001\"]\n"
    "access_token: " FUZZ_SECRET "\n"
    "include_raw: true\n";

/* "sha256=" + hex(HMAC-SHA256(app_secret, body)) */
static void sign(const fuzz_msg_t *req, char *out, size_t outlen) {
  uint8_t mac[PARLEY_SDK_SHA256_LEN];
  char hex[PARLEY_SDK_HEX_LEN(PARLEY_SDK_SHA256_LEN)];
  parley_sdk_hmac_sha256(FUZZ_SECRET, sizeof FUZZ_SECRET - 1, req->body, req->body_len, mac);
  parley_sdk_hex_encode(mac, sizeof mac, hex, sizeof hex);
  snprintf(out, outlen, "sha256=%s", hex);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  fuzz_host_load("instagram");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_webhook_run(options, "X-Hub-Signature-256", sign, data, size);
  return 0;
}
