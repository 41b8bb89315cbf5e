/* parley core — typed readers for config nodes, shared by the sections of
 * the config (config.c, config_enrich.c). Every failure sets the context's
 * error to "<source>:<line>: <key path>: <what>" and returns it; a value is
 * quoted only when it is neither a secret nor substituted. Internal. */
#ifndef PARLEY_CORE_CONFIG_READ_H
#define PARLEY_CORE_CONFIG_READ_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#if defined(__GNUC__)
#define PARLEY_CFG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PARLEY_CFG_PRINTF(f, a)
#endif

typedef struct {
  const char *source;
  parley_error_t *err;
  parley_config_t *cfg; /* the model being filled; NULL for a section read on its own */
} parley_cfgctx_t;

int parley_cfg_fail(parley_cfgctx_t *c, int line, const char *path, const char *fmt, ...)
    PARLEY_CFG_PRINTF(4, 5);
int parley_cfg_nomem(parley_cfgctx_t *c);
/* The value as it may appear in a message, into buf. */
void parley_cfg_show(const parley_node_t *n, int secret, char *buf, size_t size);
/* "a map", "a list", "a scalar", "nothing". */
const char *parley_cfg_kind(const parley_node_t *n);
/* "<path>.<key>" into buf, cut short if it must be (it is only shown). */
void parley_cfg_subpath(char *buf, size_t size, const char *path, const char *key);
int parley_cfg_expect(parley_cfgctx_t *c, const parley_node_t *n, parley_node_type_t type,
                      const char *path, const char *what);
/* Replace *dst with a copy of a scalar's text (caller frees). */
int parley_cfg_string(parley_cfgctx_t *c, const parley_node_t *n, const char *path, char **dst);
/* Append a copy of s; PARLEY_ENOMEM only. */
int parley_cfg_strv_push(char ***v, size_t *n, const char *s);
void parley_cfg_strv_free(char **v, size_t n);
/* 1 when n, or an item of the list n, came from ${...} substitution. */
int parley_cfg_substituted(const parley_node_t *n);
/* A string or a list of strings, appended to (*v, *count). */
int parley_cfg_strlist(parley_cfgctx_t *c, const parley_node_t *n, const char *path, char ***v,
                       size_t *count);
/* A whole number in [min, max]. */
int parley_cfg_uint(parley_cfgctx_t *c, const parley_node_t *n, const char *path, int64_t min,
                    int64_t max, int64_t *out);
/* A number (fraction allowed) in [min, max]. */
int parley_cfg_real(parley_cfgctx_t *c, const parley_node_t *n, const char *path, double min,
                    double max, double *out);
/* true/false/yes/no/on/off. */
int parley_cfg_bool(parley_cfgctx_t *c, const parley_node_t *n, const char *path, int *out);
/* "1048576", "512KiB", "1MiB", "1GiB"; at least min bytes. */
int parley_cfg_size(parley_cfgctx_t *c, const parley_node_t *n, const char *path, uint64_t min,
                    uint64_t *out);
/* A duration ("30s", "7d", "0"), in ms. */
int parley_cfg_duration(parley_cfgctx_t *c, const parley_node_t *n, const char *path,
                        int64_t *out);
/* kinds[i] came from item i of n (n a list) or from n itself (NULL in code). */
int parley_cfg_kinds_ok(parley_cfgctx_t *c, const parley_node_t *n, const char *path,
                        char **kinds, size_t count);
int parley_cfg_visibility(parley_cfgctx_t *c, const parley_node_t *n, const char *path,
                          int *out);
/* A route's match map (also an SLA policy's) into r; NULL node matches all.
 * r must start from parley_cfg_match_init. */
void parley_cfg_match_init(parley_conf_route_t *r);
/* Free what r holds (name and outputs too) and re-initialise it. */
void parley_cfg_match_clear(parley_conf_route_t *r);
int parley_cfg_match(parley_cfgctx_t *c, parley_conf_route_t *r, const parley_node_t *n,
                     const char *path);

#endif
