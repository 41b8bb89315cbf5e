/* fuzz target api_linkedin: linkedin.so reading Rest.li responses: the
 * organization's posts, their comments, mention notifications, the OAuth
 * refresh, with offset paging and LinkedIn error bodies
 * (plugins/linkedin/linkedin_comments.c, linkedin_mentions.c,
 * linkedin_api.c, linkedin_map.c, linkedin_urn.c).
 * The input is the API's answers (fuzz_host.h, fuzz_api.c). */
#include "fuzz_host.h"

static const char options[] =
    "base_url: http://sim.invalid/linkedin\n"
    "oauth_url: http://sim.invalid/linkedin/oauth/v2\n"
    "organization: urn:li:organization:5515715\n"
    "access_token: " FUZZ_SECRET "\n"
    "refresh_token: " FUZZ_SECRET "\n"
    "client_id: fuzz-client\n"
    "client_secret: " FUZZ_SECRET "\n"
    "sources: [comments, mentions]\n"
    "poll_interval: 5s\n"
    "poll_floor: 1s\n"
    "page_size: 10\n"
    "include_raw: true\n";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  fuzz_host_load("linkedin");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_api_run(options, data, size);
  return 0;
}
