/* image configuration: registries.conf (TOML reader, schema, drop-ins, prefix/mirror resolution), auth.json
 * credentials and short-name resolution, checked against podman's behaviour. */
#include <criterion/criterion.h>
#include <sys/stat.h>

#include "image/registries.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* ---- helpers ---- */

static char *
make_tmpdir (void)
{
  char *d = xstrdup ("/tmp/skiff-imageconf-XXXXXX");
  cr_assert_not_null (mkdtemp (d));
  return d;
}

static void
write_text (const char *dir, const char *rel, const char *text)
{
  cleanup_free char *path = path_join (dir, rel);
  cleanup_free char *parent = xstrdup (path);
  *strrchr (parent, '/') = '\0';
  skiff_error_t err = NULL;
  cr_assert_eq (mkdir_p (parent, 0700, &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (write_file_atomic (path, text, strlen (text), 0600, &err), 0, "%s", err ? err->msg : "");
}

static struct skiff_registries_conf *
parse_ok (const char *text)
{
  struct skiff_registries_conf *c = NULL;
  skiff_error_t err = NULL;
  int r = skiff_registries_conf_parse (text, strlen (text), "registries.conf", false, &c, &err);
  cr_assert_eq (r, 0, "parse failed: %s", err ? err->msg : "");
  return c;
}

static char *
parse_err (const char *text)
{
  struct skiff_registries_conf *c = NULL;
  skiff_error_t err = NULL;
  int r = skiff_registries_conf_parse (text, strlen (text), "registries.conf", false, &c, &err);
  cr_assert_lt (r, 0, "parse of <<%s>> should fail", text);
  cr_assert_null (c);
  cr_assert_not_null (err);
  char *m = xstrdup (err->msg);
  skiff_error_release (&err);
  return m;
}

static void
clear_env (void)
{
  unsetenv ("CONTAINERS_REGISTRIES_CONF");
  unsetenv ("REGISTRY_AUTH_FILE");
  unsetenv ("XDG_RUNTIME_DIR");
  unsetenv ("XDG_CONFIG_HOME");
  unsetenv ("DOCKER_CONFIG");
}

/* ---- registries.conf: parsing ---- */

Test (registries_conf, parses_the_installed_default)
{
  static const char path[] = "/etc/containers/registries.conf";
  if (!path_exists (path))
    cr_skip_test ("%s is not installed (package containers-common)", path);
  struct skiff_registries_conf *c = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_registries_conf_parse_file (path, false, &c, &err), 0, "%s", err ? err->msg : "");
  skiff_registries_conf_free (c);

  static const char dropin[] = "/etc/containers/registries.conf.d/shortnames.conf";
  if (path_exists (dropin))
    {
      cr_assert_eq (skiff_registries_conf_parse_file (dropin, true, &c, &err), 0, "%s", err ? err->msg : "");
      cr_assert_gt (c->n_aliases, 20);
      cr_assert_str_eq (skiff_registries_conf_alias (c, "fedora"), "registry.fedoraproject.org/fedora");
      cr_assert_str_eq (skiff_registries_conf_alias (c, "opensuse/leap"), "registry.opensuse.org/opensuse/leap");
      skiff_registries_conf_free (c);
    }
}

static const char realistic[] = "# A registries.conf as people write them\n"
                                "unqualified-search-registries = [\n"
                                "  \"registry.fedoraproject.org\",  # Fedora\n"
                                "  'quay.io',\n"
                                "  \"docker.io\",   # trailing comma next\n"
                                "]\n"
                                "short-name-mode=\"enforcing\"\n"
                                "\n"
                                "[[registry]]\n"
                                "prefix = \"example.com/foo\"\n"
                                "location = \"internal.example.com/bar/\"   # trailing slash is dropped\n"
                                "insecure = false\n"
                                "\n"
                                "[[registry.mirror]]\n"
                                "location = \"mirror1.example.net/cache\"\n"
                                "insecure = true\n"
                                "\n"
                                "[[registry.mirror]]\n"
                                "location = 'mirror2.example.net'\n"
                                "\n"
                                "[[registry]]\n"
                                "location = \"example.com\"\n"
                                "insecure = true\n"
                                "\n"
                                "[[registry]]\n"
                                "prefix = \"*.blocked.io\"\n"
                                "blocked = true\n"
                                "\n"
                                "[[registry]]\n"
                                "prefix = \"docker.io\"\n"
                                "location = \"docker.io\"\n"
                                "mirror = [ { location = \"mirror.gcr.io\" }, ]\n"
                                "\n"
                                "[[registry]]\n"
                                "location = \"digest.io\"\n"
                                "mirror-by-digest-only = true\n"
                                "[[registry.mirror]]\n"
                                "location = \"dmirror.io\"\n"
                                "\n"
                                "[[registry]]\n"
                                "location = \"tags.io\"\n"
                                "[[registry.mirror]]\n"
                                "location = \"tmirror.io\"\n"
                                "pull-from-mirror = \"tag-only\"\n"
                                "\n"
                                "[[registry]]\n"
                                "location = \"localhost:5000\"\n"
                                "insecure = true\n"
                                "\n"
                                "[aliases]\n"
                                "  \"myalias\" = \"example.com/ns/img\"\n"
                                "  'literal' = 'quay.io/a/b'\n"
                                "  esc = \"quay.io/\\u0065sc\"   # \\u escape\n"
                                "  \"opensuse/leap\" = \"registry.opensuse.org/opensuse/leap\"\n";

Test (registries_conf, parses_a_realistic_file)
{
  struct skiff_registries_conf *c = parse_ok (realistic);
  cr_assert_eq (strv_len (c->search_registries), 3);
  cr_assert_str_eq (c->search_registries[0], "registry.fedoraproject.org");
  cr_assert_str_eq (c->search_registries[1], "quay.io");
  cr_assert_str_eq (c->search_registries[2], "docker.io");
  cr_assert_eq (c->short_name_mode, SKIFF_SHORT_NAME_ENFORCING);
  cr_assert_eq (c->n_registries, 7);
  /* sorted by prefix, as podman keeps them */
  cr_assert_str_eq (c->registries[0].prefix, "*.blocked.io");
  cr_assert (c->registries[0].blocked);
  cr_assert_str_eq (c->registries[0].location, "");
  const struct skiff_registry *r = skiff_registries_conf_find (c, "example.com/foo/app:1");
  cr_assert_not_null (r);
  cr_assert_str_eq (r->prefix, "example.com/foo");
  cr_assert_str_eq (r->location, "internal.example.com/bar");
  cr_assert_eq (r->n_mirrors, 2);
  cr_assert_str_eq (r->mirrors[0].location, "mirror1.example.net/cache");
  cr_assert (r->mirrors[0].insecure);
  cr_assert_not (r->mirrors[1].insecure);
  r = skiff_registries_conf_find (c, "docker.io/library/busybox:latest");
  cr_assert_eq (r->n_mirrors, 1);
  cr_assert_str_eq (r->mirrors[0].location, "mirror.gcr.io");
  cr_assert_str_eq (skiff_registries_conf_alias (c, "myalias"), "example.com/ns/img");
  cr_assert_str_eq (skiff_registries_conf_alias (c, "literal"), "quay.io/a/b");
  cr_assert_str_eq (skiff_registries_conf_alias (c, "esc"), "quay.io/esc");
  cr_assert_str_eq (skiff_registries_conf_alias (c, "opensuse/leap"), "registry.opensuse.org/opensuse/leap");
  cr_assert_null (skiff_registries_conf_alias (c, "busybox"));
  skiff_registries_conf_free (c);
}

Test (registries_conf, toml_details)
{
  struct skiff_registries_conf *c = parse_ok ("\xEF\xBB\xBF"
                                              "unqualified-search-registries = []\r\n"
                                              "credential-helpers = [\"containers-auth.json\", '''pass''']\n"
                                              "ignored-number = 1_000\n"
                                              "ignored-float = 1.5e3\n"
                                              "ignored.dotted.key = \"\"\"multi\n"
                                              "line \\\n"
                                              "    joined\"\"\"\n"
                                              "ignored-table = { a = 1, b = [true, false] }\n"
                                              "[aliases]\n"
                                              "\"x\" = \"quay.io/x\" # comment after value\n");
  /* an explicit empty list is set (and overrides earlier files), not absent */
  cr_assert_not_null (c->search_registries);
  cr_assert_eq (strv_len (c->search_registries), 0);
  cr_assert_eq (strv_len (c->credential_helpers), 2);
  cr_assert_str_eq (c->credential_helpers[1], "pass");
  cr_assert_eq (c->short_name_mode, SKIFF_SHORT_NAME_UNSET);
  skiff_registries_conf_free (c);

  c = parse_ok ("# nothing but comments\n\n   # indented\n");
  cr_assert_null (c->search_registries);
  cr_assert_eq (c->n_registries, 0);
  skiff_registries_conf_free (c);
}

Test (registries_conf, syntax_errors_name_their_line)
{
  static const struct
  {
    const char *text, *msg;
  } cases[] = {
    { "a = 1\nb \"x\"\n", "registries.conf:2: expected '=' after key" },
    { "\n\nx = \"abc\n", "registries.conf:3: unterminated string" },
    { "x = 'abc\n", "registries.conf:1: unterminated string" },
    { "x = \"a\\qb\"\n", "registries.conf:1: invalid escape sequence \\q" },
    { "x = \"\\u12\"\n", "registries.conf:1: invalid escape sequence \\u" },
    { "x = [\n 'a',\n 'b'\n", "registries.conf:1: unterminated array" },
    { "\nx = ['a'\n 'b']\n", "registries.conf:3: expected ',' or ']' in array" },
    { "x = 1\n# c\nx = 2\n", "registries.conf:3: duplicate key \"x\"" },
    { "[aliases]\n\"a\" = \"quay.io/a\"\n[aliases]\n", "registries.conf:3: table [aliases] is defined twice" },
    { "x = true false\n", "registries.conf:1: unexpected text after the value" },
    { "\n[registry\n", "registries.conf:2: expected ']' at the end of the table header" },
    { "[[registry]\n", "registries.conf:1: expected ']]' at the end of the table header" },
    { "[aliases] x\n", "registries.conf:1: unexpected text after the table header" },
    { "x =\n", "registries.conf:1: expected a value" },
    { "x = yes\n", "registries.conf:1: invalid value `yes`" },
    { "= 1\n", "registries.conf:1: invalid character '=' in key" },
    { "x = { a = 1 b = 2 }\n", "registries.conf:1: expected ',' or '}' in inline table" },
    { "a = 1\na.b = 2\n", "registries.conf:2: key \"a\" is already defined as a value" },
    { "registry = 1\n[[registry]]\n", "registries.conf:2: key \"registry\" is already defined and is not an array" },
    /* the schema */
    { "\nshort-name-mode = \"sometimes\"\n", "registries.conf:2: invalid short-name mode: \"sometimes\"" },
    { "short-name-mode = 1\n", "registries.conf:1: \"short-name-mode\" must be a string" },
    { "unqualified-search-registries = \"quay.io\"\n",
      "registries.conf:1: \"unqualified-search-registries\" must be an array of strings" },
    { "unqualified-search-registries = [\"quay.io/ns\"]\n",
      "registries.conf:1: Invalid unqualified-search-registries entry \"quay.io/ns\"" },
    { "[[registry]]\nlocation = \"a.io\"\ninsecure = \"yes\"\n",
      "registries.conf:3: \"insecure\" must be true or false" },
    { "\n[[registry]]\nprefix = \"a.io\"\n",
      "registries.conf:2: invalid condition: location is unset and prefix is not in the format: *.example.com" },
    { "[[registry]]\nblocked = true\n", "registries.conf:1: invalid condition: both location and prefix are unset" },
    { "[[registry]]\nlocation = \"https://a.io\"\n",
      "registries.conf:1: invalid location 'https://a.io': URI schemes are not supported" },
    { "[[registry]]\nprefix = \"*.a.io/ns\"\n", "Wildcarded prefix should be in the format: *.example.com" },
    { "[[registry]]\nlocation = \"a.io\"\n[[registry.mirror]]\ninsecure = true\n",
      "registries.conf:3: invalid condition: mirror location is unset" },
    { "[[registry]]\nlocation = \"a.io\"\n[[registry]]\nlocation = \"a.io\"\ninsecure = true\n",
      "registry 'a.io' is defined multiple times with conflicting 'insecure' setting" },
    { "[aliases]\n\"quay.io/x\" = \"quay.io/x\"\n", "registries.conf:2: invalid short name \"quay.io/x\"" },
    { "[aliases]\n\"x:1\" = \"quay.io/x\"\n", "registries.conf:2: invalid short name \"x:1\"" },
    { "[aliases]\nx = \"x\"\n", "registries.conf:2: invalid alias value \"x\": must be fully qualified" },
    { "[aliases]\nx = \"quay.io/x:1\"\n", "registries.conf:2: invalid alias value \"quay.io/x:1\"" },
    { "unqualified-search-registries = []\n[registries.search]\nregistries = []\n",
      "mixing sysregistry v1/v2 is not supported" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      cleanup_free char *m = parse_err (cases[i].text);
      cr_assert (str_has_prefix (m, cases[i].msg) || strstr (m, cases[i].msg), "case %zu: got \"%s\", want \"%s\"", i,
                 m, cases[i].msg);
    }
}

Test (registries_conf, v1_format_is_converted)
{
  struct skiff_registries_conf *c = parse_ok ("[registries.search]\nregistries = ['quay.io', 'docker.io']\n"
                                              "[registries.insecure]\nregistries = ['insecure.io']\n"
                                              "[registries.block]\nregistries = ['bad.io']\n");
  cr_assert_eq (strv_len (c->search_registries), 2);
  cr_assert (skiff_registries_conf_insecure (c, "insecure.io/a/b:1"));
  cr_assert (skiff_registries_conf_blocked (c, "bad.io/x"));
  cr_assert_not (skiff_registries_conf_blocked (c, "quay.io/x"));
  skiff_registries_conf_free (c);

  /* drop-ins must be v2 */
  static const char v1[] = "[registries.search]\nregistries = ['quay.io']\n";
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_registries_conf_parse (v1, strlen (v1), "d.conf", true, &c, &err), 0);
  cr_assert_str_eq (err->msg, "d.conf:1: registry must be in v2 format but is in v1");
  skiff_error_release (&err);
}

/* ---- registries.conf: resolution ---- */

static void
assert_sources (struct skiff_registries_conf *c, const char *ref, const char *const *want, const bool *insecure,
                size_t n_want)
{
  struct skiff_pull_source *s = NULL;
  size_t n = 0;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_registries_conf_pull_sources (c, ref, &s, &n, &err), 0, "%s: %s", ref, err ? err->msg : "");
  cr_assert_eq (n, n_want, "%s: %zu sources, want %zu", ref, n, n_want);
  for (size_t i = 0; i < n; i++)
    {
      cr_assert_str_eq (s[i].reference, want[i], "%s: source %zu", ref, i);
      cr_assert_eq (s[i].insecure, insecure[i], "%s: source %zu insecure", ref, i);
      cr_assert_eq (s[i].mirror, i + 1 < n, "%s: source %zu mirror", ref, i);
    }
  skiff_pull_sources_free (s, n);
}

