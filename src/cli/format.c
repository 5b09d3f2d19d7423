/* The one --format engine: Go's text/template (lexer, parser and executor ported from Go's
 * text/template and text/template/parse) over json-c values, podman's report package (table mode,
 * headers, NormalizeFormat, EnforceRange), Go's text/tabwriter and the YAML that `podman info` prints
 * (sigs.k8s.io/yaml over goyaml.v2). Messages, positions and printing rules follow Go's so that
 * skiff's output matches podman's byte for byte. */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>
#include <wctype.h>

#include "cli/format.h"

/* podman's report.NewWriterDefault / Formatter.Parse: tabwriter.NewWriter(w, 12, 2, 2, ' ', StripEscape) */
#define TW_MINWIDTH 12
#define TW_PADDING 2
#define TW_ESCAPE 0xff
/* goyaml.v2's default line width (best_width) and indentation */
#define YAML_BEST_WIDTH 80
#define YAML_INDENT 2
/* goyaml: longer keys are written as complex keys ("? key") */
#define YAML_SIMPLE_KEY_MAX 128

/* ------------------------------------------------------------------------------------------------ */
/* growable strings                                                                                  */

struct sbuf
{
  char *s;
  size_t len, cap;
};

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

static void
sb_addn (struct sbuf *b, const char *s, size_t n)
{
  sb_grow (b, n);
  if (n)
    memcpy (b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

static void
sb_adds (struct sbuf *b, const char *s)
{
  sb_addn (b, s, strlen (s));
}

static void
sb_addc (struct sbuf *b, char c)
{
  sb_addn (b, &c, 1);
}

static void
sb_repeat (struct sbuf *b, char c, size_t n)
{
  sb_grow (b, n);
  memset (b->s + b->len, c, n);
  b->len += n;
  b->s[b->len] = '\0';
}

static void sb_printf (struct sbuf *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void
sb_printf (struct sbuf *b, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *s = NULL;
  int n = vasprintf (&s, fmt, ap);
  va_end (ap);
  if (n < 0)
    abort ();
  sb_addn (b, s, (size_t) n);
  free (s);
}

/* The buffer's string, never NULL; the buffer is emptied. */
static char *
sb_steal (struct sbuf *b)
{
  if (b->s == NULL)
    return xstrdup ("");
  char *s = b->s;
  b->s = NULL;
  b->len = b->cap = 0;
  return s;
}

static void
sb_release (struct sbuf *b)
{
  free (b->s);
  b->s = NULL;
  b->len = b->cap = 0;
}

/* ------------------------------------------------------------------------------------------------ */
/* UTF-8                                                                                             */

#define RUNE_ERROR 0xFFFD

/* Decode one rune at s[0..n); *w gets its width (1 for an invalid byte, which decodes to U+FFFD). */
static uint32_t
utf8_decode (const unsigned char *s, size_t n, size_t *w)
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

static void
utf8_encode (struct sbuf *b, uint32_t r)
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
    buf[0] = (char) (0xE0 | (r >> 12)), buf[1] = (char) (0x80 | ((r >> 6) & 0x3F)),
    buf[2] = (char) (0x80 | (r & 0x3F)), n = 3;
  else
    buf[0] = (char) (0xF0 | (r >> 18)), buf[1] = (char) (0x80 | ((r >> 12) & 0x3F)),
    buf[2] = (char) (0x80 | ((r >> 6) & 0x3F)), buf[3] = (char) (0x80 | (r & 0x3F)), n = 4;
  sb_addn (b, buf, n);
}

static size_t
utf8_count (const char *s, size_t n)
{
  size_t c = 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char) s[i] & 0xC0) != 0x80)
      c++;
  return c;
}

/* Go's unicode.IsPrint / strconv.IsPrint, exact for ASCII and Latin-1, approximate above. */
static bool
rune_is_print (uint32_t r)
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
static bool
rune_is_letter (uint32_t r)
{
  if (r < 0x80)
    return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
  locale_t loc = utf8_locale ();
  if (loc == (locale_t) 0)
    return r != RUNE_ERROR;
  return iswalpha_l ((wint_t) r, loc) && !iswdigit_l ((wint_t) r, loc);
}

static bool
rune_is_digit (uint32_t r)
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
  if (l != (locale_t) 0 && !__atomic_compare_exchange_n (&cached, &expected, l, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
    {
      freelocale (l);
      l = expected;
    }
  __atomic_store_n (&tried, true, __ATOMIC_RELEASE);
  return l;
}

/* Unicode case mapping for one rune (ASCII only if the C.UTF-8 locale is missing) */
static uint32_t
rune_map_case (uint32_t r, bool upper)
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
static char *
str_map_case (const char *s, size_t n, bool upper, size_t *outlen)
{
  struct sbuf b = { 0 };
  sb_addn (&b, "", 0);
  for (size_t i = 0; i < n;)
    {
      size_t w;
      uint32_t r = utf8_decode ((const unsigned char *) s + i, n - i, &w);
      utf8_encode (&b, rune_map_case (r, upper));
      i += w;
    }
  *outlen = b.len;
  return sb_steal (&b);
}

/* Go's unicode.IsSpace above ASCII */
static bool
rune_is_unicode_space (uint32_t r)
{
  return r == 0x85 || r == 0xA0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200A) || r == 0x2028 || r == 0x2029
         || r == 0x202F || r == 0x205F || r == 0x3000;
}

/* ------------------------------------------------------------------------------------------------ */
/* Go's float formatting (strconv.FormatFloat)                                                       */

struct decimal_digits
{
  char d[40]; /* digits without leading/trailing zeros; nd == 0 means zero */
  int nd;
  int dp; /* decimal point position: value = 0.d * 10^dp */
};

/* Digits of |v| rounded to ndigits significant digits, or the shortest that round-trip (ndigits < 0). */
static void
float_digits (double v, int ndigits, struct decimal_digits *out)
{
  char buf[64];
  v = fabs (v);
  memset (out, 0, sizeof *out);
  if (v == 0)
    return;
  if (ndigits < 0)
    {
      for (int p = 1; p <= 17; p++)
        {
          snprintf (buf, sizeof buf, "%.*e", p - 1, v);
          if (strtod (buf, NULL) == v)
            break;
        }
    }
  else
    snprintf (buf, sizeof buf, "%.*e", ndigits > 0 ? ndigits - 1 : 0, v);
  /* buf: d[.ddd]e[+-]XX */
  int nd = 0;
  char *p = buf;
  for (; *p && *p != 'e'; p++)
    if (*p >= '0' && *p <= '9' && nd < (int) sizeof out->d - 1)
      out->d[nd++] = *p;
  int exp = *p == 'e' ? atoi (p + 1) : 0;
  while (nd > 0 && out->d[nd - 1] == '0')
    nd--;
  out->d[nd] = '\0';
  out->nd = nd;
  out->dp = nd ? exp + 1 : 0;
}

static void
fmt_e_digits (struct sbuf *b, const struct decimal_digits *d, int prec, char fmt)
{
  sb_addc (b, d->nd ? d->d[0] : '0');
  if (prec > 0)
    {
      sb_addc (b, '.');
      int i = 1;
      int m = d->nd < prec + 1 ? d->nd : prec + 1;
      if (i < m)
        {
          sb_addn (b, d->d + i, (size_t) (m - i));
          i = m;
        }
      for (; i <= prec; i++)
        sb_addc (b, '0');
    }
  sb_addc (b, fmt);
  int exp = d->dp - 1;
  if (d->nd == 0)
    exp = 0;
  if (exp < 0)
    {
      sb_addc (b, '-');
      exp = -exp;
    }
  else
    sb_addc (b, '+');
  if (exp < 10)
    sb_printf (b, "0%d", exp);
  else
    sb_printf (b, "%d", exp);
}

static void
fmt_f_digits (struct sbuf *b, const struct decimal_digits *d, int prec)
{
  if (d->dp > 0)
    {
      int m = d->nd < d->dp ? d->nd : d->dp;
      sb_addn (b, d->d, (size_t) m);
      for (; m < d->dp; m++)
        sb_addc (b, '0');
    }
  else
    sb_addc (b, '0');
  if (prec > 0)
    {
      sb_addc (b, '.');
      for (int i = 1; i <= prec; i++)
        {
          int j = d->dp + i - 1;
          sb_addc (b, (j >= 0 && j < d->nd) ? d->d[j] : '0');
        }
    }
}

/* strconv's fmtX (%x %X) and fmtB (%b) from the float's bits */
static void
go_format_float_bits (struct sbuf *b, double v, char fmt, int prec)
{
  uint64_t bits;
  memcpy (&bits, &v, sizeof bits);
  bool neg = bits >> 63;
  int exp = (int) ((bits >> 52) & 0x7FF);
  uint64_t mant = bits & ((UINT64_C (1) << 52) - 1);
  if (exp == 0)
    exp++;
  else
    mant |= UINT64_C (1) << 52;
  exp -= 1023;
  if (neg)
    sb_addc (b, '-');
  if (fmt == 'b')
    {
      sb_printf (b, "%" PRIu64 "p%s%d", mant, exp - 52 >= 0 ? "+" : "", exp - 52);
      return;
    }
  if (mant == 0)
    exp = 0;
  mant <<= 60 - 52;
  while (mant != 0 && (mant & (UINT64_C (1) << 60)) == 0)
    {
      mant <<= 1;
      exp--;
    }
  if (prec >= 0 && prec < 15)
    {
      unsigned shift = (unsigned) prec * 4;
      uint64_t extra = (mant << shift) & ((UINT64_C (1) << 60) - 1);
      mant >>= 60 - shift;
      if ((extra | (mant & 1)) > (UINT64_C (1) << 59))
        mant++;
      mant <<= 60 - shift;
      if (mant & (UINT64_C (1) << 61))
        {
          mant >>= 1;
          exp++;
        }
    }
  const char *hex = fmt == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  sb_addc (b, '0');
  sb_addc (b, fmt);
  sb_addc (b, (char) ('0' + ((mant >> 60) & 1)));
  mant <<= 4;
  if (prec < 0 && mant != 0)
    {
      sb_addc (b, '.');
      while (mant != 0)
        {
          sb_addc (b, hex[(mant >> 60) & 15]);
          mant <<= 4;
        }
    }
  else if (prec > 0)
    {
      sb_addc (b, '.');
      for (int i = 0; i < prec; i++)
        {
          sb_addc (b, hex[(mant >> 60) & 15]);
          mant <<= 4;
        }
    }
  sb_addc (b, fmt == 'X' ? 'P' : 'p');
  sb_addc (b, exp < 0 ? '-' : '+');
  sb_printf (b, "%02d", exp < 0 ? -exp : exp);
}

/* strconv.FormatFloat(v, fmt, prec, 64) for fmt in b e E f F g G x X; prec < 0 means shortest. */
static void
go_format_float (struct sbuf *b, double v, char fmt, int prec)
{
  if (isnan (v))
    {
      sb_adds (b, "NaN");
      return;
    }
  if (isinf (v))
    {
      sb_adds (b, v > 0 ? "+Inf" : "-Inf");
      return;
    }
  if (fmt == 'x' || fmt == 'X' || fmt == 'b')
    {
      go_format_float_bits (b, v, fmt, prec);
      return;
    }
  if (signbit (v))
    sb_addc (b, '-');
  bool shortest = prec < 0;
  struct decimal_digits d;
  if (fmt == 'F')
    fmt = 'f';
  if (!shortest && fmt == 'f')
    {
      char buf[512];
      snprintf (buf, sizeof buf, "%.*f", prec > 300 ? 300 : prec, fabs (v));
      sb_adds (b, buf);
      return;
    }
  if (shortest)
    float_digits (v, -1, &d);
  else
    {
      int digits = prec;
      if (fmt == 'e' || fmt == 'E')
        digits++;
      else if (prec == 0)
        digits = prec = 1;
      float_digits (v, digits > 17 ? 17 : digits, &d);
    }
  if (shortest)
    {
      if (fmt == 'e' || fmt == 'E')
        prec = d.nd > 1 ? d.nd - 1 : 0;
      else if (fmt == 'f')
        prec = d.nd - d.dp > 0 ? d.nd - d.dp : 0;
      else
        prec = d.nd;
    }
  switch (fmt)
    {
    case 'e':
    case 'E':
      fmt_e_digits (b, &d, prec, fmt);
      return;
    case 'f':
      fmt_f_digits (b, &d, prec);
      return;
    default:
      {
        int eprec = prec;
        if (eprec > d.nd && d.nd >= d.dp)
          eprec = d.nd;
        if (shortest)
          eprec = 6;
        int exp = d.dp - 1;
        if (exp < -4 || exp >= eprec)
          {
            if (prec > d.nd)
              prec = d.nd;
            fmt_e_digits (b, &d, prec - 1 > 0 ? prec - 1 : 0, fmt == 'G' ? 'E' : 'e');
            return;
          }
        if (prec > d.dp)
          prec = d.nd;
        fmt_f_digits (b, &d, prec - d.dp > 0 ? prec - d.dp : 0);
      }
    }
}

/* encoding/json's float64 encoder */
static void
json_format_float (struct sbuf *b, double v)
{
  double a = fabs (v);
  if (a != 0 && (a < 1e-6 || a >= 1e21))
    {
      struct sbuf t = { 0 };
      go_format_float (&t, v, 'e', -1);
      /* clean up e-09 to e-9 */
      size_t n = t.len;
      if (n >= 4 && t.s[n - 4] == 'e' && t.s[n - 3] == '-' && t.s[n - 2] == '0')
        {
          t.s[n - 2] = t.s[n - 1];
          t.s[--t.len] = '\0';
        }
      sb_addn (b, t.s, t.len);
      sb_release (&t);
    }
  else
    go_format_float (b, v, 'f', -1);
}

/* strconv.Quote (quote '"'), strconv.QuoteRune-ish for '\'' */
static void
go_quote (struct sbuf *b, const char *s, size_t n, char quote)
{
  static const char hex[] = "0123456789abcdef";
  sb_addc (b, quote);
  for (size_t i = 0; i < n;)
    {
      size_t w;
      uint32_t r = utf8_decode ((const unsigned char *) s + i, n - i, &w);
      if (r == RUNE_ERROR && w == 1)
        {
          unsigned char c = (unsigned char) s[i];
          sb_adds (b, "\\x");
          sb_addc (b, hex[c >> 4]);
          sb_addc (b, hex[c & 15]);
          i++;
          continue;
        }
      i += w;
      if (r == (uint32_t) quote || r == '\\')
        {
          sb_addc (b, '\\');
          sb_addc (b, (char) r);
          continue;
        }
      if (rune_is_print (r))
        {
          utf8_encode (b, r);
          continue;
        }
      switch (r)
        {
        case '\a':
          sb_adds (b, "\\a");
          break;
        case '\b':
          sb_adds (b, "\\b");
          break;
        case '\f':
          sb_adds (b, "\\f");
          break;
        case '\n':
          sb_adds (b, "\\n");
          break;
        case '\r':
          sb_adds (b, "\\r");
          break;
        case '\t':
          sb_adds (b, "\\t");
          break;
        case '\v':
          sb_adds (b, "\\v");
          break;
        default:
          if (r < ' ' || r == 0x7F)
            sb_printf (b, "\\x%c%c", hex[r >> 4], hex[r & 15]);
          else if (r < 0x10000)
            sb_printf (b, "\\u%04" PRIx32, r);
          else
            sb_printf (b, "\\U%08" PRIx32, r);
        }
    }
  sb_addc (b, quote);
}

/* ------------------------------------------------------------------------------------------------ */
/* values                                                                                            */

/* A value as Go's reflect.Value sees it, for data decoded into interface{}: invalid (Go's zero Value:
 * a missing map key, Execute(nil), the result of a pipeline that yields nil), a nil interface (JSON
 * null met inside the data), or a JSON value. j is an owned reference. */
struct val
{
  json_object *j;
  bool invalid;
};

#define VAL_INVALID ((struct val){ NULL, true })

enum vkind
{
  VK_INVALID,
  VK_NIL,
  VK_BOOL,
  VK_INT,
  VK_FLOAT,
  VK_STRING,
  VK_ARRAY,
  VK_MAP,
};

static struct val
val_ref (json_object *j)
{
  return (struct val){ json_object_get (j), false };
}

static struct val
val_take (json_object *j)
{
  return (struct val){ j, false };
}

static struct val
val_dup (struct val v)
{
  json_object_get (v.j);
  return v;
}

static void
val_drop (struct val *v)
{
  json_object_put (v->j);
  v->j = NULL;
}

static enum vkind
jkind (json_object *j)
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
    default:
      return VK_NIL;
    }
}

static enum vkind
vkind (struct val v)
{
  return v.invalid ? VK_INVALID : jkind (v.j);
}

/* json-c keeps integers above INT64_MAX as unsigned */
static bool
jint_unsigned (json_object *j, uint64_t *u)
{
  if (json_object_get_int64 (j) != INT64_MAX)
    return false;
  *u = json_object_get_uint64 (j);
  return *u > (uint64_t) INT64_MAX;
}

static const char *
jstr (json_object *j, size_t *n)
{
  *n = (size_t) json_object_get_string_len (j);
  return json_object_get_string (j);
}

/* Go's reflect type names for what encoding/json would have decoded */
static const char *
jtype_name (json_object *j)
{
  switch (jkind (j))
    {
    case VK_BOOL:
      return "bool";
    case VK_INT:
      {
        uint64_t u;
        return jint_unsigned (j, &u) ? "uint64" : "int";
      }
    case VK_FLOAT:
      return "float64";
    case VK_STRING:
      return "string";
    case VK_ARRAY:
      return "[]interface {}";
    case VK_MAP:
      return "map[string]interface {}";
    default:
      return "interface {}";
    }
}

static bool
jtruth (json_object *j)
{
  switch (jkind (j))
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
    default:
      return false;
    }
}

/* text/template's truth: invalid and nil are false, empty values are false */
static bool
val_truth (struct val v)
{
  return !v.invalid && jtruth (v.j);
}

struct kv
{
  const char *k;
  size_t klen;
  json_object *v;
};

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
static struct kv *
sorted_entries (json_object *obj, size_t *n)
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

/* ------------------------------------------------------------------------------------------------ */
/* Go's fmt over JSON values                                                                         */

struct fmtflags
{
  bool plus, minus, sharp, space, zero;
  bool sharp_v; /* %#v: Go syntax */
  bool wid_present, prec_present;
  int wid, prec;
};

static void
fmt_padding (struct sbuf *b, const struct fmtflags *f, int n)
{
  if (n <= 0)
    return;
  sb_repeat (b, f->zero ? '0' : ' ', (size_t) n);
}

static void
fmt_pad (struct sbuf *b, const struct fmtflags *f, const char *s, size_t n)
{
  if (!f->wid_present || f->wid == 0)
    {
      sb_addn (b, s, n);
      return;
    }
  int width = f->wid - (int) utf8_count (s, n);
  if (!f->minus)
    {
      fmt_padding (b, f, width);
      sb_addn (b, s, n);
    }
  else
    {
      sb_addn (b, s, n);
      fmt_padding (b, f, width);
    }
}

static void fmt_arg (struct sbuf *b, struct fmtflags *f, json_object *j, bool is_nil, uint32_t verb, int depth);

static void
fmt_bad_verb (struct sbuf *b, struct fmtflags *f, json_object *j, bool is_nil, uint32_t verb)
{
  sb_adds (b, "%!");
  utf8_encode (b, verb);
  sb_addc (b, '(');
  if (is_nil)
    sb_adds (b, "<nil>");
  else
    {
      sb_adds (b, jtype_name (j));
      sb_addc (b, '=');
      fmt_arg (b, f, j, false, 'v', 0);
    }
  sb_addc (b, ')');
}

/* fmt.fmtInteger */
static void
fmt_integer (struct sbuf *b, struct fmtflags *f, uint64_t u, bool is_signed, int base, uint32_t verb,
             const char *digits)
{
  bool negative = is_signed && (int64_t) u < 0;
  if (negative)
    u = -u;
  char tmp[200];
  char *buf = tmp;
  size_t cap = sizeof tmp;
  if (f->wid_present || f->prec_present)
    {
      size_t width = 3 + (size_t) f->wid + (size_t) f->prec;
      if (width > cap)
        {
          buf = xmalloc (width);
          cap = width;
        }
    }
  int prec = 0;
  if (f->prec_present)
    {
      prec = f->prec;
      if (prec == 0 && u == 0)
        {
          bool oz = f->zero;
          f->zero = false;
          fmt_padding (b, f, f->wid);
          f->zero = oz;
          if (buf != tmp)
            free (buf);
          return;
        }
    }
  else if (f->zero && !f->minus && f->wid_present)
    {
      prec = f->wid;
      if (negative || f->plus || f->space)
        prec--;
    }
  size_t i = cap;
  while (u >= (uint64_t) base)
    {
      buf[--i] = digits[u % (uint64_t) base];
      u /= (uint64_t) base;
    }
  buf[--i] = digits[u];
  while (i > 0 && prec > (int) (cap - i))
    buf[--i] = '0';
  if (f->sharp)
    {
      if (base == 2)
        {
          buf[--i] = 'b';
          buf[--i] = '0';
        }
      else if (base == 8)
        {
          if (buf[i] != '0')
            buf[--i] = '0';
        }
      else if (base == 16)
        {
          buf[--i] = digits[16];
          buf[--i] = '0';
        }
    }
  if (verb == 'O')
    {
      buf[--i] = 'o';
      buf[--i] = '0';
    }
  if (negative)
    buf[--i] = '-';
  else if (f->plus)
    buf[--i] = '+';
  else if (f->space)
    buf[--i] = ' ';
  bool oz = f->zero;
  f->zero = false;
  fmt_pad (b, f, buf + i, cap - i);
  f->zero = oz;
  if (buf != tmp)
    free (buf);
}

/* fmt.fmtFloat */
static void
fmt_float (struct sbuf *b, struct fmtflags *f, double v, char verb, int prec)
{
  if (f->prec_present)
    prec = f->prec;
  struct sbuf num = { 0 };
  go_format_float (&num, v, verb, prec);
  /* num with an explicit sign in front */
  struct sbuf s = { 0 };
  if (num.s[0] == '-' || num.s[0] == '+')
    sb_addn (&s, num.s, num.len);
  else
    {
      sb_addc (&s, '+');
      sb_addn (&s, num.s, num.len);
    }
  sb_release (&num);
  if (f->space && s.s[0] == '+' && !f->plus)
    s.s[0] = ' ';
  if (f->sharp && verb != 'b' && s.s[1] != 'I' && s.s[1] != 'N')
    {
      /* '#': always a decimal point, and %g keeps its trailing zeros (6 digits by default) */
      int digits = 0;
      if (verb == 'g' || verb == 'G' || verb == 'x')
        digits = prec == -1 ? 6 : prec;
      struct sbuf tail = { 0 };
      bool has_point = false, nonzero = false;
      for (size_t i = 1; i < s.len; i++)
        {
          char c = s.s[i];
          if (c == '.')
            has_point = true;
          else if (c == 'p' || c == 'P' || ((c == 'e' || c == 'E') && verb != 'x' && verb != 'X'))
            {
              sb_addn (&tail, s.s + i, s.len - i);
              s.len = i;
              s.s[i] = '\0';
              break;
            }
          else
            {
              if (c != '0')
                nonzero = true;
              if (nonzero)
                digits--;
            }
        }
      if (!has_point)
        {
          if (s.len == 2 && s.s[1] == '0')
            digits--;
          sb_addc (&s, '.');
        }
      for (; digits > 0; digits--)
        sb_addc (&s, '0');
      if (tail.s)
        sb_addn (&s, tail.s, tail.len);
      sb_release (&tail);
    }
  if (s.s[1] == 'I' || s.s[1] == 'N')
    {
      bool oz = f->zero;
      f->zero = false;
      if (s.s[1] == 'N' && !f->space && !f->plus)
        fmt_pad (b, f, s.s + 1, s.len - 1);
      else
        fmt_pad (b, f, s.s, s.len);
      f->zero = oz;
      sb_release (&s);
      return;
    }
  if (f->plus || s.s[0] != '+')
    {
      if (f->zero && !f->minus && f->wid_present && f->wid > (int) s.len)
        {
          sb_addc (b, s.s[0]);
          fmt_padding (b, f, f->wid - (int) s.len);
          sb_addn (b, s.s + 1, s.len - 1);
        }
      else
        fmt_pad (b, f, s.s, s.len);
    }
  else
    fmt_pad (b, f, s.s + 1, s.len - 1);
  sb_release (&s);
}

