/* OCI image config, manifest and index to and from JSON (json-c), `--change` instructions in Dockerfile
 * syntax, and RFC 3339 times. No I/O: callers hand in and get back strings. */
#include "oci/image.h"

#include <ctype.h>
#include <time.h>

#include "oci/digest.h"

/* Output flags shared by every serializer: compact, and '/' not escaped (as Go's encoding/json) */
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* ---- json helpers ---- */

static json_object *
parse_json (const char *json, size_t len, const char *what, skiff_error_t *err)
{
  /* json-c's default depth (JSON_TOKENER_DEFAULT_DEPTH, 32) bounds the recursion of the parser and of
   * json_object_put; documents from registries and archives nest a handful of levels (tests/unit/oci) */
  json_tokener *tok = json_tokener_new ();
  if (tok == NULL)
    abort ();
  json_object *o = json_tokener_parse_ex (tok, json, (int) len);
  enum json_tokener_error jerr = json_tokener_get_error (tok);
  size_t used = json_tokener_get_parse_end (tok);
  json_tokener_free (tok);
  if (o == NULL || jerr != json_tokener_success)
    {
      json_object_put (o);
      skiff_error_set_status (err, EINVAL, "invalid %s: %s", what,
                              jerr == json_tokener_continue ? "truncated JSON" : json_tokener_error_desc (jerr));
      return NULL;
    }
  for (; used < len; used++)
    if (!isspace ((unsigned char) json[used]))
      {
        json_object_put (o);
        skiff_error_set_status (err, EINVAL, "invalid %s: trailing data after the JSON document", what);
        return NULL;
      }
  if (!json_object_is_type (o, json_type_object))
    {
      json_object_put (o);
      skiff_error_set_status (err, EINVAL, "invalid %s: not a JSON object", what);
      return NULL;
    }
  return o;
}

/* A string member; absent and null give NULL; any other type is an error. */
static int
get_string (json_object *obj, const char *key, char **out, const char *what, skiff_error_t *err)
{
  json_object *v = NULL;
  *out = NULL;
  if (obj == NULL || !json_object_object_get_ex (obj, key, &v) || v == NULL)
    return 0;
  if (!json_object_is_type (v, json_type_string))
    return skiff_error_set_status (err, EINVAL, "invalid %s: `%s` is not a string", what, key);
  *out = xstrdup (json_object_get_string (v));
  return 0;
}

static int
get_strv (json_object *obj, const char *key, char ***out, const char *what, skiff_error_t *err)
{
  json_object *v = NULL;
  *out = NULL;
  if (obj == NULL || !json_object_object_get_ex (obj, key, &v) || v == NULL)
    return 0;
  if (!json_object_is_type (v, json_type_array))
    return skiff_error_set_status (err, EINVAL, "invalid %s: `%s` is not an array of strings", what, key);
  size_t n = json_object_array_length (v);
  char **r = xmalloc0 ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    {
      json_object *e = json_object_array_get_idx (v, i);
      if (!json_object_is_type (e, json_type_string))
        {
          strv_free (r);
          return skiff_error_set_status (err, EINVAL, "invalid %s: `%s` is not an array of strings", what, key);
        }
      r[i] = xstrdup (json_object_get_string (e));
    }
  *out = r;
  return 0;
}

/* The keys of an object member ({"80/tcp": {}}), or for labels keys and string values. */
static int
get_keys (json_object *obj, const char *key, char ***keys, char ***values, const char *what, skiff_error_t *err)
{
  json_object *v = NULL;
  *keys = NULL;
  if (values)
    *values = NULL;
  if (obj == NULL || !json_object_object_get_ex (obj, key, &v) || v == NULL)
    return 0;
  if (!json_object_is_type (v, json_type_object))
    return skiff_error_set_status (err, EINVAL, "invalid %s: `%s` is not an object", what, key);
  /* sized once: pushing one by one rescans the vector, and a hostile config holds a million ports */
  size_t n = (size_t) json_object_object_length (v), i = 0;
  char **k = xmalloc0 ((n + 1) * sizeof (char *)), **vals = values ? xmalloc0 ((n + 1) * sizeof (char *)) : NULL;
  json_object_object_foreach (v, name, val)
  {
    if (values)
      {
        if (val != NULL && !json_object_is_type (val, json_type_string))
          {
            strv_free (k);
            strv_free (vals);
            return skiff_error_set_status (err, EINVAL, "invalid %s: `%s.%s` is not a string", what, key, name);
          }
        vals[i] = xstrdup (val ? json_object_get_string (val) : "");
      }
    k[i++] = xstrdup (name);
  }
  *keys = k;
  if (values)
    *values = vals;
  return 0;
}

