/* podman's mount grammar (engine/mountspec.c): -v, --mount, --tmpfs, --volumes-from, and the checks of the mounts
 * together, with podman's error texts. No I/O but getcwd for a ./relative source. */
#include <criterion/criterion.h>
#include <limits.h>
#include <unistd.h>

#include "engine/spec.h"

struct parsed
{
  struct skiff_mount *v;
  size_t n;
};

static void
parsed_free (struct parsed *p)
{
  skiff_mounts_free (p->v, p->n);
  memset (p, 0, sizeof *p);
}

static void
assert_opts (char *const *got, const char *const *want)
{
  size_t i = 0;
  for (; want[i]; i++)
    {
      cr_assert (got && got[i], "option %zu (%s) missing", i, want[i]);
      cr_assert_str_eq (got[i], want[i]);
    }
  cr_assert (got == NULL || got[i] == NULL, "extra option %s", got[i]);
}

/* arg fails with a message containing text */
static void
assert_error (int (*parse) (const char *, struct skiff_mount **, size_t *, skiff_error_t *), const char *arg,
              const char *text)
{
  struct parsed p = { 0 };
  skiff_error_t err = NULL;
  cr_assert_lt (parse (arg, &p.v, &p.n, &err), 0, "%s was accepted", arg);
  cr_assert (strstr (err->msg, text) != NULL, "%s: expected '%s' in '%s'", arg, text, err->msg);
  cr_assert_eq (p.n, 0);
  skiff_error_release (&err);
  parsed_free (&p);
}

Test (mountspec, volume_sources)
{
  struct parsed p = { 0 };
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_spec_parse_volume ("/srv//data/:/data/", &p.v, &p.n, &err), 0);
  cr_assert_eq (p.v[0].type, SKIFF_MOUNT_BIND);
  cr_assert_str_eq (p.v[0].source, "/srv/data");
  cr_assert_str_eq (p.v[0].destination, "/data");
  cr_assert_null (p.v[0].options);
  cr_assert_eq (skiff_spec_parse_volume ("db:/var/lib/db:ro,Z,nocopy", &p.v, &p.n, &err), 0);
  cr_assert_eq (p.v[1].type, SKIFF_MOUNT_VOLUME);
  cr_assert_str_eq (p.v[1].source, "db");
  assert_opts (p.v[1].options, (const char *const[]){ "ro", "Z", "nocopy", NULL });
  cr_assert_eq (skiff_spec_parse_volume ("/anon", &p.v, &p.n, &err), 0);
  cr_assert_eq (p.v[2].type, SKIFF_MOUNT_VOLUME);
  cr_assert_null (p.v[2].source, "anonymous");
  cr_assert_eq (skiff_spec_parse_volume ("./rel:/r:rshared,nosuid,nodev,noexec,bind,U", &p.v, &p.n, &err), 0);
  char cwd[PATH_MAX];
  cr_assert_not_null (getcwd (cwd, sizeof cwd));
  cleanup_free char *abs = xasprintf ("%s/rel", cwd);
  cr_assert_str_eq (p.v[3].source, abs);
  assert_opts (p.v[3].options, (const char *const[]){ "rshared", "nosuid", "nodev", "noexec", "bind", "U", NULL });
  cr_assert_eq (p.n, 4);
  cr_assert_eq (p.v[4].destination, NULL, "the list ends with a zeroed mount");
  parsed_free (&p);
}

Test (mountspec, volume_errors)
{
  assert_error (skiff_spec_parse_volume, "foo/bar:/x",
                "creating named volume \"foo/bar\": running volume create option: names must match "
                "[a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument");
  assert_error (skiff_spec_parse_volume, "-x:/x", "names must match");
  assert_error (skiff_spec_parse_volume, "/tmp:x", "invalid container path \"x\", must be an absolute path");
  assert_error (skiff_spec_parse_volume, "rel", "invalid container path \"rel\"");
  assert_error (skiff_spec_parse_volume, "a:b:c:d", "a:b:c:d: incorrect volume format");
  assert_error (skiff_spec_parse_volume, "", "incorrect volume format");
  assert_error (skiff_spec_parse_volume, ":/x", "incorrect volume format");
  assert_error (skiff_spec_parse_volume, "/tmp:/x:bogus", "invalid option type \"bogus\"");
  assert_error (skiff_spec_parse_volume, "/tmp:/x:ro,rw",
                "invalid options \"ro, rw\", can only specify 1 'rw' or 'ro' option");
  assert_error (skiff_spec_parse_volume, "/tmp:/x:z,Z", "can only specify 1 'z', 'Z', or 'O' option");
  assert_error (skiff_spec_parse_volume, "/tmp:/x:shared,rslave", "can only specify 1 '[r]shared'");
  assert_error (skiff_spec_parse_volume, "/tmp:/x:exec,noexec", "can only specify 1 'noexec' or 'exec' option");
  assert_error (skiff_spec_parse_volume, "/tmp:/x:bind,rbind", "can only specify 1 '[r]bind' option");
  assert_error (skiff_spec_parse_volume, "v:/x:copy,nocopy", "can only specify 1 'copy' or 'nocopy' option");
  assert_error (skiff_spec_parse_volume, "/tmp:/x:copy", "applies to volumes only");
  assert_error (skiff_spec_parse_volume, "/tmp:/x:O", "not supported by skiff yet");
  assert_error (skiff_spec_parse_volume, "/tmp:/x:idmap", "not supported by skiff yet");
  assert_error (skiff_spec_parse_volume, "/tmp:/x:size=1m", "invalid option type \"size=1m\"");
}

