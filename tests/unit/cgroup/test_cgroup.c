/* runtime/cgroup without privileges: podman's limit flags (parsing, crun's conversions, validation texts),
 * detection of a delegated subtree on a fake cgroup tree, the refusal messages, and what the backend writes
 * and reads, on directories of plain files standing in for cgroup files. The real kernel: tests/vm. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "runtime/cgroup.h"

static int64_t
bytes_ok (const char *s)
{
  int64_t v = -7;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_cgroup_parse_bytes (s, &v, &err), 0, "%s: %s", s, err ? err->msg : "?");
  return v;
}

static void
bytes_fail (const char *s, const char *msg)
{
  int64_t v = 0;
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_cgroup_parse_bytes (s, &v, &err), 0, "%s parsed", s);
  cr_assert_str_eq (err->msg, msg);
  skiff_error_release (&err);
}

Test (limits, bytes_as_go_units)
{
  cr_assert_eq (bytes_ok ("512"), 512);
  cr_assert_eq (bytes_ok ("0"), 0);
  cr_assert_eq (bytes_ok ("1k"), 1024);
  cr_assert_eq (bytes_ok ("1kb"), 1024);
  cr_assert_eq (bytes_ok ("1KiB"), 1024);
  cr_assert_eq (bytes_ok ("10 kb"), 10240);
  cr_assert_eq (bytes_ok ("64MiB"), 64LL << 20);
  cr_assert_eq (bytes_ok ("1.5g"), 3LL << 29);
  cr_assert_eq (bytes_ok ("2T"), 2LL << 40);
  cr_assert_eq (bytes_ok ("7b"), 7);
  cr_assert_eq (bytes_ok ("1e3"), 1000);
  bytes_fail ("abc", "invalid size: 'abc'");
  bytes_fail ("-1", "invalid size: '-1'");
  bytes_fail ("1x", "invalid suffix: 'x'");
  bytes_fail ("1kbb", "invalid suffix: 'kbb'");
  bytes_fail ("1bb", "invalid suffix: 'bb'");
  bytes_fail ("1mx", "invalid suffix: 'mx'");
  bytes_fail ("1gigs", "invalid suffix: 'gigs'");
  bytes_fail ("0x10", "strconv.ParseFloat: parsing \"0x10\": invalid syntax");
}

Test (limits, crun_conversions)
{
  cr_assert_eq (skiff_cgroup_shares_to_weight (0), 0);
  cr_assert_eq (skiff_cgroup_shares_to_weight (1), 1);
  cr_assert_eq (skiff_cgroup_shares_to_weight (2), 1);
  cr_assert_eq (skiff_cgroup_shares_to_weight (1024), 39); /* docker's default share */
  cr_assert_eq (skiff_cgroup_shares_to_weight (262144), 10000);
  cr_assert_eq (skiff_cgroup_shares_to_weight (500000), 10000);
  cr_assert_eq (skiff_cgroup_blkio_to_io_weight (10), 1);
  cr_assert_eq (skiff_cgroup_blkio_to_io_weight (50), 405);
  cr_assert_eq (skiff_cgroup_blkio_to_io_weight (500), 4950);
  cr_assert_eq (skiff_cgroup_blkio_to_io_weight (1000), 10000);
  uint64_t q, p;
  skiff_cgroup_cpus_to_quota (1.5, &q, &p);
  cr_assert_eq (q, 150000);
  cr_assert_eq (p, 100000);
  skiff_cgroup_cpus_to_quota (0.01, &q, &p);
  cr_assert_eq (q, 1000);
}

Test (limits, cpuset_lists)
{
  unsigned max = 0;
  cr_assert (skiff_cgroup_cpuset_valid ("0-3,8", &max));
  cr_assert_eq (max, 8);
  cr_assert (skiff_cgroup_cpuset_valid ("5", &max));
  cr_assert (skiff_cgroup_cpuset_valid ("0-1\n", NULL)); /* as the kernel's files end */
  const char *bad[] = { "", "3-1", "1,", ",1", "a", "0-", "0,,1", "1-2-3", "-1", "99999999" };
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    cr_assert_not (skiff_cgroup_cpuset_valid (bad[i], NULL), "\"%s\" accepted", bad[i]);
  cr_assert (skiff_cgroup_cpuset_subset ("1", "0-3"));
  cr_assert (skiff_cgroup_cpuset_subset ("0-1,3", "0-3"));
  cr_assert (skiff_cgroup_cpuset_subset ("0-1", "0,1"));
  cr_assert_not (skiff_cgroup_cpuset_subset ("4", "0-3"));
  cr_assert_not (skiff_cgroup_cpuset_subset ("2", "0-1,3"));
}

static void
parse_ok (struct skiff_cgroup_limits *l, enum skiff_cgroup_flag f, const char *v)
{
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_cgroup_limits_parse (l, f, v, &err), 0, "%s %s: %s", skiff_cgroup_flag_name (f), v,
                err ? err->msg : "?");
}

