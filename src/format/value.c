/* --format engine helpers shared by all its files: growable strings, UTF-8 decoding and rune classes,
 * and values as Go's reflect.Value sees them over json-c. */
#include <locale.h>
#include <stdarg.h>
#include <string.h>
#include <wctype.h>

#include "format/format_internal.h"

/* ------------------------------------------------------------------------------------------------ */
/* growable strings                                                                                  */

static void
sb_grow (struct sbuf *b, size_t add)
{
  if (b->len + add + 1 <= b->cap)
    return;
  size_t cap = b->cap ? b->cap * 2 : 64;
  while (cap < b->len + add + 1)
    cap *= 2;
  b->s = xrealloc (b->s, cap);
  b->cap = cap;
}

void
fmt_sb_addn (struct sbuf *b, const char *s, size_t n)
{
  sb_grow (b, n);
  if (n)
    memcpy (b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void
fmt_sb_adds (struct sbuf *b, const char *s)
{
  fmt_sb_addn (b, s, strlen (s));
}

void
fmt_sb_addc (struct sbuf *b, char c)
{
  fmt_sb_addn (b, &c, 1);
}

void
fmt_sb_repeat (struct sbuf *b, char c, size_t n)
{
  sb_grow (b, n);
  memset (b->s + b->len, c, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void
fmt_sb_printf (struct sbuf *b, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *s = NULL;
  int n = vasprintf (&s, fmt, ap);
  va_end (ap);
  if (n < 0)
    abort ();
  fmt_sb_addn (b, s, (size_t) n);
  free (s);
}

/* The buffer's string, never NULL; the buffer is emptied. */
char *
fmt_sb_steal (struct sbuf *b)
{
  if (b->s == NULL)
    return xstrdup ("");
  char *s = b->s;
  b->s = NULL;
  b->len = b->cap = 0;
  return s;
}

void
fmt_sb_release (struct sbuf *b)
{
  free (b->s);
  b->s = NULL;
  b->len = b->cap = 0;
}

/* ------------------------------------------------------------------------------------------------ */
/* UTF-8                                                                                             */

/* Decode one rune at s[0..n); *w gets its width (1 for an invalid byte, which decodes to U+FFFD). */
uint32_t
fmt_utf8_decode (const unsigned char *s, size_t n, size_t *w)
{
  if (n == 0)
    {
      *w = 0;
      return 0;
    }
  unsigned char c = s[0];
  if (c < 0x80)
    {
      *w = 1;
      return c;
    }
  size_t need;
  uint32_t r, min;
  if ((c & 0xE0) == 0xC0)
    need = 2, r = c & 0x1F, min = 0x80;
  else if ((c & 0xF0) == 0xE0)
    need = 3, r = c & 0x0F, min = 0x800;
  else if ((c & 0xF8) == 0xF0)
    need = 4, r = c & 0x07, min = 0x10000;
  else
    {
      *w = 1;
      return RUNE_ERROR;
    }
  if (n < need)
    {
      *w = 1;
      return RUNE_ERROR;
    }
  for (size_t i = 1; i < need; i++)
    {
      if ((s[i] & 0xC0) != 0x80)
        {
          *w = 1;
          return RUNE_ERROR;
        }
      r = (r << 6) | (s[i] & 0x3F);
    }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
    {
      *w = 1;
      return RUNE_ERROR;
    }
  *w = need;
  return r;
}

void
fmt_utf8_encode (struct sbuf *b, uint32_t r)
{
  char buf[4];
  size_t n;
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
    r = RUNE_ERROR;
  if (r < 0x80)
    buf[0] = (char) r, n = 1;
  else if (r < 0x800)
    buf[0] = (char) (0xC0 | (r >> 6)), buf[1] = (char) (0x80 | (r & 0x3F)), n = 2;
  else if (r < 0x10000)
    buf[0] = (char) (0xE0 | (r >> 12)), buf[1] = (char) (0x80 | ((r >> 6) & 0x3F)), buf[2] = (char) (0x80 | (r & 0x3F)),
    n = 3;
  else
    buf[0] = (char) (0xF0 | (r >> 18)), buf[1] = (char) (0x80 | ((r >> 12) & 0x3F)),
    buf[2] = (char) (0x80 | ((r >> 6) & 0x3F)), buf[3] = (char) (0x80 | (r & 0x3F)), n = 4;
  fmt_sb_addn (b, buf, n);
}

size_t
fmt_utf8_count (const char *s, size_t n)
{
  size_t c = 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char) s[i] & 0xC0) != 0x80)
      c++;
  return c;
}

/* Go's unicode.IsPrint / strconv.IsPrint, exact for ASCII and Latin-1, approximate above. */
bool
fmt_rune_is_print (uint32_t r)
{
  if (r < 0x20 || r == 0x7F)
    return false;
  if (r < 0x7F)
    return true;
  if (r < 0xA0 || r == 0xAD)
    return false;
  if (r == 0x2028 || r == 0x2029 || r == 0xFEFF || (r >= 0xE000 && r <= 0xF8FF))
    return false;
  if ((r >= 0x200B && r <= 0x200F) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2060 && r <= 0x206F))
    return false;
  return true;
}