static json_object *
strv_to_json (char *const *v)
{
  json_object *a = json_object_new_array ();
  for (size_t i = 0; v && v[i]; i++)
    json_object_array_add (a, json_object_new_string (v[i]));
  return a;
}

static int
cmp_strp (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* {"k": {}} with sorted keys, as Go marshals a map */
static json_object *
keys_to_json (char *const *keys)
{
  size_t n = strv_len (keys);
  cleanup_free char **sorted = xmalloc0 ((n + 1) * sizeof (char *));
  memcpy (sorted, keys, n * sizeof (char *));
  qsort (sorted, n, sizeof (char *), cmp_strp);
  json_object *o = json_object_new_object ();
  for (size_t i = 0; i < n; i++)
    json_object_object_add (o, sorted[i], json_object_new_object ());
  return o;
}

static json_object *
labels_to_json (char *const *keys, char *const *values)
{
  size_t n = strv_len (keys);
  cleanup_free size_t *order = xmalloc0 ((n + 1) * sizeof (size_t));
  for (size_t i = 0; i < n; i++)
    order[i] = i;
  /* insertion sort by key: label sets are small */
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && strcmp (keys[order[j - 1]], keys[order[j]]) > 0; j--)
      {
        size_t t = order[j];
        order[j] = order[j - 1];
        order[j - 1] = t;
      }
  json_object *o = json_object_new_object ();
  for (size_t i = 0; i < n; i++)
    json_object_object_add (o, keys[order[i]], json_object_new_string (values[order[i]]));
  return o;
}

static bool
key_in (const char *key, const char *const *list)
{
  for (size_t i = 0; list[i]; i++)
    if (strcmp (key, list[i]) == 0)
      return true;
  return false;
}

/* Copy the members of src not named in skip into dst, in their order. */
static void
copy_other_keys (json_object *dst, json_object *src, const char *const *skip)
{
  if (src == NULL || !json_object_is_type (src, json_type_object))
    return;
  json_object_object_foreach (src, key, val) if (!key_in (key, skip))
      json_object_object_add (dst, key, json_object_get (val));
}

/* ---- image config ---- */

struct skiff_image_config *
skiff_image_config_new (void)
{
  return xmalloc0 (sizeof (struct skiff_image_config));
}

void
skiff_image_config_free (struct skiff_image_config *c)
{
  if (c == NULL)
    return;
  free (c->created);
  free (c->author);
  free (c->architecture);
  free (c->os);
  free (c->variant);
  free (c->user);
  strv_free (c->env);
  strv_free (c->entrypoint);
  strv_free (c->cmd);
  free (c->working_dir);
  free (c->stop_signal);
  strv_free (c->exposed_ports);
  strv_free (c->volumes);
  strv_free (c->label_keys);
  strv_free (c->label_values);
  strv_free (c->diff_ids);
  json_object_put (c->raw);
  free (c);
}

int
skiff_image_config_parse (const char *json, size_t len, struct skiff_image_config **out, skiff_error_t *err)
{
  static const char what[] = "image config";
  json_object *root = parse_json (json, len, what, err);
  if (root == NULL)
    return -1;
  struct skiff_image_config *c = skiff_image_config_new ();
  c->raw = root;
  json_object *cfg = NULL, *rootfs = NULL;
  json_object_object_get_ex (root, "config", &cfg);
  json_object_object_get_ex (root, "rootfs", &rootfs);
  if (cfg && !json_object_is_type (cfg, json_type_object))
    cfg = NULL;
  if (rootfs && !json_object_is_type (rootfs, json_type_object))
    {
      skiff_image_config_free (c);
      return skiff_error_set_status (err, EINVAL, "invalid %s: `rootfs` is not an object", what);
    }
  int r = get_string (root, "created", &c->created, what, err);
  if (r == 0)
    r = get_string (root, "author", &c->author, what, err);
  if (r == 0)
    r = get_string (root, "architecture", &c->architecture, what, err);
  if (r == 0)
    r = get_string (root, "os", &c->os, what, err);
  if (r == 0)
    r = get_string (root, "variant", &c->variant, what, err);
  if (r == 0)
    r = get_string (cfg, "User", &c->user, what, err);
  if (r == 0)
    r = get_strv (cfg, "Env", &c->env, what, err);
  if (r == 0)
    r = get_strv (cfg, "Entrypoint", &c->entrypoint, what, err);
  if (r == 0)
    r = get_strv (cfg, "Cmd", &c->cmd, what, err);
  if (r == 0)
    r = get_string (cfg, "WorkingDir", &c->working_dir, what, err);
  if (r == 0)
    r = get_string (cfg, "StopSignal", &c->stop_signal, what, err);
  if (r == 0)
    r = get_keys (cfg, "ExposedPorts", &c->exposed_ports, NULL, what, err);
  if (r == 0)
    r = get_keys (cfg, "Volumes", &c->volumes, NULL, what, err);
  if (r == 0)
    r = get_keys (cfg, "Labels", &c->label_keys, &c->label_values, what, err);
  if (r == 0)
    r = get_strv (rootfs, "diff_ids", &c->diff_ids, what, err);
  for (size_t i = 0; r == 0 && c->diff_ids && c->diff_ids[i]; i++)
    if (!str_has_prefix (c->diff_ids[i], "sha256:") || !skiff_digest_valid (c->diff_ids[i]))
      r = skiff_error_set_status (err, EINVAL, "invalid %s: diff ID `%s` is not sha256:<64 hex digits>", what,
                                  c->diff_ids[i]);
  if (r < 0)
    {
      skiff_image_config_free (c);
      return r;
    }
  *out = c;
  return 0;
}

