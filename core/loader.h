/* parley core — the plugin loader: finds a connector .so by name in the
 * plugin dirs or by path, checks that it is a parley plugin of a compatible
 * ABI before trusting anything in it, and unloads it. Internal. */
#ifndef PARLEY_CORE_LOADER_H
#define PARLEY_CORE_LOADER_H

#include <stddef.h>
#include <stdio.h>

#include "parley/connector.h"

typedef struct parley_plugin {
  char *path;                      /* resolved file path */
  void *handle;                    /* dlopen handle */
  const parley_connector_t *desc;  /* checked descriptor, owned by the .so */
  unsigned refs;                   /* instances using it */
} parley_plugin_t;

/* Resolve name_or_path: a value containing '/' is a path; otherwise
 * "<dir>/<name>.so" in each dir in order. Then check and dlopen it.
 * Every refusal names the file: not found, world-writable, not an ELF
 * file, dlopen's message, no entry symbol (not a parley plugin), wrong ABI
 * ("built for ABI 2.0, parley speaks 1.1"), inconsistent descriptor.
 * The caller frees *out with parley_plugin_unload. */
int parley_plugin_load(parley_plugin_t **out, const char *name_or_path,
                       const char *const *dirs, size_t ndirs, parley_error_t *err);
void parley_plugin_unload(parley_plugin_t *p); /* NULL is fine */

/* The dirs to search: the configured ones, or, when none are configured,
 * the one `cmake --install` puts plugins in. The result borrows from dirs
 * (or is static); *ndirs receives its length (at least 1). */
const char *const *parley_plugin_search_dirs(char *const *dirs, size_t n, size_t *ndirs);

/* May the file at path be loaded? It and every directory on its way (as
 * configured and as resolved) must be owned by root or the daemon's user
 * and writable by nobody else: not world-writable (a sticky directory such
 * as /tmp excepted), not group-writable unless the group is the owner's own
 * private group. Returns 0, or PARLEY_EPERM / PARLEY_ENOENT with err naming
 * the file, the directory at fault and the fix. loader_trust.c. */
int parley_plugin_check_trust(const char *path, parley_error_t *err);

/* Check a descriptor without loading anything (also used by the
 * conformance kit). file names it in messages. */
int parley_plugin_check_descriptor(const parley_connector_t *d, const char *file,
                                   parley_error_t *err);

/* Call cb for every "*.so" in dirs (sorted by name), loaded or refused:
 * exactly one of plugin / err is set. cb must not keep plugin; it is
 * unloaded after cb returns. */
typedef void (*parley_plugin_scan_cb)(const char *path, const parley_plugin_t *plugin,
                                      const parley_error_t *err, void *data);
void parley_plugin_scan(const char *const *dirs, size_t ndirs, parley_plugin_scan_cb cb,
                        void *data);

/* Print a plugin's descriptor: name, version, ABI, platform, capabilities,
 * options with type, default and description. */
/* Print an option table, one option a line. */
void parley_plugin_print_options(const parley_option_t *opts, FILE *out);
/* Print bound option values (secrets as "***"), one a line. */
void parley_options_print_values(const parley_option_t *opts, const void *bound, FILE *out);
void parley_plugin_describe(const parley_connector_t *d, const char *path, FILE *out);

#endif
