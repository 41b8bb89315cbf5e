/* fuzz target api_facebook: facebook.so reading Graph API responses: the
 * back-fill of the Page feed, post comments, tagged posts, conversations
 * and their messages, with paging cursors, usage headers and Graph errors
 * (plugins/facebook/facebook_backfill.c, facebook_map.c,
 * plugins/meta/meta_backfill.c, meta_graph.c, meta_messaging.c).
 * The input is the API's answers (fuzz_host.h, fuzz_api.c). */
#include "fuzz_host.h"

static const char options[] =
    "base_url: http://sim.invalid/facebook\n"
    "app_secret: " FUZZ_SECRET "\n"
    "pages: [\"104000000000001\"]\n"
    "page_access_token: " FUZZ_SECRET "\n"
    "backfill_interval: 30s\n"
    "include_raw: true\n";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  fuzz_host_load("facebook");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_api_run(options, data, size);
  return 0;
}