static void
add_string (json_object *o, const char *key, const char *v)
{
  if (v)
    json_object_object_add (o, key, json_object_new_string (v));
}

static void
add_strv (json_object *o, const char *key, char *const *v)
{
  if (v && v[0])
    json_object_object_add (o, key, strv_to_json (v));
}

char *
skiff_image_config_to_json (const struct skiff_image_config *c)
{
  static const char *const top_keys[]
      = { "created", "author", "architecture", "variant", "os", "config", "rootfs", "history", NULL };
  static const char *const config_keys[]
      = { "User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels", "StopSignal", NULL };
  json_object *raw = c->raw, *raw_cfg = NULL, *raw_rootfs = NULL, *raw_history = NULL, *raw_type = NULL;
  if (raw)
    {
      json_object_object_get_ex (raw, "config", &raw_cfg);
      json_object_object_get_ex (raw, "rootfs", &raw_rootfs);
      json_object_object_get_ex (raw, "history", &raw_history);
      if (raw_rootfs)
        json_object_object_get_ex (raw_rootfs, "type", &raw_type);
    }

  /* the image-spec's field order, then whatever else the document carried, in its order */
  json_object *o = json_object_new_object ();
  add_string (o, "created", c->created);
  add_string (o, "author", c->author);
  add_string (o, "architecture", c->architecture);
  add_string (o, "variant", c->variant);
  add_string (o, "os", c->os);

  json_object *cfg = json_object_new_object ();
  add_string (cfg, "User", c->user);
  if (c->exposed_ports && c->exposed_ports[0])
    json_object_object_add (cfg, "ExposedPorts", keys_to_json (c->exposed_ports));
  add_strv (cfg, "Env", c->env);
  add_strv (cfg, "Entrypoint", c->entrypoint);
  add_strv (cfg, "Cmd", c->cmd);
  if (c->volumes && c->volumes[0])
    json_object_object_add (cfg, "Volumes", keys_to_json (c->volumes));
  add_string (cfg, "WorkingDir", c->working_dir);
  if (c->label_keys && c->label_keys[0])
    json_object_object_add (cfg, "Labels", labels_to_json (c->label_keys, c->label_values));
  add_string (cfg, "StopSignal", c->stop_signal);
  copy_other_keys (cfg, raw_cfg, config_keys);
  json_object_object_add (o, "config", cfg);

  json_object *rootfs = json_object_new_object ();
  json_object_object_add (rootfs, "type", raw_type ? json_object_get (raw_type) : json_object_new_string ("layers"));
  json_object_object_add (rootfs, "diff_ids", strv_to_json (c->diff_ids));
  json_object_object_add (o, "rootfs", rootfs);
  if (raw_history)
    json_object_object_add (o, "history", json_object_get (raw_history));
  copy_other_keys (o, raw, top_keys);

  char *r = xstrdup (json_object_to_json_string_ext (o, JSON_FLAGS));
  /* raw is "the document as last serialized" (image.h): the typed fields now live in it too */
  struct skiff_image_config *mut = (struct skiff_image_config *) c;
  json_object_put (mut->raw);
  mut->raw = o;
  return r;
}