Test (registries_conf, mirrors_prefixes_and_rewrites)
{
  struct skiff_registries_conf *c = parse_ok (realistic);
  assert_sources (c, "example.com/foo/app:1",
                  (const char *const[]){ "mirror1.example.net/cache/app:1", "mirror2.example.net/app:1",
                                         "internal.example.com/bar/app:1" },
                  (const bool[]){ true, false, false }, 3);
  /* the whole prefix must match up to a separator: example.com/foobar is example.com's */
  assert_sources (c, "example.com/foobar", (const char *const[]){ "example.com/foobar:latest" }, (const bool[]){ true },
                  1);
  assert_sources (c, "example.com/foo/app@sha256:" HEX64,
                  (const char *const[]){ "mirror1.example.net/cache/app@sha256:" HEX64,
                                         "mirror2.example.net/app@sha256:" HEX64,
                                         "internal.example.com/bar/app@sha256:" HEX64 },
                  (const bool[]){ true, false, false }, 3);
  /* docker.io references are normalized before the lookup */
  assert_sources (c, "docker.io/busybox",
                  (const char *const[]){ "mirror.gcr.io/library/busybox:latest", "docker.io/library/busybox:latest" },
                  (const bool[]){ false, false }, 2);
  /* no [[registry]]: the reference itself */
  assert_sources (c, "quay.io/a/b:2", (const char *const[]){ "quay.io/a/b:2" }, (const bool[]){ false }, 1);
  /* mirror-by-digest-only and pull-from-mirror */
  assert_sources (c, "digest.io/x:1", (const char *const[]){ "digest.io/x:1" }, (const bool[]){ false }, 1);
  assert_sources (c, "digest.io/x@sha256:" HEX64,
                  (const char *const[]){ "dmirror.io/x@sha256:" HEX64, "digest.io/x@sha256:" HEX64 },
                  (const bool[]){ false, false }, 2);
  assert_sources (c, "tags.io/x:1", (const char *const[]){ "tmirror.io/x:1", "tags.io/x:1" },
                  (const bool[]){ false, false }, 2);
  assert_sources (c, "tags.io/x@sha256:" HEX64, (const char *const[]){ "tags.io/x@sha256:" HEX64 },
                  (const bool[]){ false }, 1);
  /* ports are part of the prefix */
  assert_sources (c, "localhost:5000/app", (const char *const[]){ "localhost:5000/app:latest" }, (const bool[]){ true },
                  1);
  cr_assert (skiff_registries_conf_insecure (c, "localhost:5000"));
  cr_assert (skiff_registries_conf_insecure (c, "example.com"));
  cr_assert_not (skiff_registries_conf_insecure (c, "example.com/foo/x"));
  cr_assert_not (skiff_registries_conf_insecure (c, "quay.io"));
  skiff_registries_conf_free (c);
}

