/* parley core — may this plugin file be trusted? A plugin is code that runs
 * with the daemon's rights, so whoever can change the file, or any directory
 * on the way to it, can run code as parleyd. Before dlopen the loader
 * requires (the rule of OpenSSH's StrictModes, plus private groups):
 *
 * - the file and every directory up to "/" are owned by root or by the
 *   user parleyd runs as;
 * - none of them is world-writable, except a directory with the sticky bit
 *   (/tmp: others may add files there, not replace ours);
 * - none of them is group-writable, unless the group is the owner's own
 *   private group: the owner's primary group, with no other member and
 *   primary group of no other user (Debian's user private groups, so that
 *   builds under umask 002 still load), or the directory has the sticky bit.
 *
 * Both the path as configured (the plugin dir may hold a symlink) and the
 * real path behind it are checked. Internal; used by loader.c. */
#define _DEFAULT_SOURCE /* setpwent, getpwent, S_ISVTX (X/Open), next to _POSIX_C_SOURCE */
#include <errno.h>
#include <stdio.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"
#include "parley/error.h"

/* 1 when only `owner` can be in group gid (see the rule above). */
static int group_is_private(gid_t gid, uid_t owner) {
  struct passwd *pw = getpwuid(owner);
  if (pw == NULL || pw->pw_gid != gid)
    return 0;
  char name[256];
  if (strlen(pw->pw_name) >= sizeof name)
    return 0;
  strcpy(name, pw->pw_name); /* getgrgid/getpwent reuse pw's storage */
  struct group *gr = getgrgid(gid);
  if (gr == NULL)
    return 0;
  for (char **m = gr->gr_mem; m && *m; m++)
    if (strcmp(*m, name) != 0)
      return 0;
  int shared = 0;
  setpwent();
  for (struct passwd *p; !shared && (p = getpwent()) != NULL;)
    shared = p->pw_gid == gid && p->pw_uid != owner;
  endpwent();
  return !shared;
}

static const char *group_name(gid_t gid, char *buf, size_t len) {
  struct group *gr = getgrgid(gid);
  if (gr && strlen(gr->gr_name) < len)
    strcpy(buf, gr->gr_name);
  else
    snprintf(buf, len, "%u", (unsigned)gid);
  return buf;
}

/* One node: the plugin file itself (node == file) or a directory on its path. */
static int check_node(const char *file, const char *node, int is_file, parley_error_t *err) {
  struct stat st;
  if (stat(node, &st) != 0)
    return parley_error_set(err, PARLEY_ENOENT, "%s: %s: %s", file, node, strerror(errno));
  uid_t me = geteuid();
  char g[64];
  if (st.st_uid != 0 && st.st_uid != me) {
    if (is_file)
      return parley_error_set(err, PARLEY_EPERM,
                              "%s: refusing to load a plugin owned by uid %u (only root or the "
                              "daemon's own user, uid %u, may own a plugin)",
                              file, (unsigned)st.st_uid, (unsigned)me);
    return parley_error_set(err, PARLEY_EPERM,
                            "%s: refusing to load a plugin from a directory another user owns: "
                            "%s is owned by uid %u (only root or uid %u)",
                            file, node, (unsigned)st.st_uid, (unsigned)me);
  }
  int sticky = !is_file && (st.st_mode & S_ISVTX);
  if ((st.st_mode & S_IWOTH) && !sticky) {
    if (is_file)
      return parley_error_set(err, PARLEY_EPERM,
                              "%s: refusing to load a world-writable plugin (chmod o-w)", file);
    return parley_error_set(err, PARLEY_EPERM,
                            "%s: refusing to load a plugin from a world-writable directory: %s "
                            "(chmod o-w, or +t)", file, node);
  }
  if ((st.st_mode & S_IWGRP) && !sticky && !group_is_private(st.st_gid, st.st_uid)) {
    group_name(st.st_gid, g, sizeof g);
    if (is_file)
      return parley_error_set(err, PARLEY_EPERM,
                              "%s: refusing to load a group-writable plugin: group '%s' is not "
                              "the owner's own private group (chmod g-w)", file, g);
    return parley_error_set(err, PARLEY_EPERM,
                            "%s: refusing to load a plugin from a group-writable directory: %s "
                            "(group '%s' is not its owner's own private group; chmod g-w)",
                            file, node, g);
  }
  return 0;
}

/* path (the plugin file when is_file, else a directory), then each
 * directory above it up to "/". path is absolute. */
static int check_chain(const char *file, const char *path, int is_file, parley_error_t *err) {
  char buf[PATH_MAX];
  if (strlen(path) >= sizeof buf)
    return parley_error_set(err, PARLEY_EINVAL, "%s: path too long", file);
  strcpy(buf, path);
  int rc = check_node(file, buf, is_file, err);
  for (char *slash; rc == 0 && strcmp(buf, "/") != 0 && (slash = strrchr(buf, '/')) != NULL;) {
    slash[slash == buf] = '\0'; /* "/a/b" -> "/a" -> "/" */
    rc = check_node(file, buf, 0, err);
  }
  return rc;
}

int parley_plugin_check_trust(const char *path, parley_error_t *err) {
  char real[PATH_MAX], dir[PATH_MAX];
  if (realpath(path, real) == NULL)
    return parley_error_set(err, PARLEY_ENOENT, "%s: %s", path, strerror(errno));
  int rc = check_chain(path, real, 1, err);
  /* The directory the path names may hold a symlink to the real file:
   * whoever can change that directory can change the plugin too. */
  const char *slash = strrchr(path, '/');
  size_t n = slash ? (size_t)(slash - path) : 0;
  if (rc != 0 || n == 0 || n >= sizeof dir)
    return rc;
  memcpy(dir, path, n);
  dir[n] = '\0';
  char rdir[PATH_MAX];
  if (realpath(dir, rdir) == NULL)
    return parley_error_set(err, PARLEY_ENOENT, "%s: %s: %s", path, dir, strerror(errno));
  return check_chain(path, rdir, 0, err);
}
