/* parley fuzzing — what every libFuzzer target in fuzz/ shares (fuzz_common.c).
 *
 * A target is one file fuzz_<name>.c defining LLVMFuzzerTestOneInput (and,
 * when it needs one-time setup, LLVMFuzzerInitialize). Besides what the
 * sanitizers catch (memory errors, leaks, undefined behaviour), targets
 * check the parsers' own promises with fuzz_require(): a decoded event
 * encodes and decodes back to the same bytes, an error message is a
 * NUL-terminated line, a secret never appears in one. A broken promise
 * aborts, which libFuzzer reports as a crash with the input saved.
 *
 * Ownership: everything returned here is the caller's to free(). */
#ifndef PARLEY_FUZZ_H
#define PARLEY_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "parley/action.h"
#include "parley/error.h"
#include "parley/event.h"

#if defined(__GNUC__)
#define FUZZ_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define FUZZ_NORETURN __attribute__((noreturn))
#else
#define FUZZ_PRINTF(f, a)
#define FUZZ_NORETURN
#endif

/* The secret every target hands to the code under test: as the value of
 * the environment variable PARLEY_FUZZ_SECRET (for ${...} substitution),
 * in the file FUZZ_SECRET_FILE, and as the connectors' signing secrets. */
#define FUZZ_SECRET "Zq8fuzzSECRETvalue7Hk"
#define FUZZ_SECRET_ENV "PARLEY_FUZZ_SECRET"
#define FUZZ_SECRET_FILE "/tmp/parley-fuzz.secret"

/* Print the message to stderr and abort (a crash for libFuzzer). */
FUZZ_NORETURN void fuzz_fail(const char *fmt, ...) FUZZ_PRINTF(1, 2);
#define fuzz_require(cond, ...)                                                                    \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      fuzz_fail(__VA_ARGS__);                                                                      \
  } while (0)

/* A NUL-terminated copy of data[0..size) (malloc; aborts when out of memory). */
char *fuzz_strndup(const uint8_t *data, size_t size);

/* 1 when the input contains s anywhere (then a message quoting s may only
 * be quoting the input). */
int fuzz_contains(const uint8_t *data, size_t size, const char *s);

/* Set PARLEY_FUZZ_SECRET and write FUZZ_SECRET_FILE (once per process). */
void fuzz_secret_setup(void);

/* err->message is a NUL-terminated string of printable text (no newline:
 * messages are log lines) that, unless the input itself contains the
 * secret, does not contain it. */
void fuzz_check_error(const parley_error_t *err, const uint8_t *data, size_t size);

/* The codec's promise for an event that validates: it encodes, the text
 * decodes, and the decoded event encodes to the same bytes (so the journal
 * and every output read back exactly what was written). */
void fuzz_check_event(const parley_event_t *ev);
/* The same for an action. */
void fuzz_check_action(const parley_action_t *a);

/* fuzz_config.c: the body of the config targets; format "yaml" or "json". */
void fuzz_config(const uint8_t *data, size_t size, const char *format);

/* Every target defines this (libFuzzer's entry point). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
