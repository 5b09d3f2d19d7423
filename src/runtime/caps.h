/* Capabilities through libcap: names, podman's default set, --cap-add/--cap-drop, applying them. */
#ifndef SKIFF_RUNTIME_CAPS_H
#define SKIFF_RUNTIME_CAPS_H

#include <stdint.h>

#include "util/util.h"

/* podman's 11 default capabilities: CHOWN DAC_OVERRIDE FOWNER FSETID KILL NET_BIND_SERVICE SETFCAP
 * SETGID SETPCAP SETUID SYS_CHROOT (CapEff 00000000800405fb) */
#define SKIFF_CAPS_DEFAULT 0x00000000800405fbULL

/* The highest capability the running kernel knows (from /proc/sys/kernel/cap_last_cap), cached. */
int skiff_caps_last_cap (void);
/* All capabilities the kernel knows, as a mask. */
uint64_t skiff_caps_all (void);
/* The calling process's bounding set: what it could grant (cap_get_bound, no /proc). */
uint64_t skiff_caps_bounding (void);
/* "NET_RAW", "CAP_NET_RAW", "net_raw", "cap_net_raw" -> 13. -1 with an error when unknown. */
int skiff_caps_from_name (const char *name, skiff_error_t *err);
/* base, then drops, then adds; "ALL" in either list means every capability. podman's order:
 * --cap-drop=all --cap-add=X gives exactly X; --cap-add=all --cap-drop=X gives all but X, where "all" is
 * the caller's bounding set (skiff_caps_bounding), as in podman.
 * Errors: unknown names ("unknown capability \"X\""), a name both added and dropped, ALL in both lists. */
int skiff_caps_compute (uint64_t base, char *const *add, char *const *drop, uint64_t *out, skiff_error_t *err);
/* "CAP_CHOWN" ... for a mask, sorted by number; caller frees with strv_free. */
char **skiff_caps_to_names (uint64_t mask);
/* In the container process, right before exec: drop from the bounding set everything not in bounding,
 * then set effective/permitted/inheritable, then the ambient set. Uses libcap; reads no file (works
 * without /proc) and allocates only two small libcap cap_t. Returns 0 or -errno.
 * Needs CAP_SETPCAP in the permitted set (uid 0, or mapped root in a user namespace); the effective set is
 * first raised to the permitted one. If the process changes to a non-zero uid first, set
 * prctl (PR_SET_KEEPCAPS, 1) before setresuid, or the kernel clears permitted and this fails with -EPERM.
 * The kernel's rules: effective within permitted, inheritable within bounding, ambient within
 * permitted & inheritable (else -EPERM). */
int skiff_caps_apply (uint64_t bounding, uint64_t effective, uint64_t permitted, uint64_t inheritable,
                      uint64_t ambient);

#endif
