/* runtime/seccomp: compiling the default and JSON profiles, what installed filters really do in a child,
 * profile errors, the on-disk cache, and the default profile against podman's seccomp.json. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "runtime/caps.h"
#include "runtime/seccomp.h"
#include "runtime/seccomp_internal.h"

#define PODMAN_PROFILE "/usr/share/containers/seccomp.json"
#define BIT(c) (UINT64_C (1) << (c))
#define RET_ACTION(r) ((r) &SECCOMP_RET_ACTION_FULL)
#define RET_DATA(r) ((r) &SECCOMP_RET_DATA)

static struct skiff_seccomp *
compile_raw (const char *json, uint64_t caps, const char *cache_dir)
{
  struct skiff_seccomp *f = NULL;
  skiff_error_t err = NULL;
  int r = skiff_seccomp_compile (json, caps, cache_dir, &f, &err);
  cr_assert_eq (r, 0, "skiff_seccomp_compile: %s", err ? err->msg : "?");
  cr_assert_not_null (f);
  return f;
}

/* libseccomp's program for the profile, as skiff compiled it before the rewrite (seccomp_bpf.c). */
static struct skiff_seccomp *
compile_libseccomp (const char *json, uint64_t caps)
{
  skiff_seccomp_keep_libseccomp_program = true;
  struct skiff_seccomp *f = compile_raw (json, caps, NULL);
  skiff_seccomp_keep_libseccomp_program = false;
  return f;
}

static void assert_same_as_libseccomp (const struct skiff_seccomp *f, const char *json, uint64_t caps);

/* Every program the tests compile is also checked against libseccomp's (below). */
static struct skiff_seccomp *
compile_ok (const char *json, uint64_t caps, const char *cache_dir)
{
  struct skiff_seccomp *f = compile_raw (json, caps, cache_dir);
  assert_same_as_libseccomp (f, json, caps);
  return f;
}

static void
cleanup_seccompp (struct skiff_seccomp **f)
{
  skiff_seccomp_free (*f);
}
#define cleanup_seccomp __attribute__ ((cleanup (cleanup_seccompp)))

/* ---- a classic BPF interpreter, enough to run seccomp programs on made-up syscalls ---- */

/* *reads_more (if not NULL) tells whether the run loaded anything beyond nr and arch (ip, args). */
static uint32_t
bpf_run_ex (const struct sock_filter *prog, size_t n, const struct seccomp_data *d, bool *reads_more)
{
  uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
  for (size_t pc = 0; pc < n; pc++)
    {
      const struct sock_filter *i = &prog[pc];
      uint32_t src = BPF_SRC (i->code) == BPF_X ? x : i->k;
      switch (BPF_CLASS (i->code))
        {
        case BPF_LD:
        case BPF_LDX:
          {
            uint32_t v;
            if (BPF_MODE (i->code) == BPF_ABS)
              {
                cr_assert (i->k % 4 == 0 && i->k + 4 <= sizeof *d, "load at %u", i->k);
                if (i->k >= 8 && reads_more)
                  *reads_more = true;
                memcpy (&v, (const char *) d + i->k, 4);
              }
            else if (BPF_MODE (i->code) == BPF_IMM)
              v = i->k;
            else if (BPF_MODE (i->code) == BPF_MEM)
              v = mem[i->k % BPF_MEMWORDS];
            else if (BPF_MODE (i->code) == BPF_LEN)
              v = sizeof *d;
            else
              cr_assert_fail ("unsupported load 0x%x", i->code);
            if (BPF_CLASS (i->code) == BPF_LD)
              a = v;
            else
              x = v;
            break;
          }
        case BPF_ST:
          mem[i->k % BPF_MEMWORDS] = a;
          break;
        case BPF_STX:
          mem[i->k % BPF_MEMWORDS] = x;
          break;
        case BPF_ALU:
          switch (BPF_OP (i->code))
            {
            case BPF_ADD:
              a += src;
              break;
            case BPF_SUB:
              a -= src;
              break;
            case BPF_MUL:
              a *= src;
              break;
            case BPF_DIV:
              a = src ? a / src : 0;
              break;
            case BPF_AND:
              a &= src;
              break;
            case BPF_OR:
              a |= src;
              break;
            case BPF_XOR:
              a ^= src;
              break;
            case BPF_LSH:
              a <<= src;
              break;
            case BPF_RSH:
              a >>= src;
              break;
            case BPF_NEG:
              a = -a;
              break;
            default:
              cr_assert_fail ("unsupported alu 0x%x", i->code);
            }
          break;
        case BPF_JMP:
          {
            bool t;
            switch (BPF_OP (i->code))
              {
              case BPF_JA:
                pc += i->k;
                continue;
              case BPF_JEQ:
                t = a == src;
                break;
              case BPF_JGT:
                t = a > src;
                break;
              case BPF_JGE:
                t = a >= src;
                break;
              case BPF_JSET:
                t = (a & src) != 0;
                break;
              default:
                cr_assert_fail ("unsupported jump 0x%x", i->code);
                t = false;
              }
            pc += t ? i->jt : i->jf;
            break;
          }
        case BPF_RET:
          return BPF_RVAL (i->code) == BPF_A ? a : i->k;
        case BPF_MISC:
          if (BPF_MISCOP (i->code) == BPF_TAX)
            x = a;
          else
            a = x;
          break;
        }
    }
  cr_assert_fail ("the BPF program ran off its end");
  return 0;
}

static uint32_t
bpf_run (const struct sock_filter *prog, size_t n, const struct seccomp_data *d)
{
  return bpf_run_ex (prog, n, d, NULL);
}

static uint32_t
eval (const struct skiff_seccomp *f, uint32_t arch, int nr, const uint64_t args[6])
{
  struct seccomp_data d = { .nr = nr, .arch = arch };
  if (args)
    memcpy (d.args, args, sizeof d.args);
  size_t n;
  const struct sock_filter *prog = skiff_seccomp_program (f, &n);
  return bpf_run (prog, n, &d);
}

static int
nr_of (const char *name)
{
  int nr = seccomp_syscall_resolve_name (name);
  cr_assert_geq (nr, 0, "%s is not a syscall of this architecture", name);
  return nr;
}

/* ---- the rewritten program against libseccomp's ---- */

/* Both programs give the same verdict for every architecture below (those of the tests, x32 included as
 * the numbers with 0x40000000 under AUDIT_ARCH_X86_64, and made-up ones), every syscall number 0-1023 with
 * and without 0x40000000, the numbers around the other boundaries, and the argument values below. Where
 * neither program reads an argument for a syscall (found by running them with zeroed arguments: the path
 * up to the first argument load depends on nr and arch alone, so then no path reads one), one run
 * settles every argument combination. */
