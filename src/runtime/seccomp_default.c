/* skiff's default seccomp profile as C data. Its policy is podman's default (containers-common's
 * seccomp.json): unknown syscalls fail with ENOSYS so that libcs fall back, a short list of dangerous
 * ones fail with EPERM, and the privileged ones are allowed only with the capability that guards them. */
#include <errno.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <sys/personality.h>
#include <sys/socket.h>

#include "seccomp_internal.h"
#include "util/util.h"

#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define ARCHES(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define CAP(c) (UINT64_C (1) << (c))
#define ARGS(...)                                                                                                 \
  .args = (const struct skiff_seccomp_arg[]){ __VA_ARGS__ },                                                     \
  .n_args = sizeof ((const struct skiff_seccomp_arg[]){ __VA_ARGS__ }) / sizeof (struct skiff_seccomp_arg)
#define ARG(index_, op_, value_)                                                                                 \
  {                                                                                                               \
    .index = (index_), .value = (value_), .value_two = 0, .op = (op_)                                             \
  }

#define ALLOW SCMP_ACT_ALLOW
#define DENY_EPERM SCMP_ACT_ERRNO (EPERM)

/* personality(0xffffffff) only reads the current persona. */
#define PERSONALITY_QUERY 0xffffffffULL

/* Obsolete, or able to harm the host whatever the namespace: EPERM, which programs read as "not allowed"
 * (where ENOSYS would say the kernel lacks the call). */
static const char *const blocked_eperm[] = {
  "bdflush", "io_pgetevents", "kexec_file_load", "kexec_load", "migrate_pages", "move_pages", "nfsservctl",
  "nice", "oldfstat", "oldlstat", "oldolduname", "oldstat", "olduname", "pciconfig_iobase", "pciconfig_read",
  "pciconfig_write", "sgetmask", "ssetmask", "swapcontext", "swapoff", "swapon", "sysfs", "uselib",
  "userfaultfd", "ustat", "vm86", "vm86old", "vmsplice",
  NULL,
};

/* What an ordinary program needs. Namespaced operations (mount, unshare, setns, pivot_root...) are here
 * because the kernel checks the capabilities of the container's user namespace for them. */
static const char *const allowed[] = {
  "_llseek", "_newselect", "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget",
  "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
  "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64",
  "clone", "clone3", "close", "close_range", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3",
  "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait",
  "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
  "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat",
  "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock",
  "fork", "fremovexattr", "fsconfig", "fsetxattr", "fsmount", "fsopen", "fspick", "fstat", "fstat64",
  "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_time64",
  "futimesat", "get_mempolicy", "get_robust_list", "get_thread_area", "getcpu", "getcwd", "getdents",
  "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
  "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
  "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit", "getrusage", "getsid",
  "getsockname", "getsockopt", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch",
  "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents", "io_setup",
  "io_submit", "ioctl", "ioprio_get", "ioprio_set", "ipc", "keyctl", "kill", "landlock_add_rule",
  "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat",
  "listen", "listxattr", "llistxattr", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise",
  "mbind", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat",
  "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mount", "mount_setattr", "move_mount", "mprotect",
  "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
  "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
  "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "open", "open_tree", "openat",
  "openat2", "pause", "pidfd_getfd", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pivot_root",
  "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv",
  "preadv2", "prlimit64", "process_mrelease", "process_vm_readv", "process_vm_writev", "pselect6",
  "pselect6_time64", "ptrace", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readdir", "readlink",
  "readlinkat", "readv", "reboot", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
  "remap_file_pages", "removexattr", "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq",
  "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
  "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_get_priority_max",
  "sched_get_priority_min", "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_getscheduler",
  "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
  "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop",
  "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto",
  "set_mempolicy", "set_robust_list", "set_thread_area", "set_tid_address", "setfsgid", "setfsgid32",
  "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setns", "setpgid",
  "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid",
  "setreuid32", "setrlimit", "setsid", "setsockopt", "setuid", "setuid32", "setxattr", "shmat", "shmctl",
  "shmdt", "shmget", "shutdown", "sigaction", "sigaltstack", "signal", "signalfd", "signalfd4", "sigpending",
  "sigprocmask", "sigreturn", "sigsuspend", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs",
  "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "syscall", "sysinfo",
  "syslog", "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
  "timer_gettime64", "timer_settime", "timer_settime64", "timerfd", "timerfd_create", "timerfd_gettime",
  "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
  "ugetrlimit", "umask", "umount", "umount2", "uname", "unlink", "unlinkat", "unshare", "utime", "utimensat",
  "utimensat_time64", "utimes", "vfork", "wait4", "waitid", "waitpid", "write", "writev",
  NULL,
};

/* Each list below is allowed with its capability and EPERM without it. */
static const char *const need_dac_read_search[] = { "open_by_handle_at", NULL };
static const char *const need_sys_admin[] = { "bpf",      "fanotify_init", "lookup_dcookie", "perf_event_open",
                                              "quotactl", "setdomainname", "sethostname",    "setns",
                                              NULL };
static const char *const need_sys_chroot[] = { "chroot", NULL };
static const char *const need_sys_module[] = { "delete_module", "finit_module", "init_module", "query_module", NULL };
static const char *const need_sys_pacct[] = { "acct", NULL };
static const char *const need_sys_ptrace[] = { "kcmp", "process_madvise", NULL };
static const char *const need_sys_rawio[] = { "ioperm", "iopl", NULL };
static const char *const need_sys_time[] = { "clock_settime", "clock_settime64", "settimeofday", "stime", NULL };
static const char *const need_sys_tty_config[] = { "vhangup", NULL };

