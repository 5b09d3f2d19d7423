/* Seccomp: OCI and podman JSON profiles parsed into the profile data of seccomp_internal.h, compiled with
 * libseccomp into a BPF program (one path for the built-in default and user profiles), cached on disk by
 * sha256, and installed in the container child with seccomp(2) directly. */
#include "seccomp.h"

#include <ctype.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <nettle/sha2.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "caps.h"
#include "config.h"
#include "seccomp_internal.h"

/* Bumped whenever the compiler below changes what it emits, so that old cache entries are not reused.
 * 2: libseccomp's program rewritten by seccomp_bpf.c (binary search over syscall numbers). */
#define SECCOMP_COMPILER_VERSION 2
#define CACHE_MAGIC "SKIFFBPF"
#define CACHE_FORMAT 1
#define SHA256_LEN 32
#define MAX_ERRNO_RET 0xffff /* SECCOMP_RET_DATA is 16 bits */
#define MAX_ARG_INDEX 5

struct skiff_seccomp
{
  uint32_t flags; /* SECCOMP_FILTER_FLAG_* */
  bool from_cache;
  size_t n_insns;
  struct sock_filter insns[];
};

bool skiff_seccomp_keep_libseccomp_program;

/* ---- architectures ---- */

struct arch_info
{
  uint32_t token;
  const char *scmp_name; /* as in "architectures"/"archMap" */
  const char *go_name;   /* as in "includes": {"arches"}: libseccomp-golang's names, which podman matches */
};

static const struct arch_info arch_table[] = {
  { SCMP_ARCH_X86, "SCMP_ARCH_X86", "x86" },
  { SCMP_ARCH_X86_64, "SCMP_ARCH_X86_64", "amd64" },
  { SCMP_ARCH_X32, "SCMP_ARCH_X32", "x32" },
  { SCMP_ARCH_ARM, "SCMP_ARCH_ARM", "arm" },
  { SCMP_ARCH_AARCH64, "SCMP_ARCH_AARCH64", "arm64" },
  { SCMP_ARCH_MIPS, "SCMP_ARCH_MIPS", "mips" },
  { SCMP_ARCH_MIPS64, "SCMP_ARCH_MIPS64", "mips64" },
  { SCMP_ARCH_MIPS64N32, "SCMP_ARCH_MIPS64N32", "mips64n32" },
  { SCMP_ARCH_MIPSEL, "SCMP_ARCH_MIPSEL", "mipsel" },
  { SCMP_ARCH_MIPSEL64, "SCMP_ARCH_MIPSEL64", "mipsel64" },
  { SCMP_ARCH_MIPSEL64N32, "SCMP_ARCH_MIPSEL64N32", "mipsel64n32" },
  { SCMP_ARCH_PPC, "SCMP_ARCH_PPC", "ppc" },
  { SCMP_ARCH_PPC64, "SCMP_ARCH_PPC64", "ppc64" },
  { SCMP_ARCH_PPC64LE, "SCMP_ARCH_PPC64LE", "ppc64le" },
  { SCMP_ARCH_S390, "SCMP_ARCH_S390", "s390" },
  { SCMP_ARCH_S390X, "SCMP_ARCH_S390X", "s390x" },
  { SCMP_ARCH_PARISC, "SCMP_ARCH_PARISC", "parisc" },
  { SCMP_ARCH_PARISC64, "SCMP_ARCH_PARISC64", "parisc64" },
#ifdef SCMP_ARCH_RISCV64
  { SCMP_ARCH_RISCV64, "SCMP_ARCH_RISCV64", "riscv64" },
#endif
};

static const struct arch_info *
arch_by_token (uint32_t token)
{
  for (size_t i = 0; i < ARRAY_SIZE (arch_table); i++)
    if (arch_table[i].token == token)
      return &arch_table[i];
  return NULL;
}

/* "SCMP_ARCH_X86_64" or "x86_64" -> libseccomp's token; 0 when unknown. */
static uint32_t
arch_resolve (const char *name)
{
  char lower[32];
  size_t i;
  if (strncasecmp (name, "SCMP_ARCH_", 10) == 0)
    name += 10;
  for (i = 0; i < sizeof lower - 1 && name[i]; i++)
    lower[i] = (char) tolower ((unsigned char) name[i]);
  if (name[i])
    return 0;
  lower[i] = '\0';
  return seccomp_arch_resolve_name (lower);
}

/* ---- parsing JSON profiles into struct skiff_seccomp_profile ---- */

/* A parsed profile points into the JSON tree (strings) and into arrays it allocates; both live until
 * parsed_profile_free. */
struct parsed_profile
{
  struct skiff_seccomp_profile profile;
  json_object *root;
  void **owned;
  size_t n_owned;
};

static void *
own (struct parsed_profile *pp, void *p)
{
  pp->owned = xrealloc (pp->owned, (pp->n_owned + 1) * sizeof (void *));
  pp->owned[pp->n_owned++] = p;
  return p;
}

static void
parsed_profile_free (struct parsed_profile *pp)
{
  if (pp == NULL)
    return;
  for (size_t i = 0; i < pp->n_owned; i++)
    free (pp->owned[i]);
  free (pp->owned);
  if (pp->root)
    json_object_put (pp->root);
  free (pp);
}

static void
cleanup_parsed_profilep (struct parsed_profile **pp)
{
  parsed_profile_free (*pp);
}
#define cleanup_parsed_profile __attribute__ ((cleanup (cleanup_parsed_profilep)))

/* The name of a field for error messages ("syscalls[3].args[0].op"); long names are cut, never overflow. */
static void __attribute__ ((format (printf, 3, 4))) field_path (char *buf, size_t size, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (buf, size, fmt, ap);
  va_end (ap);
}