Test (registries_conf, wildcards_and_blocking)
{
  struct skiff_registries_conf *c = parse_ok (realistic);
  skiff_error_t err = NULL;
  struct skiff_pull_source *s = NULL;
  size_t n = 0;
  cr_assert_lt (skiff_registries_conf_pull_sources (c, "x.blocked.io/a", &s, &n, &err), 0);
  cr_assert_eq (err->status, EACCES);
  cr_assert (str_has_prefix (err->msg, "registry x.blocked.io/a:latest is blocked in registries.conf"), "%s", err->msg);
  skiff_error_release (&err);
  cr_assert (skiff_registries_conf_blocked (c, "deep.sub.blocked.io:5000/a"));
  /* the wildcard needs a subdomain, and only matches the host */
  cr_assert_not (skiff_registries_conf_blocked (c, "blocked.io/a"));
  cr_assert_not (skiff_registries_conf_blocked (c, "quay.io/x.blocked.io/a"));
  cr_assert_not (skiff_registries_conf_blocked (c, "x.blocked.iox/a"));
  assert_sources (c, "blocked.io/a", (const char *const[]){ "blocked.io/a:latest" }, (const bool[]){ false }, 1);
  /* a short name is not a pull source */
  cr_assert_lt (skiff_registries_conf_pull_sources (c, "busybox", &s, &n, &err), 0);
  cr_assert_str_eq (err->msg, "reference \"busybox\" is not fully qualified");
  skiff_error_release (&err);
  skiff_registries_conf_free (c);

  /* a wildcard with a location rewrites the host; the longest prefix wins over a wildcard */
  c = parse_ok ("[[registry]]\nprefix = \"*.corp.io\"\nlocation = \"proxy.corp.net\"\n"
                "[[registry]]\nprefix = \"a.corp.io/special\"\nlocation = \"special.corp.net\"\n");
  assert_sources (c, "b.corp.io/team/app:1", (const char *const[]){ "proxy.corp.net/team/app:1" },
                  (const bool[]){ false }, 1);
  assert_sources (c, "a.corp.io/special/app:1", (const char *const[]){ "special.corp.net/app:1" },
                  (const bool[]){ false }, 1);
  skiff_registries_conf_free (c);
}