Test (mountspec, mount_keys)
{
  struct parsed p = { 0 };
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_spec_parse_mount ("type=bind,source=/srv,target=/s,readonly,bind-propagation=rslave,"
                                        "bind-nonrecursive,relabel=shared,consistency=cached",
                                        &p.v, &p.n, &err),
                0, "%s", err ? err->msg : "");
  cr_assert_eq (p.v[0].type, SKIFF_MOUNT_BIND);
  cr_assert_str_eq (p.v[0].source, "/srv");
  cr_assert_str_eq (p.v[0].destination, "/s");
  assert_opts (p.v[0].options, (const char *const[]){ "ro", "rslave", "bind", "z", NULL });
  cr_assert_eq (skiff_spec_parse_mount ("type=volume,src=data,dst=/d,ro=false,U=true,nocopy", &p.v, &p.n, &err), 0);
  cr_assert_eq (p.v[1].type, SKIFF_MOUNT_VOLUME);
  cr_assert_str_eq (p.v[1].source, "data");
  assert_opts (p.v[1].options, (const char *const[]){ "rw", "U", "nocopy", NULL });
  cr_assert_eq (skiff_spec_parse_mount ("type=volume,destination=/anon", &p.v, &p.n, &err), 0);
  cr_assert_null (p.v[2].source);
  cr_assert_eq (skiff_spec_parse_mount ("type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770,tmpfs-size=1m,noexec", &p.v,
                                        &p.n, &err),
                0);
  cr_assert_eq (p.v[3].type, SKIFF_MOUNT_TMPFS);
  assert_opts (p.v[3].options, (const char *const[]){ "size=1m", "mode=1770", "noexec", NULL });
  /* a bind without a source binds the destination's own path, as podman */
  cr_assert_eq (skiff_spec_parse_mount ("type=bind,dst=/same", &p.v, &p.n, &err), 0);
  cr_assert_str_eq (p.v[4].source, "/same");
  parsed_free (&p);
}

Test (mountspec, mount_errors)
{
  assert_error (skiff_spec_parse_mount, "type=bind,src=/tmp,dst=/x,foo=bar", "foo: invalid mount option");
  assert_error (skiff_spec_parse_mount, "type=bind,src=/tmp,dst=/x,,", ": invalid mount option");
  assert_error (skiff_spec_parse_mount, "type=bind,src=/tmp,dst", "dst: must provide an argument for option");
  assert_error (skiff_spec_parse_mount, "type=foo,dst=/x", "invalid filesystem type \"foo\"");
  assert_error (skiff_spec_parse_mount, "type=image,src=busybox,dst=/x", "not supported by skiff yet");
  assert_error (skiff_spec_parse_mount, "src=/tmp,dst=/x", "incorrect mount format");
  assert_error (skiff_spec_parse_mount, "type=bind,src=/tmp", "must set volume destination");
  assert_error (skiff_spec_parse_mount, "type=bind,src=/tmp,dst=/x,ro=bogus",
                "'ro' must be set to true or false, instead received \"bogus\"");
  assert_error (skiff_spec_parse_mount, "type=bind,src=/tmp,dst=/x,bind-propagation=sideways",
                "invalid bind-propagation");
  assert_error (skiff_spec_parse_mount, "type=bind,src=/tmp,dst=/x,tmpfs-size=1m",
                "size: invalid mount option for type=bind");
  assert_error (skiff_spec_parse_mount, "type=tmpfs,src=/tmp,dst=/x", "source");
  assert_error (skiff_spec_parse_mount, "type=bind,src=name,dst=/x", "must be a host path");
  assert_error (skiff_spec_parse_mount, "type=volume,src=/tmp,dst=/x", "a host path needs type=bind");
  assert_error (skiff_spec_parse_mount, "type=bind,type=volume,dst=/x", "given twice");
  assert_error (skiff_spec_parse_mount, "type=bind,src=/tmp,dst=/x,ro,rw", "can only specify 1 'rw' or 'ro'");
  assert_error (skiff_spec_parse_mount, "type=bind,src=/tmp,dst=/x,idmap", "not supported");
}

