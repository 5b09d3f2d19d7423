/* runtime/cgroup against the kernel: run as an unprivileged user who owns a delegated cgroup v2 subtree (the VM
 * job, contrib/vm/ci-cgroup-v2.sh). Every test creates a container cgroup, puts real processes in it and
 * checks what the kernel did: the OOM kill counted, pids.max enforced, the freezer stopping work, CPU
 * throttling, stats, update, removal. Outside such a subtree the tests fail and say why: they are not part
 * of `meson test`, only of the VM job. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>

#include "runtime/cgroup.h"

#define MIB (1024 * 1024)
/* the freezer and removal under TCG emulation on a busy host: generous, never hit when things work */
#define WAIT_MS 10000

static struct skiff_cgroup_info info;

static void
setup (void)
{
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_cgroup_detect (&info, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (info.mode, SKIFF_CGROUP_V2, "these tests need cgroup v2 (run them with contrib/vm/ci-cgroup-v2.sh)");
  cr_assert (info.delegated, "no delegated subtree: %s", info.reason);
}

static void
teardown (void)
{
  skiff_cgroup_info_release (&info);
}

TestSuite (vm, .init = setup, .fini = teardown, .timeout = 120);

static struct skiff_cgroup *
make (const char *id, struct skiff_cgroup_limits *l)
{
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_cgroup_limits_finish (l, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (skiff_cgroup_check (&info, l, &err), 0, "%s", err ? err->msg : "");
  struct skiff_cgroup *cg = NULL;
  cr_assert_eq (skiff_cgroup_create (&info, id, l, &cg, &err), 0, "%s", err ? err->msg : "");
  return cg;
}

static void
parse (struct skiff_cgroup_limits *l, enum skiff_cgroup_flag f, const char *v)
{
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_cgroup_limits_parse (l, f, v, &err), 0, "%s", err ? err->msg : "");
}

static char *
cg_file (struct skiff_cgroup *cg, const char *name)
{
  cleanup_free char *p = path_join (cg->path, name);
  char *text = NULL;
  cr_assert_eq (read_file (p, &text, NULL, NULL), 0, "%s", p);
  text[strcspn (text, "\n")] = '\0';
  return text;
}

static void
done (struct skiff_cgroup *cg)
{
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_cgroup_kill (cg, &err), 0, "%s", err ? err->msg : "");
  while (waitpid (-1, NULL, 0) > 0)
    ;
  cr_assert_eq (skiff_cgroup_remove (cg, WAIT_MS, &err), 0, "%s", err ? err->msg : "");
  cr_assert_not (path_exists (cg->path));
  skiff_cgroup_free (cg);
}

/* A child born in the cgroup that runs fn, or the test fails. */
static pid_t
spawn (struct skiff_cgroup *cg, void (*fn) (void *), void *arg)
{
  pid_t pid = skiff_cgroup_fork_into (cg, 0);
  cr_assert_geq (pid, 0, "clone3 into the cgroup: %s", strerror (-pid));
  if (pid == 0)
    {
      fn (arg);
      _exit (0);
    }
  return pid;
}

static void
sleep_ms (int ms)
{
  struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000 };
  nanosleep (&ts, NULL);
}

Test (vm, detect_finds_the_delegation)
{
  cr_assert_not_null (info.own);
  cr_assert_not_null (strstr (info.base, "/sys/fs/cgroup/user.slice/"), "%s", info.base);
  cr_assert_eq (info.available & SKIFF_CG_ALL, SKIFF_CG_ALL, "the VM delegates cpu cpuset io memory pids");
  cr_assert_not (info.needs_leaf, "the command runs in a leaf below the delegated cgroup");
}

static void
hog_memory (void *arg)
{
  size_t n = (size_t) (uintptr_t) arg;
  char *p = malloc (n);
  if (p == NULL)
    _exit (3);
  for (size_t i = 0; i < n; i += 4096)
    p[i] = 1;
  _exit (0);
}

