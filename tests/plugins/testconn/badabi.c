/* badabi — a plugin built for a future ABI major; the loader must refuse it. */
#include <stddef.h>

#include "parley/connector.h"

static int bad_create(const parley_host_t *h, parley_instance_t *i, const void *c, void **o,
                      parley_error_t *e) {
  (void)h, (void)i, (void)c, (void)o, (void)e;
  return PARLEY_ENOTSUP;
}
static int bad_start(void *x) { return x ? 0 : PARLEY_EINVAL; }
static void bad_stop(void *x) { (void)x; }

static const parley_connector_t badabi = {
    .abi_major = PARLEY_ABI_MAJOR + 1,
    .abi_minor = 0,
    .size = sizeof(parley_connector_t),
    .kind = PARLEY_PLUGIN_CONNECTOR,
    .name = "badabi",
    .version = "9.9.9",
    .platform = "test",
    .create = bad_create,
    .start = bad_start,
    .stop = bad_stop,
    .destroy = bad_stop,
};

PARLEY_CONNECTOR_EXPORT(badabi)
