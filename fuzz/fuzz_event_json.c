/* fuzz target event_json: parley_event_from_json (core/event_json.c), the
 * decoder of parley.event.v1 lines (journal, NATS, embedders, testconn's
 * webhook). A decoded event must survive the encode/decode round trip. */
#include <stdlib.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  int rc = parley_event_from_json((const char *)data, size, &ev, &err);
  if (rc == 0) {
    fuzz_require(ev != NULL, "decode succeeded without an event");
    fuzz_check_event(ev);
  } else {
    fuzz_require(ev == NULL, "decode failed but handed out an event");
    fuzz_check_error(&err, data, size);
  }
  parley_event_free(ev);
  return 0;
}