Test (vm, memory_limit_oom_kill_is_counted)
{
  struct skiff_cgroup_limits l = { 0 };
  parse (&l, SKIFF_CGF_MEMORY, "32m");
  parse (&l, SKIFF_CGF_MEMORY_SWAP, "32m"); /* no swap: the VM has none anyway */
  struct skiff_cgroup *cg = make ("oom", &l);
  cleanup_free char *max = cg_file (cg, "memory.max");
  cr_assert_str_eq (max, "33554432");
  uint64_t before = 1;
  cr_assert_eq (skiff_cgroup_oom_kills (cg, &before, NULL), 0);
  cr_assert_eq (before, 0);
  pid_t pid = spawn (cg, hog_memory, (void *) (uintptr_t) (128 * MIB));
  int status = 0;
  cr_assert_eq (waitpid (pid, &status, 0), pid);
  cr_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL, "status %#x: not killed", status);
  uint64_t kills = 0;
  cr_assert_eq (skiff_cgroup_oom_kills (cg, &kills, NULL), 0);
  cr_assert_eq (kills, 1, "memory.events oom_kill");
  struct skiff_cgroup_stats st;
  cr_assert_eq (skiff_cgroup_stats_read (cg, &st, NULL), 0);
  cr_assert_eq (st.oom_kill, 1);
  cr_assert_eq (st.memory_max, 32 * MIB);
  /* within the limit: no kill */
  pid = spawn (cg, hog_memory, (void *) (uintptr_t) (4 * MIB));
  cr_assert_eq (waitpid (pid, &status, 0), pid);
  cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "status %#x", status);
  cr_assert_eq (skiff_cgroup_oom_kills (cg, &kills, NULL), 0);
  cr_assert_eq (kills, 1);
  skiff_cgroup_limits_release (&l);
  done (cg);
}

static void
fork_many (void *arg)
{
  int made = 0;
  for (int i = 0; i < 64; i++)
    {
      pid_t p = fork ();
      if (p == 0)
        {
          pause ();
          _exit (0);
        }
      if (p < 0)
        _exit (errno == EAGAIN ? made : 100 + errno);
      made++;
    }
  _exit (99);
}

Test (vm, pids_limit_is_enforced)
{
  struct skiff_cgroup_limits l = { 0 };
  parse (&l, SKIFF_CGF_PIDS_LIMIT, "8");
  struct skiff_cgroup *cg = make ("pids", &l);
  cleanup_free char *max = cg_file (cg, "pids.max");
  cr_assert_str_eq (max, "8");
  pid_t pid = spawn (cg, fork_many, NULL);
  int status = 0;
  cr_assert_eq (waitpid (pid, &status, 0), pid);
  cr_assert (WIFEXITED (status), "status %#x", status);
  cr_assert_eq (WEXITSTATUS (status), 7, "forks made before EAGAIN: %d (the forker itself is the 8th)",
                WEXITSTATUS (status));
  skiff_cgroup_limits_release (&l);
  done (cg);
}

static void
count_forever (void *arg)
{
  volatile uint64_t *counter = arg;
  for (;;)
    (*counter)++;
}

Test (vm, freeze_stops_and_thaw_resumes)
{
  struct skiff_cgroup_limits l = { 0 };
  struct skiff_cgroup *cg = make ("freeze", &l);
  volatile uint64_t *counter = mmap (NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  cr_assert_neq ((void *) counter, MAP_FAILED);
  spawn (cg, count_forever, (void *) counter);
  while (*counter == 0)
    sleep_ms (10);
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_cgroup_freeze (cg, true, WAIT_MS, &err), 0, "%s", err ? err->msg : "");
  bool populated = false, frozen = false;
  cr_assert_eq (skiff_cgroup_events (cg, &populated, &frozen, NULL), 0);
  cr_assert (populated && frozen);
  uint64_t a = *counter;
  sleep_ms (300);
  cr_assert_eq (*counter, a, "the counter moved while frozen");
  cr_assert_eq (skiff_cgroup_freeze (cg, false, WAIT_MS, &err), 0, "%s", err ? err->msg : "");
  for (int i = 0; i < 200 && *counter == a; i++)
    sleep_ms (10);
  cr_assert_gt (*counter, a, "the counter did not move after the thaw");
  /* a frozen cgroup is killed all the same */
  cr_assert_eq (skiff_cgroup_freeze (cg, true, WAIT_MS, NULL), 0);
  done (cg);
}

static void
busy (void *arg)
{
  uint64_t end = now_ns () + (uint64_t) (uintptr_t) arg * 1000000ULL;
  volatile uint64_t x = 0;
  while (now_ns () < end)
    x++;
}