static void
fmt_string (struct sbuf *b, struct fmtflags *f, const char *s, size_t n, uint32_t verb)
{
  switch (verb)
    {
    case 'v':
    case 's':
      {
        size_t len = n;
        if (f->prec_present)
          {
            /* truncate to prec runes */
            size_t i = 0;
            int runes = 0;
            while (i < n && runes < f->prec)
              {
                size_t w;
                utf8_decode ((const unsigned char *) s + i, n - i, &w);
                i += w;
                runes++;
              }
            len = i;
          }
        fmt_pad (b, f, s, len);
        return;
      }
    case 'x':
    case 'X':
      {
        const char *digits = verb == 'x' ? "0123456789abcdef" : "0123456789ABCDEF";
        size_t len = n;
        if (f->prec_present && (size_t) f->prec < len)
          len = (size_t) f->prec;
        struct sbuf t = { 0 };
        for (size_t i = 0; i < len; i++)
          {
            if (f->space && i > 0)
              sb_addc (&t, ' ');
            if (f->sharp && (f->space || i == 0))
              {
                sb_addc (&t, '0');
                sb_addc (&t, (char) verb);
              }
            unsigned char c = (unsigned char) s[i];
            sb_addc (&t, digits[c >> 4]);
            sb_addc (&t, digits[c & 15]);
          }
        fmt_pad (b, f, t.s ? t.s : "", t.len);
        sb_release (&t);
        return;
      }
    case 'q':
      {
        struct sbuf t = { 0 };
        size_t len = n;
        if (f->prec_present)
          {
            size_t i = 0;
            int runes = 0;
            while (i < n && runes < f->prec)
              {
                size_t w;
                utf8_decode ((const unsigned char *) s + i, n - i, &w);
                i += w;
                runes++;
              }
            len = i;
          }
        if (f->sharp && memchr (s, '`', len) == NULL)
          {
            bool ok = true;
            for (size_t i = 0; i < len; i++)
              if (((unsigned char) s[i] < ' ' && s[i] != '\t') || s[i] == 0x7F)
                ok = false;
            if (ok)
              {
                sb_addc (&t, '`');
                sb_addn (&t, s, len);
                sb_addc (&t, '`');
                fmt_pad (b, f, t.s, t.len);
                sb_release (&t);
                return;
              }
          }
        go_quote (&t, s, len, '"');
        fmt_pad (b, f, t.s, t.len);
        sb_release (&t);
        return;
      }
    }
}

/* printValue for an element of a composite: nil interfaces print "<nil>" unpadded */
static void
fmt_elem (struct sbuf *b, struct fmtflags *f, json_object *j, uint32_t verb, int depth)
{
  if (j == NULL)
    {
      sb_adds (b, f->sharp_v ? "interface {}(nil)" : "<nil>");
      return;
    }
  fmt_arg (b, f, j, false, verb, depth);
}

static void
fmt_arg (struct sbuf *b, struct fmtflags *f, json_object *j, bool is_nil, uint32_t verb, int depth)
{
  if (is_nil || j == NULL)
    {
      if (verb == 'T' || verb == 'v')
        fmt_pad (b, f, "<nil>", 5);
      else
        fmt_bad_verb (b, f, NULL, true, verb);
      return;
    }
  if (verb == 'T')
    {
      const char *t = jtype_name (j);
      fmt_pad (b, f, t, strlen (t));
      return;
    }
  switch (jkind (j))
    {
    case VK_BOOL:
      if (verb == 't' || verb == 'v')
        {
          const char *s = json_object_get_boolean (j) ? "true" : "false";
          fmt_pad (b, f, s, strlen (s));
        }
      else
        fmt_bad_verb (b, f, j, false, verb);
      return;
    case VK_INT:
      {
        uint64_t u;
        bool is_signed = true;
        if (jint_unsigned (j, &u))
          is_signed = false;
        else
          u = (uint64_t) json_object_get_int64 (j);
        switch (verb)
          {
          case 'v':
            if (f->sharp_v && !is_signed)
              {
                bool os = f->sharp;
                f->sharp = true;
                fmt_integer (b, f, u, false, 16, verb, "0123456789abcdefx");
                f->sharp = os;
                return;
              }
            fmt_integer (b, f, u, is_signed, 10, verb, "0123456789abcdefx");
            return;
          case 'd':
            fmt_integer (b, f, u, is_signed, 10, verb, "0123456789abcdefx");
            return;
          case 'b':
            fmt_integer (b, f, u, is_signed, 2, verb, "0123456789abcdefx");
            return;
          case 'o':
          case 'O':
            fmt_integer (b, f, u, is_signed, 8, verb, "0123456789abcdefx");
            return;
          case 'x':
            fmt_integer (b, f, u, is_signed, 16, verb, "0123456789abcdefx");
            return;
          case 'X':
            fmt_integer (b, f, u, is_signed, 16, verb, "0123456789ABCDEFX");
            return;
          case 'c':
            {
              struct sbuf t = { 0 };
              utf8_encode (&t, u > 0x10FFFF ? RUNE_ERROR : (uint32_t) u);
              fmt_pad (b, f, t.s, t.len);
              sb_release (&t);
              return;
            }
          case 'q':
            {
              struct sbuf r = { 0 }, t = { 0 };
              utf8_encode (&r, u > 0x10FFFF ? RUNE_ERROR : (uint32_t) u);
              go_quote (&t, r.s, r.len, '\'');
              fmt_pad (b, f, t.s, t.len);
              sb_release (&r);
              sb_release (&t);
              return;
            }
          case 'U':
            {
              char t[32];
              int n = snprintf (t, sizeof t, "U+%04" PRIX64, u);
              fmt_pad (b, f, t, (size_t) n);
              return;
            }
          default:
            fmt_bad_verb (b, f, j, false, verb);
            return;
          }
      }
    case VK_FLOAT:
      {
        double d = json_object_get_double (j);
        switch (verb)
          {
          case 'v':
            fmt_float (b, f, d, 'g', -1);
            return;
          case 'b':
          case 'g':
          case 'G':
          case 'x':
          case 'X':
            fmt_float (b, f, d, (char) verb, -1);
            return;
          case 'f':
          case 'F':
          case 'e':
          case 'E':
            fmt_float (b, f, d, (char) verb, 6);
            return;
          default:
            fmt_bad_verb (b, f, j, false, verb);
            return;
          }
      }
    case VK_STRING:
      {
        size_t n;
        const char *s = jstr (j, &n);
        if (verb == 'v' && f->sharp_v)
          {
            bool os = f->sharp;
            f->sharp = false;
            fmt_string (b, f, s, n, 'q');
            f->sharp = os;
          }
        else if (verb == 'v' || verb == 's' || verb == 'x' || verb == 'X' || verb == 'q')
          fmt_string (b, f, s, n, verb);
        else
          fmt_bad_verb (b, f, j, false, verb);
        return;
      }
    case VK_ARRAY:
      {
        sb_adds (b, f->sharp_v ? "[]interface {}{" : "[");
        size_t n = json_object_array_length (j);
        for (size_t i = 0; i < n; i++)
          {
            if (i > 0)
              sb_adds (b, f->sharp_v ? ", " : " ");
            fmt_elem (b, f, json_object_array_get_idx (j, i), verb, depth + 1);
          }
        sb_addc (b, f->sharp_v ? '}' : ']');
        return;
      }
    case VK_MAP:
      {
        size_t n;
        struct kv *e = sorted_entries (j, &n);
        sb_adds (b, f->sharp_v ? "map[string]interface {}{" : "map[");
        for (size_t i = 0; i < n; i++)
          {
            if (i > 0)
              sb_adds (b, f->sharp_v ? ", " : " ");
            json_object *k = json_object_new_string_len (e[i].k, (int) e[i].klen);
            fmt_arg (b, f, k, false, verb, depth + 1);
            json_object_put (k);
            sb_addc (b, ':');
            fmt_elem (b, f, e[i].v, verb, depth + 1);
          }
        sb_addc (b, f->sharp_v ? '}' : ']');
        free (e);
        return;
      }
    default:
      return;
    }
}

/* fmt.Sprint(v) as text/template prints an action's value */
static void
print_value (struct sbuf *b, struct val v)
{
  if (v.invalid)
    {
      sb_adds (b, "<no value>");
      return;
    }
  struct fmtflags f = { 0 };
  fmt_arg (b, &f, v.j, v.j == NULL, 'v', 0);
}

/* An argument of print/printf/println: Go gets interface{}, so invalid and nil are both nil. */
struct farg
{
  json_object *j;
  bool is_nil;
};

static bool
farg_is_string (const struct farg *a)
{
  return !a->is_nil && jkind (a->j) == VK_STRING;
}

/* fmt.Sprint */
static void
go_sprint (struct sbuf *b, const struct farg *a, size_t n)
{
  bool prev_string = false;
  for (size_t i = 0; i < n; i++)
    {
      bool is_string = farg_is_string (&a[i]);
      if (i > 0 && !is_string && !prev_string)
        sb_addc (b, ' ');
      struct fmtflags f = { 0 };
      fmt_arg (b, &f, a[i].j, a[i].is_nil, 'v', 0);
      prev_string = is_string;
    }
}

/* fmt.Sprintln */
static void
go_sprintln (struct sbuf *b, const struct farg *a, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      if (i > 0)
        sb_addc (b, ' ');
      struct fmtflags f = { 0 };
      fmt_arg (b, &f, a[i].j, a[i].is_nil, 'v', 0);
    }
  sb_addc (b, '\n');
}

static bool
parsenum (const char *s, size_t *i, size_t end, int *num)
{
  if (*i >= end || !isdigit ((unsigned char) s[*i]))
    return false;
  *num = 0;
  while (*i < end && isdigit ((unsigned char) s[*i]))
    {
      if (*num > 1000000)
        return false; /* Go: "Overflow"; treated as no number */
      *num = *num * 10 + (s[*i] - '0');
      (*i)++;
    }
  return true;
}

struct printf_state
{
  bool reordered, good_arg_num;
};

static size_t
arg_number (struct printf_state *ps, size_t arg_num, const char *format, size_t *i, size_t end, size_t nargs,
            bool *found)
{
  *found = false;
  if (*i >= end || format[*i] != '[')
    return arg_num;
  ps->reordered = true;
  /* [n] */
  size_t j = *i + 1;
  for (; j < end; j++)
    if (format[j] == ']')
      break;
  if (j >= end)
    {
      (*i)++;
      ps->good_arg_num = false;
      return arg_num;
    }
  size_t k = *i + 1;
  int width;
  bool ok = parsenum (format, &k, j, &width) && k == j;
  size_t wid = j - *i + 1;
  if (ok && width - 1 >= 0 && (size_t) (width - 1) < nargs)
    {
      *i += wid;
      *found = true;
      return (size_t) (width - 1);
    }
  ps->good_arg_num = false;
  *i += wid;
  *found = ok;
  return arg_num;
}

static bool
int_from_arg (const struct farg *a, size_t n, size_t *arg_num, int *num)
{
  bool ok = false;
  *num = 0;
  if (*arg_num < n)
    {
      if (!a[*arg_num].is_nil && jkind (a[*arg_num].j) == VK_INT)
        {
          int64_t v = json_object_get_int64 (a[*arg_num].j);
          if (v > -1000000 && v < 1000000)
            {
              *num = (int) v;
              ok = true;
            }
        }
      (*arg_num)++;
    }
  return ok;
}

/* fmt.Sprintf */
static void
go_sprintf (struct sbuf *b, const char *format, size_t end, const struct farg *a, size_t nargs)
{
  size_t arg_num = 0;
  bool after_index = false;
  struct printf_state ps = { false, true };
  for (size_t i = 0; i < end;)
    {
      ps.good_arg_num = true;
      size_t lasti = i;
      while (i < end && format[i] != '%')
        i++;
      if (i > lasti)
        sb_addn (b, format + lasti, i - lasti);
      if (i >= end)
        break;
      i++;
      struct fmtflags f = { 0 };
      for (; i < end; i++)
        {
          char c = format[i];
          if (c == '#')
            f.sharp = true;
          else if (c == '0')
            f.zero = !f.minus;
          else if (c == '+')
            f.plus = true;
          else if (c == '-')
            {
              f.minus = true;
              f.zero = false;
            }
          else if (c == ' ')
            f.space = true;
          else
            break;
        }
      arg_num = arg_number (&ps, arg_num, format, &i, end, nargs, &after_index);
      if (i < end && format[i] == '*')
        {
          i++;
          f.wid_present = int_from_arg (a, nargs, &arg_num, &f.wid);
          if (!f.wid_present)
            sb_adds (b, "%!(BADWIDTH)");
          if (f.wid < 0)
            {
              f.wid = -f.wid;
              f.minus = true;
              f.zero = false;
            }
          after_index = false;
        }
      else
        {
          f.wid_present = parsenum (format, &i, end, &f.wid);
          if (after_index && f.wid_present)
            ps.good_arg_num = false;
        }
      if (i + 1 < end && format[i] == '.')
        {
          i++;
          if (after_index)
            ps.good_arg_num = false;
          arg_num = arg_number (&ps, arg_num, format, &i, end, nargs, &after_index);
          if (i < end && format[i] == '*')
            {
              i++;
              f.prec_present = int_from_arg (a, nargs, &arg_num, &f.prec);
              if (f.prec < 0)
                {
                  f.prec = 0;
                  f.prec_present = false;
                }
              if (!f.prec_present)
                sb_adds (b, "%!(BADPREC)");
              after_index = false;
            }
          else
            {
              f.prec_present = parsenum (format, &i, end, &f.prec);
              if (!f.prec_present)
                {
                  f.prec = 0;
                  f.prec_present = true;
                }
            }
        }
      if (!after_index)
        arg_num = arg_number (&ps, arg_num, format, &i, end, nargs, &after_index);
      if (i >= end)
        {
          sb_adds (b, "%!(NOVERB)");
          break;
        }
      size_t w;
      uint32_t verb = utf8_decode ((const unsigned char *) format + i, end - i, &w);
      i += w;
      if (verb == '%')
        sb_addc (b, '%');
      else if (!ps.good_arg_num)
        {
          sb_adds (b, "%!");
          utf8_encode (b, verb);
          sb_adds (b, "(BADINDEX)");
        }
      else if (arg_num >= nargs)
        {
          sb_adds (b, "%!");
          utf8_encode (b, verb);
          sb_adds (b, "(MISSING)");
        }
      else
        {
          if (verb == 'v')
            {
              /* %#v is Go syntax; %+v names struct fields, which JSON values do not have */
              f.sharp_v = f.sharp;
              f.sharp = false;
              f.plus = false;
            }
          fmt_arg (b, &f, a[arg_num].j, a[arg_num].is_nil, verb, 0);
          arg_num++;
        }
    }
  if (!ps.reordered && arg_num < nargs)
    {
      sb_adds (b, "%!(EXTRA ");
      for (size_t k = arg_num; k < nargs; k++)
        {
          if (k > arg_num)
            sb_adds (b, ", ");
          if (a[k].is_nil)
            sb_adds (b, "<nil>");
          else
            {
              struct fmtflags f = { 0 };
              sb_adds (b, jtype_name (a[k].j));
              sb_addc (b, '=');
              fmt_arg (b, &f, a[k].j, false, 'v', 0);
            }
        }
      sb_addc (b, ')');
    }
}

/* ------------------------------------------------------------------------------------------------ */
/* encoding/json, as podman's json function (Encoder with SetEscapeHTML(false), no newline)          */

static void
json_encode_string (struct sbuf *b, const char *s, size_t n)
{
  static const char hex[] = "0123456789abcdef";
  sb_addc (b, '"');
  size_t start = 0;
  for (size_t i = 0; i < n;)
    {
      unsigned char c = (unsigned char) s[i];
      if (c < 0x80)
        {
          if (c >= 0x20 && c != '"' && c != '\\')
            {
              i++;
              continue;
            }
          sb_addn (b, s + start, i - start);
          switch (c)
            {
            case '\\':
            case '"':
              sb_addc (b, '\\');
              sb_addc (b, (char) c);
              break;
            case '\b':
              sb_adds (b, "\\b");
              break;
            case '\f':
              sb_adds (b, "\\f");
              break;
            case '\n':
              sb_adds (b, "\\n");
              break;
            case '\r':
              sb_adds (b, "\\r");
              break;
            case '\t':
              sb_adds (b, "\\t");
              break;
            default:
              sb_adds (b, "\\u00");
              sb_addc (b, hex[c >> 4]);
              sb_addc (b, hex[c & 15]);
            }
          i++;
          start = i;
          continue;
        }
      size_t w;
      uint32_t r = utf8_decode ((const unsigned char *) s + i, n - i, &w);
      if (r == RUNE_ERROR && w == 1)
        {
          sb_addn (b, s + start, i - start);
          sb_adds (b, "\\ufffd");
          i++;
          start = i;
          continue;
        }
      if (r == 0x2028 || r == 0x2029)
        {
          sb_addn (b, s + start, i - start);
          sb_printf (b, "\\u%04" PRIx32, r);
          i += w;
          start = i;
          continue;
        }
      i += w;
    }
  sb_addn (b, s + start, n - start);
  sb_addc (b, '"');
}

static void
json_encode (struct sbuf *b, json_object *j)
{
  switch (jkind (j))
    {
    case VK_NIL:
    case VK_INVALID:
      sb_adds (b, "null");
      return;
    case VK_BOOL:
      sb_adds (b, json_object_get_boolean (j) ? "true" : "false");
      return;
    case VK_INT:
      {
        uint64_t u;
        if (jint_unsigned (j, &u))
          sb_printf (b, "%" PRIu64, u);
        else
          sb_printf (b, "%" PRId64, json_object_get_int64 (j));
        return;
      }
    case VK_FLOAT:
      json_format_float (b, json_object_get_double (j));
      return;
    case VK_STRING:
      {
        size_t n;
        const char *s = jstr (j, &n);
        json_encode_string (b, s, n);
        return;
      }
    case VK_ARRAY:
      {
        sb_addc (b, '[');
        size_t n = json_object_array_length (j);
        for (size_t i = 0; i < n; i++)
          {
            if (i)
              sb_addc (b, ',');
            json_encode (b, json_object_array_get_idx (j, i));
          }
        sb_addc (b, ']');
        return;
      }
    case VK_MAP:
      {
        /* object order: the data stands for Go structs, whose fields encode in declaration order */
        bool first = true;
        sb_addc (b, '{');
        json_object_object_foreach (j, k, v)
        {
          if (!first)
            sb_addc (b, ',');
          first = false;
          json_encode_string (b, k, strlen (k));
          sb_addc (b, ':');
          json_encode (b, v);
        }
        sb_addc (b, '}');
        return;
      }
    }
}

/* ------------------------------------------------------------------------------------------------ */
/* lexer: Go's text/template/parse/lex.go                                                            */

enum itype
{
  IT_ERROR,
  IT_BOOL,
  IT_CHAR,
  IT_CHARCONST,
  IT_COMMENT,
  IT_COMPLEX,
  IT_ASSIGN,
  IT_DECLARE,
  IT_EOF,
  IT_FIELD,
  IT_IDENT,
  IT_LEFTDELIM,
  IT_LEFTPAREN,
  IT_NUMBER,
  IT_PIPE,
  IT_RAWSTRING,
  IT_RIGHTDELIM,
  IT_RIGHTPAREN,
  IT_SPACE,
  IT_STRING,
  IT_TEXT,
  IT_VARIABLE,
  IT_KEYWORD, /* keywords follow */
  IT_BLOCK,
  IT_BREAK,
  IT_CONTINUE,
  IT_DOT,
  IT_DEFINE,
  IT_ELSE,
  IT_END,
  IT_IF,
  IT_NIL,
  IT_RANGE,
  IT_TEMPLATE,
  IT_WITH,
};

struct item
{
  enum itype typ;
  size_t pos;
  const char *val;
  size_t len;
  int line;
};

struct lexer
{
  const char *in;
  size_t len;
  size_t pos, start;
  bool inside;
  int paren;
  bool failed;
  struct item item;
  char **errs; /* messages of error items, freed with the parser */
};

enum lstate
{
  LS_STOP,
  LS_TEXT,
  LS_LEFTDELIM,
  LS_COMMENT,
  LS_RIGHTDELIM,
  LS_INSIDE,
  LS_SPACE,
  LS_IDENT,
  LS_FIELD,
  LS_VARIABLE,
  LS_CHAR,
  LS_NUMBER,
  LS_QUOTE,
  LS_RAWQUOTE,
};

#define LEX_EOF ((uint32_t) -1)

static int
line_at (const char *in, size_t pos)
{
  int line = 1;
  for (size_t i = 0; i < pos; i++)
    if (in[i] == '\n')
      line++;
  return line;
}

static uint32_t
lex_next (struct lexer *l)
{
  if (l->pos >= l->len)
    return LEX_EOF;
  size_t w;
  uint32_t r = utf8_decode ((const unsigned char *) l->in + l->pos, l->len - l->pos, &w);
  l->pos += w;
  return r;
}

static uint32_t
lex_peek (struct lexer *l)
{
  if (l->pos >= l->len)
    return LEX_EOF;
  size_t w;
  return utf8_decode ((const unsigned char *) l->in + l->pos, l->len - l->pos, &w);
}

/* step back one rune (only called after lex_next returned a rune) */
static void
lex_backup (struct lexer *l, uint32_t r)
{
  if (r == LEX_EOF)
    return;
  l->pos--;
  while (l->pos > 0 && ((unsigned char) l->in[l->pos] & 0xC0) == 0x80)
    l->pos--;
}

static struct item
lex_this_item (struct lexer *l, enum itype t)
{
  struct item i = { t, l->start, l->in + l->start, l->pos - l->start, line_at (l->in, l->start) };
  l->start = l->pos;
  return i;
}

static enum lstate
lex_emit (struct lexer *l, enum itype t)
{
  l->item = lex_this_item (l, t);
  return LS_STOP;
}

