/* The one JSON printer: Go's encoding/json, as podman prints JSON. Compact for the template's json function
 * (an Encoder with SetEscapeHTML(false), no newline), indented for --format json and inspect
 * (json.MarshalIndent or an Encoder with SetIndent): object members in their own order (the data stands for
 * Go structs, whose fields encode in declaration order), "{}" and "[]" for empty ones, Go's string escapes
 * and Go's float formatting. */
#include <inttypes.h>
#include <string.h>

#include "format/format_internal.h"

static void
json_encode_string (struct sbuf *b, const char *s, size_t n, bool escape_html)
{
  static const char hex[] = "0123456789abcdef";
  fmt_sb_addc (b, '"');
  size_t start = 0;
  for (size_t i = 0; i < n;)
    {
      unsigned char c = (unsigned char) s[i];
      if (c < 0x80)
        {
          bool html = escape_html && (c == '<' || c == '>' || c == '&');
          if (c >= 0x20 && c != '"' && c != '\\' && !html)
            {
              i++;
              continue;
            }
          fmt_sb_addn (b, s + start, i - start);
          switch (c)
            {
            case '\\':
            case '"':
              fmt_sb_addc (b, '\\');
              fmt_sb_addc (b, (char) c);
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
            default:
              fmt_sb_adds (b, "\\u00");
              fmt_sb_addc (b, hex[c >> 4]);
              fmt_sb_addc (b, hex[c & 15]);
            }
          i++;
          start = i;
          continue;
        }
      size_t w;
      uint32_t r = fmt_utf8_decode ((const unsigned char *) s + i, n - i, &w);
      if (r == RUNE_ERROR && w == 1)
        {
          fmt_sb_addn (b, s + start, i - start);
          fmt_sb_adds (b, "\\ufffd");
          i++;
          start = i;
          continue;
        }
      if (r == 0x2028 || r == 0x2029)
        {
          fmt_sb_addn (b, s + start, i - start);
          fmt_sb_printf (b, "\\u%04" PRIx32, r);
          i += w;
          start = i;
          continue;
        }
      i += w;
    }
  fmt_sb_addn (b, s + start, n - start);
  fmt_sb_addc (b, '"');
}

/* A new line and depth levels of indentation (indent mode only). */
static void
json_newline (struct sbuf *b, const struct skiff_json_style *st, int depth)
{
  fmt_sb_addc (b, '\n');
  for (int d = 0; d < depth; d++)
    fmt_sb_adds (b, st->indent);
}

static void
json_write (struct sbuf *b, json_object *j, const struct skiff_json_style *st, int depth)
{
  bool indent = st->indent != NULL;
  switch (fmt_jkind (j))
    {
    case VK_NIL:
    case VK_INVALID:
      fmt_sb_adds (b, "null");
      return;
    case VK_BOOL:
      fmt_sb_adds (b, json_object_get_boolean (j) ? "true" : "false");
      return;
    case VK_INT:
      {
        uint64_t u;
        if (fmt_jint_unsigned (j, &u))
          fmt_sb_printf (b, "%" PRIu64, u);
        else
          fmt_sb_printf (b, "%" PRId64, json_object_get_int64 (j));
        return;
      }
    case VK_FLOAT:
      fmt_json_float (b, json_object_get_double (j));
      return;
    case VK_STRING:
      {
        size_t n;
        const char *s = fmt_jstr (j, &n);
        json_encode_string (b, s, n, st->escape_html);
        return;
      }
    case VK_ARRAY:
      {
        size_t n = json_object_array_length (j);
        fmt_sb_addc (b, '[');
        for (size_t i = 0; i < n; i++)
          {
            if (i)
              fmt_sb_addc (b, ',');
            if (indent)
              json_newline (b, st, depth + 1);
            json_write (b, json_object_array_get_idx (j, i), st, depth + 1);
          }
        if (indent && n > 0)
          json_newline (b, st, depth);
        fmt_sb_addc (b, ']');
        return;
      }
    case VK_MAP:
      {
        bool first = true;
        fmt_sb_addc (b, '{');
        json_object_object_foreach (j, k, v)
        {
          if (!first)
            fmt_sb_addc (b, ',');
          first = false;
          if (indent)
            json_newline (b, st, depth + 1);
          json_encode_string (b, k, strlen (k), st->escape_html);
          fmt_sb_adds (b, indent ? ": " : ":");
          json_write (b, v, st, depth + 1);
        }
        if (indent && !first)
          json_newline (b, st, depth);
        fmt_sb_addc (b, '}');
        return;
      }
    }
}

void
fmt_json_encode (struct sbuf *b, json_object *j)
{
  static const struct skiff_json_style compact = { 0 };
  json_write (b, j, &compact, 0);
}

char *
skiff_json_encode (json_object *j, const struct skiff_json_style *style)
{
  static const struct skiff_json_style compact = { 0 };
  struct sbuf b = { 0 };
  fmt_sb_adds (&b, "");
  json_write (&b, j, style ? style : &compact, 0);
  return fmt_sb_steal (&b);
}
