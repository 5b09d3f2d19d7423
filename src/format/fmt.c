/* --format engine: Go's value printing (fmt's verbs, print/printf/println) over JSON values, Go's float
 * formatting (strconv.FormatFloat); JSON itself is json.c's. */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "format/format_internal.h"

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
  fmt_sb_addc (b, d->nd ? d->d[0] : '0');
  if (prec > 0)
    {
      fmt_sb_addc (b, '.');
      int i = 1;
      int m = d->nd < prec + 1 ? d->nd : prec + 1;
      if (i < m)
        {
          fmt_sb_addn (b, d->d + i, (size_t) (m - i));
          i = m;
        }
      for (; i <= prec; i++)
        fmt_sb_addc (b, '0');
    }
  fmt_sb_addc (b, fmt);
  int exp = d->dp - 1;
  if (d->nd == 0)
    exp = 0;
  if (exp < 0)
    {
      fmt_sb_addc (b, '-');
      exp = -exp;
    }
  else
    fmt_sb_addc (b, '+');
  if (exp < 10)
    fmt_sb_printf (b, "0%d", exp);
  else
    fmt_sb_printf (b, "%d", exp);
}

static void
fmt_f_digits (struct sbuf *b, const struct decimal_digits *d, int prec)
{
  if (d->dp > 0)
    {
      int m = d->nd < d->dp ? d->nd : d->dp;
      fmt_sb_addn (b, d->d, (size_t) m);
      for (; m < d->dp; m++)
        fmt_sb_addc (b, '0');
    }
  else
    fmt_sb_addc (b, '0');
  if (prec > 0)
    {
      fmt_sb_addc (b, '.');
      for (int i = 1; i <= prec; i++)
        {
          int j = d->dp + i - 1;
          fmt_sb_addc (b, (j >= 0 && j < d->nd) ? d->d[j] : '0');
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
    fmt_sb_addc (b, '-');
  if (fmt == 'b')
    {
      fmt_sb_printf (b, "%" PRIu64 "p%s%d", mant, exp - 52 >= 0 ? "+" : "", exp - 52);
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
  fmt_sb_addc (b, '0');
  fmt_sb_addc (b, fmt);
  fmt_sb_addc (b, (char) ('0' + ((mant >> 60) & 1)));
  mant <<= 4;
  if (prec < 0 && mant != 0)
    {
      fmt_sb_addc (b, '.');
      while (mant != 0)
        {
          fmt_sb_addc (b, hex[(mant >> 60) & 15]);
          mant <<= 4;
        }
    }
  else if (prec > 0)
    {
      fmt_sb_addc (b, '.');
      for (int i = 0; i < prec; i++)
        {
          fmt_sb_addc (b, hex[(mant >> 60) & 15]);
          mant <<= 4;
        }
    }
  fmt_sb_addc (b, fmt == 'X' ? 'P' : 'p');
  fmt_sb_addc (b, exp < 0 ? '-' : '+');
  fmt_sb_printf (b, "%02d", exp < 0 ? -exp : exp);
}

/* strconv.FormatFloat(v, fmt, prec, 64) for fmt in b e E f F g G x X; prec < 0 means shortest. */
void
fmt_go_format_float (struct sbuf *b, double v, char fmt, int prec)
{
  if (isnan (v))
    {
      fmt_sb_adds (b, "NaN");
      return;
    }
  if (isinf (v))
    {
      fmt_sb_adds (b, v > 0 ? "+Inf" : "-Inf");
      return;
    }
  if (fmt == 'x' || fmt == 'X' || fmt == 'b')
    {
      go_format_float_bits (b, v, fmt, prec);
      return;
    }
  if (signbit (v))
    fmt_sb_addc (b, '-');
  bool shortest = prec < 0;
  struct decimal_digits d;
  if (fmt == 'F')
    fmt = 'f';
  if (!shortest && fmt == 'f')
    {
      char buf[512];
      snprintf (buf, sizeof buf, "%.*f", prec > 300 ? 300 : prec, fabs (v));
      fmt_sb_adds (b, buf);
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
void
fmt_json_float (struct sbuf *b, double v)
{
  double a = fabs (v);
  if (a != 0 && (a < 1e-6 || a >= 1e21))
    {
      struct sbuf t = { 0 };
      fmt_go_format_float (&t, v, 'e', -1);
      /* clean up e-09 to e-9 */
      size_t n = t.len;
      if (n >= 4 && t.s[n - 4] == 'e' && t.s[n - 3] == '-' && t.s[n - 2] == '0')
        {
          t.s[n - 2] = t.s[n - 1];
          t.s[--t.len] = '\0';
        }
      fmt_sb_addn (b, t.s, t.len);
      fmt_sb_release (&t);
    }
  else
    fmt_go_format_float (b, v, 'f', -1);
}

/* strconv.Quote (quote '"'), strconv.QuoteRune-ish for '\'' */
void
fmt_go_quote (struct sbuf *b, const char *s, size_t n, char quote)
{
  static const char hex[] = "0123456789abcdef";
  fmt_sb_addc (b, quote);
  for (size_t i = 0; i < n;)
    {
      size_t w;
      uint32_t r = fmt_utf8_decode ((const unsigned char *) s + i, n - i, &w);
      if (r == RUNE_ERROR && w == 1)
        {
          unsigned char c = (unsigned char) s[i];
          fmt_sb_adds (b, "\\x");
          fmt_sb_addc (b, hex[c >> 4]);
          fmt_sb_addc (b, hex[c & 15]);
          i++;
          continue;
        }
      i += w;
      if (r == (uint32_t) quote || r == '\\')
        {
          fmt_sb_addc (b, '\\');
          fmt_sb_addc (b, (char) r);
          continue;
        }
      if (fmt_rune_is_print (r))
        {
          fmt_utf8_encode (b, r);
          continue;
        }
      switch (r)
        {
        case '\a':
          fmt_sb_adds (b, "\\a");
          break;
        case '\b':
          fmt_sb_adds (b, "\\b");
          break;
        case '\f':
          fmt_sb_adds (b, "\\f");
          break;
        case '\n':
          fmt_sb_adds (b, "\\n");
          break;
        case '\r':
          fmt_sb_adds (b, "\\r");
          break;
        case '\t':
          fmt_sb_adds (b, "\\t");
          break;
        case '\v':
          fmt_sb_adds (b, "\\v");
          break;
        default:
          if (r < ' ' || r == 0x7F)
            fmt_sb_printf (b, "\\x%c%c", hex[r >> 4], hex[r & 15]);
          else if (r < 0x10000)
            fmt_sb_printf (b, "\\u%04" PRIx32, r);
          else
            fmt_sb_printf (b, "\\U%08" PRIx32, r);
        }
    }
  fmt_sb_addc (b, quote);
}

/* ------------------------------------------------------------------------------------------------ */
/* Go's fmt over JSON values                                                                         */

static void
fmt_padding (struct sbuf *b, const struct fmtflags *f, int n)
{
  if (n <= 0)
    return;
  fmt_sb_repeat (b, f->zero ? '0' : ' ', (size_t) n);
}

static void
fmt_pad (struct sbuf *b, const struct fmtflags *f, const char *s, size_t n)
{
  if (!f->wid_present || f->wid == 0)
    {
      fmt_sb_addn (b, s, n);
      return;
    }
  int width = f->wid - (int) fmt_utf8_count (s, n);
  if (!f->minus)
    {
      fmt_padding (b, f, width);
      fmt_sb_addn (b, s, n);
    }
  else
    {
      fmt_sb_addn (b, s, n);
      fmt_padding (b, f, width);
    }
}

static void
fmt_bad_verb (struct sbuf *b, struct fmtflags *f, json_object *j, bool is_nil, uint32_t verb)
{
  fmt_sb_adds (b, "%!");
  fmt_utf8_encode (b, verb);
  fmt_sb_addc (b, '(');
  if (is_nil)
    fmt_sb_adds (b, "<nil>");
  else
    {
      fmt_sb_adds (b, fmt_jtype_name (j));
      fmt_sb_addc (b, '=');
      fmt_arg (b, f, j, false, 'v', 0);
    }
  fmt_sb_addc (b, ')');
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
  fmt_go_format_float (&num, v, verb, prec);
  /* num with an explicit sign in front */
  struct sbuf s = { 0 };
  if (num.s[0] == '-' || num.s[0] == '+')
    fmt_sb_addn (&s, num.s, num.len);
  else
    {
      fmt_sb_addc (&s, '+');
      fmt_sb_addn (&s, num.s, num.len);
    }
  fmt_sb_release (&num);
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
              fmt_sb_addn (&tail, s.s + i, s.len - i);
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
          fmt_sb_addc (&s, '.');
        }
      for (; digits > 0; digits--)
        fmt_sb_addc (&s, '0');
      if (tail.s)
        fmt_sb_addn (&s, tail.s, tail.len);
      fmt_sb_release (&tail);
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
      fmt_sb_release (&s);
      return;
    }
  if (f->plus || s.s[0] != '+')
    {
      if (f->zero && !f->minus && f->wid_present && f->wid > (int) s.len)
        {
          fmt_sb_addc (b, s.s[0]);
          fmt_padding (b, f, f->wid - (int) s.len);
          fmt_sb_addn (b, s.s + 1, s.len - 1);
        }
      else
        fmt_pad (b, f, s.s, s.len);
    }
  else
    fmt_pad (b, f, s.s + 1, s.len - 1);
  fmt_sb_release (&s);
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
                fmt_utf8_decode ((const unsigned char *) s + i, n - i, &w);
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
              fmt_sb_addc (&t, ' ');
            if (f->sharp && (f->space || i == 0))
              {
                fmt_sb_addc (&t, '0');
                fmt_sb_addc (&t, (char) verb);
              }
            unsigned char c = (unsigned char) s[i];
            fmt_sb_addc (&t, digits[c >> 4]);
            fmt_sb_addc (&t, digits[c & 15]);
          }
        fmt_pad (b, f, t.s ? t.s : "", t.len);
        fmt_sb_release (&t);
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
                fmt_utf8_decode ((const unsigned char *) s + i, n - i, &w);
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
                fmt_sb_addc (&t, '`');
                fmt_sb_addn (&t, s, len);
                fmt_sb_addc (&t, '`');
                fmt_pad (b, f, t.s, t.len);
                fmt_sb_release (&t);
                return;
              }
          }
        fmt_go_quote (&t, s, len, '"');
        fmt_pad (b, f, t.s, t.len);
        fmt_sb_release (&t);
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
      fmt_sb_adds (b, f->sharp_v ? "interface {}(nil)" : "<nil>");
      return;
    }
  fmt_arg (b, f, j, false, verb, depth);
}