static size_t
assert_equivalent (const struct skiff_seccomp *ours, const struct skiff_seccomp *lib, const char *what)
{
  static const uint32_t arches[]
      = { SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_AARCH64, SCMP_ARCH_ARM, SCMP_ARCH_PPC64LE, SCMP_ARCH_S390X, 0,
          UINT32_MAX };
  static const uint32_t extra_nrs[] = { 0x3fffffff, 0x40000400, 0x5fffffff, 0x7fffffff, 0x80000000,
                                        0xbfffffff, 0xc0000000, 0xc0000001, 0xfffffffe, 0xffffffff };
  static const uint64_t a0s[] = { 0,       1,    2,    8,    16,   0x20000,    0x20008, 0xffffffff, 0x100000000ULL,
                                  0x40000, 1000, 2000, 3000, 4242, UINT64_MAX, 0x80000 };
  static const uint64_t a1s[] = { 0, 18, 0x100000000ULL };
  static const uint64_t a2s[] = { 0, 9, 0x109, 0x80000, 0x80001, 0xffffffff };
  size_t n_ours, n_lib, mismatches = 0, arg_runs = 0;
  const struct sock_filter *po = skiff_seccomp_program (ours, &n_ours), *pl = skiff_seccomp_program (lib, &n_lib);
  char first[256] = "";
  for (size_t a = 0; a < ARRAY_SIZE (arches); a++)
    for (size_t k = 0; k < 2 * 1024 + ARRAY_SIZE (extra_nrs); k++)
      {
        uint32_t nr = k < 2048 ? (uint32_t) (k & 1023) | (k >= 1024 ? 0x40000000u : 0) : extra_nrs[k - 2048];
        struct seccomp_data d = { .nr = (int) nr, .arch = arches[a] };
        bool more = false;
        uint32_t x = bpf_run_ex (po, n_ours, &d, &more), y = bpf_run_ex (pl, n_lib, &d, &more);
        if (x != y && mismatches++ == 0)
          snprintf (first, sizeof first, "arch 0x%x nr 0x%x, zeroed args: rewritten 0x%x, libseccomp 0x%x", arches[a],
                    nr, x, y);
        if (!more)
          continue;
        for (size_t i = 0; i < ARRAY_SIZE (a0s); i++)
          for (size_t j = 0; j < ARRAY_SIZE (a1s); j++)
            for (size_t m = 0; m < ARRAY_SIZE (a2s); m++)
              {
                uint64_t args[6] = { a0s[i], a1s[j], a2s[m], a0s[i] >> 1, a2s[m] << 1, a1s[j] };
                memcpy (d.args, args, sizeof d.args);
                x = bpf_run (po, n_ours, &d);
                y = bpf_run (pl, n_lib, &d);
                arg_runs++;
                if (x != y && mismatches++ == 0)
                  snprintf (first, sizeof first,
                            "arch 0x%x nr 0x%x a0=0x%llx a1=0x%llx a2=0x%llx: rewritten 0x%x, libseccomp 0x%x",
                            arches[a], nr, (unsigned long long) a0s[i], (unsigned long long) a1s[j],
                            (unsigned long long) a2s[m], x, y);
              }
      }
  cr_assert_eq (mismatches, 0, "%s: %zu verdicts differ from libseccomp's program, first: %s", what, mismatches, first);
  return arg_runs;
}

/* f, compiled by skiff, decides as libseccomp's program for the same profile and is not longer (when the
 * rewrite does not shrink it, it is libseccomp's program itself). */
static void
assert_same_as_libseccomp (const struct skiff_seccomp *f, const char *json, uint64_t caps)
{
  struct skiff_seccomp *lib = compile_libseccomp (json, caps);
  size_t n, n_lib;
  const struct sock_filter *p = skiff_seccomp_program (f, &n), *pl = skiff_seccomp_program (lib, &n_lib);
  cr_assert_leq (n, n_lib);
  if (n == n_lib)
    cr_assert_eq (memcmp (p, pl, n * sizeof *p), 0, "as long as libseccomp's program but not the same");
  char what[128];
  snprintf (what, sizeof what, "%s, caps 0x%llx", json ? "custom profile" : "default profile",
            (unsigned long long) caps);
  assert_equivalent (f, lib, what);
  skiff_seccomp_free (lib);
}

/* The verdict for a syscall of the native architecture with the given first and third arguments. */
static uint32_t
eval_native (const struct skiff_seccomp *f, const char *name, uint64_t a0, uint64_t a2)
{
  uint64_t args[6] = { a0, 0, a2, 0, 0, 0 };
  return eval (f, seccomp_arch_native (), nr_of (name), args);
}

/* ---- running code under a filter, in a child ---- */

struct child
{
  int status;
  char msg[1024];
};

typedef int (*child_fn) (int report_fd, void *arg);

static void
run_child (child_fn fn, void *arg, struct child *c)
{
  int p[2];
  cr_assert_eq (pipe2 (p, O_CLOEXEC), 0);
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      close (p[0]);
      _exit (fn (p[1], arg));
    }
  close (p[1]);
  ssize_t n = read_all (p[0], c->msg, sizeof c->msg - 1);
  c->msg[n > 0 ? n : 0] = '\0';
  close (p[0]);
  cr_assert_eq (waitpid (pid, &c->status, 0), pid);
}

static void
assert_child_ok (struct child *c)
{
  if (WIFSIGNALED (c->status))
    cr_assert_fail ("child killed by signal %d; it said: %s", WTERMSIG (c->status), c->msg);
  cr_assert (WIFEXITED (c->status));
  cr_assert_eq (WEXITSTATUS (c->status), 0, "child: %s", c->msg);
}

/* In a child: fail unless the expression gives -1 with errno e (or succeeds, for e == 0). */
#define EXPECT_ERRNO(fd, expr, e)                                                                                 \
  do                                                                                                              \
    {                                                                                                             \
      errno = 0;                                                                                                  \
      long r_ = (long) (expr);                                                                                    \
      int got_ = r_ < 0 ? errno : 0;                                                                              \
      if (got_ != (e))                                                                                            \
        {                                                                                                         \
          dprintf ((fd), "%s: got %s (%d), want %s (%d)", #expr, got_ ? strerrorname_np (got_) : "success", got_, \
                   (e) ? strerrorname_np (e) : "success", (e));                                                   \
          return 1;                                                                                               \
        }                                                                                                         \
    }                                                                                                             \
  while (0)

static int
install_nnp (int fd, const struct skiff_seccomp *f)
{
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    {
      dprintf (fd, "PR_SET_NO_NEW_PRIVS: %s", strerror (errno));
      return -1;
    }
  int r = skiff_seccomp_install (f);
  if (r < 0)
    dprintf (fd, "skiff_seccomp_install: %s", strerror (-r));
  return r;
}

/* ---- the default profile, in the kernel ---- */

static int
default_profile_child (int fd, void *arg)
{
  if (install_nnp (fd, arg) < 0)
    return 1;
  /* allowed */
  pid_t pid = (pid_t) syscall (SYS_getpid);
  if (pid <= 0)
    {
      dprintf (fd, "getpid failed under the default profile");
      return 1;
    }
  int sv[2];
  EXPECT_ERRNO (fd, socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  EXPECT_ERRNO (fd, socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), 0);
  EXPECT_ERRNO (fd, personality (0xffffffff), 0);
  EXPECT_ERRNO (fd, unshare (0), 0);
  /* in the EPERM list */
  EXPECT_ERRNO (fd, syscall (SYS_kexec_load, 0, 0, NULL, 0), EPERM);
  EXPECT_ERRNO (fd, syscall (SYS_userfaultfd, 0), EPERM);
  /* not listed at all: ENOSYS, the default action */
  EXPECT_ERRNO (fd, syscall (SYS_add_key, "user", "x", "y", 1, 0), ENOSYS);
  EXPECT_ERRNO (fd, syscall (SYS_request_key, "user", "x", NULL, 0), ENOSYS);
  /* need CAP_SYS_ADMIN or CAP_SYS_PTRACE, which the default capabilities lack: EPERM, where the kernel
   * would say EFAULT and ESRCH */
  EXPECT_ERRNO (fd, syscall (SYS_perf_event_open, NULL, 0, -1, -1, 0), EPERM);
  EXPECT_ERRNO (fd, syscall (SYS_kcmp, 0, 0, -1, 0, 0), EPERM);
  /* podman's profile allows setns unconditionally (its CAP_SYS_ADMIN rule comes second and loses) */
  EXPECT_ERRNO (fd, setns (-1, 0), EBADF);
  /* personality: only the listed values */
  EXPECT_ERRNO (fd, personality (ADDR_NO_RANDOMIZE), ENOSYS);
  /* the audit socket without CAP_AUDIT_WRITE */
  EXPECT_ERRNO (fd, socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT), EINVAL);
  return 0;
}

Test (seccomp, default_profile_in_the_kernel)
{
  cleanup_seccomp struct skiff_seccomp *f = compile_ok (NULL, SKIFF_CAPS_DEFAULT, NULL);
  cr_assert_not (skiff_seccomp_from_cache (f));
  struct child c;
  run_child (default_profile_child, f, &c);
  assert_child_ok (&c);
}

static int
sys_admin_child (int fd, void *arg)
{
  if (install_nnp (fd, arg) < 0)
    return 1;
  /* with CAP_SYS_ADMIN in the mask, perf_event_open reaches the kernel, which rejects the NULL attr */
  EXPECT_ERRNO (fd, syscall (SYS_perf_event_open, NULL, 0, -1, -1, 0), EFAULT);
  EXPECT_ERRNO (fd, syscall (SYS_kcmp, 0, 0, -1, 0, 0), EPERM);
  return 0;
}