static void
parse_fail (enum skiff_cgroup_flag f, const char *v, const char *msg)
{
  struct skiff_cgroup_limits l = { 0 };
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_cgroup_limits_parse (&l, f, v, &err), 0, "%s %s accepted", skiff_cgroup_flag_name (f), v);
  cr_assert_not_null (strstr (err->msg, msg), "\"%s\" lacks \"%s\"", err->msg, msg);
  cr_assert_eq (err->exit_code, SKIFF_EXIT_ERROR);
  skiff_error_release (&err);
  skiff_cgroup_limits_release (&l);
}

static void
finish_fail (struct skiff_cgroup_limits *l, const char *msg)
{
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_cgroup_limits_finish (l, &err), 0);
  cr_assert_str_eq (err->msg, msg);
  skiff_error_release (&err);
  skiff_cgroup_limits_release (l);
}

Test (limits, memory_and_swap_as_podman)
{
  struct skiff_cgroup_limits l = { 0 };
  parse_ok (&l, SKIFF_CGF_MEMORY, "512m");
  cr_assert_eq (l.memory, 512LL << 20);
  cr_assert_eq (skiff_cgroup_limits_finish (&l, NULL), 0);
  cr_assert_eq (l.memory_swap, 1LL << 30, "podman's LimitToSwap: swap defaults to twice the memory");
  cr_assert_eq (skiff_cgroup_limits_controllers (&l), SKIFF_CG_MEMORY);
  skiff_cgroup_limits_release (&l);

  parse_ok (&l, SKIFF_CGF_MEMORY, "5m"); /* podman's own tests use 5m: no 6 MB floor */
  parse_ok (&l, SKIFF_CGF_MEMORY_SWAP, "-1");
  cr_assert_eq (skiff_cgroup_limits_finish (&l, NULL), 0);
  cr_assert_eq (l.memory_swap, -1);
  skiff_cgroup_limits_release (&l);

  parse_ok (&l, SKIFF_CGF_MEMORY, "0"); /* --memory=0: no limit */
  cr_assert_not (skiff_cgroup_limits_any (&l));
  cr_assert_eq (skiff_cgroup_limits_finish (&l, NULL), 0);
  cr_assert_not (skiff_cgroup_limits_any (&l));
  skiff_cgroup_limits_release (&l);

  parse_ok (&l, SKIFF_CGF_MEMORY_SWAP, "1g");
  finish_fail (&l, "you should always set a memory limit when using a memoryswap limit, see usage");
  parse_ok (&l, SKIFF_CGF_MEMORY, "1g");
  parse_ok (&l, SKIFF_CGF_MEMORY_SWAP, "512m");
  finish_fail (&l, "minimum memoryswap limit should be larger than memory limit, see usage");
  parse_ok (&l, SKIFF_CGF_MEMORY, "100m");
  parse_ok (&l, SKIFF_CGF_MEMORY_RESERVATION, "200m");
  finish_fail (&l, "minimum memory limit cannot be less than memory reservation limit, see usage");

  parse_fail (SKIFF_CGF_MEMORY, "lots", "invalid value for memory: invalid size: 'lots'");
  parse_fail (SKIFF_CGF_MEMORY_SWAP, "-2", "invalid value for memory: invalid size: '-2'");
  parse_fail (SKIFF_CGF_MEMORY_RESERVATION, "1q", "invalid value for memory: invalid suffix: 'q'");
}

