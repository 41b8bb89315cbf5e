/* fuzz target api_instagram: instagram.so reading Graph API responses: the
 * back-fill of media, their comments, tags, conversations and messages
 * (plugins/instagram/instagram_backfill.c, instagram_map.c,
 * plugins/meta/meta_backfill.c, meta_graph.c, meta_messaging.c).
 * The input is the API's answers (fuzz_host.h, fuzz_api.c). */
#include "fuzz_host.h"

static const char options[] =
    "base_url: http://sim.invalid/instagram\n"
    "app_secret: " FUZZ_SECRET "\n"
    "accounts: [\"17841400000000001\"]\n"
    "access_token: " FUZZ_SECRET "\n"
    "backfill_interval: 30s\n"
    "include_raw: true\n";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  fuzz_host_load("instagram");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_api_run(options, data, size);
  return 0;
}