Test (seccomp, default_profile_follows_caps)
{
  cleanup_seccomp struct skiff_seccomp *f = compile_ok (NULL, SKIFF_CAPS_DEFAULT | BIT (CAP_SYS_ADMIN), NULL);
  struct child c;
  run_child (sys_admin_child, f, &c);
  assert_child_ok (&c);

  /* and in the program itself, for a few more capabilities */
  cleanup_seccomp struct skiff_seccomp *none = compile_ok (NULL, 0, NULL);
  cleanup_seccomp struct skiff_seccomp *all = compile_ok (NULL, skiff_caps_all (), NULL);
  const char *guarded[] = { "chroot", "perf_event_open", "bpf",     "init_module",       "acct",       "kcmp",
                            "iopl",   "settimeofday",    "vhangup", "open_by_handle_at", "sethostname" };
  for (size_t i = 0; i < ARRAY_SIZE (guarded); i++)
    {
      cr_assert_eq (eval_native (none, guarded[i], 0, 0), SCMP_ACT_ERRNO (EPERM), "%s without caps", guarded[i]);
      cr_assert_eq (eval_native (all, guarded[i], 0, 0), SCMP_ACT_ALLOW, "%s with all caps", guarded[i]);
    }
  cr_assert_eq (eval_native (none, "setns", 0, 0), SCMP_ACT_ALLOW);
  /* chroot is in podman's default capabilities */
  cleanup_seccomp struct skiff_seccomp *def = compile_ok (NULL, SKIFF_CAPS_DEFAULT, NULL);
  cr_assert_eq (eval_native (def, "chroot", 0, 0), SCMP_ACT_ALLOW);
  /* with CAP_AUDIT_WRITE every socket is allowed */
  cr_assert_eq (eval_native (def, "socket", AF_NETLINK, NETLINK_AUDIT), SCMP_ACT_ERRNO (EINVAL));
  cr_assert_eq (eval_native (all, "socket", AF_NETLINK, NETLINK_AUDIT), SCMP_ACT_ALLOW);
}

/* The three socket rules: EINVAL only for (AF_NETLINK, *, NETLINK_AUDIT), every other socket allowed. */
Test (seccomp, default_socket_rules_native)
{
  cleanup_seccomp struct skiff_seccomp *f = compile_ok (NULL, SKIFF_CAPS_DEFAULT, NULL);
  cr_assert_eq (eval_native (f, "socket", AF_NETLINK, NETLINK_AUDIT), SCMP_ACT_ERRNO (EINVAL));
  cr_assert_eq (eval_native (f, "socket", AF_NETLINK, NETLINK_ROUTE), SCMP_ACT_ALLOW);
  cr_assert_eq (eval_native (f, "socket", AF_INET, NETLINK_AUDIT), SCMP_ACT_ALLOW); /* proto 9 of AF_INET */
  cr_assert_eq (eval_native (f, "socket", AF_UNIX, 0), SCMP_ACT_ALLOW);
}

static int
exec_child (int fd, void *arg)
{
  if (install_nnp (fd, arg) < 0)
    return 1;
  char arg0[] = "true";
  char *argv[] = { arg0, NULL };
  execv ("/bin/true", argv);
  dprintf (fd, "execv /bin/true under the filter: %s", strerror (errno));
  return 1;
}

Test (seccomp, default_profile_runs_a_program)
{
  cleanup_seccomp struct skiff_seccomp *f = compile_ok (NULL, SKIFF_CAPS_DEFAULT, NULL);
  struct child c;
  run_child (exec_child, f, &c);
  assert_child_ok (&c);
}

/* ---- ordering with capabilities ---- */

static int
gain_caps (int fd)
{
  if (geteuid () != 0 && unshare (CLONE_NEWUSER) < 0)
    {
      dprintf (fd, "unshare(CLONE_NEWUSER): %s", strerror (errno));
      return 2;
    }
  return 0;
}

/* Without no_new_privs the filter must go in while CAP_SYS_ADMIN is held; afterwards the default
 * profile still lets the child drop its capabilities and exec. */
static int
install_then_drop_child (int fd, void *arg)
{
  int r = gain_caps (fd);
  if (r)
    return r;
  uint64_t d = SKIFF_CAPS_DEFAULT;
  if ((r = skiff_seccomp_install (arg)) < 0)
    {
      dprintf (fd, "install with CAP_SYS_ADMIN and without no_new_privs: %s", strerror (-r));
      return 1;
    }
  if ((r = skiff_caps_apply (d, d, d, 0, 0)) < 0)
    {
      dprintf (fd, "skiff_caps_apply under the default filter: %s", strerror (-r));
      return 1;
    }
  char arg0[] = "true";
  char *argv[] = { arg0, NULL };
  execv ("/bin/true", argv);
  dprintf (fd, "execv: %s", strerror (errno));
  return 1;
}

static int
drop_then_install_child (int fd, void *arg)
{
  int r = gain_caps (fd);
  if (r)
    return r;
  if ((r = skiff_caps_apply (0, 0, 0, 0, 0)) < 0)
    {
      dprintf (fd, "skiff_caps_apply: %s", strerror (-r));
      return 1;
    }
  r = skiff_seccomp_install (arg);
  if (r != -EACCES)
    {
      dprintf (fd, "install without caps and without no_new_privs gave %d, expected -EACCES", r);
      return 1;
    }
  return 0;
}

Test (seccomp, ordering_with_capabilities)
{
  cleanup_seccomp struct skiff_seccomp *f = compile_ok (NULL, SKIFF_CAPS_DEFAULT, NULL);
  struct child c;
  run_child (install_then_drop_child, f, &c);
  if (WIFEXITED (c.status) && WEXITSTATUS (c.status) == 2)
    cr_skip_test ("no user namespaces for an unprivileged user: %s", c.msg);
  assert_child_ok (&c);
  run_child (drop_then_install_child, f, &c);
  assert_child_ok (&c);
}

/* ---- user profiles ---- */

static const char block_mkdir[]
    = "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
      " \"syscalls\": [\n"
      "  {\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 18},\n"
      "  {\"name\": \"getppid\", \"action\": \"SCMP_ACT_ERRNO\", \"errno\": \"EXFULL\"},\n"
      "  {\"names\": [\"no_such_syscall\", \"getpgrp\"], \"action\": \"SCMP_ACT_ERRNO\"}\n"
      " ]}";

struct mkdir_arg
{
  const struct skiff_seccomp *f;
  const char *dir;
};

static int
block_mkdir_child (int fd, void *arg)
{
  struct mkdir_arg *a = arg;
  cleanup_free char *path = xasprintf ("%s/blocked", a->dir);
  if (install_nnp (fd, a->f) < 0)
    return 1;
  EXPECT_ERRNO (fd, mkdir (path, 0700), EXDEV);
  EXPECT_ERRNO (fd, mkdirat (AT_FDCWD, path, 0700), EXDEV);
  EXPECT_ERRNO (fd, syscall (SYS_getppid), EXFULL);
  EXPECT_ERRNO (fd, syscall (SYS_getpgrp), EPERM); /* the default errno of SCMP_ACT_ERRNO */
  EXPECT_ERRNO (fd, syscall (SYS_getpid), 0);
  EXPECT_ERRNO (fd, rmdir (a->dir), 0);
  return 0;
}

Test (seccomp, custom_profile_blocks_mkdir)
{
  char dir[] = "/tmp/skiff-seccomp-XXXXXX";
  cr_assert_not_null (mkdtemp (dir));
  cleanup_seccomp struct skiff_seccomp *f = compile_ok (block_mkdir, SKIFF_CAPS_DEFAULT, NULL);
  struct mkdir_arg a = { f, dir };
  struct child c;
  run_child (block_mkdir_child, &a, &c);
  rmdir (dir);
  assert_child_ok (&c);
  cleanup_free char *path = xasprintf ("%s/blocked", dir);
  cr_assert_not (path_exists (path));
}

