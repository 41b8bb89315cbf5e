/* fuzz target config_json: a parley config in JSON as parleyd loads it
 * (core/config_json.c, config_subst.c, config.c, options.c, config_enrich.c);
 * the checks are in fuzz_config.c. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_config(data, size, "json");
  return 0;
}