static void
lex_ignore (struct lexer *l)
{
  l->start = l->pos;
}

static bool
lex_accept (struct lexer *l, const char *valid)
{
  uint32_t r = lex_next (l);
  if (r != LEX_EOF && r < 0x80 && r != 0 && strchr (valid, (int) r))
    return true;
  lex_backup (l, r);
  return false;
}

static void
lex_accept_run (struct lexer *l, const char *valid)
{
  for (;;)
    {
      uint32_t r = lex_next (l);
      if (r != LEX_EOF && r < 0x80 && r != 0 && strchr (valid, (int) r))
        continue;
      lex_backup (l, r);
      return;
    }
}

static enum lstate lex_errorf (struct lexer *l, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static enum lstate
lex_errorf (struct lexer *l, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  strv_push_take (&l->errs, msg);
  l->item = (struct item){ IT_ERROR, l->start, msg, strlen (msg), line_at (l->in, l->start) };
  l->failed = true;
  return LS_STOP;
}

/* Go's %#U */
static void
fmt_sharp_u (char *buf, size_t n, uint32_t r)
{
  if (r == LEX_EOF)
    r = RUNE_ERROR;
  if (rune_is_print (r))
    {
      struct sbuf t = { 0 };
      utf8_encode (&t, r);
      snprintf (buf, n, "U+%04" PRIX32 " '%s'", r, t.s);
      sb_release (&t);
    }
  else
    snprintf (buf, n, "U+%04" PRIX32, r);
}

static bool
is_space (uint32_t r)
{
  return r == ' ' || r == '\t' || r == '\r' || r == '\n';
}

static bool
is_alnum (uint32_t r)
{
  return r == '_' || rune_is_letter (r) || rune_is_digit (r);
}

static bool
has_prefix_n (const char *s, size_t n, const char *prefix)
{
  size_t p = strlen (prefix);
  return n >= p && memcmp (s, prefix, p) == 0;
}

static bool
has_left_trim_marker (const char *s, size_t n)
{
  return n >= 2 && s[0] == '-' && is_space ((unsigned char) s[1]);
}

static bool
has_right_trim_marker (const char *s, size_t n)
{
  return n >= 2 && is_space ((unsigned char) s[0]) && s[1] == '-';
}

static size_t
left_trim_length (const char *s, size_t n)
{
  size_t i = 0;
  while (i < n && is_space ((unsigned char) s[i]))
    i++;
  return i;
}

static size_t
right_trim_length (const char *s, size_t n)
{
  size_t i = n;
  while (i > 0 && is_space ((unsigned char) s[i - 1]))
    i--;
  return n - i;
}

static void
lex_at_right_delim (struct lexer *l, bool *delim, bool *trim)
{
  const char *s = l->in + l->pos;
  size_t n = l->len - l->pos;
  if (has_right_trim_marker (s, n) && has_prefix_n (s + 2, n - 2, "}}"))
    {
      *delim = *trim = true;
      return;
    }
  *trim = false;
  *delim = has_prefix_n (s, n, "}}");
}

static bool
lex_at_terminator (struct lexer *l)
{
  uint32_t r = lex_peek (l);
  if (r == LEX_EOF || is_space (r))
    return true;
  switch (r)
    {
    case '.':
    case ',':
    case '|':
    case ':':
    case ')':
    case '(':
      return true;
    }
  return has_prefix_n (l->in + l->pos, l->len - l->pos, "}}");
}

static enum lstate
lex_text (struct lexer *l)
{
  const char *p = memmem (l->in + l->pos, l->len - l->pos, "{{", 2);
  if (p != NULL)
    {
      size_t x = (size_t) (p - (l->in + l->pos));
      if (x > 0)
        {
          l->pos += x;
          size_t trim = 0;
          size_t delim_end = l->pos + 2;
          if (has_left_trim_marker (l->in + delim_end, l->len - delim_end))
            trim = right_trim_length (l->in + l->start, l->pos - l->start);
          l->pos -= trim;
          struct item i = lex_this_item (l, IT_TEXT);
          l->pos += trim;
          lex_ignore (l);
          if (i.len > 0)
            {
              l->item = i;
              return LS_STOP;
            }
        }
      return LS_LEFTDELIM;
    }
  l->pos = l->len;
  if (l->pos > l->start)
    return lex_emit (l, IT_TEXT);
  return lex_emit (l, IT_EOF);
}

static enum lstate
lex_left_delim (struct lexer *l)
{
  l->pos += 2;
  bool trim = has_left_trim_marker (l->in + l->pos, l->len - l->pos);
  size_t after = trim ? 2 : 0;
  if (has_prefix_n (l->in + l->pos + after, l->len - l->pos - after, "/*"))
    {
      l->pos += after;
      lex_ignore (l);
      return LS_COMMENT;
    }
  struct item i = lex_this_item (l, IT_LEFTDELIM);
  l->inside = true;
  l->pos += after;
  lex_ignore (l);
  l->paren = 0;
  l->item = i;
  return LS_STOP;
}

static enum lstate
lex_comment (struct lexer *l)
{
  l->pos += 2;
  const char *x = memmem (l->in + l->pos, l->len - l->pos, "*/", 2);
  if (x == NULL)
    return lex_errorf (l, "unclosed comment");
  l->pos = (size_t) (x - l->in) + 2;
  bool delim, trim;
  lex_at_right_delim (l, &delim, &trim);
  if (!delim)
    return lex_errorf (l, "comment ends before closing delimiter");
  lex_this_item (l, IT_COMMENT);
  if (trim)
    l->pos += 2;
  l->pos += 2;
  if (trim)
    l->pos += left_trim_length (l->in + l->pos, l->len - l->pos);
  lex_ignore (l);
  return LS_TEXT;
}

static enum lstate
lex_right_delim (struct lexer *l)
{
  bool delim, trim;
  lex_at_right_delim (l, &delim, &trim);
  if (trim)
    {
      l->pos += 2;
      lex_ignore (l);
    }
  l->pos += 2;
  struct item i = lex_this_item (l, IT_RIGHTDELIM);
  if (trim)
    {
      l->pos += left_trim_length (l->in + l->pos, l->len - l->pos);
      lex_ignore (l);
    }
  l->inside = false;
  l->item = i;
  return LS_STOP;
}

static enum lstate
lex_inside_action (struct lexer *l)
{
  bool delim, trim;
  lex_at_right_delim (l, &delim, &trim);
  if (delim)
    {
      if (l->paren == 0)
        return LS_RIGHTDELIM;
      return lex_errorf (l, "unclosed left paren");
    }
  uint32_t r = lex_next (l);
  if (r == LEX_EOF)
    return lex_errorf (l, "unclosed action");
  if (is_space (r))
    {
      lex_backup (l, r);
      return LS_SPACE;
    }
  switch (r)
    {
    case '=':
      return lex_emit (l, IT_ASSIGN);
    case ':':
      if (lex_next (l) != '=')
        return lex_errorf (l, "expected :=");
      return lex_emit (l, IT_DECLARE);
    case '|':
      return lex_emit (l, IT_PIPE);
    case '"':
      return LS_QUOTE;
    case '`':
      return LS_RAWQUOTE;
    case '$':
      return LS_VARIABLE;
    case '\'':
      return LS_CHAR;
    case '.':
      if (l->pos < l->len)
        {
          char c = l->in[l->pos];
          if (c < '0' || c > '9')
            return LS_FIELD;
        }
      lex_backup (l, r);
      return LS_NUMBER;
    case '(':
      l->paren++;
      return lex_emit (l, IT_LEFTPAREN);
    case ')':
      {
        l->paren--;
        if (l->paren < 0)
          return lex_errorf (l, "unexpected right paren");
        return lex_emit (l, IT_RIGHTPAREN);
      }
    }
  if (r == '+' || r == '-' || (r >= '0' && r <= '9'))
    {
      lex_backup (l, r);
      return LS_NUMBER;
    }
  if (is_alnum (r))
    {
      lex_backup (l, r);
      return LS_IDENT;
    }
  if (r < 0x80 && r >= 0x20 && r < 0x7F)
    return lex_emit (l, IT_CHAR);
  char u[32];
  fmt_sharp_u (u, sizeof u, r);
  return lex_errorf (l, "unrecognized character in action: %s", u);
}

static enum lstate
lex_space (struct lexer *l)
{
  int num = 0;
  for (;;)
    {
      uint32_t r = lex_peek (l);
      if (r == LEX_EOF || !is_space (r))
        break;
      lex_next (l);
      num++;
    }
  const char *s = l->in + l->pos - 1;
  size_t n = l->len - l->pos + 1;
  if (has_right_trim_marker (s, n) && has_prefix_n (s + 2, n - 2, "}}"))
    {
      l->pos--;
      if (num == 1)
        return LS_RIGHTDELIM;
    }
  return lex_emit (l, IT_SPACE);
}

static const struct
{
  const char *word;
  enum itype typ;
} keywords[] = {
  { "block", IT_BLOCK }, { "break", IT_BREAK }, { "continue", IT_CONTINUE }, { "define", IT_DEFINE },
  { "else", IT_ELSE },   { "end", IT_END },     { "if", IT_IF },             { "range", IT_RANGE },
  { "nil", IT_NIL },     { "template", IT_TEMPLATE }, { "with", IT_WITH },
};

static enum lstate
lex_identifier (struct lexer *l)
{
  for (;;)
    {
      uint32_t r = lex_next (l);
      if (r != LEX_EOF && is_alnum (r))
        continue;
      lex_backup (l, r);
      const char *word = l->in + l->start;
      size_t wl = l->pos - l->start;
      if (!lex_at_terminator (l))
        {
          char u[32];
          fmt_sharp_u (u, sizeof u, r);
          return lex_errorf (l, "bad character %s", u);
        }
      for (size_t k = 0; k < ARRAY_SIZE (keywords); k++)
        if (strlen (keywords[k].word) == wl && memcmp (keywords[k].word, word, wl) == 0)
          return lex_emit (l, keywords[k].typ);
      if (word[0] == '.')
        return lex_emit (l, IT_FIELD);
      if ((wl == 4 && memcmp (word, "true", 4) == 0) || (wl == 5 && memcmp (word, "false", 5) == 0))
        return lex_emit (l, IT_BOOL);
      return lex_emit (l, IT_IDENT);
    }
}

static enum lstate
lex_field_or_variable (struct lexer *l, enum itype typ)
{
  if (lex_at_terminator (l))
    return lex_emit (l, typ == IT_VARIABLE ? IT_VARIABLE : IT_DOT);
  uint32_t r;
  for (;;)
    {
      r = lex_next (l);
      if (r == LEX_EOF || !is_alnum (r))
        {
          lex_backup (l, r);
          break;
        }
    }
  if (!lex_at_terminator (l))
    {
      char u[32];
      fmt_sharp_u (u, sizeof u, r);
      return lex_errorf (l, "bad character %s", u);
    }
  return lex_emit (l, typ);
}

static enum lstate
lex_char (struct lexer *l)
{
  for (;;)
    {
      uint32_t r = lex_next (l);
      if (r == '\\')
        {
          r = lex_next (l);
          if (r != LEX_EOF && r != '\n')
            continue;
        }
      if (r == LEX_EOF || r == '\n')
        return lex_errorf (l, "unterminated character constant");
      if (r == '\'')
        break;
    }
  return lex_emit (l, IT_CHARCONST);
}

static bool
lex_scan_number (struct lexer *l)
{
  lex_accept (l, "+-");
  const char *digits = "0123456789_";
  if (lex_accept (l, "0"))
    {
      if (lex_accept (l, "xX"))
        digits = "0123456789abcdefABCDEF_";
      else if (lex_accept (l, "oO"))
        digits = "01234567_";
      else if (lex_accept (l, "bB"))
        digits = "01_";
    }
  lex_accept_run (l, digits);
  if (lex_accept (l, "."))
    lex_accept_run (l, digits);
  if (strlen (digits) == 10 + 1 && lex_accept (l, "eE"))
    {
      lex_accept (l, "+-");
      lex_accept_run (l, "0123456789_");
    }
  if (strlen (digits) == 16 + 6 + 1 && lex_accept (l, "pP"))
    {
      lex_accept (l, "+-");
      lex_accept_run (l, "0123456789_");
    }
  lex_accept (l, "i");
  uint32_t r = lex_peek (l);
  if (r != LEX_EOF && is_alnum (r))
    {
      lex_next (l);
      return false;
    }
  return true;
}

static enum lstate
lex_number (struct lexer *l)
{
  if (!lex_scan_number (l))
    return lex_errorf (l, "bad number syntax: \"%.*s\"", (int) (l->pos - l->start), l->in + l->start);
  uint32_t sign = lex_peek (l);
  if (sign == '+' || sign == '-')
    {
      if (!lex_scan_number (l) || l->in[l->pos - 1] != 'i')
        return lex_errorf (l, "bad number syntax: \"%.*s\"", (int) (l->pos - l->start), l->in + l->start);
      return lex_emit (l, IT_COMPLEX);
    }
  return lex_emit (l, IT_NUMBER);
}

static enum lstate
lex_quote (struct lexer *l)
{
  for (;;)
    {
      uint32_t r = lex_next (l);
      if (r == '\\')
        {
          r = lex_next (l);
          if (r != LEX_EOF && r != '\n')
            continue;
        }
      if (r == LEX_EOF || r == '\n')
        return lex_errorf (l, "unterminated quoted string");
      if (r == '"')
        break;
    }
  return lex_emit (l, IT_STRING);
}

static enum lstate
lex_raw_quote (struct lexer *l)
{
  for (;;)
    {
      uint32_t r = lex_next (l);
      if (r == LEX_EOF)
        return lex_errorf (l, "unterminated raw quoted string");
      if (r == '`')
        break;
    }
  return lex_emit (l, IT_RAWSTRING);
}

static struct item
lex_next_item (struct lexer *l)
{
  if (l->failed)
    return l->item;
  l->item = (struct item){ IT_EOF, l->pos, "", 0, line_at (l->in, l->start) };
  enum lstate st = l->inside ? LS_INSIDE : LS_TEXT;
  while (st != LS_STOP)
    {
      switch (st)
        {
        case LS_TEXT:
          st = lex_text (l);
          break;
        case LS_LEFTDELIM:
          st = lex_left_delim (l);
          break;
        case LS_COMMENT:
          st = lex_comment (l);
          break;
        case LS_RIGHTDELIM:
          st = lex_right_delim (l);
          break;
        case LS_INSIDE:
          st = lex_inside_action (l);
          break;
        case LS_SPACE:
          st = lex_space (l);
          break;
        case LS_IDENT:
          st = lex_identifier (l);
          break;
        case LS_FIELD:
          st = lex_field_or_variable (l, IT_FIELD);
          break;
        case LS_VARIABLE:
          st = lex_field_or_variable (l, IT_VARIABLE);
          break;
        case LS_CHAR:
          st = lex_char (l);
          break;
        case LS_NUMBER:
          st = lex_number (l);
          break;
        case LS_QUOTE:
          st = lex_quote (l);
          break;
        case LS_RAWQUOTE:
          st = lex_raw_quote (l);
          break;
        case LS_STOP:
          break;
        }
    }
  return l->item;
}

/* ------------------------------------------------------------------------------------------------ */
/* parse tree: Go's text/template/parse/node.go                                                      */

enum ntype
{
  N_TEXT,
  N_ACTION,
  N_BOOL,
  N_CHAIN,
  N_COMMAND,
  N_DOT,
  N_FIELD,
  N_IDENT,
  N_IF,
  N_LIST,
  N_NIL,
  N_NUMBER,
  N_PIPE,
  N_RANGE,
  N_STRING,
  N_TEMPLATE,
  N_VARIABLE,
  N_WITH,
  N_BREAK,
  N_CONTINUE,
  N_ELSE,
  N_END,
  N_COMMENT,
};

struct node
{
  enum ntype type;
  size_t pos;
  int line;
  char *text; /* TEXT content, STRING quoted form, NUMBER text, IDENT name, TEMPLATE name */
  size_t text_len;
  char *str; /* STRING value */
  size_t str_len;
  char **ident; /* FIELD names, VARIABLE "$x" then fields, CHAIN fields */
  size_t nident;
  struct node **kids; /* LIST nodes, PIPE commands, COMMAND arguments */
  size_t nkids;
  struct node **decl; /* PIPE declared variables */
  size_t ndecl;
  bool is_assign;
  struct node *pipe, *list, *else_list; /* IF RANGE WITH; ACTION and TEMPLATE use pipe */
  struct node *chain;                   /* CHAIN: the term whose fields are taken */
  bool b;
  bool is_int, is_uint, is_float;
  int64_t i;
  uint64_t u;
  double f;
};

struct tdef
{
  char *name;
  struct node *root;
};

struct skiff_template
{
  char *name; /* Go's template name, in messages; NULL for none */
  char *text; /* what was parsed (after podman's normalisation) */
  struct node *root;
  struct node *body; /* table mode: the list that makes one row (the header is derived from it) */
  bool is_table;
  struct tdef *defs;
  size_t ndefs;
  struct node **nodes; /* every node, for freeing */
  size_t nnodes, capnodes;
};

static void
node_free (struct node *n)
{
  free (n->text);
  free (n->str);
  strv_free (n->ident);
  free (n->kids);
  free (n->decl);
  free (n);
}

static void
node_append (struct node ***v, size_t *n, struct node *x)
{
  *v = xrealloc (*v, (*n + 1) * sizeof **v);
  (*v)[(*n)++] = x;
}

static void node_write (struct sbuf *b, const struct node *n);

static void
node_write_pipe (struct sbuf *b, const struct node *p)
{
  if (p->ndecl > 0)
    {
      for (size_t i = 0; i < p->ndecl; i++)
        {
          if (i > 0)
            sb_adds (b, ", ");
          node_write (b, p->decl[i]);
        }
      sb_adds (b, p->is_assign ? " = " : " := ");
    }
  for (size_t i = 0; i < p->nkids; i++)
    {
      if (i > 0)
        sb_adds (b, " | ");
      node_write (b, p->kids[i]);
    }
}

static void
node_write_branch (struct sbuf *b, const struct node *n, const char *name)
{
  sb_adds (b, "{{");
  sb_adds (b, name);
  sb_addc (b, ' ');
  node_write_pipe (b, n->pipe);
  sb_adds (b, "}}");
  node_write (b, n->list);
  if (n->else_list)
    {
      sb_adds (b, "{{else}}");
      node_write (b, n->else_list);
    }
  sb_adds (b, "{{end}}");
}

/* Go's Node.String() */
static void
node_write (struct sbuf *b, const struct node *n)
{
  switch (n->type)
    {
    case N_TEXT:
    case N_COMMENT:
      sb_addn (b, n->text, n->text_len);
      return;
    case N_ACTION:
      sb_adds (b, "{{");
      node_write_pipe (b, n->pipe);
      sb_adds (b, "}}");
      return;
    case N_BOOL:
      sb_adds (b, n->b ? "true" : "false");
      return;
    case N_CHAIN:
      if (n->chain->type == N_PIPE)
        {
          sb_addc (b, '(');
          node_write_pipe (b, n->chain);
          sb_addc (b, ')');
        }
      else
        node_write (b, n->chain);
      for (size_t i = 0; i < n->nident; i++)
        {
          sb_addc (b, '.');
          sb_adds (b, n->ident[i]);
        }
      return;
    case N_COMMAND:
      for (size_t i = 0; i < n->nkids; i++)
        {
          if (i > 0)
            sb_addc (b, ' ');
          if (n->kids[i]->type == N_PIPE)
            {
              sb_addc (b, '(');
              node_write_pipe (b, n->kids[i]);
              sb_addc (b, ')');
            }
          else
            node_write (b, n->kids[i]);
        }
      return;
    case N_DOT:
      sb_addc (b, '.');
      return;
    case N_FIELD:
      for (size_t i = 0; i < n->nident; i++)
        {
          sb_addc (b, '.');
          sb_adds (b, n->ident[i]);
        }
      return;
    case N_IDENT:
    case N_NUMBER:
    case N_STRING:
      sb_addn (b, n->text, n->text_len);
      return;
    case N_IF:
      node_write_branch (b, n, "if");
      return;
    case N_RANGE:
      node_write_branch (b, n, "range");
      return;
    case N_WITH:
      node_write_branch (b, n, "with");
      return;
    case N_LIST:
      for (size_t i = 0; i < n->nkids; i++)
        node_write (b, n->kids[i]);
      return;
    case N_NIL:
      sb_adds (b, "nil");
      return;
    case N_PIPE:
      node_write_pipe (b, n);
      return;
    case N_TEMPLATE:
      sb_adds (b, "{{template ");
      go_quote (b, n->text, n->text_len, '"');
      if (n->pipe)
        {
          sb_addc (b, ' ');
          node_write_pipe (b, n->pipe);
        }
      sb_adds (b, "}}");
      return;
    case N_VARIABLE:
      for (size_t i = 0; i < n->nident; i++)
        {
          if (i > 0)
            sb_addc (b, '.');
          sb_adds (b, n->ident[i]);
        }
      return;
    case N_BREAK:
      sb_adds (b, "{{break}}");
      return;
    case N_CONTINUE:
      sb_adds (b, "{{continue}}");
      return;
    case N_ELSE:
      sb_adds (b, "{{else}}");
      return;
    case N_END:
      sb_adds (b, "{{end}}");
      return;
    }
}

/* ------------------------------------------------------------------------------------------------ */
/* Go's strconv.Unquote / UnquoteChar and number parsing                                             */

static int
unhex (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* One (possibly escaped) character of a quoted literal; appends it to out. */
static bool
unquote_char (const char **sp, const char *end, char quote, struct sbuf *out)
{
  const char *s = *sp;
  if (s >= end)
    return false;
  unsigned char c = (unsigned char) *s;
  if (c == (unsigned char) quote)
    return false;
  if (c >= 0x80)
    {
      size_t w;
      uint32_t r = utf8_decode ((const unsigned char *) s, (size_t) (end - s), &w);
      utf8_encode (out, r);
      *sp = s + w;
      return true;
    }
  if (c != '\\')
    {
      sb_addc (out, (char) c);
      *sp = s + 1;
      return true;
    }
  if (end - s <= 1)
    return false;
  c = (unsigned char) s[1];
  s += 2;
  uint32_t v;
  switch (c)
    {
    case 'a':
      v = '\a';
      break;
    case 'b':
      v = '\b';
      break;
    case 'f':
      v = '\f';
      break;
    case 'n':
      v = '\n';
      break;
    case 'r':
      v = '\r';
      break;
    case 't':
      v = '\t';
      break;
    case 'v':
      v = '\v';
      break;
    case 'x':
    case 'u':
    case 'U':
      {
        int n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
        if (end - s < n)
          return false;
        v = 0;
        for (int j = 0; j < n; j++)
          {
            int x = unhex (s[j]);
            if (x < 0)
              return false;
            v = (v << 4) | (uint32_t) x;
          }
        s += n;
        if (c == 'x')
          {
            sb_addc (out, (char) v);
            *sp = s;
            return true;
          }
        if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
          return false;
        utf8_encode (out, v);
        *sp = s;
        return true;
      }
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
      {
        v = c - '0';
        if (end - s < 2)
          return false;
        for (int j = 0; j < 2; j++)
          {
            int x = s[j] - '0';
            if (x < 0 || x > 7)
              return false;
            v = (v << 3) | (uint32_t) x;
          }
        s += 2;
        if (v > 255)
          return false;
        sb_addc (out, (char) v);
        *sp = s;
        return true;
      }
    case '\\':
      v = '\\';
      break;
    case '\'':
    case '"':
      if ((char) c != quote)
        return false;
      v = c;
      break;
    default:
      return false;
    }
  sb_addc (out, (char) v);
  *sp = s;
  return true;
}

/* strconv.Unquote for "..." and `...` literals */
static bool
go_unquote (const char *in, size_t n, struct sbuf *out)
{
  if (n < 2 || in[0] != in[n - 1])
    return false;
  const char *s = in + 1, *end = in + n - 1;
  if (in[0] == '`')
    {
      for (const char *p = s; p < end; p++)
        {
          if (*p == '`')
            return false;
          if (*p != '\r')
            sb_addc (out, *p);
        }
      if (out->s == NULL)
        sb_addn (out, "", 0);
      return true;
    }
  if (in[0] != '"')
    return false;
  sb_addn (out, "", 0);
  while (s < end)
    {
      if (*s == '\n')
        return false;
      if (!unquote_char (&s, end, '"', out))
        return false;
    }
  return true;
}

static bool
underscore_ok (const char *s)
{
  char saw = '^';
  size_t i = 0;
  if (*s == '-' || *s == '+')
    s++;
  bool hex = false;
  size_t n = strlen (s);
  if (n >= 2 && s[0] == '0' && strchr ("bBoOxX", s[1]) && s[1])
    {
      i = 2;
      saw = '0';
      hex = s[1] == 'x' || s[1] == 'X';
    }
  for (; i < n; i++)
    {
      char c = s[i];
      if ((c >= '0' && c <= '9') || (hex && unhex (c) >= 0))
        {
          saw = '0';
          continue;
        }
      if (c == '_')
        {
          if (saw != '0')
            return false;
          saw = '_';
          continue;
        }
      if (saw == '_')
        return false;
      saw = '!';
    }
  return saw != '_';
}

/* strconv.ParseInt / ParseUint with base 0 */
static bool
go_parse_integer (const char *text, bool is_signed, int64_t *iv, uint64_t *uv)
{
  const char *s = text;
  bool neg = false;
  if (*s == '+' || *s == '-')
    {
      if (!is_signed)
        return false;
      neg = *s == '-';
      s++;
    }
  int base = 10;
  bool prefixed = false;
  if (s[0] == '0' && s[1])
    {
      if (s[1] == 'x' || s[1] == 'X')
        base = 16, s += 2, prefixed = true;
      else if (s[1] == 'o' || s[1] == 'O')
        base = 8, s += 2, prefixed = true;
      else if (s[1] == 'b' || s[1] == 'B')
        base = 2, s += 2, prefixed = true;
      else
        base = 8, s += 1;
    }
  (void) prefixed;
  if (strchr (text, '_') && !underscore_ok (text))
    return false;
  char digits[128];
  size_t k = 0;
  for (; *s; s++)
    {
      if (*s == '_')
        continue;
      int d = unhex (*s);
      if (d < 0 || d >= base || k >= sizeof digits - 1)
        return false;
      digits[k++] = *s;
    }
  digits[k] = '\0';
  if (k == 0)
    {
      /* "0" alone went through the octal branch with nothing left */
      if (base == 8 && text[strlen (text) - 1] == '0')
        {
          *iv = 0;
          *uv = 0;
          return true;
        }
      return false;
    }
  errno = 0;
  char *endp;
  unsigned long long u = strtoull (digits, &endp, base);
  if (errno == ERANGE || *endp)
    return false;
  if (!is_signed)
    {
      *uv = u;
      return true;
    }
  if (neg)
    {
      if (u > (unsigned long long) INT64_MAX + 1)
        return false;
      *iv = (int64_t) (0 - u);
      return true;
    }
  if (u > (unsigned long long) INT64_MAX)
    return false;
  *iv = (int64_t) u;
  return true;
}

static bool
go_parse_float (const char *text, double *out)
{
  if (strchr (text, '_') && !underscore_ok (text))
    return false;
  char buf[256];
  size_t k = 0;
  for (const char *s = text; *s && k < sizeof buf - 1; s++)
    if (*s != '_')
      buf[k++] = *s;
  buf[k] = '\0';
  if (k == 0 || !(isdigit ((unsigned char) buf[0]) || buf[0] == '.' || buf[0] == '+' || buf[0] == '-'))
    return false;
  /* Go wants a 'p' exponent on a hexadecimal mantissa */
  const char *m = buf + (buf[0] == '+' || buf[0] == '-');
  if (m[0] == '0' && (m[1] == 'x' || m[1] == 'X') && strpbrk (m, "pP") == NULL)
    return false;
  errno = 0;
  char *endp;
  double d = strtod (buf, &endp);
  if (*endp || endp == buf)
    return false;
  /* out of range: Go's ParseFloat fails (an underflow to zero is fine) */
  if (errno == ERANGE && isinf (d))
    return false;
  *out = d;
  return true;
}

/* ------------------------------------------------------------------------------------------------ */
/* parser: Go's text/template/parse/parse.go                                                         */

struct parser
{
  struct lexer lex;
  struct item token[3];
  int peek_count;
  char **vars;
  size_t nvars;
  int range_depth;
  int action_line;
  struct skiff_template *t;
  jmp_buf jb;
  char *err;
  /* variable scopes of the trees being parsed around a {{define}} or {{block}} body, kept here so
   * that an error (longjmp) frees them */
  char ***saved_vars;
  size_t nsaved;
};

static bool builtin_exists (const char *name, size_t len);

static struct node *
new_node (struct parser *p, enum ntype type, size_t pos)
{
  struct skiff_template *t = p->t;
  struct node *n = xmalloc0 (sizeof *n);
  n->type = type;
  n->pos = pos;
  if (t->nnodes == t->capnodes)
    {
      t->capnodes = t->capnodes ? t->capnodes * 2 : 32;
      t->nodes = xrealloc (t->nodes, t->capnodes * sizeof *t->nodes);
    }
  t->nodes[t->nnodes++] = n;
  return n;
}

static void p_errorf (struct parser *p, const char *fmt, ...) __attribute__ ((format (printf, 2, 3), noreturn));
static void
p_errorf (struct parser *p, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  if (p->t->name)
    p->err = xasprintf ("template: %s:%d: %s", p->t->name, p->token[0].line, msg);
  else
    p->err = xasprintf ("template: %d: %s", p->token[0].line, msg);
  free (msg);
  longjmp (p->jb, 1);
}

/* Go's item.String() */
static void
item_write (struct sbuf *b, const struct item *i)
{
  if (i->typ == IT_EOF)
    sb_adds (b, "EOF");
  else if (i->typ == IT_ERROR)
    sb_addn (b, i->val, i->len);
  else if (i->typ > IT_KEYWORD)
    {
      sb_addc (b, '<');
      sb_addn (b, i->val, i->len);
      sb_addc (b, '>');
    }
  else if (i->len > 10)
    {
      /* %.10q... : the first 10 runes, quoted */
      size_t k = 0;
      for (int r = 0; r < 10; r++)
        {
          size_t w;
          utf8_decode ((const unsigned char *) i->val + k, i->len - k, &w);
          k += w;
        }
      go_quote (b, i->val, k, '"');
      sb_adds (b, "...");
    }
  else
    go_quote (b, i->val, i->len, '"');
}

static struct item
p_next (struct parser *p)
{
  if (p->peek_count > 0)
    p->peek_count--;
  else
    p->token[0] = lex_next_item (&p->lex);
  return p->token[p->peek_count];
}

static void
p_backup (struct parser *p)
{
  p->peek_count++;
}

static void
p_backup2 (struct parser *p, struct item t1)
{
  p->token[1] = t1;
  p->peek_count = 2;
}

static void
p_backup3 (struct parser *p, struct item t2, struct item t1)
{
  p->token[1] = t1;
  p->token[2] = t2;
  p->peek_count = 3;
}

static struct item
p_peek (struct parser *p)
{
  if (p->peek_count > 0)
    return p->token[p->peek_count - 1];
  p->peek_count = 1;
  p->token[0] = lex_next_item (&p->lex);
  return p->token[0];
}

static struct item
p_next_non_space (struct parser *p)
{
  struct item t;
  for (;;)
    {
      t = p_next (p);
      if (t.typ != IT_SPACE)
        break;
    }
  return t;
}

static struct item
p_peek_non_space (struct parser *p)
{
  struct item t = p_next_non_space (p);
  p_backup (p);
  return t;
}

static void p_unexpected (struct parser *p, struct item token, const char *context) __attribute__ ((noreturn));
static void
p_unexpected (struct parser *p, struct item token, const char *context)
{
  if (token.typ == IT_ERROR)
    {
      struct sbuf extra = { 0 };
      if (p->action_line != 0 && p->action_line != token.line)
        {
          bool is_action = token.len >= 7 && memcmp (token.val + token.len - 7, " action", 7) == 0;
          sb_adds (&extra, is_action ? " started at " : " in action started at ");
          if (p->t->name)
            sb_printf (&extra, "%s:", p->t->name);
          sb_printf (&extra, "%d", p->action_line);
        }
      char *ex = sb_steal (&extra);
      strv_push_take (&p->lex.errs, ex);
      p_errorf (p, "%.*s%s", (int) token.len, token.val, ex);
    }
  struct sbuf s = { 0 };
  item_write (&s, &token);
  char *str = sb_steal (&s);
  strv_push_take (&p->lex.errs, str);
  p_errorf (p, "unexpected %s in %s", str, context);
}

static struct item
p_expect (struct parser *p, enum itype expected, const char *context)
{
  struct item t = p_next_non_space (p);
  if (t.typ != expected)
    p_unexpected (p, t, context);
  return t;
}

static void
p_push_var (struct parser *p, const char *name, size_t len)
{
  strv_push_take (&p->vars, xstrndup (name, len));
  p->nvars++;
}

static void
p_pop_vars (struct parser *p, size_t n)
{
  while (p->nvars > n)
    {
      free (p->vars[--p->nvars]);
      p->vars[p->nvars] = NULL;
    }
}

static char *
node_to_string (const struct node *n)
{
  struct sbuf b = { 0 };
  node_write (&b, n);
  return sb_steal (&b);
}

/* Split "$x.A.B" or ".A.B" into identifiers. */
static void
split_ident (struct node *n, const char *s, size_t len, bool variable)
{
  size_t i = 0;
  if (!variable && len > 0 && s[0] == '.')
    i = 1;
  size_t start = i;
  for (; i <= len; i++)
    if (i == len || s[i] == '.')
      {
        strv_push_take (&n->ident, xstrndup (s + start, i - start));
        n->nident++;
        start = i + 1;
      }
}

static struct node *
p_new_field_or_var (struct parser *p, enum ntype type, size_t pos, const char *s, size_t len)
{
  struct node *n = new_node (p, type, pos);
  split_ident (n, s, len, type == N_VARIABLE);
  return n;
}

static struct node *
p_use_var (struct parser *p, size_t pos, const char *name, size_t len)
{
  struct node *v = p_new_field_or_var (p, N_VARIABLE, pos, name, len);
  for (size_t i = 0; i < p->nvars; i++)
    if (strcmp (p->vars[i], v->ident[0]) == 0)
      return v;
  p_errorf (p, "undefined variable \"%s\"", v->ident[0]);
}

static struct node *
p_new_number (struct parser *p, struct item token)
{
  struct node *n = new_node (p, N_NUMBER, token.pos);
  n->text = xstrndup (token.val, token.len);
  n->text_len = token.len;
  if (token.typ == IT_CHARCONST)
    {
      struct sbuf out = { 0 };
      const char *s = token.val + 1, *end = token.val + token.len;
      if (!unquote_char (&s, end, '\'', &out))
        {
          sb_release (&out);
          p_errorf (p, "invalid syntax");
        }
      if (end - s != 1 || *s != '\'')
        {
          sb_release (&out);
          p_errorf (p, "malformed character constant: %s", n->text);
        }
      size_t w;
      uint32_t r = out.len == 1 ? (unsigned char) out.s[0] : utf8_decode ((unsigned char *) out.s, out.len, &w);
      sb_release (&out);
      n->i = r;
      n->u = r;
      n->f = r;
      n->is_int = n->is_uint = n->is_float = true;
      return n;
    }
  if (token.typ == IT_COMPLEX || (token.len > 0 && token.val[token.len - 1] == 'i'))
    p_errorf (p, "complex numbers are not supported: \"%s\"", n->text);
  uint64_t u;
  int64_t i;
  if (go_parse_integer (n->text, false, &i, &u))
    {
      n->is_uint = true;
      n->u = u;
    }
  if (go_parse_integer (n->text, true, &i, &u))
    {
      n->is_int = true;
      n->i = i;
      if (i == 0)
        {
          n->is_uint = true;
          n->u = 0;
        }
    }
  if (n->is_int)
    {
      n->is_float = true;
      n->f = (double) n->i;
    }
  else if (n->is_uint)
    {
      n->is_float = true;
      n->f = (double) n->u;
    }
  else
    {
      double f;
      if (go_parse_float (n->text, &f))
        {
          if (strpbrk (n->text, ".eEpP") == NULL)
            p_errorf (p, "integer overflow: \"%s\"", n->text);
          n->is_float = true;
          n->f = f;
          if (f == (double) (int64_t) f && fabs (f) < 9.2e18)
            {
              n->is_int = true;
              n->i = (int64_t) f;
            }
          if (f >= 0 && f < 1.8e19 && f == (double) (uint64_t) f)
            {
              n->is_uint = true;
              n->u = (uint64_t) f;
            }
        }
    }
  if (!n->is_int && !n->is_uint && !n->is_float)
    p_errorf (p, "illegal number syntax: \"%s\"", n->text);
  return n;
}

static struct node *p_pipeline (struct parser *p, const char *context, enum itype end);
static struct node *p_item_list (struct parser *p, struct node **next);
static struct node *p_if_control (struct parser *p);
static struct node *p_with_control (struct parser *p);

static struct node *
p_term (struct parser *p)
{
  struct item token = p_next_non_space (p);
  switch (token.typ)
    {
    case IT_IDENT:
      {
        if (!builtin_exists (token.val, token.len))
          p_errorf (p, "function \"%.*s\" not defined", (int) token.len, token.val);
        struct node *n = new_node (p, N_IDENT, token.pos);
        n->text = xstrndup (token.val, token.len);
        n->text_len = token.len;
        return n;
      }
    case IT_DOT:
      return new_node (p, N_DOT, token.pos);
    case IT_NIL:
      return new_node (p, N_NIL, token.pos);
    case IT_VARIABLE:
      return p_use_var (p, token.pos, token.val, token.len);
    case IT_FIELD:
      return p_new_field_or_var (p, N_FIELD, token.pos, token.val, token.len);
    case IT_BOOL:
      {
        struct node *n = new_node (p, N_BOOL, token.pos);
        n->b = token.len == 4;
        return n;
      }
    case IT_CHARCONST:
    case IT_COMPLEX:
    case IT_NUMBER:
      return p_new_number (p, token);
    case IT_LEFTPAREN:
      return p_pipeline (p, "parenthesized pipeline", IT_RIGHTPAREN);
    case IT_STRING:
    case IT_RAWSTRING:
      {
        struct sbuf s = { 0 };
        if (!go_unquote (token.val, token.len, &s))
          {
            sb_release (&s);
            p_errorf (p, "invalid syntax");
          }
        struct node *n = new_node (p, N_STRING, token.pos);
        n->text = xstrndup (token.val, token.len);
        n->text_len = token.len;
        n->str_len = s.len;
        n->str = sb_steal (&s);
        return n;
      }
    default:
      p_backup (p);
      return NULL;
    }
}

static struct node *
p_operand (struct parser *p)
{
  struct node *node = p_term (p);
  if (node == NULL)
    return NULL;
  if (p_peek (p).typ == IT_FIELD)
    {
      struct node *chain = new_node (p, N_CHAIN, p_peek (p).pos);
      chain->chain = node;
      while (p_peek (p).typ == IT_FIELD)
        {
          struct item f = p_next (p);
          strv_push_take (&chain->ident, xstrndup (f.val + 1, f.len - 1));
          chain->nident++;
        }
      switch (node->type)
        {
        case N_FIELD:
        case N_VARIABLE:
          {
            /* Go: the fields go onto the original node, positioned at the chain */
            struct sbuf s = { 0 };
            node_write (&s, chain);
            struct node *n = p_new_field_or_var (p, node->type, chain->pos, s.s, s.len);
            sb_release (&s);
            return n;
          }
        case N_BOOL:
        case N_STRING:
        case N_NUMBER:
        case N_NIL:
        case N_DOT:
          {
            char *s = node_to_string (node);
            struct sbuf q = { 0 };
            go_quote (&q, s, strlen (s), '"');
            free (s);
            s = sb_steal (&q);
            strv_push_take (&p->lex.errs, s);
            p_errorf (p, "unexpected . after term %s", s);
          }
        default:
          return chain;
        }
    }
  return node;
}

static struct node *
p_command (struct parser *p)
{
  struct node *cmd = new_node (p, N_COMMAND, p_peek_non_space (p).pos);
  for (;;)
    {
      p_peek_non_space (p);
      struct node *operand = p_operand (p);
      if (operand)
        node_append (&cmd->kids, &cmd->nkids, operand);
      struct item token = p_next (p);
      switch (token.typ)
        {
        case IT_SPACE:
          continue;
        case IT_RIGHTDELIM:
        case IT_RIGHTPAREN:
          p_backup (p);
          break;
        case IT_PIPE:
          break;
        default:
          p_unexpected (p, token, "operand");
        }
      break;
    }
  if (cmd->nkids == 0)
    p_errorf (p, "empty command");
  return cmd;
}

static void
p_check_pipeline (struct parser *p, struct node *pipe, const char *context)
{
  if (pipe->nkids == 0)
    p_errorf (p, "missing value for %s", context);
  for (size_t i = 1; i < pipe->nkids; i++)
    switch (pipe->kids[i]->kids[0]->type)
      {
      case N_BOOL:
      case N_DOT:
      case N_NIL:
      case N_NUMBER:
      case N_STRING:
        p_errorf (p, "non executable command in pipeline stage %zu", i + 1);
      default:
        break;
      }
}

static struct node *
p_pipeline (struct parser *p, const char *context, enum itype end)
{
  struct item token = p_peek_non_space (p);
  struct node *pipe = new_node (p, N_PIPE, token.pos);
  pipe->line = token.line;
decls:;
  struct item v = p_peek_non_space (p);
  if (v.typ == IT_VARIABLE)
    {
      p_next (p);
      struct item after = p_peek (p);
      struct item next = p_peek_non_space (p);
      if (next.typ == IT_ASSIGN || next.typ == IT_DECLARE)
        {
          pipe->is_assign = next.typ == IT_ASSIGN;
          p_next_non_space (p);
          node_append (&pipe->decl, &pipe->ndecl, p_new_field_or_var (p, N_VARIABLE, v.pos, v.val, v.len));
          p_push_var (p, v.val, v.len);
        }
      else if (next.typ == IT_CHAR && next.len == 1 && next.val[0] == ',')
        {
          p_next_non_space (p);
          node_append (&pipe->decl, &pipe->ndecl, p_new_field_or_var (p, N_VARIABLE, v.pos, v.val, v.len));
          p_push_var (p, v.val, v.len);
          if (strcmp (context, "range") == 0 && pipe->ndecl < 2)
            {
              switch (p_peek_non_space (p).typ)
                {
                case IT_VARIABLE:
                case IT_RIGHTDELIM:
                case IT_RIGHTPAREN:
                  goto decls;
                default:
                  p_errorf (p, "range can only initialize variables");
                }
            }
          p_errorf (p, "too many declarations in %s", context);
        }
      else if (after.typ == IT_SPACE)
        p_backup3 (p, v, after);
      else
        p_backup2 (p, v);
    }
  for (;;)
    {
      struct item t = p_next_non_space (p);
      if (t.typ == end)
        {
          p_check_pipeline (p, pipe, context);
          return pipe;
        }
      switch (t.typ)
        {
        case IT_BOOL:
        case IT_CHARCONST:
        case IT_COMPLEX:
        case IT_DOT:
        case IT_FIELD:
        case IT_IDENT:
        case IT_NUMBER:
        case IT_NIL:
        case IT_RAWSTRING:
        case IT_STRING:
        case IT_VARIABLE:
        case IT_LEFTPAREN:
          p_backup (p);
          node_append (&pipe->kids, &pipe->nkids, p_command (p));
          break;
        default:
          p_unexpected (p, t, context);
        }
    }
}

static void
p_control (struct parser *p, const char *context, struct node *n)
{
  size_t saved = p->nvars;
  n->pipe = p_pipeline (p, context, IT_RIGHTDELIM);
  bool is_range = strcmp (context, "range") == 0;
  if (is_range)
    p->range_depth++;
  struct node *next;
  n->list = p_item_list (p, &next);
  if (is_range)
    p->range_depth--;
  if (next->type == N_ELSE)
    {
      if (strcmp (context, "if") == 0 && p_peek (p).typ == IT_IF)
        {
          p_next (p);
          n->else_list = new_node (p, N_LIST, next->pos);
          node_append (&n->else_list->kids, &n->else_list->nkids, p_if_control (p));
        }
      else if (strcmp (context, "with") == 0 && p_peek (p).typ == IT_WITH)
        {
          p_next (p);
          n->else_list = new_node (p, N_LIST, next->pos);
          node_append (&n->else_list->kids, &n->else_list->nkids, p_with_control (p));
        }
      else
        {
          n->else_list = p_item_list (p, &next);
          if (next->type != N_END)
            {
              char *s = node_to_string (next);
              strv_push_take (&p->lex.errs, s);
              p_errorf (p, "expected end; found %s", s);
            }
        }
    }
  n->pos = n->pipe->pos;
  n->line = n->pipe->line;
  p_pop_vars (p, saved);
}

static struct node *
p_if_control (struct parser *p)
{
  struct node *n = new_node (p, N_IF, 0);
  p_control (p, "if", n);
  return n;
}

static struct node *
p_with_control (struct parser *p)
{
  struct node *n = new_node (p, N_WITH, 0);
  p_control (p, "with", n);
  return n;
}

static struct node *
p_range_control (struct parser *p)
{
  struct node *n = new_node (p, N_RANGE, 0);
  p_control (p, "range", n);
  return n;
}

static void
p_add_def (struct parser *p, const char *name, size_t len, struct node *root)
{
  struct skiff_template *t = p->t;
  for (size_t i = 0; i < t->ndefs; i++)
    if (strlen (t->defs[i].name) == len && memcmp (t->defs[i].name, name, len) == 0)
      {
        /* Go keeps an existing definition over an empty redefinition */
        if (root->nkids > 0)
          t->defs[i].root = root;
        return;
      }
  t->defs = xrealloc (t->defs, (t->ndefs + 1) * sizeof *t->defs);
  t->defs[t->ndefs].name = xstrndup (name, len);
  t->defs[t->ndefs].root = root;
  t->ndefs++;
}

static char *
p_template_name (struct parser *p, struct item token, const char *context, size_t *len)
{
  if (token.typ != IT_STRING && token.typ != IT_RAWSTRING)
    p_unexpected (p, token, context);
  struct sbuf s = { 0 };
  if (!go_unquote (token.val, token.len, &s))
    {
      sb_release (&s);
      p_errorf (p, "invalid syntax");
    }
  *len = s.len;
  char *r = sb_steal (&s);
  strv_push_take (&p->lex.errs, r);
  return r;
}

/* The body of a {{define}} or {{block}}: a new tree with only "$" in scope */
static struct node *
p_sub_tree (struct parser *p, const char *context)
{
  size_t saved_n = p->nvars;
  int saved_depth = p->range_depth;
  p->saved_vars = xrealloc (p->saved_vars, (p->nsaved + 1) * sizeof *p->saved_vars);
  p->saved_vars[p->nsaved++] = p->vars;
  p->vars = NULL;
  p->nvars = 0;
  p->range_depth = 0;
  p_push_var (p, "$", 1);
  struct node *end;
  struct node *root = p_item_list (p, &end);
  if (end->type != N_END)
    {
      char *s = node_to_string (end);
      strv_push_take (&p->lex.errs, s);
      p_errorf (p, "unexpected %s in %s", s, context);
    }
  strv_free (p->vars);
  p->vars = p->saved_vars[--p->nsaved];
  p->nvars = saved_n;
  p->range_depth = saved_depth;
  return root;
}

static struct node *
p_block_control (struct parser *p)
{
  const char *context = "block clause";
  struct item token = p_next_non_space (p);
  size_t nlen;
  char *name = p_template_name (p, token, context, &nlen);
  struct node *pipe = p_pipeline (p, context, IT_RIGHTDELIM);
  struct node *root = p_sub_tree (p, context);
  p_add_def (p, name, nlen, root);
  struct node *n = new_node (p, N_TEMPLATE, token.pos);
  n->line = token.line;
  n->text = xstrndup (name, nlen);
  n->text_len = nlen;
  n->pipe = pipe;
  return n;
}

static struct node *
p_template_control (struct parser *p)
{
  const char *context = "template clause";
  struct item token = p_next_non_space (p);
  size_t nlen;
  char *name = p_template_name (p, token, context, &nlen);
  struct node *pipe = NULL;
  if (p_next_non_space (p).typ != IT_RIGHTDELIM)
    {
      p_backup (p);
      pipe = p_pipeline (p, context, IT_RIGHTDELIM);
    }
  struct node *n = new_node (p, N_TEMPLATE, token.pos);
  n->line = token.line;
  n->text = xstrndup (name, nlen);
  n->text_len = nlen;
  n->pipe = pipe;
  return n;
}

static struct node *
p_action (struct parser *p)
{
  struct item token = p_next_non_space (p);
  switch (token.typ)
    {
    case IT_BLOCK:
      return p_block_control (p);
    case IT_BREAK:
    case IT_CONTINUE:
      {
        const char *what = token.typ == IT_BREAK ? "{{break}}" : "{{continue}}";
        struct item t = p_next_non_space (p);
        if (t.typ != IT_RIGHTDELIM)
          p_unexpected (p, t, what);
        if (p->range_depth == 0)
          p_errorf (p, "%s outside {{range}}", what);
        struct node *n = new_node (p, token.typ == IT_BREAK ? N_BREAK : N_CONTINUE, token.pos);
        n->line = token.line;
        return n;
      }
    case IT_ELSE:
      {
        struct item peek = p_peek_non_space (p);
        if (peek.typ == IT_IF || peek.typ == IT_WITH)
          return new_node (p, N_ELSE, peek.pos);
        struct item t = p_expect (p, IT_RIGHTDELIM, "else");
        return new_node (p, N_ELSE, t.pos);
      }
    case IT_END:
      {
        struct item t = p_expect (p, IT_RIGHTDELIM, "end");
        return new_node (p, N_END, t.pos);
      }
    case IT_IF:
      return p_if_control (p);
    case IT_RANGE:
      return p_range_control (p);
    case IT_TEMPLATE:
      return p_template_control (p);
    case IT_WITH:
      return p_with_control (p);
    default:
      break;
    }
  p_backup (p);
  token = p_peek (p);
  struct node *n = new_node (p, N_ACTION, token.pos);
  n->line = token.line;
  n->pipe = p_pipeline (p, "command", IT_RIGHTDELIM);
  return n;
}

static struct node *
p_text_or_action (struct parser *p)
{
  struct item token = p_next_non_space (p);
  switch (token.typ)
    {
    case IT_TEXT:
      {
        struct node *n = new_node (p, N_TEXT, token.pos);
        n->text = xstrndup (token.val, token.len);
        n->text_len = token.len;
        return n;
      }
    case IT_LEFTDELIM:
      {
        int saved = p->action_line;
        p->action_line = token.line;
        struct node *n = p_action (p);
        p->action_line = saved;
        return n;
      }
    case IT_COMMENT:
      return new_node (p, N_COMMENT, token.pos);
    default:
      p_unexpected (p, token, "input");
    }
}

static struct node *
p_item_list (struct parser *p, struct node **next)
{
  struct node *list = new_node (p, N_LIST, p_peek_non_space (p).pos);
  while (p_peek_non_space (p).typ != IT_EOF)
    {
      struct node *n = p_text_or_action (p);
      if (n->type == N_END || n->type == N_ELSE)
        {
          *next = n;
          return list;
        }
      node_append (&list->kids, &list->nkids, n);
    }
  p_errorf (p, "unexpected EOF");
}

static void
p_parse (struct parser *p)
{
  p->t->root = new_node (p, N_LIST, p_peek (p).pos);
  while (p_peek (p).typ != IT_EOF)
    {
      if (p_peek (p).typ == IT_LEFTDELIM)
        {
          struct item delim = p_next (p);
          if (p_next_non_space (p).typ == IT_DEFINE)
            {
              const char *context = "define clause";
              struct item name = p_next_non_space (p);
              if (name.typ != IT_STRING && name.typ != IT_RAWSTRING)
                p_unexpected (p, name, context);
              size_t nlen;
              char *nm = p_template_name (p, name, context, &nlen);
              p_expect (p, IT_RIGHTDELIM, context);
              struct node *root = p_sub_tree (p, context);
              p_add_def (p, nm, nlen, root);
              continue;
            }
          p_backup2 (p, delim);
        }
      struct node *n = p_text_or_action (p);
      if (n->type == N_END || n->type == N_ELSE)
        {
          char *s = node_to_string (n);
          strv_push_take (&p->lex.errs, s);
          p_errorf (p, "unexpected %s", s);
        }
      node_append (&p->t->root->kids, &p->t->root->nkids, n);
    }
}

/* ------------------------------------------------------------------------------------------------ */
/* executor: Go's text/template/exec.go                                                              */

/* Nested {{template}} calls; Go allows 100000 on its growable stacks, a C stack needs less. */
#define EXEC_DEPTH_LIMIT 1000

struct var
{
  const char *name;
  struct val v;
};

struct exec
{
  const struct skiff_template *t;
  const char *tmpl_name; /* the template being executed, for "executing %q" */
  struct sbuf *out;
  struct var *vars;
  size_t nvars, capvars;
  const struct node *at;
  skiff_error_t *err;
  int depth;
};

static int x_errorf (struct exec *s, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static int
x_errorf (struct exec *s, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  struct sbuf b = { 0 };
  sb_adds (&b, "template: ");
  if (s->at == NULL)
    {
      if (s->tmpl_name)
        sb_printf (&b, "%s: ", s->tmpl_name);
    }
  else
    {
      /* Go's Tree.ErrorContext */
      size_t pos = s->at->pos;
      const char *text = s->t->text;
      int line = 1;
      size_t col = pos, last_nl = 0;
      bool seen = false;
      for (size_t i = 0; i < pos; i++)
        if (text[i] == '\n')
          {
            line++;
            last_nl = i;
            seen = true;
          }
      if (seen)
        col = pos - (last_nl + 1);
      if (s->t->name)
        sb_printf (&b, "%s:", s->t->name);
      sb_printf (&b, "%d:%zu: executing ", line, col);
      if (s->tmpl_name)
        {
          go_quote (&b, s->tmpl_name, strlen (s->tmpl_name), '"');
          sb_addc (&b, ' ');
        }
      struct sbuf ctx = { 0 };
      node_write (&ctx, s->at);
      sb_adds (&b, "at <");
      if (ctx.s)
        sb_addn (&b, ctx.s, ctx.len);
      sb_adds (&b, ">: ");
      sb_release (&ctx);
    }
  sb_adds (&b, msg);
  free (msg);
  skiff_error_set (s->err, 0, "%s", b.s);
  sb_release (&b);
  return -1;
}

static void
x_push (struct exec *s, const char *name, struct val v)
{
  if (s->nvars == s->capvars)
    {
      s->capvars = s->capvars ? s->capvars * 2 : 8;
      s->vars = xrealloc (s->vars, s->capvars * sizeof *s->vars);
    }
  s->vars[s->nvars].name = name;
  s->vars[s->nvars].v = v;
  s->nvars++;
}

static void
x_pop (struct exec *s, size_t mark)
{
  while (s->nvars > mark)
    val_drop (&s->vars[--s->nvars].v);
}

static int
x_set_var (struct exec *s, const char *name, struct val v)
{
  for (size_t i = s->nvars; i-- > 0;)
    if (strcmp (s->vars[i].name, name) == 0)
      {
        val_drop (&s->vars[i].v);
        s->vars[i].v = v;
        return 0;
      }
  val_drop (&v);
  return x_errorf (s, "undefined variable: %s", name);
}

static void
x_set_top_var (struct exec *s, size_t n, struct val v)
{
  val_drop (&s->vars[s->nvars - n].v);
  s->vars[s->nvars - n].v = v;
}

/* Go parameter types of the functions skiff provides */
enum ptype
{
  P_VALUE, /* reflect.Value: anything, including invalid */
  P_ANY,   /* interface{}: invalid becomes nil */
  P_STRING,
  P_INT,
  P_STRV, /* []string */
};

static const char *
ptype_name (enum ptype t)
{
  switch (t)
    {
    case P_VALUE:
      return "reflect.Value";
    case P_ANY:
      return "interface {}";
    case P_STRING:
      return "string";
    case P_INT:
      return "int";
    case P_STRV:
      return "[]string";
    }
  return "?";
}

struct builtin
{
  const char *name;
  int nfixed; /* parameters, counting the variadic one */
  bool variadic;
  enum ptype params[3];
  /* argv holds argc validated arguments; *errmsg (allocated) on failure */
  int (*fn) (struct exec *s, struct val *argv, size_t argc, struct val *out, char **errmsg);
};

static const struct builtin *builtin_find (const char *name, size_t len);

static int x_eval_pipeline (struct exec *s, struct val dot, const struct node *pipe, struct val *out);
static int x_eval_arg (struct exec *s, struct val dot, enum ptype t, const struct node *n, struct val *out);
static int x_eval_function (struct exec *s, struct val dot, const struct node *ident, const struct node *cmd,
                            struct node *const *args, size_t nargs, const struct val *final, struct val *out);

static int
x_not_a_function (struct exec *s, struct node *const *args, size_t nargs, const struct val *final)
{
  if (nargs > 1 || final)
    {
      char *str = node_to_string (args[0]);
      int r = x_errorf (s, "can't give argument to non-function %s", str);
      free (str);
      return r;
    }
  return 0;
}

static json_object *
obj_lookup (json_object *obj, const char *name, bool *found)
{
  json_object *v = NULL;
  *found = json_object_object_get_ex (obj, name, &v);
  if (*found)
    return v;
  /* skiff: podman's data are Go structs whose JSON keys are often lower case ({{.Host.Arch}} on
   * "host"."arch"), so fall back to a case-insensitive match */
  json_object_object_foreach (obj, k, val)
  {
    if (strcasecmp (k, name) == 0)
      {
        *found = true;
        return val;
      }
  }
  return NULL;
}

static int
x_eval_field (struct exec *s, const char *name, size_t nargs, const struct val *final, struct val receiver,
              struct val *out)
{
  if (receiver.invalid)
    {
      *out = VAL_INVALID;
      return 0;
    }
  if (receiver.j == NULL)
    return x_errorf (s, "nil pointer evaluating interface {}.%s", name);
  bool has_args = nargs > 1 || final;
  if (jkind (receiver.j) == VK_MAP)
    {
      if (has_args)
        return x_errorf (s, "%s is not a method but has arguments", name);
      bool found;
      json_object *v = obj_lookup (receiver.j, name, &found);
      *out = found ? val_ref (v) : VAL_INVALID;
      return 0;
    }
  return x_errorf (s, "can't evaluate field %s in type %s", name, jtype_name (receiver.j));
}

static int
x_eval_field_chain (struct exec *s, struct val receiver, char *const *ident, size_t n, size_t nargs,
                    const struct val *final, struct val *out)
{
  struct val r = val_dup (receiver);
  for (size_t i = 0; i + 1 < n; i++)
    {
      struct val next;
      if (x_eval_field (s, ident[i], 0, NULL, r, &next) < 0)
        {
          val_drop (&r);
          return -1;
        }
      val_drop (&r);
      r = next;
    }
  int ret = x_eval_field (s, ident[n - 1], nargs, final, r, out);
  val_drop (&r);
  return ret;
}

static int
x_eval_field_node (struct exec *s, struct val dot, const struct node *field, size_t nargs,
                   const struct val *final, struct val *out)
{
  s->at = field;
  return x_eval_field_chain (s, dot, field->ident, field->nident, nargs, final, out);
}

static int
x_var_value (struct exec *s, const char *name, struct val *out)
{
  for (size_t i = s->nvars; i-- > 0;)
    if (strcmp (s->vars[i].name, name) == 0)
      {
        *out = val_dup (s->vars[i].v);
        return 0;
      }
  return x_errorf (s, "undefined variable: %s", name);
}

static int
x_eval_variable_node (struct exec *s, struct val dot, const struct node *v, struct node *const *args, size_t nargs,
                      const struct val *final, struct val *out)
{
  s->at = v;
  struct val value;
  if (x_var_value (s, v->ident[0], &value) < 0)
    return -1;
  if (v->nident == 1)
    {
      if (args && x_not_a_function (s, args, nargs, final) < 0)
        {
          val_drop (&value);
          return -1;
        }
      *out = value;
      return 0;
    }
  int r = x_eval_field_chain (s, value, v->ident + 1, v->nident - 1, nargs, final, out);
  val_drop (&value);
  return r;
}

static int x_eval_arg_untyped (struct exec *s, struct val dot, const struct node *n, struct val *out);

static int
x_eval_chain_node (struct exec *s, struct val dot, const struct node *chain, size_t nargs, const struct val *final,
                   struct val *out)
{
  if (chain->chain->type == N_NIL)
    {
      char *str = node_to_string (chain);
      int r = x_errorf (s, "indirection through explicit nil in %s", str);
      free (str);
      return r;
    }
  struct val pipe;
  if (x_eval_arg_untyped (s, dot, chain->chain, &pipe) < 0)
    return -1;
  int r = x_eval_field_chain (s, pipe, chain->ident, chain->nident, nargs, final, out);
  val_drop (&pipe);
  return r;
}

static bool
text_is_hex_int (const char *t)
{
  return strlen (t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') && strpbrk (t, "pP") == NULL;
}

static int
x_ideal_constant (struct exec *s, const struct node *n, struct val *out)
{
  s->at = n;
  if (n->is_float && !text_is_hex_int (n->text) && n->text[0] != '\'' && strpbrk (n->text, ".eEpP"))
    {
      *out = val_take (json_object_new_double (n->f));
      return 0;
    }
  if (n->is_int)
    {
      *out = val_take (json_object_new_int64 (n->i));
      return 0;
    }
  if (n->is_uint)
    return x_errorf (s, "%s overflows int", n->text);
  *out = VAL_INVALID;
  return 0;
}

/* evalEmptyInterface for literals */
static int
x_eval_literal (struct exec *s, struct val dot, const struct node *n, struct val *out)
{
  s->at = n;
  switch (n->type)
    {
    case N_BOOL:
      *out = val_take (json_object_new_boolean (n->b));
      return 0;
    case N_DOT:
      *out = val_dup (dot);
      return 0;
    case N_NUMBER:
      return x_ideal_constant (s, n, out);
    case N_STRING:
      *out = val_take (json_object_new_string_len (n->str, (int) n->str_len));
      return 0;
    default:
      {
        char *str = node_to_string (n);
        int r = x_errorf (s, "can't handle assignment of %s to empty interface argument", str);
        free (str);
        return r;
      }
    }
}

/* evalArg with a nil type */
static int
x_eval_arg_untyped (struct exec *s, struct val dot, const struct node *n, struct val *out)
{
  s->at = n;
  switch (n->type)
    {
    case N_DOT:
      *out = val_dup (dot);
      return 0;
    case N_FIELD:
      return x_eval_field_node (s, dot, n, 1, NULL, out);
    case N_VARIABLE:
      return x_eval_variable_node (s, dot, n, NULL, 0, NULL, out);
    case N_PIPE:
      return x_eval_pipeline (s, dot, n, out);
    case N_IDENT:
      return x_eval_function (s, dot, n, n, NULL, 0, NULL, out);
    case N_CHAIN:
      return x_eval_chain_node (s, dot, n, 0, NULL, out);
    default:
      return x_eval_literal (s, dot, n, out);
    }
}

/* validateType: the value as the parameter type wants it */
static int
x_validate (struct exec *s, struct val v, enum ptype t, struct val *out)
{
  switch (t)
    {
    case P_VALUE:
      *out = val_dup (v);
      return 0;
    case P_ANY:
      *out = v.invalid ? (struct val){ NULL, false } : val_dup (v);
      return 0;
    default:
      break;
    }
  if (v.invalid)
    return x_errorf (s, "invalid value; expected %s", ptype_name (t));
  enum vkind k = jkind (v.j);
  bool ok = false;
  if (t == P_STRING)
    ok = k == VK_STRING;
  else if (t == P_INT)
    {
      uint64_t u;
      ok = k == VK_INT && !jint_unsigned (v.j, &u);
    }
  else if (t == P_STRV && k == VK_ARRAY)
    {
      ok = true;
      for (size_t i = 0; i < json_object_array_length (v.j); i++)
        if (jkind (json_object_array_get_idx (v.j, i)) != VK_STRING)
          ok = false;
    }
  if (!ok)
    {
      const char *got = jtype_name (v.j);
      if (t == P_STRV && k == VK_ARRAY)
        got = "[]interface {}";
      return x_errorf (s, "wrong type for value; expected %s; got %s", ptype_name (t), got);
    }
  *out = val_dup (v);
  return 0;
}

static int
x_eval_arg (struct exec *s, struct val dot, enum ptype t, const struct node *n, struct val *out)
{
  s->at = n;
  struct val v;
  switch (n->type)
    {
    case N_DOT:
      return x_validate (s, dot, t, out);
    case N_NIL:
      if (t == P_ANY)
        {
          *out = (struct val){ NULL, false };
          return 0;
        }
      if (t == P_VALUE || t == P_STRV)
        {
          *out = t == P_VALUE ? VAL_INVALID : val_take (json_object_new_array ());
          return 0;
        }
      return x_errorf (s, "cannot assign nil to %s", ptype_name (t));
    case N_FIELD:
    case N_VARIABLE:
    case N_PIPE:
    case N_IDENT:
    case N_CHAIN:
      if (x_eval_arg_untyped (s, dot, n, &v) < 0)
        return -1;
      {
        int r = x_validate (s, v, t, out);
        val_drop (&v);
        return r;
      }
    default:
      break;
    }
  switch (t)
    {
    case P_STRING:
      if (n->type == N_STRING)
        {
          *out = val_take (json_object_new_string_len (n->str, (int) n->str_len));
          return 0;
        }
      {
        char *str = node_to_string (n);
        int r = x_errorf (s, "expected string; found %s", str);
        free (str);
        return r;
      }
    case P_INT:
      if (n->type == N_NUMBER && n->is_int)
        {
          *out = val_take (json_object_new_int64 (n->i));
          return 0;
        }
      {
        char *str = node_to_string (n);
        int r = x_errorf (s, "expected integer; found %s", str);
        free (str);
        return r;
      }
    case P_STRV:
      {
        char *str = node_to_string (n);
        int r = x_errorf (s, "can't handle %s for arg of type []string", str);
        free (str);
        return r;
      }
    default:
      return x_eval_literal (s, dot, n, out);
    }
}

static void
vals_drop (struct val *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    val_drop (&v[i]);
}

static int
x_eval_call (struct exec *s, struct val dot, const struct builtin *b, const struct node *node,
             struct node *const *args, size_t nargs, const struct val *final, struct val *out)
{
  const char *name = b->name;
  size_t num_in = nargs + (final ? 1 : 0);
  if (b->variadic)
    {
      if (num_in < (size_t) b->nfixed - 1)
        return x_errorf (s, "wrong number of args for %s: want at least %d got %zu", name, b->nfixed - 1, nargs);
    }
  else if (num_in != (size_t) b->nfixed)
    return x_errorf (s, "wrong number of args for %s: want %d got %zu", name, b->nfixed, num_in);

  if (strcmp (name, "and") == 0 || strcmp (name, "or") == 0)
    {
      /* short-circuit: the first falsy (and) or truthy (or) argument, else the last */
      bool is_or = name[0] == 'o';
      struct val v = VAL_INVALID;
      for (size_t i = 0; i < nargs; i++)
        {
          val_drop (&v);
          if (x_eval_arg (s, dot, P_VALUE, args[i], &v) < 0)
            return -1;
          if (val_truth (v) == is_or)
            {
              *out = v;
              return 0;
            }
        }
      if (final)
        {
          val_drop (&v);
          v = val_dup (*final);
        }
      *out = v;
      return 0;
    }

  size_t nfixed = (size_t) b->nfixed - (b->variadic ? 1 : 0);
  struct val *argv = xmalloc0 ((num_in ? num_in : 1) * sizeof *argv);
  size_t i = 0;
  for (; i < nfixed && i < nargs; i++)
    if (x_eval_arg (s, dot, b->params[i], args[i], &argv[i]) < 0)
      goto fail;
  if (b->variadic)
    for (; i < nargs; i++)
      if (x_eval_arg (s, dot, b->params[b->nfixed - 1], args[i], &argv[i]) < 0)
        goto fail;
  if (final)
    {
      enum ptype t = b->params[b->nfixed - 1];
      if (b->variadic && num_in - 1 < nfixed)
        t = b->params[num_in - 1];
      if (x_validate (s, *final, t, &argv[i]) < 0)
        goto fail;
      i++;
    }
  char *errmsg = NULL;
  if (strcmp (name, "call") == 0)
    {
      /* call needs a function value; JSON data holds none */
      char *callee = nargs > 0 ? node_to_string (args[0]) : NULL;
      if (argv[0].invalid || argv[0].j == NULL)
        errmsg = xstrdup ("call of nil");
      else
        errmsg = xasprintf ("non-function %s%sof type %s", callee ? callee : "", callee ? " " : "",
                            jtype_name (argv[0].j));
      free (callee);
    }
  else if (b->fn (s, argv, num_in, out, &errmsg) == 0)
    {
      vals_drop (argv, i);
      free (argv);
      return 0;
    }
  vals_drop (argv, i);
  free (argv);
  s->at = node;
  int r = x_errorf (s, "error calling %s: %s", name, errmsg);
  free (errmsg);
  return r;
fail:
  vals_drop (argv, i);
  free (argv);
  return -1;
}

static int
x_eval_function (struct exec *s, struct val dot, const struct node *ident, const struct node *cmd,
                 struct node *const *args, size_t nargs, const struct val *final, struct val *out)
{
  s->at = ident;
  const struct builtin *b = builtin_find (ident->text, ident->text_len);
  if (b == NULL)
    return x_errorf (s, "\"%s\" is not a defined function", ident->text);
  /* args[0] is the function's name */
  if (args && nargs > 0)
    {
      args++;
      nargs--;
    }
  return x_eval_call (s, dot, b, cmd, args, nargs, final, out);
}

static int
x_eval_command (struct exec *s, struct val dot, const struct node *cmd, const struct val *final, struct val *out)
{
  const struct node *first = cmd->kids[0];
  switch (first->type)
    {
    case N_FIELD:
      return x_eval_field_node (s, dot, first, cmd->nkids, final, out);
    case N_CHAIN:
      return x_eval_chain_node (s, dot, first, cmd->nkids, final, out);
    case N_IDENT:
      return x_eval_function (s, dot, first, cmd, cmd->kids, cmd->nkids, final, out);
    case N_PIPE:
      if (x_not_a_function (s, cmd->kids, cmd->nkids, final) < 0)
        return -1;
      return x_eval_pipeline (s, dot, first, out);
    case N_VARIABLE:
      return x_eval_variable_node (s, dot, first, cmd->kids, cmd->nkids, final, out);
    default:
      break;
    }
  s->at = first;
  if (x_not_a_function (s, cmd->kids, cmd->nkids, final) < 0)
    return -1;
  switch (first->type)
    {
    case N_BOOL:
    case N_NUMBER:
    case N_STRING:
    case N_DOT:
      return x_eval_literal (s, dot, first, out);
    case N_NIL:
      return x_errorf (s, "nil is not a command");
    default:
      {
        char *str = node_to_string (first);
        int r = x_errorf (s, "can't evaluate command %s", str);
        free (str);
        return r;
      }
    }
}

static int
x_eval_pipeline (struct exec *s, struct val dot, const struct node *pipe, struct val *out)
{
  if (pipe == NULL)
    {
      *out = VAL_INVALID;
      return 0;
    }
  s->at = pipe;
  struct val value = VAL_INVALID;
  bool have = false;
  for (size_t i = 0; i < pipe->nkids; i++)
    {
      struct val r;
      if (x_eval_command (s, dot, pipe->kids[i], have ? &value : NULL, &r) < 0)
        {
          val_drop (&value);
          return -1;
        }
      val_drop (&value);
      value = r;
      have = true;
      /* Go: a nil interface{} result becomes the invalid value ("lovely!") */
      if (!value.invalid && value.j == NULL)
        value = VAL_INVALID;
    }
  for (size_t i = 0; i < pipe->ndecl; i++)
    {
      if (pipe->is_assign)
        {
          if (x_set_var (s, pipe->decl[i]->ident[0], val_dup (value)) < 0)
            {
              val_drop (&value);
              return -1;
            }
        }
      else
        x_push (s, pipe->decl[i]->ident[0], val_dup (value));
    }
  *out = value;
  return 0;
}

enum
{
  WALK_OK = 0,
  WALK_BREAK = 1,
  WALK_CONTINUE = 2,
};

static int x_walk (struct exec *s, struct val dot, const struct node *n);

static int
x_walk_if_or_with (struct exec *s, struct val dot, const struct node *n)
{
  size_t mark = s->nvars;
  struct val v;
  if (x_eval_pipeline (s, dot, n->pipe, &v) < 0)
    {
      x_pop (s, mark);
      return -1;
    }
  int rc = WALK_OK;
  if (val_truth (v))
    rc = x_walk (s, n->type == N_WITH ? v : dot, n->list);
  else if (n->else_list)
    rc = x_walk (s, dot, n->else_list);
  val_drop (&v);
  x_pop (s, mark);
  return rc;
}

static int
x_range_iteration (struct exec *s, const struct node *r, size_t mark, struct val index, struct val elem)
{
  const struct node *pipe = r->pipe;
  int rc = 0;
  if (pipe->ndecl > 0)
    {
      if (pipe->is_assign)
        rc = x_set_var (s, pipe->decl[0]->ident[0], val_dup (pipe->ndecl > 1 ? index : elem));
      else
        x_set_top_var (s, 1, val_dup (elem));
    }
  if (rc == 0 && pipe->ndecl > 1)
    {
      if (pipe->is_assign)
        rc = x_set_var (s, pipe->decl[1]->ident[0], val_dup (elem));
      else
        x_set_top_var (s, 2, val_dup (index));
    }
  if (rc == 0)
    rc = x_walk (s, elem, r->list);
  x_pop (s, mark);
  return rc;
}

static int
x_walk_range (struct exec *s, struct val dot, const struct node *r)
{
  s->at = r;
  size_t mark0 = s->nvars;
  struct val v;
  if (x_eval_pipeline (s, dot, r->pipe, &v) < 0)
    {
      x_pop (s, mark0);
      return -1;
    }
  size_t mark = s->nvars;
  bool ran = false;
  int rc = 0;
  switch (vkind (v))
    {
    case VK_ARRAY:
      {
        size_t n = json_object_array_length (v.j);
        for (size_t i = 0; i < n && rc >= 0; i++)
          {
            ran = true;
            struct val idx = val_take (json_object_new_int64 ((int64_t) i));
            struct val elem = val_ref (json_object_array_get_idx (v.j, i));
            rc = x_range_iteration (s, r, mark, idx, elem);
            val_drop (&idx);
            val_drop (&elem);
            if (rc == WALK_BREAK)
              break;
          }
        break;
      }
    case VK_MAP:
      {
        size_t n;
        struct kv *e = sorted_entries (v.j, &n);
        for (size_t i = 0; i < n && rc >= 0; i++)
          {
            ran = true;
            struct val key = val_take (json_object_new_string_len (e[i].k, (int) e[i].klen));
            struct val elem = val_ref (e[i].v);
            rc = x_range_iteration (s, r, mark, key, elem);
            val_drop (&key);
            val_drop (&elem);
            if (rc == WALK_BREAK)
              break;
          }
        free (e);
        break;
      }
    case VK_INT:
      {
        /* Go 1.22: range over an integer */
        if (r->pipe->ndecl > 1)
          {
            struct sbuf t = { 0 };
            print_value (&t, v);
            rc = x_errorf (s, "can't use %s to iterate over more than one variable", t.s);
            sb_release (&t);
            break;
          }
        int64_t n = json_object_get_int64 (v.j);
        for (int64_t i = 0; i < n && rc >= 0; i++)
          {
            ran = true;
            struct val idx = val_take (json_object_new_int64 (i));
            rc = x_range_iteration (s, r, mark, idx, idx);
            val_drop (&idx);
            if (rc == WALK_BREAK)
              break;
          }
        break;
      }
    case VK_INVALID:
    case VK_NIL:
      break;
    default:
      {
        struct sbuf t = { 0 };
        print_value (&t, v);
        rc = x_errorf (s, "range can't iterate over %s", t.s);
        sb_release (&t);
      }
    }
  if (rc >= 0)
    {
      rc = 0;
      if (!ran && r->else_list)
        rc = x_walk (s, dot, r->else_list);
    }
  val_drop (&v);
  x_pop (s, mark0);
  return rc;
}

static const struct node *
find_def (const struct skiff_template *t, const char *name, size_t len)
{
  for (size_t i = 0; i < t->ndefs; i++)
    if (strlen (t->defs[i].name) == len && memcmp (t->defs[i].name, name, len) == 0)
      return t->defs[i].root;
  if (t->name && strlen (t->name) == len && memcmp (t->name, name, len) == 0)
    return t->root;
  return NULL;
}

static int
x_walk_template (struct exec *s, struct val dot, const struct node *n)
{
  s->at = n;
  const struct node *root = find_def (s->t, n->text, n->text_len);
  if (root == NULL)
    {
      struct sbuf q = { 0 };
      go_quote (&q, n->text, n->text_len, '"');
      int r = x_errorf (s, "template %s not defined", q.s);
      sb_release (&q);
      return r;
    }
  if (s->depth >= EXEC_DEPTH_LIMIT)
    return x_errorf (s, "exceeded maximum template depth (%d)", EXEC_DEPTH_LIMIT);
  struct val newdot;
  if (x_eval_pipeline (s, dot, n->pipe, &newdot) < 0)
    return -1;
  struct exec ns = *s;
  ns.depth++;
  ns.tmpl_name = n->text;
  ns.vars = NULL;
  ns.nvars = ns.capvars = 0;
  /* no dynamic scoping: the called template sees only $ */
  x_push (&ns, "$", val_dup (newdot));
  int rc = x_walk (&ns, newdot, root);
  x_pop (&ns, 0);
  free (ns.vars);
  val_drop (&newdot);
  return rc < 0 ? -1 : 0;
}

static int
x_walk (struct exec *s, struct val dot, const struct node *n)
{
  s->at = n;
  switch (n->type)
    {
    case N_ACTION:
      {
        struct val v;
        if (x_eval_pipeline (s, dot, n->pipe, &v) < 0)
          return -1;
        if (n->pipe->ndecl == 0)
          print_value (s->out, v);
        val_drop (&v);
        return WALK_OK;
      }
    case N_BREAK:
      return WALK_BREAK;
    case N_CONTINUE:
      return WALK_CONTINUE;
    case N_COMMENT:
      return WALK_OK;
    case N_IF:
    case N_WITH:
      return x_walk_if_or_with (s, dot, n);
    case N_LIST:
      for (size_t i = 0; i < n->nkids; i++)
        {
          int rc = x_walk (s, dot, n->kids[i]);
          if (rc != WALK_OK)
            return rc;
        }
      return WALK_OK;
    case N_RANGE:
      return x_walk_range (s, dot, n);
    case N_TEMPLATE:
      return x_walk_template (s, dot, n);
    case N_TEXT:
      sb_addn (s->out, n->text, n->text_len);
      return WALK_OK;
    default:
      {
        char *str = node_to_string (n);
        int r = x_errorf (s, "unknown node: %s", str);
        free (str);
        return r;
      }
    }
}

/* Run root with data as dot and $; output appended to out. */
static int
x_run (const struct skiff_template *t, const struct node *root, struct val data, struct sbuf *out,
       skiff_error_t *err)
{
  struct exec s = { .t = t, .tmpl_name = t->name, .out = out, .err = err };
  x_push (&s, "$", val_dup (data));
  int rc = x_walk (&s, data, root);
  x_pop (&s, 0);
  free (s.vars);
  return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------------------------------------ */
/* functions: Go's text/template builtins and podman's report.DefaultFuncs                           */

static int
fn_fail (char **errmsg, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
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
  return val_take (json_object_new_string_len (s, (int) n));
}

static struct val
val_bool (bool b)
{
  return val_take (json_object_new_boolean (b));
}

static const char *
arg_str (struct val v, size_t *n)
{
  return jstr (v.j, n);
}

static int
fn_not (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  *out = val_bool (!val_truth (a[0]));
  return 0;
}

static int
fn_len (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  if (a[0].invalid)
    return fn_fail (e, "len of untyped nil");
  int64_t len;
  switch (jkind (a[0].j))
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
    default:
      return fn_fail (e, "len of type %s", jtype_name (a[0].j));
    }
  *out = val_take (json_object_new_int64 (len));
  return 0;
}

/* Go's indexArg */
static int
index_arg (struct val index, size_t cap, int64_t *x, char **e)
{
  if (index.invalid || index.j == NULL)
    return fn_fail (e, "cannot index slice/array with nil");
  uint64_t u;
  if (jkind (index.j) != VK_INT)
    return fn_fail (e, "cannot index slice/array with type %s", jtype_name (index.j));
  if (jint_unsigned (index.j, &u))
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
  struct val item = val_dup (a[0]);
  for (size_t i = 1; i < n; i++)
    {
      struct val index = a[i];
      if (item.j == NULL)
        {
          val_drop (&item);
          return fn_fail (e, "index of nil pointer");
        }
      switch (jkind (item.j))
        {
        case VK_ARRAY:
        case VK_STRING:
          {
            bool is_str = jkind (item.j) == VK_STRING;
            size_t len = is_str ? (size_t) json_object_get_string_len (item.j) : json_object_array_length (item.j);
            int64_t x;
            if (index_arg (index, len, &x, e) < 0)
              {
                val_drop (&item);
                return -1;
              }
            if ((size_t) x == len)
              {
                val_drop (&item);
                return fn_fail (e, "reflect: %s index out of range", is_str ? "string" : "slice");
              }
            struct val next
                = is_str ? val_take (json_object_new_int64 ((unsigned char) json_object_get_string (item.j)[x]))
                         : val_ref (json_object_array_get_idx (item.j, (size_t) x));
            val_drop (&item);
            item = next;
            break;
          }
        case VK_MAP:
          {
            if (index.invalid || index.j == NULL)
              {
                val_drop (&item);
                return fn_fail (e, "value is nil; should be of type string");
              }
            if (jkind (index.j) != VK_STRING)
              {
                const char *tn = jtype_name (index.j);
                val_drop (&item);
                return fn_fail (e, "value has type %s; should be string", tn);
              }
            /* a missing key gives the zero value: a nil interface */
            json_object *v = NULL;
            json_object_object_get_ex (item.j, json_object_get_string (index.j), &v);
            struct val next = val_ref (v);
            val_drop (&item);
            item = next;
            break;
          }
        default:
          {
            const char *tn = jtype_name (item.j);
            val_drop (&item);
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
  enum vkind k = jkind (a[0].j);
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
    return fn_fail (e, "can't slice item of type %s", jtype_name (a[0].j));
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
  *out = val_take (arr);
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
  go_sprint (&b, f, n);
  free (f);
  *out = val_string (b.s ? b.s : "", b.len);
  sb_release (&b);
  return 0;
}

static int
fn_println (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  struct farg *f = fargs_of (a, n);
  struct sbuf b = { 0 };
  go_sprintln (&b, f, n);
  free (f);
  *out = val_string (b.s, b.len);
  sb_release (&b);
  return 0;
}

static int
fn_printf (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  size_t flen;
  const char *format = arg_str (a[0], &flen);
  struct farg *f = fargs_of (a + 1, n - 1);
  struct sbuf b = { 0 };
  go_sprintf (&b, format, flen, f, n - 1);
  free (f);
  *out = val_string (b.s ? b.s : "", b.len);
  sb_release (&b);
  return 0;
}

/* text/template's evalArgs: one string as is, else fmt.Sprint with nil shown as "<no value>" */
static char *
eval_args (struct val *a, size_t n, size_t *len)
{
  struct sbuf b = { 0 };
  if (n == 1 && !a[0].invalid && jkind (a[0].j) == VK_STRING)
    {
      size_t l;
      const char *s = jstr (a[0].j, &l);
      sb_addn (&b, s, l);
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
      go_sprint (&b, f, n);
      free (f);
      json_object_put (novalue);
    }
  sb_addn (&b, "", 0);
  *len = b.len;
  return sb_steal (&b);
}

static int
fn_html (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  size_t len;
  char *str = eval_args (a, n, &len);
  struct sbuf b = { 0 };
  sb_addn (&b, "", 0);
  for (size_t i = 0; i < len; i++)
    switch (str[i])
      {
      case '"':
        sb_adds (&b, "&#34;");
        break;
      case '\'':
        sb_adds (&b, "&#39;");
        break;
      case '&':
        sb_adds (&b, "&amp;");
        break;
      case '<':
        sb_adds (&b, "&lt;");
        break;
      case '>':
        sb_adds (&b, "&gt;");
        break;
      case '\0':
        sb_adds (&b, "\xEF\xBF\xBD");
        break;
      default:
        sb_addc (&b, str[i]);
      }
  free (str);
  *out = val_string (b.s, b.len);
  sb_release (&b);
  return 0;
}

static int
fn_js (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t len;
  char *str = eval_args (a, n, &len);
  struct sbuf b = { 0 };
  sb_addn (&b, "", 0);
  for (size_t i = 0; i < len;)
    {
      unsigned char c = (unsigned char) str[i];
      if (c < 0x80)
        {
          switch (c)
            {
            case '\\':
              sb_adds (&b, "\\\\");
              break;
            case '\'':
              sb_adds (&b, "\\'");
              break;
            case '"':
              sb_adds (&b, "\\\"");
              break;
            case '<':
              sb_adds (&b, "\\u003C");
              break;
            case '>':
              sb_adds (&b, "\\u003E");
              break;
            case '&':
              sb_adds (&b, "\\u0026");
              break;
            case '=':
              sb_adds (&b, "\\u003D");
              break;
            default:
              if (c < ' ')
                {
                  sb_adds (&b, "\\u00");
                  sb_addc (&b, hex[c >> 4]);
                  sb_addc (&b, hex[c & 15]);
                }
              else
                sb_addc (&b, (char) c);
            }
          i++;
          continue;
        }
      size_t w;
      uint32_t r = utf8_decode ((const unsigned char *) str + i, len - i, &w);
      if (rune_is_print (r))
        sb_addn (&b, str + i, w);
      else
        sb_printf (&b, "\\u%04" PRIX32, r);
      i += w;
    }
  free (str);
  *out = val_string (b.s, b.len);
  sb_release (&b);
  return 0;
}

static int
fn_urlquery (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t len;
  char *str = eval_args (a, n, &len);
  struct sbuf b = { 0 };
  sb_addn (&b, "", 0);
  for (size_t i = 0; i < len; i++)
    {
      unsigned char c = (unsigned char) str[i];
      if (isalnum (c) || c == '-' || c == '_' || c == '.' || c == '~')
        sb_addc (&b, (char) c);
      else if (c == ' ')
        sb_addc (&b, '+');
      else
        {
          sb_addc (&b, '%');
          sb_addc (&b, hex[c >> 4]);
          sb_addc (&b, hex[c & 15]);
        }
    }
  free (str);
  *out = val_string (b.s, b.len);
  sb_release (&b);
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
  switch (jkind (v.j))
    {
    case VK_BOOL:
      return CK_BOOL;
    case VK_INT:
      if (jint_unsigned (v.j, u))
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
      if (jkind (a.j) == jkind (b.j))
        r = fn_fail (e, "non-comparable type %s: %s", sb.s, jtype_name (b.j));
      else
        r = fn_fail (e, "non-comparable types %s: %s, %s: %s", sa.s, jtype_name (a.j), jtype_name (b.j), sb.s);
      sb_release (&sa);
      sb_release (&sb);
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
        const char *sa = jstr (a.j, &la), *sb = jstr (b.j, &lb);
        *truth = la == lb && memcmp (sa, sb, la) == 0;
        break;
      }
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
        const char *sa = jstr (a.j, &la), *sb = jstr (b.j, &lb);
        int c = memcmp (sa, sb, la < lb ? la : lb);
        *truth = c < 0 || (c == 0 && la < lb);
        break;
      }
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
  val_drop (&le);
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
  json_encode (&b, a[0].invalid ? NULL : a[0].j);
  *out = val_string (b.s, b.len);
  sb_release (&b);
  return 0;
}

static int
fn_join (struct exec *s, struct val *a, size_t n, struct val *out, char **e)
{
  size_t seplen;
  const char *sep = arg_str (a[1], &seplen);
  struct sbuf b = { 0 };
  sb_addn (&b, "", 0);
  size_t cnt = json_object_array_length (a[0].j);
  for (size_t i = 0; i < cnt; i++)
    {
      if (i)
        sb_addn (&b, sep, seplen);
      size_t l;
      const char *str = jstr (json_object_array_get_idx (a[0].j, i), &l);
      sb_addn (&b, str, l);
    }
  *out = val_string (b.s, b.len);
  sb_release (&b);
  return 0;
}

static int
fn_case (struct val *a, struct val *out, bool upper)
{
  size_t n, m;
  const char *str = arg_str (a[0], &n);
  char *r = str_map_case (str, n, upper, &m);
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
  sb_addn (&r, "", 0);
  uint32_t prev = ' ';
  for (size_t i = 0; i < len;)
    {
      size_t w;
      uint32_t c = utf8_decode ((const unsigned char *) str + i, len - i, &w);
      bool sep;
      if (prev <= 0x7F)
        sep = !(isalnum ((int) prev) || prev == '_');
      else
        sep = rune_is_unicode_space (prev);
      uint32_t t = c;
      if (sep)
        {
          /* unicode.ToTitle: the upper case, except for the four digraph letters */
          if ((c >= 0x1C4 && c <= 0x1CC) || (c >= 0x1F1 && c <= 0x1F3))
            t = c <= 0x1C6 ? 0x1C5 : c <= 0x1C9 ? 0x1C8 : c <= 0x1CC ? 0x1CB : 0x1F2;
          else
            t = rune_map_case (c, true);
        }
      utf8_encode (&r, t);
      prev = c;
      i += w;
    }
  *out = val_string (r.s, r.len);
  sb_release (&r);
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
          utf8_decode ((const unsigned char *) str + i, len - i, &w);
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
  *out = val_take (arr);
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
      *out = val_dup (a[0]);
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
      *out = val_dup (a[0]);
      return 0;
    }
  if (pre < 0 || post < 0)
    return fn_fail (e, "strings: negative Repeat count");
  struct sbuf b = { 0 };
  sb_repeat (&b, ' ', (size_t) pre);
  sb_addn (&b, str, len);
  sb_repeat (&b, ' ', (size_t) post);
  *out = val_string (b.s, b.len);
  sb_release (&b);
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

static const struct builtin *
builtin_find (const char *name, size_t len)
{
  for (size_t i = 0; i < ARRAY_SIZE (builtins); i++)
    if (strlen (builtins[i].name) == len && memcmp (builtins[i].name, name, len) == 0)
      return &builtins[i];
  return NULL;
}

static bool
builtin_exists (const char *name, size_t len)
{
  return builtin_find (name, len) != NULL;
}

/* ------------------------------------------------------------------------------------------------ */
/* Go's text/tabwriter with podman's settings                                                       */

struct tw_cell
{
  size_t size;  /* bytes in buf */
  size_t width; /* runes */
  bool htab;
};

struct tw_line
{
  struct tw_cell *cells;
  size_t n, cap;
};

struct tabwriter
{
  struct sbuf out;
  struct sbuf buf; /* cell text of the buffered lines */
  size_t pos;      /* start of the current cell's text not yet counted in its width */
  struct tw_cell cell;
  bool in_escape;
  struct tw_line *lines;
  size_t nlines, caplines;
  size_t *widths;
  size_t nwidths;
};

static void
tw_add_line (struct tabwriter *w)
{
  if (w->nlines == w->caplines)
    {
      w->caplines = w->caplines ? w->caplines * 2 : 16;
      w->lines = xrealloc (w->lines, w->caplines * sizeof *w->lines);
    }
  w->lines[w->nlines++] = (struct tw_line){ 0 };
}

static void
tw_reset (struct tabwriter *w)
{
  for (size_t i = 0; i < w->nlines; i++)
    free (w->lines[i].cells);
  w->nlines = 0;
  w->buf.len = 0;
  if (w->buf.s)
    w->buf.s[0] = '\0';
  w->pos = 0;
  w->cell = (struct tw_cell){ 0 };
  w->in_escape = false;
  w->nwidths = 0;
  tw_add_line (w);
}

static void
tw_update_width (struct tabwriter *w)
{
  w->cell.width += utf8_count (w->buf.s + w->pos, w->buf.len - w->pos);
  w->pos = w->buf.len;
}

static size_t
tw_terminate_cell (struct tabwriter *w, bool htab)
{
  w->cell.htab = htab;
  struct tw_line *l = &w->lines[w->nlines - 1];
  if (l->n == l->cap)
    {
      l->cap = l->cap ? l->cap * 2 : 8;
      l->cells = xrealloc (l->cells, l->cap * sizeof *l->cells);
    }
  l->cells[l->n++] = w->cell;
  w->cell = (struct tw_cell){ 0 };
  return l->n;
}

static void
tw_append (struct tabwriter *w, const char *s, size_t n)
{
  sb_addn (&w->buf, s, n);
  w->cell.size += n;
}

static size_t
tw_write_lines (struct tabwriter *w, size_t pos, size_t line0, size_t line1)
{
  for (size_t i = line0; i < line1; i++)
    {
      struct tw_line *l = &w->lines[i];
      for (size_t j = 0; j < l->n; j++)
        {
          struct tw_cell *c = &l->cells[j];
          if (c->size > 0)
            {
              sb_addn (&w->out, w->buf.s + pos, c->size);
              pos += c->size;
            }
          if (j < w->nwidths && w->widths[j] > c->width)
            sb_repeat (&w->out, ' ', w->widths[j] - c->width);
        }
      if (i + 1 == w->nlines)
        {
          /* the last buffered line has no newline: write what is left of it */
          sb_addn (&w->out, w->buf.s + pos, w->cell.size);
          pos += w->cell.size;
        }
      else
        sb_addc (&w->out, '\n');
    }
  return pos;
}

static size_t
tw_format (struct tabwriter *w, size_t pos, size_t line0, size_t line1)
{
  size_t column = w->nwidths;
  for (size_t this = line0; this < line1; this++)
    {
      struct tw_line *l = &w->lines[this];
      if (column + 1 >= l->n)
        continue;
      /* a cell in this column: this line starts a block of lines with one */
      pos = tw_write_lines (w, pos, line0, this);
      line0 = this;
      size_t width = TW_MINWIDTH;
      for (; this < line1; this++)
        {
          l = &w->lines[this];
          if (column + 1 >= l->n)
            break;
          size_t cw = l->cells[column].width + TW_PADDING;
          if (cw > width)
            width = cw;
        }
      w->widths = xrealloc (w->widths, (w->nwidths + 1) * sizeof *w->widths);
      w->widths[w->nwidths++] = width;
      pos = tw_format (w, pos, line0, this);
      w->nwidths--;
      line0 = this;
    }
  return tw_write_lines (w, pos, line0, line1);
}

static void
tw_flush (struct tabwriter *w)
{
  if (w->cell.size > 0)
    {
      if (w->in_escape)
        {
          tw_update_width (w);
          w->in_escape = false;
        }
      tw_terminate_cell (w, false);
    }
  tw_format (w, 0, 0, w->nlines);
  tw_reset (w);
}

static void
tw_write (struct tabwriter *w, const char *s, size_t len)
{
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    {
      unsigned char ch = (unsigned char) s[i];
      if (!w->in_escape)
        {
          if (ch == '\t' || ch == '\v' || ch == '\n' || ch == '\f')
            {
              tw_append (w, s + n, i - n);
              tw_update_width (w);
              n = i + 1;
              size_t ncells = tw_terminate_cell (w, ch == '\t');
              if (ch == '\n' || ch == '\f')
                {
                  tw_add_line (w);
                  if (ch == '\f' || ncells == 1)
                    tw_flush (w);
                }
            }
          else if (ch == TW_ESCAPE)
            {
              tw_append (w, s + n, i - n);
              tw_update_width (w);
              n = i + 1; /* StripEscape */
              w->in_escape = true;
            }
        }
      else if (ch == TW_ESCAPE)
        {
          tw_append (w, s + n, i - n);
          n = i + 1;
          tw_update_width (w);
          w->pos = w->buf.len;
          w->in_escape = false;
        }
    }
  tw_append (w, s + n, len - n);
}

char *
skiff_tabwrite (const char *text)
{
  struct tabwriter w = { 0 };
  tw_reset (&w);
  tw_write (&w, text, strlen (text));
  tw_flush (&w);
  for (size_t i = 0; i < w.nlines; i++)
    free (w.lines[i].cells);
  free (w.lines);
  free (w.widths);
  sb_release (&w.buf);
  return sb_steal (&w.out);
}

/* ------------------------------------------------------------------------------------------------ */
/* YAML as `podman info` prints it: sigs.k8s.io/yaml turns the JSON into YAML with goyaml.v2, so keys */
/* are sorted (goyaml's natural order), strings are quoted when they would read back as another type, */
/* sequences in mappings are not indented and long lines fold at 80 columns.                         */

struct yaml
{
  struct sbuf out;
  int column;
  bool whitespace, indention;
  int indent;
};

static void
y_put (struct yaml *y, char c)
{
  sb_addc (&y->out, c);
  y->column++;
}

static void
y_put_break (struct yaml *y)
{
  sb_addc (&y->out, '\n');
  y->column = 0;
}

/* one rune of value at *i */
static void
y_write (struct yaml *y, const char *v, size_t n, size_t *i)
{
  size_t w;
  utf8_decode ((const unsigned char *) v + *i, n - *i, &w);
  sb_addn (&y->out, v + *i, w);
  *i += w;
  y->column++;
}

static void
y_write_indent (struct yaml *y)
{
  int indent = y->indent < 0 ? 0 : y->indent;
  if (!y->indention || y->column > indent || (y->column == indent && !y->whitespace))
    y_put_break (y);
  while (y->column < indent)
    y_put (y, ' ');
  y->whitespace = true;
  y->indention = true;
}

static void
y_indicator (struct yaml *y, const char *ind, bool need_ws, bool is_ws, bool is_indention)
{
  if (need_ws && !y->whitespace)
    y_put (y, ' ');
  for (const char *p = ind; *p; p++)
    y_put (y, *p);
  y->whitespace = is_ws;
  y->indention = y->indention && is_indention;
}

static bool
y_is_break (const char *v, size_t n, size_t i)
{
  unsigned char c = (unsigned char) v[i];
  if (c == '\r' || c == '\n')
    return true;
  if (c == 0xC2 && i + 1 < n && (unsigned char) v[i + 1] == 0x85)
    return true;
  if (c == 0xE2 && i + 2 < n && (unsigned char) v[i + 1] == 0x80
      && ((unsigned char) v[i + 2] == 0xA8 || (unsigned char) v[i + 2] == 0xA9))
    return true;
  return false;
}

static bool
y_is_blankz (const char *v, size_t n, size_t i)
{
  return i >= n || v[i] == ' ' || v[i] == '\t' || v[i] == '\0' || y_is_break (v, n, i);
}

static bool
y_is_printable (const char *v, size_t n, size_t i)
{
  unsigned char b0 = (unsigned char) v[i];
  unsigned char b1 = i + 1 < n ? (unsigned char) v[i + 1] : 0;
  unsigned char b2 = i + 2 < n ? (unsigned char) v[i + 2] : 0;
  return b0 == 0x0A || (b0 >= 0x20 && b0 <= 0x7E) || (b0 == 0xC2 && b1 >= 0xA0) || (b0 > 0xC2 && b0 < 0xED)
         || (b0 == 0xED && b1 < 0xA0) || b0 == 0xEE
         || (b0 == 0xEF && !(b1 == 0xBB && b2 == 0xBF) && !(b1 == 0xBF && (b2 == 0xBE || b2 == 0xBF)));
}

struct yscalar
{
  bool multiline, flow_plain, block_plain, single_quoted, block;
};

/* goyaml's yaml_emitter_analyze_scalar */
static void
y_analyze (const char *v, size_t n, struct yscalar *a)
{
  bool block_ind = false, flow_ind = false, line_breaks = false, special = false;
  bool leading_space = false, leading_break = false, trailing_space = false, trailing_break = false;
  bool break_space = false, space_break = false, prev_space = false, prev_break = false;
  if (n == 0)
    {
      *a = (struct yscalar){ false, false, true, true, false };
      return;
    }
  if (n >= 3 && ((v[0] == '-' && v[1] == '-' && v[2] == '-') || (v[0] == '.' && v[1] == '.' && v[2] == '.')))
    block_ind = flow_ind = true;
  bool preceded_ws = true;
  for (size_t i = 0; i < n;)
    {
      size_t w;
      utf8_decode ((const unsigned char *) v + i, n - i, &w);
      bool followed_ws = i + w >= n || v[i + w] == ' ' || v[i + w] == '\t' || y_is_break (v, n, i + w)
                         || v[i + w] == '\0';
      char c = v[i];
      if (i == 0)
        {
          switch (c)
            {
            case '#':
            case ',':
            case '[':
            case ']':
            case '{':
            case '}':
            case '&':
            case '*':
            case '!':
            case '|':
            case '>':
            case '\'':
            case '"':
            case '%':
            case '@':
            case '`':
              flow_ind = block_ind = true;
              break;
            case '?':
            case ':':
              flow_ind = true;
              if (followed_ws)
                block_ind = true;
              break;
            case '-':
              if (followed_ws)
                flow_ind = block_ind = true;
              break;
            }
        }
      else
        {
          switch (c)
            {
            case ',':
            case '?':
            case '[':
            case ']':
            case '{':
            case '}':
              flow_ind = true;
              break;
            case ':':
              flow_ind = true;
              if (followed_ws)
                block_ind = true;
              break;
            case '#':
              if (preceded_ws)
                flow_ind = block_ind = true;
              break;
            }
        }
      if (!y_is_printable (v, n, i))
        special = true;
      if (c == ' ')
        {
          if (i == 0)
            leading_space = true;
          if (i + w == n)
            trailing_space = true;
          if (prev_break)
            break_space = true;
          prev_space = true;
          prev_break = false;
        }
      else if (y_is_break (v, n, i))
        {
          line_breaks = true;
          if (i == 0)
            leading_break = true;
          if (i + w == n)
            trailing_break = true;
          if (prev_space)
            space_break = true;
          prev_space = false;
          prev_break = true;
        }
      else
        prev_space = prev_break = false;
      preceded_ws = y_is_blankz (v, n, i);
      i += w;
    }
  *a = (struct yscalar){ line_breaks, true, true, true, true };
  if (leading_space || leading_break || trailing_space || trailing_break)
    a->flow_plain = a->block_plain = false;
  if (trailing_space)
    a->block = false;
  if (break_space)
    a->flow_plain = a->block_plain = a->single_quoted = false;
  if (space_break || special)
    a->flow_plain = a->block_plain = a->single_quoted = a->block = false;
  if (line_breaks)
    a->flow_plain = a->block_plain = false;
  if (flow_ind)
    a->flow_plain = false;
  if (block_ind)
    a->block_plain = false;
}

static bool
all_digits (const char *s, size_t n, size_t min, size_t max)
{
  if (n < min || n > max)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!isdigit ((unsigned char) s[i]))
      return false;
  return true;
}

/* goyaml.v2 reads these plain scalars as timestamps (2006-1-2, with an optional time) */
static bool
y_is_timestamp (const char *s)
{
  size_t n = strlen (s), i = 0, j;
  while (i < n && isdigit ((unsigned char) s[i]))
    i++;
  if (i != 4 || i == n || s[i] != '-')
    return false;
  j = ++i;
  while (i < n && isdigit ((unsigned char) s[i]))
    i++;
  if (!all_digits (s + j, i - j, 1, 2) || i >= n || s[i] != '-')
    return false;
  j = ++i;
  while (i < n && isdigit ((unsigned char) s[i]))
    i++;
  if (!all_digits (s + j, i - j, 1, 2))
    return false;
  if (i == n)
    return true;
  char sep = s[i];
  if (sep != 'T' && sep != 't' && sep != ' ')
    return false;
  for (int part = 0; part < 3; part++)
    {
      j = ++i;
      while (i < n && isdigit ((unsigned char) s[i]))
        i++;
      if (!all_digits (s + j, i - j, 1, 2))
        return false;
      if (part < 2 && (i >= n || s[i] != ':'))
        return false;
    }
  if (i < n && s[i] == '.')
    {
      j = ++i;
      while (i < n && isdigit ((unsigned char) s[i]))
        i++;
      if (i == j)
        return false;
    }
  if (sep == ' ')
    return i == n;
  if (i < n && s[i] == 'Z')
    return i + 1 == n;
  if (i < n && (s[i] == '+' || s[i] == '-'))
    return n - i == 6 && isdigit ((unsigned char) s[i + 1]) && isdigit ((unsigned char) s[i + 2])
           && s[i + 3] == ':' && isdigit ((unsigned char) s[i + 4]) && isdigit ((unsigned char) s[i + 5]);
  return false;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool
y_style_float (const char *s)
{
  size_t i = 0;
  if (s[i] == '-' || s[i] == '+')
    i++;
  if (s[i] == '.')
    {
      i++;
      if (!isdigit ((unsigned char) s[i]))
        return false;
      while (isdigit ((unsigned char) s[i]))
        i++;
    }
  else
    {
      if (!isdigit ((unsigned char) s[i]))
        return false;
      while (isdigit ((unsigned char) s[i]))
        i++;
      if (s[i] == '.')
        {
          i++;
          while (isdigit ((unsigned char) s[i]))
            i++;
        }
    }
  if (s[i] == 'e' || s[i] == 'E')
    {
      i++;
      if (s[i] == '-' || s[i] == '+')
        i++;
      if (!isdigit ((unsigned char) s[i]))
        return false;
      while (isdigit ((unsigned char) s[i]))
        i++;
    }
  return s[i] == '\0';
}

/* ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ */
static bool
y_is_base60_float (const char *s)
{
  size_t i = 0;
  if (s[i] == '-' || s[i] == '+')
    i++;
  if (!isdigit ((unsigned char) s[i]))
    return false;
  while (isdigit ((unsigned char) s[i]) || s[i] == '_')
    i++;
  int groups = 0;
  while (s[i] == ':')
    {
      i++;
      if (s[i] >= '0' && s[i] <= '5' && isdigit ((unsigned char) s[i + 1]))
        i += 2;
      else if (isdigit ((unsigned char) s[i]))
        i++;
      else
        return false;
      groups++;
    }
  if (groups == 0)
    return false;
  if (s[i] == '.')
    {
      i++;
      while (isdigit ((unsigned char) s[i]) || s[i] == '_')
        i++;
    }
  return s[i] == '\0';
}

/* goyaml.v2's resolve(): would this plain scalar read back as something other than a string? */
static bool
y_resolves_to_non_string (const char *s)
{
  static const char *const special[] = {
    "y",     "Y",     "yes",   "Yes",   "YES",   "true",  "True",  "TRUE",  "on",    "On",    "ON",
    "n",     "N",     "no",    "No",    "NO",    "false", "False", "FALSE", "off",   "Off",   "OFF",
    "~",     "null",  "Null",  "NULL",  ".nan",  ".NaN",  ".NAN",  ".inf",  ".Inf",  ".INF",  "+.inf",
    "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
  };
  if (*s == '\0')
    return true;
  char c = s[0];
  bool hint = c == '+' || c == '-' || isdigit ((unsigned char) c) || strchr ("yYnNtTfFoO~", c) || c == '.';
  if (!hint)
    return false;
  for (size_t i = 0; i < ARRAY_SIZE (special); i++)
    if (strcmp (s, special[i]) == 0)
      return true;
  if (c == '.')
    {
      double d;
      return go_parse_float (s, &d);
    }
  if (c == '+' || c == '-' || isdigit ((unsigned char) c))
    {
      if (y_is_timestamp (s))
        return true;
      cleanup_free char *plain = xmalloc (strlen (s) + 1);
      size_t k = 0;
      for (const char *p = s; *p; p++)
        if (*p != '_')
          plain[k++] = *p;
      plain[k] = '\0';
      int64_t iv;
      uint64_t uv;
      if (go_parse_integer (plain, true, &iv, &uv) || go_parse_integer (plain, false, &iv, &uv))
        return true;
      if (y_style_float (plain))
        return true;
      const char *bin = plain[0] == '-' ? plain + 1 : plain;
      if (bin[0] == '0' && bin[1] == 'b' && bin[2])
        {
          for (const char *p = bin + 2; *p; p++)
            if (*p != '0' && *p != '1')
              return false;
          return true;
        }
    }
  return false;
}

enum ystyle
{
  YS_PLAIN,
  YS_SINGLE,
  YS_DOUBLE,
  YS_LITERAL,
};

/* goyaml's write_break: a line feed starts a new line; other break runes are written as they are */
static void
y_write_break (struct yaml *y, const char *v, size_t n, size_t *i)
{
  if (v[*i] == '\n')
    {
      y_put_break (y);
      (*i)++;
      return;
    }
  y_write (y, v, n, i);
  y->column = 0;
}

static void
y_write_plain (struct yaml *y, const char *v, size_t n, bool allow_breaks)
{
  if (!y->whitespace)
    y_put (y, ' ');
  bool spaces = false, breaks = false;
  for (size_t i = 0; i < n;)
    {
      if (v[i] == ' ')
        {
          if (allow_breaks && !spaces && y->column > YAML_BEST_WIDTH && !(i + 1 < n && v[i + 1] == ' '))
            {
              y_write_indent (y);
              i++;
            }
          else
            y_write (y, v, n, &i);
          spaces = true;
        }
      else if (y_is_break (v, n, i))
        {
          if (!breaks && v[i] == '\n')
            y_put_break (y);
          y_write_break (y, v, n, &i);
          y->indention = true;
          breaks = true;
        }
      else
        {
          if (breaks)
            y_write_indent (y);
          y_write (y, v, n, &i);
          y->indention = false;
          spaces = false;
          breaks = false;
        }
    }
  y->whitespace = false;
  y->indention = false;
}

static void
y_write_single (struct yaml *y, const char *v, size_t n, bool allow_breaks)
{
  y_indicator (y, "'", true, false, false);
  bool spaces = false, breaks = false;
  for (size_t i = 0; i < n;)
    {
      if (v[i] == ' ')
        {
          if (allow_breaks && !spaces && y->column > YAML_BEST_WIDTH && i > 0 && i < n - 1
              && !(i + 1 < n && v[i + 1] == ' '))
            {
              y_write_indent (y);
              i++;
            }
          else
            y_write (y, v, n, &i);
          spaces = true;
        }
      else if (y_is_break (v, n, i))
        {
          if (!breaks && v[i] == '\n')
            y_put_break (y);
          y_write_break (y, v, n, &i);
          y->indention = true;
          breaks = true;
        }
      else
        {
          if (breaks)
            y_write_indent (y);
          breaks = false;
          if (v[i] == '\'')
            y_put (y, '\'');
          y_write (y, v, n, &i);
          y->indention = false;
          spaces = false;
        }
    }
  y_indicator (y, "'", false, false, false);
  y->whitespace = false;
  y->indention = false;
}

static void
y_write_double (struct yaml *y, const char *v, size_t n, bool allow_breaks)
{
  static const char hex[] = "0123456789ABCDEF";
  y_indicator (y, "\"", true, false, false);
  bool spaces = false;
  for (size_t i = 0; i < n;)
    {
      unsigned char c = (unsigned char) v[i];
      bool is_bom = c == 0xEF && i + 2 < n && (unsigned char) v[i + 1] == 0xBB && (unsigned char) v[i + 2] == 0xBF;
      if (!y_is_printable (v, n, i) || is_bom || y_is_break (v, n, i) || c == '"' || c == '\\')
        {
          size_t w;
          uint32_t r = utf8_decode ((const unsigned char *) v + i, n - i, &w);
          if (r == RUNE_ERROR && w == 1)
            r = c;
          i += w;
          y_put (y, '\\');
          switch (r)
            {
            case 0x00:
              y_put (y, '0');
              break;
            case 0x07:
              y_put (y, 'a');
              break;
            case 0x08:
              y_put (y, 'b');
              break;
            case 0x09:
              y_put (y, 't');
              break;
            case 0x0A:
              y_put (y, 'n');
              break;
            case 0x0B:
              y_put (y, 'v');
              break;
            case 0x0C:
              y_put (y, 'f');
              break;
            case 0x0D:
              y_put (y, 'r');
              break;
            case 0x1B:
              y_put (y, 'e');
              break;
            case 0x22:
              y_put (y, '"');
              break;
            case 0x5C:
              y_put (y, '\\');
              break;
            case 0x85:
              y_put (y, 'N');
              break;
            case 0xA0:
              y_put (y, '_');
              break;
            case 0x2028:
              y_put (y, 'L');
              break;
            case 0x2029:
              y_put (y, 'P');
              break;
            default:
              {
                int digits;
                if (r <= 0xFF)
                  y_put (y, 'x'), digits = 2;
                else if (r <= 0xFFFF)
                  y_put (y, 'u'), digits = 4;
                else
                  y_put (y, 'U'), digits = 8;
                for (int k = (digits - 1) * 4; k >= 0; k -= 4)
                  y_put (y, hex[(r >> k) & 0xF]);
              }
            }
          spaces = false;
        }
      else if (c == ' ')
        {
          if (allow_breaks && !spaces && y->column > YAML_BEST_WIDTH && i > 0 && i < n - 1)
            {
              y_write_indent (y);
              if (i + 1 < n && v[i + 1] == ' ')
                y_put (y, '\\');
              i++;
            }
          else
            y_write (y, v, n, &i);
          spaces = true;
        }
      else
        {
          y_write (y, v, n, &i);
          spaces = false;
        }
    }
  y_indicator (y, "\"", false, false, false);
  y->whitespace = false;
  y->indention = false;
}

static void
y_write_literal (struct yaml *y, const char *v, size_t n)
{
  y_indicator (y, "|", true, false, false);
  if (n > 0 && (v[0] == ' ' || y_is_break (v, n, 0)))
    {
      char hint[2] = { (char) ('0' + YAML_INDENT), 0 };
      y_indicator (y, hint, false, false, false);
    }
  /* chomping: '-' without a final line break, '+' with more than one */
  const char *chomp = NULL;
  if (n == 0)
    chomp = "-";
  else
    {
      size_t i = n - 1;
      while (i > 0 && ((unsigned char) v[i] & 0xC0) == 0x80)
        i--;
      if (!y_is_break (v, n, i))
        chomp = "-";
      else if (i == 0)
        chomp = "+";
      else
        {
          i--;
          while (i > 0 && ((unsigned char) v[i] & 0xC0) == 0x80)
            i--;
          if (y_is_break (v, n, i))
            chomp = "+";
        }
    }
  if (chomp)
    y_indicator (y, chomp, false, false, false);
  y_put_break (y);
  y->indention = true;
  y->whitespace = true;
  bool breaks = true;
  for (size_t i = 0; i < n;)
    {
      if (y_is_break (v, n, i))
        {
          if (v[i] == '\r' && i + 1 < n && v[i + 1] == '\n')
            i++;
          size_t w;
          utf8_decode ((const unsigned char *) v + i, n - i, &w);
          i += w;
          y_put_break (y);
          y->indention = true;
          breaks = true;
        }
      else
        {
          if (breaks)
            {
              y_write_indent (y);
              breaks = false;
            }
          y_write (y, v, n, &i);
          y->indention = false;
        }
    }
}

static void
y_string (struct yaml *y, const char *v, size_t n, bool simple_key)
{
  cleanup_free char *z = xstrndup (v, n);
  bool can_plain = strlen (z) == n && !y_resolves_to_non_string (z) && !y_is_base60_float (z);
  enum ystyle style = memchr (v, '\n', n) ? YS_LITERAL : can_plain ? YS_PLAIN : YS_DOUBLE;
  struct yscalar a;
  y_analyze (v, n, &a);
  if (simple_key && a.multiline)
    style = YS_DOUBLE;
  if (style == YS_PLAIN)
    {
      if (!a.block_plain)
        style = YS_SINGLE;
      if (n == 0 && simple_key)
        style = YS_SINGLE;
    }
  if (style == YS_SINGLE && !a.single_quoted)
    style = YS_DOUBLE;
  if (style == YS_LITERAL && (!a.block || simple_key))
    style = YS_DOUBLE;
  int old = y->indent;
  y->indent = y->indent < 0 ? YAML_INDENT : y->indent + YAML_INDENT;
  switch (style)
    {
    case YS_PLAIN:
      y_write_plain (y, v, n, !simple_key);
      break;
    case YS_SINGLE:
      y_write_single (y, v, n, !simple_key);
      break;
    case YS_DOUBLE:
      y_write_double (y, v, n, !simple_key);
      break;
    case YS_LITERAL:
      y_write_literal (y, v, n);
      break;
    }
  y->indent = old;
}

static void
y_plain_token (struct yaml *y, const char *s)
{
  int old = y->indent;
  y->indent = y->indent < 0 ? YAML_INDENT : y->indent + YAML_INDENT;
  y_write_plain (y, s, strlen (s), true);
  y->indent = old;
}

/* goyaml.v2's keyList.Less for string keys: letters sort after other characters, digit runs by value */
static int
y_key_cmp (const void *pa, const void *pb)
{
  const struct kv *ka = pa, *kb = pb;
  const char *a = ka->k, *b = kb->k;
  size_t na = ka->klen, nb = kb->klen;
  uint32_t *ar = xmalloc ((na + 1) * sizeof *ar), *br = xmalloc ((nb + 1) * sizeof *br);
  size_t la = 0, lb = 0, w;
  for (size_t i = 0; i < na; i += w)
    ar[la++] = utf8_decode ((const unsigned char *) a + i, na - i, &w);
  for (size_t i = 0; i < nb; i += w)
    br[lb++] = utf8_decode ((const unsigned char *) b + i, nb - i, &w);
  int result = 0;
  size_t i;
  for (i = 0; i < la && i < lb; i++)
    {
      if (ar[i] == br[i])
        continue;
      bool al = rune_is_letter (ar[i]), bl = rune_is_letter (br[i]);
      if (al && bl)
        {
          result = ar[i] < br[i] ? -1 : 1;
          goto out;
        }
      if (al || bl)
        {
          result = bl ? -1 : 1;
          goto out;
        }
      int64_t an = 0, bn = 0;
      size_t ai, bi;
      if (ar[i] == '0' || br[i] == '0')
        {
          for (size_t j = i; j-- > 0 && rune_is_digit (ar[j]);)
            if (ar[j] != '0')
              {
                an = bn = 1;
                break;
              }
        }
      for (ai = i; ai < la && rune_is_digit (ar[ai]); ai++)
        an = an * 10 + (int64_t) (ar[ai] - '0');
      for (bi = i; bi < lb && rune_is_digit (br[bi]); bi++)
        bn = bn * 10 + (int64_t) (br[bi] - '0');
      if (an != bn)
        result = an < bn ? -1 : 1;
      else if (ai != bi)
        result = ai < bi ? -1 : 1;
      else
        result = ar[i] < br[i] ? -1 : 1;
      goto out;
    }
  result = la < lb ? -1 : la > lb ? 1 : 0;
out:
  free (ar);
  free (br);
  return result;
}

static void y_node (struct yaml *y, json_object *j, bool mapping_context, bool sort_keys);

static void
y_mapping (struct yaml *y, json_object *obj, bool sort_keys)
{
  size_t n = (size_t) json_object_object_length (obj), i = 0;
  if (n == 0)
    {
      y_indicator (y, "{", true, true, false);
      y_indicator (y, "}", false, false, false);
      return;
    }
  struct kv *e = xmalloc0 (n * sizeof *e);
  json_object_object_foreach (obj, k, v)
  {
    e[i].k = k;
    e[i].klen = strlen (k);
    e[i].v = v;
    i++;
  }
  if (sort_keys)
    qsort (e, n, sizeof *e, y_key_cmp);
  int old = y->indent;
  y->indent = y->indent < 0 ? 0 : y->indent + YAML_INDENT;
  for (i = 0; i < n; i++)
    {
      y_write_indent (y);
      struct yscalar a;
      y_analyze (e[i].k, e[i].klen, &a);
      if (!a.multiline && e[i].klen <= YAML_SIMPLE_KEY_MAX)
        {
          y_string (y, e[i].k, e[i].klen, true);
          y_indicator (y, ":", false, false, false);
        }
      else
        {
          /* goyaml writes a key that cannot be a simple key as "? key" with ": value" below */
          y_indicator (y, "?", true, false, true);
          y_string (y, e[i].k, e[i].klen, false);
          y_write_indent (y);
          y_indicator (y, ":", true, false, true);
        }
      y_node (y, e[i].v, true, sort_keys);
    }
  y->indent = old;
  free (e);
}

static void
y_sequence (struct yaml *y, json_object *arr, bool mapping_context, bool sort_keys)
{
  size_t n = json_object_array_length (arr);
  if (n == 0)
    {
      y_indicator (y, "[", true, true, false);
      y_indicator (y, "]", false, false, false);
      return;
    }
  int old = y->indent;
  bool indentless = mapping_context && !y->indention;
  if (y->indent < 0)
    y->indent = 0;
  else if (!indentless)
    y->indent += YAML_INDENT;
  for (size_t i = 0; i < n; i++)
    {
      y_write_indent (y);
      y_indicator (y, "-", true, false, true);
      y_node (y, json_object_array_get_idx (arr, i), false, sort_keys);
    }
  y->indent = old;
}

static void
y_node (struct yaml *y, json_object *j, bool mapping_context, bool sort_keys)
{
  char buf[64];
  switch (jkind (j))
    {
    case VK_NIL:
    case VK_INVALID:
      y_plain_token (y, "null");
      return;
    case VK_BOOL:
      y_plain_token (y, json_object_get_boolean (j) ? "true" : "false");
      return;
    case VK_INT:
      {
        uint64_t u;
        if (jint_unsigned (j, &u))
          snprintf (buf, sizeof buf, "%" PRIu64, u);
        else
          snprintf (buf, sizeof buf, "%" PRId64, json_object_get_int64 (j));
        y_plain_token (y, buf);
        return;
      }
    case VK_FLOAT:
      {
        /* JSON prints integral floats as integers, which read back as ints */
        double d = json_object_get_double (j);
        struct sbuf t = { 0 };
        if (fabs (d) < 9.2e18 && d == (double) (int64_t) d)
          sb_printf (&t, "%" PRId64, (int64_t) d);
        else if (d >= 0 && d < 1.8e19 && d == (double) (uint64_t) d)
          sb_printf (&t, "%" PRIu64, (uint64_t) d);
        else if (isnan (d))
          sb_adds (&t, ".nan");
        else if (isinf (d))
          sb_adds (&t, d > 0 ? ".inf" : "-.inf");
        else
          go_format_float (&t, d, 'g', -1);
        y_plain_token (y, t.s);
        sb_release (&t);
        return;
      }
    case VK_STRING:
      {
        size_t n;
        const char *s = jstr (j, &n);
        y_string (y, s, n, false);
        return;
      }
    case VK_ARRAY:
      y_sequence (y, j, mapping_context, sort_keys);
      return;
    case VK_MAP:
      y_mapping (y, j, sort_keys);
      return;
    }
}

static char *
yaml_emit (json_object *obj, bool sort_keys)
{
  struct yaml y = { .column = 0, .whitespace = true, .indention = true, .indent = -1 };
  y_node (&y, obj, false, sort_keys);
  /* document end */
  y.indent = -1;
  y_write_indent (&y);
  return sb_steal (&y.out);
}

char *
skiff_yaml_from_json (json_object *obj)
{
  return yaml_emit (obj, true);
}

char *
skiff_yaml_from_json_ordered (json_object *obj)
{
  return yaml_emit (obj, false);
}

/* ------------------------------------------------------------------------------------------------ */
/* templates                                                                                         */

void
skiff_template_free (struct skiff_template *t)
{
  if (t == NULL)
    return;
  for (size_t i = 0; i < t->nnodes; i++)
    node_free (t->nodes[i]);
  free (t->nodes);
  for (size_t i = 0; i < t->ndefs; i++)
    free (t->defs[i].name);
  free (t->defs);
  free (t->name);
  free (t->text);
  free (t);
}

static int
parse_text (const char *name, const char *text, struct skiff_template **out, skiff_error_t *err)
{
  struct skiff_template *t = xmalloc0 (sizeof *t);
  t->name = name ? xstrdup (name) : NULL;
  t->text = xstrdup (text);
  struct parser *p = xmalloc0 (sizeof *p);
  p->t = t;
  p->lex.in = t->text;
  p->lex.len = strlen (t->text);
  p_push_var (p, "$", 1);
  int ret = 0;
  if (setjmp (p->jb) == 0)
    {
      p_parse (p);
      t->body = t->root;
      *out = t;
    }
  else
    {
      ret = skiff_error_set (err, 0, "%s", p->err);
      skiff_template_free (t);
      *out = NULL;
    }
  free (p->err);
  strv_free (p->vars);
  for (size_t i = 0; i < p->nsaved; i++)
    strv_free (p->saved_vars[i]);
  free (p->saved_vars);
  strv_free (p->lex.errs);
  free (p);
  return ret;
}

/* strings.NewReplacer semantics: at each position the first matching pair (in argument order) wins */
static char *
replace_all (const char *s, const char *const *pairs, size_t npairs)
{
  struct sbuf b = { 0 };
  sb_addn (&b, "", 0);
  while (*s)
    {
      bool done = false;
      for (size_t i = 0; i < npairs; i += 2)
        {
          size_t l = strlen (pairs[i]);
          if (strncmp (s, pairs[i], l) == 0)
            {
              sb_adds (&b, pairs[i + 1]);
              s += l;
              done = true;
              break;
            }
        }
      if (!done)
        sb_addc (&b, *s++);
    }
  return sb_steal (&b);
}

static const char *const table_pairs[] = { "table ", "", "\\t", "\t", "\\n", "\n", " ", "\t" };
static const char *const escape_pairs[] = { "\\t", "\t", "\\n", "\n" };

/* podman's report.NormalizeFormat, without the trailing newline it appends */
static char *
normalize_format (const char *format)
{
  if (str_has_prefix (format, "table "))
    return replace_all (format, table_pairs, ARRAY_SIZE (table_pairs));
  return replace_all (format, escape_pairs, ARRAY_SIZE (escape_pairs));
}

static bool
is_re_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static const char *
skip_re_space (const char *s)
{
  while (is_re_space (*s))
    s++;
  return s;
}

/* podman's rangeRegex: {{\s*range\s*\.\s*}}.*{{\s*end\s*-?\s*}} ("." does not cross newlines) */
static bool
has_range_over_dot (const char *s)
{
  for (const char *p = strstr (s, "{{"); p; p = strstr (p + 1, "{{"))
    {
      const char *q = skip_re_space (p + 2);
      if (strncmp (q, "range", 5) != 0)
        continue;
      q = skip_re_space (q + 5);
      if (*q != '.')
        continue;
      q = skip_re_space (q + 1);
      if (strncmp (q, "}}", 2) != 0)
        continue;
      for (const char *r = q + 2; *r; r++)
        {
          if (strncmp (r, "{{", 2) == 0)
            {
              const char *e = skip_re_space (r + 2);
              if (strncmp (e, "end", 3) == 0)
                {
                  e = skip_re_space (e + 3);
                  if (*e == '-')
                    e = skip_re_space (e + 1);
                  if (strncmp (e, "}}", 2) == 0)
                    return true;
                }
            }
          if (*r == '\n')
            break;
        }
    }
  return false;
}

int
skiff_template_parse_named (const char *name, const char *src, struct skiff_template **out, skiff_error_t *err)
{
  bool table = str_has_prefix (src, "table ");
  cleanup_free char *norm = normalize_format (src);
  const char *orig = table ? src + strlen ("table ") : src;
  skiff_error_t first = NULL;
  /* podman parses the normalised text and falls back to the original when that fails (a "\n" that
   * became a newline inside a quoted string, for instance) */
  if (parse_text (name, norm, out, &first) == 0)
    {
      (*out)->is_table = table;
      return 0;
    }
  if (strcmp (norm, orig) == 0)
    {
      *err = first;
      return -1;
    }
  skiff_error_release (&first);
  if (parse_text (name, orig, out, err) < 0)
    return -1;
  (*out)->is_table = table;
  return 0;
}

int
skiff_template_parse (const char *src, struct skiff_template **out, skiff_error_t *err)
{
  return skiff_template_parse_named (NULL, src, out, err);
}

bool
skiff_template_is_table (const struct skiff_template *t)
{
  return t->is_table;
}

static struct val
data_val (json_object *data)
{
  /* Execute(nil) gives Go's invalid value */
  return data ? val_ref (data) : VAL_INVALID;
}

int
skiff_template_execute (const struct skiff_template *t, json_object *data, char **buf, size_t *len,
                        skiff_error_t *err)
{
  struct sbuf b = { *buf, *len, *buf ? *len + 1 : 0 };
  struct val d = data_val (data);
  int r = x_run (t, t->root, d, &b, err);
  val_drop (&d);
  sb_addn (&b, "", 0);
  *buf = b.s;
  *len = b.len;
  return r;
}

/* ------------------------------------------------------------------------------------------------ */
/* table headers                                                                                     */

/* fatih/camelcase.Split as podman's report.Headers uses it: "CreatedAt" -> "Created At" */
static void
camelcase_header (struct sbuf *b, const char *s)
{
  size_t n = strlen (s);
  /* runs of one character class: 1 lower, 2 upper, 3 digit, 4 other */
  char **runs = NULL;
  size_t nruns = 0;
  int last = 0;
  for (size_t i = 0; i < n; i++)
    {
      unsigned char c = (unsigned char) s[i];
      int cls = islower (c) ? 1 : isupper (c) ? 2 : isdigit (c) ? 3 : 4;
      if (c >= 0x80)
        cls = 4;
      if (cls == last && nruns > 0)
        {
          char *r = runs[nruns - 1];
          size_t l = strlen (r);
          runs[nruns - 1] = xrealloc (r, l + 2);
          runs[nruns - 1][l] = (char) c;
          runs[nruns - 1][l + 1] = '\0';
        }
      else
        {
          runs = xrealloc (runs, (nruns + 1) * sizeof *runs);
          runs[nruns++] = xstrndup ((const char *) &c, 1);
        }
      last = cls;
    }
  /* "PDFL" "oader" -> "PDF" "Loader" */
  for (size_t i = 0; i + 1 < nruns; i++)
    if (isupper ((unsigned char) runs[i][0]) && islower ((unsigned char) runs[i + 1][0]))
      {
        size_t l = strlen (runs[i]);
        char moved = runs[i][l - 1];
        runs[i][l - 1] = '\0';
        char *nr = xasprintf ("%c%s", moved, runs[i + 1]);
        free (runs[i + 1]);
        runs[i + 1] = nr;
      }
  bool first = true;
  for (size_t i = 0; i < nruns; i++)
    {
      if (runs[i][0] != '\0')
        {
          if (!first)
            sb_addc (b, ' ');
          first = false;
          for (char *p = runs[i]; *p; p++)
            sb_addc (b, (char) toupper ((unsigned char) *p));
        }
      free (runs[i]);
    }
  free (runs);
}

static void
header_for (struct sbuf *b, const char *field, json_object *headers)
{
  if (headers && jkind (headers) == VK_MAP)
    {
      bool found;
      json_object *h = obj_lookup (headers, field, &found);
      if (found && jkind (h) == VK_STRING)
        {
          /* podman upper-cases the overrides */
          size_t n, m;
          const char *s = jstr (h, &n);
          char *u = str_map_case (s, n, true, &m);
          sb_addn (b, u, m);
          free (u);
          return;
        }
    }
  camelcase_header (b, field);
}

static const char *pipe_first_field (const struct node *pipe);

static const char *
node_first_field (const struct node *n)
{
  switch (n->type)
    {
    case N_FIELD:
      return n->ident[0];
    case N_VARIABLE:
      return n->nident > 1 ? n->ident[1] : NULL;
    case N_CHAIN:
      {
        const char *f = node_first_field (n->chain);
        return f ? f : n->ident[0];
      }
    case N_PIPE:
      return pipe_first_field (n);
    default:
      return NULL;
    }
}

static const char *
pipe_first_field (const struct node *pipe)
{
  for (size_t i = 0; i < pipe->nkids; i++)
    for (size_t j = 0; j < pipe->kids[i]->nkids; j++)
      {
        const char *f = node_first_field (pipe->kids[i]->kids[j]);
        if (f)
          return f;
      }
  return NULL;
}

static bool
pipe_uses_data (const struct node *pipe)
{
  for (size_t i = 0; i < pipe->nkids; i++)
    for (size_t j = 0; j < pipe->kids[i]->nkids; j++)
      {
        const struct node *a = pipe->kids[i]->kids[j];
        switch (a->type)
          {
          case N_DOT:
          case N_FIELD:
          case N_VARIABLE:
          case N_CHAIN:
            return true;
          case N_PIPE:
            if (pipe_uses_data (a))
              return true;
            break;
          default:
            break;
          }
      }
  return false;
}

/* The header row: each action shows the header of the first field it uses ({{.CreatedAt}} ->
 * "CREATED AT", overrides from headers); text stays; actions on constants ({{"\t"}}) are evaluated;
 * if/with/range contribute their first branch. */
static void
header_walk (const struct skiff_template *t, const struct node *n, json_object *headers, struct sbuf *b)
{
  switch (n->type)
    {
    case N_TEXT:
      sb_addn (b, n->text, n->text_len);
      return;
    case N_ACTION:
      {
        if (n->pipe->ndecl > 0)
          return;
        const char *f = pipe_first_field (n->pipe);
        if (f)
          header_for (b, f, headers);
        else if (!pipe_uses_data (n->pipe))
          {
            skiff_error_t err = NULL;
            struct sbuf tmp = { 0 };
            if (x_run (t, n, VAL_INVALID, &tmp, &err) == 0 && tmp.s)
              sb_addn (b, tmp.s, tmp.len);
            skiff_error_release (&err);
            sb_release (&tmp);
          }
        return;
      }
    case N_IF:
    case N_WITH:
    case N_RANGE:
      header_walk (t, n->list, headers, b);
      return;
    case N_LIST:
      for (size_t i = 0; i < n->nkids; i++)
        header_walk (t, n->kids[i], headers, b);
      return;
    default:
      return;
    }
}

char *
skiff_template_header (const struct skiff_template *t, json_object *headers)
{
  struct sbuf b = { 0 };
  header_walk (t, t->body, headers, &b);
  return sb_steal (&b);
}

/* ------------------------------------------------------------------------------------------------ */
/* podman's report.Formatter                                                                         */

bool
skiff_format_is_json (const char *format)
{
  /* ^\s*(json|{{\s*json\s*(\.)?\s*}})\s*$ */
  const char *s = skip_re_space (format);
  if (strncmp (s, "json", 4) == 0)
    s += 4;
  else if (strncmp (s, "{{", 2) == 0)
    {
      s = skip_re_space (s + 2);
      if (strncmp (s, "json", 4) != 0)
        return false;
      s = skip_re_space (s + 4);
      if (*s == '.')
        s++;
      s = skip_re_space (s);
      if (strncmp (s, "}}", 2) != 0)
        return false;
      s += 2;
    }
  else
    return false;
  return *skip_re_space (s) == '\0';
}

static char *
with_newline (const char *s)
{
  return str_has_suffix (s, "\n") ? xstrdup (s) : xasprintf ("%s\n", s);
}

static int
format_render (const char *format, json_object *data, bool list, const struct skiff_format_opts *opts, char **out,
               skiff_error_t *err)
{
  const char *name = opts ? opts->name : NULL;
  bool table = str_has_prefix (format, "table ");
  cleanup_free char *norm = NULL;
  cleanup_free char *orig = NULL;
  *out = NULL;
  {
    cleanup_free char *n = normalize_format (format);
    cleanup_free char *nl = with_newline (n);
    if (table)
      {
        norm = xasprintf ("{{range .}}%s{{end -}}", nl);
        orig = xasprintf ("{{range .}}%s{{end -}}", format + strlen ("table "));
      }
    else if (list)
      {
        /* podman's EnforceRange */
        norm = has_range_over_dot (nl) ? xstrdup (nl) : xasprintf ("{{range .}}%s{{end -}}", nl);
        orig = has_range_over_dot (format) ? xstrdup (format) : xasprintf ("{{range .}}%s{{end -}}", format);
      }
    else
      {
        norm = xstrdup (nl);
        orig = xstrdup (format);
      }
  }
  struct skiff_template *t = NULL;
  skiff_error_t first = NULL;
  if (parse_text (name, norm, &t, &first) < 0)
    {
      skiff_error_release (&first);
      if (parse_text (name, orig, &t, err) < 0)
        return -1;
    }
  t->is_table = table;
  struct sbuf b = { 0 };
  sb_addn (&b, "", 0);
  if (table && !(opts && opts->noheading))
    {
      /* podman executes the template once over the header names; skiff derives the row from the
       * range body: text as is, each action replaced by its column's header */
      const struct node *body = t->root;
      if (body->nkids > 0 && body->kids[0]->type == N_RANGE)
        body = body->kids[0]->list;
      header_walk (t, body, opts ? opts->headers : NULL, &b);
    }
  struct val d = data_val (data);
  int r = x_run (t, t->root, d, &b, err);
  val_drop (&d);
  skiff_template_free (t);
  if (table)
    {
      *out = skiff_tabwrite (b.s);
      sb_release (&b);
    }
  else
    *out = sb_steal (&b);
  return r;
}

int
skiff_format_list (const char *format, json_object *rows, const struct skiff_format_opts *opts, char **out,
                   skiff_error_t *err)
{
  return format_render (format, rows, true, opts, out, err);
}

int
skiff_format_object (const char *format, json_object *obj, const struct skiff_format_opts *opts, char **out,
                     skiff_error_t *err)
{
  return format_render (format, obj, false, opts, out, err);
}