int
skiff_image_config_add_history (struct skiff_image_config *c, const char *created, const char *created_by,
                                const char *comment, bool empty_layer)
{
  if (c->raw == NULL)
    c->raw = json_object_new_object ();
  json_object *h = NULL;
  if (!json_object_object_get_ex (c->raw, "history", &h) || !json_object_is_type (h, json_type_array))
    {
      h = json_object_new_array ();
      json_object_object_add (c->raw, "history", h);
    }
  json_object *e = json_object_new_object ();
  add_string (e, "created", created);
  add_string (e, "created_by", created_by);
  add_string (e, "comment", comment);
  if (empty_layer)
    json_object_object_add (e, "empty_layer", json_object_new_boolean (1));
  json_object_array_add (h, e);
  return 0;
}

/* ---- --change instructions ---- */

/* Split Dockerfile words: whitespace separates, '"' and '\'' quote, backslash escapes (not inside '\''). */
static int
split_words (const char *s, char ***out, skiff_error_t *err)
{
  size_t n = strlen (s), nwords = 0;
  /* at most one word per two bytes, and one more */
  cleanup_strv char **words = xmalloc0 ((n / 2 + 2) * sizeof (char *));
  cleanup_free char *cur = xmalloc (n + 1);
  size_t len = 0;
  bool in_word = false;
  char quote = 0;
  for (const char *p = s; *p; p++)
    {
      if (quote == 0 && isspace ((unsigned char) *p))
        {
          if (in_word)
            {
              words[nwords++] = xstrndup (cur, len);
              len = 0;
              in_word = false;
            }
          continue;
        }
      in_word = true;
      if (quote == 0 && (*p == '"' || *p == '\''))
        quote = *p;
      else if (quote != 0 && *p == quote)
        quote = 0;
      else if (*p == '\\' && quote != '\'' && p[1] != '\0')
        cur[len++] = *++p;
      else
        cur[len++] = *p;
    }
  if (quote)
    return skiff_error_set_status (err, EINVAL, "unterminated %c quote in `%s`", quote, s);
  if (in_word)
    words[nwords++] = xstrndup (cur, len);
  *out = steal_pointer (&words);
  return 0;
}

/* A JSON array of strings ("exec form"), or NULL when s is not one. */
static char **
parse_json_strv (const char *s)
{
  while (isspace ((unsigned char) *s))
    s++;
  if (*s != '[')
    return NULL;
  json_object *a = json_tokener_parse (s);
  if (a == NULL || !json_object_is_type (a, json_type_array))
    {
      json_object_put (a);
      return NULL;
    }
  size_t n = json_object_array_length (a);
  char **r = xmalloc0 ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    {
      json_object *e = json_object_array_get_idx (a, i);
      if (!json_object_is_type (e, json_type_string))
        {
          strv_free (r);
          json_object_put (a);
          return NULL;
        }
      r[i] = xstrdup (json_object_get_string (e));
    }
  json_object_put (a);
  return r;
}

/* exec form as given, shell form wrapped in /bin/sh -c (Dockerfile semantics) */
static char **
command_value (const char *value)
{
  char **v = parse_json_strv (value);
  if (v)
    return v;
  v = NULL;
  strv_push (&v, "/bin/sh");
  strv_push (&v, "-c");
  strv_push (&v, value);
  return v;
}

/* Parse "k=v k2=v2" (or the legacy "k v") into parallel vectors. */
static int
parse_pairs (const char *instr, const char *value, char ***keys, char ***values, skiff_error_t *err)
{
  const char *sp = value + strcspn (value, " \t");
  const char *eq = strchr (value, '=');
  *keys = *values = NULL;
  if (eq == NULL || eq > sp)
    {
      /* legacy form: the first word is the key, the rest the value */
      if (*sp == '\0')
        return skiff_error_set_status (err, EINVAL, "%s `%s`: expected KEY=VALUE", instr, value);
      const char *rest = sp;
      while (isspace ((unsigned char) *rest))
        rest++;
      strv_push_take (keys, xstrndup (value, (size_t) (sp - value)));
      strv_push (values, rest);
      return 0;
    }
  cleanup_strv char **words = NULL;
  if (split_words (value, &words, err) < 0)
    return skiff_error_wrap (err, "%s", instr);
  for (size_t i = 0; words[i]; i++)
    {
      char *e = strchr (words[i], '=');
      if (e == NULL || e == words[i])
        {
          strv_free (*keys);
          strv_free (*values);
          *keys = *values = NULL;
          return skiff_error_set_status (err, EINVAL, "%s `%s`: `%s` is not KEY=VALUE", instr, value, words[i]);
        }
      strv_push_take (keys, xstrndup (words[i], (size_t) (e - words[i])));
      strv_push (values, e + 1);
    }
  return 0;
}

