/* parley-conformance — descriptor sanity: the loader's own checks (ELF,
 * entry symbol, ABI major/minor, size, kind, names, lifecycle callbacks,
 * option table) and what the kit adds on top: the name matches the file,
 * capabilities match the optional callbacks, option offsets leave room for
 * their type and every option says what it is for. */
#include <string.h>

#include "kit.h"
#include "options.h"

static size_t opt_type_size(parley_opt_type_t t) {
  switch (t) {
  case PARLEY_OPT_STRING:
  case PARLEY_OPT_SECRET:
    return sizeof(const char *);
  case PARLEY_OPT_INT:
  case PARLEY_OPT_DURATION:
    return sizeof(int64_t);
  case PARLEY_OPT_BOOL:
    return sizeof(int);
  case PARLEY_OPT_LIST:
    return sizeof(parley_strlist_t);
  }
  return 0;
}

/* name must equal the file name stem: parleyd finds "<name>.so". */
static void check_names(parley_kit_t *kit, const parley_connector_t *d) {
  const char *base = strrchr(kit->plugin_path, '/');
  base = base ? base + 1 : kit->plugin_path;
  size_t stem = strlen(base);
  if (stem > 3 && !strcmp(base + stem - 3, ".so"))
    stem -= 3;
  if (strlen(d->name) != stem || strncmp(base, d->name, stem) != 0)
    parley_kit_row(&kit->report, "descriptor.names", PARLEY_KIT_FAIL,
                   "name '%s' differs from the file name '%s' (parleyd looks up <name>.so)",
                   d->name, base);
  else if (!d->version || !*d->version || !d->description || !*d->description)
    parley_kit_row(&kit->report, "descriptor.names", PARLEY_KIT_FAIL,
                   "version and description must be non-empty");
  else
    parley_kit_row(&kit->report, "descriptor.names", PARLEY_KIT_PASS,
                   "%s %s, platform %s", d->name, d->version, d->platform);
}

static void check_capabilities(parley_kit_t *kit, const parley_connector_t *d) {
  const char *why = NULL;
  if (!d->receives)
    why = "receives is 0: a connector must declare what it receives";
  else if (d->sends && !d->action)
    why = "sends is non-zero but there is no action callback";
  else if (!d->sends && d->action)
    why = "an action callback but sends is 0";
  else if ((d->receives & PARLEY_RECV_WEBHOOKS) && !d->webhook)
    why = "receives PARLEY_RECV_WEBHOOKS but there is no webhook callback";
  else if (!!d->pause != !!d->resume)
    why = "pause and resume must be set together";
  if (why)
    parley_kit_row(&kit->report, "descriptor.capabilities", PARLEY_KIT_FAIL, "%s", why);
  else
    parley_kit_row(&kit->report, "descriptor.capabilities", PARLEY_KIT_PASS,
                   "receives 0x%x, sends 0x%x%s%s", d->receives, d->sends,
                   d->webhook ? ", webhook" : "", d->action ? ", action" : "");
}

static void check_option_table(parley_kit_t *kit, const parley_connector_t *d) {
  size_t n = 0, required = 0, secrets = 0;
  for (const parley_option_t *o = d->options; o && o->name; o++, n++) {
    if (o->offset + opt_type_size(o->type) > d->config_size) {
      parley_kit_row(&kit->report, "descriptor.options", PARLEY_KIT_FAIL,
                     "option '%s' (%s at offset %zu) does not fit in config_size %zu", o->name,
                     parley_opt_type_name(o->type), o->offset, d->config_size);
      return;
    }
    for (const parley_option_t *p = d->options; p < o; p++)
      if (p->offset < o->offset + opt_type_size(o->type) &&
          o->offset < p->offset + opt_type_size(p->type)) {
        parley_kit_row(&kit->report, "descriptor.options", PARLEY_KIT_FAIL,
                       "options '%s' and '%s' overlap in the config struct", p->name, o->name);
        return;
      }
    if (!o->description || !*o->description) {
      parley_kit_row(&kit->report, "descriptor.options", PARLEY_KIT_FAIL,
                     "option '%s' has no description (parleyd --list-plugins shows it)",
                     o->name);
      return;
    }
    if ((o->flags & PARLEY_OPT_REQUIRED) && o->default_value) {
      parley_kit_row(&kit->report, "descriptor.options", PARLEY_KIT_FAIL,
                     "option '%s' is required and has a default: one or the other", o->name);
      return;
    }
    required += (o->flags & PARLEY_OPT_REQUIRED) != 0;
    secrets += o->type == PARLEY_OPT_SECRET;
  }
  parley_kit_row(&kit->report, "descriptor.options", PARLEY_KIT_PASS,
                 "%zu options (%zu required, %zu secret), config_size %zu", n, required,
                 secrets, d->config_size);
}

int parley_kit_check_descriptor(parley_kit_t *kit) {
  parley_error_t err = {0};
  if (parley_plugin_load(&kit->plugin, kit->plugin_path, NULL, 0, &err) != 0) {
    /* The loader's message names the file; the row shows what follows it. */
    const char *msg = err.message;
    size_t plen = strlen(kit->plugin_path);
    if (!strncmp(msg, kit->plugin_path, plen) && !strncmp(msg + plen, ": ", 2))
      msg += plen + 2;
    parley_kit_row(&kit->report, "load", PARLEY_KIT_FAIL, "%s (%s)", msg,
                   parley_err_name(err.code));
    kit->plugin = NULL;
    return -1;
  }
  const parley_connector_t *d = kit->plugin->desc;
  parley_kit_row(&kit->report, "load", PARLEY_KIT_PASS,
                 "ABI %u.%u, descriptor %u bytes, entry symbol found", d->abi_major,
                 d->abi_minor, d->size);
  check_names(kit, d);
  check_capabilities(kit, d);
  check_option_table(kit, d);
  return 0;
}
