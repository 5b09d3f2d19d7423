/* podman top from /proc: the processes of a container's PID namespace, with psgo's descriptors; and
 * pause/unpause, which need a cgroup v2 freezer of the container's own. */
#include "engine/internal.h"
#include "runtime/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define PROC "/proc"
#define PTS_MAJOR 136
#define TTY_MAJOR 4
#define NS_PER_S 1000000000ULL

struct proc_info
{
  int hpid, hppid; /* in our namespace */
  int pid, ppid;   /* in the container's (0: outside it) */
  char comm[64];
  char state;
  int pgrp, nice;
  unsigned tty_nr;
  unsigned long long utime, stime, start; /* clock ticks */
  unsigned long long vsize;               /* bytes */
  unsigned uid, gid, ruid, rgid;
  char *args;
};

static int
read_small (const char *path, char *buf, size_t len)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read_all (fd, buf, len - 1);
  close (fd);
  if (n < 0)
    return -1;
  buf[n] = '\0';
  return (int) n;
}

static bool
proc_read (int hpid, struct proc_info *p)
{
  char path[64], buf[4096];
  memset (p, 0, sizeof *p);
  p->hpid = hpid;
  snprintf (path, sizeof path, PROC "/%d/stat", hpid);
  if (read_small (path, buf, sizeof buf) < 0)
    return false;
  char *open_paren = strchr (buf, '('), *close_paren = strrchr (buf, ')');
  if (!open_paren || !close_paren)
    return false;
  snprintf (p->comm, sizeof p->comm, "%.*s", (int) (close_paren - open_paren - 1), open_paren + 1);
  long long prio, nice;
  unsigned long long dummy;
  if (sscanf (close_paren + 2, "%c %d %d %*d %u %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %lld %lld %llu %*d %llu %llu",
              &p->state, &p->hppid, &p->pgrp, &p->tty_nr, &p->utime, &p->stime, &prio, &nice, &dummy, &p->start,
              &p->vsize)
      < 11)
    return false;
  p->nice = (int) nice;
  snprintf (path, sizeof path, PROC "/%d/status", hpid);
  if (read_small (path, buf, sizeof buf) < 0)
    return false;
  for (char *l = buf; l && *l; l = strchr (l, '\n') ? strchr (l, '\n') + 1 : NULL)
    {
      if (str_has_prefix (l, "Uid:"))
        sscanf (l + 4, "%u %u", &p->ruid, &p->uid);
      else if (str_has_prefix (l, "Gid:"))
        sscanf (l + 4, "%u %u", &p->rgid, &p->gid);
      else if (str_has_prefix (l, "NSpid:"))
        {
          /* the last one is the PID in the innermost namespace: the container's */
          char *end = strchr (l, '\n');
          char *last = NULL;
          for (char *q = l + strlen ("NSpid:"); q < (end ? end : l + strlen (l)); q++)
            if ((*q == ' ' || *q == '\t') && q[1] >= '0' && q[1] <= '9')
              last = q + 1;
          p->pid = last ? atoi (last) : hpid;
        }
    }
  snprintf (path, sizeof path, PROC "/%d/cmdline", hpid);
  ssize_t n = read_small (path, buf, sizeof buf);
  if (n > 0)
    {
      for (ssize_t i = 0; i < n - 1; i++)
        if (buf[i] == '\0')
          buf[i] = ' ';
      p->args = xstrdup (buf);
    }
  else
    p->args = xasprintf ("[%s]", p->comm);
  return true;
}

/* A name from the container's /etc/passwd or /etc/group, else the number. Read inside the container's root
 * (through /proc/PID/root an absolute link would resolve on the host), never a FIFO or a device, capped. */
static char *
id_name (int pid1, const char *file, unsigned id)
{
  char path[96];
  snprintf (path, sizeof path, PROC "/%d/root", pid1);
  cleanup_close int rootfd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_free char *data = NULL;
  snprintf (path, sizeof path, "/etc/%s", file);
  char *name = NULL;
  if (rootfd >= 0
      && read_file_untrusted (rootfd, path, SKIFF_RESOLVE_IN_ROOT, SKIFF_ID_FILE_MAX, &data, NULL, NULL) == 0)
    for (char *line = data, *next; !name && line; line = next)
      {
        next = strchr (line, '\n');
        if (next)
          *next++ = '\0';
        char *c1 = strchr (line, ':');
        char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
        if (c1 && c2 && (unsigned) strtoul (c2 + 1, NULL, 10) == id && c2[1] >= '0' && c2[1] <= '9')
          name = xstrndup (line, (size_t) (c1 - line));
      }
  return name ? name : xasprintf ("%u", id);
}

