/* spec -> record -> runtime config, without privileges: what create makes of a spec and an image, what the
 * record keeps of it, and the runtime configuration every start builds from the record. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "engine/internal.h"
#include "runtime/caps.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct skiff_image *
image (void)
{
  struct skiff_image *img = xmalloc0 (sizeof *img);
  img->id = xstrdup ("79d78f2b0e0da0355cffcdf518ec5b6c56edc4b3a36df54555e0df02db1b2cae");
  strv_push (&img->names, "localhost/img:latest");
  struct skiff_image_config *ic = skiff_image_config_new ();
  strv_push (&ic->env, "PATH=/bin");
  strv_push (&ic->env, "IMG=1");
  strv_push (&ic->entrypoint, "/entry");
  strv_push (&ic->cmd, "default");
  strv_push (&ic->cmd, "cmd");
  ic->working_dir = xstrdup ("/work");
  ic->user = xstrdup ("nobody");
  ic->stop_signal = xstrdup ("SIGQUIT");
  img->config = ic;
  return img;
}

static struct skiff_container *
from_spec (const struct skiff_spec *s)
{
  struct skiff_image *img = image ();
  struct skiff_container *c = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_container_from_spec (s, img, ID, "/root-dir", &c, &err), 0, "%s", err ? err->msg : "");
  skiff_image_free (img);
  return c;
}

static void
assert_argv (char *const *v, const char *const *want)
{
  size_t i = 0;
  for (; want[i]; i++)
    {
      cr_assert (v && v[i], "argv ends before \"%s\"", want[i]);
      cr_assert_str_eq (v[i], want[i]);
    }
  cr_assert_null (v[i], "argv goes on with \"%s\"", v[i]);
}

static void
spec_with (struct skiff_spec *s)
{
  skiff_spec_init (s);
  s->image = xstrdup ("img");
}

Test (spec, entrypoint_and_command)
{
  struct skiff_spec s;
  spec_with (&s);
  struct skiff_container *c = from_spec (&s);
  assert_argv (c->args, (const char *const[]){ "/entry", "default", "cmd", NULL });
  skiff_container_free (c);

  /* a command replaces the image's CMD, not its ENTRYPOINT */
  s.cmd.set = true;
  strv_push (&s.cmd.v, "mine");
  c = from_spec (&s);
  assert_argv (c->args, (const char *const[]){ "/entry", "mine", NULL });
  skiff_container_free (c);

  /* --entrypoint "" clears the entrypoint, and with it the image's CMD */
  s.entrypoint.set = true;
  c = from_spec (&s);
  assert_argv (c->args, (const char *const[]){ "mine", NULL });
  skiff_container_free (c);

  /* a mount to a relative path is refused, not dropped */
  s.mounts = xmalloc0 (sizeof *s.mounts);
  s.mounts[0] = (struct skiff_mount){ .type = SKIFF_MOUNT_TMPFS, .destination = xstrdup ("scratch") };
  s.nmounts = 1;
  struct skiff_image *im = image ();
  skiff_error_t merr = NULL;
  c = NULL;
  cr_assert_lt (skiff_container_from_spec (&s, im, ID, "/r", &c, &merr), 0);
  cr_assert (strstr (merr->msg, "must be an absolute path"), "%s", merr->msg);
  skiff_error_release (&merr);
  skiff_image_free (im);
  skiff_mounts_free (s.mounts, s.nmounts);
  s.mounts = NULL;
  s.nmounts = 0;

  /* cleared with nothing left to run: an error naming the fix */
  strv_free (s.cmd.v);
  s.cmd = (struct skiff_argv){ 0 };
  struct skiff_image *img = image ();
  skiff_error_t err = NULL;
  c = NULL;
  cr_assert_lt (skiff_container_from_spec (&s, img, ID, "/r", &c, &err), 0);
  cr_assert (strstr (err->msg, "give a command after the image"), "%s", err->msg);
  cr_assert_eq (err->status, EINVAL);
  skiff_error_release (&err);
  skiff_image_free (img);
  skiff_spec_release (&s);
}