static void
env_set (char ***env, const char *key, const char *value)
{
  size_t klen = strlen (key);
  char *entry = xasprintf ("%s=%s", key, value);
  for (size_t i = 0; *env && (*env)[i]; i++)
    if (strncmp ((*env)[i], key, klen) == 0 && (*env)[i][klen] == '=')
      {
        free ((*env)[i]);
        (*env)[i] = entry;
        return;
      }
  strv_push_take (env, entry);
}

static void
label_set (struct skiff_image_config *c, const char *key, const char *value)
{
  for (size_t i = 0; c->label_keys && c->label_keys[i]; i++)
    if (strcmp (c->label_keys[i], key) == 0)
      {
        free (c->label_values[i]);
        c->label_values[i] = xstrdup (value);
        return;
      }
  strv_push (&c->label_keys, key);
  strv_push (&c->label_values, value);
}

#define PORT_MAX 65535

static bool
parse_port (const char *s, const char **end, unsigned *port)
{
  unsigned long v = 0;
  const char *p = s;
  if (!isdigit ((unsigned char) *p))
    return false;
  while (isdigit ((unsigned char) *p))
    {
      v = v * 10 + (unsigned long) (*p - '0');
      if (v > PORT_MAX)
        return false;
      p++;
    }
  if (v == 0)
    return false;
  *port = (unsigned) v;
  *end = p;
  return true;
}

/* What EXPOSE adds to: a bitmap per protocol of the ports already exposed, made once per instruction, so that
 * ranges and long lists are added in linear time (looking each port up in the list took minutes for 1-65535,
 * as the image_config fuzzer found). */
static const char *const expose_protos[] = { "tcp", "udp", "sctp" };

struct exposed
{
  uint8_t have[ARRAY_SIZE (expose_protos)][(PORT_MAX + 1) / 8];
  size_t n, cap; /* of c->exposed_ports */
};

static struct exposed *
exposed_new (const struct skiff_image_config *c)
{
  struct exposed *x = xmalloc0 (sizeof *x);
  x->n = x->cap = strv_len (c->exposed_ports);
  for (size_t i = 0; i < x->n; i++)
    {
      unsigned v;
      const char *e;
      /* only entries in the form EXPOSE writes ("80/tcp"), as a lookup by string would match them */
      if (c->exposed_ports[i][0] == '0' || !parse_port (c->exposed_ports[i], &e, &v) || e[0] != '/')
        continue;
      for (size_t k = 0; k < ARRAY_SIZE (expose_protos); k++)
        if (strcmp (e + 1, expose_protos[k]) == 0)
          x->have[k][v / 8] |= (uint8_t) (1u << (v % 8));
    }
  return x;
}

static int
add_exposed (struct skiff_image_config *c, struct exposed *x, const char *spec, skiff_error_t *err)
{
  unsigned lo, hi;
  const char *p;
  if (!parse_port (spec, &p, &lo))
    goto bad;
  hi = lo;
  if (*p == '-' && (!parse_port (p + 1, &p, &hi) || hi < lo))
    goto bad;
  size_t k = 0; /* tcp */
  if (*p == '/')
    {
      for (k = 0; k < ARRAY_SIZE (expose_protos) && strcmp (p + 1, expose_protos[k]) != 0; k++)
        ;
      if (k == ARRAY_SIZE (expose_protos))
        goto bad;
    }
  else if (*p != '\0')
    goto bad;
  size_t need = x->n + (hi - lo + 1) + 1;
  if (need > x->cap)
    {
      x->cap = need > 2 * x->cap ? need : 2 * x->cap;
      c->exposed_ports = xrealloc (c->exposed_ports, x->cap * sizeof *c->exposed_ports);
    }
  for (unsigned port = lo; port <= hi; port++)
    if (!(x->have[k][port / 8] & (1u << (port % 8))))
      {
        c->exposed_ports[x->n++] = xasprintf ("%u/%s", port, expose_protos[k]);
        x->have[k][port / 8] |= (uint8_t) (1u << (port % 8));
      }
  c->exposed_ports[x->n] = NULL;
  return 0;
bad:
  return skiff_error_set_status (err, EINVAL, "EXPOSE `%s`: expected PORT[-PORT][/tcp|udp|sctp]", spec);
}

