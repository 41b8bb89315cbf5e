/* fuzz target http_head: parley_head_scan (core/http_server_limits.c), the
 * scanner that watches request heads as they trickle in (slowloris, over-
 * long request lines, too many or too large header lines) before h2o has
 * a whole head to parse. Input: 4 bytes of parameters (max line, max
 * header bytes, max headers, chunk size), then the bytes a client sent.
 * Promises:
 *   - pos never passes the bytes given, the request line ends before pos;
 *   - without limits, the answer does not depend on how the bytes were
 *     split into reads (state, pos, request line end, header count);
 *   - with limits, a head that is COMPLETE when fed in reads is COMPLETE
 *     at the same position when it arrives at once (reads can only make
 *     the scanner stricter, never let through what one read refuses). */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "http_server_limits.h"

typedef struct {
  parley_head_state_t state;
  parley_head_scan_t scan;
} outcome_t;

/* Feed buf[0..len) in reads of chunk bytes (0: all at once), stopping at
 * the first answer that is not PARTIAL. */
static outcome_t feed(const char *buf, size_t len, size_t chunk, size_t max_line,
                      size_t max_bytes, size_t max_headers) {
  outcome_t o = {PARLEY_HEAD_PARTIAL, {0}};
  size_t have = 0;
  do {
    have = chunk && len - have > chunk ? have + chunk : len;
    o.state = parley_head_scan(&o.scan, buf, have, max_line, max_bytes, max_headers);
    fuzz_require(o.scan.pos <= have, "scan pos %zu past the %zu bytes read", o.scan.pos, have);
    fuzz_require(o.scan.line_end <= o.scan.pos, "request line ends past pos");
    fuzz_require(o.scan.line_end == 0 || buf[o.scan.line_end - 1] == '\n',
                 "request line end is not after a newline");
  } while (o.state == PARLEY_HEAD_PARTIAL && have < len);
  return o;
}

static int same(const outcome_t *a, const outcome_t *b) {
  return a->state == b->state && a->scan.pos == b->scan.pos &&
         a->scan.line_end == b->scan.line_end && a->scan.nheaders == b->scan.nheaders;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4)
    return 0;
  size_t max_line = 1 + (size_t)data[0] * 4, max_bytes = 1 + (size_t)data[1] * 8;
  size_t max_headers = data[2] % 64, chunk = 1 + data[3] % 32;
  const char *buf = (const char *)data + 4;
  size_t len = size - 4;

  outcome_t whole = feed(buf, len, 0, SIZE_MAX, SIZE_MAX, SIZE_MAX);
  outcome_t split = feed(buf, len, chunk, SIZE_MAX, SIZE_MAX, SIZE_MAX);
  outcome_t bytes = feed(buf, len, 1, SIZE_MAX, SIZE_MAX, SIZE_MAX);
  fuzz_require(whole.state == PARLEY_HEAD_PARTIAL || whole.state == PARLEY_HEAD_COMPLETE,
               "a limit was hit without limits");
  fuzz_require(same(&whole, &split) && same(&whole, &bytes),
               "the answer depends on how the head was split into reads");

  outcome_t lw = feed(buf, len, 0, max_line, max_bytes, max_headers);
  outcome_t ls = feed(buf, len, chunk, max_line, max_bytes, max_headers);
  if (ls.state == PARLEY_HEAD_COMPLETE)
    fuzz_require(lw.state == PARLEY_HEAD_COMPLETE && lw.scan.pos == ls.scan.pos,
                 "complete in reads (pos %zu) but %d at once", ls.scan.pos, (int)lw.state);
  if (lw.state == PARLEY_HEAD_COMPLETE)
    fuzz_require(lw.scan.pos == whole.scan.pos, "limits moved the end of the head");
  return 0;
}
