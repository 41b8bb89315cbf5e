/* fuzz target webhook_twitter: twitter.so's Account Activity webhook
 * (plugins/twitter/twitter_webhook.c, twitter_map.c): the CRC GET and
 * x-twitter-webhooks-signature POSTs of tweet and DM events (v1.1 objects). */
#include <stdio.h>

#include "fuzz_host.h"
#include "parley/sdk/encode.h"
#include "parley/sdk/webhook.h"

static const char options[] =
    "base_url: http://sim.invalid/twitter\n"
    "account_id: \"2244994945\"\n"
    "account_handle: acme\n"
    "user_access_token: " FUZZ_SECRET "\n"
    "consumer_secret: " FUZZ_SECRET "\n"
    "sources: [webhook]\n"
    "include_raw: true\n";

/* "sha256=" + base64(HMAC-SHA256(consumer_secret, body)) */
static void sign(const fuzz_msg_t *req, char *out, size_t outlen) {
  uint8_t mac[PARLEY_SDK_SHA256_LEN];
  char b64[PARLEY_SDK_BASE64_LEN(PARLEY_SDK_SHA256_LEN)];
  parley_sdk_hmac_sha256(FUZZ_SECRET, sizeof FUZZ_SECRET - 1, req->body, req->body_len, mac);
  parley_sdk_base64_encode(mac, sizeof mac, b64, sizeof b64);
  snprintf(out, outlen, "sha256=%s", b64);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  fuzz_host_load("twitter");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_webhook_run(options, "x-twitter-webhooks-signature", sign, data, size);
  return 0;
}