/* A uid of ours as the host sees it (through our user namespace's map) */
static unsigned
host_id (const char *map, unsigned id)
{
  cleanup_free char *data = NULL;
  if (read_file (map, &data, NULL, NULL) < 0)
    return id;
  char *save = NULL;
  for (char *l = strtok_r (data, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      unsigned inside, outside, count;
      if (sscanf (l, "%u %u %u", &inside, &outside, &count) == 3 && id >= inside && id - inside < count)
        return outside + (id - inside);
    }
  return id;
}

/* Go's time.Duration.String(): "1h2m3.5s", "11.406582815s", "0s" */
static char *
go_duration (unsigned long long ns)
{
  if (ns == 0)
    return xstrdup ("0s");
  unsigned long long h = ns / (3600 * NS_PER_S), m = ns / (60 * NS_PER_S) % 60, s = ns / NS_PER_S % 60;
  unsigned long long frac = ns % NS_PER_S;
  char secs[48];
  if (frac)
    {
      snprintf (secs, sizeof secs, "%llu.%09llu", s, frac);
      size_t n = strlen (secs);
      while (secs[n - 1] == '0')
        secs[--n] = '\0';
    }
  else
    snprintf (secs, sizeof secs, "%llu", s);
  if (h)
    return xasprintf ("%lluh%llum%ss", h, m, secs);
  if (m)
    return xasprintf ("%llum%ss", m, secs);
  return xasprintf ("%ss", secs);
}

static unsigned long long
boot_time_ns (void)
{
  cleanup_free char *stat = NULL;
  if (read_file (PROC "/stat", &stat, NULL, NULL) < 0)
    return 0;
  const char *b = strstr (stat, "\nbtime ");
  return b ? strtoull (b + strlen ("\nbtime "), NULL, 10) * NS_PER_S : 0;
}

enum desc
{
  D_USER,
  D_PID,
  D_PPID,
  D_PCPU,
  D_ETIME,
  D_TTY,
  D_TIME,
  D_ARGS,
  D_COMM,
  D_GROUP,
  D_NICE,
  D_PGID,
  D_RUSER,
  D_RGROUP,
  D_VSZ,
  D_STATE,
  D_HPID,
  D_HUSER,
  D_HGROUP,
};

/* psgo's descriptors: name, AIX format code, header */
static const struct
{
  const char *name, *aix, *header;
} descriptors[] = {
  [D_USER] = { "user", "%U", "USER" },       [D_PID] = { "pid", "%p", "PID" },
  [D_PPID] = { "ppid", "%P", "PPID" },       [D_PCPU] = { "pcpu", "%C", "%CPU" },
  [D_ETIME] = { "etime", "%t", "ELAPSED" },  [D_TTY] = { "tty", "%y", "TTY" },
  [D_TIME] = { "time", "%x", "TIME" },       [D_ARGS] = { "args", "%a", "COMMAND" },
  [D_COMM] = { "comm", "%c", "COMMAND" },    [D_GROUP] = { "group", "%G", "GROUP" },
  [D_NICE] = { "nice", "%n", "NI" },         [D_PGID] = { "pgid", "%r", "PGID" },
  [D_RUSER] = { "ruser", "%u", "RUSER" },    [D_RGROUP] = { "rgroup", "%g", "RGROUP" },
  [D_VSZ] = { "vsz", "%z", "VSZ" },          [D_STATE] = { "state", NULL, "STATE" },
  [D_HPID] = { "hpid", NULL, "HPID" },       [D_HUSER] = { "huser", NULL, "HUSER" },
  [D_HGROUP] = { "hgroup", NULL, "HGROUP" },
};

/* podman's default (psgo.DefaultDescriptors) */
static const enum desc default_descs[] = { D_USER, D_PID, D_PPID, D_PCPU, D_ETIME, D_TTY, D_TIME, D_ARGS };

static int
desc_lookup (const char *s)
{
  /* ps(1)'s spellings that podman users type too */
  if (strcmp (s, "%cpu") == 0)
    return D_PCPU;
  if (strcmp (s, "command") == 0 || strcmp (s, "cmd") == 0)
    return D_ARGS;
  if (strcmp (s, "elapsed") == 0)
    return D_ETIME;
  for (size_t i = 0; i < ARRAY_SIZE (descriptors); i++)
    if (strcmp (s, descriptors[i].name) == 0 || (descriptors[i].aix && strcmp (s, descriptors[i].aix) == 0))
      return (int) i;
  return -1;
}

static char *
cell (enum desc d, const struct proc_info *p, int pid1, unsigned long long now, unsigned long long boot, long tck)
{
  unsigned long long started = boot + p->start * NS_PER_S / (unsigned long long) tck;
  unsigned long long elapsed = now > started ? now - started : 0;
  unsigned long long cpu_ns = (p->utime + p->stime) * NS_PER_S / (unsigned long long) tck;
  switch (d)
    {
    case D_USER:
      return id_name (pid1, "passwd", p->uid);
    case D_RUSER:
      return id_name (pid1, "passwd", p->ruid);
    case D_GROUP:
      return id_name (pid1, "group", p->gid);
    case D_RGROUP:
      return id_name (pid1, "group", p->rgid);
    case D_PID:
      return xasprintf ("%d", p->pid);
    case D_PPID:
      return xasprintf ("%d", p->ppid);
    case D_PCPU:
      return xasprintf ("%.3f", elapsed ? (double) cpu_ns * 100.0 / (double) elapsed : 0.0);
    case D_ETIME:
      return go_duration (elapsed);
    case D_TTY:
      if (p->tty_nr == 0)
        return xstrdup ("?");
      if (major (p->tty_nr) == PTS_MAJOR)
        return xasprintf ("pts/%u", minor (p->tty_nr));
      if (major (p->tty_nr) == TTY_MAJOR)
        return xasprintf ("tty%u", minor (p->tty_nr));
      return xasprintf ("%u:%u", major (p->tty_nr), minor (p->tty_nr));
    case D_TIME:
      return go_duration (cpu_ns / NS_PER_S * NS_PER_S);
    case D_ARGS:
      return xstrdup (p->args);
    case D_COMM:
      return xstrdup (p->comm);
    case D_NICE:
      return xasprintf ("%d", p->nice);
    case D_PGID:
      return xasprintf ("%d", p->pgrp);
    case D_VSZ:
      return xasprintf ("%llu", p->vsize / 1024);
    case D_STATE:
      return xasprintf ("%c", p->state);
    case D_HPID:
      return xasprintf ("%d", p->hpid);
    case D_HUSER:
      return xasprintf ("%u", host_id (PROC "/self/uid_map", p->uid));
    case D_HGROUP:
      return xasprintf ("%u", host_id (PROC "/self/gid_map", p->gid));
    }
  return xstrdup ("");
}

static int
by_pid (const void *a, const void *b)
{
  const struct proc_info *x = a, *y = b;
  return x->pid - y->pid;
}

int
skiff_engine_top (struct skiff_engine *e, const struct skiff_container *c, char *const *descs, char **out,
                  skiff_error_t *err)
{
  (void) e;
  *out = NULL;
  /* the descriptors first: bad input fails before any work */
  enum desc *want = NULL;
  size_t nwant = 0;
  for (size_t i = 0; descs && descs[i]; i++)
    {
      cleanup_free char *copy = xstrdup (descs[i]);
      char *save = NULL;
      for (char *t = strtok_r (copy, ", ", &save); t; t = strtok_r (NULL, ", ", &save))
        {
          int d = desc_lookup (t);
          if (d < 0)
            {
              free (want);
              return skiff_error_set_status (err, EINVAL,
                                             "unknown descriptor: %s: use one of user, pid, ppid, pcpu, etime, tty, "
                                             "time, args, comm, group, nice, pgid, ruser, rgroup, vsz, state, hpid, "
                                             "huser, hgroup (or their AIX codes: %%U %%p ...)",
                                             t);
            }
          want = xrealloc (want, (nwant + 1) * sizeof *want);
          want[nwant++] = (enum desc) d;
        }
    }
  if (nwant == 0)
    {
      want = xmalloc (sizeof default_descs);
      memcpy (want, default_descs, sizeof default_descs);
      nwant = ARRAY_SIZE (default_descs);
    }
  int pid1 = c->pid;
  char nspath[300];
  snprintf (nspath, sizeof nspath, PROC "/%d/ns/pid", pid1);
  struct stat ns;
  if (pid1 <= 0 || stat (nspath, &ns) < 0)
    {
      free (want);
      return skiff_error_set_status (err, ESRCH, "top can only be used on running containers");
    }
  /* every process whose PID namespace is the container's */
  struct proc_info *procs = NULL;
  size_t n = 0;
  DIR *d = opendir (PROC);
  struct dirent *de;
  while (d && (de = readdir (d)) != NULL)
    {
      if (de->d_name[0] < '1' || de->d_name[0] > '9')
        continue;
      struct stat st;
      snprintf (nspath, sizeof nspath, PROC "/%s/ns/pid", de->d_name);
      if (stat (nspath, &st) < 0 || st.st_ino != ns.st_ino || st.st_dev != ns.st_dev)
        continue;
      procs = xrealloc (procs, (n + 1) * sizeof *procs);
      if (proc_read (atoi (de->d_name), &procs[n]))
        n++;
    }
  if (d)
    closedir (d);
  /* parents as the container sees them: 0 for the one whose parent (the monitor) is outside */
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++)
      if (procs[j].hpid == procs[i].hppid)
        procs[i].ppid = procs[j].pid;
  qsort (procs, n, sizeof *procs, by_pid);
  unsigned long long now = realtime_ns (), boot = boot_time_ns ();
  long tck = sysconf (_SC_CLK_TCK);
  if (tck <= 0)
    tck = 100;
  char *text = xstrdup ("");
  for (size_t i = 0; i < nwant; i++)
    {
      char *t = xasprintf ("%s%s%s", text, i ? "\t" : "", descriptors[want[i]].header);
      free (text);
      text = t;
    }
  for (size_t r = 0; r < n; r++)
    {
      for (size_t i = 0; i < nwant; i++)
        {
          cleanup_free char *v = cell (want[i], &procs[r], pid1, now, boot, tck);
          char *t = xasprintf ("%s%s%s", text, i ? "\t" : "\n", v);
          free (text);
          text = t;
        }
      free (procs[r].args);
    }
  char *t = xasprintf ("%s\n", text);
  free (text);
  *out = t;
  free (procs);
  free (want);
  return 0;
}

