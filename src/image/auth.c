/* Registry credentials in the files podman and docker use (containers-auth.json(5)): which files, in which
 * order, the most specific key, docker hub's many spellings; writes are atomic and private (0600).
 * Passwords never reach a message or a log. */
#include "image/registries.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <nettle/base64.h>
#include <pwd.h>
#include <sys/stat.h>

#define AUTH_FILE_MODE 0600
#define AUTH_DIR_MODE 0700
#define XDG_AUTH_PATH "containers/auth.json"
#define ROOT_AUTH_PATH_FMT "/run/containers/%d/auth.json"
#define DOCKER_CONFIG_FILE "config.json"
#define DOCKER_HOME_CONFIG ".docker/config.json"
#define DOCKER_LEGACY_CONFIG ".dockercfg"
#define DOCKER_HUB "docker.io"
#define DOCKER_HUB_AUTH_HOST "index.docker.io"
#define RUN_USER_FMT "/run/user/%d"
#define RUN_USER_TEST_HOOK "SKIFF_TEST_RUN_USER_DIR"
#define SHARED_TMP_DEFAULT "/tmp"
#define SHARED_RUN_DIR_PREFIX "storage-run-"
/* far more than any real auth file; a link to /dev/zero or a huge planted file stops here */
#define AUTH_FILE_MAX (4 * 1024 * 1024)
#define SHARED_RUN_DIR_FIX "set XDG_RUNTIME_DIR to a directory of yours, or choose the file with --authfile"

static const char *
home_dir (void)
{
  const char *h = getenv ("HOME");
  if (h && *h)
    return h;
  struct passwd *pw = getpwuid (getuid ());
  return pw ? pw->pw_dir : "/";
}

static const char *
env_nonempty (const char *name)
{
  const char *v = getenv (name);
  return v && *v ? v : NULL;
}

/* The rootless run directory as podman finds it without $XDG_RUNTIME_DIR (c/storage's GetRuntimeDir). */
static char *
rootless_runtime_dir (void)
{
  /* a test hook names another directory, so that the fallback is tested on hosts that have /run/user/UID */
  const char *hook = env_nonempty (RUN_USER_TEST_HOOK);
  cleanup_free char *run_user = hook ? xstrdup (hook) : xasprintf (RUN_USER_FMT, (int) getuid ());
  struct stat st;
  if (lstat (run_user, &st) == 0 && S_ISDIR (st.st_mode) && st.st_uid == geteuid () && (st.st_mode & 022) == 0)
    return steal_pointer (&run_user);
  const char *tmp = env_nonempty ("TMPDIR");
  return xasprintf ("%s/" SHARED_RUN_DIR_PREFIX "%d", tmp ? tmp : SHARED_TMP_DEFAULT, (int) getuid ());
}

/* The run directory in a shared place ($TMPDIR or /tmp) that path lies in, else NULL: another user may have
 * made it first, to read the credentials written there or to plant a file that pull reads. */
static char *
shared_run_dir (const char *path)
{
  const char *tmp = env_nonempty ("TMPDIR");
  cleanup_free char *prefix = xasprintf ("%s/" SHARED_RUN_DIR_PREFIX, tmp ? tmp : SHARED_TMP_DEFAULT);
  if (!str_has_prefix (path, prefix))
    return NULL;
  const char *slash = strchr (path + strlen (prefix), '/');
  return slash ? xstrndup (path, (size_t) (slash - path)) : NULL;
}

/* Before an auth file is read or written: a run directory in a shared place is made private (or refused), and
 * the file there and the default one are not followed when they are links (*nofollow). Other files (--authfile,
 * the ones in the home directory) may be links the user made, as podman allows. */
static int
guard_auth_path (const char *path, bool *nofollow, skiff_error_t *err)
{
  cleanup_free char *dir = shared_run_dir (path);
  cleanup_free char *def = skiff_auth_file_path (NULL);
  *nofollow = dir != NULL || strcmp (path, def) == 0;
  if (dir && skiff_private_dir_ensure (dir, SHARED_RUN_DIR_FIX, err) < 0)
    return -1;
  return 0;
}

char *
skiff_auth_file_path (const char *authfile)
{
  if (authfile && *authfile)
    return xstrdup (authfile);
  const char *env = env_nonempty ("REGISTRY_AUTH_FILE");
  if (env)
    return xstrdup (env);
  const char *xdg = env_nonempty ("XDG_RUNTIME_DIR");
  if (xdg)
    return path_join (xdg, XDG_AUTH_PATH);
  if (getuid () == 0)
    return xasprintf (ROOT_AUTH_PATH_FMT, 0);
  cleanup_free char *run = rootless_runtime_dir ();
  return path_join (run, XDG_AUTH_PATH);
}

static bool
user_chose_file (const char *authfile)
{
  return (authfile && *authfile) || env_nonempty ("REGISTRY_AUTH_FILE");
}