/* ---- registries.conf: sources and drop-ins ---- */

Test (registries_conf, drop_ins_override_in_podman_order)
{
  cleanup_free char *d = make_tmpdir ();
  write_text (d, "main.conf",
              "unqualified-search-registries = ['a.io']\nshort-name-mode = 'enforcing'\n"
              "[[registry]]\nlocation = 'p.io'\ninsecure = true\n"
              "[[registry]]\nlocation = 'keep.io'\n"
              "[aliases]\nx = 'a.io/x'\ny = 'a.io/y'\nz = 'a.io/z'\n");
  write_text (d, "sys/10-a.conf",
              "unqualified-search-registries = ['b.io']\n[[registry]]\nlocation = 'p.io'\nblocked = true\n"
              "[aliases]\nx = 'b.io/x'\n");
  write_text (d, "sys/20-b.conf", "[aliases]\ny = ''\n");
  write_text (d, "sys/30-ignored.txt", "this is not toml = = =\n");
  write_text (d, "user/05-u.conf", "unqualified-search-registries = ['u.io']\n[aliases]\nx = 'u.io/x'\n");
  cleanup_free char *conf = path_join (d, "main.conf");
  cleanup_free char *sys = path_join (d, "sys");
  cleanup_free char *user = path_join (d, "user");
  cleanup_free char *user_file = path_join (d, "user/05-u.conf");
  struct skiff_registries_conf_paths paths = { .conf = conf, .system_dir = sys, .user_dir = user };
  struct skiff_registries_conf *c = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_registries_conf_load_paths (&paths, &c, &err), 0, "%s", err ? err->msg : "");
  /* the user directory comes after the system one, whatever the names */
  cr_assert_eq (strv_len (c->search_registries), 1);
  cr_assert_str_eq (c->search_registries[0], "u.io");
  cr_assert_str_eq (c->search_origin, user_file);
  /* a [[registry]] with the same prefix replaces the whole entry */
  const struct skiff_registry *r = skiff_registries_conf_find (c, "p.io/img");
  cr_assert (r->blocked);
  cr_assert_not (r->insecure);
  cr_assert_not_null (skiff_registries_conf_find (c, "keep.io/img"));
  /* aliases one by one; "" resets */
  cr_assert_str_eq (skiff_registries_conf_alias (c, "x"), "u.io/x");
  cr_assert_null (skiff_registries_conf_alias (c, "y"));
  cr_assert_str_eq (skiff_registries_conf_alias (c, "z"), "a.io/z");
  /* untouched keys stay */
  cr_assert_eq (c->short_name_mode, SKIFF_SHORT_NAME_ENFORCING);
  skiff_registries_conf_free (c);

  /* a bad drop-in is an error naming it and its line */
  write_text (d, "user/99-bad.conf", "[aliases]\n\nx 'q.io/x'\n");
  cr_assert_lt (skiff_registries_conf_load_paths (&paths, &c, &err), 0);
  cr_assert (strstr (err->msg, "99-bad.conf:3: expected '=' after key"), "%s", err->msg);
  skiff_error_release (&err);
}

