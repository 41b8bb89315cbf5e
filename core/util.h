/* parley core — small string helpers. Internal. */
#ifndef PARLEY_CORE_UTIL_H
#define PARLEY_CORE_UTIL_H

#include <stddef.h>

#if defined(__GNUC__)
#define PARLEY_UTIL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PARLEY_UTIL_PRINTF(f, a)
#endif

/* strdup that accepts NULL (returns NULL). Caller frees. */
char *parley_strdup(const char *s);
/* malloc'd printf; NULL when out of memory. Caller frees. */
char *parley_asprintf(const char *fmt, ...) PARLEY_UTIL_PRINTF(1, 2);
/* 1 if s is a non-empty [a-z0-9_]+ identifier. */
int parley_util_is_name(const char *s);
/* 1 if s is a non-empty [A-Za-z0-9_-]+ instance name. */
int parley_util_is_instance_name(const char *s);
/* 1 if s is strict UTF-8 (RFC 3629): no overlong forms, no surrogates, no
 * code points past U+10FFFF — what JSON encoders can always write. */
int parley_util_utf8_valid(const unsigned char *s);
/* The length (1-4) of the strict UTF-8 sequence at s, 0 when it is not one
 * (or s is at its terminating NUL). */
size_t parley_util_utf8_seq_len(const unsigned char *s);
/* Replace *slot by a copy of s (freeing the old value). NULL and "" clear
 * it: an empty string carries no information. PARLEY_EINVAL for invalid
 * UTF-8, PARLEY_ENOMEM; *slot is unchanged on failure. */
int parley_util_strset(char **slot, const char *s);
/* Constant-time equality of two NUL-terminated strings (length leaks). */
int parley_util_secret_eq(const char *a, const char *b);

#endif