char **
skiff_auth_file_paths (const char *authfile)
{
  char **v = xmalloc0 (sizeof *v);
  const char *xdg = env_nonempty ("XDG_RUNTIME_DIR");
  /* a $XDG_RUNTIME_DIR that does not exist is skipped for reads (podman warns and carries on) */
  if (user_chose_file (authfile) || xdg == NULL || path_exists (xdg))
    strv_push_take (&v, skiff_auth_file_path (authfile));
  if (user_chose_file (authfile))
    return v;
  const char *home = home_dir ();
  const char *xdg_config = env_nonempty ("XDG_CONFIG_HOME");
  cleanup_free char *config_home = xdg_config ? xstrdup (xdg_config) : path_join (home, ".config");
  strv_push_take (&v, path_join (config_home, XDG_AUTH_PATH));
  const char *docker_config = env_nonempty ("DOCKER_CONFIG");
  strv_push_take (&v,
                  docker_config ? path_join (docker_config, DOCKER_CONFIG_FILE) : path_join (home, DOCKER_HOME_CONFIG));
  strv_push_take (&v, path_join (home, DOCKER_LEGACY_CONFIG));
  return v;
}

static bool
is_legacy_path (const char *path)
{
  return str_has_suffix (path, "/" DOCKER_LEGACY_CONFIG);
}

/* ---- keys ---- */

/* docker hub's hosts as auth files spell them, compared by c/image's normalizeRegistry */
static const char *
normalize_registry (const char *registry)
{
  if (strcmp (registry, "registry-1.docker.io") == 0 || strcmp (registry, DOCKER_HUB) == 0)
    return DOCKER_HUB_AUTH_HOST;
  return registry;
}

/* an auths key as a registry host: "https://index.docker.io/v1/" -> "index.docker.io" */
static char *
normalize_auth_file_key (const char *key, bool legacy)
{
  const char *s = key;
  if (str_has_prefix (s, "http://"))
    s += 7;
  else if (str_has_prefix (s, "https://"))
    s += 8;
  size_t n = strlen (s);
  if (legacy || s != key)
    {
      const char *slash = strchr (s, '/');
      if (slash)
        n = (size_t) (slash - s);
    }
  cleanup_free char *host = xstrndup (s, n);
  return xstrdup (normalize_registry (host));
}

char *
skiff_auth_normalize_key (const char *key, skiff_error_t *err)
{
  if (key == NULL || *key == '\0')
    {
      skiff_error_set_status (err, EINVAL, "no registry given");
      return NULL;
    }
  const char *s = key;
  bool url = false;
  if (str_has_prefix (s, "http://"))
    s += 7, url = true;
  else if (str_has_prefix (s, "https://"))
    s += 8, url = true;
  size_t n = strlen (s);
  if (url)
    {
      /* a URL names a registry: "https://index.docker.io/v1/" */
      const char *slash = strchr (s, '/');
      if (slash)
        n = (size_t) (slash - s);
    }
  while (n > 0 && s[n - 1] == '/')
    n--;
  cleanup_free char *k = xstrndup (s, n);
  if (*k == '\0')
    {
      skiff_error_set_status (err, EINVAL, "invalid registry `%s`", key);
      return NULL;
    }
  if (strchr (k, '@'))
    {
      skiff_error_set_status (err, EINVAL, "key %s contains a '@' character", key);
      return NULL;
    }
  char *slash = strchr (k, '/');
  if (slash && strchr (slash + 1, ':'))
    {
      skiff_error_set_status (err, EINVAL, "key %s contains a ':' character after host[:port]", key);
      return NULL;
    }
  size_t host_len = slash ? (size_t) (slash - k) : strlen (k);
  cleanup_free char *host = xstrndup (k, host_len);
  if (strcmp (host, DOCKER_HUB_AUTH_HOST) == 0 || strcmp (host, "registry-1.docker.io") == 0)
    return xasprintf ("%s%s", DOCKER_HUB, slash ? slash : "");
  return steal_pointer (&k);
}

/* a reference as a lookup key: no scheme, no tag, no digest */
static char *
lookup_key (const char *ref, skiff_error_t *err)
{
  cleanup_free char *k = xstrdup (ref);
  char *at = strchr (k, '@');
  if (at)
    *at = '\0';
  char *slash = strchr (k, '/');
  if (slash)
    {
      char *colon = strrchr (slash, ':');
      if (colon)
        *colon = '\0';
    }
  return skiff_auth_normalize_key (k, err);
}

/* ---- base64 (nettle) ---- */

static char *
b64_encode (const char *s)
{
  size_t n = strlen (s);
  char *out = xmalloc (BASE64_ENCODE_RAW_LENGTH (n) + 1);
  base64_encode_raw (out, n, (const uint8_t *) s);
  out[BASE64_ENCODE_RAW_LENGTH (n)] = '\0';
  return out;
}