/* --unsetenv drops a default or the image's variable; --unsetenv-all both; -e still sets */
Test (spec, unsetenv)
{
  struct skiff_spec s;
  spec_with (&s);
  strv_push (&s.unsetenv, "TERM");
  strv_push (&s.unsetenv, "IMG");
  struct skiff_container *c = from_spec (&s);
  assert_argv (c->env, (const char *const[]){ "PATH=/bin", "container=podman", NULL });
  skiff_container_free (c);
  s.unsetenv_all = true;
  strv_push (&s.env, "TERM=abc");
  c = from_spec (&s);
  assert_argv (c->env, (const char *const[]){ "TERM=abc", NULL });
  skiff_container_free (c);
  skiff_spec_release (&s);
}

Test (spec, image_defaults_and_spec_overrides)
{
  struct skiff_spec s;
  spec_with (&s);
  strv_push (&s.env, "IMG=2");
  strv_push (&s.env, "NEW=x=y");
  struct skiff_container *c = from_spec (&s);
  /* podman's defaults under the image's (its PATH wins) */
  assert_argv (c->env,
               (const char *const[]){ "PATH=/bin", "IMG=2", "TERM=xterm", "container=podman", "NEW=x=y", NULL });
  cr_assert_str_eq (c->user, "nobody");
  cr_assert_str_eq (c->workdir, "/work");
  cr_assert_str_eq (c->hostname, "0123456789ab", "the ID's first 12 characters");
  cr_assert_eq (c->stop_signal, SIGQUIT, "the image's StopSignal");
  cr_assert_eq (c->stop_timeout, SKIFF_DEFAULT_STOP_TIMEOUT);
  cr_assert_str_eq (c->image_name, "localhost/img:latest");
  cr_assert_str_eq (c->log_path, "/root-dir/containers/" ID "/ctr.log");
  cr_assert_eq (c->log_size_max, -1);
  cr_assert_eq (c->caps, SKIFF_CAPS_DEFAULT);
  cr_assert_eq (c->state, SKIFF_CTR_CREATED);
  skiff_container_free (c);

  s.user = xstrdup ("1000:1000");
  s.workdir = xstrdup ("/w");
  s.hostname = xstrdup ("h");
  s.stop_signal = SIGUSR2;
  s.stop_timeout_set = true;
  s.stop_timeout = 0;
  s.log_driver = SKIFF_LOG_NONE;
  s.privileged = true;
  s.seccomp = SKIFF_SECCOMP_CUSTOM;
  s.seccomp_profile = xstrdup ("{}");
  c = from_spec (&s);
  cr_assert_str_eq (c->user, "1000:1000");
  cr_assert_str_eq (c->workdir, "/w");
  cr_assert_str_eq (c->hostname, "h");
  cr_assert_eq (c->stop_signal, SIGUSR2);
  cr_assert_eq (c->stop_timeout, 0, "--stop-timeout 0 is kept, not the default");
  cr_assert_null (c->log_path, "no log with --log-driver none");
  cr_assert_eq (c->seccomp, SKIFF_SECCOMP_UNCONFINED, "privileged is unconfined whatever the profile");
  skiff_container_free (c);
  skiff_spec_release (&s);
}

/* A private root and runroot, as a user's would be; nothing needs the user namespace */
static struct skiff_engine *
engine_in_tmp (char dir[64])
{
  snprintf (dir, 64, "/tmp/skiff-unit-engine-XXXXXX");
  cr_assert_not_null (mkdtemp (dir));
  cleanup_free char *root = path_join (dir, "root");
  cleanup_free char *run = path_join (dir, "run");
  struct skiff_engine *e = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_engine_new (root, run, "vfs", &e, &err), 0);
  return e;
}

static void
engine_done (struct skiff_engine *e, const char *dir)
{
  skiff_engine_free (e);
  rm_rf (dir, NULL);
}

