/* The container child: cloned into new namespaces, it builds its mounts, pivots into the root filesystem,
 * takes its identity and limits, confines itself (seccomp, capabilities) and execs. Errors before the
 * exec travel back to the parent over a SOCK_SEQPACKET sync socket, as crun does; the socket is
 * close-on-exec, so end-of-file tells the parent that the exec succeeded. */
#include "runtime/runtime.h"

#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>

#include "runtime/caps.h"
#include "runtime/mounts.h"
#include "runtime/process.h"
#include "runtime/sync.h"
#include "util/interrupt.h"

/* signals skiff forwards to the container; blocked from before the clone until the child execs */
const int skiff_forwarded_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD, 0 };

static int
loopback_up (skiff_error_t *err)
{
  cleanup_close int s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return skiff_error_set (err, errno, "socket");
  struct ifreq ifr = { 0 };
  snprintf (ifr.ifr_name, sizeof ifr.ifr_name, "lo");
  if (ioctl (s, SIOCGIFFLAGS, &ifr) < 0)
    return skiff_error_set (err, errno, "read the flags of lo");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl (s, SIOCSIFFLAGS, &ifr) < 0)
    return skiff_error_set (err, errno, "bring lo up");
  return 0;
}

static int
join_ns (pid_t pid, const char *ns, int type, skiff_error_t *err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/ns/%s", (int) pid, ns);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_set (err, errno, "open the %s namespace to join (%s): is the container it belongs to running?",
                            ns, path);
  if (setns (fd, type) < 0)
    return skiff_error_set (err, errno, "join the %s namespace %s", ns, path);
  return 0;
}

/* A pod's infra: its namespaces are the point; it sleeps until it is killed */
static void __attribute__ ((noreturn)) hold_namespaces (int sync)
{
  skiff_set_process_title ("skiff-infra");
  close (sync);
  sigset_t all;
  sigfillset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);
  for (;;)
    pause ();
}

static bool
gid_mapped (gid_t gid)
{
  struct skiff_idmap map;
  if (skiff_userns_current_map (&map, NULL) < 0)
    return false;
  for (size_t i = 0; i < map.ngid; i++)
    if (gid >= map.gid[i].inside && gid - map.gid[i].inside < map.gid[i].count)
      return true;
  return false;
}

static int
do_pivot_root (const char *rootfs, skiff_error_t *err)
{
  cleanup_close int oldroot = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  cleanup_close int newroot = open (rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0 || newroot < 0)
    return skiff_error_set (err, errno, "open the root filesystem `%s`", rootfs);
  if (fchdir (newroot) < 0)
    return skiff_error_set (err, errno, "chdir to the root filesystem");
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return skiff_error_set (err, errno, "pivot_root");
  if (fchdir (oldroot) < 0)
    return skiff_error_set (err, errno, "chdir to the old root");
  /* the old root is stacked under the new one: hide it from everything but us, then detach it */
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return skiff_error_set (err, errno, "make the old root a slave");
  if (umount2 (".", MNT_DETACH) < 0)
    return skiff_error_set (err, errno, "detach the old root");
  if (chdir ("/") < 0)
    return skiff_error_set (err, errno, "chdir /");
  return 0;
}

/* --userns: the caller writes the child's maps (it is root in the namespace above, so any of its IDs may be
 * mapped) */
static int
write_map (pid_t pid, const char *file, const struct skiff_idrange *r, size_t n, skiff_error_t *err)
{
  char buf[SKIFF_MAX_IDRANGES * 36 + 1];
  size_t len = 0;
  for (size_t i = 0; i < n; i++)
    len += (size_t) snprintf (buf + len, sizeof buf - len, "%u %u %u\n", r[i].inside, r[i].outside, r[i].count);
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, file);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write_all (fd, buf, len) < 0)
    return skiff_error_set (err, errno, "write the container's %s (%s)", file, path);
  return 0;
}

/* In the child: wait until the maps are written, then become the namespace's root */
static void
userns_wait (int mapfd, int sync)
{
  skiff_error_t err = NULL;
  char c = 0;
  ssize_t n;
  while ((n = read (mapfd, &c, 1)) < 0 && errno == EINTR)
    ;
  close (mapfd);
  if (n != 1 || c != 'm')
    _exit (1);
  if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
    {
      skiff_error_set (&err, errno, "become root in the container's user namespace");
      skiff_sync_fail (sync, &err, "container setup failed");
    }
}