Test (limits, cpu_as_podman)
{
  struct skiff_cgroup_limits l = { 0 };
  parse_ok (&l, SKIFF_CGF_CPUS, "1.5");
  cr_assert_eq (l.cpu_quota, 150000);
  cr_assert_eq (l.cpu_period, 100000);
  skiff_cgroup_limits_release (&l);
  parse_ok (&l, SKIFF_CGF_CPUS, "-1"); /* podman applies --cpus only above 0 */
  cr_assert_not (skiff_cgroup_limits_any (&l));
  parse_ok (&l, SKIFF_CGF_CPU_SHARES, "1024");
  cr_assert_eq (l.cpu_shares, 1024);
  cr_assert_eq (l.cpu_weight, 39);
  parse_ok (&l, SKIFF_CGF_CPU_PERIOD, "50000");
  parse_ok (&l, SKIFF_CGF_CPU_QUOTA, "25000");
  cr_assert_eq (l.cpu_period, 50000);
  cr_assert_eq (l.cpu_quota, 25000);
  parse_ok (&l, SKIFF_CGF_CPU_WEIGHT, "10000");
  cr_assert_eq (l.cpu_weight, 10000);
  cr_assert_eq (skiff_cgroup_limits_controllers (&l), SKIFF_CG_CPU);
  skiff_cgroup_limits_release (&l);

  parse_fail (SKIFF_CGF_CPUS, "two", "invalid argument \"two\" for \"--cpus\" flag: strconv.ParseFloat");
  parse_fail (SKIFF_CGF_CPU_PERIOD, "500",
              "CPU cfs period cannot be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
  parse_fail (SKIFF_CGF_CPU_PERIOD, "2000000", "CPU cfs period cannot be less than 1ms");
  parse_fail (SKIFF_CGF_CPU_QUOTA, "999", "CPU cfs quota cannot be less than 1ms (i.e. 1000)");
  parse_fail (SKIFF_CGF_CPU_SHARES, "-5", "invalid argument \"-5\" for \"--cpu-shares\" flag");
  parse_fail (SKIFF_CGF_CPU_WEIGHT, "0", "the range is 1 to 10000");
  parse_fail (SKIFF_CGF_CPUSET_CPUS, "0-", "invalid value 0- for cpuset cpus");
  parse_fail (SKIFF_CGF_CPUSET_MEMS, "x", "invalid value x for cpuset mems");
  parse_ok (&l, SKIFF_CGF_CPUSET_CPUS, "0-1");
  parse_ok (&l, SKIFF_CGF_CPUSET_MEMS, "0");
  cr_assert_str_eq (l.cpuset_cpus, "0-1");
  cr_assert_eq (skiff_cgroup_limits_controllers (&l), SKIFF_CG_CPUSET);
  skiff_cgroup_limits_release (&l);
}

Test (limits, pids_and_blkio_as_podman)
{
  struct skiff_cgroup_limits l = { 0 };
  parse_ok (&l, SKIFF_CGF_PIDS_LIMIT, "100");
  cr_assert_eq (l.pids_max, 100);
  parse_ok (&l, SKIFF_CGF_PIDS_LIMIT, "-1");
  cr_assert_eq (l.pids_max, -1, "-1 is unlimited, written as max");
  parse_ok (&l, SKIFF_CGF_PIDS_LIMIT, "0");
  cr_assert_eq (l.pids_max, 0, "0 asks for nothing");
  cr_assert_not (skiff_cgroup_limits_any (&l));
  parse_fail (SKIFF_CGF_PIDS_LIMIT, "many", "invalid argument \"many\" for \"--pids-limit\" flag");
  parse_fail (SKIFF_CGF_PIDS_LIMIT, "4294967296", "invalid argument"); /* an int32 for podman */

  parse_ok (&l, SKIFF_CGF_BLKIO_WEIGHT, "500");
  cr_assert_eq (l.blkio_weight, 500);
  cr_assert_eq (skiff_cgroup_limits_controllers (&l), SKIFF_CG_IO);
  parse_fail (SKIFF_CGF_BLKIO_WEIGHT, "5", "range of blkio weight is from 10 to 1000");
  parse_fail (SKIFF_CGF_BLKIO_WEIGHT, "1001", "range of blkio weight is from 10 to 1000");
  parse_fail (SKIFF_CGF_BLKIO_WEIGHT, "heavy", "invalid value for blkio-weight: strconv.ParseUint");
  skiff_cgroup_limits_release (&l);
}

/* A block device of this machine, or NULL. */
static char *
some_block_device (void)
{
  DIR *d = opendir ("/dev");
  if (d == NULL)
    return NULL;
  char *found = NULL;
  struct dirent *de;
  while (!found && (de = readdir (d)) != NULL)
    {
      cleanup_free char *p = path_join ("/dev", de->d_name);
      struct stat st;
      if (stat (p, &st) == 0 && S_ISBLK (st.st_mode))
        found = steal_pointer (&p);
    }
  closedir (d);
  return found;
}

Test (limits, device_throttles_as_podman)
{
  parse_fail (SKIFF_CGF_DEVICE_READ_BPS, "/dev/sda", "bad format: /dev/sda");
  parse_fail (SKIFF_CGF_DEVICE_READ_BPS, "sda:1mb", "bad format for device path: sda:1mb");
  parse_fail (SKIFF_CGF_DEVICE_WRITE_BPS, "/dev/sda:fast",
              "invalid rate for device: /dev/sda:fast. The correct format is <device-path>:<number>[<unit>]");
  parse_fail (SKIFF_CGF_DEVICE_READ_IOPS, "/dev/sda:1k",
              "invalid rate for device: /dev/sda:1k. The correct format is <device-path>:<number>. Number must be");
  parse_fail (SKIFF_CGF_DEVICE_READ_BPS, "/dev/no-such-disk:1mb",
              "failed to inspect '/dev/no-such-disk' in --device-read-bps: stat /dev/no-such-disk");
  parse_fail (SKIFF_CGF_DEVICE_WRITE_IOPS, "/dev/null:10", "/dev/null in --device-write-iops is not a block device");
}

/* one of a pair (tests/skips-allowed.txt): a machine either has a block device to throttle or has none (a
 * container or a minimal root like contrib/ci-fresh-root.sh's, whose /dev holds only the basic nodes) */
Test (limits, device_throttle_with_no_block_device)
{
  cleanup_free char *dev = some_block_device ();
  if (dev)
    cr_skip_test ("this machine has a block device in /dev (%s): limits::device_throttle_on_a_block_device runs", dev);
  /* what is there is refused as not a block device, and nothing else is assumed */
  parse_fail (SKIFF_CGF_DEVICE_READ_BPS, "/dev/zero:1mb", "/dev/zero in --device-read-bps is not a block device");
}

Test (limits, device_throttle_on_a_block_device)
{
  cleanup_free char *dev = some_block_device ();
  if (dev == NULL)
    cr_skip_test ("this machine has no block device in /dev to throttle");
  struct skiff_cgroup_limits l = { 0 };
  cleanup_free char *a = xasprintf ("%s:1mb", dev);
  cleanup_free char *b = xasprintf ("%s:10", dev);
  parse_ok (&l, SKIFF_CGF_DEVICE_READ_BPS, a);
  parse_ok (&l, SKIFF_CGF_DEVICE_WRITE_IOPS, b);
  cr_assert_eq (l.n_io, 1, "two flags on one device make one io.max line");
  cr_assert_eq (l.io[0].rbps, 1 << 20);
  cr_assert_eq (l.io[0].wiops, 10);
  cr_assert_eq (l.io[0].wbps, 0);
  struct stat st;
  cr_assert_eq (stat (dev, &st), 0);
  cr_assert_eq (l.io[0].major, major (st.st_rdev));
  cr_assert_str_eq (l.io[0].path, dev);
  skiff_cgroup_limits_release (&l);
}

Test (limits, flags_and_controllers)
{
  cr_assert_str_eq (skiff_cgroup_flag_name (SKIFF_CGF_MEMORY_RESERVATION), "--memory-reservation");
  cr_assert_str_eq (skiff_cgroup_flag_name (SKIFF_CGF_DEVICE_WRITE_IOPS), "--device-write-iops");
  cr_assert_eq (skiff_cgroup_flag_controller (SKIFF_CGF_CPU_SHARES), SKIFF_CG_CPU);
  cr_assert_eq (skiff_cgroup_flag_controller (SKIFF_CGF_BLKIO_WEIGHT), SKIFF_CG_IO);
  cr_assert_eq (skiff_cgroup_controllers_parse ("cpuset cpu io memory hugetlb pids rdma misc\n"), SKIFF_CG_ALL);
  cr_assert_eq (skiff_cgroup_controllers_parse ("memory pids"), SKIFF_CG_MEMORY | SKIFF_CG_PIDS);
  cr_assert_eq (skiff_cgroup_controllers_parse (""), 0);
  cleanup_free char *f = skiff_cgroup_controllers_format (SKIFF_CG_PIDS | SKIFF_CG_CPU);
  cr_assert_str_eq (f, "cpu pids");
}

/* ---- detection on a fake tree ---- */

static char *tree;

static void
make_tree (void)
{
  char tmpl[] = "/tmp/skiff-cgtest-XXXXXX";
  cr_assert_not_null (mkdtemp (tmpl));
  tree = xstrdup (tmpl);
}

static void
remove_tree (void)
{
  rm_rf (tree, NULL);
  free (tree);
  tree = NULL;
}

static void
put (const char *rel, const char *content, mode_t mode)
{
  cleanup_free char *p = path_join (tree, rel);
  cleanup_free char *dir = xstrdup (p);
  *strrchr (dir, '/') = '\0';
  cr_assert_eq (mkdir_p (dir, 0755, NULL), 0);
  unlink (p); /* a read-only one is replaced, as an unprivileged user could not write it */
  cr_assert_eq (write_file_at (AT_FDCWD, p, content, strlen (content), mode, NULL), 0, "%s", p);
  chmod (p, mode);
}

static char *
get (const char *rel)
{
  cleanup_free char *p = path_join (tree, rel);
  char *text = NULL;
  cr_assert_eq (read_file (p, &text, NULL, NULL), 0, "%s", p);
  return text;
}

/* A cgroup directory as the kernel shows it to its owner: the files that delegation hands over. */
static void
fake_cgroup (const char *rel, const char *controllers, const char *subtree, mode_t mode)
{
  cleanup_free char *procs = xasprintf ("%s/cgroup.procs", rel);
  cleanup_free char *st = xasprintf ("%s/cgroup.subtree_control", rel);
  cleanup_free char *ctl = xasprintf ("%s/cgroup.controllers", rel);
  put (procs, "", mode);
  put (st, subtree, mode);
  put (ctl, controllers, 0444);
}

static void
detect (const char *proc, uid_t uid, struct skiff_cgroup_info *info)
{
  skiff_error_t err = NULL;
  cleanup_free char *mount = path_join (tree, "cg");
  cr_assert_eq (skiff_cgroup_detect_at (mount, SKIFF_CGROUP_V2, proc, uid, info, &err), 0);
}

Test (detect, parent_owned_takes_containers_beside, .init = make_tree, .fini = remove_tree)
{
  fake_cgroup ("cg", "cpuset cpu io memory pids", "cpu memory", 0644);
  fake_cgroup ("cg/user@1000.service", "cpu memory pids io", "memory", 0644);
  fake_cgroup ("cg/user@1000.service/cmd.scope", "", "", 0644);
  struct skiff_cgroup_info info;
  detect ("1:name=systemd:/x\n0::/user@1000.service/cmd.scope\n", geteuid (), &info);
  cr_assert (info.delegated, "%s", info.reason ? info.reason : "");
  cr_assert_str_eq (info.own, "/user@1000.service/cmd.scope");
  cleanup_free char *want = xasprintf ("%s/cg/user@1000.service", tree);
  cr_assert_str_eq (info.base, want);
  cr_assert_not (info.needs_leaf);
  cr_assert_eq (info.available, SKIFF_CG_CPU | SKIFF_CG_MEMORY | SKIFF_CG_PIDS | SKIFF_CG_IO);
  cr_assert_eq (info.enabled, SKIFF_CG_MEMORY);
  skiff_cgroup_info_release (&info);
}

Test (detect, own_cgroup_delegated_needs_a_leaf, .init = make_tree, .fini = remove_tree)
{
  /* the parent's files are not writable by their owner: as systemd leaves a scope's parent */
  fake_cgroup ("cg/app.slice", "cpu memory pids", "cpu memory pids", 0444);
  fake_cgroup ("cg/app.slice/run-1.scope", "cpu memory pids", "", 0644);
  struct skiff_cgroup_info info;
  detect ("0::/app.slice/run-1.scope\n", geteuid (), &info);
  cr_assert (info.delegated, "%s", info.reason ? info.reason : "");
  cleanup_free char *want = xasprintf ("%s/cg/app.slice/run-1.scope", tree);
  cr_assert_str_eq (info.base, want);
  cr_assert (info.needs_leaf);
  skiff_cgroup_info_release (&info);
}

Test (detect, not_owned_is_refused_with_the_fix, .init = make_tree, .fini = remove_tree)
{
  fake_cgroup ("cg/user.slice", "cpu memory pids", "", 0644);
  fake_cgroup ("cg/user.slice/session-1.scope", "cpu memory pids", "", 0644);
  struct skiff_cgroup_info info;
  detect ("0::/user.slice/session-1.scope\n", geteuid () + 1, &info); /* someone else's */
  cr_assert_not (info.delegated);
  cr_assert_null (info.base);
  cr_assert_not_null (strstr (info.reason, "your cgroup /user.slice/session-1.scope is not delegated to you"), "%s",
                      info.reason);
  cr_assert_not_null (strstr (info.reason, "Delegate=yes"), "%s", info.reason);

  struct skiff_cgroup_limits l = { 0 };
  parse_ok (&l, SKIFF_CGF_PIDS_LIMIT, "10");
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_cgroup_check (&info, &l, &err), 0);
  cr_assert (str_has_prefix (err->msg, "cannot apply --pids-limit: your cgroup"), "%s", err->msg);
  skiff_error_release (&err);
  /* no limit asked for: nothing to refuse */
  struct skiff_cgroup_limits none = { 0 };
  cr_assert_eq (skiff_cgroup_check (&info, &none, NULL), 0);
  struct skiff_cgroup *cg = NULL;
  cr_assert_lt (skiff_cgroup_create (&info, "abc", &none, &cg, &err), 0);
  skiff_error_release (&err);
  skiff_cgroup_limits_release (&l);
  skiff_cgroup_info_release (&info);
}