static locale_t utf8_locale (void);

/* Go's unicode.IsLetter (glibc's alpha class above ASCII) */
bool
fmt_rune_is_letter (uint32_t r)
{
  if (r < 0x80)
    return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
  locale_t loc = utf8_locale ();
  if (loc == (locale_t) 0)
    return r != RUNE_ERROR;
  return iswalpha_l ((wint_t) r, loc) && !iswdigit_l ((wint_t) r, loc);
}

bool
fmt_rune_is_digit (uint32_t r)
{
  return r >= '0' && r <= '9';
}

/* glibc's built-in C.UTF-8 locale, for Unicode character classes and case mapping; 0 when absent */
static locale_t
utf8_locale (void)
{
  static locale_t cached;
  static bool tried;
  locale_t l = __atomic_load_n (&cached, __ATOMIC_ACQUIRE);
  if (l != (locale_t) 0 || __atomic_load_n (&tried, __ATOMIC_ACQUIRE))
    return l;
  l = newlocale (LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
  locale_t expected = (locale_t) 0;
  if (l != (locale_t) 0
      && !__atomic_compare_exchange_n (&cached, &expected, l, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
    {
      freelocale (l);
      l = expected;
    }
  __atomic_store_n (&tried, true, __ATOMIC_RELEASE);
  return l;
}

/* Unicode case mapping for one rune (ASCII only if the C.UTF-8 locale is missing) */
uint32_t
fmt_rune_map_case (uint32_t r, bool upper)
{
  if (r < 0x80)
    {
      if (upper && r >= 'a' && r <= 'z')
        return r - 32;
      if (!upper && r >= 'A' && r <= 'Z')
        return r + 32;
      return r;
    }
  locale_t loc = utf8_locale ();
  if (loc == (locale_t) 0)
    return r;
  return (uint32_t) (upper ? towupper_l ((wint_t) r, loc) : towlower_l ((wint_t) r, loc));
}

/* strings.ToUpper / ToLower: rune by rune; invalid bytes become U+FFFD as strings.Map writes them */
char *
fmt_str_map_case (const char *s, size_t n, bool upper, size_t *outlen)
{
  struct sbuf b = { 0 };
  fmt_sb_addn (&b, "", 0);
  for (size_t i = 0; i < n;)
    {
      size_t w;
      uint32_t r = fmt_utf8_decode ((const unsigned char *) s + i, n - i, &w);
      fmt_utf8_encode (&b, fmt_rune_map_case (r, upper));
      i += w;
    }
  *outlen = b.len;
  return fmt_sb_steal (&b);
}

/* Go's unicode.IsSpace above ASCII */
bool
fmt_rune_is_unicode_space (uint32_t r)
{
  return r == 0x85 || r == 0xA0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200A) || r == 0x2028 || r == 0x2029
         || r == 0x202F || r == 0x205F || r == 0x3000;
}

/* ------------------------------------------------------------------------------------------------ */
/* values                                                                                            */

struct val
fmt_val_ref (json_object *j)
{
  return (struct val){ json_object_get (j), false };
}

struct val
fmt_val_take (json_object *j)
{
  return (struct val){ j, false };
}

struct val
fmt_val_dup (struct val v)
{
  json_object_get (v.j);
  return v;
}

void
fmt_val_drop (struct val *v)
{
  json_object_put (v->j);
  v->j = NULL;
}

enum vkind
fmt_jkind (json_object *j)
{
  if (j == NULL)
    return VK_NIL;
  switch (json_object_get_type (j))
    {
    case json_type_boolean:
      return VK_BOOL;
    case json_type_int:
      return VK_INT;
    case json_type_double:
      return VK_FLOAT;
    case json_type_string:
      return VK_STRING;
    case json_type_array:
      return VK_ARRAY;
    case json_type_object:
      return VK_MAP;
    case json_type_null:
    default:
      return VK_NIL;
    }
}

enum vkind
fmt_vkind (struct val v)
{
  return v.invalid ? VK_INVALID : fmt_jkind (v.j);
}

/* json-c keeps integers above INT64_MAX as unsigned */
bool
fmt_jint_unsigned (json_object *j, uint64_t *u)
{
  if (json_object_get_int64 (j) != INT64_MAX)
    return false;
  *u = json_object_get_uint64 (j);
  return *u > (uint64_t) INT64_MAX;
}

const char *
fmt_jstr (json_object *j, size_t *n)
{
  *n = (size_t) json_object_get_string_len (j);
  return json_object_get_string (j);
}

/* Go's reflect type names for what encoding/json would have decoded */
const char *
fmt_jtype_name (json_object *j)
{
  switch (fmt_jkind (j))
    {
    case VK_BOOL:
      return "bool";
    case VK_INT:
      {
        uint64_t u;
        return fmt_jint_unsigned (j, &u) ? "uint64" : "int";
      }
    case VK_FLOAT:
      return "float64";
    case VK_STRING:
      return "string";
    case VK_ARRAY:
      return "[]interface {}";
    case VK_MAP:
      return "map[string]interface {}";
    case VK_INVALID:
    case VK_NIL:
    default:
      return "interface {}";
    }
}

static bool
jtruth (json_object *j)
{
  switch (fmt_jkind (j))
    {
    case VK_BOOL:
      return json_object_get_boolean (j);
    case VK_INT:
      return json_object_get_int64 (j) != 0;
    case VK_FLOAT:
      return json_object_get_double (j) != 0;
    case VK_STRING:
      return json_object_get_string_len (j) > 0;
    case VK_ARRAY:
      return json_object_array_length (j) > 0;
    case VK_MAP:
      return json_object_object_length (j) > 0;
    case VK_INVALID:
    case VK_NIL:
    default:
      return false;
    }
}

/* text/template's truth: invalid and nil are false, empty values are false */
bool
fmt_val_truth (struct val v)
{
  return !v.invalid && jtruth (v.j);
}

static int
kv_cmp (const void *a, const void *b)
{
  const struct kv *x = a, *y = b;
  size_t n = x->klen < y->klen ? x->klen : y->klen;
  int c = memcmp (x->k, y->k, n);
  if (c)
    return c;
  return x->klen < y->klen ? -1 : x->klen > y->klen;
}

/* The object's entries sorted by key, as Go's fmt and range visit maps. */
struct kv *
fmt_sorted_entries (json_object *obj, size_t *n)
{
  size_t cnt = (size_t) json_object_object_length (obj), i = 0;
  struct kv *e = xmalloc0 ((cnt ? cnt : 1) * sizeof *e);
  json_object_object_foreach (obj, k, v)
  {
    e[i].k = k;
    e[i].klen = strlen (k);
    e[i].v = v;
    i++;
  }
  qsort (e, i, sizeof *e, kv_cmp);
  *n = i;
  return e;
}