Test (vm, cpu_quota_throttles)
{
  struct skiff_cgroup_limits l = { 0 };
  parse (&l, SKIFF_CGF_CPUS, "0.1");
  parse (&l, SKIFF_CGF_CPU_SHARES, "512");
  struct skiff_cgroup *cg = make ("cpu", &l);
  cleanup_free char *max = cg_file (cg, "cpu.max");
  cr_assert_str_eq (max, "10000 100000");
  cleanup_free char *weight = cg_file (cg, "cpu.weight");
  cr_assert_str_eq (weight, "20");
  pid_t pid = spawn (cg, busy, (void *) (uintptr_t) 1500);
  cr_assert_eq (waitpid (pid, NULL, 0), pid);
  struct skiff_cgroup_stats st;
  cr_assert_eq (skiff_cgroup_stats_read (cg, &st, NULL), 0);
  cr_assert_gt (st.cpu_nr_throttled, 0, "a busy loop at 0.1 CPUs was never throttled");
  cr_assert_gt (st.cpu_usage_usec, 0);
  /* 1.5 s of wall time at 10% of one CPU: well under a second of CPU */
  cr_assert_lt (st.cpu_usage_usec, 1000000, "used %" PRIu64 " us", st.cpu_usage_usec);
  skiff_cgroup_limits_release (&l);
  done (cg);
}

static void
hold_memory (void *arg)
{
  int fd = (int) (intptr_t) arg;
  size_t n = 8 * MIB;
  char *p = malloc (n);
  for (size_t i = 0; p && i < n; i += 4096)
    p[i] = 1;
  if (write (fd, "x", 1) != 1)
    _exit (1);
  pause ();
}

Test (vm, stats_of_a_running_container)
{
  struct skiff_cgroup_limits l = { 0 };
  parse (&l, SKIFF_CGF_MEMORY, "64m");
  parse (&l, SKIFF_CGF_PIDS_LIMIT, "16");
  struct skiff_cgroup *cg = make ("stats", &l);
  int pfd[2];
  cr_assert_eq (pipe2 (pfd, O_CLOEXEC), 0);
  spawn (cg, hold_memory, (void *) (intptr_t) pfd[1]);
  char c;
  cr_assert_eq (read (pfd[0], &c, 1), 1);
  struct skiff_cgroup_stats st;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_cgroup_stats_read (cg, &st, &err), 0, "%s", err ? err->msg : "");
  cr_assert_geq (st.memory_current, 8 * MIB, "memory.current %" PRIu64, st.memory_current);
  cr_assert_geq (st.memory_anon, 8 * MIB);
  cr_assert_eq (st.memory_max, 64 * MIB);
  cr_assert_eq (st.pids_current, 1);
  cr_assert_eq (st.pids_max, 16);
  cr_assert_gt (st.cpu_usage_usec, 0);
  cr_assert_eq (st.oom_kill, 0);
  close (pfd[0]);
  close (pfd[1]);
  skiff_cgroup_limits_release (&l);
  done (cg);
}

Test (vm, update_a_live_cgroup)
{
  struct skiff_cgroup_limits l = { 0 };
  parse (&l, SKIFF_CGF_PIDS_LIMIT, "10");
  struct skiff_cgroup *cg = make ("update", &l);
  int pfd[2];
  cr_assert_eq (pipe2 (pfd, O_CLOEXEC), 0);
  spawn (cg, hold_memory, (void *) (intptr_t) pfd[1]);
  char c;
  cr_assert_eq (read (pfd[0], &c, 1), 1);
  struct skiff_cgroup_limits u = { 0 };
  parse (&u, SKIFF_CGF_PIDS_LIMIT, "20");
  parse (&u, SKIFF_CGF_MEMORY, "256m");
  parse (&u, SKIFF_CGF_CPUS, "0.5");
  parse (&u, SKIFF_CGF_MEMORY_RESERVATION, "16m");
  cr_assert_eq (skiff_cgroup_limits_finish (&u, NULL), 0);
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_cgroup_update (cg, &u, &err), 0, "%s", err ? err->msg : "");
  cleanup_free char *pids = cg_file (cg, "pids.max");
  cleanup_free char *mem = cg_file (cg, "memory.max");
  cleanup_free char *low = cg_file (cg, "memory.low");
  cleanup_free char *cpu = cg_file (cg, "cpu.max");
  cleanup_free char *swap = cg_file (cg, "memory.swap.max");
  cr_assert_str_eq (pids, "20");
  cr_assert_str_eq (mem, "268435456");
  cr_assert_str_eq (low, "16777216");
  cr_assert_str_eq (cpu, "50000 100000");
  cr_assert_str_eq (swap, "268435456");
  /* the kernel refuses what it must: a pids.max of junk never gets there, a bad update says so */
  struct skiff_cgroup_limits bad = { .memory = 1 * MIB, .memory_reservation = 2 * MIB };
  cr_assert_lt (skiff_cgroup_update (cg, &bad, &err), 0);
  skiff_error_release (&err);
  struct skiff_cgroup_limits unlimited = { .pids_max = -1 };
  cr_assert_eq (skiff_cgroup_update (cg, &unlimited, NULL), 0);
  free (pids);
  pids = cg_file (cg, "pids.max");
  cr_assert_str_eq (pids, "max");
  close (pfd[0]);
  close (pfd[1]);
  skiff_cgroup_limits_release (&l);
  skiff_cgroup_limits_release (&u);
  done (cg);
}

