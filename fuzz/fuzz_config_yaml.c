/* fuzz target config_yaml: a parley config in YAML as parleyd loads it
 * (core/config_yaml.c, config_subst.c, config.c, options.c, config_enrich.c);
 * the checks are in fuzz_config.c. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_config(data, size, "yaml");
  return 0;
}
