/* noentry — a valid shared object that is not a parley plugin. */
#include "parley/connector.h"

PARLEY_EXPORT int noentry_answer(void);
PARLEY_EXPORT int noentry_answer(void) { return 42; }
