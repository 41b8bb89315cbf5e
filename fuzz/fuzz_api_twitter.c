/* fuzz target api_twitter: twitter.so reading X API v2 responses: mentions,
 * recent search, DM events, the filtered stream (in reads split at line ends and mid-line), OAuth 2
 * refresh, with rate-limit headers and problem+json errors
 * (plugins/twitter/twitter_mentions.c, twitter_search.c, twitter_dms.c,
 * twitter_stream.c, twitter_source.c, twitter_auth.c, twitter_map.c).
 * The input is the API's answers (fuzz_host.h, fuzz_api.c). */
#include "fuzz_host.h"

static const char options[] =
    "base_url: http://sim.invalid/twitter\n"
    "account_id: \"2244994945\"\n"
    "account_handle: acme\n"
    "bearer_token: " FUZZ_SECRET "\n"
    "user_access_token: " FUZZ_SECRET "\n"
    "refresh_token: " FUZZ_SECRET "\n"
    "client_id: fuzz-client\n"
    "client_secret: " FUZZ_SECRET "\n"
    "sources: [mentions, search, dms, stream]\n"
    "search_queries: [\"acme -from:acme\", \"\\\"late delivery\\\" #acmehelp\"]\n"
    "stream_rules: [\"@acme\"]\n"
    "poll_floor: 1s\n"
    "poll_interval: 5s\n"
    "include_raw: true\n";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  fuzz_host_load("twitter");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_api_run(options, data, size);
  return 0;
}