void
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
      const char *t = fmt_jtype_name (j);
      fmt_pad (b, f, t, strlen (t));
      return;
    }
  switch (fmt_jkind (j))
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
        if (fmt_jint_unsigned (j, &u))
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
              fmt_utf8_encode (&t, u > 0x10FFFF ? RUNE_ERROR : (uint32_t) u);
              fmt_pad (b, f, t.s, t.len);
              fmt_sb_release (&t);
              return;
            }
          case 'q':
            {
              struct sbuf r = { 0 }, t = { 0 };
              fmt_utf8_encode (&r, u > 0x10FFFF ? RUNE_ERROR : (uint32_t) u);
              fmt_go_quote (&t, r.s, r.len, '\'');
              fmt_pad (b, f, t.s, t.len);
              fmt_sb_release (&r);
              fmt_sb_release (&t);
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
        const char *s = fmt_jstr (j, &n);
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
        fmt_sb_adds (b, f->sharp_v ? "[]interface {}{" : "[");
        size_t n = json_object_array_length (j);
        for (size_t i = 0; i < n; i++)
          {
            if (i > 0)
              fmt_sb_adds (b, f->sharp_v ? ", " : " ");
            fmt_elem (b, f, json_object_array_get_idx (j, i), verb, depth + 1);
          }
        fmt_sb_addc (b, f->sharp_v ? '}' : ']');
        return;
      }
    case VK_MAP:
      {
        size_t n;
        struct kv *e = fmt_sorted_entries (j, &n);
        fmt_sb_adds (b, f->sharp_v ? "map[string]interface {}{" : "map[");
        for (size_t i = 0; i < n; i++)
          {
            if (i > 0)
              fmt_sb_adds (b, f->sharp_v ? ", " : " ");
            json_object *k = json_object_new_string_len (e[i].k, (int) e[i].klen);
            fmt_arg (b, f, k, false, verb, depth + 1);
            json_object_put (k);
            fmt_sb_addc (b, ':');
            fmt_elem (b, f, e[i].v, verb, depth + 1);
          }
        fmt_sb_addc (b, f->sharp_v ? '}' : ']');
        free (e);
        return;
      }
    case VK_INVALID:
    case VK_NIL:
    default:
      return;
    }
}

