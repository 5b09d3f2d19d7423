/* Seccomp through libseccomp: podman's default profile, OCI/podman JSON profiles, and a compiled BPF
 * program cached on disk so that a container start does not pay for compilation each time. */
#ifndef SKIFF_RUNTIME_SECCOMP_H
#define SKIFF_RUNTIME_SECCOMP_H

#include <stdint.h>

#include "util/util.h"

struct skiff_seccomp; /* a compiled filter: the BPF program ready for seccomp(2) */
struct sock_filter;   /* <linux/filter.h> */

/* Compile a profile. profile_json NULL means skiff's built-in default (equivalent in effect to podman's
 * default seccomp.json). Otherwise the text is an OCI runtime-spec LinuxSeccomp object or a podman/docker
 * profile ("defaultAction", "defaultErrnoRet", "architectures" or "archMap", "flags", "syscalls" with
 * "names", "action", "errnoRet", "args", "includes"/"excludes" with "caps", "arches", "minKernel").
 * caps is the container's capability mask (podman uses the bounding set; for its containers it equals the
 * effective set): rules conditioned on capabilities follow it, as in podman. cache_dir, if neither NULL
 * nor "", is a directory (created 0700 if missing) where the compiled program is cached under
 * sha256(profile + caps + arch + kernel release + libseccomp and skiff versions); a corrupt entry is
 * ignored and rewritten, and a failure to write the cache is not an error. The directory must be private
 * to the user (whoever can write to it can swap in a weaker filter); entries not owned by the caller or
 * writable by group or others are ignored.
 * Errors name the profile's problem, as "seccomp profile: \"syscalls[3].args[0].op\": unknown operator ..."
 * (unknown syscall names are skipped as podman does; unknown actions, operators, architectures, flags,
 * SCMP_ACT_NOTIFY and malformed JSON are errors).
 * *out is NULL on success when the profile turns seccomp off, as podman does for a profile with neither
 * "defaultAction" nor "syscalls" ("{}"); install and free accept NULL. */
int skiff_seccomp_compile (const char *profile_json, uint64_t caps, const char *cache_dir, struct skiff_seccomp **out,
                           skiff_error_t *err);
/* Install in the calling thread (the container child, just before execve) with seccomp(2) (prctl on
 * kernels without it); allocates nothing and calls no library. The kernel requires either no_new_privs
 * (prctl (PR_SET_NO_NEW_PRIVS, 1)) or CAP_SYS_ADMIN in the current user namespace, else -EACCES. Every
 * syscall made after this point, up to and including execve, must be allowed by the profile.
 * Returns 0 or -errno. */
int skiff_seccomp_install (const struct skiff_seccomp *f);
void skiff_seccomp_free (struct skiff_seccomp *f);

/* Whether f was read from the cache rather than compiled (for tests and debug logs). */
bool skiff_seccomp_from_cache (const struct skiff_seccomp *f);
/* The BPF program: *n_insns instructions (for tests, or to pass the program to another process). */
const struct sock_filter *skiff_seccomp_program (const struct skiff_seccomp *f, size_t *n_insns);

#endif