static int
args_child (int fd, void *arg)
{
  if (install_nnp (fd, arg) < 0)
    return 1;
  /* MASKED_EQ on the flags argument */
  EXPECT_ERRNO (fd, dup3 (0, 100, O_CLOEXEC), EXDEV);
  EXPECT_ERRNO (fd, dup3 (0, 100, 0), 0);
  /* two comparisons of one argument: either matches (runc and crun split them into two rules) */
  EXPECT_ERRNO (fd, getpriority (1000, 0), EXFULL);
  EXPECT_ERRNO (fd, getpriority (2000, 0), EXFULL);
  EXPECT_ERRNO (fd, getpriority (3000, 0), EINVAL); /* reaches the kernel */
  /* two arguments: both must match */
  EXPECT_ERRNO (fd, syscall (SYS_kill, 0, 0), 0);
  EXPECT_ERRNO (fd, syscall (SYS_kill, getpid (), 0), EPERM);
  EXPECT_ERRNO (fd, syscall (SYS_kill, getpid (), SIGCONT), 0);
  return 0;
}

static char *
args_profile (int pid)
{
  return xasprintf ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                    " {\"names\": [\"dup3\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": %d,"
                    "  \"args\": [{\"index\": 2, \"value\": %d, \"valueTwo\": %d, \"op\": \"SCMP_CMP_MASKED_EQ\"}]},"
                    " {\"names\": [\"getpriority\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": %d,"
                    "  \"args\": [{\"index\": 0, \"value\": 1000, \"op\": \"SCMP_CMP_EQ\"},"
                    "             {\"index\": 0, \"value\": 2000, \"op\": \"SCMP_CMP_EQ\"}]},"
                    " {\"names\": [\"kill\"], \"action\": \"SCMP_ACT_ERRNO\","
                    "  \"args\": [{\"index\": 0, \"value\": %d, \"op\": \"SCMP_CMP_EQ\"},"
                    "             {\"index\": 1, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"}]}"
                    "]}",
                    EXDEV, O_CLOEXEC, O_CLOEXEC, EXFULL, pid);
}

Test (seccomp, argument_comparisons)
{
  /* the same profile, with a pid among the argument values of the equivalence matrix */
  cleanup_free char *same_shape = args_profile (4242);
  skiff_seccomp_free (compile_ok (same_shape, 0, NULL));

  /* The kill rule names the child's own pid, known only after fork: compile in the child. */
  struct child c;
  int p[2];
  cr_assert_eq (pipe2 (p, O_CLOEXEC), 0);
  pid_t pid = fork ();
  if (pid == 0)
    {
      close (p[0]);
      cleanup_free char *mine = args_profile ((int) getpid ());
      struct skiff_seccomp *f = NULL;
      skiff_error_t err = NULL;
      if (skiff_seccomp_compile (mine, 0, NULL, &f, &err) < 0)
        {
          dprintf (p[1], "compile: %s", err->msg);
          _exit (1);
        }
      _exit (args_child (p[1], f));
    }
  close (p[1]);
  ssize_t n = read_all (p[0], c.msg, sizeof c.msg - 1);
  c.msg[n > 0 ? n : 0] = '\0';
  close (p[0]);
  cr_assert_eq (waitpid (pid, &c.status, 0), pid);
  assert_child_ok (&c);
}

static int
kill_child (int fd, void *arg)
{
  if (install_nnp (fd, arg) < 0)
    return 1;
  syscall (SYS_getppid);
  dprintf (fd, "still alive after getppid");
  return 1;
}

static int
log_child (int fd, void *arg)
{
  if (install_nnp (fd, arg) < 0)
    return 1;
  EXPECT_ERRNO (fd, syscall (SYS_getppid), 0);
  return 0;
}

Test (seccomp, actions_kill_trap_log)
{
  const char *kills[] = { "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP" };
  for (size_t i = 0; i < ARRAY_SIZE (kills); i++)
    {
      cleanup_free char *json = xasprintf ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                                           "[\"getppid\"], \"action\": \"%s\"}]}",
                                           kills[i]);
      cleanup_seccomp struct skiff_seccomp *f = compile_ok (json, 0, NULL);
      struct child c;
      run_child (kill_child, f, &c);
      cr_assert (WIFSIGNALED (c.status) && WTERMSIG (c.status) == SIGSYS, "%s: status 0x%x, %s", kills[i], c.status,
                 c.msg);
    }
  cleanup_seccomp struct skiff_seccomp *f
      = compile_ok ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],"
                    " \"syscalls\": [{\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_LOG\"}]}",
                    0, NULL);
  struct child c;
  run_child (log_child, f, &c);
  assert_child_ok (&c);
  /* TRACE without a tracer: the kernel answers ENOSYS */
  cleanup_seccomp struct skiff_seccomp *t
      = compile_ok ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getppid\"],"
                    " \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 7}]}",
                    0, NULL);
  cr_assert_eq (eval_native (t, "getppid", 0, 0), SCMP_ACT_TRACE (7));
}

Test (seccomp, oci_format_and_conditions)
{
  /* OCI LinuxSeccomp: defaultErrnoRet and explicit architectures */
  cleanup_seccomp struct skiff_seccomp *oci
      = compile_ok ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,"
                    " \"architectures\": [],"
                    " \"syscalls\": [{\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
                    0, NULL);
  cr_assert_eq (eval_native (oci, "read", 0, 0), SCMP_ACT_ALLOW);
  cr_assert_eq (eval_native (oci, "getpid", 0, 0), SCMP_ACT_ERRNO (ENOSYS));

  /* archMap entries for other architectures are not looked at, even with names libseccomp lacks */
  skiff_seccomp_free (compile_ok ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"archMap\": [{\"architecture\": "
                                  "\"SCMP_ARCH_NOT_YET\", \"subArchitectures\": [\"SCMP_ARCH_NOR_THIS\"]}]}",
                                  0, NULL));

  /* includes/excludes on caps, arches, kernel versions */
  const char *profile = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                        " {\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1,"
                        "  \"includes\": {\"caps\": [\"CAP_NET_RAW\"]}},"
                        " {\"names\": [\"getpgrp\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 2,"
                        "  \"excludes\": {\"caps\": [\"CAP_NET_RAW\", \"CAP_NOT_A_CAP\"]}},"
                        " {\"names\": [\"getsid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 3,"
                        "  \"includes\": {\"caps\": [\"CAP_NOT_A_CAP\"]}},"
                        " {\"names\": [\"getuid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 4,"
                        "  \"includes\": {\"minKernel\": \"2.6\"}},"
                        " {\"names\": [\"getgid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 5,"
                        "  \"includes\": {\"minKernel\": \"999.0\"}},"
                        " {\"names\": [\"geteuid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 6,"
                        "  \"includes\": {\"arches\": [\"amd64\", \"arm64\", \"ppc64le\", \"s390x\", \"riscv64\"]}},"
                        " {\"names\": [\"getegid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 7,"
                        "  \"excludes\": {\"arches\": [\"amd64\", \"arm64\", \"ppc64le\", \"s390x\", \"riscv64\"]}},"
                        " {\"names\": [\"getresuid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 8,"
                        "  \"includes\": {\"arches\": [\"ppc\"]}},"
                        " {\"names\": [\"getresgid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 9,"
                        "  \"excludes\": {\"arches\": [\"ppc\"]}}"
                        "]}";
  cleanup_seccomp struct skiff_seccomp *with = compile_ok (profile, BIT (CAP_NET_RAW), NULL);
  cleanup_seccomp struct skiff_seccomp *without = compile_ok (profile, 0, NULL);
  cr_assert_eq (eval_native (with, "getppid", 0, 0), SCMP_ACT_ERRNO (1));
  cr_assert_eq (eval_native (without, "getppid", 0, 0), SCMP_ACT_ALLOW);
  cr_assert_eq (eval_native (with, "getpgrp", 0, 0), SCMP_ACT_ALLOW);
  cr_assert_eq (eval_native (without, "getpgrp", 0, 0), SCMP_ACT_ERRNO (2));
  cr_assert_eq (eval_native (with, "getsid", 0, 0), SCMP_ACT_ALLOW);
  cr_assert_eq (eval_native (with, "getuid", 0, 0), SCMP_ACT_ERRNO (4));
  cr_assert_eq (eval_native (with, "getgid", 0, 0), SCMP_ACT_ALLOW);
  /* 32-bit powerpc is nobody's native architecture here */
  cr_assert_eq (eval_native (with, "getresuid", 0, 0), SCMP_ACT_ALLOW);
  cr_assert_eq (eval_native (with, "getresgid", 0, 0), SCMP_ACT_ERRNO (9));