/* fmt.Sprint(v) as text/template prints an action's value */
void
fmt_print_value (struct sbuf *b, struct val v)
{
  if (v.invalid)
    {
      fmt_sb_adds (b, "<no value>");
      return;
    }
  struct fmtflags f = { 0 };
  fmt_arg (b, &f, v.j, v.j == NULL, 'v', 0);
}

static bool
farg_is_string (const struct farg *a)
{
  return !a->is_nil && fmt_jkind (a->j) == VK_STRING;
}

/* fmt.Sprint */
void
fmt_go_sprint (struct sbuf *b, const struct farg *a, size_t n)
{
  bool prev_string = false;
  for (size_t i = 0; i < n && b->len <= FMT_VALUE_MAX; i++)
    {
      bool is_string = farg_is_string (&a[i]);
      if (i > 0 && !is_string && !prev_string)
        fmt_sb_addc (b, ' ');
      struct fmtflags f = { 0 };
      fmt_arg (b, &f, a[i].j, a[i].is_nil, 'v', 0);
      prev_string = is_string;
    }
}

/* fmt.Sprintln */
void
fmt_go_sprintln (struct sbuf *b, const struct farg *a, size_t n)
{
  for (size_t i = 0; i < n && b->len <= FMT_VALUE_MAX; i++)
    {
      if (i > 0)
        fmt_sb_addc (b, ' ');
      struct fmtflags f = { 0 };
      fmt_arg (b, &f, a[i].j, a[i].is_nil, 'v', 0);
    }
  fmt_sb_addc (b, '\n');
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
      if (!a[*arg_num].is_nil && fmt_jkind (a[*arg_num].j) == VK_INT)
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
void
fmt_go_sprintf (struct sbuf *b, const char *format, size_t end, const struct farg *a, size_t nargs)
{
  size_t arg_num = 0;
  bool after_index = false;
  struct printf_state ps = { false, true };
  /* past FMT_VALUE_MAX the caller fails the call: formatting more would only cost memory */
  for (size_t i = 0; i < end && b->len <= FMT_VALUE_MAX;)
    {
      ps.good_arg_num = true;
      size_t lasti = i;
      while (i < end && format[i] != '%')
        i++;
      if (i > lasti)
        fmt_sb_addn (b, format + lasti, i - lasti);
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
            fmt_sb_adds (b, "%!(BADWIDTH)");
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
                fmt_sb_adds (b, "%!(BADPREC)");
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
          fmt_sb_adds (b, "%!(NOVERB)");
          break;
        }
      size_t w;
      uint32_t verb = fmt_utf8_decode ((const unsigned char *) format + i, end - i, &w);
      i += w;
      if (verb == '%')
        fmt_sb_addc (b, '%');
      else if (!ps.good_arg_num)
        {
          fmt_sb_adds (b, "%!");
          fmt_utf8_encode (b, verb);
          fmt_sb_adds (b, "(BADINDEX)");
        }
      else if (arg_num >= nargs)
        {
          fmt_sb_adds (b, "%!");
          fmt_utf8_encode (b, verb);
          fmt_sb_adds (b, "(MISSING)");
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
      fmt_sb_adds (b, "%!(EXTRA ");
      for (size_t k = arg_num; k < nargs; k++)
        {
          if (k > arg_num)
            fmt_sb_adds (b, ", ");
          if (a[k].is_nil)
            fmt_sb_adds (b, "<nil>");
          else
            {
              struct fmtflags f = { 0 };
              fmt_sb_adds (b, fmt_jtype_name (a[k].j));
              fmt_sb_addc (b, '=');
              fmt_arg (b, &f, a[k].j, false, 'v', 0);
            }
        }
      fmt_sb_addc (b, ')');
    }
}
