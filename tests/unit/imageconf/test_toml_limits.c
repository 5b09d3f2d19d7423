/* registries.conf's TOML reader against hostile files: nesting is bounded with a line-numbered error, a NUL
 * byte is refused before any scan could run past the buffer (issue #9). */
#include <criterion/criterion.h>

#include "image/registries.h"
#include "image/toml.h"

static char *
repeat (const char *s, size_t n)
{
  size_t l = strlen (s);
  char *r = xmalloc (l * n + 1);
  for (size_t i = 0; i < n; i++)
    memcpy (r + i * l, s, l);
  r[l * n] = '\0';
  return r;
}

/* Parse exactly len bytes from a copy of exactly that size, so AddressSanitizer sees any read past them. */
static char *
parse_error (const char *data, size_t len)
{
  char *copy = xmalloc (len ? len : 1);
  memcpy (copy, data, len);
  struct tval *root = NULL;
  skiff_error_t err = NULL;
  int r = toml_parse (copy, len, "registries.conf", &root, &err);
  free (copy);
  if (r == 0)
    {
      toml_tval_free (root);
      return NULL;
    }
  char *m = xstrdup (err->msg);
  skiff_error_release (&err);
  return m;
}

static void
expect_error (const char *data, size_t len, const char *want)
{
  cleanup_free char *msg = parse_error (data, len);
  cr_assert_not_null (msg, "parsed: `%.60s`", data);
  cr_assert_str_eq (msg, want);
}

/* 100,000 nested arrays crashed with SIGSEGV */
Test (toml_limits, nested_arrays_and_tables, .timeout = 10)
{
  cleanup_free char *open = repeat ("[", 100000);
  cleanup_free char *text = xasprintf ("\n\nx = %s", open);
  expect_error (text, strlen (text), "registries.conf:3: arrays and inline tables nested more than 100 levels deep");
  cleanup_free char *tables = repeat ("{a=", 100000);
  free (text);
  text = xasprintf ("x = %s", tables);
  expect_error (text, strlen (text), "registries.conf:1: arrays and inline tables nested more than 100 levels deep");
  /* 100 levels are fine */
  cleanup_free char *ok_open = repeat ("[", 99), *ok_close = repeat ("]", 99);
  free (text);
  text = xasprintf ("x = [%s1%s]\n", ok_open, ok_close);
  cleanup_free char *msg = parse_error (text, strlen (text));
  cr_assert_null (msg, "%s", msg);
}

/* dotted keys and headers make tables inside tables too */
Test (toml_limits, long_dotted_keys, .timeout = 10)
{
  cleanup_free char *parts = repeat ("a.", 100000);
  cleanup_free char *text = xasprintf ("%sb = 1\n", parts);
  expect_error (text, strlen (text), "registries.conf:1: a dotted key of more than 100 parts");
  free (text);
  text = xasprintf ("\n[%sb]\n", parts);
  expect_error (text, strlen (text), "registries.conf:2: a dotted key of more than 100 parts");
}

/* a NUL inside a number was read past (AddressSanitizer: heap-buffer-overflow) */
Test (toml_limits, nul_bytes_are_refused)
{
  static const char number[] = "a = 1\nb = 12\0_3\n";
  expect_error (number, sizeof number - 1, "registries.conf:2: a NUL byte: TOML files hold text");
  static const char tail[] = "x = 0\0";
  expect_error (tail, sizeof tail - 1, "registries.conf:1: a NUL byte: TOML files hold text");
  static const char in_string[] = "\n\n\ns = \"a\0b\"";
  expect_error (in_string, sizeof in_string - 1, "registries.conf:4: a NUL byte: TOML files hold text");
  /* through the public parser as well */
  struct skiff_registries_conf *c = NULL;
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_registries_conf_parse (number, sizeof number - 1, "registries.conf", false, &c, &err), 0);
  cr_assert (strstr (err->msg, "NUL byte") != NULL, "%s", err->msg);
  skiff_error_release (&err);
}

/* numbers at the very end of the data, with no newline after them, stay within it */
Test (toml_limits, values_at_the_end_of_the_data)
{
  static const char *const ends[] = { "x = 1", "x = 1_", "x = 0x", "x = 1e", "x = +", "x = tru", "x = \"", "x = [1," };
  for (size_t i = 0; i < ARRAY_SIZE (ends); i++)
    free (parse_error (ends[i], strlen (ends[i])));
}
