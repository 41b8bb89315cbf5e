/* parley fuzzing — the body of the webhook_<plugin> targets (fuzz_host.h):
 * one request, signed by the target unless the input signs it itself,
 * handed to a fresh instance's webhook handler on the test host. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_host.h"

void fuzz_webhook_run(const char *options, const char *sig_header, fuzz_sign_fn sign,
                      const uint8_t *data, size_t size) {
  fuzz_msg_t req;
  fuzz_msg_parse(&req, data, size, 0);
  int signed_here = 0;
  if (!fuzz_msg_header(&req, sig_header)) {
    char sig[512];
    sign(&req, sig, sizeof sig);
    fuzz_msg_add_header(&req, sig_header, sig);
    signed_here = fuzz_msg_header(&req, sig_header) != NULL;
  }
  fuzz_inst_t *fi = fuzz_inst_new(options, data, size);
  if (fi) {
    parley_webhook_reply_t rep;
    fuzz_inst_webhook(fi, &req, &rep);
    fuzz_require(!(signed_here && strcmp(req.method, "POST") == 0 && rep.status == 401),
                 "a correctly signed delivery was refused as forged");
    fuzz_inst_free(fi);
  }
  fuzz_msg_free(&req);
}