#if defined(__x86_64__) || defined(__aarch64__)
  cr_assert_eq (eval_native (with, "geteuid", 0, 0), SCMP_ACT_ERRNO (6));
  cr_assert_eq (eval_native (with, "getegid", 0, 0), SCMP_ACT_ALLOW);
#endif
}

#if defined(__x86_64__)
Test (seccomp, architectures_on_x86_64)
{
  const char *syscalls = "\"syscalls\": [{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ALLOW\"}]";
  cleanup_free char *native_only = xasprintf ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", %s}", syscalls);
  cleanup_free char *with_x86 = xasprintf (
      "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86\", \"x32\"], %s}", syscalls);
  cleanup_free char *map
      = xasprintf ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": ["
                   " {\"architecture\": \"SCMP_ARCH_AARCH64\", \"subArchitectures\": [\"SCMP_ARCH_ARM\"]},"
                   " {\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": [\"SCMP_ARCH_X86\"]}"
                   "], %s}",
                   syscalls);
  cleanup_seccomp struct skiff_seccomp *a = compile_ok (native_only, 0, NULL);
  cleanup_seccomp struct skiff_seccomp *b = compile_ok (with_x86, 0, NULL);
  cleanup_seccomp struct skiff_seccomp *m = compile_ok (map, 0, NULL);
  const int getpid_i386 = 20, getpid_x32 = 0x40000000 | 39;
  /* a foreign architecture is killed */
  cr_assert_eq (RET_ACTION (eval (a, AUDIT_ARCH_I386, getpid_i386, NULL)), SECCOMP_RET_KILL_THREAD);
  cr_assert_eq (eval (b, AUDIT_ARCH_I386, getpid_i386, NULL), SCMP_ACT_ALLOW);
  cr_assert_eq (eval (b, AUDIT_ARCH_X86_64, getpid_x32, NULL), SCMP_ACT_ALLOW);
  cr_assert_eq (eval (m, AUDIT_ARCH_I386, getpid_i386, NULL), SCMP_ACT_ALLOW);
  cr_assert_eq (RET_ACTION (eval (m, AUDIT_ARCH_ARM, 20, NULL)), SECCOMP_RET_KILL_THREAD);
  cr_assert_eq (eval (m, AUDIT_ARCH_X86_64, 39, NULL), SCMP_ACT_ALLOW);

  /* Without socketcall allowed, libseccomp refuses the third socket rule for 32-bit x86 (EEXIST: its
   * socketcall form collides with the second's); x86_64 must still get it. */
  cleanup_seccomp struct skiff_seccomp *s
      = compile_ok ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,"
                    " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],"
                    " \"syscalls\": ["
                    " {\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 22, \"args\": ["
                    "   {\"index\": 0, \"value\": 16, \"op\": \"SCMP_CMP_EQ\"},"
                    "   {\"index\": 2, \"value\": 9, \"op\": \"SCMP_CMP_EQ\"}]},"
                    " {\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": ["
                    "   {\"index\": 2, \"value\": 9, \"op\": \"SCMP_CMP_NE\"}]},"
                    " {\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": ["
                    "   {\"index\": 0, \"value\": 16, \"op\": \"SCMP_CMP_NE\"}]}]}",
                    0, NULL);
  uint64_t inet_9[6] = { AF_INET, SOCK_RAW, 9 }, audit[6] = { AF_NETLINK, SOCK_RAW, 9 };
  cr_assert_eq (eval (s, AUDIT_ARCH_X86_64, __NR_socket, inet_9), SCMP_ACT_ALLOW);
  cr_assert_eq (eval (s, AUDIT_ARCH_X86_64, __NR_socket, audit), SCMP_ACT_ERRNO (EINVAL));
}
#endif

Test (seccomp, empty_profile_turns_seccomp_off)
{
  struct skiff_seccomp *f = (struct skiff_seccomp *) 1;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_seccomp_compile ("{}", 0, NULL, &f, &err), 0);
  cr_assert_null (f);
  cr_assert_eq (skiff_seccomp_install (NULL), 0);
  skiff_seccomp_free (NULL);
}