Test (detect, namespace_root_and_missing_entry, .init = make_tree, .fini = remove_tree)
{
  fake_cgroup ("cg", "cpu memory pids", "", 0644);
  struct skiff_cgroup_info info;
  detect ("0::/\n", geteuid (), &info);
  cr_assert (info.delegated);
  cr_assert_not (info.needs_leaf, "a namespace root may keep its processes");
  skiff_cgroup_info_release (&info);
  detect ("4:memory:/x\n", geteuid (), &info);
  cr_assert_not (info.delegated);
  cr_assert_not_null (strstr (info.reason, "no cgroup v2 entry"));
  skiff_cgroup_info_release (&info);
}

Test (detect, v1_and_hybrid_say_why_and_how)
{
  struct skiff_cgroup_limits l = { 0 };
  parse_ok (&l, SKIFF_CGF_MEMORY, "1g");
  cr_assert_eq (skiff_cgroup_limits_finish (&l, NULL), 0);
  const struct
  {
    enum skiff_cgroup_mode mode;
    const char *needle;
  } cases[] = {
    { SKIFF_CGROUP_V1, "this host runs cgroup v1, where a rootless container cannot have resource limits" },
    { SKIFF_CGROUP_HYBRID, "hybrid mode (the cgroup v2 hierarchy at /sys/fs/cgroup/unified has no controllers)" },
    { SKIFF_CGROUP_NONE, "no cgroup filesystem is mounted at /sys/fs/cgroup" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      struct skiff_cgroup_info info;
      cr_assert_eq (skiff_cgroup_detect_at ("/sys/fs/cgroup", cases[i].mode, "", 1000, &info, NULL), 0);
      cr_assert_not (info.delegated);
      skiff_error_t err = NULL;
      cr_assert_lt (skiff_cgroup_check (&info, &l, &err), 0);
      cr_assert_eq (err->exit_code, SKIFF_EXIT_ERROR);
      cr_assert (str_has_prefix (err->msg, "cannot apply --memory: "), "%s", err->msg);
      cr_assert_not_null (strstr (err->msg, cases[i].needle), "%s", err->msg);
      if (cases[i].mode != SKIFF_CGROUP_NONE)
        cr_assert_not_null (strstr (err->msg, "systemd.unified_cgroup_hierarchy=1"), "%s", err->msg);
      skiff_error_release (&err);
      skiff_cgroup_info_release (&info);
    }
  skiff_cgroup_limits_release (&l);
}

Test (detect, this_host_mode)
{
  /* the answer must agree with what the files say: cgroup.controllers at the top is v2; only below
   * unified/ is hybrid */
  enum skiff_cgroup_mode m = skiff_cgroup_mode_at ("/sys/fs/cgroup");
  if (path_exists ("/sys/fs/cgroup/cgroup.controllers"))
    cr_assert_eq (m, SKIFF_CGROUP_V2);
  else if (path_exists ("/sys/fs/cgroup/unified/cgroup.controllers"))
    cr_assert_eq (m, SKIFF_CGROUP_HYBRID);
  else if (path_exists ("/sys/fs/cgroup"))
    cr_assert_eq (m, SKIFF_CGROUP_V1);
  cr_assert_eq (skiff_cgroup_mode_at ("/no/such/dir"), SKIFF_CGROUP_NONE);
  cr_assert_str_eq (skiff_cgroup_mode_name (SKIFF_CGROUP_HYBRID), "hybrid");
  struct skiff_cgroup_info info;
  cr_assert_eq (skiff_cgroup_detect (&info, NULL), 0);
  cr_assert_eq (info.mode, m);
  if (m != SKIFF_CGROUP_V2)
    cr_assert_not (info.delegated);
  skiff_cgroup_info_release (&info);
}

Test (detect, missing_controller_and_cpus, .init = make_tree, .fini = remove_tree)
{
  fake_cgroup ("cg/d", "cpu pids", "", 0644);
  fake_cgroup ("cg/d/me", "", "", 0644);
  put ("cg/d/cpuset.cpus.effective", "0-1\n", 0444);
  struct skiff_cgroup_info info;
  detect ("0::/d/me\n", geteuid (), &info);
  cr_assert (info.delegated);
  struct skiff_cgroup_limits l = { 0 };
  parse_ok (&l, SKIFF_CGF_PIDS_LIMIT, "10");
  parse_ok (&l, SKIFF_CGF_MEMORY_RESERVATION, "10m");
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_cgroup_check (&info, &l, &err), 0);
  cr_assert (str_has_prefix (err->msg, "cannot apply --memory-reservation: the memory controller is not delegated "
                                       "to you"),
             "%s", err->msg);
  cr_assert_not_null (strstr (err->msg, "offers: cpu pids"), "%s", err->msg);
  cr_assert_not_null (strstr (err->msg, "Delegate=cpu cpuset io memory pids"), "%s", err->msg);
  skiff_error_release (&err);
  skiff_cgroup_limits_release (&l);

  info.available |= SKIFF_CG_CPUSET;
  parse_ok (&l, SKIFF_CGF_CPUSET_CPUS, "1-3");
  cr_assert_lt (skiff_cgroup_check (&info, &l, &err), 0);
  cr_assert_str_eq (err->msg, "requested CPUs are not available - requested 1-3, available: 0-1");
  skiff_error_release (&err);
  skiff_cgroup_limits_release (&l);
  parse_ok (&l, SKIFF_CGF_CPUSET_CPUS, "1");
  cr_assert_eq (skiff_cgroup_check (&info, &l, NULL), 0);
  skiff_cgroup_limits_release (&l);
  skiff_cgroup_info_release (&info);
}

