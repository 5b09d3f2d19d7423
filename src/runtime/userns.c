/* skiff's user namespace: the caller's subordinate ID ranges mapped with newuidmap/newgidmap, held open
 * by a pause process so that later invocations join it with two setns(2) calls instead of paying for the
 * mapping again (podman's design). The pause process also holds the mount namespace the store mounts in. */
#include "runtime/runtime.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define PAUSE_PID_FILE "pause.pid"
#define PAUSE_LOCK_FILE "pause.lock"
#define PAUSE_NAME "skiff-pause"
#define LIBSUBID_SONAME "libsubid.so.4"
#define SUBUID_FILE "/etc/subuid"
#define SUBGID_FILE "/etc/subgid"
#define NEWUIDMAP "newuidmap"
#define NEWGIDMAP "newgidmap"

/* Append ranges for owner (name or numeric uid) from a subuid-style file. */
static int
ranges_from_file (const char *file, const char *user, uid_t uid, struct skiff_idrange *out, size_t *n,
                  uint32_t *next_inside, skiff_error_t *err)
{
  cleanup_fclose FILE *f = fopen (file, "re");
  if (f == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return skiff_error_set (err, errno, "open `%s`", file);
    }
  char uidstr[32];
  snprintf (uidstr, sizeof uidstr, "%u", (unsigned) uid);
  cleanup_free char *line = NULL;
  size_t cap = 0;
  while (getline (&line, &cap, f) > 0)
    {
      char *save = NULL;
      char *owner = strtok_r (line, ":\n", &save);
      char *start = strtok_r (NULL, ":\n", &save);
      char *count = strtok_r (NULL, ":\n", &save);
      long long s, c;
      if (owner == NULL || start == NULL || count == NULL)
        continue;
      if (!(user && strcmp (owner, user) == 0) && strcmp (owner, uidstr) != 0)
        continue;
      if (!str_to_llong (start, 0, UINT32_MAX, &s) || !str_to_llong (count, 1, UINT32_MAX, &c))
        continue;
      if (*n >= SKIFF_MAX_IDRANGES)
        break;
      out[*n] = (struct skiff_idrange){ .inside = *next_inside, .outside = (uint32_t) s, .count = (uint32_t) c };
      *next_inside += (uint32_t) c;
      (*n)++;
    }
  return 0;
}

struct subid_range_s
{
  unsigned long start, count;
};
typedef int (*subid_get_ranges_fn) (const char *owner, struct subid_range_s **ranges);

/* libsubid finds ranges from /etc/subuid and from directory services (nsswitch "subid:"). It pulls in
 * PAM, SELinux and audit libraries, so it is loaded only here, on the rare path that creates the namespace. */
static int
ranges_from_libsubid (bool gid, const char *user, struct skiff_idrange *out, size_t *n, uint32_t *next_inside)
{
  static void *handle;
  if (handle == NULL)
    handle = dlopen (LIBSUBID_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL || user == NULL)
    return -1;
  subid_get_ranges_fn fn = (subid_get_ranges_fn) dlsym (handle, gid ? "subid_get_gid_ranges" : "subid_get_uid_ranges");
  if (fn == NULL)
    return -1;
  struct subid_range_s *r = NULL;
  int count = fn (user, &r);
  if (count < 0)
    return -1;
  for (int i = 0; i < count && *n < SKIFF_MAX_IDRANGES; i++)
    {
      if (r[i].count == 0 || r[i].start > UINT32_MAX || r[i].count > UINT32_MAX)
        continue;
      out[*n] = (struct skiff_idrange){ .inside = *next_inside,
                                        .outside = (uint32_t) r[i].start,
                                        .count = (uint32_t) r[i].count };
      *next_inside += (uint32_t) r[i].count;
      (*n)++;
    }
  free (r);
  return 0;
}

int
skiff_idmap_for_user (uid_t uid, gid_t gid, const char *user, struct skiff_idmap *map, skiff_error_t *err)
{
  memset (map, 0, sizeof *map);
  map->uid[0] = (struct skiff_idrange){ 0, uid, 1 };
  map->gid[0] = (struct skiff_idrange){ 0, gid, 1 };
  map->nuid = map->ngid = 1;
  uint32_t next_uid = 1, next_gid = 1;
  const char *uidfile = getenv ("SKIFF_SUBUID_FILE");
  const char *gidfile = getenv ("SKIFF_SUBGID_FILE");
  bool overridden = uidfile != NULL || gidfile != NULL;
  if (overridden || ranges_from_libsubid (false, user, map->uid, &map->nuid, &next_uid) < 0)
    if (ranges_from_file (uidfile ? uidfile : SUBUID_FILE, user, uid, map->uid, &map->nuid, &next_uid, err) < 0)
      return -1;
  if (overridden || ranges_from_libsubid (true, user, map->gid, &map->ngid, &next_gid) < 0)
    if (ranges_from_file (gidfile ? gidfile : SUBGID_FILE, user, uid, map->gid, &map->ngid, &next_gid, err) < 0)
      return -1;
  map->single = map->nuid == 1 || map->ngid == 1;
  if (map->single)
    map->nuid = map->ngid = 1;
  return 0;
}

