/* parley core — the plugin loader.
 *
 * Everything that can be checked without running plugin code is checked
 * before dlopen (file type, permissions, ELF header), because dlopen runs
 * the object's constructors; everything about the descriptor is checked
 * before any of its callbacks is trusted. */
#include "loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* Size of the v1.0 descriptor: a plugin built against 1.0 has exactly
 * these fields; later minors only append. */
#define PARLEY_CONNECTOR_V1_0_SIZE                                            \
  (offsetof(parley_connector_t, resume) + sizeof(void (*)(void *)))

static int check_file(const char *path, parley_error_t *err) {
  struct stat st;
  if (stat(path, &st) != 0)
    return parley_error_set(err, PARLEY_ENOENT, "%s: %s", path, strerror(errno));
  if (!S_ISREG(st.st_mode))
    return parley_error_set(err, PARLEY_ENOTPLUGIN, "%s: not a regular file", path);
  return parley_plugin_check_trust(path, err);
}

#if UINTPTR_MAX > 0xffffffffu
typedef Elf64_Ehdr elf_header_t;
typedef Elf64_Phdr elf_phdr_t;
#define PARLEY_ELFCLASS ELFCLASS64
#else
typedef Elf32_Ehdr elf_header_t;
typedef Elf32_Phdr elf_phdr_t;
#define PARLEY_ELFCLASS ELFCLASS32
#endif

/* Every part the dynamic loader maps must lie inside the file: mapping a
 * truncated object "succeeds" and then faults (SIGBUS) on first access. */
static int check_extents(FILE *f, const elf_header_t *h, long size, const char *path,
                         parley_error_t *err) {
  unsigned long long ph_end = (unsigned long long)h->e_phoff +
                              (unsigned long long)h->e_phnum * h->e_phentsize;
  unsigned long long sh_end = (unsigned long long)h->e_shoff +
                              (unsigned long long)h->e_shnum * h->e_shentsize;
  if (h->e_phentsize != sizeof(elf_phdr_t) || ph_end > (unsigned long long)size ||
      sh_end > (unsigned long long)size)
    return parley_error_set(err, PARLEY_ENOTPLUGIN,
                            "%s: truncated or corrupt ELF file (headers beyond its %ld bytes)",
                            path, size);
  for (unsigned i = 0; i < h->e_phnum; i++) {
    elf_phdr_t ph;
    if (fseek(f, (long)(h->e_phoff + (unsigned long long)i * sizeof ph), SEEK_SET) != 0 ||
        fread(&ph, sizeof ph, 1, f) != 1)
      return parley_error_set(err, PARLEY_ENOTPLUGIN, "%s: unreadable program header", path);
    if (ph.p_type == PT_LOAD &&
        (unsigned long long)ph.p_offset + ph.p_filesz > (unsigned long long)size)
      return parley_error_set(err, PARLEY_ENOTPLUGIN,
                              "%s: truncated ELF file (a segment ends past its %ld bytes)", path,
                              size);
  }
  return 0;
}

/* A parley plugin is a complete ELF shared object of our own class. */
static int check_elf(const char *path, parley_error_t *err) {
  elf_header_t h;
  FILE *f = fopen(path, "rb");
  if (!f)
    return parley_error_set(err, PARLEY_EIO, "%s: %s", path, strerror(errno));
  size_t n = fread(&h, 1, sizeof h, f);
  int rc = 0;
  if (n < EI_NIDENT || memcmp(h.e_ident, ELFMAG, SELFMAG) != 0)
    rc = parley_error_set(err, PARLEY_ENOTPLUGIN, "%s: not an ELF shared object", path);
  else if (n < sizeof h)
    rc = parley_error_set(err, PARLEY_ENOTPLUGIN, "%s: truncated ELF file (%zu bytes)", path, n);
  else if (h.e_ident[EI_CLASS] != PARLEY_ELFCLASS || h.e_type != ET_DYN)
    rc = parley_error_set(err, PARLEY_ENOTPLUGIN, "%s: not a shared object for this machine",
                          path);
  if (rc == 0 && fseek(f, 0, SEEK_END) == 0)
    rc = check_extents(f, &h, ftell(f), path, err);
  fclose(f);
  return rc;
}

static int check_options(const parley_connector_t *d, const char *file,
                         parley_error_t *err) {
  for (const parley_option_t *o = d->options; o && o->name; o++) {
    if (!*o->name || o->type < PARLEY_OPT_STRING || o->type > PARLEY_OPT_SECRET)
      return parley_error_set(err, PARLEY_ENOTPLUGIN,
                              "%s: option table entry %ld has an empty name or bad type",
                              file, (long)(o - d->options));
    if (o->offset >= d->config_size)
      return parley_error_set(err, PARLEY_ENOTPLUGIN,
                              "%s: option '%s' offset %zu is outside config_size %zu", file,
                              o->name, o->offset, d->config_size);
    for (const parley_option_t *p = d->options; p < o; p++)
      if (strcmp(p->name, o->name) == 0)
        return parley_error_set(err, PARLEY_ENOTPLUGIN, "%s: option '%s' declared twice",
                                file, o->name);
  }
  return 0;
}

