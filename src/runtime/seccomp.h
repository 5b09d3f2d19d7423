/* Seccomp through libseccomp: podman's default profile, OCI/podman JSON profiles, and a compiled BPF
 * program cached on disk so that a container start does not pay for compilation each time. */
#ifndef SKIFF_RUNTIME_SECCOMP_H
#define SKIFF_RUNTIME_SECCOMP_H

#include <stdint.h>

#include "util/util.h"

struct skiff_seccomp; /* a compiled filter: the BPF program ready for seccomp(2) */

/* Compile a profile. profile_json NULL means skiff's built-in default (equivalent in effect to podman's
 * default seccomp.json). caps is the container's effective capability mask: rules conditioned on
 * capabilities ("includes": {"caps": [...]}/"excludes") follow it, as in podman. cache_dir, if not NULL,
 * is a directory where the compiled program is cached by sha256(profile + caps + arch + libseccomp version).
 * Errors name the profile's problem (unknown syscall names are skipped as podman does; unknown actions or
 * malformed JSON are errors). */
int skiff_seccomp_compile (const char *profile_json, uint64_t caps, const char *cache_dir,
                           struct skiff_seccomp **out, skiff_error_t *err);
/* Install in the calling process (the container child, just before execve). Uses seccomp(2) with
 * SECCOMP_FILTER_FLAG_TSYNC not needed; needs either no_new_privs or CAP_SYS_ADMIN. Returns -errno. */
int skiff_seccomp_install (const struct skiff_seccomp *f);
void skiff_seccomp_free (struct skiff_seccomp *f);

#endif