Test (registries_conf, sources_follow_podman)
{
  clear_env ();
  cleanup_free char *home = make_tmpdir ();
  setenv ("HOME", home, 1);
  write_text (home, "env.conf", "unqualified-search-registries = ['env.io']\n[aliases]\nenvalias = 'env.io/x'\n");
  write_text (home, ".config/containers/registries.conf.d/50-user.conf",
              "[aliases]\nuseralias = 'user.io/x'\nenvalias = 'user.io/envalias'\n");
  cleanup_free char *env_conf = path_join (home, "env.conf");
  bool have_system_aliases = path_exists ("/etc/containers/registries.conf.d/shortnames.conf");

  /* $CONTAINERS_REGISTRIES_CONF replaces the main file; both drop-in directories still apply */
  setenv ("CONTAINERS_REGISTRIES_CONF", env_conf, 1);
  struct skiff_registries_conf *c = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_registries_conf_load (&c, &err), 0, "%s", err ? err->msg : "");
  cr_assert_str_eq (c->search_registries[0], "env.io");
  cr_assert_str_eq (skiff_registries_conf_alias (c, "useralias"), "user.io/x");
  cr_assert_str_eq (skiff_registries_conf_alias (c, "envalias"), "user.io/envalias");
  cr_assert_eq (c->short_name_mode, SKIFF_SHORT_NAME_PERMISSIVE, "podman's default mode");
  if (have_system_aliases)
    cr_assert_not_null (skiff_registries_conf_alias (c, "fedora"));
  skiff_registries_conf_free (c);

  /* a per-user registries.conf replaces the system's, and only the user's drop-ins apply */
  unsetenv ("CONTAINERS_REGISTRIES_CONF");
  write_text (home, ".config/containers/registries.conf", "unqualified-search-registries = ['home.io']\n");
  cr_assert_eq (skiff_registries_conf_load (&c, &err), 0, "%s", err ? err->msg : "");
  cr_assert_str_eq (c->search_registries[0], "home.io");
  cr_assert_str_eq (skiff_registries_conf_alias (c, "useralias"), "user.io/x");
  cr_assert_null (skiff_registries_conf_alias (c, "fedora"), "system drop-ins are not read with a user file");
  skiff_registries_conf_free (c);

  /* an explicit file must exist */
  cleanup_free char *missing = path_join (home, "missing.conf");
  setenv ("CONTAINERS_REGISTRIES_CONF", missing, 1);
  cr_assert_lt (skiff_registries_conf_load (&c, &err), 0);
  cr_assert (strstr (err->msg, "missing.conf"), "%s", err->msg);
  skiff_error_release (&err);
}

/* ---- auth.json ---- */

static void
assert_creds (const char *authfile, const char *key, const char *user, const char *pass)
{
  char *u = NULL, *p = NULL;
  skiff_error_t err = NULL;
  int r = skiff_auth_get (authfile, key, &u, &p, &err);
  cr_assert_geq (r, 0, "%s: %s", key, err ? err->msg : "");
  if (user == NULL)
    {
      cr_assert_eq (r, 0, "%s: expected no credentials, got user %s", key, u);
      cr_assert_null (u);
      return;
    }
  cr_assert_eq (r, 1, "%s: no credentials found", key);
  cr_assert_str_eq (u, user, "%s", key);
  cr_assert_str_eq (p, pass, "%s", key);
  free (u);
  free (p);
}

/* {"auths": {key: {"auth": base64(user:pass)}}} written by hand, as podman or docker would have */
static void
write_auths (const char *dir, const char *rel, const char *entries)
{
  cleanup_free char *text = xasprintf ("{\n\t\"auths\": {%s}\n}\n", entries);
  write_text (dir, rel, text);
}