/* Lexically clean an absolute path ("/a/./b/../c" -> "/a/c"). */
static char *
clean_abs_path (const char *path)
{
  size_t n = strlen (path);
  char *out = xmalloc (n + 2);
  size_t len = 0;
  const char *p = path;
  while (*p)
    {
      while (*p == '/')
        p++;
      const char *e = p + strcspn (p, "/");
      size_t cl = (size_t) (e - p);
      if (cl == 0 || (cl == 1 && p[0] == '.'))
        ;
      else if (cl == 2 && p[0] == '.' && p[1] == '.')
        {
          while (len > 0 && out[len - 1] != '/')
            len--;
          if (len > 0)
            len--;
        }
      else
        {
          out[len++] = '/';
          memcpy (out + len, p, cl);
          len += cl;
        }
      p = e;
    }
  if (len == 0)
    out[len++] = '/';
  out[len] = '\0';
  return out;
}

int
skiff_image_config_apply_change (struct skiff_image_config *c, const char *change, skiff_error_t *err)
{
  static const char supported[] = "CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR";
  /* "INSTR value" (Dockerfile) or "INSTR=value" (podman's short form): whichever separator comes first */
  while (isspace ((unsigned char) *change))
    change++;
  size_t ilen = strcspn (change, " \t=");
  if (change[ilen] == '\0')
    return skiff_error_set_status (err, EINVAL, "invalid change `%s`: expected INSTRUCTION VALUE or INSTRUCTION=VALUE",
                                   change);
  cleanup_free char *instr = xstrndup (change, ilen);
  for (char *p = instr; *p; p++)
    *p = (char) toupper ((unsigned char) *p);
  const char *value = change + ilen + 1;
  while (isspace ((unsigned char) *value))
    value++;
  cleanup_free char *trimmed = xstrdup (value);
  for (size_t l = strlen (trimmed); l > 0 && isspace ((unsigned char) trimmed[l - 1]); l--)
    trimmed[l - 1] = '\0';
  value = trimmed;

  if (strcmp (instr, "CMD") == 0)
    {
      strv_free (c->cmd);
      c->cmd = command_value (value);
    }
  else if (strcmp (instr, "ENTRYPOINT") == 0)
    {
      strv_free (c->entrypoint);
      c->entrypoint = command_value (value);
    }
  else if (strcmp (instr, "ENV") == 0 || strcmp (instr, "LABEL") == 0)
    {
      cleanup_strv char **keys = NULL;
      cleanup_strv char **values = NULL;
      if (parse_pairs (instr, value, &keys, &values, err) < 0)
        return skiff_error_wrap (err, "invalid change `%s`", change);
      for (size_t i = 0; keys[i]; i++)
        if (instr[0] == 'E')
          env_set (&c->env, keys[i], values[i]);
        else
          label_set (c, keys[i], values[i]);
    }
  else if (strcmp (instr, "EXPOSE") == 0)
    {
      cleanup_strv char **words = NULL;
      if (split_words (value, &words, err) < 0 || words[0] == NULL)
        return skiff_error_set_status (err, EINVAL, "invalid change `%s`: EXPOSE needs at least one port", change);
      cleanup_free struct exposed *x = exposed_new (c);
      for (size_t i = 0; words[i]; i++)
        if (add_exposed (c, x, words[i], err) < 0)
          return skiff_error_wrap (err, "invalid change `%s`", change);
    }
  else if (strcmp (instr, "VOLUME") == 0)
    {
      cleanup_strv char **vols = parse_json_strv (value);
      if (vols == NULL && split_words (value, &vols, err) < 0)
        return skiff_error_wrap (err, "invalid change `%s`", change);
      if (vols[0] == NULL)
        return skiff_error_set_status (err, EINVAL, "invalid change `%s`: VOLUME needs at least one path", change);
      for (size_t i = 0; vols[i]; i++)
        {
          if (vols[i][0] == '\0')
            return skiff_error_set_status (err, EINVAL, "invalid change `%s`: empty VOLUME path", change);
          if (!strv_contains (c->volumes, vols[i]))
            strv_push (&c->volumes, vols[i]);
        }
    }
  else if (strcmp (instr, "WORKDIR") == 0)
    {
      if (*value == '\0')
        return skiff_error_set_status (err, EINVAL, "invalid change `%s`: WORKDIR needs a path", change);
      /* relative to the previous WORKDIR, as in a Dockerfile */
      cleanup_free char *joined
          = value[0] == '/' ? xstrdup (value) : xasprintf ("%s/%s", c->working_dir ? c->working_dir : "", value);
      free (c->working_dir);
      c->working_dir = clean_abs_path (joined);
    }
  else if (strcmp (instr, "USER") == 0)
    {
      free (c->user);
      c->user = xstrdup (value);
    }
  else if (strcmp (instr, "STOPSIGNAL") == 0)
    {
      if (*value == '\0')
        return skiff_error_set_status (err, EINVAL, "invalid change `%s`: STOPSIGNAL needs a signal", change);
      free (c->stop_signal);
      c->stop_signal = xstrdup (value);
    }
  else
    return skiff_error_set_status (err, EINVAL, "invalid change `%s`: unsupported instruction %s (supported: %s)",
                                   change, instr, supported);
  return 0;
}