bool
skiff_userns_is_inside (void)
{
  if (geteuid () != 0)
    return false;
  char buf[128];
  cleanup_close int fd = open ("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  ssize_t n = read_all (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  unsigned a, b;
  unsigned long c;
  /* the initial namespace maps everything: "0 0 4294967295" */
  if (sscanf (buf, "%u %u %lu", &a, &b, &c) == 3 && a == 0 && b == 0 && c == 4294967295UL)
    return false;
  return true;
}

int
skiff_userns_current_map (struct skiff_idmap *map, skiff_error_t *err)
{
  memset (map, 0, sizeof *map);
  static const char *const files[] = { "/proc/self/uid_map", "/proc/self/gid_map" };
  for (int k = 0; k < 2; k++)
    {
      cleanup_fclose FILE *f = fopen (files[k], "re");
      if (f == NULL)
        return skiff_error_set (err, errno, "open `%s`", files[k]);
      unsigned a, b, c;
      struct skiff_idrange *r = k == 0 ? map->uid : map->gid;
      size_t *n = k == 0 ? &map->nuid : &map->ngid;
      while (*n < SKIFF_MAX_IDRANGES && fscanf (f, "%u %u %u", &a, &b, &c) == 3)
        r[(*n)++] = (struct skiff_idrange){ a, b, c };
    }
  map->single = map->nuid == 1 && map->uid[0].count == 1;
  return 0;
}

/* Run newuidmap/newgidmap for pid; on failure the error carries what the tool printed. */
static int
run_idmap_tool (const char *tool, pid_t pid, const struct skiff_idrange *r, size_t n, skiff_error_t *err)
{
  char *argv[3 + 3 * SKIFF_MAX_IDRANGES + 1];
  char bufs[1 + 3 * SKIFF_MAX_IDRANGES][16];
  size_t a = 0;
  argv[a++] = (char *) tool;
  snprintf (bufs[0], sizeof bufs[0], "%d", (int) pid);
  argv[a++] = bufs[0];
  for (size_t i = 0; i < n; i++)
    {
      snprintf (bufs[1 + 3 * i], 16, "%u", r[i].inside);
      snprintf (bufs[2 + 3 * i], 16, "%u", r[i].outside);
      snprintf (bufs[3 + 3 * i], 16, "%u", r[i].count);
      argv[a++] = bufs[1 + 3 * i];
      argv[a++] = bufs[2 + 3 * i];
      argv[a++] = bufs[3 + 3 * i];
    }
  argv[a] = NULL;
  int pipefd[2];
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return skiff_error_set (err, errno, "pipe");
  pid_t child = fork ();
  if (child < 0)
    return skiff_error_set (err, errno, "fork");
  if (child == 0)
    {
      dup2 (pipefd[1], STDERR_FILENO);
      dup2 (pipefd[1], STDOUT_FILENO);
      execvp (tool, argv);
      _exit (errno == ENOENT ? 127 : 126);
    }
  close (pipefd[1]);
  char out[1024];
  ssize_t got = read_all (pipefd[0], out, sizeof out - 1);
  close (pipefd[0]);
  out[got > 0 ? got : 0] = '\0';
  while (got > 0 && (out[got - 1] == '\n' || out[got - 1] == ' '))
    out[--got] = '\0';
  int status;
  while (waitpid (child, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 127)
    return skiff_error_set (err, ENOENT, "cannot run `%s`: install the uidmap package", tool);
  return skiff_error_set (err, 0,
                          "`%s` refused the mapping (%s): check that %s is setuid root and that the ranges in "
                          "/etc/subuid and /etc/subgid belong to you",
                          tool, out[0] ? out : "no output", tool);
}

static int
write_proc_file (pid_t pid, const char *name, const char *data, skiff_error_t *err)
{
  cleanup_free char *path = xasprintf ("/proc/%d/%s", (int) pid, name);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_set (err, errno, "open `%s`", path);
  if (write_all (fd, data, strlen (data)) < 0)
    return skiff_error_set (err, errno, "write `%s`", path);
  return 0;
}

static bool
find_in_path (const char *prog)
{
  const char *override = strcmp (prog, NEWUIDMAP) == 0 ? getenv ("SKIFF_NEWUIDMAP") : getenv ("SKIFF_NEWGIDMAP");
  if (override)
    return access (override, X_OK) == 0;
  const char *path = getenv ("PATH");
  if (path == NULL)
    path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
  cleanup_free char *copy = xstrdup (path);
  char *save = NULL;
  for (char *dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      cleanup_free char *p = path_join (dir, prog);
      if (access (p, X_OK) == 0)
        return true;
    }
  return false;
}

/* Write the ID maps of pid from outside: the whole ranges through newuidmap/newgidmap, or only the
 * caller's own IDs when there is no range or no tool. */
static int
map_ids (pid_t pid, skiff_error_t *err)
{
  struct passwd *pw = getpwuid (getuid ());
  struct skiff_idmap map;
  if (skiff_idmap_for_user (getuid (), getgid (), pw ? pw->pw_name : NULL, &map, err) < 0)
    return -1;
  const char *why = NULL;
  if (map.single)
    why = xasprintf ("no subordinate ID range for %s in /etc/subuid and /etc/subgid: only your own user is mapped "
                     "in containers; ask an administrator to run `usermod --add-subuids 100000-165535 "
                     "--add-subgids 100000-165535 %s`",
                     pw ? pw->pw_name : "you", pw ? pw->pw_name : "$USER");
  else if (!find_in_path (NEWUIDMAP) || !find_in_path (NEWGIDMAP))
    why = xstrdup ("newuidmap/newgidmap not found: only your own user is mapped in containers; install the "
                   "uidmap package to use your subordinate ID ranges");
  if (why)
    {
      log_warning ("%s", why);
      free ((char *) why);
      char buf[64];
      if (write_proc_file (pid, "setgroups", "deny", err) < 0)
        return -1;
      snprintf (buf, sizeof buf, "0 %u 1\n", (unsigned) getuid ());
      if (write_proc_file (pid, "uid_map", buf, err) < 0)
        return -1;
      snprintf (buf, sizeof buf, "0 %u 1\n", (unsigned) getgid ());
      return write_proc_file (pid, "gid_map", buf, err);
    }
  const char *uidtool = getenv ("SKIFF_NEWUIDMAP") ? getenv ("SKIFF_NEWUIDMAP") : NEWUIDMAP;
  const char *gidtool = getenv ("SKIFF_NEWGIDMAP") ? getenv ("SKIFF_NEWGIDMAP") : NEWGIDMAP;
  if (run_idmap_tool (uidtool, pid, map.uid, map.nuid, err) < 0)
    return -1;
  return run_idmap_tool (gidtool, pid, map.gid, map.ngid, err);
}

/* The pause process: holds the namespaces until `system reset` kills it. It must not keep any of the
 * caller's files or its terminal. */
static void __attribute__ ((noreturn)) pause_main (int sync)
{
  char c = 0;
  if (unshare (CLONE_NEWUSER) < 0)
    _exit (1);
  if (write (sync, "u", 1) != 1 || read (sync, &c, 1) != 1 || c != 'm')
    _exit (1);
  if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
    _exit (1);
  if (unshare (CLONE_NEWNS) < 0)
    _exit (1);
  /* our mounts must not leak anywhere; host mounts made later still reach us */
  if (mount (NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
    _exit (1);
  if (write (sync, "r", 1) != 1)
    _exit (1);
  close (sync);
  /* nothing of the creator's may live on here: an inherited flock (pause.lock) or pipe end would block every
   * later skiff waiting for the lock, or a caller waiting for EOF, for as long as the pause process lives */
  if (close_range (3, ~0U, 0) < 0)
    for (int fd = 3; fd < 1024; fd++)
      close (fd);
  setsid ();
  skiff_set_process_title (PAUSE_NAME);
  if (chdir ("/") < 0)
    _exit (1);
  int null = open ("/dev/null", O_RDWR);
  if (null >= 0)
    {
      dup2 (null, 0);
      dup2 (null, 1);
      dup2 (null, 2);
      if (null > 2)
        close (null);
    }
  sigset_t all;
  sigfillset (&all);
  sigdelset (&all, SIGTERM);
  sigdelset (&all, SIGKILL);
  sigprocmask (SIG_SETMASK, &all, NULL);
  signal (SIGTERM, SIG_DFL);
  for (;;)
    pause ();
}

static pid_t
read_pause_pid (const char *runroot)
{
  cleanup_free char *path = path_join (runroot, PAUSE_PID_FILE);
  cleanup_free char *data = NULL;
  if (read_file (path, &data, NULL, NULL) < 0)
    return -1;
  long long v;
  char *nl = strchr (data, '\n');
  if (nl)
    *nl = '\0';
  if (!str_to_llong (data, 1, INT32_MAX, &v))
    return -1;
  return (pid_t) v;
}

/* Is pid our pause process (and not a recycled PID)? */
static bool
pause_alive (pid_t pid)
{
  char path[64], comm[32] = "";
  snprintf (path, sizeof path, "/proc/%d/comm", (int) pid);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  ssize_t n = read_all (fd, comm, sizeof comm - 1);
  if (n <= 0)
    return false;
  comm[n] = '\0';
  if (strncmp (comm, PAUSE_NAME, strlen (PAUSE_NAME)) != 0)
    return false;
  struct stat st;
  snprintf (path, sizeof path, "/proc/%d", (int) pid);
  return stat (path, &st) == 0 && st.st_uid == getuid ();
}

static int
join_pause (pid_t pid, skiff_error_t *err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/ns/user", (int) pid);
  cleanup_close int userfd = open (path, O_RDONLY | O_CLOEXEC);
  if (userfd < 0)
    return skiff_error_set (err, errno, "open `%s`", path);
  snprintf (path, sizeof path, "/proc/%d/ns/mnt", (int) pid);
  cleanup_close int mntfd = open (path, O_RDONLY | O_CLOEXEC);
  if (mntfd < 0)
    return skiff_error_set (err, errno, "open `%s`", path);
  /* joining a mount namespace moves us to its root: come back, so that relative paths on the command line
   * (--cert-dir, --digestfile, ...) mean what they meant */
  cleanup_free char *cwd = getcwd (NULL, 0);
  if (setns (userfd, CLONE_NEWUSER) < 0)
    return skiff_error_set (err, errno, "join the user namespace of the pause process %d", (int) pid);
  if (setns (mntfd, CLONE_NEWNS) < 0)
    return skiff_error_set (err, errno, "join the mount namespace of the pause process %d", (int) pid);
  if (cwd && chdir (cwd) < 0)
    log_debug ("cannot return to `%s` in the user namespace: %s", cwd, strerror (errno));
  if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
    return skiff_error_set (err, errno, "become root in the user namespace");
  return 0;
}

static int
create_pause (const char *runroot, pid_t *out, skiff_error_t *err)
{
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return skiff_error_set (err, errno, "socketpair");
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (sv[0]);
      close (sv[1]);
      return skiff_error_set (err, errno, "fork");
    }
  if (pid == 0)
    {
      close (sv[0]);
      pause_main (sv[1]);
    }
  close (sv[1]);
  cleanup_close int sync = sv[0];
  char c = 0;
  if (read (sync, &c, 1) != 1 || c != 'u')
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      return skiff_error_set (err, EPERM,
                              "cannot create a user namespace: check that unprivileged user namespaces are enabled "
                              "(sysctl user.max_user_namespaces > 0, kernel.unprivileged_userns_clone = 1)");
    }
  if (map_ids (pid, err) < 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      return -1;
    }
  if (write (sync, "m", 1) != 1 || read (sync, &c, 1) != 1 || c != 'r')
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      return skiff_error_set (err, EIO, "the pause process failed to set up its mount namespace");
    }
  char buf[32];
  int len = snprintf (buf, sizeof buf, "%d\n", (int) pid);
  cleanup_free char *pidfile = path_join (runroot, PAUSE_PID_FILE);
  if (write_file_atomic (pidfile, buf, (size_t) len, 0600, err) < 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      return -1;
    }
  *out = pid;
  return 0;
}

int
skiff_userns_enter (const char *runroot, skiff_error_t *err)
{
  if (getuid () == 0 || skiff_userns_is_inside ())
    return 0;
  pid_t pid = read_pause_pid (runroot);
  if (pid > 0 && pause_alive (pid))
    {
      if (join_pause (pid, err) == 0)
        return 1;
      skiff_error_release (err);
    }
  if (mkdir_p (runroot, 0700, err) < 0)
    return -1;
  /* one creator at a time; the loser joins what the winner made */
  cleanup_free char *lockpath = path_join (runroot, PAUSE_LOCK_FILE);
  cleanup_close int lock = open (lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0)
    return skiff_error_set (err, errno, "open `%s`", lockpath);
  if (flock (lock, LOCK_EX) < 0)
    return skiff_error_set (err, errno, "lock `%s`", lockpath);
  pid = read_pause_pid (runroot);
  if (pid <= 0 || !pause_alive (pid))
    {
      if (create_pause (runroot, &pid, err) < 0)
        return -1;
    }
  if (join_pause (pid, err) < 0)
    return -1;
  return 1;
}

int
skiff_userns_stop_pause (const char *runroot, skiff_error_t *err)
{
  pid_t pid = read_pause_pid (runroot);
  if (pid > 0 && pause_alive (pid))
    kill (pid, SIGKILL);
  cleanup_free char *pidfile = path_join (runroot, PAUSE_PID_FILE);
  if (unlink (pidfile) < 0 && errno != ENOENT)
    return skiff_error_set (err, errno, "remove `%s`", pidfile);
  return 0;
}
