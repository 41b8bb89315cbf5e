/* parley core — printing a plugin's descriptor (parleyd --list-plugins). */
#include "loader.h"
#include "options.h"

static void print_flags(FILE *out, const char *label, uint32_t bits,
                        const char *const *names, size_t n) {
  fprintf(out, "  %-9s", label);
  int any = 0;
  for (size_t i = 0; i < n; i++)
    if (bits & (1u << i)) {
      fprintf(out, "%s%s", any ? ", " : "", names[i]);
      any = 1;
    }
  fprintf(out, "%s\n", any ? "" : "-");
}

void parley_plugin_print_options(const parley_option_t *opts, FILE *out) {
  for (const parley_option_t *o = opts; o && o->name; o++) {
    fprintf(out, "    %-18s %-8s %s%s%s%s  %s\n", o->name, parley_opt_type_name(o->type),
            (o->flags & PARLEY_OPT_REQUIRED) ? "required" : "optional",
            o->default_value ? " (default " : "", o->default_value ? o->default_value : "",
            o->default_value ? ")" : "", o->description ? o->description : "");
  }
}

void parley_plugin_describe(const parley_connector_t *d, const char *path, FILE *out) {
  static const char *const recv[] = {"mentions", "comments", "replies", "direct_messages",
                                     "keyword_search", "stream", "webhooks", "postbacks",
                                     "reactions"};
  static const char *const send[] = {"reply_public", "reply_private", "direct_message",
                                     "hide"};
  fprintf(out, "%s %s (connector, ABI %u.%u, platform %s)\n", d->name,
          d->version ? d->version : "?", d->abi_major, d->abi_minor, d->platform);
  if (d->description)
    fprintf(out, "  %s\n", d->description);
  if (path)
    fprintf(out, "  file     %s\n", path);
  print_flags(out, "receives", d->receives, recv, sizeof recv / sizeof *recv);
  print_flags(out, "sends", d->sends, send, sizeof send / sizeof *send);
  fprintf(out, "  webhook  %s\n", d->webhook ? "yes" : "no");
  fprintf(out, "  options\n");
  parley_plugin_print_options(d->options, out);
}