/* ---- descriptors, manifests, indexes ---- */

static int
parse_descriptor (json_object *o, struct skiff_oci_descriptor *d, const char *what, skiff_error_t *err)
{
  json_object *size = NULL;
  memset (d, 0, sizeof *d);
  if (!json_object_is_type (o, json_type_object))
    return skiff_error_set_status (err, EINVAL, "invalid %s: a descriptor is not an object", what);
  if (get_string (o, "mediaType", &d->media_type, what, err) < 0 || get_string (o, "digest", &d->digest, what, err) < 0)
    return -1;
  if (d->digest == NULL || !skiff_digest_valid (d->digest) || !str_has_prefix (d->digest, "sha256:"))
    return skiff_error_set_status (err, EINVAL, "invalid %s: descriptor digest `%s` is not sha256:<64 hex digits>",
                                   what, d->digest ? d->digest : "");
  if (!json_object_object_get_ex (o, "size", &size) || !json_object_is_type (size, json_type_int)
      || json_object_get_int64 (size) < 0)
    return skiff_error_set_status (err, EINVAL, "invalid %s: descriptor `%s` has no valid size", what, d->digest);
  d->size = (uint64_t) json_object_get_int64 (size);
  json_object *platform = NULL;
  if (json_object_object_get_ex (o, "platform", &platform) && json_object_is_type (platform, json_type_object))
    {
      if (get_string (platform, "architecture", &d->architecture, what, err) < 0
          || get_string (platform, "os", &d->os, what, err) < 0
          || get_string (platform, "variant", &d->variant, what, err) < 0)
        return -1;
    }
  return 0;
}

static void
descriptor_release (struct skiff_oci_descriptor *d)
{
  free (d->media_type);
  free (d->digest);
  free (d->architecture);
  free (d->os);
  free (d->variant);
}

static json_object *
descriptor_to_json (const struct skiff_oci_descriptor *d)
{
  json_object *o = json_object_new_object ();
  add_string (o, "mediaType", d->media_type);
  add_string (o, "digest", d->digest);
  json_object_object_add (o, "size", json_object_new_int64 ((int64_t) d->size));
  if (d->os || d->architecture)
    {
      json_object *p = json_object_new_object ();
      add_string (p, "architecture", d->architecture);
      add_string (p, "os", d->os);
      add_string (p, "variant", d->variant);
      json_object_object_add (o, "platform", p);
    }
  return o;
}

void
skiff_oci_manifest_free (struct skiff_oci_manifest *m)
{
  if (m == NULL)
    return;
  free (m->media_type);
  descriptor_release (&m->config);
  for (size_t i = 0; i < m->n_layers; i++)
    descriptor_release (&m->layers[i]);
  free (m->layers);
  free (m);
}

int
skiff_oci_manifest_parse (const char *json, size_t len, struct skiff_oci_manifest **out, skiff_error_t *err)
{
  static const char what[] = "image manifest";
  json_object *root = parse_json (json, len, what, err);
  if (root == NULL)
    return -1;
  struct skiff_oci_manifest *m = xmalloc0 (sizeof *m);
  json_object *v = NULL, *layers = NULL;
  int r = 0;
  if (!json_object_object_get_ex (root, "schemaVersion", &v) || json_object_get_int (v) != 2)
    r = skiff_error_set_status (err, EINVAL, "invalid %s: schemaVersion is not 2", what);
  if (r == 0)
    r = get_string (root, "mediaType", &m->media_type, what, err);
  if (r == 0 && !json_object_object_get_ex (root, "config", &v))
    r = skiff_error_set_status (err, EINVAL, "invalid %s: no config descriptor", what);
  if (r == 0)
    r = parse_descriptor (v, &m->config, what, err);
  if (r == 0
      && (!json_object_object_get_ex (root, "layers", &layers) || !json_object_is_type (layers, json_type_array)))
    r = skiff_error_set_status (err, EINVAL, "invalid %s: no layers array", what);
  if (r == 0)
    {
      m->n_layers = json_object_array_length (layers);
      m->layers = xmalloc0 ((m->n_layers + 1) * sizeof *m->layers);
      for (size_t i = 0; r == 0 && i < m->n_layers; i++)
        r = parse_descriptor (json_object_array_get_idx (layers, i), &m->layers[i], what, err);
    }
  json_object_put (root);
  if (r < 0)
    {
      skiff_oci_manifest_free (m);
      return r;
    }
  *out = m;
  return 0;
}

