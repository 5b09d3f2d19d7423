/* exec: start a process inside a running container. The caller (already in skiff's user namespace) joins
 * the container's PID namespace for its children, forks, and the child enters the container's IPC, UTS,
 * network, cgroup and (last) mount namespaces, takes the container's root, then the same identity and
 * confinement steps as the container's own process. Errors before the exec come back over a sync socket, as
 * in container.c. */
#include "runtime/runtime.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>

#include "runtime/caps.h"
#include "runtime/process.h"
#include "runtime/sync.h"

extern const int skiff_forwarded_signals[];

/* The namespaces a process joins, in order: the mount namespace last, because entering it changes what
 * /proc and every path mean. The PID namespace is joined by the parent before the fork. */
static const struct
{
  const char *name;
  int flag;
} exec_namespaces[] = {
  { "user", CLONE_NEWUSER }, /* first: a container's own (--userns) owns the others */
  { "ipc", CLONE_NEWIPC },       { "uts", CLONE_NEWUTS }, { "net", CLONE_NEWNET },
  { "cgroup", CLONE_NEWCGROUP }, { "mnt", CLONE_NEWNS },
};
#define EXEC_NNS ARRAY_SIZE (exec_namespaces)
/* where the intermediate keeps its end of the PID pipe, through which it also reports the exec process's end */
#define EXEC_REPORT_FD 3

/* What the intermediate says once the exec process has ended: whether it died before its command started
 * (told by the kernel's PF_FORKNOEXEC, while the process is still its unreaped child), and its wait status. */
struct exec_report
{
  int before_exec;
  int status;
};

struct exec_fds
{
  int ns[EXEC_NNS]; /* -1: the same namespace as ours, nothing to join */
  int pidns;        /* -1: the same as ours */
  int root;         /* the container's root directory (/proc/PID/root) */
};

static void
exec_fds_close (struct exec_fds *f)
{
  for (size_t i = 0; i < EXEC_NNS; i++)
    if (f->ns[i] >= 0)
      close (f->ns[i]);
  if (f->pidns >= 0)
    close (f->pidns);
  if (f->root >= 0)
    close (f->root);
}