/* The member key of o, or NULL when missing or JSON null (Go's unmarshalling treats both alike). */
static json_object *
member (json_object *o, const char *key)
{
  json_object *v = NULL;
  if (!json_object_object_get_ex (o, key, &v) || json_object_is_type (v, json_type_null))
    return NULL;
  return v;
}

static int
expect_type (json_object *v, json_type t, const char *path, const char *what, skiff_error_t *err)
{
  if (json_object_is_type (v, t))
    return 0;
  return skiff_error_set (err, 0, "seccomp profile: \"%s\" must be %s", path, what);
}

static int
get_u64 (json_object *v, const char *path, uint64_t max, uint64_t *out, skiff_error_t *err)
{
  if (!json_object_is_type (v, json_type_int))
    return skiff_error_set (err, 0, "seccomp profile: \"%s\" must be an unsigned integer", path);
  if (json_object_get_int64 (v) < 0)
    return skiff_error_set (err, 0, "seccomp profile: \"%s\" must not be negative (it is %lld)", path,
                            (long long) json_object_get_int64 (v));
  uint64_t u = json_object_get_uint64 (v);
  if (u > max)
    return skiff_error_set (err, 0, "seccomp profile: \"%s\" is out of range: %llu is above %llu", path,
                            (unsigned long long) u, (unsigned long long) max);
  *out = u;
  return 0;
}

/* A NULL-terminated copy of a JSON array of strings (the strings stay in the tree). */
static int
get_strings (struct parsed_profile *pp, json_object *v, const char *path, const char *const **out, skiff_error_t *err)
{
  if (expect_type (v, json_type_array, path, "an array of strings", err) < 0)
    return -1;
  size_t n = json_object_array_length (v);
  const char **list = own (pp, xmalloc0 ((n + 1) * sizeof (char *)));
  for (size_t i = 0; i < n; i++)
    {
      json_object *s = json_object_array_get_idx (v, i);
      if (s == NULL || !json_object_is_type (s, json_type_string))
        return skiff_error_set (err, 0, "seccomp profile: \"%s[%zu]\" must be a string", path, i);
      list[i] = json_object_get_string (s);
    }
  *out = list;
  return 0;
}

/* "EPERM" or "1" -> 1 (podman's "errno"/"defaultErrno" fields). */
static int
errno_from_name (const char *name, const char *path, uint32_t *out, skiff_error_t *err)
{
  long long v;
  if (str_to_llong (name, 0, MAX_ERRNO_RET, &v))
    {
      *out = (uint32_t) v;
      return 0;
    }
  for (int e = 1; e < 4096; e++)
    {
      const char *n = strerrorname_np (e);
      if (n && strcmp (n, name) == 0)
        {
          *out = (uint32_t) e;
          return 0;
        }
    }
  return skiff_error_set (err, 0, "seccomp profile: \"%s\": unknown errno \"%s\": use a name such as EPERM or a number",
                          path, name);
}