/* ---- what the backend writes and reads, on plain files ---- */

static const char *const limit_files[]
    = { "memory.max",  "memory.low",  "memory.swap.max", "cpu.max", "cpu.weight",  "pids.max",
        "cpuset.cpus", "cpuset.mems", "io.weight",       "io.max",  "cgroup.procs" };

static struct skiff_cgroup *
fake_container (const char *rel)
{
  for (size_t i = 0; i < ARRAY_SIZE (limit_files); i++)
    {
      cleanup_free char *f = xasprintf ("%s/%s", rel, limit_files[i]);
      put (f, "", 0644);
    }
  cleanup_free char *p = path_join (tree, rel);
  struct skiff_cgroup *cg = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_cgroup_open (p, &cg, &err), 0);
  return cg;
}

static void
assert_file (const char *rel, const char *want)
{
  cleanup_free char *got = get (rel);
  cr_assert_str_eq (got, want, "%s: \"%s\", want \"%s\"", rel, got, want);
}

Test (apply, writes_what_crun_writes, .init = make_tree, .fini = remove_tree)
{
  struct skiff_cgroup *cg = fake_container ("c");
  struct skiff_cgroup_limits l = { 0 };
  parse_ok (&l, SKIFF_CGF_MEMORY, "512m");
  parse_ok (&l, SKIFF_CGF_MEMORY_RESERVATION, "128m");
  parse_ok (&l, SKIFF_CGF_CPUS, "1.5");
  parse_ok (&l, SKIFF_CGF_CPU_SHARES, "1024");
  parse_ok (&l, SKIFF_CGF_CPUSET_CPUS, "0-1");
  parse_ok (&l, SKIFF_CGF_PIDS_LIMIT, "100");
  parse_ok (&l, SKIFF_CGF_BLKIO_WEIGHT, "50");
  cr_assert_eq (skiff_cgroup_limits_finish (&l, NULL), 0);
  /* a device stands in by number: io.max takes MAJ:MIN */
  l.io = xmalloc0 (sizeof *l.io);
  l.n_io = 1;
  l.io[0] = (struct skiff_cgroup_io_device){
    .path = xstrdup ("/dev/vdz"), .major = 254, .minor = 16, .rbps = 1048576, .wiops = 10
  };
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_cgroup_update (cg, &l, &err), 0, "%s", err ? err->msg : "");
  assert_file ("c/memory.max", "536870912");
  assert_file ("c/memory.low", "134217728");
  assert_file ("c/memory.swap.max", "536870912"); /* podman's memory+swap of 1g, less the memory */
  assert_file ("c/cpu.max", "150000 100000");
  assert_file ("c/cpu.weight", "39");
  assert_file ("c/cpuset.cpus", "0-1");
  assert_file ("c/pids.max", "100");
  assert_file ("c/io.weight", "405"); /* no io.bfq.weight here: converted as crun does */
  assert_file ("c/io.max", "254:16 rbps=1048576 wiops=10");
  skiff_cgroup_limits_release (&l);
  skiff_cgroup_free (cg);
}

