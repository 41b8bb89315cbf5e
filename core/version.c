/* parley core — the linked library's version. */
#include "parley/version.h"

const char *parley_version(void) { return PARLEY_VERSION_STRING; }
