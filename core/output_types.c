/* parley core — the table of built-in output types. */
#include <string.h>

#include "output.h"

const parley_output_type_t *const parley_output_types[] = {
    &parley_output_ndjson,
    &parley_output_sqlite,
    &parley_output_webhook,
#ifdef PARLEY_OUTPUT_HAVE_NATS
    &parley_output_nats,
#endif
    NULL,
};

const parley_output_type_t *parley_output_type_find(const char *name) {
  for (size_t i = 0; name && parley_output_types[i]; i++)
    if (strcmp(parley_output_types[i]->name, name) == 0)
      return parley_output_types[i];
  return NULL;
}