static const struct
{
  const char *name;
  enum scmp_compare op;
} op_table[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE },
  { "SCMP_CMP_LT", SCMP_CMP_LT },
  { "SCMP_CMP_LE", SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SCMP_CMP_GE },
  { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* The errno of an ERRNO or TRACE action: errnoRet, or podman's "errno" name, which wins as in podman. */
static int
parse_errno (json_object *o, const char *ret_key, const char *name_key, const char *path, bool *has, uint32_t *out,
             skiff_error_t *err)
{
  char sub[256];
  json_object *v;
  *has = false;
  *out = EPERM;
  if ((v = member (o, ret_key)))
    {
      uint64_t u;
      field_path (sub, sizeof sub, "%s%s", path, ret_key);
      if (get_u64 (v, sub, MAX_ERRNO_RET, &u, err) < 0)
        return -1;
      *out = (uint32_t) u;
      *has = true;
    }
  if ((v = member (o, name_key)))
    {
      field_path (sub, sizeof sub, "%s%s", path, name_key);
      if (expect_type (v, json_type_string, sub, "a string", err) < 0)
        return -1;
      if (json_object_get_string_len (v) > 0)
        {
          if (errno_from_name (json_object_get_string (v), sub, out, err) < 0)
            return -1;
          *has = true;
        }
    }
  return 0;
}

static int
parse_action (json_object *v, const char *path, bool has_errno, uint32_t errno_ret, uint32_t *out, skiff_error_t *err)
{
  if (v == NULL)
    return skiff_error_set (err, 0, "seccomp profile: \"%s\" is missing", path);
  if (expect_type (v, json_type_string, path, "a string such as \"SCMP_ACT_ERRNO\"", err) < 0)
    return -1;
  const char *a = json_object_get_string (v);
  bool takes_errno = false;
  if (strcmp (a, "SCMP_ACT_ALLOW") == 0)
    *out = SCMP_ACT_ALLOW;
  else if (strcmp (a, "SCMP_ACT_ERRNO") == 0)
    {
      *out = SCMP_ACT_ERRNO (errno_ret);
      takes_errno = true;
    }
  else if (strcmp (a, "SCMP_ACT_KILL") == 0 || strcmp (a, "SCMP_ACT_KILL_THREAD") == 0)
    *out = SCMP_ACT_KILL_THREAD;
  else if (strcmp (a, "SCMP_ACT_KILL_PROCESS") == 0)
    *out = SCMP_ACT_KILL_PROCESS;
  else if (strcmp (a, "SCMP_ACT_TRAP") == 0)
    *out = SCMP_ACT_TRAP;
  else if (strcmp (a, "SCMP_ACT_TRACE") == 0)
    {
      *out = SCMP_ACT_TRACE (errno_ret);
      takes_errno = true;
    }
  else if (strcmp (a, "SCMP_ACT_LOG") == 0)
    *out = SCMP_ACT_LOG;
  else if (strcmp (a, "SCMP_ACT_NOTIFY") == 0)
    return skiff_error_set (err, 0,
                            "seccomp profile: \"%s\": SCMP_ACT_NOTIFY is not supported by skiff (it needs a "
                            "seccomp agent listening on a socket): use SCMP_ACT_ERRNO or SCMP_ACT_LOG instead",
                            path);
  else
    return skiff_error_set (err, 0,
                            "seccomp profile: \"%s\": unknown action \"%s\": use one of SCMP_ACT_ALLOW, "
                            "SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, "
                            "SCMP_ACT_TRAP, SCMP_ACT_TRACE, SCMP_ACT_LOG",
                            path, a);
  if (has_errno && !takes_errno)
    return skiff_error_set (err, 0,
                            "seccomp profile: \"%s\": an errno is given but action %s does not return one: "
                            "remove errnoRet or use SCMP_ACT_ERRNO",
                            path, a);
  return 0;
}

static int
parse_kernel_version (const char *s, int *major, int *minor)
{
  int n = 0;
  if (sscanf (s, "%d.%d%n", major, minor, &n) != 2 || *major < 0 || *minor < 0)
    return -1;
  /* "5.4" or "5.4.3"; the patch level does not matter to podman either */
  if (s[n] != '\0' && s[n] != '.')
    return -1;
  return 0;
}

static int
parse_cond (struct parsed_profile *pp, json_object *v, const char *path, struct skiff_seccomp_cond *c,
            skiff_error_t *err)
{
  char sub[256];
  json_object *f;
  memset (c, 0, sizeof *c);
  if (v == NULL)
    return 0;
  if (expect_type (v, json_type_object, path, "an object", err) < 0)
    return -1;
  if ((f = member (v, "caps")))
    {
      const char *const *caps;
      field_path (sub, sizeof sub, "%s.caps", path);
      if (get_strings (pp, f, sub, &caps, err) < 0)
        return -1;
      for (size_t i = 0; caps[i]; i++)
        {
          /* podman compares names with the container's list: an unknown one is simply never held */
          int cap = skiff_caps_from_name (caps[i], NULL);
          if (cap < 0)
            c->unknown_caps = true;
          else
            c->caps |= UINT64_C (1) << cap;
        }
    }
  if ((f = member (v, "arches")))
    {
      field_path (sub, sizeof sub, "%s.arches", path);
      if (get_strings (pp, f, sub, &c->arches, err) < 0)
        return -1;
    }
  if ((f = member (v, "minKernel")))
    {
      field_path (sub, sizeof sub, "%s.minKernel", path);
      if (expect_type (f, json_type_string, sub, "a string such as \"4.8\"", err) < 0)
        return -1;
      if (parse_kernel_version (json_object_get_string (f), &c->min_kernel_major, &c->min_kernel_minor) < 0)
        return skiff_error_set (err, 0, "seccomp profile: \"%s\": invalid kernel version \"%s\": use \"major.minor\"",
                                sub, json_object_get_string (f));
    }
  return 0;
}

static int
parse_args (struct parsed_profile *pp, json_object *v, const char *path, struct skiff_seccomp_rule *r,
            skiff_error_t *err)
{
  char sub[256];
  if (v == NULL)
    return 0;
  if (expect_type (v, json_type_array, path, "an array", err) < 0)
    return -1;
  size_t n = json_object_array_length (v);
  struct skiff_seccomp_arg *args = own (pp, xmalloc0 ((n + 1) * sizeof *args));
  for (size_t i = 0; i < n; i++)
    {
      json_object *a = json_object_array_get_idx (v, i), *f;
      uint64_t u;
      field_path (sub, sizeof sub, "%s[%zu]", path, i);
      if (a == NULL || !json_object_is_type (a, json_type_object))
        return skiff_error_set (err, 0, "seccomp profile: \"%s\" must be an object", sub);
      field_path (sub, sizeof sub, "%s[%zu].index", path, i);
      if ((f = member (a, "index")) == NULL)
        return skiff_error_set (err, 0, "seccomp profile: \"%s\" is missing", sub);
      if (get_u64 (f, sub, MAX_ARG_INDEX, &u, err) < 0)
        return -1;
      args[i].index = (unsigned int) u;
      field_path (sub, sizeof sub, "%s[%zu].value", path, i);
      if ((f = member (a, "value")) && get_u64 (f, sub, UINT64_MAX, &args[i].value, err) < 0)
        return -1;
      field_path (sub, sizeof sub, "%s[%zu].valueTwo", path, i);
      if ((f = member (a, "valueTwo")) && get_u64 (f, sub, UINT64_MAX, &args[i].value_two, err) < 0)
        return -1;
      field_path (sub, sizeof sub, "%s[%zu].op", path, i);
      if ((f = member (a, "op")) == NULL)
        return skiff_error_set (err, 0, "seccomp profile: \"%s\" is missing", sub);
      if (expect_type (f, json_type_string, sub, "a string such as \"SCMP_CMP_EQ\"", err) < 0)
        return -1;
      const char *op = json_object_get_string (f);
      size_t k;
      for (k = 0; k < ARRAY_SIZE (op_table); k++)
        if (strcmp (op_table[k].name, op) == 0)
          break;
      if (k == ARRAY_SIZE (op_table))
        return skiff_error_set (err, 0,
                                "seccomp profile: \"%s\": unknown operator \"%s\": use one of SCMP_CMP_NE, "
                                "SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, "
                                "SCMP_CMP_MASKED_EQ",
                                sub, op);
      args[i].op = op_table[k].op;
    }
  r->args = args;
  r->n_args = n;
  return 0;
}

static int
parse_syscall (struct parsed_profile *pp, json_object *o, size_t i, struct skiff_seccomp_rule *r, skiff_error_t *err)
{
  char path[64], sub[256];
  json_object *names, *name;
  field_path (path, sizeof path, "syscalls[%zu]", i);
  if (expect_type (o, json_type_object, path, "an object", err) < 0)
    return -1;

  names = member (o, "names");
  name = member (o, "name");
  if (names && name)
    return skiff_error_set (err, 0, "seccomp profile: \"%s\" has both \"name\" and \"names\": use only \"names\"",
                            path);
  if (names)
    {
      field_path (sub, sizeof sub, "%s.names", path);
      if (get_strings (pp, names, sub, &r->names, err) < 0)
        return -1;
    }
  else if (name)
    {
      field_path (sub, sizeof sub, "%s.name", path);
      if (expect_type (name, json_type_string, sub, "a string", err) < 0)
        return -1;
      const char **one = own (pp, xmalloc0 (2 * sizeof (char *)));
      one[0] = json_object_get_string (name);
      r->names = one;
    }
  else
    return skiff_error_set (err, 0, "seccomp profile: \"%s.names\" is missing", path);

  bool has_errno;
  uint32_t errno_ret;
  field_path (sub, sizeof sub, "%s.", path);
  if (parse_errno (o, "errnoRet", "errno", sub, &has_errno, &errno_ret, err) < 0)
    return -1;
  field_path (sub, sizeof sub, "%s.action", path);
  if (parse_action (member (o, "action"), sub, has_errno, errno_ret, &r->action, err) < 0)
    return -1;
  field_path (sub, sizeof sub, "%s.args", path);
  if (parse_args (pp, member (o, "args"), sub, r, err) < 0)
    return -1;
  field_path (sub, sizeof sub, "%s.includes", path);
  if (parse_cond (pp, member (o, "includes"), sub, &r->includes, err) < 0)
    return -1;
  field_path (sub, sizeof sub, "%s.excludes", path);
  return parse_cond (pp, member (o, "excludes"), sub, &r->excludes, err);
}

static const struct
{
  const char *name;
  uint32_t flag;
} flag_table[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
};

static int
parse_flags (struct parsed_profile *pp, json_object *v, uint32_t *flags, skiff_error_t *err)
{
  const char *const *names;
  if (get_strings (pp, v, "flags", &names, err) < 0)
    return -1;
  for (size_t i = 0; names[i]; i++)
    {
      size_t k;
      for (k = 0; k < ARRAY_SIZE (flag_table); k++)
        if (strcmp (flag_table[k].name, names[i]) == 0)
          break;
      if (k == ARRAY_SIZE (flag_table))
        return skiff_error_set (err, 0,
                                "seccomp profile: \"flags[%zu]\": unsupported flag \"%s\": skiff supports "
                                "SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG and "
                                "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                i, names[i]);
      *flags |= flag_table[k].flag;
    }
  return 0;
}

static int
parse_arch_map (struct parsed_profile *pp, json_object *v, skiff_error_t *err)
{
  char sub[128];
  if (expect_type (v, json_type_array, "archMap", "an array", err) < 0)
    return -1;
  size_t n = json_object_array_length (v);
  struct skiff_seccomp_arch_map *map = own (pp, xmalloc0 ((n + 1) * sizeof *map));
  for (size_t i = 0; i < n; i++)
    {
      json_object *e = json_object_array_get_idx (v, i), *f;
      field_path (sub, sizeof sub, "archMap[%zu]", i);
      if (e == NULL || !json_object_is_type (e, json_type_object))
        return skiff_error_set (err, 0, "seccomp profile: \"%s\" must be an object", sub);
      field_path (sub, sizeof sub, "archMap[%zu].architecture", i);
      if ((f = member (e, "architecture")) == NULL)
        return skiff_error_set (err, 0, "seccomp profile: \"%s\" is missing", sub);
      if (expect_type (f, json_type_string, sub, "a string such as \"SCMP_ARCH_X86_64\"", err) < 0)
        return -1;
      map[i].arch = json_object_get_string (f);
      field_path (sub, sizeof sub, "archMap[%zu].subArchitectures", i);
      if ((f = member (e, "subArchitectures")) && get_strings (pp, f, sub, &map[i].sub_arches, err) < 0)
        return -1;
    }
  pp->profile.arch_map = map;
  pp->profile.n_arch_map = n;
  return 0;
}

/* Line and column of a byte offset, for JSON syntax errors. */
static void
line_column (const char *text, size_t offset, int *line, int *col)
{
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < offset && text[i]; i++)
    {
      if (text[i] == '\n')
        {
          (*line)++;
          *col = 1;
        }
      else
        (*col)++;
    }
}

/* Parse a profile. *out is NULL when the profile turns seccomp off (no defaultAction and no syscalls, as
 * podman treats it). */
static int
parse_profile (const char *text, struct parsed_profile **out, skiff_error_t *err)
{
  cleanup_parsed_profile struct parsed_profile *pp = xmalloc0 (sizeof *pp);
  size_t len = strlen (text);
  int line, col;

  json_tokener *tok = json_tokener_new ();
  if (tok == NULL)
    return skiff_error_set (err, ENOMEM, "seccomp profile: json_tokener_new");
  json_tokener_set_flags (tok, JSON_TOKENER_STRICT);
  pp->root = json_tokener_parse_ex (tok, text, (int) len);
  enum json_tokener_error jerr = json_tokener_get_error (tok);
  size_t end = json_tokener_get_parse_end (tok);
  json_tokener_free (tok);
  if (jerr == json_tokener_continue)
    {
      line_column (text, len, &line, &col);
      return skiff_error_set (err, 0, "seccomp profile: invalid JSON: the text ends early at line %d, column %d", line,
                              col);
    }
  if (jerr != json_tokener_success || pp->root == NULL)
    {
      line_column (text, end, &line, &col);
      return skiff_error_set (err, 0, "seccomp profile: invalid JSON at line %d, column %d: %s", line, col,
                              json_tokener_error_desc (jerr));
    }
  for (size_t i = end; i < len; i++)
    if (!isspace ((unsigned char) text[i]))
      {
        line_column (text, i, &line, &col);
        return skiff_error_set (err, 0,
                                "seccomp profile: invalid JSON: unexpected text after the end at line %d, "
                                "column %d",
                                line, col);
      }

  json_object *root = pp->root, *v;
  if (!json_object_is_type (root, json_type_object))
    return skiff_error_set (err, 0, "seccomp profile: the top level must be a JSON object with \"defaultAction\"");

  json_object *syscalls = member (root, "syscalls");
  if (syscalls && expect_type (syscalls, json_type_array, "syscalls", "an array", err) < 0)
    return -1;
  size_t n_syscalls = syscalls ? json_object_array_length (syscalls) : 0;
  json_object *def = member (root, "defaultAction");
  if (def == NULL && n_syscalls == 0)
    {
      *out = NULL; /* podman: "assume seccomp disabled" */
      return 0;
    }

  bool has_errno;
  uint32_t errno_ret;
  if (parse_errno (root, "defaultErrnoRet", "defaultErrno", "", &has_errno, &errno_ret, err) < 0)
    return -1;
  if (parse_action (def, "defaultAction", has_errno, errno_ret, &pp->profile.default_action, err) < 0)
    return -1;

  if ((v = member (root, "architectures")) && get_strings (pp, v, "architectures", &pp->profile.architectures, err) < 0)
    return -1;
  if ((v = member (root, "archMap")) && parse_arch_map (pp, v, err) < 0)
    return -1;
  if (pp->profile.architectures && pp->profile.architectures[0] && pp->profile.n_arch_map > 0)
    return skiff_error_set (err, 0, "seccomp profile: both \"architectures\" and \"archMap\" are given: use only one");
  if ((v = member (root, "flags")) && parse_flags (pp, v, &pp->profile.flags, err) < 0)
    return -1;
  if ((v = member (root, "listenerPath")) && json_object_is_type (v, json_type_string)
      && json_object_get_string_len (v) > 0)
    return skiff_error_set (err, 0,
                            "seccomp profile: \"listenerPath\": seccomp notification agents are not "
                            "supported by skiff: remove listenerPath");

  struct skiff_seccomp_rule *rules = own (pp, xmalloc0 ((n_syscalls + 1) * sizeof *rules));
  for (size_t i = 0; i < n_syscalls; i++)
    if (parse_syscall (pp, json_object_array_get_idx (syscalls, i), i, &rules[i], err) < 0)
      return -1;
  pp->profile.rules = rules;
  pp->profile.n_rules = n_syscalls;
  *out = steal_pointer (&pp);
  return 0;
}

/* ---- compiling a profile with libseccomp ---- */

struct kernel_version
{
  bool known;
  int major, minor;
};

static bool
kernel_at_least (struct kernel_version *kv, int major, int minor)
{
  if (!kv->known)
    {
      struct utsname u;
      if (uname (&u) < 0 || sscanf (u.release, "%d.%d", &kv->major, &kv->minor) != 2)
        {
          /* "6.1.0-13-amd64" parses; a release that does not counts as very new */
          kv->major = INT32_MAX;
          kv->minor = 0;
        }
      kv->known = true;
    }
  return kv->major > major || (kv->major == major && kv->minor >= minor);
}

/* podman's filtering of rules by includes/excludes, for the native architecture and caps. */
static bool
rule_applies (const struct skiff_seccomp_rule *r, uint64_t caps, const char *go_arch, struct kernel_version *kv)
{
  const struct skiff_seccomp_cond *ex = &r->excludes, *in = &r->includes;
  if (ex->arches && ex->arches[0] && strv_contains ((char *const *) ex->arches, go_arch))
    return false;
  if (ex->caps & caps)
    return false;
  if (ex->min_kernel_major && kernel_at_least (kv, ex->min_kernel_major, ex->min_kernel_minor))
    return false;
  if (in->arches && in->arches[0] && !strv_contains ((char *const *) in->arches, go_arch))
    return false;
  if (in->unknown_caps || (in->caps & caps) != in->caps)
    return false;
  if (in->min_kernel_major && !kernel_at_least (kv, in->min_kernel_major, in->min_kernel_minor))
    return false;
  return true;
}

static int
add_rule (scmp_filter_ctx ctx, const struct skiff_seccomp_rule *r, const char *name, int nr, skiff_error_t *err)
{
  struct scmp_arg_cmp cmp[MAX_ARG_INDEX + 1];
  unsigned int seen = 0;
  bool repeated = false;
  int ret;

  for (size_t i = 0; i < r->n_args; i++)
    {
      if (seen & (1u << r->args[i].index))
        repeated = true;
      seen |= 1u << r->args[i].index;
    }
  if (r->n_args == 0)
    ret = seccomp_rule_add_array (ctx, r->action, nr, 0, NULL);
  else if (!repeated)
    {
      for (size_t i = 0; i < r->n_args; i++)
        cmp[i] = (struct scmp_arg_cmp){ r->args[i].index, r->args[i].op, r->args[i].value, r->args[i].value_two };
      ret = seccomp_rule_add_array (ctx, r->action, nr, (unsigned int) r->n_args, cmp);
    }
  else
    {
      /* libseccomp cannot compare one argument twice in a rule; like runc and crun, each comparison
       * becomes a rule of its own (so they are OR'ed). */
      ret = 0;
      for (size_t i = 0; i < r->n_args && (ret == 0 || ret == -EEXIST); i++)
        {
          cmp[0] = (struct scmp_arg_cmp){ r->args[i].index, r->args[i].op, r->args[i].value, r->args[i].value_two };
          ret = seccomp_rule_add_array (ctx, r->action, nr, 1, cmp);
        }
    }
  /* EEXIST: on 32-bit x86 libseccomp also turns a socket rule into a socketcall rule that cannot compare
   * the arguments, and two of those can collide; libseccomp then drops the rule for that architecture
   * only, since every architecture has a filter of its own (build_arch_filter). */
  if (ret < 0 && ret != -EEXIST)
    return skiff_error_set (err, -ret, "seccomp: adding the rule for syscall \"%s\" failed", name);
  return 0;
}

/* One filter per architecture, merged at the end: a rule libseccomp refuses for one architecture (see
 * EEXIST above) must not be lost for the others, and libseccomp adds a rule to all architectures of a
 * filter or to none. */
static int
build_arch_filter (const struct skiff_seccomp_profile *p, const bool *applies, uint32_t arch, bool native,
                   scmp_filter_ctx *out, skiff_error_t *err)
{
  scmp_filter_ctx ctx = seccomp_init (p->default_action);
  if (ctx == NULL)
    return skiff_error_set (err, EINVAL, "seccomp: cannot create a filter with default action 0x%x", p->default_action);
  if (!native)
    {
      int ret = seccomp_arch_add (ctx, arch);
      if (ret == 0)
        ret = seccomp_arch_remove (ctx, SCMP_ARCH_NATIVE);
      if (ret < 0)
        {
          seccomp_release (ctx);
          return skiff_error_set (err, -ret, "seccomp: adding architecture %s", arch_by_token (arch)->scmp_name);
        }
    }
  for (size_t i = 0; i < p->n_rules; i++)
    {
      const struct skiff_seccomp_rule *r = &p->rules[i];
      if (!applies[i] || r->action == p->default_action) /* libseccomp refuses those (EACCES) */
        continue;
      for (size_t j = 0; r->names && r->names[j]; j++)
        {
          int nr = seccomp_syscall_resolve_name (r->names[j]);
          if (nr == __NR_SCMP_ERROR)
            continue; /* unknown to libseccomp: skipped, as podman and crun do */
          if (add_rule (ctx, r, r->names[j], nr, err) < 0)
            {
              seccomp_release (ctx);
              return -1;
            }
        }
    }
  *out = ctx;
  return 0;
}

/* The native architecture first, then those named by "architectures" or the native one's "archMap" entry;
 * arches has room for every entry of arch_table. */
static int
collect_arches (const struct skiff_seccomp_profile *p, const struct arch_info *native, uint32_t *arches, size_t *n,
                skiff_error_t *err)
{
  const char *const *extra = p->architectures;
  const char *field = "architectures";
  char field_buf[64];
  *n = 0;
  arches[(*n)++] = native->token;
  if (extra == NULL || extra[0] == NULL)
    {
      extra = NULL;
      /* entries for other architectures are not looked at, as in podman (they may name architectures
       * this libseccomp does not know) */
      for (size_t i = 0; i < p->n_arch_map; i++)
        {
          if (arch_resolve (p->arch_map[i].arch) == native->token)
            {
              extra = p->arch_map[i].sub_arches;
              field_path (field_buf, sizeof field_buf, "archMap[%zu].subArchitectures", i);
              field = field_buf;
              break;
            }
        }
    }
  for (size_t i = 0; extra && extra[i]; i++)
    {
      uint32_t t = arch_resolve (extra[i]);
      if (t == 0 || arch_by_token (t) == NULL)
        return skiff_error_set (err, 0,
                                "seccomp profile: \"%s[%zu]\": unknown architecture \"%s\": use a name "
                                "such as SCMP_ARCH_X86_64",
                                field, i, extra[i]);
      bool dup = false;
      for (size_t k = 0; k < *n; k++)
        dup |= arches[k] == t;
      if (!dup)
        arches[(*n)++] = t;
    }
  return 0;
}

static int
export_bpf (scmp_filter_ctx ctx, uint32_t flags, struct skiff_seccomp **out, skiff_error_t *err)
{
  cleanup_close int fd = memfd_create ("skiff-seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0)
    return skiff_error_set (err, errno, "seccomp: memfd_create");
  int ret = seccomp_export_bpf (ctx, fd);
  if (ret < 0)
    return skiff_error_set (err, -ret, "seccomp: exporting the BPF program");
  off_t size = lseek (fd, 0, SEEK_END);
  if (size < 0)
    return skiff_error_set (err, errno, "seccomp: lseek on the BPF program");
  size_t n = (size_t) size / sizeof (struct sock_filter);
  if (size == 0 || (size_t) size % sizeof (struct sock_filter) != 0)
    return skiff_error_set (err, 0, "seccomp: libseccomp produced a BPF program of %lld bytes", (long long) size);
  cleanup_free struct sock_filter *prog = xmalloc ((size_t) size);
  ssize_t got = pread (fd, prog, (size_t) size, 0);
  if (got != size)
    return skiff_error_set (err, got < 0 ? errno : EIO, "seccomp: reading the BPF program back");
  /* The kernel converts and JITs the program at every container start: the same decisions in fewer
   * instructions (1,144 -> 220 for the default profile); libseccomp's own when the pass cannot. */
  struct skiff_seccomp *f = xmalloc0 (sizeof *f + BPF_MAXINSNS * sizeof (struct sock_filter));
  size_t short_n
      = skiff_seccomp_keep_libseccomp_program ? 0 : skiff_seccomp_bpf_optimize (prog, n, f->insns, BPF_MAXINSNS);
  if (short_n == 0 || short_n >= n)
    {
      if (n > BPF_MAXINSNS)
        {
          free (f);
          return skiff_error_set (err, 0,
                                  "seccomp: the profile compiles to %zu BPF instructions but the kernel accepts at "
                                  "most %d: use fewer rules or architectures",
                                  n, BPF_MAXINSNS);
        }
      memcpy (f->insns, prog, n * sizeof *prog);
    }
  else
    {
      log_debug ("seccomp: %zu BPF instructions from libseccomp, %zu after the rewrite", n, short_n);
      n = short_n;
    }
  f->flags = flags;
  f->n_insns = n;
  *out = xrealloc (f, sizeof *f + n * sizeof (struct sock_filter));
  return 0;
}

static int
profile_compile (const struct skiff_seccomp_profile *p, uint64_t caps, struct skiff_seccomp **out, skiff_error_t *err)
{
  const struct arch_info *native = arch_by_token (seccomp_arch_native ());
  if (native == NULL)
    return skiff_error_set (err, 0, "seccomp: the native architecture (token 0x%x) is unknown to skiff",
                            seccomp_arch_native ());
  uint32_t arches[ARRAY_SIZE (arch_table)];
  size_t n_arches;
  if (collect_arches (p, native, arches, &n_arches, err) < 0)
    return -1;

  struct kernel_version kv = { 0 };
  cleanup_free bool *applies = xmalloc0 ((p->n_rules + 1) * sizeof (bool));
  for (size_t i = 0; i < p->n_rules; i++)
    applies[i] = rule_applies (&p->rules[i], caps, native->go_name, &kv);

  scmp_filter_ctx all = NULL;
  for (size_t a = 0; a < n_arches; a++)
    {
      scmp_filter_ctx ctx = NULL;
      if (build_arch_filter (p, applies, arches[a], a == 0, &ctx, err) < 0)
        goto fail;
      if (all == NULL)
        all = ctx;
      else
        {
          int ret = seccomp_merge (all, ctx); /* releases ctx on success */
          if (ret < 0)
            {
              seccomp_release (ctx);
              skiff_error_set (err, -ret, "seccomp: merging the filter for %s", arch_by_token (arches[a])->scmp_name);
              goto fail;
            }
        }
    }
  int ret = export_bpf (all, p->flags, out, err);
  seccomp_release (all);
  return ret;

fail:
  if (all)
    seccomp_release (all);
  return -1;
}

/* ---- the on-disk cache ---- */

struct cache_header
{
  char magic[8];
  uint32_t format;
  uint32_t flags;
  uint32_t n_insns;
  uint32_t reserved;
  unsigned char key[SHA256_LEN];
  unsigned char digest[SHA256_LEN]; /* sha256 of this header (digest zeroed) and the program */
};

static void
hash_bytes (struct sha256_ctx *md, const void *p, size_t n)
{
  uint64_t len = n;
  sha256_update (md, sizeof len, (const uint8_t *) &len); /* length-prefixed: "ab","c" differs from "a","bc" */
  sha256_update (md, n, p);
}

static void
hash_str (struct sha256_ctx *md, const char *s)
{
  hash_bytes (md, s ? s : "", s ? strlen (s) : 0);
}

static void
hash_u64 (struct sha256_ctx *md, uint64_t v)
{
  sha256_update (md, sizeof v, (const uint8_t *) &v);
}

static void
hash_strv (struct sha256_ctx *md, const char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  hash_u64 (md, n);
  for (size_t i = 0; i < n; i++)
    hash_str (md, v[i]);
}

static void
hash_cond (struct sha256_ctx *md, const struct skiff_seccomp_cond *c)
{
  hash_u64 (md, c->caps);
  hash_u64 (md, c->unknown_caps);
  hash_strv (md, c->arches);
  hash_u64 (md, (uint64_t) c->min_kernel_major << 32 | (uint32_t) c->min_kernel_minor);
}

/* The built-in profile is hashed by content, so that editing the table invalidates old entries. */
static void
hash_profile (struct sha256_ctx *md, const struct skiff_seccomp_profile *p)
{
  hash_u64 (md, p->default_action);
  hash_strv (md, p->architectures);
  hash_u64 (md, p->n_arch_map);
  for (size_t i = 0; i < p->n_arch_map; i++)
    {
      hash_str (md, p->arch_map[i].arch);
      hash_strv (md, p->arch_map[i].sub_arches);
    }
  hash_u64 (md, p->flags);
  hash_u64 (md, p->n_rules);
  for (size_t i = 0; i < p->n_rules; i++)
    {
      const struct skiff_seccomp_rule *r = &p->rules[i];
      hash_strv (md, r->names);
      hash_u64 (md, r->action);
      hash_u64 (md, r->n_args);
      for (size_t k = 0; k < r->n_args; k++)
        {
          hash_u64 (md, r->args[k].index);
          hash_u64 (md, r->args[k].value);
          hash_u64 (md, r->args[k].value_two);
          hash_u64 (md, r->args[k].op);
        }
      hash_cond (md, &r->includes);
      hash_cond (md, &r->excludes);
    }
}

static int
cache_key (const char *profile_json, uint64_t caps, unsigned char key[SHA256_LEN], skiff_error_t *err)
{
  struct sha256_ctx ctx, *md = &ctx;
  sha256_init (md);
  const struct scmp_version *v = seccomp_version ();
  struct utsname u;
  if (uname (&u) < 0)
    memset (&u, 0, sizeof u);
  hash_str (md, "skiff-seccomp");
  hash_str (md, SKIFF_VERSION);
  hash_u64 (md, SECCOMP_COMPILER_VERSION);
  hash_u64 (md, skiff_seccomp_keep_libseccomp_program);
  hash_u64 (md, (uint64_t) v->major << 32 | v->minor << 16 | v->micro);
  hash_u64 (md, seccomp_arch_native ());
  hash_str (md, u.release); /* "minKernel" conditions depend on it */
  hash_u64 (md, caps);
  if (profile_json)
    {
      hash_str (md, "json");
      hash_str (md, profile_json);
    }
  else
    {
      hash_str (md, "builtin");
      hash_profile (md, &skiff_seccomp_default_profile);
    }
  sha256_digest (md, SHA256_LEN, key);
  return 0;
}

static bool
cache_digest (const struct cache_header *h, const struct sock_filter *insns, size_t n, unsigned char out[SHA256_LEN])
{
  struct cache_header copy = *h;
  memset (copy.digest, 0, sizeof copy.digest);
  struct sha256_ctx md;
  sha256_init (&md);
  sha256_update (&md, sizeof copy, (const uint8_t *) &copy);
  sha256_update (&md, n * sizeof *insns, (const uint8_t *) insns);
  sha256_digest (&md, SHA256_LEN, out);
  return true;
}

/* A valid entry for key, or NULL: missing, unreadable and corrupt entries are all misses. */
static struct skiff_seccomp *
cache_load (const char *path, const unsigned char key[SHA256_LEN])
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  struct stat st;
  struct cache_header h;
  unsigned char digest[SHA256_LEN];
  if (fd < 0)
    return NULL;
  /* an entry someone else could have written might be a weaker filter: only trust our own */
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_uid != geteuid () || (st.st_mode & 022)
      || (size_t) st.st_size < sizeof h || read_all (fd, &h, sizeof h) != (ssize_t) sizeof h)
    goto corrupt;
  if (memcmp (h.magic, CACHE_MAGIC, sizeof h.magic) != 0 || h.format != CACHE_FORMAT || h.n_insns == 0
      || h.n_insns > BPF_MAXINSNS || memcmp (h.key, key, SHA256_LEN) != 0
      || (size_t) st.st_size != sizeof h + h.n_insns * sizeof (struct sock_filter))
    goto corrupt;
  struct skiff_seccomp *f = xmalloc0 (sizeof *f + h.n_insns * sizeof (struct sock_filter));
  f->flags = h.flags;
  f->n_insns = h.n_insns;
  f->from_cache = true;
  if (read_all (fd, f->insns, h.n_insns * sizeof (struct sock_filter))
          != (ssize_t) (h.n_insns * sizeof (struct sock_filter))
      || !cache_digest (&h, f->insns, f->n_insns, digest) || memcmp (digest, h.digest, SHA256_LEN) != 0)
    {
      free (f);
      goto corrupt;
    }
  return f;

corrupt:
  log_debug ("seccomp cache: ignoring the corrupt entry `%s`", path);
  return NULL;
}