Test (auth, round_trip_with_private_modes)
{
  clear_env ();
  cleanup_free char *d = make_tmpdir ();
  cleanup_free char *file = path_join (d, "new/dir/auth.json");
  setenv ("REGISTRY_AUTH_FILE", file, 1);
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_auth_set (NULL, "quay.io", "user", "pass", &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (skiff_auth_set (NULL, "registry.example.com:5000/ns", "u2", "p:with:colons", &err), 0);
  assert_creds (NULL, "quay.io", "user", "pass");
  assert_creds (NULL, "quay.io/some/repo:tag", "user", "pass");
  assert_creds (NULL, "registry.example.com:5000/ns/app", "u2", "p:with:colons");
  assert_creds (NULL, "registry.example.com:5000", NULL, NULL);

  struct stat st;
  cr_assert_eq (stat (file, &st), 0);
  cr_assert_eq (st.st_mode & 07777, 0600, "auth.json mode %o", st.st_mode & 07777);
  cleanup_free char *dir = path_join (d, "new/dir");
  cr_assert_eq (stat (dir, &st), 0);
  cr_assert_eq (st.st_mode & 07777, 0700, "directory mode %o", st.st_mode & 07777);

  /* podman's format: base64 of user:pass under auths */
  cleanup_free char *data = NULL;
  cr_assert_eq (read_file (file, &data, NULL, &err), 0);
  cr_assert (strstr (data, "\"auths\""), "%s", data);
  cr_assert (strstr (data, "\"quay.io\""), "%s", data);
  cr_assert (strstr (data, "\"dXNlcjpwYXNz\""), "%s", data); /* base64("user:pass") */
  cr_assert_null (strstr (data, "pass\""), "the password is stored encoded only");

  /* remove one, then not logged in */
  cr_assert_eq (skiff_auth_remove (NULL, "quay.io", &err), 0);
  assert_creds (NULL, "quay.io", NULL, NULL);
  assert_creds (NULL, "registry.example.com:5000/ns", "u2", "p:with:colons");
  cr_assert_lt (skiff_auth_remove (NULL, "quay.io", &err), 0);
  cr_assert_eq (err->status, ENOENT);
  cr_assert_str_eq (err->msg, "not logged into quay.io");
  skiff_error_release (&err);
  cr_assert_eq (skiff_auth_remove_all (NULL, &err), 0);
  assert_creds (NULL, "registry.example.com:5000/ns", NULL, NULL);

  /* an explicit authfile wins over $REGISTRY_AUTH_FILE */
  cleanup_free char *other = path_join (d, "other.json");
  cr_assert_eq (skiff_auth_set (other, "quay.io", "o", "p", &err), 0);
  assert_creds (other, "quay.io", "o", "p");
  assert_creds (NULL, "quay.io", NULL, NULL);

  /* other keys of the file survive an edit */
  write_text (d, "keep.json", "{\"auths\": {\"a.io\": {\"auth\": \"YTpi\"}}, \"credHelpers\": {}, \"x\": 1}");
  cleanup_free char *keep = path_join (d, "keep.json");
  cr_assert_eq (skiff_auth_set (keep, "b.io", "c", "d", &err), 0);
  assert_creds (keep, "a.io", "a", "b");
  assert_creds (keep, "b.io", "c", "d");
  cleanup_free char *kept = NULL;
  cr_assert_eq (read_file (keep, &kept, NULL, &err), 0);
  cr_assert (strstr (kept, "\"x\": 1") || strstr (kept, "\"x\":1"), "%s", kept);
}

Test (auth, file_precedence)
{
  clear_env ();
  cleanup_free char *home = make_tmpdir ();
  setenv ("HOME", home, 1);
  cleanup_free char *run = path_join (home, "run");
  setenv ("XDG_RUNTIME_DIR", run, 1);
  /* base64 of "xdg:1", "cfg:2", "dock:3", "cfg:4", "dock:5", "dock:6", "env:7" */
  write_auths (home, "run/containers/auth.json", "\"r1.io\": {\"auth\": \"eGRnOjE=\"}");
  write_auths (home, ".config/containers/auth.json",
               "\"r1.io\": {\"auth\": \"Y2ZnOjI=\"}, \"r2.io\": {\"auth\": \"Y2ZnOjQ=\"}");
  write_auths (home, ".docker/config.json",
               "\"r1.io\": {\"auth\": \"ZG9jazoz\"}, \"r2.io\": {\"auth\": \"ZG9jazo1\"}, "
               "\"r3.io\": {\"auth\": \"ZG9jazo2\"}");
  assert_creds (NULL, "r1.io", "xdg", "1");
  assert_creds (NULL, "r2.io", "cfg", "4");
  assert_creds (NULL, "r3.io", "dock", "6");
  assert_creds (NULL, "r4.io", NULL, NULL);

  /* writes go to $XDG_RUNTIME_DIR/containers/auth.json */
  cleanup_free char *path = skiff_auth_file_path (NULL);
  cleanup_free char *want = path_join (run, "containers/auth.json");
  cr_assert_str_eq (path, want);
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_auth_set (NULL, "r3.io", "new", "8", &err), 0, "%s", err ? err->msg : "");
  assert_creds (NULL, "r3.io", "new", "8");
  assert_creds (NULL, "r1.io", "xdg", "1");

  /* $XDG_CONFIG_HOME moves the second file; $DOCKER_CONFIG the third */
  cleanup_free char *cfg = path_join (home, "cfg");
  setenv ("XDG_CONFIG_HOME", cfg, 1);
  assert_creds (NULL, "r2.io", "dock", "5");
  write_auths (home, "dockerconf/config.json", "\"r2.io\": {\"auth\": \"ZW52Ojc=\"}");
  cleanup_free char *dockerconf = path_join (home, "dockerconf");
  setenv ("DOCKER_CONFIG", dockerconf, 1);
  assert_creds (NULL, "r2.io", "env", "7");

  /* $REGISTRY_AUTH_FILE is the only file read */
  write_auths (home, "env.json", "\"r9.io\": {\"auth\": \"ZW52Ojc=\"}");
  cleanup_free char *envfile = path_join (home, "env.json");
  setenv ("REGISTRY_AUTH_FILE", envfile, 1);
  assert_creds (NULL, "r9.io", "env", "7");
  assert_creds (NULL, "r1.io", NULL, NULL);
  assert_creds (NULL, "r2.io", NULL, NULL);
  unsetenv ("REGISTRY_AUTH_FILE");

  /* a missing $XDG_RUNTIME_DIR is skipped for reads and refused for writes, as podman does */
  cleanup_free char *gone = path_join (home, "gone");
  setenv ("XDG_RUNTIME_DIR", gone, 1);
  assert_creds (NULL, "r2.io", "env", "7");
  cr_assert_lt (skiff_auth_set (NULL, "r1.io", "a", "b", &err), 0);
  cr_assert (strstr (err->msg, "directory set by $XDG_RUNTIME_DIR does not exist"), "%s", err->msg);
  skiff_error_release (&err);
  cr_assert_not (path_exists (gone));
}