Test (seccomp, profile_errors_name_the_problem)
{
  static const struct
  {
    const char *json, *needle;
  } cases[] = {
    { "{", "invalid JSON: the text ends early" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\",,}", "invalid JSON at line 1, column 36" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\"} x", "invalid JSON at line 1, column 37" },
    { "[]", "top level must be a JSON object" },
    { "{\"syscalls\": [{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ALLOW\"}]}", "\"defaultAction\" is missing" },
    { "{\"defaultAction\": \"SCMP_ACT_FOO\"}", "\"defaultAction\": unknown action \"SCMP_ACT_FOO\"" },
    { "{\"defaultAction\": 3}", "\"defaultAction\" must be a string" },
    { "{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}", "SCMP_ACT_NOTIFY is not supported" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getpid\"], \"action\": "
      "\"SCMP_ACT_NOTIFY\"}]}",
      "\"syscalls[0].action\": SCMP_ACT_NOTIFY is not supported" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getpid\"]}]}",
      "\"syscalls[0].action\" is missing" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": \"getpid\", \"action\": "
      "\"SCMP_ACT_ERRNO\"}]}",
      "\"syscalls[0].names\" must be an array of strings" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [1], \"action\": \"SCMP_ACT_ERRNO\"}]}",
      "\"syscalls[0].names[0]\" must be a string" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"action\": \"SCMP_ACT_ERRNO\"}]}",
      "\"syscalls[0].names\" is missing" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"name\": \"a\", \"names\": [\"b\"], \"action\": "
      "\"SCMP_ACT_ERRNO\"}]}",
      "has both \"name\" and \"names\"" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{}, {\"names\": [\"getpid\"], \"action\": "
      "\"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_ABOUT\"}]}]}",
      "\"syscalls[0].names\" is missing" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getpid\"], \"action\": "
      "\"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_ABOUT\"}]}]}",
      "\"syscalls[0].args[0].op\": unknown operator \"SCMP_CMP_ABOUT\"" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getpid\"], \"action\": "
      "\"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
      "\"syscalls[0].args[0].index\" is out of range" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getpid\"], \"action\": "
      "\"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": -1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
      "\"syscalls[0].args[0].value\" must not be negative" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getpid\"], \"action\": "
      "\"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1}]}]}",
      "\"syscalls[0].args[0].op\" is missing" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getpid\"], \"action\": "
      "\"SCMP_ACT_ERRNO\", \"errnoRet\": -1}]}",
      "\"syscalls[0].errnoRet\" must not be negative" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getpid\"], \"action\": "
      "\"SCMP_ACT_ERRNO\", \"errnoRet\": 70000}]}",
      "\"syscalls[0].errnoRet\" is out of range" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getpid\"], \"action\": "
      "\"SCMP_ACT_KILL\", \"errnoRet\": 1}]}",
      "action SCMP_ACT_KILL does not return one" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getpid\"], \"action\": "
      "\"SCMP_ACT_ERRNO\", \"errno\": \"EWHATEVER\"}]}",
      "\"syscalls[0].errno\": unknown errno \"EWHATEVER\"" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getpid\"], \"action\": "
      "\"SCMP_ACT_ERRNO\", \"includes\": {\"minKernel\": \"four\"}}]}",
      "\"syscalls[0].includes.minKernel\": invalid kernel version \"four\"" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getpid\"], \"action\": "
      "\"SCMP_ACT_ERRNO\", \"excludes\": {\"caps\": \"CAP_SYS_ADMIN\"}}]}",
      "\"syscalls[0].excludes.caps\" must be an array of strings" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_VAX\"]}",
      "\"architectures[0]\": unknown architecture \"SCMP_ARCH_VAX\"" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86\"], \"archMap\": "
      "[{\"architecture\": \"SCMP_ARCH_X86_64\"}]}",
      "both \"architectures\" and \"archMap\"" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"archMap\": [{\"subArchitectures\": []}]}",
      "\"archMap[0].architecture\" is missing" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_NEW_LISTENER\"]}",
      "\"flags[0]\": unsupported flag \"SECCOMP_FILTER_FLAG_NEW_LISTENER\"" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/run/agent.sock\"}", "\"listenerPath\"" },
    { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": {}}", "\"syscalls\" must be an array" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      struct skiff_seccomp *f = NULL;
      skiff_error_t err = NULL;
      int r = skiff_seccomp_compile (cases[i].json, 0, NULL, &f, &err);
      cr_assert_lt (r, 0, "accepted: %s", cases[i].json);
      cr_assert_null (f);
      cr_assert_not_null (err);
      cr_assert_not_null (strstr (err->msg, cases[i].needle), "for %s\n  message: %s\n  lacks: %s", cases[i].json,
                          err->msg, cases[i].needle);
      skiff_error_release (&err);
    }
}

/* ---- the cache ---- */

static char *
only_entry (const char *dir)
{
  DIR *d = opendir (dir);
  cr_assert_not_null (d);
  char *name = NULL;
  struct dirent *de;
  int n = 0;
  while ((de = readdir (d)))
    {
      if (de->d_name[0] == '.')
        continue;
      n++;
      free (name);
      name = xasprintf ("%s/%s", dir, de->d_name);
    }
  closedir (d);
  cr_assert_eq (n, 1, "%d entries in the cache", n);
  return name;
}

static void
assert_same_program (const struct skiff_seccomp *a, const struct skiff_seccomp *b)
{
  size_t na, nb;
  const struct sock_filter *pa = skiff_seccomp_program (a, &na), *pb = skiff_seccomp_program (b, &nb);
  cr_assert_eq (na, nb);
  cr_assert_eq (memcmp (pa, pb, na * sizeof *pa), 0);
}

Test (seccomp, cache_hit_and_recovery)
{
  char dir[] = "/tmp/skiff-seccomp-cache-XXXXXX";
  cr_assert_not_null (mkdtemp (dir));
  cleanup_free char *cache = xasprintf ("%s/cache/seccomp", dir); /* created on demand */

  cleanup_seccomp struct skiff_seccomp *first = compile_ok (NULL, SKIFF_CAPS_DEFAULT, cache);
  cr_assert_not (skiff_seccomp_from_cache (first));
  cleanup_free char *entry = only_entry (cache);
  struct stat st;
  cr_assert_eq (stat (entry, &st), 0);
  cr_assert_eq (st.st_mode & 0777, 0600);
  cr_assert_eq (strlen (strrchr (entry, '/') + 1), 64); /* sha256 hex */

  cleanup_seccomp struct skiff_seccomp *second = compile_ok (NULL, SKIFF_CAPS_DEFAULT, cache);
  cr_assert (skiff_seccomp_from_cache (second));
  assert_same_program (first, second);

  /* a flipped byte in the program: ignored, recompiled, rewritten */
  int fd = open (entry, O_RDWR);
  cr_assert_geq (fd, 0);
  unsigned char b;
  cr_assert_eq (pread (fd, &b, 1, st.st_size - 3), 1);
  b ^= 0x40;
  cr_assert_eq (pwrite (fd, &b, 1, st.st_size - 3), 1);
  close (fd);
  cleanup_seccomp struct skiff_seccomp *third = compile_ok (NULL, SKIFF_CAPS_DEFAULT, cache);
  cr_assert_not (skiff_seccomp_from_cache (third));
  assert_same_program (first, third);
  cleanup_seccomp struct skiff_seccomp *fourth = compile_ok (NULL, SKIFF_CAPS_DEFAULT, cache);
  cr_assert (skiff_seccomp_from_cache (fourth));

  /* truncated, then garbage */
  cr_assert_eq (truncate (entry, 50), 0);
  cleanup_seccomp struct skiff_seccomp *fifth = compile_ok (NULL, SKIFF_CAPS_DEFAULT, cache);
  cr_assert_not (skiff_seccomp_from_cache (fifth));
  assert_same_program (first, fifth);
  cr_assert_eq (write_file_atomic (entry, "not a program", 13, 0600, NULL), 0);
  cleanup_seccomp struct skiff_seccomp *sixth = compile_ok (NULL, SKIFF_CAPS_DEFAULT, cache);
  cr_assert_not (skiff_seccomp_from_cache (sixth));
  cleanup_seccomp struct skiff_seccomp *again = compile_ok (NULL, SKIFF_CAPS_DEFAULT, cache);
  cr_assert (skiff_seccomp_from_cache (again));

  /* an entry others may write is not trusted */
  cr_assert_eq (chmod (entry, 0620), 0);
  cleanup_seccomp struct skiff_seccomp *shared = compile_ok (NULL, SKIFF_CAPS_DEFAULT, cache);
  cr_assert_not (skiff_seccomp_from_cache (shared));
  cleanup_seccomp struct skiff_seccomp *seventh = compile_ok (NULL, SKIFF_CAPS_DEFAULT, cache);
  cr_assert (skiff_seccomp_from_cache (seventh));
  cr_assert_eq (stat (entry, &st), 0);
  cr_assert_eq (st.st_mode & 0777, 0600);

  /* the cached program is the one that runs */
  struct child c;
  run_child (default_profile_child, seventh, &c);
  assert_child_ok (&c);

  /* other caps or another profile: other entries */
  cleanup_seccomp struct skiff_seccomp *admin = compile_ok (NULL, SKIFF_CAPS_DEFAULT | BIT (CAP_SYS_ADMIN), cache);
  cr_assert_not (skiff_seccomp_from_cache (admin));
  cleanup_seccomp struct skiff_seccomp *custom = compile_ok (block_mkdir, SKIFF_CAPS_DEFAULT, cache);
  cr_assert_not (skiff_seccomp_from_cache (custom));
  cleanup_seccomp struct skiff_seccomp *custom2 = compile_ok (block_mkdir, SKIFF_CAPS_DEFAULT, cache);
  cr_assert (skiff_seccomp_from_cache (custom2));
  assert_same_program (custom, custom2);

  /* an unwritable cache is not an error */
  cleanup_seccomp struct skiff_seccomp *nowhere = compile_ok (NULL, 0, "/proc/skiff-no-cache-here");
  cr_assert_not (skiff_seccomp_from_cache (nowhere));

  cr_assert_eq (rm_rf (dir, NULL), 0);
}

static double
best_of (int runs, const char *json, const char *cache, bool want_cached)
{
  uint64_t best = UINT64_MAX;
  for (int i = 0; i < runs; i++)
    {
      uint64_t t0 = now_ns ();
      struct skiff_seccomp *f = compile_raw (json, SKIFF_CAPS_DEFAULT, cache);
      uint64_t t = now_ns () - t0;
      cr_assert_eq (skiff_seccomp_from_cache (f), want_cached);
      skiff_seccomp_free (f);
      if (t < best)
        best = t;
    }
  return (double) best / 1e3;
}

Test (seccomp, cache_is_faster_than_compiling)
{
  char dir[] = "/tmp/skiff-seccomp-bench-XXXXXX";
  cr_assert_not_null (mkdtemp (dir));
  double compile_us = best_of (5, NULL, NULL, false);
  skiff_seccomp_free (compile_ok (NULL, SKIFF_CAPS_DEFAULT, dir));
  double cached_us = best_of (5, NULL, dir, true);
  cr_log_info ("default profile: compile %.0f us, cache hit %.0f us", compile_us, cached_us);
  cr_assert_lt (cached_us * 3, compile_us, "cache hit %.0f us vs compile %.0f us", cached_us, compile_us);
  rm_rf (dir, NULL);
}

/* ---- against podman's profile ---- */

static const uint32_t test_arches[] = {
  SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_AARCH64, SCMP_ARCH_ARM, SCMP_ARCH_PPC64LE, SCMP_ARCH_S390X,
};

/* Every syscall number (and x32's) of several architectures, with argument values the rules look at. */
static void
assert_same_effect (const struct skiff_seccomp *ours, const struct skiff_seccomp *theirs, const char *what)
{
  static const uint64_t a0s[] = { 0, 1, 2, 8, 16, 0x20000, 0x20008, 0xffffffff, 0x100000000ULL, 0x40000 };
  static const uint64_t a2s[] = { 0, 9, 0x109 };
  size_t mismatches = 0;
  char first[256] = "";
  for (size_t a = 0; a < ARRAY_SIZE (test_arches); a++)
    for (uint32_t base = 0; base <= 0x40000000; base += 0x40000000)
      for (uint32_t n = 0; n < 1024; n++)
        for (size_t i = 0; i < ARRAY_SIZE (a0s); i++)
          for (size_t j = 0; j < ARRAY_SIZE (a2s); j++)
            {
              uint64_t args[6] = { a0s[i], 0, a2s[j], 0, 0, 0 };
              uint32_t x = eval (ours, test_arches[a], (int) (base | n), args);
              uint32_t y = eval (theirs, test_arches[a], (int) (base | n), args);
              if (x != y && mismatches++ == 0)
                {
                  char *name = seccomp_syscall_resolve_num_arch (test_arches[a], (int) n);
                  snprintf (first, sizeof first, "arch 0x%x nr %u (%s) a0=0x%llx a2=0x%llx: skiff 0x%x, podman 0x%x",
                            test_arches[a], base | n, name ? name : "?", (unsigned long long) a0s[i],
                            (unsigned long long) a2s[j], x, y);
                  free (name);
                }
            }
  cr_assert_eq (mismatches, 0, "%s: %zu verdicts differ, first: %s", what, mismatches, first);
}

/* The names of the native syscalls a filter allows with zeroed arguments, sorted by number. */
static char **
allowed_names (const struct skiff_seccomp *f)
{
  char **names = NULL;
  for (int nr = 0; nr < 1024; nr++)
    {
      char *name = seccomp_syscall_resolve_num_arch (SCMP_ARCH_NATIVE, nr);
      if (name == NULL)
        continue;
      if (eval (f, seccomp_arch_native (), nr, NULL) == SCMP_ACT_ALLOW)
        strv_push (&names, name);
      free (name);
    }
  return names;
}

Test (seccomp, default_matches_podman_profile)
{
  if (!path_exists (PODMAN_PROFILE))
    cr_skip_test (PODMAN_PROFILE " is not installed (containers-common): nothing to compare with");
  cleanup_free char *json = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (read_file (PODMAN_PROFILE, &json, NULL, &err), 0);

  const uint64_t caps_sets[]
      = { SKIFF_CAPS_DEFAULT, 0, skiff_caps_all (), SKIFF_CAPS_DEFAULT | BIT (CAP_AUDIT_WRITE) | BIT (CAP_NET_RAW),
          SKIFF_CAPS_DEFAULT | BIT (CAP_SYS_ADMIN) | BIT (CAP_SYS_PTRACE) };
  for (size_t i = 0; i < ARRAY_SIZE (caps_sets); i++)
    {
      cleanup_seccomp struct skiff_seccomp *ours = compile_ok (NULL, caps_sets[i], NULL);
      cleanup_seccomp struct skiff_seccomp *theirs = compile_ok (json, caps_sets[i], NULL);
      cleanup_free char *what = xasprintf ("caps 0x%llx", (unsigned long long) caps_sets[i]);
      assert_same_effect (ours, theirs, what);
      if (caps_sets[i] == SKIFF_CAPS_DEFAULT)
        {
          cleanup_strv char **a = allowed_names (ours);
          cleanup_strv char **b = allowed_names (theirs);
          cr_assert_gt (strv_len (a), 250);
          cr_assert_eq (strv_len (a), strv_len (b));
          for (size_t k = 0; a[k]; k++)
            cr_assert_str_eq (a[k], b[k]);
        }
    }
}

/* ---- the rewritten program: short, loaded as such, and faster to load ---- */

static const uint64_t *
caps_sets_for_tests (size_t *n)
{
  static uint64_t sets[5];
  sets[0] = SKIFF_CAPS_DEFAULT;
  sets[1] = 0;
  sets[2] = skiff_caps_all ();
  sets[3] = SKIFF_CAPS_DEFAULT | BIT (CAP_AUDIT_WRITE) | BIT (CAP_NET_RAW);
  sets[4] = SKIFF_CAPS_DEFAULT | BIT (CAP_SYS_ADMIN) | BIT (CAP_SYS_PTRACE);
  *n = ARRAY_SIZE (sets);
  return sets;
}

Test (seccomp, rewritten_default_is_short_and_equivalent)
{
  cleanup_free char *podman = NULL;
  if (path_exists (PODMAN_PROFILE))
    cr_assert_eq (read_file (PODMAN_PROFILE, &podman, NULL, NULL), 0);
  size_t n_sets;
  const uint64_t *sets = caps_sets_for_tests (&n_sets);
  for (size_t i = 0; i < n_sets; i++)
    for (int which = 0; which < (podman ? 2 : 1); which++)
      {
        const char *json = which ? podman : NULL;
        cleanup_seccomp struct skiff_seccomp *ours = compile_raw (json, sets[i], NULL);
        cleanup_seccomp struct skiff_seccomp *lib = compile_libseccomp (json, sets[i]);
        size_t n, n_lib;
        skiff_seccomp_program (ours, &n);
        skiff_seccomp_program (lib, &n_lib);
        cr_log_info ("%s profile, caps 0x%llx: libseccomp %zu instructions, rewritten %zu",
                     which ? "podman's" : "default", (unsigned long long) sets[i], n_lib, n);
        cr_assert_gt (n_lib, 1000);
        cr_assert_lt (n * 3, n_lib, "rewritten %zu vs libseccomp %zu", n, n_lib);
        size_t arg_runs = assert_equivalent (ours, lib, which ? "podman's profile" : "default profile");
        cr_assert_gt (arg_runs, 0); /* the argument rules were exercised */
      }
}

/* Odd shapes for the rewrite: every comparison operator, both halves of 64-bit values, several actions
 * and errnos side by side, 32-bit x86 and x32 next to x86_64, a killing default. */
Test (seccomp, rewritten_custom_shapes)
{
  static const char *const profiles[] = {
    "{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\","
    " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\", \"SCMP_ARCH_AARCH64\"],"
    " \"syscalls\": ["
    "  {\"names\": [\"read\", \"write\", \"close\", \"getpid\", \"getppid\", \"exit\", \"exit_group\"],"
    "   \"action\": \"SCMP_ACT_ALLOW\"},"
    "  {\"names\": [\"open\", \"openat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 2},"
    "  {\"names\": [\"mmap\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": ["
    "    {\"index\": 2, \"value\": 4, \"valueTwo\": 0, \"op\": \"SCMP_CMP_MASKED_EQ\"}]},"
    "  {\"names\": [\"mmap\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13},"
    "  {\"names\": [\"dup\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 3, \"args\": ["
    "    {\"index\": 0, \"value\": 1000, \"op\": \"SCMP_CMP_GT\"}]},"
    "  {\"names\": [\"dup2\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 4, \"args\": ["
    "    {\"index\": 0, \"value\": 2000, \"op\": \"SCMP_CMP_GE\"}]},"
    "  {\"names\": [\"dup3\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 5, \"args\": ["
    "    {\"index\": 0, \"value\": 4242, \"op\": \"SCMP_CMP_LT\"}, {\"index\": 1, \"value\": 18, \"op\": \"SCMP_CMP_LE\"}]},"
    "  {\"names\": [\"kill\"], \"action\": \"SCMP_ACT_TRAP\", \"args\": ["
    "    {\"index\": 0, \"value\": 4294967296, \"op\": \"SCMP_CMP_NE\"}]},"
    "  {\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 22, \"args\": ["
    "    {\"index\": 0, \"value\": 16, \"op\": \"SCMP_CMP_EQ\"}, {\"index\": 2, \"value\": 9, \"op\": \"SCMP_CMP_EQ\"}]},"
    "  {\"names\": [\"socket\", \"socketcall\"], \"action\": \"SCMP_ACT_ALLOW\"},"
    "  {\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 9},"
    "  {\"names\": [\"getuid\", \"getgid\", \"geteuid\"], \"action\": \"SCMP_ACT_LOG\"},"
    "  {\"names\": [\"kexec_load\"], \"action\": \"SCMP_ACT_KILL_THREAD\"}"
    "]}",
    /* allow by default, a few errnos: libseccomp's program is short, the rewrite may not win */
    ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
     "  {\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}"),
    /* nothing listed */
    "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38, \"syscalls\": []}",
  };
  for (size_t i = 0; i < ARRAY_SIZE (profiles); i++)
    skiff_seccomp_free (compile_ok (profiles[i], 0, NULL)); /* checks against libseccomp's program */
}

/* What the kernel holds after skiff_seccomp_install is the short program (PTRACE_SECCOMP_GET_FILTER needs
 * CAP_SYS_ADMIN in the initial user namespace). */
Test (seccomp, kernel_holds_the_rewritten_program)
{
  if (geteuid () != 0)
    cr_skip_test ("PTRACE_SECCOMP_GET_FILTER needs root");
  cleanup_seccomp struct skiff_seccomp *f = compile_ok (NULL, SKIFF_CAPS_DEFAULT, NULL);
  size_t n;
  const struct sock_filter *prog = skiff_seccomp_program (f, &n);
  pid_t pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      if (ptrace (PTRACE_TRACEME, 0, NULL, NULL) < 0 || prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0
          || skiff_seccomp_install (f) < 0)
        _exit (1);
      raise (SIGSTOP);
      _exit (0);
    }
  int status;
  cr_assert_eq (waitpid (pid, &status, 0), pid);
  cr_assert (WIFSTOPPED (status), "status 0x%x", status);
  long got = ptrace (PTRACE_SECCOMP_GET_FILTER, pid, 0, NULL);
  int e = errno;
  struct sock_filter *back = xmalloc0 ((n + 1) * sizeof *back);
  long got2 = got == (long) n ? ptrace (PTRACE_SECCOMP_GET_FILTER, pid, 0, back) : -1;
  kill (pid, SIGKILL);
  waitpid (pid, &status, 0);
  if (got < 0 && (e == EINVAL || e == EACCES || e == EPERM))
    {
      free (back);
      cr_skip_test ("PTRACE_SECCOMP_GET_FILTER: %s", strerror (e));
    }
  cr_assert_eq (got, (long) n, "the kernel holds %ld instructions, the program has %zu", got, n);
  cr_assert_lt (n, 400);
  cr_assert_eq (got2, (long) n);
  cr_assert_eq (memcmp (back, prog, n * sizeof *back), 0);
  free (back);
}

/* The best of runs seccomp(2) loads of f, each in a fresh child with no_new_privs, in microseconds. */
static double
best_load_us (const struct skiff_seccomp *f, int runs)
{
  uint64_t best = UINT64_MAX;
  for (int i = 0; i < runs; i++)
    {
      int p[2];
      cr_assert_eq (pipe2 (p, O_CLOEXEC), 0);
      pid_t pid = fork ();
      cr_assert_geq (pid, 0);
      if (pid == 0)
        {
          uint64_t t = UINT64_MAX;
          if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)
            {
              uint64_t t0 = now_ns ();
              if (skiff_seccomp_install (f) == 0)
                t = now_ns () - t0;
            }
          _exit (write (p[1], &t, sizeof t) == sizeof t ? 0 : 1);
        }
      close (p[1]);
      uint64_t t = UINT64_MAX;
      cr_assert_eq (read_all (p[0], &t, sizeof t), (ssize_t) sizeof t);
      close (p[0]);
      int status;
      cr_assert_eq (waitpid (pid, &status, 0), pid);
      cr_assert_neq (t, UINT64_MAX, "the load failed");
      if (t < best)
        best = t;
    }
  return (double) best / 1e3;
}

