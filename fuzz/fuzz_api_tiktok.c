/* fuzz target api_tiktok: tiktok.so reading TikTok API for Business responses:
 * the account's videos, their comments and replies, the token refresh,
 * with the {code, message, data} envelope, cursors and has_more
 * (plugins/tiktok/tiktok_backfill.c, tiktok_api.c, tiktok_auth.c,
 * tiktok_map.c, tiktok_cursor.c).
 * The input is the API's answers (fuzz_host.h, fuzz_api.c). */
#include "fuzz_host.h"

static const char options[] =
    "base_url: http://sim.invalid/tiktok\n"
    "business_id: \"-000acmebusiness\"\n"
    "account_handle: acme\n"
    "access_token: " FUZZ_SECRET "\n"
    "refresh_token: " FUZZ_SECRET "\n"
    "client_key: fuzz-client\n"
    "client_secret: " FUZZ_SECRET "\n"
    "videos: 5\n"
    "poll_interval: 5s\n"
    "poll_floor: 1s\n"
    "include_raw: true\n";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  fuzz_host_load("tiktok");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_api_run(options, data, size);
  return 0;
}