Test (vm, remove_waits_for_the_processes)
{
  struct skiff_cgroup_limits l = { 0 };
  struct skiff_cgroup *cg = make ("remove", &l);
  int pfd[2];
  cr_assert_eq (pipe2 (pfd, O_CLOEXEC), 0);
  pid_t pid = spawn (cg, hold_memory, (void *) (intptr_t) pfd[1]);
  char c;
  cr_assert_eq (read (pfd[0], &c, 1), 1);
  skiff_error_t err = NULL;
  uint64_t t0 = now_ns ();
  cr_assert_lt (skiff_cgroup_remove (cg, 200, &err), 0, "removed with a process inside");
  cr_assert_geq (now_ns () - t0, 200 * 1000000ULL, "gave up before the timeout");
  cr_assert_not_null (strstr (err->msg, "processes are still in it"), "%s", err->msg);
  skiff_error_release (&err);
  /* a cgroup the container made inside its own, then the kill */
  cleanup_free char *inner = path_join (cg->path, "inner");
  cr_assert_eq (mkdir (inner, 0755), 0);
  cr_assert_eq (skiff_cgroup_kill (cg, NULL), 0);
  cr_assert_eq (waitpid (pid, NULL, 0), pid);
  cr_assert_eq (skiff_cgroup_remove (cg, WAIT_MS, &err), 0, "%s", err ? err->msg : "");
  cr_assert_not (path_exists (cg->path));
  close (pfd[0]);
  close (pfd[1]);
  skiff_cgroup_free (cg);
}

Test (vm, enter_moves_a_running_process)
{
  struct skiff_cgroup_limits l = { 0 };
  struct skiff_cgroup *cg = make ("enter", &l);
  pid_t pid = fork ();
  if (pid == 0)
    {
      pause ();
      _exit (0);
    }
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_cgroup_enter (cg, pid, &err), 0, "%s", err ? err->msg : "");
  cleanup_free char *path = xasprintf ("/proc/%d/cgroup", pid);
  cleanup_free char *text = NULL;
  cr_assert_eq (read_file (path, &text, NULL, NULL), 0);
  cr_assert_not_null (strstr (text, "/skiff-enter.scope"), "%s", text);
  struct skiff_cgroup_stats st;
  cr_assert_eq (skiff_cgroup_stats_read (cg, &st, NULL), 0);
  cr_assert_eq (st.pids_current, 1);
  done (cg);
}

