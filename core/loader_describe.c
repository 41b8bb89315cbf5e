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

/* Print bound option values; secrets as "***". */
void parley_options_print_values(const parley_option_t *opts, const void *bound, FILE *out) {
  const char *base = bound;
  for (const parley_option_t *o = opts; o && o->name && bound; o++) {
    const void *p = base + o->offset;
    fprintf(out, "    %s = ", o->name);
    switch (o->type) {
    case PARLEY_OPT_SECRET: fprintf(out, "%s\n", *(const char *const *)p ? "***" : "(unset)"); break;
    case PARLEY_OPT_STRING: {
      const char *s = *(const char *const *)p;
      fprintf(out, "%s\n", s ? s : "(unset)");
      break;
    }
    case PARLEY_OPT_INT: fprintf(out, "%lld\n", (long long)*(const int64_t *)p); break;
    case PARLEY_OPT_DURATION: fprintf(out, "%lldms\n", (long long)*(const int64_t *)p); break;
    case PARLEY_OPT_BOOL: fprintf(out, "%s\n", *(const int *)p ? "true" : "false"); break;
    case PARLEY_OPT_LIST: {
      const parley_strlist_t *l = p;
      fprintf(out, "[");
      for (size_t i = 0; i < l->count; i++)
        fprintf(out, "%s%s", i ? ", " : "", l->items[i]);
      fprintf(out, "]\n");
      break;
    }
    }
  }
}
