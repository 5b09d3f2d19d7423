/* skiff info's host and store sections, with podman's keys: the kernel, cgroups, memory and distribution from
 * the host; ID mappings from the user namespace; capabilities, the network back end and the store's driver,
 * paths and image count. */
#include "engine/info.h"

#include "engine/internal.h"

#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include "config.h"
#include "net/net.h"
#include "runtime/caps.h"
#include "runtime/runtime.h"

#define CGROUP_CONTROLLERS "/sys/fs/cgroup/cgroup.controllers"
#define OS_RELEASE "/etc/os-release"

const char *
skiff_go_arch (void)
{
  static char machine[sizeof ((struct utsname *) 0)->machine];
  struct utsname u;
  if (uname (&u) < 0)
    return "unknown";
  if (strcmp (u.machine, "x86_64") == 0)
    return "amd64";
  if (strcmp (u.machine, "aarch64") == 0)
    return "arm64";
  snprintf (machine, sizeof machine, "%s", u.machine);
  return machine;
}

static json_object *
idmap_json (const struct skiff_idrange *r, size_t n)
{
  json_object *a = json_object_new_array ();
  for (size_t i = 0; i < n; i++)
    {
      json_object *o = json_object_new_object ();
      json_object_object_add (o, "container_id", json_object_new_int64 (r[i].inside));
      json_object_object_add (o, "host_id", json_object_new_int64 (r[i].outside));
      json_object_object_add (o, "size", json_object_new_int64 (r[i].count));
      json_object_array_add (a, o);
    }
  return a;
}