Test (seccomp, rewritten_program_loads_faster)
{
  cleanup_seccomp struct skiff_seccomp *ours = compile_raw (NULL, SKIFF_CAPS_DEFAULT, NULL);
  cleanup_seccomp struct skiff_seccomp *lib = compile_libseccomp (NULL, SKIFF_CAPS_DEFAULT);
  size_t n, n_lib;
  skiff_seccomp_program (ours, &n);
  skiff_seccomp_program (lib, &n_lib);
  double lib_us = best_load_us (lib, 50), ours_us = best_load_us (ours, 50);
  cr_log_info ("default profile: seccomp(2) load, best of 50: libseccomp's %zu instructions %.1f us, "
               "rewritten %zu instructions %.1f us",
               n_lib, lib_us, n, ours_us);
  cr_assert_lt (ours_us, lib_us);
}

/* The rewrite on hand-written programs: a JSET on the number, a reload of it after an argument check,
 * and shapes it must refuse (the caller then keeps libseccomp's program). */
Test (seccomp, rewrite_pass_on_handwritten_programs)
{
  const struct sock_filter prog[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, 4),                        /* 0 */
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0), /* 1 */
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),          /* 2 */
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, 0),                        /* 3 */
    BPF_JUMP (BPF_JMP | BPF_JSET | BPF_K, 0x40000000, 0, 4),       /* 4 */
    BPF_JUMP (BPF_JMP | BPF_JGE | BPF_K, 0x40000200, 1, 0),        /* 5 */
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, 0x40000001, 1, 2),        /* 6 */
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),             /* 7 */
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                 /* 8 */
    BPF_JUMP (BPF_JMP | BPF_JGT | BPF_K, 500, 0, 1),               /* 9 */
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 3),             /* 10 */
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 4),                 /* 11 */
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, 16),                       /* 12 */
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, 5, 0, 1),                 /* 13 */
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                 /* 14 */
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, 0),                        /* 15 */
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, 8, 0, 1),                 /* 16 */
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_TRAP),                  /* 17 */
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, 7, 1, 0),                 /* 18 */
    BPF_JUMP (BPF_JMP | BPF_JGE | BPF_K, 100, 1, 2),               /* 19 */
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 7),             /* 20 */
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 2),             /* 21 */
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                 /* 22 */
  };
  struct sock_filter out[BPF_MAXINSNS];
  size_t n = skiff_seccomp_bpf_optimize (prog, ARRAY_SIZE (prog), out, BPF_MAXINSNS);
  cr_assert_gt (n, 0);
  uint32_t nrs[4096];
  size_t n_nrs = 0;
  for (uint32_t v = 0; v < 600; v++)
    nrs[n_nrs++] = v;
  for (uint32_t v = 0x40000000 - 3; v < 0x40000000 + 0x203; v++)
    nrs[n_nrs++] = v;
  for (uint32_t v = 0; v < 1000; v++)
    nrs[n_nrs++] = v * 4294967u + 13;
  const uint32_t arches[] = { AUDIT_ARCH_X86_64, AUDIT_ARCH_I386 };
  for (size_t a = 0; a < ARRAY_SIZE (arches); a++)
    for (size_t i = 0; i < n_nrs; i++)
      for (uint64_t a0 = 4; a0 < 7; a0++)
        {
          struct seccomp_data d = { .nr = (int) nrs[i], .arch = arches[a], .args = { a0 } };
          cr_assert_eq (bpf_run (out, n, &d), bpf_run (prog, ARRAY_SIZE (prog), &d), "nr 0x%x a0 %llu", nrs[i],
                        (unsigned long long) a0);
        }

  /* RET A, the X register, scratch memory: refused */
  const struct sock_filter ret_a[] = { BPF_STMT (BPF_LD | BPF_W | BPF_ABS, 0), BPF_STMT (BPF_RET | BPF_A, 0) };
  const struct sock_filter ldx[] = { BPF_STMT (BPF_LDX | BPF_W | BPF_IMM, 1), BPF_STMT (BPF_RET | BPF_K, 0) };
  const struct sock_filter st[] = { BPF_STMT (BPF_ST, 0), BPF_STMT (BPF_RET | BPF_K, 0) };
  const struct sock_filter off_end[] = { BPF_STMT (BPF_LD | BPF_W | BPF_ABS, 0),
                                         BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1), BPF_STMT (BPF_RET | BPF_K, 0) };
  cr_assert_eq (skiff_seccomp_bpf_optimize (ret_a, 2, out, BPF_MAXINSNS), 0);
  cr_assert_eq (skiff_seccomp_bpf_optimize (ldx, 2, out, BPF_MAXINSNS), 0);
  cr_assert_eq (skiff_seccomp_bpf_optimize (st, 2, out, BPF_MAXINSNS), 0);
  cr_assert_eq (skiff_seccomp_bpf_optimize (off_end, 3, out, BPF_MAXINSNS), 0);
  /* and a program that does not fit is refused, not cut */
  cr_assert_eq (skiff_seccomp_bpf_optimize (prog, ARRAY_SIZE (prog), out, 3), 0);
}