Test (spec, record_to_runtime_config)
{
  char dir[64];
  struct skiff_engine *e = engine_in_tmp (dir);
  struct skiff_spec s;
  spec_with (&s);
  s.tty = true;
  s.interactive = true;
  s.read_only = true;
  s.no_new_privileges = true;
  /* a bind mount, as -v will make: through the record into the mount plan */
  s.mounts = xmalloc0 (sizeof *s.mounts);
  s.mounts[0] = (struct skiff_mount){ .type = SKIFF_MOUNT_BIND,
                                      .source = xstrdup ("/srv/data"),
                                      .destination = xstrdup ("/data") };
  strv_push (&s.mounts[0].options, "ro");
  s.nmounts = 1;
  skiff_error_t err = NULL;
  char chown[] = "CHOWN";
  cr_assert_eq (skiff_spec_parse_caps (false, NULL, (char *[]){ chown, NULL }, &s.caps, &err), 0);
  cr_assert_eq (skiff_spec_parse_ulimit ("core=0", &s.rlimits, &s.nrlimits, &err), 0, "%s", err ? err->msg : "");
  struct skiff_image *img = image ();
  struct skiff_container *c = NULL;
  cr_assert_eq (skiff_container_from_spec (&s, img, ID, skiff_engine_root (e), &c, &err), 0);
  c->name = xstrdup ("cfg");
  /* through the record file, as every start reads it */
  cr_assert_eq (skiff_record_write_new (e, c, true, &err), 0, "%s", err ? err->msg : "");
  struct skiff_container *r = NULL;
  cr_assert_eq (skiff_record_load (e, ID, &r, &err), 0, "%s", err ? err->msg : "");
  struct skiff_launch l;
  cr_assert_eq (skiff_launch_prepare (e, r, &l, &err), 0, "%s", err ? err->msg : "");
  const struct skiff_container_config *cfg = &l.cfg;
  assert_argv (cfg->argv, (const char *const[]){ "/entry", "default", "cmd", NULL });
  cr_assert_str_eq (cfg->cwd, "/work");
  cr_assert_str_eq (cfg->user, "nobody");
  cr_assert_str_eq (cfg->hostname, "0123456789ab");
  cr_assert_eq (cfg->caps, SKIFF_CAPS_DEFAULT & ~1ULL, "CAP_CHOWN (0) dropped");
  cr_assert (cfg->terminal && cfg->stdin_open && cfg->readonly_rootfs && cfg->readonly_tmpfs);
  cr_assert (cfg->no_new_privileges);
  cr_assert_not_null (cfg->seccomp, "podman's default profile");
  cr_assert_not_null (cfg->mount_rootfs, "the child mounts the root filesystem");
  /* the user's rlimit, and podman's nofile raised to the hard limit */
  cr_assert_eq (cfg->nrlimits, 2);
  cr_assert_eq (cfg->rlimits[0].resource, RLIMIT_CORE);
  struct rlimit cur;
  getrlimit (RLIMIT_NOFILE, &cur);
  cr_assert_eq (cfg->rlimits[1].resource, RLIMIT_NOFILE);
  cr_assert_eq (cfg->rlimits[1].limit.rlim_cur, cur.rlim_max);
  /* podman's userdata, bound over the image's; the user's mounts after them */
  cr_assert_eq (cfg->nbinds, 3);
  cleanup_free char *hosts = xasprintf ("%s/containers/" ID "/hosts", skiff_engine_root (e));
  cr_assert_str_eq (cfg->binds[0].source, hosts);
  cr_assert_str_eq (cfg->binds[0].destination, "/etc/hosts");
  cr_assert_eq (cfg->nuser_mounts, 1);
  cr_assert_str_eq (cfg->user_mounts[0].source, "/srv/data");
  cr_assert_str_eq (cfg->user_mounts[0].destination, "/data");
  cr_assert (cfg->user_mounts[0].readonly && !cfg->user_mounts[0].tmpfs);
  skiff_launch_release (&l);

  /* exec --privileged: every capability, no filter */
  uint64_t caps;
  struct skiff_seccomp *f = NULL;
  struct skiff_rlimit *rl = NULL;
  size_t nrl;
  cr_assert_eq (skiff_launch_confinement (e, r, true, &caps, &f, &rl, &nrl, &err), 0);
  cr_assert_null (f);
  cr_assert_eq (caps, skiff_caps_bounding ());
  free (rl);
  skiff_container_free (r);
  skiff_container_free (c);
  skiff_image_free (img);
  skiff_spec_release (&s);
  engine_done (e, dir);
}

/* a process ID that names no process now */
static int
dead_pid (void)
{
  pid_t p = fork ();
  if (p == 0)
    _exit (0);
  waitpid (p, NULL, 0);
  return p;
}

/* A monitor that could not write the record leaves the exit in the exit file: the next reader records it, with
 * the real exit code, and removes the file. Without one, the loss is said (-1 and an error). */