Test (vm, cpuset_and_io)
{
  struct skiff_cgroup_limits l = { 0 };
  parse (&l, SKIFF_CGF_CPUSET_CPUS, "1");
  parse (&l, SKIFF_CGF_CPUSET_MEMS, "0");
  parse (&l, SKIFF_CGF_BLKIO_WEIGHT, "500");
  /* contrib/vm loads the loop module: its devices are the VM's only block devices */
  cr_assert (path_exists ("/dev/loop0"), "no /dev/loop0 in the VM: is loop in contrib/vm/run-in-vm.sh's MODULES?");
  parse (&l, SKIFF_CGF_DEVICE_READ_BPS, "/dev/loop0:1mb");
  parse (&l, SKIFF_CGF_DEVICE_WRITE_IOPS, "/dev/loop0:100");
  struct skiff_cgroup *cg = make ("cpuset", &l);
  cleanup_free char *cpus = cg_file (cg, "cpuset.cpus");
  cr_assert_str_eq (cpus, "1");
  cleanup_free char *eff = cg_file (cg, "cpuset.cpus.effective");
  cr_assert_str_eq (eff, "1");
  cleanup_free char *bfq = path_join (cg->path, "io.bfq.weight");
  cleanup_free char *w = cg_file (cg, path_exists (bfq) ? "io.bfq.weight" : "io.weight");
  cr_assert (strcmp (w, "default 4950") == 0 || strcmp (w, "default 500") == 0, "weight: %s", w);
  struct stat st;
  cr_assert_eq (stat ("/dev/loop0", &st), 0);
  cleanup_free char *want
      = xasprintf ("%u:%u rbps=1048576 wbps=max riops=max wiops=100", major (st.st_rdev), minor (st.st_rdev));
  cleanup_free char *io = cg_file (cg, "io.max");
  cr_assert_str_eq (io, want);
  /* CPUs the delegation does not have are refused before anything is made */
  struct skiff_cgroup_limits many = { 0 };
  parse (&many, SKIFF_CGF_CPUSET_CPUS, "0-63");
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_cgroup_check (&info, &many, &err), 0);
  cr_assert (str_has_prefix (err->msg, "requested CPUs are not available - requested 0-63, available: "), "%s",
             err->msg);
  skiff_error_release (&err);
  skiff_cgroup_limits_release (&many);
  skiff_cgroup_limits_release (&l);
  done (cg);
}

/* The caller's own cgroup as base: its processes (this test's) move to init.scope, then the base enables the
 * controllers; as when skiff runs in a scope of its own (systemd-run --user --scope -p Delegate=yes). */
Test (vm, own_cgroup_as_base_moves_to_a_leaf)
{
  cleanup_free char *mine = NULL;
  cr_assert_eq (read_file ("/proc/self/cgroup", &mine, NULL, NULL), 0);
  mine[strcspn (mine, "\n")] = '\0';
  cleanup_free char *nest = xasprintf ("%s/t-nest", info.base);
  cr_assert_eq (mkdir (nest, 0755), 0, "%s: %s", nest, strerror (errno));
  cleanup_free char *procs = path_join (nest, "cgroup.procs");
  cr_assert_eq (write_file_at (AT_FDCWD, procs, "0", 1, 0644, NULL), 0);
  struct skiff_cgroup_info own = { .mode = SKIFF_CGROUP_V2, .delegated = true, .needs_leaf = true };
  own.base = xstrdup (nest);
  cleanup_free char *ctl = NULL;
  cleanup_free char *ctl_path = path_join (nest, "cgroup.controllers");
  cr_assert_eq (read_file (ctl_path, &ctl, NULL, NULL), 0);
  own.available = skiff_cgroup_controllers_parse (ctl);
  struct skiff_cgroup_limits l = { .pids_max = 5 };
  struct skiff_cgroup *cg = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_cgroup_create (&own, "nested", &l, &cg, &err), 0, "%s", err ? err->msg : "");
  cleanup_free char *now = NULL;
  cr_assert_eq (read_file ("/proc/self/cgroup", &now, NULL, NULL), 0);
  cr_assert_not_null (strstr (now, "/t-nest/" SKIFF_CGROUP_LEAF), "%s", now);
  cleanup_free char *sub = NULL;
  cleanup_free char *sub_path = path_join (nest, "cgroup.subtree_control");
  cr_assert_eq (read_file (sub_path, &sub, NULL, NULL), 0);
  cr_assert_not_null (strstr (sub, "pids"), "%s", sub);
  cr_assert_not_null (strstr (sub, "memory"), "%s", sub);
  done (cg);
  /* back where the test started, and the nest removed */
  cleanup_free char *back = xasprintf ("/sys/fs/cgroup%s/cgroup.procs", mine + 3);
  cr_assert_eq (write_file_at (AT_FDCWD, back, "0", 1, 0644, NULL), 0, "%s", back);
  cleanup_free char *leaf = path_join (nest, SKIFF_CGROUP_LEAF);
  cr_assert_eq (rmdir (leaf), 0);
  cr_assert_eq (rmdir (nest), 0);
  skiff_cgroup_info_release (&own);
}
