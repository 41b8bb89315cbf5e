/* parley SDK — platform names (platform.h). */
#include "parley/sdk/platform.h"

#include <string.h>

#include "parley/error.h"

const char *parley_sdk_platform_name(parley_sdk_platform_t p) {
  switch (p) {
  case PARLEY_SDK_TWITTER: return "twitter";
  case PARLEY_SDK_META: return "meta";
  case PARLEY_SDK_LINKEDIN: return "linkedin";
  case PARLEY_SDK_TIKTOK: return "tiktok";
  default: return "generic";
  }
}

int parley_sdk_platform_parse(const char *name, parley_sdk_platform_t *p) {
  static const struct {
    const char *name;
    parley_sdk_platform_t p;
  } names[] = {{"generic", PARLEY_SDK_GENERIC},   {"twitter", PARLEY_SDK_TWITTER},
               {"x", PARLEY_SDK_TWITTER},         {"meta", PARLEY_SDK_META},
               {"facebook", PARLEY_SDK_META},     {"instagram", PARLEY_SDK_META},
               {"linkedin", PARLEY_SDK_LINKEDIN}, {"tiktok", PARLEY_SDK_TIKTOK}};
  if (name == NULL || p == NULL)
    return PARLEY_EINVAL;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (strcmp(name, names[i].name) == 0) {
      *p = names[i].p;
      return 0;
    }
  }
  return PARLEY_EINVAL;
}
