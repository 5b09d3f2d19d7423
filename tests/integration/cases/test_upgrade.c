/* Containers made by an earlier skiff survive the upgrade: their records (tests/data/records, written by
 * a48f800) are listed, inspected, started, stopped and removed by this one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../harness.h"

static void
trim (char *s)
{
  size_t n = strlen (s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
    s[--n] = '\0';
}

/* s with every `from` replaced by `to`; caller frees */
static char *
replace (const char *s, const char *from, const char *to)
{
  size_t n = 0, flen = strlen (from), tlen = strlen (to);
  for (const char *p = strstr (s, from); p; p = strstr (p + flen, from))
    n++;
  char *out = malloc (strlen (s) + n * (tlen > flen ? tlen - flen : 0) + 1), *o = out;
  for (const char *p = s, *q; (q = strstr (p, from)) != NULL || *p; p = q + flen)
    {
      if (q == NULL)
        {
          strcpy (o, p);
          return out;
        }
      memcpy (o, p, (size_t) (q - p));
      o += q - p;
      memcpy (o, to, tlen);
      o += tlen;
    }
  *o = '\0';
  return out;
}

/* A container made here now, whose record is then replaced by the fixture's as a48f800 wrote it (its ID, name
 * and log path made this container's). Returns the ID. */
static char *
adopt (const char *fixture, const char *old_id, const char *old_name, const char *name)
{
  struct it_result r = SKIFF ("create", "--name", name, "busybox", "true");
  assert_ok (r);
  trim (r.out);
  char *id = strdup (r.out);
  it_result_free (&r);
  r = SKIFF ("inspect", "--format", "{{.Image}}", name);
  assert_ok (r);
  trim (r.out);
  char *image = strdup (r.out);
  it_result_free (&r);
  char path[1024];
  snprintf (path, sizeof path, "%s/tests/data/records/%s", getenv ("SKIFF_SRCDIR"), fixture);
  char *text = it_slurp (path);
  cr_assert_not_null (text, "%s", path);
  char old_dir[256], new_dir[1024], old_name_kv[128], new_name_kv[128];
  snprintf (old_dir, sizeof old_dir, "/tmp/archa-old/root/containers/%s", old_id);
  snprintf (new_dir, sizeof new_dir, "%s/root/containers/%s", it_dir (), id);
  snprintf (old_name_kv, sizeof old_name_kv, "\"Name\":\"%s\"", old_name);
  snprintf (new_name_kv, sizeof new_name_kv, "\"Name\":\"%s\"", name);
  char *a = replace (text, "\\/", "/");
  char *b = replace (a, old_dir, new_dir);
  char *c = replace (b, old_id, id);
  char *d0 = replace (c, old_name_kv, new_name_kv);
  /* recorded under another boot than this one, whatever the machine */
  char *d1 = replace (d0, "24f46c26-1d3f-4cc6-a575-0bd2bd3d9990", "00000000-0000-0000-0000-000000000000");
  /* and of this run's busybox image */
  char *d = replace (d1, "79d78f2b0e0da0355cffcdf518ec5b6c56edc4b3a36df54555e0df02db1b2cae", image);
  snprintf (path, sizeof path, "%s/root/engine/containers/%s.json", it_dir (), id);
  it_write_text (path, d);
  free (text), free (a), free (b), free (c), free (d0), free (d1), free (d), free (image);
  return id;
}

Test (upgrade, records_of_a48f800_are_this_skiffs)
{
  /* "full" was running under a monitor of another boot: it reads as exited, its exit code lost */
  char *id = adopt ("container-full.json", "bb79abe92a10fc12ab0c666a5cdfe2bb6a5f55840d703c03c072691bd475c608", "full",
                    "upg-full");
  struct it_result r = SKIFF ("ps", "-a", "--filter", "name=upg-full", "--format", "{{.Names}} {{.State}} {{.Ports}}");
  assert_ok (r);
  cr_assert_str_eq (r.out, "upg-full exited 0.0.0.0:8080->80/tcp, 127.0.0.1:5353->53/udp\n");
  it_result_free (&r);
  r = SKIFF ("inspect", "--format",
             "{{.Config.StopSignal}} {{.Config.StopTimeout}} {{.HostConfig.RestartPolicy.Name}}:"
             "{{.HostConfig.RestartPolicy.MaximumRetryCount}} {{.Config.Labels.tier}} {{.Config.User}} "
             "{{.HostConfig.NetworkMode}} {{.NetworkSettings.MacAddress}} {{.State.ExitCode}}",
             "upg-full");
  assert_ok (r);
  cr_assert_str_eq (r.out, "SIGUSR1 3 on-failure:2 front 1000:1000 slirp4netns:allow_host_loopback=true,mtu=1500 "
                           "92:d0:c6:0a:29:33 -1\n");
  it_result_free (&r);
  r = SKIFF ("rm", "upg-full");
  assert_ok (r);
  it_result_free (&r);
  free (id);

  /* "exited" starts again as it was made: privileged, its entrypoint and command */
  id = adopt ("container-exited.json", "8d2a076dfadf08ecc13f5e217b46fd37f681ef266546f86f766a0e118c2eff6c", "exited",
              "upg-exited");
  r = SKIFF ("start", "-a", "upg-exited");
  assert_exit (r, 3);
  it_result_free (&r);
  r = SKIFF ("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.HostConfig.Privileged}}", "upg-exited");
  cr_assert_str_eq (r.out, "exited 3 true\n");
  it_result_free (&r);
  r = SKIFF ("rm", "upg-exited");
  assert_ok (r);
  it_result_free (&r);
  free (id);
}
