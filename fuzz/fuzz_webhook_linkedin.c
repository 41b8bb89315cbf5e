/* fuzz target webhook_linkedin: linkedin.so's organization social-action
 * webhook (plugins/linkedin/linkedin_webhook.c, linkedin_map.c,
 * linkedin_urn.c): the challengeCode GET and X-LI-Signature POSTs. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_host.h"
#include "parley/sdk/encode.h"
#include "parley/sdk/webhook.h"

static const char options[] =
    "base_url: http://sim.invalid/linkedin\n"
    "organization: urn:li:organization:5515715\n"
    "access_token: " FUZZ_SECRET "\n"
    "client_secret: " FUZZ_SECRET "\n"
    "sources: [webhook]\n"
    "include_raw: true\n";

/* hex(HMAC-SHA256(client_secret, "hmacsha256=" + body)) */
static void sign(const fuzz_msg_t *req, char *out, size_t outlen) {
  static const char prefix[] = "hmacsha256=";
  size_t n = sizeof prefix - 1 + req->body_len;
  char *msg = malloc(n + 1);
  if (!msg)
    abort();
  memcpy(msg, prefix, sizeof prefix - 1);
  if (req->body_len)
    memcpy(msg + sizeof prefix - 1, req->body, req->body_len);
  uint8_t mac[PARLEY_SDK_SHA256_LEN];
  parley_sdk_hmac_sha256(FUZZ_SECRET, sizeof FUZZ_SECRET - 1, msg, n, mac);
  free(msg);
  parley_sdk_hex_encode(mac, sizeof mac, out, outlen);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  fuzz_host_load("linkedin");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_webhook_run(options, "X-LI-Signature", sign, data, size);
  return 0;
}