static bool
same_file (int a, const char *ours)
{
  struct stat sa, sb;
  return fstat (a, &sa) == 0 && stat (ours, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Open the container's namespaces; one that is also ours (--network host) is skipped, since it is joined
 * already. */
static int
open_namespaces (pid_t pid, struct exec_fds *f, skiff_error_t *err)
{
  for (size_t i = 0; i < EXEC_NNS; i++)
    f->ns[i] = -1;
  f->pidns = f->root = -1;
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/ns/pid", (int) pid);
  f->pidns = open (path, O_RDONLY | O_CLOEXEC);
  if (f->pidns < 0)
    return skiff_error_set (err, errno, "open the PID namespace of the container process %d", (int) pid);
  /* a container's PID 1 always has a PID namespace of its own: if this one is ours, the PID was reused */
  if (same_file (f->pidns, "/proc/self/ns/pid"))
    return skiff_error_set_status (err, ESRCH,
                                   "process %d is not a container (its PID namespace is ours): "
                                   "container state improper",
                                   (int) pid);
  for (size_t i = 0; i < EXEC_NNS; i++)
    {
      snprintf (path, sizeof path, "/proc/%d/ns/%s", (int) pid, exec_namespaces[i].name);
      int fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return skiff_error_set (err, errno, "open `%s`", path);
      char ours[64];
      snprintf (ours, sizeof ours, "/proc/self/ns/%s", exec_namespaces[i].name);
      if (same_file (fd, ours))
        close (fd);
      else
        f->ns[i] = fd;
    }
  snprintf (path, sizeof path, "/proc/%d/root", (int) pid);
  f->root = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (f->root < 0)
    return skiff_error_set (err, errno, "open the root directory of the container process %d", (int) pid);
  return 0;
}

/* A terminal on the container's own devpts, so that `tty` names /dev/pts/N inside the container. */

static int
exec_stdio_null (bool all, skiff_error_t *err)
{
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0)
    return skiff_error_set (err, errno, "open /dev/null");
  for (int fd = 0; fd < (all ? 3 : 1); fd++)
    if (dup2 (null, fd) < 0)
      {
        close (null);
        return skiff_error_set (err, errno, "dup2");
      }
  close (null);
  return 0;
}

static int
exec_seccomp (const struct skiff_seccomp *f, skiff_error_t *err)
{
  int r = skiff_seccomp_install (f);
  if (r < 0)
    return skiff_error_set (err, -r, "load the seccomp filter");
  return 0;
}

static void __attribute__ ((noreturn)) exec_child (const struct skiff_exec_config *cfg, struct exec_fds *f, int sync)
{
  skiff_error_t err = NULL;
  sigset_t none;
  sigemptyset (&none);
  for (int i = 0; skiff_forwarded_signals[i]; i++)
    signal (skiff_forwarded_signals[i], SIG_DFL);
  signal (SIGPIPE, SIG_DFL);
  sigprocmask (SIG_SETMASK, &none, NULL);
  /* a detached process outlives skiff; an attached one dies with its parent, the intermediate, which dies
   * with skiff: the same fate as the container's own process. Either way it never shares the caller's session
   * (whose terminal it could type into with TIOCSTI) */
  if (!cfg->detach)
    prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (setsid () < 0)
    {
      skiff_error_set (&err, errno, "setsid");
      skiff_sync_fail (sync, &err, "exec setup failed");
    }

  for (size_t i = 0; i < EXEC_NNS; i++)
    if (f->ns[i] >= 0 && setns (f->ns[i], exec_namespaces[i].flag) < 0)
      {
        skiff_error_set (&err, errno, "join the container's %s namespace", exec_namespaces[i].name);
        skiff_sync_fail (sync, &err, "exec setup failed");
      }
  /* the mount namespace puts us at its root; the container pivoted below it, so take its root directly */
  if (fchdir (f->root) < 0 || chroot (".") < 0 || chdir ("/") < 0)
    {
      skiff_error_set (&err, errno, "enter the container's root directory");
      skiff_sync_fail (sync, &err, "exec setup failed");
    }

  if (cfg->terminal)
    {
      if (skiff_pty_setup_child (sync, cfg->rows, cfg->cols, &err) < 0)
        skiff_sync_fail (sync, &err, "exec setup failed");
    }
  else if (cfg->detach)
    {
      if (exec_stdio_null (true, &err) < 0)
        skiff_sync_fail (sync, &err, "exec setup failed");
    }
  else if (skiff_stdio_dup (cfg->stdio_fds, &err) < 0)
    skiff_sync_fail (sync, &err, "exec setup failed");

  struct skiff_user user;
  if (skiff_user_resolve ("/", cfg->user, &user, &err) < 0)
    skiff_sync_fail (sync, &err, "exec setup failed");

  cleanup_strv char **env = strv_dup (cfg->env);
  skiff_env_set (&env, "PATH", SKIFF_DEFAULT_PATH, false);
  skiff_env_set (&env, "HOME", user.home, false);
  char hostname[256];
  if (gethostname (hostname, sizeof hostname) == 0)
    {
      hostname[sizeof hostname - 1] = '\0';
      skiff_env_set (&env, "HOSTNAME", hostname, false);
    }
  if (cfg->terminal)
    skiff_env_set (&env, "TERM", "xterm", false);

  const char *cwd = cfg->cwd && *cfg->cwd ? cfg->cwd : "/";
  if (chdir (cwd) < 0)
    {
      /* podman reports a missing working directory as a command not found (127) */
      int e = errno;
      skiff_error_set_code (&err, e == ENOENT ? SKIFF_EXIT_NOT_FOUND : SKIFF_EXIT_CANNOT_EXEC, e,
                            "chdir to the working directory `%s`", cwd);
      skiff_sync_fail (sync, &err, "exec setup failed");
    }
  for (size_t i = 0; i < cfg->nrlimits; i++)
    if (setrlimit (cfg->rlimits[i].resource, &cfg->rlimits[i].limit) < 0)
      {
        skiff_error_set (&err, errno, "setrlimit %s", skiff_rlimit_name (cfg->rlimits[i].resource));
        skiff_sync_fail (sync, &err, "exec setup failed");
      }

  cleanup_free char *exe = NULL;
  if (skiff_find_executable (cfg->argv[0], skiff_env_get (env, "PATH"), &exe, &err) < 0)
    skiff_sync_fail (sync, &err, "exec setup failed");

  /* loading a filter needs CAP_SYS_ADMIN (held only before the identity change) or no_new_privs */
  if (cfg->seccomp && !cfg->no_new_privileges && exec_seccomp (cfg->seccomp, &err) < 0)
    skiff_sync_fail (sync, &err, "exec setup failed");
  user.keep_groups = cfg->keep_groups;
  if (skiff_process_set_identity (&user, cfg->caps, &err) < 0)
    skiff_sync_fail (sync, &err, "exec setup failed");
  if (cfg->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    {
      skiff_error_set (&err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
      skiff_sync_fail (sync, &err, "exec setup failed");
    }
  if (cfg->seccomp && cfg->no_new_privileges && exec_seccomp (cfg->seccomp, &err) < 0)
    skiff_sync_fail (sync, &err, "exec setup failed");
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
  skiff_sync_fail (sync, &err, "exec setup failed");
}

/* The sync socket closed: did the exec process die before its command started? Still there (a zombie its
 * intermediate has not reaped), its flags say; gone, the intermediate's report does (it comes right after the
 * reaping). A process that runs its command is never waited for here. */
static bool
exec_died_before_command (pid_t pid, int report, struct exec_report *rep)
{
  bool before = skiff_sync_died_before_exec (pid);
  /* EPERM: there, under another identity (after -u), so it ran its command */
  if (!before && (kill (pid, 0) == 0 || errno != ESRCH))
    return false;
  if (read_all (report, rep, sizeof *rep) != (ssize_t) sizeof *rep)
    return false;
  return rep->before_exec != 0;
}

int
skiff_container_exec (const struct skiff_exec_config *cfg, struct skiff_container_process *out, skiff_error_t *err)
{
  out->pid = -1;
  out->wait_pid = 0;
  out->pty_master = -1;
  out->tap_fd = -1;
  if (cfg->argv == NULL || cfg->argv[0] == NULL)
    return skiff_error_set (err, EINVAL, "must provide a non-empty command to start an exec session: invalid argument");

  struct exec_fds f;
  if (open_namespaces (cfg->pid, &f, err) < 0)
    {
      exec_fds_close (&f);
      return -1;
    }
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      exec_fds_close (&f);
      return skiff_error_set (err, errno, "socketpair");
    }
  sigset_t block, old;
  sigemptyset (&block);
  for (int i = 0; skiff_forwarded_signals[i]; i++)
    sigaddset (&block, skiff_forwarded_signals[i]);
  sigprocmask (SIG_BLOCK, &block, &old);

  /* setns(CLONE_NEWPID) changes where the caller's children are born, for good: there is no way back up to
   * our own namespace, and anything we clone later (a sanitizer's tracer thread, say) would land in the
   * container. So an intermediate joins and forks the exec process; it stays as that process's parent, dies
   * with skiff (and the exec process with it), and exits with the exec process's status. Signals go to the
   * exec process itself; its PID comes back over a pipe. A detached exec's intermediate leaves at once. */
  int pidpipe[2];
  if (pipe2 (pidpipe, O_CLOEXEC) < 0)
    {
      int e = errno;
      close (sv[0]);
      close (sv[1]);
      exec_fds_close (&f);
      sigprocmask (SIG_SETMASK, &old, NULL);
      return skiff_error_set (err, e, "pipe");
    }
  pid_t mid = fork ();
  if (mid == 0)
    {
      close (sv[0]);
      close (pidpipe[0]);
      prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
      skiff_error_t e2 = NULL;
      if (setns (f.pidns, CLONE_NEWPID) < 0)
        {
          skiff_error_set (&e2, errno, "join the container's PID namespace");
          skiff_sync_fail (sv[1], &e2, "exec setup failed");
        }
      pid_t c = fork ();
      if (c == 0)
        {
          close (pidpipe[1]);
          exec_child (cfg, &f, sv[1]);
        }
      close (sv[1]);
      (void) write_all (pidpipe[1], &c, sizeof c);
      int report = pidpipe[1] == EXEC_REPORT_FD ? EXEC_REPORT_FD : dup3 (pidpipe[1], EXEC_REPORT_FD, O_CLOEXEC);
      /* nothing else of skiff's stays open here: skiff's ends of the exec process's stdio pipes above all, or
       * the process would never see its stdin end */
      close_inherited_fds_from (EXEC_REPORT_FD + 1);
      if (c < 0 || cfg->detach)
        _exit (c < 0 ? SKIFF_EXIT_ERROR : 0);
      /* look at the process before reaping it, while its flags are still there to read */
      siginfo_t si;
      while (waitid (P_PID, (id_t) c, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
        ;
      struct exec_report rep = { .before_exec = skiff_sync_died_before_exec (c) };
      while (waitpid (c, &rep.status, 0) < 0 && errno == EINTR)
        ;
      if (report >= 0)
        (void) write_all (report, &rep, sizeof rep);
      int ws = rep.status;
      _exit (WIFEXITED (ws) ? WEXITSTATUS (ws) : WIFSIGNALED (ws) ? 128 + WTERMSIG (ws) : SKIFF_EXIT_ERROR);
    }
  int fork_errno = errno;
  close (pidpipe[1]);
  close (sv[1]);
  exec_fds_close (&f);
  cleanup_close int sync = sv[0];
  pid_t pid = -1;
  if (mid > 0 && read_all (pidpipe[0], &pid, sizeof pid) != (ssize_t) sizeof pid)
    pid = -1;
  cleanup_close int report = pidpipe[0];
  if (pid < 0)
    {
      /* the intermediate may have sent why */
      int ignored_pty = -1;
      int r = mid > 0 ? skiff_sync_receive (sync, -1, &ignored_pty, NULL, "exec process", err) : 0;
      if (ignored_pty >= 0)
        close (ignored_pty);
      if (mid > 0)
        while (waitpid (mid, NULL, 0) < 0 && errno == EINTR)
          ;
      sigprocmask (SIG_SETMASK, &old, NULL);
      if (r < 0)
        return -1;
      return skiff_error_set (err, mid < 0 ? fork_errno : EIO, "fork the exec process");
    }
  out->wait_pid = mid;
  out->pid = pid;
  int received = skiff_sync_receive (sync, -1, &out->pty_master, NULL, "exec process", err);
  /* end-of-file is the exec, unless the process died first without a word (a seccomp profile that kills
   * or blocks what skiff does after loading it), which the intermediate then reports */
  struct exec_report rep = { 0 };
  if (received == 0 && (cfg->detach || !exec_died_before_command (pid, report, &rep)))
    return 0;
  int status;
  while (waitpid (mid, &status, 0) < 0 && errno == EINTR)
    ;
  if (received == 0)
    skiff_sync_early_death_error (rep.status, cfg->seccomp != NULL, err);
  if (out->pty_master >= 0)
    close (out->pty_master);
  out->pty_master = -1;
  out->pid = -1;
  out->wait_pid = 0;
  sigprocmask (SIG_SETMASK, &old, NULL);
  return -1;
}
