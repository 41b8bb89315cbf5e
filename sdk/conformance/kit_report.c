/* parley-conformance — the pass/fail table: one row per check, printed as
 * soon as the check is decided. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kit.h"

static const char *const verdict_names[] = {"PASS", "FAIL", "SKIP"};

void parley_kit_report_begin(parley_kit_report_t *r, FILE *out, const char *plugin) {
  memset(r, 0, sizeof *r);
  r->out = out;
  fprintf(out, "parley-conformance %s (ABI %d.%d): %s\n\n", parley_version(), PARLEY_ABI_MAJOR,
          PARLEY_ABI_MINOR, plugin);
  fprintf(out, "%-26s %-6s %s\n", "check", "result", "detail");
  fprintf(out, "%-26s %-6s %s\n", "--------------------------", "------",
          "------------------------------------------------------------");
  fflush(out);
}

void parley_kit_row(parley_kit_report_t *r, const char *check, parley_kit_verdict_t v,
                    const char *fmt, ...) {
  char detail[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  /* one row, one line: a detail never breaks the table */
  for (char *p = detail; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  fprintf(r->out, "%-26s %-6s %s\n", check, verdict_names[v], detail);
  fflush(r->out);
  if (v == PARLEY_KIT_PASS)
    r->pass++;
  else if (v == PARLEY_KIT_FAIL)
    r->fail++;
  else
    r->skip++;
}

int parley_kit_report_end(parley_kit_report_t *r) {
  fprintf(r->out, "\n%u passed, %u failed, %u skipped: %s\n", r->pass, r->fail, r->skip,
          r->fail ? "NOT CONFORMANT" : "conformant");
  fflush(r->out);
  return r->fail ? 1 : 0;
}