static char *
b64_decode (const char *s, size_t *len)
{
  struct base64_decode_ctx ctx;
  size_t n = strlen (s);
  uint8_t *out = xmalloc (BASE64_DECODE_LENGTH (n) + 1);
  size_t outlen = BASE64_DECODE_LENGTH (n);
  base64_decode_init (&ctx);
  if (!base64_decode_update (&ctx, &outlen, out, n, s) || !base64_decode_final (&ctx))
    {
      free (out);
      return NULL;
    }
  out[outlen] = '\0';
  *len = outlen;
  return (char *) out;
}

/* ---- files ---- */

/* The file's JSON object, or a new empty one when it is missing or blank; *missing tells which. */
static int
read_auth_json (const char *path, json_object **out, bool *missing, skiff_error_t *err)
{
  cleanup_free char *data = NULL;
  size_t len = 0;
  *out = NULL;
  if (missing)
    *missing = false;
  bool nofollow = false;
  if (guard_auth_path (path, &nofollow, err) < 0)
    return -EPERM;
  if (read_file_untrusted (AT_FDCWD, path, nofollow ? SKIFF_RESOLVE_NOFOLLOW : SKIFF_RESOLVE_FOLLOW, AUTH_FILE_MAX,
                           &data, &len, err)
      < 0)
    {
      if (err && *err && (*err)->status == ENOENT)
        {
          skiff_error_release (err);
          if (missing)
            *missing = true;
          *out = json_object_new_object ();
          return 0;
        }
      return -EIO;
    }
  size_t i = 0;
  while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r'))
    i++;
  if (i == len)
    {
      *out = json_object_new_object ();
      return 0;
    }
  enum json_tokener_error jerr = json_tokener_success;
  json_object *o = json_tokener_parse_verbose (data, &jerr);
  if (o == NULL || !json_object_is_type (o, json_type_object))
    {
      json_object_put (o);
      return skiff_error_set_status (err, EINVAL, "reading JSON file `%s`: %s", path,
                                     o == NULL ? json_tokener_error_desc (jerr) : "not a JSON object");
    }
  *out = o;
  return 0;
}

static void
cleanup_jsonp (json_object **o)
{
  if (*o)
    json_object_put (*o);
}
#define cleanup_json __attribute__ ((cleanup (cleanup_jsonp)))

/* user and password of one auths entry; false when it holds none (an empty entry, a credential helper
 * marker, or an "auth" without a colon, which docker skips too) */
static bool
decode_entry (json_object *entry, char **user, char **pass)
{
  json_object *auth = NULL;
  if (!json_object_is_type (entry, json_type_object) || !json_object_object_get_ex (entry, "auth", &auth)
      || !json_object_is_type (auth, json_type_string))
    return false;
  size_t len = 0;
  cleanup_free char *dec = b64_decode (json_object_get_string (auth), &len);
  if (dec == NULL)
    return false;
  char *colon = memchr (dec, ':', len);
  if (colon == NULL)
    return false;
  *colon = '\0';
  /* podman trims NUL padding from the password */
  const char *pw = colon + 1;
  size_t plen = len - (size_t) (pw - dec);
  while (plen > 0 && pw[plen - 1] == '\0')
    plen--;
  *user = xstrdup (dec);
  *pass = xstrndup (pw, plen);
  explicit_bzero (dec, len);
  return true;
}

static bool
find_in_auths (json_object *auths, const char *key, bool legacy, char **user, char **pass)
{
  cleanup_free char *registry = xstrdup (key);
  char *slash = strchr (registry, '/');
  if (slash)
    *slash = '\0';
  json_object *entry = NULL;
  if (legacy)
    {
      if (json_object_object_get_ex (auths, registry, &entry))
        return decode_entry (entry, user, pass);
    }
  else
    {
      /* quay.io/ns/repo, quay.io/ns, quay.io */
      cleanup_free char *k = xstrdup (key);
      for (;;)
        {
          if (json_object_object_get_ex (auths, k, &entry))
            return decode_entry (entry, user, pass);
          char *last = strrchr (k, '/');
          if (last == NULL)
            break;
          *last = '\0';
        }
    }
  /* then any spelling of the registry: URLs, docker hub's hosts */
  const char *want = normalize_registry (registry);
  json_object_object_foreach (auths, k, v)
  {
    cleanup_free char *nk = normalize_auth_file_key (k, legacy);
    if (strcmp (nk, want) == 0)
      return decode_entry (v, user, pass);
  }
  return false;
}

