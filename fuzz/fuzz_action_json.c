/* fuzz target action_json: parley_action_from_json (core/action_json.c),
 * the decoder of parley.action.v1 documents: POST /v1/actions bodies and
 * the NATS action work queue. A decoded action must survive the round trip
 * and validate the same way twice. */
#include <stdlib.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  parley_action_t *a = NULL;
  parley_error_t err = {0};
  int rc = parley_action_from_json((const char *)data, size, &a, &err);
  if (rc == 0) {
    fuzz_require(a != NULL, "decode succeeded without an action");
    parley_error_t v1 = {0}, v2 = {0};
    parley_action_t *copy = parley_action_clone(a);
    int r1 = parley_action_validate(a, &v1), r2 = copy ? parley_action_validate(copy, &v2) : r1;
    fuzz_require(r1 == r2, "an action and its clone validate differently");
    fuzz_check_error(&v1, data, size);
    parley_action_free(copy);
    fuzz_check_action(a);
  } else {
    fuzz_require(a == NULL, "decode failed but handed out an action");
    fuzz_check_error(&err, data, size);
  }
  parley_action_free(a);
  return 0;
}