Test (auth, most_specific_key_and_docker_hub)
{
  clear_env ();
  cleanup_free char *d = make_tmpdir ();
  /* a:1, b:2, c:3, d:4 */
  write_auths (d, "auth.json",
               "\"quay.io\": {\"auth\": \"YTox\"}, \"quay.io/ns\": {\"auth\": \"Yjoy\"}, "
               "\"quay.io/ns/repo\": {\"auth\": \"Yzoz\"}, \"https://index.docker.io/v1/\": {\"auth\": \"ZDo0\"}, "
               "\"http://old.example.com/v1/\": {\"auth\": \"YTox\"}, \"empty.io\": {}, "
               "\"nocolon.io\": {\"auth\": \"YWJj\"}");
  cleanup_free char *file = path_join (d, "auth.json");
  assert_creds (file, "quay.io/ns/repo:tag", "c", "3");
  assert_creds (file, "quay.io/ns/repo@sha256:" HEX64, "c", "3");
  assert_creds (file, "quay.io/ns/other", "b", "2");
  assert_creds (file, "quay.io/ns", "b", "2");
  assert_creds (file, "quay.io/nsx/repo", "a", "1");
  assert_creds (file, "quay.io", "a", "1");
  /* docker hub: every spelling finds docker's key */
  assert_creds (file, "docker.io", "d", "4");
  assert_creds (file, "docker.io/library/busybox:latest", "d", "4");
  assert_creds (file, "index.docker.io", "d", "4");
  assert_creds (file, "registry-1.docker.io", "d", "4");
  /* URL keys as old docker login wrote them */
  assert_creds (file, "old.example.com/a/b", "a", "1");
  /* entries without usable credentials are skipped */
  assert_creds (file, "empty.io", NULL, NULL);
  assert_creds (file, "nocolon.io", NULL, NULL);

  /* podman login https://index.docker.io/v1/ stores under "docker.io" */
  skiff_error_t err = NULL;
  cleanup_free char *f2 = path_join (d, "f2.json");
  cr_assert_eq (skiff_auth_set (f2, "https://index.docker.io/v1/", "hub", "pw", &err), 0);
  cleanup_free char *data = NULL;
  cr_assert_eq (read_file (f2, &data, NULL, &err), 0);
  cr_assert (strstr (data, "\"docker.io\""), "%s", data);
  assert_creds (f2, "docker.io/library/alpine", "hub", "pw");
  cr_assert_eq (skiff_auth_remove (f2, "index.docker.io", &err), 0, "%s", err ? err->msg : "");
  assert_creds (f2, "docker.io", NULL, NULL);

  /* tags and digests are not keys */
  cr_assert_lt (skiff_auth_set (f2, "quay.io/a:tag", "u", "p", &err), 0);
  cr_assert (strstr (err->msg, "contains a ':' character after host[:port]"), "%s", err->msg);
  skiff_error_release (&err);
  cr_assert_lt (skiff_auth_set (f2, "quay.io/a@sha256:" HEX64, "u", "p", &err), 0);
  skiff_error_release (&err);

  /* a corrupt file is an error, not "no credentials" */
  write_text (d, "bad.json", "{\"auths\": ");
  cleanup_free char *bad = path_join (d, "bad.json");
  char *u = NULL, *p = NULL;
  cr_assert_lt (skiff_auth_get (bad, "quay.io", &u, &p, &err), 0);
  cr_assert (strstr (err->msg, "bad.json"), "%s", err->msg);
  skiff_error_release (&err);
}

Test (auth, legacy_dockercfg)
{
  clear_env ();
  cleanup_free char *home = make_tmpdir ();
  setenv ("HOME", home, 1);
  cleanup_free char *run = path_join (home, "run");
  cr_assert_eq (mkdir (run, 0700), 0);
  setenv ("XDG_RUNTIME_DIR", run, 1);
  write_text (home, ".dockercfg", "{\"https://legacy.io/v1/\": {\"auth\": \"YTox\"}}");
  assert_creds (NULL, "legacy.io/x/y", "a", "1");
}

/* ---- short names ---- */

static const char search_conf[] = "unqualified-search-registries = ['quay.io', 'docker.io']\n"
                                  "[aliases]\nmyalias = 'example.com/ns/img'\n'ns/aliased' = 'docker.io/ns/real'\n";

static struct skiff_resolved_name *
resolve_ok (struct skiff_registries_conf *c, const char *name, bool tty)
{
  struct skiff_resolved_name *r = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_short_name_resolve (c, name, tty, &r, &err), 0, "%s: %s", name, err ? err->msg : "");
  return r;
}