Test (apply, update_changes_only_what_is_given, .init = make_tree, .fini = remove_tree)
{
  struct skiff_cgroup *cg = fake_container ("c");
  put ("c/memory.max", "1000", 0644);
  put ("c/io.bfq.weight", "", 0644);
  struct skiff_cgroup_limits l = { 0 };
  l.memory_swap = 3000; /* swap alone: the memory limit in force is read back */
  l.pids_max = -1;
  l.blkio_weight = 300;
  l.cpu_period = 50000;
  cr_assert_eq (skiff_cgroup_update (cg, &l, NULL), 0);
  assert_file ("c/memory.swap.max", "2000");
  assert_file ("c/memory.max", "1000");
  assert_file ("c/pids.max", "max");
  assert_file ("c/io.bfq.weight", "300"); /* BFQ takes the weight as it is */
  assert_file ("c/io.weight", "");
  assert_file ("c/cpu.max", "max 50000");
  assert_file ("c/cpu.weight", "");

  struct skiff_cgroup_limits bad = { .memory_swap = 500 };
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_cgroup_update (cg, &bad, &err), 0);
  cr_assert_not_null (strstr (err->msg, "minimum memoryswap limit should be larger than memory limit"), "%s", err->msg);
  skiff_error_release (&err);
  struct skiff_cgroup_limits bad2 = { .memory = 100, .memory_reservation = 200 };
  cr_assert_lt (skiff_cgroup_update (cg, &bad2, &err), 0);
  skiff_error_release (&err);

  /* without swap accounting there is no memory.swap.max: nothing to limit, as crun */
  cleanup_free char *swap = path_join (tree, "c/memory.swap.max");
  unlink (swap);
  struct skiff_cgroup_limits s = { .memory = 4096, .memory_swap = 8192 };
  cr_assert_eq (skiff_cgroup_update (cg, &s, NULL), 0);
  skiff_cgroup_free (cg);
}

