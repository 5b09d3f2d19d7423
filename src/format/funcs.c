/* --format engine: the template functions, Go's text/template builtins and podman's
 * report.DefaultFuncs. */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "format/format_internal.h"

/* ------------------------------------------------------------------------------------------------ */
/* functions: Go's text/template builtins and podman's report.DefaultFuncs                           */

static int fn_fail (char **errmsg, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static int
fn_fail (char **errmsg, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (errmsg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return -1;
}

static struct val
val_string (const char *s, size_t n)
{
  return fmt_val_take (json_object_new_string_len (s, (int) n));
}

static struct val
val_bool (bool b)
{
  return fmt_val_take (json_object_new_boolean (b));
}

static const char *
arg_str (struct val v, size_t *n)
{
  return fmt_jstr (v.j, n);
}

static int
fn_not (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  *out = val_bool (!fmt_val_truth (a[0]));
  return 0;
}

static int
fn_len (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  if (a[0].invalid)
    return fn_fail (e, "len of untyped nil");
  int64_t len;
  switch (fmt_jkind (a[0].j))
    {
    case VK_NIL:
      return fn_fail (e, "len of nil pointer");
    case VK_STRING:
      len = json_object_get_string_len (a[0].j);
      break;
    case VK_ARRAY:
      len = (int64_t) json_object_array_length (a[0].j);
      break;
    case VK_MAP:
      len = json_object_object_length (a[0].j);
      break;
    case VK_INVALID:
    case VK_BOOL:
    case VK_INT:
    case VK_FLOAT:
    default:
      return fn_fail (e, "len of type %s", fmt_jtype_name (a[0].j));
    }
  *out = fmt_val_take (json_object_new_int64 (len));
  return 0;
}

/* Go's indexArg */
static int
index_arg (struct val index, size_t cap, int64_t *x, char **e)
{
  if (index.invalid || index.j == NULL)
    return fn_fail (e, "cannot index slice/array with nil");
  uint64_t u;
  if (fmt_jkind (index.j) != VK_INT)
    return fn_fail (e, "cannot index slice/array with type %s", fmt_jtype_name (index.j));
  if (fmt_jint_unsigned (index.j, &u))
    return fn_fail (e, "index out of range: %" PRIu64, u);
  *x = json_object_get_int64 (index.j);
  if (*x < 0 || (uint64_t) *x > cap)
    return fn_fail (e, "index out of range: %" PRId64, *x);
  return 0;
}

static int
fn_index (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  if (a[0].invalid || a[0].j == NULL)
    return fn_fail (e, "index of untyped nil");
  struct val item = fmt_val_dup (a[0]);
  for (size_t i = 1; i < n; i++)
    {
      struct val index = a[i];
      if (item.j == NULL)
        {
          fmt_val_drop (&item);
          return fn_fail (e, "index of nil pointer");
        }
      switch (fmt_jkind (item.j))
        {
        case VK_ARRAY:
        case VK_STRING:
          {
            bool is_str = fmt_jkind (item.j) == VK_STRING;
            size_t len = is_str ? (size_t) json_object_get_string_len (item.j) : json_object_array_length (item.j);
            int64_t x;
            if (index_arg (index, len, &x, e) < 0)
              {
                fmt_val_drop (&item);
                return -1;
              }
            if ((size_t) x == len)
              {
                fmt_val_drop (&item);
                return fn_fail (e, "reflect: %s index out of range", is_str ? "string" : "slice");
              }
            struct val next
                = is_str ? fmt_val_take (json_object_new_int64 ((unsigned char) json_object_get_string (item.j)[x]))
                         : fmt_val_ref (json_object_array_get_idx (item.j, (size_t) x));
            fmt_val_drop (&item);
            item = next;
            break;
          }
        case VK_MAP:
          {
            if (index.invalid || index.j == NULL)
              {
                fmt_val_drop (&item);
                return fn_fail (e, "value is nil; should be of type string");
              }
            if (fmt_jkind (index.j) != VK_STRING)
              {
                const char *tn = fmt_jtype_name (index.j);
                fmt_val_drop (&item);
                return fn_fail (e, "value has type %s; should be string", tn);
              }
            /* a missing key gives the zero value: a nil interface */
            json_object *v = NULL;
            json_object_object_get_ex (item.j, json_object_get_string (index.j), &v);
            struct val next = fmt_val_ref (v);
            fmt_val_drop (&item);
            item = next;
            break;
          }
        case VK_INVALID:
        case VK_NIL:
        case VK_BOOL:
        case VK_INT:
        case VK_FLOAT:
        default:
          {
            const char *tn = fmt_jtype_name (item.j);
            fmt_val_drop (&item);
            return fn_fail (e, "can't index item of type %s", tn);
          }
        }
    }
  *out = item;
  return 0;
}

static int
fn_slice (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  if (a[0].invalid || a[0].j == NULL)
    return fn_fail (e, "slice of untyped nil");
  size_t nidx = n - 1;
  if (nidx > 3)
    return fn_fail (e, "too many slice indexes: %zu", nidx);
  enum vkind k = fmt_jkind (a[0].j);
  size_t len;
  if (k == VK_STRING)
    {
      if (nidx == 3)
        return fn_fail (e, "cannot 3-index slice a string");
      len = (size_t) json_object_get_string_len (a[0].j);
    }
  else if (k == VK_ARRAY)
    len = json_object_array_length (a[0].j);
  else
    return fn_fail (e, "can't slice item of type %s", fmt_jtype_name (a[0].j));
  int64_t idx[3] = { 0, (int64_t) len, (int64_t) len };
  for (size_t i = 0; i < nidx; i++)
    if (index_arg (a[i + 1], len, &idx[i], e) < 0)
      return -1;
  if (idx[0] > idx[1])
    return fn_fail (e, "invalid slice index: %" PRId64 " > %" PRId64, idx[0], idx[1]);
  if (nidx == 3 && idx[1] > idx[2])
    return fn_fail (e, "invalid slice index: %" PRId64 " > %" PRId64, idx[1], idx[2]);
  if (k == VK_STRING)
    {
      *out = val_string (json_object_get_string (a[0].j) + idx[0], (size_t) (idx[1] - idx[0]));
      return 0;
    }
  json_object *arr = json_object_new_array ();
  for (int64_t i = idx[0]; i < idx[1]; i++)
    json_object_array_add (arr, json_object_get (json_object_array_get_idx (a[0].j, (size_t) i)));
  *out = fmt_val_take (arr);
  return 0;
}

static struct farg *
fargs_of (struct val *a, size_t n)
{
  struct farg *f = xmalloc0 ((n ? n : 1) * sizeof *f);
  for (size_t i = 0; i < n; i++)
    {
      f[i].j = a[i].j;
      f[i].is_nil = a[i].invalid || a[i].j == NULL;
    }
  return f;
}

static int
fn_print (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  struct farg *f = fargs_of (a, n);
  struct sbuf b = { 0 };
  fmt_go_sprint (&b, f, n);
  free (f);
  *out = val_string (b.s ? b.s : "", b.len);
  fmt_sb_release (&b);
  return 0;
}

static int
fn_println (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  struct farg *f = fargs_of (a, n);
  struct sbuf b = { 0 };
  fmt_go_sprintln (&b, f, n);
  free (f);
  *out = val_string (b.s, b.len);
  fmt_sb_release (&b);
  return 0;
}

static int
fn_printf (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  size_t flen;
  const char *format = arg_str (a[0], &flen);
  struct farg *f = fargs_of (a + 1, n - 1);
  struct sbuf b = { 0 };
  fmt_go_sprintf (&b, format, flen, f, n - 1);
  free (f);
  *out = val_string (b.s ? b.s : "", b.len);
  fmt_sb_release (&b);
  return 0;
}

/* text/template's evalArgs: one string as is, else fmt.Sprint with nil shown as "<no value>" */
static char *
eval_args (struct val *a, size_t n, size_t *len)
{
  struct sbuf b = { 0 };
  if (n == 1 && !a[0].invalid && fmt_jkind (a[0].j) == VK_STRING)
    {
      size_t l;
      const char *s = fmt_jstr (a[0].j, &l);
      fmt_sb_addn (&b, s, l);
    }
  else
    {
      json_object *novalue = json_object_new_string ("<no value>");
      struct farg *f = fargs_of (a, n);
      for (size_t i = 0; i < n; i++)
        if (f[i].is_nil)
          {
            f[i].j = novalue;
            f[i].is_nil = false;
          }
      fmt_go_sprint (&b, f, n);
      free (f);
      json_object_put (novalue);
    }
  fmt_sb_addn (&b, "", 0);
  *len = b.len;
  return fmt_sb_steal (&b);
}

static int
fn_html (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  size_t len;
  char *str = eval_args (a, n, &len);
  struct sbuf b = { 0 };
  fmt_sb_addn (&b, "", 0);
  for (size_t i = 0; i < len; i++)
    switch (str[i])
      {
      case '"':
        fmt_sb_adds (&b, "&#34;");
        break;
      case '\'':
        fmt_sb_adds (&b, "&#39;");
        break;
      case '&':
        fmt_sb_adds (&b, "&amp;");
        break;
      case '<':
        fmt_sb_adds (&b, "&lt;");
        break;
      case '>':
        fmt_sb_adds (&b, "&gt;");
        break;
      case '\0':
        fmt_sb_adds (&b, "\xEF\xBF\xBD");
        break;
      default:
        fmt_sb_addc (&b, str[i]);
      }
  free (str);
  *out = val_string (b.s, b.len);
  fmt_sb_release (&b);
  return 0;
}

static int
fn_js (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t len;
  char *str = eval_args (a, n, &len);
  struct sbuf b = { 0 };
  fmt_sb_addn (&b, "", 0);
  for (size_t i = 0; i < len;)
    {
      unsigned char c = (unsigned char) str[i];
      if (c < 0x80)
        {
          switch (c)
            {
            case '\\':
              fmt_sb_adds (&b, "\\\\");
              break;
            case '\'':
              fmt_sb_adds (&b, "\\'");
              break;
            case '"':
              fmt_sb_adds (&b, "\\\"");
              break;
            case '<':
              fmt_sb_adds (&b, "\\u003C");
              break;
            case '>':
              fmt_sb_adds (&b, "\\u003E");
              break;
            case '&':
              fmt_sb_adds (&b, "\\u0026");
              break;
            case '=':
              fmt_sb_adds (&b, "\\u003D");
              break;
            default:
              if (c < ' ')
                {
                  fmt_sb_adds (&b, "\\u00");
                  fmt_sb_addc (&b, hex[c >> 4]);
                  fmt_sb_addc (&b, hex[c & 15]);
                }
              else
                fmt_sb_addc (&b, (char) c);
            }
          i++;
          continue;
        }
      size_t w;
      uint32_t r = fmt_utf8_decode ((const unsigned char *) str + i, len - i, &w);
      if (fmt_rune_is_print (r))
        fmt_sb_addn (&b, str + i, w);
      else
        fmt_sb_printf (&b, "\\u%04" PRIX32, r);
      i += w;
    }
  free (str);
  *out = val_string (b.s, b.len);
  fmt_sb_release (&b);
  return 0;
}

static int
fn_urlquery (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t len;
  char *str = eval_args (a, n, &len);
  struct sbuf b = { 0 };
  fmt_sb_addn (&b, "", 0);
  for (size_t i = 0; i < len; i++)
    {
      unsigned char c = (unsigned char) str[i];
      if (isalnum (c) || c == '-' || c == '_' || c == '.' || c == '~')
        fmt_sb_addc (&b, (char) c);
      else if (c == ' ')
        fmt_sb_addc (&b, '+');
      else
        {
          fmt_sb_addc (&b, '%');
          fmt_sb_addc (&b, hex[c >> 4]);
          fmt_sb_addc (&b, hex[c & 15]);
        }
    }
  free (str);
  *out = val_string (b.s, b.len);
  fmt_sb_release (&b);
  return 0;
}

/* Go's basicKind for comparisons */
enum ckind
{
  CK_INVALID,
  CK_BOOL,
  CK_INT,
  CK_UINT,
  CK_FLOAT,
  CK_STRING,
};

static enum ckind
basic_kind (struct val v, int64_t *i, uint64_t *u, double *f)
{
  if (v.invalid || v.j == NULL)
    return CK_INVALID;
  switch (fmt_jkind (v.j))
    {
    case VK_BOOL:
      return CK_BOOL;
    case VK_INT:
      if (fmt_jint_unsigned (v.j, u))
        {
          *f = (double) *u;
          return CK_UINT;
        }
      *i = json_object_get_int64 (v.j);
      *f = (double) *i;
      return CK_INT;
    case VK_FLOAT:
      *f = json_object_get_double (v.j);
      return CK_FLOAT;
    case VK_STRING:
      return CK_STRING;
    case VK_INVALID:
    case VK_NIL:
    case VK_ARRAY:
    case VK_MAP:
    default:
      return CK_INVALID;
    }
}

static const char ERR_BAD_COMPARISON_TYPE[] = "invalid type for comparison";
static const char ERR_BAD_COMPARISON[] = "incompatible types for comparison";

/* eq for one pair; -1 with *e on error. JSON blurs Go's int/float distinction, so skiff compares
 * integers and floats by value where Go would report incompatible types. */
static int
eq_pair (struct val a, struct val b, bool *truth, char **e)
{
  int64_t ai = 0, bi = 0;
  uint64_t au = 0, bu = 0;
  double af = 0, bf = 0;
  enum ckind ka = basic_kind (a, &ai, &au, &af), kb = basic_kind (b, &bi, &bu, &bf);
  bool anil = a.invalid || a.j == NULL, bnil = b.invalid || b.j == NULL;
  *truth = false;
  if (ka == CK_INVALID || kb == CK_INVALID)
    {
      if (anil || bnil)
        {
          *truth = anil && bnil;
          return 0;
        }
      /* lists and objects cannot be compared */
      if (ka != kb)
        return fn_fail (e, "%s", ERR_BAD_COMPARISON);
      struct sbuf sa = { 0 }, sb = { 0 };
      struct fmtflags f = { 0 };
      fmt_arg (&sa, &f, a.j, false, 's', 0);
      fmt_arg (&sb, &f, b.j, false, 's', 0);
      int r;
      if (fmt_jkind (a.j) == fmt_jkind (b.j))
        r = fn_fail (e, "non-comparable type %s: %s", sb.s, fmt_jtype_name (b.j));
      else
        r = fn_fail (e, "non-comparable types %s: %s, %s: %s", sa.s, fmt_jtype_name (a.j), fmt_jtype_name (b.j), sb.s);
      fmt_sb_release (&sa);
      fmt_sb_release (&sb);
      return r;
    }
  if (ka != kb)
    {
      if (ka == CK_INT && kb == CK_UINT)
        *truth = ai >= 0 && (uint64_t) ai == bu;
      else if (ka == CK_UINT && kb == CK_INT)
        *truth = bi >= 0 && au == (uint64_t) bi;
      else if ((ka == CK_INT || ka == CK_UINT || ka == CK_FLOAT) && (kb == CK_INT || kb == CK_UINT || kb == CK_FLOAT))
        *truth = af == bf;
      else
        return fn_fail (e, "%s", ERR_BAD_COMPARISON);
      return 0;
    }
  switch (ka)
    {
    case CK_BOOL:
      *truth = json_object_get_boolean (a.j) == json_object_get_boolean (b.j);
      break;
    case CK_INT:
      *truth = ai == bi;
      break;
    case CK_UINT:
      *truth = au == bu;
      break;
    case CK_FLOAT:
      *truth = af == bf;
      break;
    case CK_STRING:
      {
        size_t la, lb;
        const char *sa = fmt_jstr (a.j, &la), *sb = fmt_jstr (b.j, &lb);
        *truth = la == lb && memcmp (sa, sb, la) == 0;
        break;
      }
    case CK_INVALID:
    default:
      break;
    }
  return 0;
}

static int
fn_eq (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  if (n < 2)
    return fn_fail (e, "missing argument for comparison");
  for (size_t i = 1; i < n; i++)
    {
      bool t;
      if (eq_pair (a[0], a[i], &t, e) < 0)
        return -1;
      if (t)
        {
          *out = val_bool (true);
          return 0;
        }
    }
  *out = val_bool (false);
  return 0;
}

static int
fn_ne (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  bool t;
  if (eq_pair (a[0], a[1], &t, e) < 0)
    return -1;
  *out = val_bool (!t);
  return 0;
}

static int
less_than (struct val a, struct val b, bool *truth, char **e)
{
  int64_t ai = 0, bi = 0;
  uint64_t au = 0, bu = 0;
  double af = 0, bf = 0;
  enum ckind ka = basic_kind (a, &ai, &au, &af), kb = basic_kind (b, &bi, &bu, &bf);
  if (ka == CK_INVALID || kb == CK_INVALID)
    return fn_fail (e, "%s", ERR_BAD_COMPARISON_TYPE);
  *truth = false;
  if (ka != kb)
    {
      if (ka == CK_INT && kb == CK_UINT)
        *truth = ai < 0 || (uint64_t) ai < bu;
      else if (ka == CK_UINT && kb == CK_INT)
        *truth = bi >= 0 && au < (uint64_t) bi;
      else if ((ka == CK_INT || ka == CK_FLOAT) && (kb == CK_INT || kb == CK_FLOAT))
        *truth = af < bf;
      else
        return fn_fail (e, "%s", ERR_BAD_COMPARISON);
      return 0;
    }
  switch (ka)
    {
    case CK_BOOL:
      return fn_fail (e, "%s", ERR_BAD_COMPARISON_TYPE);
    case CK_INT:
      *truth = ai < bi;
      break;
    case CK_UINT:
      *truth = au < bu;
      break;
    case CK_FLOAT:
      *truth = af < bf;
      break;
    case CK_STRING:
      {
        size_t la, lb;
        const char *sa = fmt_jstr (a.j, &la), *sb = fmt_jstr (b.j, &lb);
        int c = memcmp (sa, sb, la < lb ? la : lb);
        *truth = c < 0 || (c == 0 && la < lb);
        break;
      }
    case CK_INVALID:
    default:
      break;
    }
  return 0;
}

static int
fn_lt (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  bool t;
  if (less_than (a[0], a[1], &t, e) < 0)
    return -1;
  *out = val_bool (t);
  return 0;
}

static int
fn_le (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  bool lt, eq;
  if (less_than (a[0], a[1], &lt, e) < 0)
    return -1;
  if (!lt && eq_pair (a[0], a[1], &eq, e) < 0)
    return -1;
  *out = val_bool (lt || eq);
  return 0;
}

static int
fn_gt (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  struct val le;
  if (fn_le (s, a, n, &le, e) < 0)
    return -1;
  *out = val_bool (!json_object_get_boolean (le.j));
  fmt_val_drop (&le);
  return 0;
}

static int
fn_ge (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  bool t;
  if (less_than (a[0], a[1], &t, e) < 0)
    return -1;
  *out = val_bool (!t);
  return 0;
}

static int
fn_json (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  struct sbuf b = { 0 };
  fmt_json_encode (&b, a[0].invalid ? NULL : a[0].j);
  *out = val_string (b.s, b.len);
  fmt_sb_release (&b);
  return 0;
}

static int
fn_join (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  size_t seplen;
  const char *sep = arg_str (a[1], &seplen);
  struct sbuf b = { 0 };
  fmt_sb_addn (&b, "", 0);
  size_t cnt = json_object_array_length (a[0].j);
  for (size_t i = 0; i < cnt; i++)
    {
      if (i)
        fmt_sb_addn (&b, sep, seplen);
      size_t l;
      const char *str = fmt_jstr (json_object_array_get_idx (a[0].j, i), &l);
      fmt_sb_addn (&b, str, l);
    }
  *out = val_string (b.s, b.len);
  fmt_sb_release (&b);
  return 0;
}

static int
fn_case (struct val *a, struct val *out, bool upper)
{
  size_t n, m;
  const char *str = arg_str (a[0], &n);
  char *r = fmt_str_map_case (str, n, upper, &m);
  *out = val_string (r, m);
  free (r);
  return 0;
}

static int
fn_lower (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  return fn_case (a, out, false);
}

static int
fn_upper (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  return fn_case (a, out, true);
}

/* strings.Title: upper-case the first letter of each word */
static int
fn_title (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  size_t len;
  const char *str = arg_str (a[0], &len);
  struct sbuf r = { 0 };
  fmt_sb_addn (&r, "", 0);
  uint32_t prev = ' ';
  for (size_t i = 0; i < len;)
    {
      size_t w;
      uint32_t c = fmt_utf8_decode ((const unsigned char *) str + i, len - i, &w);
      bool sep;
      if (prev <= 0x7F)
        sep = !(isalnum ((int) prev) || prev == '_');
      else
        sep = fmt_rune_is_unicode_space (prev);
      uint32_t t = c;
      if (sep)
        {
          /* unicode.ToTitle: the upper case, except for the four digraph letters */
          if ((c >= 0x1C4 && c <= 0x1CC) || (c >= 0x1F1 && c <= 0x1F3))
            t = c <= 0x1C6 ? 0x1C5 : c <= 0x1C9 ? 0x1C8 : c <= 0x1CC ? 0x1CB : 0x1F2;
          else
            t = fmt_rune_map_case (c, true);
        }
      fmt_utf8_encode (&r, t);
      prev = c;
      i += w;
    }
  *out = val_string (r.s, r.len);
  fmt_sb_release (&r);
  return 0;
}

static int
fn_split (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  size_t len, seplen;
  const char *str = arg_str (a[0], &len);
  const char *sep = arg_str (a[1], &seplen);
  json_object *arr = json_object_new_array ();
  if (seplen == 0)
    {
      /* explode into UTF-8 sequences */
      for (size_t i = 0; i < len;)
        {
          size_t w;
          fmt_utf8_decode ((const unsigned char *) str + i, len - i, &w);
          json_object_array_add (arr, json_object_new_string_len (str + i, (int) w));
          i += w;
        }
    }
  else
    {
      size_t start = 0;
      for (size_t i = 0; i + seplen <= len;)
        {
          if (memcmp (str + i, sep, seplen) == 0)
            {
              json_object_array_add (arr, json_object_new_string_len (str + start, (int) (i - start)));
              i += seplen;
              start = i;
            }
          else
            i++;
        }
      json_object_array_add (arr, json_object_new_string_len (str + start, (int) (len - start)));
    }
  *out = fmt_val_take (arr);
  return 0;
}

static int
fn_contains (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  size_t len, sublen;
  const char *str = arg_str (a[0], &len);
  const char *sub = arg_str (a[1], &sublen);
  *out = val_bool (sublen == 0 || memmem (str, len, sub, sublen) != NULL);
  return 0;
}

/* podman's truncateWithLength: the first length bytes */
static int
fn_truncate (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  size_t len;
  const char *str = arg_str (a[0], &len);
  int64_t l = json_object_get_int64 (a[1].j);
  if ((int64_t) len < l)
    {
      *out = fmt_val_dup (a[0]);
      return 0;
    }
  if (l < 0)
    return fn_fail (e, "runtime error: slice bounds out of range [:%" PRId64 "]", l);
  *out = val_string (str, (size_t) l);
  return 0;
}

/* podman's padWithSpace */
static int
fn_pad (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  size_t len;
  const char *str = arg_str (a[0], &len);
  int64_t pre = json_object_get_int64 (a[1].j), post = json_object_get_int64 (a[2].j);
  if (len == 0)
    {
      *out = fmt_val_dup (a[0]);
      return 0;
    }
  if (pre < 0 || post < 0)
    return fn_fail (e, "strings: negative Repeat count");
  if ((uint64_t) pre + (uint64_t) post > FMT_VALUE_MAX)
    return fn_fail (e, "the result would be larger than %d MiB", FMT_VALUE_MAX >> 20);
  struct sbuf b = { 0 };
  fmt_sb_repeat (&b, ' ', (size_t) pre);
  fmt_sb_addn (&b, str, len);
  fmt_sb_repeat (&b, ' ', (size_t) post);
  *out = val_string (b.s, b.len);
  fmt_sb_release (&b);
  return 0;
}

static const struct builtin builtins[] = {
  /* Go's builtins */
  { "and", 2, true, { P_VALUE, P_VALUE }, NULL },
  { "call", 2, true, { P_VALUE, P_VALUE }, NULL },
  { "eq", 2, true, { P_VALUE, P_VALUE }, fn_eq },
  { "ge", 2, false, { P_VALUE, P_VALUE }, fn_ge },
  { "gt", 2, false, { P_VALUE, P_VALUE }, fn_gt },
  { "html", 1, true, { P_ANY }, fn_html },
  { "index", 2, true, { P_VALUE, P_VALUE }, fn_index },
  { "js", 1, true, { P_ANY }, fn_js },
  { "le", 2, false, { P_VALUE, P_VALUE }, fn_le },
  { "len", 1, false, { P_VALUE }, fn_len },
  { "lt", 2, false, { P_VALUE, P_VALUE }, fn_lt },
  { "ne", 2, false, { P_VALUE, P_VALUE }, fn_ne },
  { "not", 1, false, { P_VALUE }, fn_not },
  { "or", 2, true, { P_VALUE, P_VALUE }, NULL },
  { "print", 1, true, { P_ANY }, fn_print },
  { "printf", 2, true, { P_STRING, P_ANY }, fn_printf },
  { "println", 1, true, { P_ANY }, fn_println },
  { "slice", 2, true, { P_VALUE, P_VALUE }, fn_slice },
  { "urlquery", 1, true, { P_ANY }, fn_urlquery },
  /* podman's report.DefaultFuncs */
  { "join", 2, false, { P_STRV, P_STRING }, fn_join },
  { "json", 1, false, { P_ANY }, fn_json },
  { "lower", 1, false, { P_STRING }, fn_lower },
  { "pad", 3, false, { P_STRING, P_INT, P_INT }, fn_pad },
  { "split", 2, false, { P_STRING, P_STRING }, fn_split },
  { "title", 1, false, { P_STRING }, fn_title },
  { "truncate", 2, false, { P_STRING, P_INT }, fn_truncate },
  { "upper", 1, false, { P_STRING }, fn_upper },
  /* skiff */
  { "contains", 2, false, { P_STRING, P_STRING }, fn_contains },
};

const struct builtin *
fmt_builtin_find (const char *name, size_t len)
{
  for (size_t i = 0; i < ARRAY_SIZE (builtins); i++)
    if (strlen (builtins[i].name) == len && memcmp (builtins[i].name, name, len) == 0)
      return &builtins[i];
  return NULL;
}

bool
fmt_builtin_exists (const char *name, size_t len)
{
  return fmt_builtin_find (name, len) != NULL;
}