#define NEEDS_CAP(list, cap)                                                                                      \
  { .names = (list), .action = ALLOW, .includes = { .caps = CAP (cap) } },                                        \
  {                                                                                                               \
    .names = (list), .action = DENY_EPERM, .excludes = {.caps = CAP (cap) }                                          \
  }

static const struct skiff_seccomp_rule rules[] = {
  { .names = blocked_eperm, .action = DENY_EPERM },
  { .names = allowed, .action = ALLOW },

  /* personality(2) only to query, or to ask for the plain Linux personalities (setarch, 32-bit builds,
   * uname26): not to turn off address space randomisation or enable READ_IMPLIES_EXEC. */
  { .names = NAMES ("personality"), .action = ALLOW, ARGS (ARG (0, SCMP_CMP_EQ, PER_LINUX)) },
  { .names = NAMES ("personality"), .action = ALLOW, ARGS (ARG (0, SCMP_CMP_EQ, PER_LINUX32)) },
  { .names = NAMES ("personality"), .action = ALLOW, ARGS (ARG (0, SCMP_CMP_EQ, UNAME26)) },
  { .names = NAMES ("personality"), .action = ALLOW, ARGS (ARG (0, SCMP_CMP_EQ, UNAME26 | PER_LINUX32)) },
  { .names = NAMES ("personality"), .action = ALLOW, ARGS (ARG (0, SCMP_CMP_EQ, PERSONALITY_QUERY)) },

  /* Architecture-specific calls, for the native architecture named as libseccomp-golang names it. */
  { .names = NAMES ("sync_file_range2"), .action = ALLOW, .includes = { .arches = ARCHES ("ppc64le") } },
  { .names = NAMES ("arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush",
                    "set_tls"),
    .action = ALLOW,
    .includes = { .arches = ARCHES ("arm", "arm64") } },
  { .names = NAMES ("arch_prctl"), .action = ALLOW, .includes = { .arches = ARCHES ("amd64", "x32") } },
  { .names = NAMES ("modify_ldt"), .action = ALLOW, .includes = { .arches = ARCHES ("amd64", "x32", "x86") } },
  { .names = NAMES ("s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"),
    .action = ALLOW,
    .includes = { .arches = ARCHES ("s390", "s390x") } },

  NEEDS_CAP (need_dac_read_search, CAP_DAC_READ_SEARCH),
  NEEDS_CAP (need_sys_admin, CAP_SYS_ADMIN),
  NEEDS_CAP (need_sys_chroot, CAP_SYS_CHROOT),
  NEEDS_CAP (need_sys_module, CAP_SYS_MODULE),
  NEEDS_CAP (need_sys_pacct, CAP_SYS_PACCT),
  NEEDS_CAP (need_sys_ptrace, CAP_SYS_PTRACE),
  NEEDS_CAP (need_sys_rawio, CAP_SYS_RAWIO),
  NEEDS_CAP (need_sys_time, CAP_SYS_TIME),
  NEEDS_CAP (need_sys_tty_config, CAP_SYS_TTY_CONFIG),

  /* Without CAP_AUDIT_WRITE, an audit netlink socket fails with EINVAL, which login programs (sshd, su)
   * take as "no audit support" and carry on; with EPERM they would refuse to work. */
  { .names = NAMES ("socket"),
    .action = SCMP_ACT_ERRNO (EINVAL),
    ARGS (ARG (0, SCMP_CMP_EQ, AF_NETLINK), ARG (2, SCMP_CMP_EQ, NETLINK_AUDIT)),
    .excludes = { .caps = CAP (CAP_AUDIT_WRITE) } },
  { .names = NAMES ("socket"),
    .action = ALLOW,
    ARGS (ARG (2, SCMP_CMP_NE, NETLINK_AUDIT)),
    .excludes = { .caps = CAP (CAP_AUDIT_WRITE) } },
  { .names = NAMES ("socket"),
    .action = ALLOW,
    ARGS (ARG (0, SCMP_CMP_NE, AF_NETLINK)),
    .excludes = { .caps = CAP (CAP_AUDIT_WRITE) } },
  { .names = NAMES ("socket"), .action = ALLOW, .includes = { .caps = CAP (CAP_AUDIT_WRITE) } },
};

static const struct skiff_seccomp_arch_map arch_map[] = {
  { "SCMP_ARCH_X86_64", ARCHES ("SCMP_ARCH_X86", "SCMP_ARCH_X32") },
  { "SCMP_ARCH_AARCH64", ARCHES ("SCMP_ARCH_ARM") },
  { "SCMP_ARCH_MIPS64", ARCHES ("SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32") },
  { "SCMP_ARCH_MIPS64N32", ARCHES ("SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64") },
  { "SCMP_ARCH_MIPSEL64", ARCHES ("SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32") },
  { "SCMP_ARCH_MIPSEL64N32", ARCHES ("SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64") },
  { "SCMP_ARCH_S390X", ARCHES ("SCMP_ARCH_S390") },
};

const struct skiff_seccomp_profile skiff_seccomp_default_profile = {
  .default_action = SCMP_ACT_ERRNO (ENOSYS),
  .arch_map = arch_map,
  .n_arch_map = ARRAY_SIZE (arch_map),
  .rules = rules,
  .n_rules = ARRAY_SIZE (rules),
};