Test (apply, stats_from_the_files, .init = make_tree, .fini = remove_tree)
{
  struct skiff_cgroup *cg = fake_container ("c");
  put ("c/cpu.stat",
       "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 7\nnr_throttled 3\n"
       "throttled_usec 42\n",
       0444);
  put ("c/memory.current", "8388608\n", 0444);
  put ("c/memory.max", "max\n", 0444);
  put ("c/memory.stat", "anon 4096\nfile 8192\nkernel 100\nkernel_stack 16384\ninactive_file 2048\n", 0444);
  put ("c/memory.events", "low 0\nhigh 0\nmax 5\noom 1\noom_kill 2\n", 0444);
  put ("c/pids.current", "3\n", 0444);
  put ("c/pids.max", "64\n", 0444);
  put ("c/io.stat",
       "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n"
       "254:0 rbytes=1000 wbytes=2000 rios=10 wios=20 dbytes=0 dios=0\n",
       0444);
  put ("c/cgroup.events", "populated 1\nfrozen 0\n", 0444);
  struct skiff_cgroup_stats st;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_cgroup_stats_read (cg, &st, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (st.cpu_usage_usec, 1500);
  cr_assert_eq (st.cpu_system_usec, 500);
  cr_assert_eq (st.cpu_nr_throttled, 3);
  cr_assert_eq (st.memory_current, 8388608);
  cr_assert_eq (st.memory_max, SKIFF_CGROUP_UNLIMITED);
  cr_assert_eq (st.memory_anon, 4096);
  cr_assert_eq (st.memory_kernel, 100, "kernel, not kernel_stack");
  cr_assert_eq (st.memory_inactive_file, 2048);
  cr_assert_eq (st.oom, 1);
  cr_assert_eq (st.oom_kill, 2);
  cr_assert_eq (st.pids_current, 3);
  cr_assert_eq (st.pids_max, 64);
  cr_assert_eq (st.io_rbytes, 1100);
  cr_assert_eq (st.io_wios, 22);
  uint64_t kills = 0;
  cr_assert_eq (skiff_cgroup_oom_kills (cg, &kills, NULL), 0);
  cr_assert_eq (kills, 2);
  bool populated = false, frozen = true;
  cr_assert_eq (skiff_cgroup_events (cg, &populated, &frozen, NULL), 0);
  cr_assert (populated);
  cr_assert_not (frozen);
  skiff_cgroup_free (cg);
}

Test (apply, freeze_waits_for_the_kernel, .init = make_tree, .fini = remove_tree)
{
  struct skiff_cgroup *cg = fake_container ("c");
  put ("c/cgroup.freeze", "", 0644);
  put ("c/cgroup.events", "populated 1\nfrozen 0\n", 0444);
  skiff_error_t err = NULL;
  uint64_t t0 = now_ns ();
  cr_assert_lt (skiff_cgroup_freeze (cg, true, 100, &err), 0, "no one set frozen 1");
  cr_assert_geq (now_ns () - t0, 100 * 1000000ULL, "it gave up before its time");
  cr_assert_eq (err->status, ETIMEDOUT);
  cr_assert_not_null (strstr (err->msg, "did not become frozen within 100 ms"), "%s", err->msg);
  skiff_error_release (&err);
  assert_file ("c/cgroup.freeze", "1");
  put ("c/cgroup.events", "populated 1\nfrozen 1\n", 0444);
  cr_assert_eq (skiff_cgroup_freeze (cg, true, 100, NULL), 0);
  skiff_cgroup_free (cg);
}

Test (apply, create_and_remove_leave_nothing, .init = make_tree, .fini = remove_tree)
{
  fake_cgroup ("cg/base", "cpu memory pids", "", 0644);
  cleanup_free char *base = xasprintf ("%s/cg/base", tree);
  struct skiff_cgroup_info info
      = { .mode = SKIFF_CGROUP_V2, .delegated = true, .available = SKIFF_CG_CPU | SKIFF_CG_MEMORY | SKIFF_CG_PIDS };
  info.base = base;
  /* limits need files a plain directory lacks: the failed create removes its directory */
  struct skiff_cgroup_limits l = { .pids_max = 5 };
  struct skiff_cgroup *cg = NULL;
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_cgroup_create (&info, "0123abcd", &l, &cg, &err), 0);
  cr_assert_not_null (strstr (err->msg, "cannot set the resource limits of the container's cgroup"), "%s", err->msg);
  skiff_error_release (&err);
  cleanup_free char *dir = xasprintf ("%s/skiff-0123abcd.scope", base);
  cr_assert_not (path_exists (dir));
  /* the base got its controllers enabled for the children */
  assert_file ("cg/base/cgroup.subtree_control", "+cpu +memory +pids");

  struct skiff_cgroup_limits none = { 0 };
  info.enabled = info.available;
  cr_assert_eq (skiff_cgroup_create (&info, "0123abcd", &none, &cg, &err), 0, "%s", err ? err->msg : "");
  cr_assert_str_eq (cg->path, dir);
  cr_assert (path_exists (dir));
  /* a cgroup the container made inside its own goes too */
  cleanup_free char *nested = xasprintf ("%s/inner/deeper", dir);
  cr_assert_eq (mkdir_p (nested, 0755, NULL), 0);
  cr_assert_eq (skiff_cgroup_remove (cg, 100, &err), 0, "%s", err ? err->msg : "");
  cr_assert_not (path_exists (dir));
  cr_assert_eq (skiff_cgroup_remove (cg, 100, NULL), 0, "a missing cgroup is removed already");
  skiff_cgroup_free (cg);
  info.base = NULL;
  skiff_cgroup_info_release (&info);
}

Test (apply, leaf_move_gives_up_on_a_moving_target, .init = make_tree, .fini = remove_tree)
{
  /* a plain file never empties: the bounded rounds end with a message instead of spinning forever */
  fake_cgroup ("cg/me", "memory", "", 0644);
  put ("cg/me/cgroup.procs", "4242\n", 0644);
  put ("cg/me/" SKIFF_CGROUP_LEAF "/cgroup.procs", "", 0644);
  cleanup_free char *base = xasprintf ("%s/cg/me", tree);
  struct skiff_cgroup_info info = { .mode = SKIFF_CGROUP_V2, .delegated = true, .needs_leaf = true };
  info.base = base;
  struct skiff_cgroup_limits none = { 0 };
  struct skiff_cgroup *cg = NULL;
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_cgroup_create (&info, "x", &none, &cg, &err), 0);
  cr_assert_not_null (strstr (err->msg, "keep forking"), "%s", err->msg);
  skiff_error_release (&err);
  assert_file ("cg/me/" SKIFF_CGROUP_LEAF "/cgroup.procs", "4242");
}
