/* runtime: the mount plan as data, checked without privileges (what executes it is covered by the integration
 * tests), and the mountinfo reading that the recursive read-only fallback uses. */
#include <criterion/criterion.h>
#include <sys/mount.h>

#include "runtime/mounts.h"

static const struct skiff_mount_op *
find (const struct skiff_mount_plan *p, enum skiff_mount_kind kind, const char *target, size_t *index)
{
  for (size_t i = 0; i < p->n; i++)
    if (p->ops[i].kind == kind && strcmp (p->ops[i].target, target) == 0)
      {
        if (index)
          *index = i;
        return &p->ops[i];
      }
  return NULL;
}

static size_t
count (const struct skiff_mount_plan *p, enum skiff_mount_kind kind)
{
  size_t n = 0;
  for (size_t i = 0; i < p->n; i++)
    n += p->ops[i].kind == kind;
  return n;
}

Test (mount_plan, default_container)
{
  struct skiff_container_config cfg = { 0 };
  struct skiff_mount_plan p;
  skiff_mount_plan_build (&cfg, true, &p);
  cr_assert_gt (p.n, 10);
  /* proc first, then sysfs read-only, with the host's /sys as the fallback */
  cr_assert_eq (p.ops[0].kind, SKIFF_MOUNT_FS);
  cr_assert_str_eq (p.ops[0].fstype, "proc");
  cr_assert_eq (p.ops[0].flags, (unsigned long) (MS_NOSUID | MS_NODEV | MS_NOEXEC));
  cr_assert_str_eq (p.ops[1].target, "/sys");
  cr_assert_str_eq (p.ops[1].fstype, "sysfs");
  cr_assert (p.ops[1].flags & MS_RDONLY);
  cr_assert_str_eq (p.ops[1].fallback_bind, "/sys");
  /* /dev: a tmpfs, then the device nodes bound in, devpts before the ptmx link into it */
  size_t dev, pts, ptmx, null;
  cr_assert_not_null (find (&p, SKIFF_MOUNT_TMPFS, "/dev", &dev));
  const struct skiff_mount_op *devnull = find (&p, SKIFF_MOUNT_BIND, "/dev/null", &null);
  cr_assert_not_null (devnull);
  cr_assert_str_eq (devnull->source, "/dev/null");
  cr_assert_eq (devnull->target_kind, SKIFF_TARGET_FILE);
  cr_assert_not (devnull->readonly);
  const struct skiff_mount_op *devpts = find (&p, SKIFF_MOUNT_FS, "/dev/pts", &pts);
  cr_assert_str_eq (devpts->data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  const struct skiff_mount_op *link = find (&p, SKIFF_MOUNT_SYMLINK, "/dev/ptmx", &ptmx);
  cr_assert_str_eq (link->source, "pts/ptmx");
  cr_assert (dev < null && null < pts && pts < ptmx, "order %zu %zu %zu %zu", dev, null, pts, ptmx);
  cr_assert_str_eq (find (&p, SKIFF_MOUNT_SYMLINK, "/dev/fd", NULL)->source, "/proc/self/fd");
  cr_assert_not_null (find (&p, SKIFF_MOUNT_TMPFS, "/dev/shm", NULL));
  cr_assert_not_null (find (&p, SKIFF_MOUNT_FS, "/dev/mqueue", NULL));
  /* podman's masked and read-only paths, skipped when absent; the root stays writable */
  const struct skiff_mount_op *kcore = find (&p, SKIFF_MOUNT_MASK, "/proc/kcore", NULL);
  cr_assert (kcore && kcore->optional);
  const struct skiff_mount_op *sys = find (&p, SKIFF_MOUNT_READONLY, "/proc/sys", NULL);
  cr_assert (sys && sys->optional);
  cr_assert_eq (count (&p, SKIFF_MOUNT_ROOT_READONLY), 0);
  cr_assert_null (find (&p, SKIFF_MOUNT_TMPFS, "/tmp", NULL));
  skiff_mount_plan_release (&p);
}

Test (mount_plan, devpts_without_the_tty_group)
{
  struct skiff_container_config cfg = { 0 };
  struct skiff_mount_plan p;
  skiff_mount_plan_build (&cfg, false, &p);
  cr_assert_str_eq (find (&p, SKIFF_MOUNT_FS, "/dev/pts", NULL)->data, "newinstance,ptmxmode=0666,mode=0620");
  skiff_mount_plan_release (&p);
}

/* issue #9: with the host's network, /sys is the host's, bound read-only with every mount below it */
Test (mount_plan, host_network_binds_sys_read_only_recursively)
{
  struct skiff_container_config cfg = { .share_host_network = true };
  struct skiff_mount_plan p;
  skiff_mount_plan_build (&cfg, true, &p);
  cr_assert_null (find (&p, SKIFF_MOUNT_FS, "/sys", NULL));
  const struct skiff_mount_op *sys = find (&p, SKIFF_MOUNT_BIND, "/sys", NULL);
  cr_assert_not_null (sys);
  cr_assert_str_eq (sys->source, "/sys");
  cr_assert (sys->recursive && sys->readonly);
  skiff_mount_plan_release (&p);
  cfg.privileged = true;
  skiff_mount_plan_build (&cfg, true, &p);
  sys = find (&p, SKIFF_MOUNT_BIND, "/sys", NULL);
  cr_assert (sys && !sys->readonly);
  skiff_mount_plan_release (&p);
}

Test (mount_plan, privileged_masks_nothing)
{
  struct skiff_container_config cfg = { .privileged = true };
  struct skiff_mount_plan p;
  skiff_mount_plan_build (&cfg, true, &p);
  cr_assert_eq (count (&p, SKIFF_MOUNT_MASK), 0);
  cr_assert_eq (count (&p, SKIFF_MOUNT_READONLY), 0);
  cr_assert_not (p.ops[1].flags & MS_RDONLY);
  skiff_mount_plan_release (&p);
}

Test (mount_plan, binds_and_given_paths)
{
  struct skiff_bind binds[] = {
    { .source = (char *) "/run/user/1/x/hosts", .destination = (char *) "/etc/hosts", .readonly = false },
    { .source = (char *) "/srv/data", .destination = (char *) "/data", .readonly = true },
  };
  char *masked[] = { (char *) "/secret", NULL };
  char *ro[] = { (char *) "/etc", NULL };
  struct skiff_container_config cfg
      = { .binds = binds, .nbinds = ARRAY_SIZE (binds), .masked_paths = masked, .readonly_paths = ro };
  struct skiff_mount_plan p;
  skiff_mount_plan_build (&cfg, true, &p);
  size_t hosts, data, mask;
  const struct skiff_mount_op *b = find (&p, SKIFF_MOUNT_BIND, "/etc/hosts", &hosts);
  cr_assert (b && !b->readonly && b->recursive && b->target_kind == SKIFF_TARGET_LIKE_SOURCE);
  b = find (&p, SKIFF_MOUNT_BIND, "/data", &data);
  cr_assert (b && b->readonly);
  cr_assert_str_eq (b->source, "/srv/data");
  cr_assert_eq (count (&p, SKIFF_MOUNT_MASK), 1);
  cr_assert_not_null (find (&p, SKIFF_MOUNT_MASK, "/secret", &mask));
  cr_assert_eq (count (&p, SKIFF_MOUNT_READONLY), 1);
  cr_assert_not_null (find (&p, SKIFF_MOUNT_READONLY, "/etc", NULL));
  /* binds come in after /dev and before the masks, so a bind cannot uncover a masked path */
  size_t mqueue;
  find (&p, SKIFF_MOUNT_FS, "/dev/mqueue", &mqueue);
  cr_assert (mqueue < hosts && hosts < data && data < mask);
  skiff_mount_plan_release (&p);
}

/* the user's mounts (-v, --mount, --tmpfs, volumes): after the engine's binds, before the masks, in order */
Test (mount_plan, user_mounts)
{
  struct skiff_bind binds[] = { { .source = (char *) "/h", .destination = (char *) "/etc/hosts" } };
  struct skiff_user_mount um[] = {
    { .source = (char *) "/vol/_data",
      .destination = (char *) "/data",
      .recursive = true,
      .copy_up = true,
      .flags = MS_NOSUID | MS_NODEV,
      .propagation = MS_SLAVE | MS_REC },
    { .tmpfs = true,
      .destination = (char *) "/scratch",
      .flags = MS_NOSUID,
      .readonly = true,
      .data = (char *) "size=1m" },
    { .source = (char *) "/srv", .destination = (char *) "/srv", .readonly = true },
  };
  struct skiff_container_config cfg
      = { .binds = binds, .nbinds = 1, .user_mounts = um, .nuser_mounts = ARRAY_SIZE (um) };
  struct skiff_mount_plan p;
  skiff_mount_plan_build (&cfg, true, &p);
  size_t hosts, data, scratch, srv, mask;
  find (&p, SKIFF_MOUNT_BIND, "/etc/hosts", &hosts);
  const struct skiff_mount_op *b = find (&p, SKIFF_MOUNT_BIND, "/data", &data);
  cr_assert (b && b->recursive && b->copy_up && !b->readonly);
  cr_assert_eq (b->bind_flags, MS_NOSUID | MS_NODEV);
  cr_assert_eq (b->propagation, MS_SLAVE | MS_REC);
  cr_assert_str_eq (b->source, "/vol/_data");
  const struct skiff_mount_op *t = find (&p, SKIFF_MOUNT_TMPFS, "/scratch", &scratch);
  cr_assert (t && t->flags == (MS_NOSUID | MS_RDONLY) && t->target_kind == SKIFF_TARGET_DIR);
  cr_assert_str_eq (t->data, "size=1m");
  b = find (&p, SKIFF_MOUNT_BIND, "/srv", &srv);
  cr_assert (b && b->readonly && !b->recursive && !b->copy_up);
  find (&p, SKIFF_MOUNT_MASK, "/proc/kcore", &mask);
  cr_assert (hosts < data && data < scratch && scratch < srv && srv < mask);
  skiff_mount_plan_release (&p);
}

Test (mount_plan, read_only_root_last_with_its_tmpfs)
{
  struct skiff_container_config cfg = { .readonly_rootfs = true, .readonly_tmpfs = true };
  struct skiff_mount_plan p;
  skiff_mount_plan_build (&cfg, true, &p);
  cr_assert_eq (p.ops[p.n - 1].kind, SKIFF_MOUNT_ROOT_READONLY);
  const struct skiff_mount_op *tmp = find (&p, SKIFF_MOUNT_TMPFS, "/tmp", NULL);
  cr_assert (tmp && strcmp (tmp->data, "mode=1777") == 0 && tmp->flags == (unsigned long) (MS_NOSUID | MS_NODEV));
  cr_assert_str_eq (find (&p, SKIFF_MOUNT_TMPFS, "/run", NULL)->data, "mode=755");
  cr_assert_not_null (find (&p, SKIFF_MOUNT_TMPFS, "/var/tmp", NULL));
  skiff_mount_plan_release (&p);
  /* --read-only-tmpfs means nothing without --read-only */
  cfg.readonly_rootfs = false;
  skiff_mount_plan_build (&cfg, true, &p);
  cr_assert_null (find (&p, SKIFF_MOUNT_TMPFS, "/tmp", NULL));
  cr_assert_eq (count (&p, SKIFF_MOUNT_ROOT_READONLY), 0);
  skiff_mount_plan_release (&p);
}

Test (mount_plan, operations_for_volumes)
{
  /* what volumes and --tmpfs will add: a bind with propagation, a tmpfs with options, an overlay */
  struct skiff_mount_plan p = { 0 };
  struct skiff_mount_op *v = skiff_mount_plan_add (&p, SKIFF_MOUNT_BIND, "/vol");
  v->source = xstrdup ("/home/u/vol");
  v->propagation = MS_REC | MS_PRIVATE;
  struct skiff_mount_op *t = skiff_mount_plan_add (&p, SKIFF_MOUNT_TMPFS, "/scratch");
  t->data = xstrdup ("size=64m,mode=1777");
  struct skiff_mount_op *o = skiff_mount_plan_add (&p, SKIFF_MOUNT_OVERLAY, "/work");
  o->lower = xstrdup ("/a:/b");
  o->upper = xstrdup ("/u");
  o->work = xstrdup ("/w");
  cr_assert_eq (p.n, 3);
  cr_assert_eq (p.ops[0].target_kind, SKIFF_TARGET_DIR);
  cr_assert_str_eq (p.ops[1].target, "/scratch");
  skiff_mount_plan_release (&p);
  cr_assert_eq (p.n, 0);
}

Test (mountinfo, mounts_below_a_path)
{
  static const char mountinfo[] = "22 26 0:21 / /sys rw,relatime - sysfs sysfs rw\n"
                                  "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
                                  "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
                                  "40 26 0:40 / /system rw - tmpfs tmpfs rw\n"
                                  "41 26 0:41 / /sys/with\\040space rw - tmpfs tmpfs rw\n"
                                  "42 26 0:42 / /proc rw - proc proc rw";
  cleanup_strv char **below = skiff_mountinfo_below (mountinfo, "/sys/");
  cr_assert_eq (strv_len (below), 4);
  cr_assert_str_eq (below[0], "/sys");
  cr_assert_str_eq (below[1], "/sys/fs/cgroup");
  cr_assert_str_eq (below[2], "/sys/fs/cgroup/cpu");
  cr_assert_str_eq (below[3], "/sys/with space");
  cleanup_strv char **none = skiff_mountinfo_below (mountinfo, "/nowhere");
  cr_assert_eq (strv_len (none), 0);
  cleanup_strv char **all = skiff_mountinfo_below (mountinfo, "/");
  cr_assert_eq (strv_len (all), 6);
}