Test (mountspec, tmpfs_and_volumes_from)
{
  struct parsed p = { 0 };
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_spec_parse_tmpfs ("/run/x:size=1m,mode=700,ro", &p.v, &p.n, &err), 0);
  cr_assert_eq (p.v[0].type, SKIFF_MOUNT_TMPFS);
  cr_assert_str_eq (p.v[0].destination, "/run/x");
  assert_opts (p.v[0].options, (const char *const[]){ "size=1m", "mode=700", "ro", NULL });
  parsed_free (&p);
  assert_error (skiff_spec_parse_tmpfs, "x", "invalid container path \"x\"");
  assert_error (skiff_spec_parse_tmpfs, "/x:bogus", "invalid option type \"bogus\"");

  struct skiff_volumes_from *vf = NULL;
  size_t n = 0;
  cr_assert_eq (skiff_spec_parse_volumes_from ("a", &vf, &n, &err), 0);
  cr_assert_eq (skiff_spec_parse_volumes_from ("b:ro", &vf, &n, &err), 0);
  cr_assert_eq (skiff_spec_parse_volumes_from ("c:rw,z", &vf, &n, &err), 0);
  cr_assert_eq (n, 3);
  cr_assert (vf[0].mode == SKIFF_VOLUMES_FROM_AS_IS && vf[1].mode == SKIFF_VOLUMES_FROM_RO
             && vf[2].mode == SKIFF_VOLUMES_FROM_RW);
  cr_assert_str_eq (vf[2].container, "c");
  cr_assert_lt (skiff_spec_parse_volumes_from ("d:ro,rw", &vf, &n, &err), 0);
  skiff_error_release (&err);
  cr_assert_lt (skiff_spec_parse_volumes_from ("d:bogus", &vf, &n, &err), 0);
  cr_assert (strstr (err->msg, "can only specify 'ro', 'rw', and 'z'"), "%s", err->msg);
  skiff_error_release (&err);
  cr_assert_eq (n, 3);
  skiff_volumes_from_free (vf, n);
}

Test (mountspec, mounts_together)
{
  struct parsed p = { 0 };
  skiff_error_t err = NULL;
  /* the same mount twice is one; a tmpfs twice too */
  cr_assert_eq (skiff_spec_parse_volume ("v:/a", &p.v, &p.n, &err), 0);
  cr_assert_eq (skiff_spec_parse_volume ("v:/a", &p.v, &p.n, &err), 0);
  cr_assert_eq (skiff_spec_parse_tmpfs ("/t", &p.v, &p.n, &err), 0);
  cr_assert_eq (skiff_spec_parse_tmpfs ("/t", &p.v, &p.n, &err), 0);
  cr_assert_eq (skiff_spec_parse_volume ("v:/b", &p.v, &p.n, &err), 0);
  cr_assert_eq (skiff_spec_check_mounts (p.v, &p.n, &err), 0);
  cr_assert_eq (p.n, 3);
  cr_assert_str_eq (p.v[0].destination, "/a");
  cr_assert_str_eq (p.v[1].destination, "/t");
  cr_assert_str_eq (p.v[2].destination, "/b");
  cr_assert_null (p.v[3].destination, "still ends with a zeroed mount");
  /* two different ones on one place are not */
  cr_assert_eq (skiff_spec_parse_volume ("w:/a", &p.v, &p.n, &err), 0);
  cr_assert_lt (skiff_spec_check_mounts (p.v, &p.n, &err), 0);
  cr_assert_str_eq (err->msg, "/a: duplicate mount destination");
  skiff_error_release (&err);
  parsed_free (&p);
  /* two anonymous volumes on one place are two volumes: refused */
  cr_assert_eq (skiff_spec_parse_volume ("/a", &p.v, &p.n, &err), 0);
  cr_assert_eq (skiff_spec_parse_volume ("/a", &p.v, &p.n, &err), 0);
  cr_assert_lt (skiff_spec_check_mounts (p.v, &p.n, &err), 0);
  skiff_error_release (&err);
  parsed_free (&p);
  const char *reserved[] = { "/proc", "/dev/pts", "/sys", "/" };
  for (size_t i = 0; i < 4; i++)
    {
      cleanup_free char *arg = xasprintf ("/tmp:%s", reserved[i]);
      cr_assert_eq (skiff_spec_parse_volume (arg, &p.v, &p.n, &err), 0);
      cr_assert_lt (skiff_spec_check_mounts (p.v, &p.n, &err), 0, "%s", arg);
      cr_assert (strstr (err->msg, "runtime mounts itself"), "%s", err->msg);
      skiff_error_release (&err);
      parsed_free (&p);
    }
  cr_assert (skiff_volume_name_valid ("a") && skiff_volume_name_valid ("A9_.-x"));
  cr_assert (!skiff_volume_name_valid ("") && !skiff_volume_name_valid (".a") && !skiff_volume_name_valid ("a b"));
}