int parley_plugin_check_descriptor(const parley_connector_t *d, const char *file,
                                   parley_error_t *err) {
  if (!d)
    return parley_error_set(err, PARLEY_ENOTPLUGIN, "%s: entry returned no descriptor", file);
  if (d->abi_major != PARLEY_ABI_MAJOR || d->abi_minor > PARLEY_ABI_MINOR)
    return parley_error_set(err, PARLEY_EABI,
                            "%s: plugin built for ABI %u.%u, this parley speaks %d.%d", file,
                            d->abi_major, d->abi_minor, PARLEY_ABI_MAJOR, PARLEY_ABI_MINOR);
  if (d->size < PARLEY_CONNECTOR_V1_0_SIZE)
    return parley_error_set(err, PARLEY_EABI,
                            "%s: descriptor size %u is smaller than ABI 1.0's %zu", file,
                            d->size, (size_t)PARLEY_CONNECTOR_V1_0_SIZE);
  if (d->kind != PARLEY_PLUGIN_CONNECTOR)
    return parley_error_set(err, PARLEY_ENOTPLUGIN, "%s: unknown plugin kind %u", file,
                            d->kind);
  if (!parley_util_is_name(d->name) || !d->platform || !parley_util_is_name(d->platform))
    return parley_error_set(err, PARLEY_ENOTPLUGIN,
                            "%s: descriptor name/platform missing or not [a-z0-9_]", file);
  if (!d->create || !d->start || !d->stop || !d->destroy)
    return parley_error_set(err, PARLEY_ENOTPLUGIN,
                            "%s: descriptor '%s' lacks create/start/stop/destroy", file,
                            d->name);
  return check_options(d, file, err);
}

static int resolve(const char *name, const char *const *dirs, size_t ndirs, char **path,
                   parley_error_t *err) {
  if (strchr(name, '/')) {
    *path = parley_strdup(name);
    return *path ? 0 : PARLEY_ENOMEM;
  }
  if (!parley_util_is_name(name))
    return parley_error_set(err, PARLEY_EINVAL, "plugin name '%s' is not [a-z0-9_]", name);
  for (size_t i = 0; i < ndirs; i++) {
    char *p = parley_asprintf("%s/%s.so", dirs[i], name);
    if (!p)
      return PARLEY_ENOMEM;
    if (access(p, F_OK) == 0) {
      *path = p;
      return 0;
    }
    free(p);
  }
  return parley_error_set(err, PARLEY_ENOENT, "plugin '%s' not found in the plugin dirs (%zu searched)",
                          name, ndirs);
}

static int open_checked(parley_plugin_t *p, parley_error_t *err) {
  int rc = check_file(p->path, err);
  if (rc == 0)
    rc = check_elf(p->path, err);
  if (rc)
    return rc;
  dlerror();
  p->handle = dlopen(p->path, RTLD_NOW | RTLD_LOCAL);
  if (!p->handle) {
    const char *why = dlerror();
    return parley_error_set(err, PARLEY_ENOTPLUGIN, "%s", why ? why : p->path);
  }
  parley_connector_entry_fn entry;
  void *sym = dlsym(p->handle, PARLEY_CONNECTOR_ENTRY_SYMBOL);
  if (!sym)
    return parley_error_set(err, PARLEY_ENOTPLUGIN,
                            "%s: not a parley plugin (no symbol %s)", p->path,
                            PARLEY_CONNECTOR_ENTRY_SYMBOL);
  /* ISO C forbids object-to-function pointer casts; POSIX guarantees it works. */
  memcpy(&entry, &sym, sizeof entry);
  p->desc = entry();
  return parley_plugin_check_descriptor(p->desc, p->path, err);
}

int parley_plugin_load(parley_plugin_t **out, const char *name_or_path,
                       const char *const *dirs, size_t ndirs, parley_error_t *err) {
  *out = NULL;
  parley_plugin_t *p = calloc(1, sizeof *p);
  if (!p)
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  int rc = resolve(name_or_path, dirs, ndirs, &p->path, err);
  if (rc == 0)
    rc = open_checked(p, err);
  if (rc) {
    parley_plugin_unload(p);
    return rc;
  }
  *out = p;
  return 0;
}

void parley_plugin_unload(parley_plugin_t *p) {
  if (!p)
    return;
  if (p->handle)
    dlclose(p->handle);
  free(p->path);
  free(p);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void scan_dir(const char *dir, parley_plugin_scan_cb cb, void *data) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  char **names = NULL;
  size_t n = 0;
  for (struct dirent *e; (e = readdir(d));) {
    size_t len = strlen(e->d_name);
    if (len > 3 && strcmp(e->d_name + len - 3, ".so") == 0) {
      char **grown = realloc(names, (n + 1) * sizeof *names);
      if (!grown)
        break;
      names = grown;
      names[n] = parley_asprintf("%s/%s", dir, e->d_name);
      if (names[n])
        n++;
    }
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n; i++) {
    parley_plugin_t *p;
    parley_error_t err = {0};
    if (parley_plugin_load(&p, names[i], NULL, 0, &err) == 0)
      cb(names[i], p, NULL, data);
    else
      cb(names[i], NULL, &err, data);
    parley_plugin_unload(p);
    free(names[i]);
  }
  free(names);
}

void parley_plugin_scan(const char *const *dirs, size_t ndirs, parley_plugin_scan_cb cb,
                        void *data) {
  for (size_t i = 0; i < ndirs; i++)
    scan_dir(dirs[i], cb, data);
}

const char *const *parley_plugin_search_dirs(char *const *dirs, size_t n, size_t *ndirs) {
  static const char *const fallback[] = {PARLEY_PLUGIN_DIR};
  *ndirs = n ? n : 1;
  return n ? (const char *const *)dirs : fallback;
}