static json_object *
distribution_json (void)
{
  cleanup_free char *data = NULL;
  const char *id = "unknown", *ver = "";
  char *save = NULL;
  if (read_file (OS_RELEASE, &data, NULL, NULL) == 0)
    for (char *l = strtok_r (data, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
      {
        char *v = strchr (l, '=');
        if (!v)
          continue;
        *v++ = '\0';
        if (*v == '"')
          {
            v++;
            char *q = strchr (v, '"');
            if (q)
              *q = '\0';
          }
        if (strcmp (l, "ID") == 0)
          id = v;
        else if (strcmp (l, "VERSION_ID") == 0)
          ver = v;
      }
  json_object *dist = json_object_new_object ();
  json_object_object_add (dist, "distribution", json_object_new_string (id));
  json_object_object_add (dist, "version", json_object_new_string (ver));
  return dist;
}

static json_object *
cgroup_controllers_json (bool v2)
{
  cleanup_free char *controllers = NULL;
  json_object *ctl = json_object_new_array ();
  if (v2 && read_file (CGROUP_CONTROLLERS, &controllers, NULL, NULL) == 0)
    {
      char *save = NULL;
      for (char *c = strtok_r (controllers, " \n", &save); c; c = strtok_r (NULL, " \n", &save))
        json_object_array_add (ctl, json_object_new_string (c));
    }
  return ctl;
}

static json_object *
id_mappings_json (bool rootless)
{
  struct skiff_idmap map;
  json_object *idm = json_object_new_object ();
  if (rootless && skiff_userns_current_map (&map, NULL) == 0)
    {
      json_object_object_add (idm, "gidmap", idmap_json (map.gid, map.ngid));
      json_object_object_add (idm, "uidmap", idmap_json (map.uid, map.nuid));
    }
  else
    {
      json_object_object_add (idm, "gidmap", NULL);
      json_object_object_add (idm, "uidmap", NULL);
    }
  return idm;
}

static json_object *
runtime_json (void)
{
  json_object *rt = json_object_new_object ();
  json_object_object_add (rt, "name", json_object_new_string ("skiff"));
  json_object_object_add (rt, "package", json_object_new_string ("built in"));
  json_object_object_add (rt, "path", json_object_new_string ("built in"));
  json_object_object_add (rt, "version", json_object_new_string (SKIFF_VERSION));
  return rt;
}

static json_object *
slirp_json (void)
{
  cleanup_free char *slirp_version = NULL, *net_problem = NULL;
  skiff_net_describe (&slirp_version, &net_problem);
  json_object *slirp = json_object_new_object ();
  json_object_object_add (slirp, "executable", json_object_new_string ("built in"));
  json_object_object_add (slirp, "package", json_object_new_string ("libslirp0"));
  json_object_object_add (slirp, "version", json_object_new_string (slirp_version ? slirp_version : ""));
  json_object_object_add (slirp, "problem", json_object_new_string (net_problem ? net_problem : ""));
  return slirp;
}

static json_object *
security_json (bool rootless)
{
  json_object *sec = json_object_new_object ();
  json_object_object_add (sec, "apparmorEnabled", json_object_new_boolean (0));
  cleanup_strv char **capnames = skiff_caps_to_names (SKIFF_CAPS_DEFAULT);
  cleanup_free char *caplist = xstrdup ("");
  for (size_t i = 0; capnames && capnames[i]; i++)
    {
      char *n = xasprintf ("%s%s%s", caplist, i ? "," : "", capnames[i]);
      free (caplist);
      caplist = n;
    }
  json_object_object_add (sec, "capabilities", json_object_new_string (caplist));
  json_object_object_add (sec, "rootless", json_object_new_boolean (rootless));
  json_object_object_add (sec, "seccompEnabled", json_object_new_boolean (1));
  json_object_object_add (sec, "seccompProfilePath", json_object_new_string ("built in"));
  json_object_object_add (sec, "selinuxEnabled", json_object_new_boolean (0));
  return sec;
}

/* podman's keys, in podman's (sorted) order */
static json_object *
host_json (bool rootless, bool cgroup_v2)
{
  json_object *host = json_object_new_object ();
  struct utsname u;
  if (uname (&u) < 0)
    memset (&u, 0, sizeof u);
  struct sysinfo si;
  if (sysinfo (&si) < 0)
    memset (&si, 0, sizeof si);
  json_object_object_add (host, "arch", json_object_new_string (skiff_go_arch ()));
  json_object_object_add (host, "cgroupControllers", cgroup_controllers_json (cgroup_v2));
  json_object_object_add (host, "cgroupManager", json_object_new_string ("cgroupfs"));
  json_object_object_add (host, "cgroupVersion", json_object_new_string (cgroup_v2 ? "v2" : "v1"));
  json_object_object_add (host, "cpus", json_object_new_int ((int) sysconf (_SC_NPROCESSORS_ONLN)));
  json_object_object_add (host, "distribution", distribution_json ());
  json_object_object_add (host, "eventLogger", json_object_new_string ("none"));
  json_object_object_add (host, "hostname", json_object_new_string (u.nodename));
  json_object_object_add (host, "idMappings", id_mappings_json (rootless));
  json_object_object_add (host, "kernel", json_object_new_string (u.release));
  json_object_object_add (host, "memFree", json_object_new_int64 ((int64_t) si.freeram * si.mem_unit));
  json_object_object_add (host, "memTotal", json_object_new_int64 ((int64_t) si.totalram * si.mem_unit));
  json_object_object_add (host, "ociRuntime", runtime_json ());
  json_object_object_add (host, "os", json_object_new_string ("linux"));
  json_object_object_add (host, "networkBackend", json_object_new_string ("slirp4netns"));
  json_object_object_add (host, "slirp4netns", slirp_json ());
  json_object_object_add (host, "security", security_json (rootless));
  json_object_object_add (host, "serviceIsRemote", json_object_new_boolean (0));
  json_object_object_add (host, "swapFree", json_object_new_int64 ((int64_t) si.freeswap * si.mem_unit));
  json_object_object_add (host, "swapTotal", json_object_new_int64 ((int64_t) si.totalswap * si.mem_unit));
  cleanup_free char *uptime = xasprintf ("%ldh %ldm %lds", si.uptime / 3600, (si.uptime / 60) % 60, si.uptime % 60);
  json_object_object_add (host, "uptime", json_object_new_string (uptime));
  return host;
}

static json_object *
store_json (struct skiff_engine *e, struct skiff_store *s, const char *driver)
{
  json_object *store = json_object_new_object ();
  json_object_object_add (store, "graphDriverName", json_object_new_string (driver));
  json_object_object_add (store, "graphRoot", json_object_new_string (e->root));
  struct statvfs vfs;
  if (statvfs (e->root, &vfs) == 0)
    {
      json_object_object_add (store, "graphRootAllocated",
                              json_object_new_int64 ((int64_t) (vfs.f_blocks * vfs.f_frsize)));
      json_object_object_add (store, "graphRootUsed",
                              json_object_new_int64 ((int64_t) ((vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize)));
    }
  struct skiff_image **imgs = NULL;
  size_t n = 0;
  if (skiff_store_image_list (s, &imgs, &n, NULL) == 0)
    {
      for (size_t i = 0; i < n; i++)
        skiff_image_free (imgs[i]);
      free (imgs);
    }
  json_object *is = json_object_new_object ();
  json_object_object_add (is, "number", json_object_new_int ((int) n));
  json_object_object_add (store, "imageStore", is);
  json_object_object_add (store, "runRoot", json_object_new_string (e->runroot));
  return store;
}

int
skiff_engine_info_get (struct skiff_engine *e, struct skiff_engine_info *info, skiff_error_t *err)
{
  memset (info, 0, sizeof *info);
  struct skiff_store *s;
  const char *driver = "unknown";
  if (skiff_engine_store (e, &s, err) < 0 || skiff_store_driver (s, &driver, err) < 0)
    return -1;
  bool v2 = access (CGROUP_CONTROLLERS, F_OK) == 0;
  info->host = host_json (e->rootless, v2);
  info->store = store_json (e, s, driver);
  info->rootless_limits_unavailable = !v2 && e->rootless;
  return 0;
}

void
skiff_engine_info_release (struct skiff_engine_info *info)
{
  json_object_put (info->host);
  json_object_put (info->store);
  memset (info, 0, sizeof *info);
}