Test (spec, exit_file_is_applied_by_the_next_reader)
{
  char dir[64];
  struct skiff_engine *e = engine_in_tmp (dir);
  struct skiff_spec s;
  spec_with (&s);
  struct skiff_container *c = from_spec (&s);
  c->name = xstrdup ("exitfile");
  c->state = SKIFF_CTR_RUNNING;
  c->pid = dead_pid ();
  c->conmon_pid = dead_pid ();
  c->boot_id = xstrdup (skiff_boot_id ());
  skiff_error_t err = NULL;
  cleanup_free char *cdir = skiff_engine_container_dir (e, ID);
  cr_assert_eq (mkdir_p (cdir, 0700, &err), 0);
  cr_assert_eq (skiff_record_write_new (e, c, true, &err), 0);
  cr_assert_eq (skiff_exit_file_write (e, ID, 42, 12345, &err), 0);
  struct skiff_container *now = NULL;
  cr_assert_eq (skiff_engine_container_lookup (e, ID, &now, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (now->state, SKIFF_CTR_EXITED);
  cr_assert_eq (now->exit_code, 42);
  cr_assert_null (now->error);
  skiff_container_free (now);
  int code;
  uint64_t t;
  cr_assert (!skiff_exit_file_read (e, ID, &code, &t), "the exit file is gone once the record holds it");
  struct skiff_container *disk = NULL;
  cr_assert_eq (skiff_record_load (e, ID, &disk, &err), 0);
  cr_assert_eq (disk->exit_code, 42);
  cr_assert_eq (disk->finished_ns, 12345);
  skiff_container_free (disk);

  /* the same without an exit file: lost, and said so */
  c->pid = dead_pid ();
  cr_assert_eq (skiff_record_write_new (e, c, true, &err), 0);
  cr_assert_eq (skiff_engine_container_lookup (e, ID, &now, &err), 0);
  cr_assert_eq (now->exit_code, -1);
  cr_assert_not_null (now->error);
  cr_assert (strstr (now->error, "exit code was lost"), "%s", now->error);
  skiff_container_free (now);
  skiff_container_free (c);
  skiff_spec_release (&s);
  engine_done (e, dir);
}

static void
set_exited_137 (struct skiff_container *now, void *data)
{
  (void) data;
  now->state = SKIFF_CTR_EXITED;
  now->pid = 0;
  now->exit_code = 137;
  now->finished_ns = 777;
}

/* A reader (wait, ps) that read "running" just before the monitor recorded the end, then finds container and
 * monitor gone, takes the monitor's exit code from the record, not a lost one (seen under load: wait printed
 * -1 for a killed container) */
Test (spec, a_stale_copy_takes_the_exit_the_monitor_recorded)
{
  char dir[64];
  struct skiff_engine *e = engine_in_tmp (dir);
  struct skiff_spec s;
  spec_with (&s);
  struct skiff_container *c = from_spec (&s);
  c->name = xstrdup ("stale");
  c->state = SKIFF_CTR_RUNNING;
  c->pid = dead_pid ();
  c->conmon_pid = dead_pid ();
  c->boot_id = xstrdup (skiff_boot_id ());
  skiff_error_t err = NULL;
  cleanup_free char *cdir = skiff_engine_container_dir (e, ID);
  cr_assert_eq (mkdir_p (cdir, 0700, &err), 0);
  cr_assert_eq (skiff_record_write_new (e, c, true, &err), 0);
  struct skiff_container *stale = NULL;
  cr_assert_eq (skiff_record_load (e, ID, &stale, &err), 0);
  /* the monitor records the end; then it exits, as its PID (dead) says */
  cr_assert_eq (skiff_container_update (e, ID, true, set_exited_137, NULL, &err), 0);
  cr_assert (skiff_container_refresh (e, stale));
  cr_assert_eq (stale->state, SKIFF_CTR_EXITED);
  cr_assert_eq (stale->exit_code, 137, "the caller's copy says %d", stale->exit_code);
  cr_assert_eq (stale->finished_ns, 777);
  cr_assert_null (stale->error);
  struct skiff_container *disk = NULL;
  cr_assert_eq (skiff_record_load (e, ID, &disk, &err), 0);
  cr_assert_eq (disk->exit_code, 137, "the record on disk is kept");
  skiff_container_free (disk);
  skiff_container_free (stale);
  skiff_container_free (c);
  skiff_spec_release (&s);
  engine_done (e, dir);
}
