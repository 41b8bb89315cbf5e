/* parley — error codes.
 *
 * Every function that can fail returns 0 on success or a negative
 * PARLEY_E* code. parley_strerror() gives a one-line message and
 * parley_err_name() the constant's name, as uv_strerror()/uv_err_name() do.
 * Functions that can say more take a parley_error_t that receives the code
 * and a message naming what was wrong and where
 * ("parley.yaml:14: connectors[0].options.poll: '5 minutes' is not a duration").
 */
#ifndef PARLEY_ERROR_H
#define PARLEY_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#define PARLEY_ERRNO_MAP(X)                                                   \
  X(EINVAL, -1, "invalid argument")                                           \
  X(ENOMEM, -2, "out of memory")                                              \
  X(ENOENT, -3, "not found")                                                  \
  X(EIO, -4, "input/output error")                                            \
  X(EPARSE, -5, "malformed input")                                            \
  X(ECONFIG, -6, "invalid configuration")                                     \
  X(ENOTPLUGIN, -7, "not a parley plugin")                                    \
  X(EABI, -8, "incompatible plugin ABI version")                              \
  X(EPERM, -9, "permission denied")                                           \
  X(EBUSY, -10, "resource busy, try again later")                             \
  X(EDUP, -11, "duplicate")                                                   \
  X(ENOBUFS, -12, "buffer too small")                                         \
  X(ETIMEDOUT, -13, "timed out")                                              \
  X(EHTTP, -14, "HTTP request failed")                                        \
  X(EAUTH, -15, "authentication failed or token expired")                     \
  X(ERATELIMIT, -16, "rate limited")                                          \
  X(ECANCELED, -17, "operation canceled")                                     \
  X(ENOTSUP, -18, "operation not supported")                                  \
  X(ESTATE, -19, "operation not valid in the current state")                  \
  X(ESIGNATURE, -20, "signature verification failed")                         \
  X(ETOOBIG, -21, "too large")                                                \
  X(ENETWORK, -22, "network error")                                           \
  X(EPLATFORM, -23, "platform refused the request")

typedef enum {
  PARLEY_OK = 0,
#define PARLEY_ERR_ENUM_(name, val, msg) PARLEY_##name = (val),
  PARLEY_ERRNO_MAP(PARLEY_ERR_ENUM_)
#undef PARLEY_ERR_ENUM_
} parley_errno_t;

/* Size of the message buffer in parley_error_t, terminating NUL included. */
#define PARLEY_ERROR_MAX 512

/* A detailed error. Zero-initialise it; functions fill it on failure. */
typedef struct parley_error {
  int code;                      /* PARLEY_E*, 0 when no error */
  char message[PARLEY_ERROR_MAX]; /* never contains a secret */
} parley_error_t;

/* Static one-line message for a code; never NULL. */
const char *parley_strerror(int code);
/* Static constant name ("PARLEY_EABI") for a code; never NULL. */
const char *parley_err_name(int code);

/* Fill err (if not NULL) with code and a printf-style message.
 * Returns code so callers can write `return parley_error_set(err, ...)`. */
int parley_error_set(parley_error_t *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* PARLEY_EPARSE for a JSON document that did not parse: "<what>: malformed
 * JSON at line L, column C (byte B of N): <reason>". reason is the
 * parser's description (jansson's json_error_t.text) with any fragment of
 * the document it quotes ("near '...'") removed: bodies carry customer
 * text, and messages end up in logs. Since 0.2. */
int parley_error_set_json(parley_error_t *err, const char *what, int line, int column,
                          size_t position, size_t len, const char *reason);

#ifdef __cplusplus
}
#endif
#endif /* PARLEY_ERROR_H */