Test (shortnames, search_registry_candidates)
{
  struct skiff_registries_conf *c = parse_ok (search_conf);
  struct skiff_resolved_name *r = resolve_ok (c, "busybox", false);
  cr_assert_eq (r->how, SKIFF_RESOLVED_SEARCH);
  cr_assert_eq (strv_len (r->candidates), 2);
  cr_assert_str_eq (r->candidates[0], "quay.io/busybox:latest");
  cr_assert_str_eq (r->candidates[1], "docker.io/library/busybox:latest");
  cr_assert_not (r->needs_choice);
  cr_assert_str_eq (r->description, "Resolving \"busybox\" using unqualified-search registries (registries.conf)");
  skiff_resolved_name_free (r);

  r = resolve_ok (c, "library/busybox:1.36", false);
  cr_assert_str_eq (r->candidates[0], "quay.io/library/busybox:1.36");
  cr_assert_str_eq (r->candidates[1], "docker.io/library/busybox:1.36");
  skiff_resolved_name_free (r);

  r = resolve_ok (c, "busybox@sha256:" HEX64, false);
  cr_assert_str_eq (r->candidates[1], "docker.io/library/busybox@sha256:" HEX64);
  skiff_resolved_name_free (r);

  /* with a terminal the caller is told to ask */
  r = resolve_ok (c, "busybox", true);
  cr_assert (r->needs_choice);
  skiff_resolved_name_free (r);

  /* fully qualified names are used as they are (normalized) */
  r = resolve_ok (c, "docker.io/busybox", false);
  cr_assert_eq (r->how, SKIFF_RESOLVED_QUALIFIED);
  cr_assert_eq (strv_len (r->candidates), 1);
  cr_assert_str_eq (r->candidates[0], "docker.io/library/busybox:latest");
  skiff_resolved_name_free (r);
  r = resolve_ok (c, "localhost/mine:1", false);
  cr_assert_str_eq (r->candidates[0], "localhost/mine:1");
  skiff_resolved_name_free (r);

  /* local lookups: localhost first, then the search registries */
  char **local = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_short_name_resolve_local (c, "busybox:1", &local, &err), 0);
  cr_assert_eq (strv_len (local), 3);
  cr_assert_str_eq (local[0], "localhost/busybox:1");
  cr_assert_str_eq (local[1], "quay.io/busybox:1");
  cr_assert_str_eq (local[2], "docker.io/library/busybox:1");
  strv_free (local);

  /* malformed names are refused */
  cr_assert_lt (skiff_short_name_resolve (c, "Bad/Name", false, &r, &err), 0);
  skiff_error_release (&err);
  skiff_registries_conf_free (c);
}

Test (shortnames, aliases_win)
{
  struct skiff_registries_conf *c = parse_ok (search_conf);
  struct skiff_resolved_name *r = resolve_ok (c, "myalias", true);
  cr_assert_eq (r->how, SKIFF_RESOLVED_ALIAS);
  cr_assert_eq (strv_len (r->candidates), 1);
  cr_assert_str_eq (r->candidates[0], "example.com/ns/img:latest");
  cr_assert_not (r->needs_choice);
  cr_assert_str_eq (r->description, "Resolved \"myalias\" as an alias (registries.conf)");
  skiff_resolved_name_free (r);

  r = resolve_ok (c, "myalias:2", false);
  cr_assert_str_eq (r->candidates[0], "example.com/ns/img:2");
  skiff_resolved_name_free (r);
  r = resolve_ok (c, "ns/aliased@sha256:" HEX64, false);
  cr_assert_str_eq (r->candidates[0], "docker.io/ns/real@sha256:" HEX64);
  skiff_resolved_name_free (r);

  char **local = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_short_name_resolve_local (c, "myalias", &local, &err), 0);
  cr_assert_str_eq (local[0], "example.com/ns/img:latest");
  cr_assert_str_eq (local[1], "localhost/myalias:latest");
  strv_free (local);
  skiff_registries_conf_free (c);
}

Test (shortnames, modes_and_missing_registries)
{
  struct skiff_registries_conf *c = parse_ok ("short-name-mode = 'enforcing'\n"
                                              "unqualified-search-registries = ['quay.io', 'docker.io']\n");
  struct skiff_resolved_name *r = NULL;
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_short_name_resolve (c, "busybox", false, &r, &err), 0);
  cr_assert_str_eq (err->msg, "short-name resolution enforced but cannot prompt without a TTY");
  skiff_error_release (&err);
  r = resolve_ok (c, "busybox", true);
  cr_assert (r->needs_choice);
  skiff_resolved_name_free (r);
  skiff_registries_conf_free (c);

  /* a single search registry is never ambiguous */
  c = parse_ok ("short-name-mode = 'enforcing'\nunqualified-search-registries = ['docker.io']\n");
  r = resolve_ok (c, "busybox", false);
  cr_assert_str_eq (r->candidates[0], "docker.io/library/busybox:latest");
  skiff_resolved_name_free (r);
  skiff_registries_conf_free (c);

  c = parse_ok ("short-name-mode = 'disabled'\nunqualified-search-registries = ['quay.io', 'docker.io']\n");
  r = resolve_ok (c, "busybox", true);
  cr_assert_not (r->needs_choice);
  cr_assert_eq (strv_len (r->candidates), 2);
  skiff_resolved_name_free (r);
  skiff_registries_conf_free (c);

  c = parse_ok ("# nothing\n");
  cr_assert_lt (skiff_short_name_resolve (c, "x", false, &r, &err), 0);
  cr_assert_str_eq (err->msg, "short-name \"x\" did not resolve to an alias and no unqualified-search registries "
                              "are defined in \"registries.conf\"");
  skiff_error_release (&err);
  /* local lookups still work without search registries */
  char **local = NULL;
  cr_assert_eq (skiff_short_name_resolve_local (c, "x", &local, &err), 0);
  cr_assert_eq (strv_len (local), 1);
  cr_assert_str_eq (local[0], "localhost/x:latest");
  strv_free (local);
  skiff_registries_conf_free (c);

  cr_assert_lt (skiff_short_name_resolve (NULL, "x", false, &r, &err), 0);
  cr_assert_str_eq (err->msg,
                    "short-name \"x\" did not resolve to an alias and no containers-registries.conf(5) was found");
  skiff_error_release (&err);
}
