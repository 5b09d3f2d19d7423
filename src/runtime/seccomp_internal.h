/* A seccomp profile as data, shared by skiff's built-in default (seccomp_default.c) and profiles parsed
 * from JSON (seccomp.c), so that one compiler turns either into a BPF program. Private to runtime/. */
#ifndef SKIFF_RUNTIME_SECCOMP_INTERNAL_H
#define SKIFF_RUNTIME_SECCOMP_INTERNAL_H

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One comparison of a syscall argument (OCI "args" entry). For SCMP_CMP_MASKED_EQ value is the mask
 * and value_two the datum, as in the OCI spec and libseccomp. */
struct skiff_seccomp_arg
{
  unsigned int index;
  uint64_t value;
  uint64_t value_two;
  enum scmp_compare op;
};

/* podman's "includes"/"excludes": a rule applies when all included caps are held, the native arch is
 * listed and the kernel is recent enough; it is skipped when any excluded cap is held, the native arch is
 * listed or the kernel is at least min_kernel. */
struct skiff_seccomp_cond
{
  uint64_t caps;             /* capability mask */
  bool unknown_caps;         /* a capability name skiff does not know: never held */
  const char *const *arches; /* libseccomp-golang names ("amd64", "arm64", "x86"...); NULL-terminated or NULL */
  int min_kernel_major;      /* 0: no condition */
  int min_kernel_minor;
};

struct skiff_seccomp_rule
{
  const char *const *names; /* NULL-terminated */
  uint32_t action;          /* libseccomp action with the errno folded in (SCMP_ACT_ERRNO (EPERM)) */
  const struct skiff_seccomp_arg *args;
  size_t n_args;
  struct skiff_seccomp_cond includes;
  struct skiff_seccomp_cond excludes;
};

/* podman's "archMap" entry. */
struct skiff_seccomp_arch_map
{
  const char *arch;              /* "SCMP_ARCH_X86_64" */
  const char *const *sub_arches; /* NULL-terminated or NULL */
};

struct skiff_seccomp_profile
{
  uint32_t default_action;
  const char *const *architectures; /* "SCMP_ARCH_*" names; NULL-terminated or NULL */
  const struct skiff_seccomp_arch_map *arch_map;
  size_t n_arch_map;
  uint32_t flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
  const struct skiff_seccomp_rule *rules;
  size_t n_rules;
};

/* skiff's default profile: equivalent in effect to podman's /usr/share/containers/seccomp.json. */
extern const struct skiff_seccomp_profile skiff_seccomp_default_profile;

/* seccomp_bpf.c: rewrite libseccomp's program in into an equivalent one (the same return value for every
 * seccomp_data) that compares the syscall number by binary search rather than one by one. Returns its
 * length, written to out, or 0 when in has a shape the pass does not handle or the result would not fit
 * in max_out instructions. */
struct sock_filter;
size_t skiff_seccomp_bpf_optimize (const struct sock_filter *in, size_t n_in, struct sock_filter *out, size_t max_out);

/* For tests: when set, skiff_seccomp_compile keeps libseccomp's program as it is (and caches it under
 * another key), so that both programs can be compared. */
extern bool skiff_seccomp_keep_libseccomp_program;

#endif