int
skiff_auth_get (const char *authfile, const char *key, char **user, char **pass, skiff_error_t *err)
{
  *user = NULL;
  *pass = NULL;
  cleanup_free char *k = lookup_key (key, err);
  if (k == NULL)
    return -EINVAL;
  cleanup_strv char **paths = skiff_auth_file_paths (authfile);
  for (char **p = paths; *p; p++)
    {
      cleanup_json json_object *root = NULL;
      bool missing = false;
      if (read_auth_json (*p, &root, &missing, err) < 0)
        return -EINVAL;
      if (missing)
        continue;
      bool legacy = is_legacy_path (*p);
      json_object *auths = NULL;
      if (legacy)
        auths = root;
      else if (!json_object_object_get_ex (root, "auths", &auths) || !json_object_is_type (auths, json_type_object))
        continue;
      if (find_in_auths (auths, k, legacy, user, pass))
        {
          log_debug ("Found credentials for %s in file %s", k, *p);
          return 1;
        }
    }
  log_debug ("No credentials for %s found", k);
  return 0;
}

static int
write_auth_json (const char *path, json_object *root, skiff_error_t *err)
{
  const char *s = json_object_to_json_string_ext (root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_PRETTY_TAB
                                                            | JSON_C_TO_STRING_NOSLASHESCAPE);
  cleanup_free char *data = xasprintf ("%s\n", s);
  if (write_file_atomic (path, data, strlen (data), AUTH_FILE_MODE, err) < 0)
    return skiff_error_wrap (err, "writing to file `%s`", path);
  return 0;
}

/* Open the file to edit: checks $XDG_RUNTIME_DIR, creates the directory, reads what is there. */
static int
open_for_edit (const char *authfile, char **path_out, json_object **root, json_object **auths, bool create_dir,
               bool *missing, skiff_error_t *err)
{
  const char *xdg = env_nonempty ("XDG_RUNTIME_DIR");
  if (!user_chose_file (authfile) && xdg && !path_exists (xdg))
    return skiff_error_set_status (
        err, ENOENT,
        "\"%s\" directory set by $XDG_RUNTIME_DIR does not exist. Either create the directory or "
        "unset $XDG_RUNTIME_DIR.",
        xdg);
  cleanup_free char *path = skiff_auth_file_path (authfile);
  bool nofollow = false;
  if (guard_auth_path (path, &nofollow, err) < 0)
    return -EPERM;
  if (create_dir)
    {
      cleanup_free char *dir = xstrdup (path);
      char *slash = strrchr (dir, '/');
      if (slash && slash != dir)
        {
          *slash = '\0';
          if (mkdir_p (dir, AUTH_DIR_MODE, err) < 0)
            return -EIO;
        }
    }
  if (read_auth_json (path, root, missing, err) < 0)
    return -EINVAL;
  if (!json_object_object_get_ex (*root, "auths", auths) || !json_object_is_type (*auths, json_type_object))
    {
      *auths = json_object_new_object ();
      json_object_object_add (*root, "auths", *auths);
    }
  *path_out = steal_pointer (&path);
  return 0;
}

int
skiff_auth_set (const char *authfile, const char *key, const char *user, const char *pass, skiff_error_t *err)
{
  cleanup_free char *k = skiff_auth_normalize_key (key, err);
  if (k == NULL)
    return -EINVAL;
  cleanup_free char *path = NULL;
  cleanup_json json_object *root = NULL;
  json_object *auths = NULL;
  if (open_for_edit (authfile, &path, &root, &auths, true, NULL, err) < 0)
    return -EINVAL;
  cleanup_free char *plain = xasprintf ("%s:%s", user, pass);
  cleanup_free char *enc = b64_encode (plain);
  explicit_bzero (plain, strlen (plain));
  json_object *entry = json_object_new_object ();
  json_object_object_add (entry, "auth", json_object_new_string (enc));
  json_object_object_add (auths, k, entry);
  return write_auth_json (path, root, err);
}

int
skiff_auth_remove (const char *authfile, const char *key, skiff_error_t *err)
{
  cleanup_free char *k = skiff_auth_normalize_key (key, err);
  if (k == NULL)
    return -EINVAL;
  cleanup_free char *path = NULL;
  cleanup_json json_object *root = NULL;
  json_object *auths = NULL;
  bool missing = false;
  if (open_for_edit (authfile, &path, &root, &auths, false, &missing, err) < 0)
    return -EINVAL;
  if (missing || !json_object_object_get_ex (auths, k, NULL))
    return skiff_error_set_status (err, ENOENT, "not logged into %s", k);
  json_object_object_del (auths, k);
  return write_auth_json (path, root, err);
}

int
skiff_auth_remove_all (const char *authfile, skiff_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_json json_object *root = NULL;
  json_object *auths = NULL;
  bool missing = false;
  if (open_for_edit (authfile, &path, &root, &auths, false, &missing, err) < 0)
    return -EINVAL;
  if (missing)
    return 0;
  json_object_object_add (root, "auths", json_object_new_object ());
  return write_auth_json (path, root, err);
}