static void
cache_store (const char *cache_dir, const char *path, const unsigned char key[SHA256_LEN],
             const struct skiff_seccomp *f)
{
  skiff_error_t err = NULL;
  size_t size = sizeof (struct cache_header) + f->n_insns * sizeof (struct sock_filter);
  cleanup_free unsigned char *buf = xmalloc0 (size);
  struct cache_header *h = (struct cache_header *) buf;
  memcpy (h->magic, CACHE_MAGIC, sizeof h->magic);
  h->format = CACHE_FORMAT;
  h->flags = f->flags;
  h->n_insns = (uint32_t) f->n_insns;
  memcpy (h->key, key, SHA256_LEN);
  memcpy (buf + sizeof *h, f->insns, f->n_insns * sizeof (struct sock_filter));
  if (!cache_digest (h, f->insns, f->n_insns, h->digest))
    return;
  /* A failed store only costs the next start a compilation. */
  if (mkdir_p (cache_dir, 0700, &err) < 0 || write_file_atomic (path, buf, size, 0600, &err) < 0)
    {
      log_debug ("seccomp cache: %s", err->msg);
      skiff_error_release (&err);
    }
}

/* ---- public API ---- */

int
skiff_seccomp_compile (const char *profile_json, uint64_t caps, const char *cache_dir, struct skiff_seccomp **out,
                       skiff_error_t *err)
{
  unsigned char key[SHA256_LEN];
  cleanup_free char *path = NULL;
  *out = NULL;

  if (cache_dir && *cache_dir == '\0')
    cache_dir = NULL;
  if (cache_dir)
    {
      char key_hex[2 * SHA256_LEN + 1];
      if (cache_key (profile_json, caps, key, err) < 0)
        return -1;
      hex_encode (key, SHA256_LEN, key_hex);
      path = path_join (cache_dir, key_hex);
      if ((*out = cache_load (path, key)))
        return 0;
    }

  cleanup_parsed_profile struct parsed_profile *pp = NULL;
  const struct skiff_seccomp_profile *p = &skiff_seccomp_default_profile;
  if (profile_json)
    {
      if (parse_profile (profile_json, &pp, err) < 0)
        return -1;
      if (pp == NULL)
        return 0; /* seccomp turned off by the profile */
      p = &pp->profile;
    }
  if (profile_compile (p, caps, out, err) < 0)
    return -1;
  if (cache_dir)
    cache_store (cache_dir, path, key, *out);
  return 0;
}

int
skiff_seccomp_install (const struct skiff_seccomp *f)
{
  if (f == NULL)
    return 0;
  struct sock_fprog prog = {
    .len = (unsigned short) f->n_insns,
    .filter = (struct sock_filter *) f->insns,
  };
  long r = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned long) f->flags, &prog);
  if (r == 0)
    return 0;
  if (r > 0) /* TSYNC: the id of a thread that could not be synchronised */
    return -EAGAIN;
  if (errno == ENOSYS && f->flags == 0 && prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0)
    return 0;
  return -errno;
}

void
skiff_seccomp_free (struct skiff_seccomp *f)
{
  free (f);
}

bool
skiff_seccomp_from_cache (const struct skiff_seccomp *f)
{
  return f && f->from_cache;
}

const struct sock_filter *
skiff_seccomp_program (const struct skiff_seccomp *f, size_t *n_insns)
{
  *n_insns = f ? f->n_insns : 0;
  return f ? f->insns : NULL;
}
