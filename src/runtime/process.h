/* Internal to the runtime and the engine: users, environment and executables of the container process. */
#ifndef SKIFF_RUNTIME_PROCESS_H
#define SKIFF_RUNTIME_PROCESS_H

#include "runtime/runtime.h"

#define SKIFF_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define SKIFF_MAX_GROUPS 64
/* The most skiff reads of a container's /etc/passwd or /etc/group (tens of thousands of users) */
#define SKIFF_ID_FILE_MAX (8 * 1024 * 1024)

struct skiff_user
{
  uid_t uid;
  gid_t gid;
  gid_t groups[SKIFF_MAX_GROUPS];
  size_t ngroups;
  char *home;
  char *name;
  bool keep_groups; /* --group-add keep-groups: no setgroups, the caller's supplementary groups stay */
};

/* Resolve "user[:group]" against root/etc/passwd and root/etc/group, read inside root (a link cannot lead out
 * of it) and refused when they are not regular files or larger than SKIFF_ID_FILE_MAX. */
int skiff_user_resolve (const char *root, const char *spec, struct skiff_user *out, skiff_error_t *err);
void skiff_user_release (struct skiff_user *u);

/* setgroups/setresgid/setresuid and capabilities for the container's process (run and exec) */
int skiff_process_set_identity (const struct skiff_user *u, uint64_t caps, skiff_error_t *err);
/* -e semantics (NAME=VALUE, or NAME from skiff's environment) and --env-file lines merged into *env */
void skiff_env_merge (char ***env, const char *kv);
int skiff_env_merge_file (const char *file, char ***env, skiff_error_t *err);

const char *skiff_env_get (char *const *env, const char *name);
void skiff_env_set (char ***env, const char *name, const char *value, bool overwrite);
/* Remove name from *env, if there */
void skiff_env_unset (char **env, const char *name);

/* Look name up in path (the container's PATH); errors carry podman's exit codes 126/127. */
int skiff_find_executable (const char *name, const char *path, char **out, skiff_error_t *err);
const char *skiff_rlimit_name (int resource);
/* The error for an execve that failed with E2BIG: which string is too long, or how much they take against the
 * limit. */
int skiff_exec_too_big_error (char *const *argv, char *const *env, skiff_error_t *err);

#endif