/* ---- pause / unpause ---- */

#define CGROUP_ROOT "/sys/fs/cgroup"

int
skiff_engine_pause (struct skiff_engine *e, const struct skiff_container *c, bool pause, skiff_error_t *err)
{
  (void) e;
  const char *id = c->id;
  const char *verb = pause ? "pause" : "unpause";
  int pid = c->pid;
  /* cgroup v2 is mounted at the root when /sys/fs/cgroup/cgroup.controllers exists */
  if (access (CGROUP_ROOT "/cgroup.controllers", F_OK) < 0)
    return skiff_error_set_status (
        err, ENOTSUP,
        "cannot %s container %s: pausing freezes the container's own cgroup with the cgroup v2 freezer, and this host "
        "runs cgroup v1 (" CGROUP_ROOT " has no cgroup.controllers; its v1 freezer belongs to root and the v2 "
        "hierarchy in " CGROUP_ROOT "/unified has no controllers), so skiff has no cgroup to freeze. It works on a "
        "host booted with cgroup v2 (systemd.unified_cgroup_hierarchy=1) where systemd delegates a cgroup to your "
        "user (user@.service with Delegate=yes) and skiff runs each container in a cgroup of its own",
        verb, id);
  /* the container's cgroup: it must be its own (only its processes), else freezing would stop its monitor or
   * this very skiff */
  char path[96];
  snprintf (path, sizeof path, "/proc/%d/cgroup", pid);
  cleanup_free char *cg = NULL;
  if (read_file (path, &cg, NULL, NULL) < 0 || !str_has_prefix (cg, "0::"))
    return skiff_error_set_status (err, ESRCH, "cannot %s container %s: its cgroup cannot be read", verb, id);
  cg[strcspn (cg, "\n")] = '\0';
  cleanup_free char *mine = NULL;
  read_file ("/proc/self/cgroup", &mine, NULL, NULL);
  if (mine)
    mine[strcspn (mine, "\n")] = '\0';
  cleanup_free char *freeze = xasprintf (CGROUP_ROOT "%s/cgroup.freeze", cg + 3);
  if ((mine && strcmp (mine, cg) == 0) || strcmp (cg + 3, "/") == 0 || access (freeze, W_OK) < 0)
    return skiff_error_set_status (err, ENOTSUP,
                                   "cannot %s container %s: it has no cgroup of its own that skiff may freeze (it is "
                                   "in %s); skiff needs a cgroup v2 subtree delegated to your user (systemd "
                                   "user@.service with Delegate=yes) to give each container one",
                                   verb, id, cg + 3);
  const char *v = pause ? "1" : "0";
  int fd = open (freeze, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write_all (fd, v, 1) < 0)
    {
      int errsv = errno;
      if (fd >= 0)
        close (fd);
      return skiff_error_set (err, errsv, "write `%s`", freeze);
    }
  close (fd);
  return 0;
}