char *
skiff_oci_manifest_to_json (const struct skiff_oci_manifest *m)
{
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "schemaVersion", json_object_new_int (2));
  add_string (o, "mediaType", m->media_type ? m->media_type : OCI_MEDIA_TYPE_MANIFEST);
  json_object_object_add (o, "config", descriptor_to_json (&m->config));
  json_object *layers = json_object_new_array ();
  for (size_t i = 0; i < m->n_layers; i++)
    json_object_array_add (layers, descriptor_to_json (&m->layers[i]));
  json_object_object_add (o, "layers", layers);
  char *r = xstrdup (json_object_to_json_string_ext (o, JSON_FLAGS));
  json_object_put (o);
  return r;
}

void
skiff_oci_index_free (struct skiff_oci_index *idx)
{
  if (idx == NULL)
    return;
  free (idx->media_type);
  for (size_t i = 0; i < idx->n_manifests; i++)
    descriptor_release (&idx->manifests[i]);
  free (idx->manifests);
  free (idx);
}

int
skiff_oci_index_parse (const char *json, size_t len, struct skiff_oci_index **out, skiff_error_t *err)
{
  static const char what[] = "image index";
  json_object *root = parse_json (json, len, what, err);
  if (root == NULL)
    return -1;
  struct skiff_oci_index *idx = xmalloc0 (sizeof *idx);
  json_object *arr = NULL;
  int r = get_string (root, "mediaType", &idx->media_type, what, err);
  if (r == 0 && (!json_object_object_get_ex (root, "manifests", &arr) || !json_object_is_type (arr, json_type_array)))
    r = skiff_error_set_status (err, EINVAL, "invalid %s: no manifests array", what);
  if (r == 0)
    {
      idx->n_manifests = json_object_array_length (arr);
      idx->manifests = xmalloc0 ((idx->n_manifests + 1) * sizeof *idx->manifests);
      for (size_t i = 0; r == 0 && i < idx->n_manifests; i++)
        r = parse_descriptor (json_object_array_get_idx (arr, i), &idx->manifests[i], what, err);
    }
  json_object_put (root);
  if (r < 0)
    {
      skiff_oci_index_free (idx);
      return r;
    }
  *out = idx;
  return 0;
}

/* ---- time ---- */

int
skiff_rfc3339_parse (const char *s, uint64_t *ns_out)
{
  int year, mon, day, hour, min, sec, used = 0;
  if (s == NULL || sscanf (s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &year, &mon, &day, &hour, &min, &sec, &used) != 6
      || used == 0)
    return -1;
  const char *p = s + used;
  uint64_t frac = 0;
  if (*p == '.')
    {
      int digits = 0;
      for (p++; isdigit ((unsigned char) *p); p++, digits++)
        if (digits < 9)
          frac = frac * 10 + (uint64_t) (*p - '0');
      if (digits == 0)
        return -1;
      for (; digits < 9; digits++)
        frac *= 10;
    }
  long offset = 0;
  if (*p == 'Z' || *p == 'z')
    p++;
  else if (*p == '+' || *p == '-')
    {
      int oh, om, n = 0;
      if (sscanf (p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5)
        return -1;
      offset = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
      p += 1 + n;
    }
  else
    return -1;
  if (*p != '\0' || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
    return -1;
  struct tm tm
      = { .tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = day, .tm_hour = hour, .tm_min = min, .tm_sec = sec };
  time_t t = timegm (&tm) - offset;
  if (t < 0)
    return -1;
  *ns_out = (uint64_t) t * 1000000000ULL + frac;
  return 0;
}

const char *
skiff_oci_goarch (const char *machine)
{
  static const struct
  {
    const char *uname, *goarch;
  } map[] = {
    { "x86_64", "amd64" },    { "aarch64", "arm64" }, { "armv7l", "arm" },      { "armv6l", "arm" },
    { "i686", "386" },        { "i386", "386" },      { "ppc64le", "ppc64le" }, { "s390x", "s390x" },
    { "riscv64", "riscv64" }, { "mips64", "mips64" },
  };
  for (size_t i = 0; i < ARRAY_SIZE (map); i++)
    if (strcmp (machine, map[i].uname) == 0)
      return map[i].goarch;
  return machine;
}
