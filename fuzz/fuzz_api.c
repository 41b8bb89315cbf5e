/* parley fuzzing — the body of the api_<plugin> targets (fuzz_host.h): a
 * fresh instance started on the test host, its polling and back-fill
 * requests answered with the input's responses, then stopped. */
#include "fuzz_host.h"

/* Enough for several pages of every source, retries and refreshes. */
#define FUZZ_API_STEPS 512

void fuzz_api_run(const char *options, const uint8_t *data, size_t size) {
  fuzz_inst_t *fi = fuzz_inst_new(options, data, size);
  if (!fi)
    return;
  fuzz_inst_serve(fi, data, size, FUZZ_API_STEPS);
  fuzz_inst_free(fi);
}