static void __attribute__ ((noreturn)) child_main (const struct skiff_container_config *cfg, int sync, int mapfd)
{
  skiff_error_t err = NULL;
  if (mapfd >= 0)
    userns_wait (mapfd, sync);
  sigset_t none;
  sigemptyset (&none);
  for (int i = 0; skiff_forwarded_signals[i]; i++)
    signal (skiff_forwarded_signals[i], SIG_DFL);
  signal (SIGPIPE, SIG_DFL);
  sigprocmask (SIG_SETMASK, &none, NULL);
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  /* never in the caller's session: a terminal skiff was started from is not the container's controlling
   * terminal, so TIOCSTI on it fails (a program in the image could otherwise type into the user's shell) */
  if (setsid () < 0)
    {
      skiff_error_set (&err, errno, "setsid");
      skiff_sync_fail (sync, &err, "container setup failed");
    }

  /* namespaces of another process (a pod's infra, --network container:): joined first, /proc still the host's */
  if ((cfg->join_net_pid && join_ns (cfg->join_net_pid, "net", CLONE_NEWNET, &err) < 0)
      || (cfg->join_ipc_pid && join_ns (cfg->join_ipc_pid, "ipc", CLONE_NEWIPC, &err) < 0)
      || (cfg->join_uts_pid && join_ns (cfg->join_uts_pid, "uts", CLONE_NEWUTS, &err) < 0))
    skiff_sync_fail (sync, &err, "container setup failed");
  if (!cfg->share_host_network && !cfg->join_net_pid)
    {
      if (loopback_up (&err) < 0)
        skiff_sync_fail (sync, &err, "container setup failed");
      int tap = -1;
      if (cfg->net_setup && cfg->net_setup (cfg->net_setup_data, &tap, &err) < 0)
        skiff_sync_fail (sync, &err, "container setup failed");
      if (tap >= 0)
        {
          int r = skiff_sync_send_tap (sync, tap);
          close (tap);
          if (r < 0)
            {
              skiff_error_set (&err, -r, "send the network device to skiff");
              skiff_sync_fail (sync, &err, "container setup failed");
            }
        }
    }
  if (cfg->hostname && !cfg->join_uts_pid && sethostname (cfg->hostname, strlen (cfg->hostname)) < 0)
    {
      skiff_error_set (&err, errno, "sethostname");
      skiff_sync_fail (sync, &err, "container setup failed");
    }
  if (cfg->hold_only)
    hold_namespaces (sync);
  if (mount (NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
    {
      skiff_error_set (&err, errno, "make / a slave mount");
      skiff_sync_fail (sync, &err, "container setup failed");
    }
  char *rootfs = (char *) cfg->rootfs;
  if (cfg->mount_rootfs && cfg->mount_rootfs (cfg->mount_rootfs_data, &rootfs, &err) < 0)
    skiff_sync_fail (sync, &err, "container setup failed");
  if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    {
      skiff_error_set (&err, errno, "bind the root filesystem `%s`", rootfs);
      skiff_sync_fail (sync, &err, "container setup failed");
    }
  int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    {
      skiff_error_set (&err, errno, "open the root filesystem `%s`", rootfs);
      skiff_sync_fail (sync, &err, "container setup failed");
    }
  if (skiff_mounts_setup (rootfd, cfg, gid_mapped (5), &err) < 0)
    skiff_sync_fail (sync, &err, "container setup failed");
  close (rootfd);

  if (!cfg->terminal && cfg->use_stdio_fds)
    {
      if (skiff_stdio_dup (cfg->stdio_fds, &err) < 0)
        skiff_sync_fail (sync, &err, "container setup failed");
    }
  else if (!cfg->terminal && !cfg->stdin_open)
    {
      int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
      if (null < 0 || dup2 (null, 0) < 0)
        {
          skiff_error_set (&err, errno, "open /dev/null");
          skiff_sync_fail (sync, &err, "container setup failed");
        }
      close (null);
    }
  /* --preserve-fds: the caller's descriptors, held close-on-exec until here, reach the command */
  for (unsigned i = 0; i < cfg->preserve_fds; i++)
    if (fcntl (3 + (int) i, F_SETFD, 0) < 0)
      {
        skiff_error_set (&err, errno, "pass file descriptor %u on (--preserve-fds)", 3 + i);
        skiff_sync_fail (sync, &err, "container setup failed");
      }
  if (do_pivot_root (rootfs, &err) < 0)
    skiff_sync_fail (sync, &err, "container setup failed");
  /* --read-only: the mount plan's last step made the root read-only, on rootfd, which is the mount that
   * pivot_root has just made "/" */
  if (cfg->terminal && skiff_pty_setup_child (sync, cfg->rows, cfg->cols, &err) < 0)
    skiff_sync_fail (sync, &err, "container setup failed");

  struct skiff_user user;
  if (skiff_user_resolve ("/", cfg->user, &user, &err) < 0)
    skiff_sync_fail (sync, &err, "container setup failed");
  /* U: the mount's tree belongs to the container's user (through the ID map, as podman's chown of the source) */
  for (size_t i = 0; i < cfg->nuser_mounts; i++)
    if (cfg->user_mounts[i].chown_to_user
        && skiff_chown_tree (cfg->user_mounts[i].destination, user.uid, user.gid, &err) < 0)
      skiff_sync_fail (sync, &err, "container setup failed");
  user.keep_groups = cfg->keep_groups;

  /* no PATH of skiff's own: --unsetenv-all leaves none (podman), and the lookup below has a default */
  cleanup_strv char **env = strv_dup (cfg->env);
  skiff_env_set (&env, "HOME", user.home, false);
  if (cfg->hostname)
    skiff_env_set (&env, "HOSTNAME", cfg->hostname, false);
  if (cfg->terminal)
    skiff_env_set (&env, "TERM", "xterm", false);

  const char *cwd = cfg->cwd && *cfg->cwd ? cfg->cwd : "/";
  if (chdir (cwd) < 0)
    {
      if (errno == ENOENT && cfg->cwd_must_exist)
        {
          /* podman's words; as a failed exec, 126 */
          skiff_error_set_code (&err, SKIFF_EXIT_CANNOT_EXEC, 0, "workdir \"%s\" does not exist on container %s", cwd,
                                cfg->id ? cfg->id : "");
          skiff_sync_fail (sync, &err, "container setup failed");
        }
      if (errno != ENOENT || mkdir_p (cwd, 0755, &err) < 0 || chdir (cwd) < 0)
        {
          skiff_error_set (&err, errno, "chdir to the working directory `%s`", cwd);
          skiff_sync_fail (sync, &err, "container setup failed");
        }
    }
  for (size_t i = 0; i < cfg->nrlimits; i++)
    if (setrlimit (cfg->rlimits[i].resource, &cfg->rlimits[i].limit) < 0)
      {
        skiff_error_set (&err, errno, "setrlimit %s", skiff_rlimit_name (cfg->rlimits[i].resource));
        skiff_sync_fail (sync, &err, "container setup failed");
      }

  if (cfg->argv == NULL || cfg->argv[0] == NULL)
    {
      skiff_error_set (&err, 0, "no command specified: the image has no CMD or ENTRYPOINT; give one after the image");
      skiff_sync_fail (sync, &err, "container setup failed");
    }
  cleanup_free char *exe = NULL;
  if (skiff_find_executable (cfg->argv[0], skiff_env_get (env, "PATH"), &exe, &err) < 0)
    skiff_sync_fail (sync, &err, "container setup failed");

  /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which we hold only before the identity
   * change; with it, the filter goes last and a profile need not allow setresuid & co. */
  if (cfg->seccomp && !cfg->no_new_privileges)
    {
      int r = skiff_seccomp_install (cfg->seccomp);
      if (r < 0)
        {
          skiff_error_set (&err, -r, "load the seccomp filter");
          skiff_sync_fail (sync, &err, "container setup failed");
        }
    }
  if (skiff_process_set_identity (&user, cfg->caps, &err) < 0)
    skiff_sync_fail (sync, &err, "container setup failed");
  if (cfg->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    {
      skiff_error_set (&err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
      skiff_sync_fail (sync, &err, "container setup failed");
    }
  if (cfg->seccomp && cfg->no_new_privileges)
    {
      int r = skiff_seccomp_install (cfg->seccomp);
      if (r < 0)
        {
          skiff_error_set (&err, -r, "load the seccomp filter");
          skiff_sync_fail (sync, &err, "container setup failed");
        }
    }
  skiff_test_point ("container-setup");
  execve (exe, cfg->argv, env);
  int e = errno;
  if (e == ENOENT)
    skiff_error_set_code (&err, SKIFF_EXIT_NOT_FOUND, e,
                          "%s: OCI runtime attempted to invoke a command that was not found", exe);
  else if (e == E2BIG)
    skiff_exec_too_big_error (cfg->argv, env, &err);
  else
    skiff_error_set_code (&err, SKIFF_EXIT_CANNOT_EXEC, e, "exec: \"%s\": permission denied: OCI permission denied",
                          exe);
  skiff_sync_fail (sync, &err, "container setup failed");
}

/* A signalfd of the interrupts (they are blocked with the forwarded signals): set-up can be cut short */
static int
interrupt_fd (void)
{
  sigset_t set;
  sigemptyset (&set);
  for (int i = 0; skiff_interrupt_signals[i]; i++)
    sigaddset (&set, skiff_interrupt_signals[i]);
  return signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int
skiff_container_spawn (const struct skiff_container_config *cfg, struct skiff_container_process *out,
                       skiff_error_t *err)
{
  out->pid = -1;
  out->wait_pid = 0;
  out->pty_master = -1;
  out->tap_fd = -1;
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return skiff_error_set (err, errno, "socketpair");
  sigset_t block, old;
  sigemptyset (&block);
  for (int i = 0; skiff_forwarded_signals[i]; i++)
    sigaddset (&block, skiff_forwarded_signals[i]);
  sigprocmask (SIG_BLOCK, &block, &old);
  if (skiff_interrupted ())
    {
      close (sv[0]);
      close (sv[1]);
      sigprocmask (SIG_SETMASK, &old, NULL);
      return skiff_interrupt_error (err, skiff_interrupted (), "the container was being set up");
    }

  unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWCGROUP;
  if (!cfg->share_host_network && !cfg->join_net_pid)
    flags |= CLONE_NEWNET;
  if (!cfg->join_ipc_pid)
    flags |= CLONE_NEWIPC;
  if (!cfg->join_uts_pid)
    flags |= CLONE_NEWUTS;
  int mapfds[2] = { -1, -1 };
  if (cfg->userns_map)
    {
      flags |= CLONE_NEWUSER;
      if (pipe2 (mapfds, O_CLOEXEC) < 0)
        {
          int e = errno;
          close (sv[0]);
          close (sv[1]);
          sigprocmask (SIG_SETMASK, &old, NULL);
          return skiff_error_set (err, e, "pipe");
        }
    }
  /* the raw syscall with no stack behaves like fork(2) with namespace flags */
  pid_t pid = (pid_t) syscall (SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0)
    {
      int e = errno;
      close (sv[0]);
      close (sv[1]);
      if (mapfds[0] >= 0)
        {
          close (mapfds[0]);
          close (mapfds[1]);
        }
      sigprocmask (SIG_SETMASK, &old, NULL);
      return skiff_error_set (err, e, "create the container's namespaces");
    }
  if (pid == 0)
    {
      close (sv[0]);
      if (mapfds[1] >= 0)
        close (mapfds[1]);
      child_main (cfg, sv[1], mapfds[0]);
    }
  close (sv[1]);
  if (mapfds[0] >= 0)
    {
      close (mapfds[0]);
      int r = write_map (pid, "uid_map", cfg->userns_map->uid, cfg->userns_map->nuid, err);
      if (r == 0)
        r = write_map (pid, "gid_map", cfg->userns_map->gid, cfg->userns_map->ngid, err);
      if (r == 0 && write_all (mapfds[1], "m", 1) < 0)
        r = skiff_error_set (err, errno, "let the container go on");
      close (mapfds[1]);
      if (r < 0)
        {
          kill (pid, SIGKILL);
          while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
            ;
          close (sv[0]);
          sigprocmask (SIG_SETMASK, &old, NULL);
          out->pid = -1;
          return -1;
        }
    }
  cleanup_close int sync = sv[0];
  cleanup_close int sigfd = interrupt_fd ();
  out->pid = pid;
  int received = skiff_sync_receive (sync, sigfd, &out->pty_master, &out->tap_fd, "container process", err);
  /* end-of-file is the exec, unless the child died first without a word (an infra closes it on purpose) */
  if (received == 0 && (cfg->hold_only || !skiff_sync_died_before_exec (pid)))
    return 0;
  if (received < 0 && *err && (*err)->status == EINTR)
    {
      /* interrupted while the child sets up: it goes now, and the caller learns why */
      kill (pid, SIGKILL);
      skiff_interrupt_note ((*err)->exit_code - SKIFF_EXIT_SIGNAL_BASE);
    }
  if (out->tap_fd >= 0)
    close (out->tap_fd);
  out->tap_fd = -1;
  /* the child failed before exec: reap it */
  int status;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (received == 0)
    skiff_sync_early_death_error (status, cfg->seccomp != NULL, err);
  if (out->pty_master >= 0)
    close (out->pty_master);
  out->pty_master = -1;
  out->pid = -1;
  sigprocmask (SIG_SETMASK, &old, NULL);
  return -1;
}
