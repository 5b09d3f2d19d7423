/* The man pages against the binary: every command and subcommand that `skiff --help` lists has a page in
 * docs/man, every flag its --help lists is an option heading of that page, and every page a page names exists. */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../harness.h"

#define MAN_SUBDIR "docs/man"
#define LINK_SUBDIR "docs/man/links"
#define MESON_FILE "docs/meson.build"
#define MD_SUFFIX ".1.md"
#define LINK_SUFFIX ".1"
#define SO_PREFIX ".so man1/"
/* how many words after "skiff" the walk follows: 2 today (skiff pod create); a group inside a group would be 3 */
#define MAX_DEPTH 3
#define MAX_WORDS (MAX_DEPTH + 1)
/* "skiff --help" of today lists 36 commands and run's --help 43 flags: far fewer means the help's layout
 * changed and the parser below no longer reads it */
#define MIN_TOP_COMMANDS 10
#define MIN_RUN_FLAGS 20

/* ---- a growable list of strings, and the problems found ---- */

struct list
{
  char **v;
  size_t n;
};

static void
list_add (struct list *l, char *s)
{
  l->v = realloc (l->v, (l->n + 2) * sizeof *l->v);
  cr_assert_not_null (l->v);
  l->v[l->n++] = s;
  l->v[l->n] = NULL;
}

static bool
list_has (const struct list *l, const char *s)
{
  for (size_t i = 0; i < l->n; i++)
    if (strcmp (l->v[i], s) == 0)
      return true;
  return false;
}

static void
list_free (struct list *l)
{
  for (size_t i = 0; i < l->n; i++)
    free (l->v[i]);
  free (l->v);
  l->v = NULL;
  l->n = 0;
}

static char *xfmt (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

static char *
xfmt (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *s = NULL;
  cr_assert_geq (vasprintf (&s, fmt, ap), 0);
  va_end (ap);
  return s;
}

static struct list problems;

#define PROBLEM(...) list_add (&problems, xfmt (__VA_ARGS__))

/* every problem as a failure of its own, without stopping at the first, so that one run shows every page to
 * write (and nothing is left allocated behind an assertion's longjmp) */
static void
report_problems (const char *what)
{
  if (problems.n > 0)
    cr_expect_fail ("%zu problem(s) with %s (docs/man/README.md says how to write a page):", problems.n, what);
  for (size_t i = 0; i < problems.n; i++)
    cr_expect_fail ("%s", problems.v[i]);
  list_free (&problems);
}

/* ---- pages ---- */

static char *
src_path (const char *sub, const char *name, const char *suffix)
{
  const char *src = getenv ("SKIFF_SRCDIR");
  cr_assert_not_null (src, "SKIFF_SRCDIR is not set (meson sets it for the integration tests)");
  return xfmt ("%s/%s/%s%s", src, sub, name, suffix);
}

/* The markdown of page NAME: docs/man/NAME.1.md, or the page a link docs/man/links/NAME.1 (".so man1/T.1")
 * points to. NULL when there is neither; *target gets the name of the page read (caller frees). */
static char *
page_text (const char *name, char **target)
{
  char *md = src_path (MAN_SUBDIR, name, MD_SUFFIX);
  char *text = it_slurp (md);
  free (md);
  if (text)
    {
      *target = strdup (name);
      return text;
    }
  char *link = src_path (LINK_SUBDIR, name, LINK_SUFFIX);
  char *so = it_slurp (link);
  free (link);
  if (so == NULL)
    return NULL;
  char *t = strncmp (so, SO_PREFIX, strlen (SO_PREFIX)) == 0 ? so + strlen (SO_PREFIX) : NULL;
  size_t tlen = t ? strcspn (t, "\n") : 0;
  if (t == NULL || tlen <= strlen (LINK_SUFFIX)
      || strncmp (t + tlen - strlen (LINK_SUFFIX), LINK_SUFFIX, strlen (LINK_SUFFIX)) != 0)
    {
      PROBLEM ("links/%s.1 is not one line \"" SO_PREFIX "PAGE.1\"", name);
      free (so);
      return NULL;
    }
  char *tname = strndup (t, tlen - strlen (LINK_SUFFIX));
  free (so);
  md = src_path (MAN_SUBDIR, tname, MD_SUFFIX);
  text = it_slurp (md);
  free (md);
  if (text == NULL)
    {
      PROBLEM ("links/%s.1 points to %s(1), which has no %s" MD_SUFFIX, name, tname, tname);
      free (tname);
      return NULL;
    }
  *target = tname;
  return text;
}

static bool
has_link (const char *name)
{
  char *link = src_path (LINK_SUBDIR, name, LINK_SUFFIX);
  bool r = access (link, F_OK) == 0;
  free (link);
  return r;
}

/* The text of section "## TITLE" up to the next "## " heading; NULL without one (caller frees). */
static char *
section (const char *text, const char *title)
{
  char *head = xfmt ("\n## %s\n", title);
  const char *p = strstr (text, head);
  size_t hlen = strlen (head);
  free (head);
  if (p == NULL)
    return NULL;
  p += hlen;
  const char *end = strstr (p, "\n## ");
  return end ? strndup (p, (size_t) (end - p)) : strdup (p);
}

/* Is --NAME (with -SHORT when short is not 0) an option heading ("#### **--name**, **-n**=*arg*") of text? */
static bool
has_option_heading (const char *text, const char *name, char shortname)
{
  char *lng = xfmt ("**--%s**", name);
  char *shrt = xfmt ("**-%c**", shortname);
  bool found = false;
  for (const char *line = text; line && *line && !found; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    {
      if (strncmp (line, "#### ", 5) != 0)
        continue;
      char *l = strndup (line, strcspn (line, "\n"));
      found = strstr (l, lng) && (shortname == 0 || strstr (l, shrt));
      free (l);
    }
  free (lng);
  free (shrt);
  return found;
}

/* ---- help output ---- */

/* The first word of each line of the "TITLE:" section of a --help (podman's layout, cobra's). */
static void
help_section_words (const char *help, const char *title, struct list *out)
{
  char *head = xfmt ("\n%s:\n", title);
  const char *p = strstr (help, head);
  if (p)
    p += strlen (head);
  free (head);
  while (p && *p == ' ')
    {
      while (*p == ' ')
        p++;
      list_add (out, strndup (p, strcspn (p, " \n")));
      p = strchr (p, '\n');
      p = p ? p + 1 : NULL;
    }
}

struct flag
{
  char name[64];
  char shortname;
};

/* The flags of a --help's Options section, one a line: "  -a, --all   ..." or "      --name string   ...". */
static size_t
help_flags (const char *help, struct flag *out, size_t max)
{
  const char *p = strstr (help, "\nOptions:\n");
  size_t n = 0;
  for (p = p ? strchr (p + 1, '\n') + 1 : NULL; p && *p == ' ' && n < max;
       p = strchr (p, '\n') ? strchr (p, '\n') + 1 : NULL)
    {
      const char *w = p + strspn (p, " ");
      struct flag f = { .shortname = 0 };
      if (w[0] == '-' && w[1] != '-' && w[1] != '\0' && w[2] == ',')
        f.shortname = w[1];
      const char *dashes = strstr (w, "--");
      if (dashes == NULL || dashes > w + strcspn (w, "\n"))
        continue;
      size_t len = strcspn (dashes + 2, " \n");
      /* an unnamed entry ("--  (null)") is a placeholder of the option table, not a flag anyone can type */
      if (len == 0 || len >= sizeof f.name)
        continue;
      memcpy (f.name, dashes + 2, len);
      f.name[len] = '\0';
      out[n++] = f;
    }
  return n;
}

static char *
skiff_help (const char *const *words, size_t nwords, int *status)
{
  const char *args[MAX_WORDS + 2] = { 0 };
  for (size_t i = 0; i < nwords; i++)
    args[i] = words[i];
  args[nwords] = "--help";
  struct it_result r = it_skiff (NULL, NULL, args);
  *status = r.status;
  free (r.err);
  return r.out;
}

static char *
page_name (const char *const *words, size_t nwords)
{
  char *name = strdup ("skiff");
  for (size_t i = 0; i < nwords; i++)
    {
      char *n = xfmt ("%s-%s", name, words[i]);
      free (name);
      name = n;
    }
  return name;
}

/* ---- the walk over the commands ---- */

#define MAX_FLAGS 128

static struct list reached; /* the pages the help led to */

/* Every flag of help is an option heading of the page's OPTIONS (skiff(1): GLOBAL OPTIONS). */
static void
check_flags (const char *name, const char *target, const char *text, const char *help, bool top, bool is_run)
{
  struct flag flags[MAX_FLAGS];
  size_t nflags = help_flags (help, flags, MAX_FLAGS);
  if (is_run && nflags < MIN_RUN_FLAGS)
    PROBLEM ("`skiff run --help` gave %zu flags: has the help's layout changed? (the test must follow it)", nflags);
  char *options = section (text, top ? "GLOBAL OPTIONS" : "OPTIONS");
  for (size_t i = 0; i < nflags; i++)
    {
      /* every command takes --help; skiff(1) says so once */
      if (!top && strcmp (flags[i].name, "help") == 0)
        continue;
      if (options && has_option_heading (options, flags[i].name, flags[i].shortname))
        continue;
      if (flags[i].shortname)
        PROBLEM ("%s(1) has no option heading \"#### **--%s**, **-%c**\" (the page read: %s)", name, flags[i].name,
                 flags[i].shortname, target);
      else
        PROBLEM ("%s(1) has no option heading \"#### **--%s**\" (the page read: %s)", name, flags[i].name, target);
    }
  free (options);
}

/* Check the page of `skiff WORDS...` against its --help, then its subcommands' pages. */
static void
check_command (const char **words, size_t nwords)
{
  int status;
  char *help = skiff_help (words, nwords, &status);
  char *name = page_name (words, nwords);
  list_add (&reached, strdup (name));
  char *target = NULL;
  char *text = NULL;
  struct list subs = { 0 };
  if (status != 0)
    {
      char *cmd = xfmt ("%s", "skiff");
      for (size_t i = 0; i < nwords; i++)
        {
          char *c = xfmt ("%s %s", cmd, words[i]);
          free (cmd);
          cmd = c;
        }
      PROBLEM ("`%s --help` exited %d%s", cmd, status, status > 128 ? " (it crashed)" : "");
      free (cmd);
      goto out;
    }
  text = page_text (name, &target);
  if (text == NULL && !has_link (name)) /* a broken link is reported by page_text */
    PROBLEM ("%s(1) is missing: write docs/man/%s" MD_SUFFIX " (or a link in docs/man/links)", name, name);
  else if (text)
    check_flags (name, target, text, help, nwords == 0, nwords == 1 && strcmp (words[0], "run") == 0);
  help_section_words (help, "Available Commands", &subs);
  if (nwords == 0 && subs.n < MIN_TOP_COMMANDS)
    PROBLEM ("`skiff --help` listed %zu commands: has the help's layout changed? (the test must follow it)", subs.n);
  for (size_t i = 0; i < subs.n; i++)
    {
      /* a group's page names each subcommand's page */
      char *sub = xfmt ("**%s-%s(1)**", name, subs.v[i]);
      if (text && !strstr (text, sub))
        PROBLEM ("%s(1) does not list %s", target, sub);
      free (sub);
      if (nwords + 1 > MAX_DEPTH)
        {
          PROBLEM ("`%s %s` is deeper than this test walks (raise MAX_DEPTH)", name, subs.v[i]);
          continue;
        }
      words[nwords] = subs.v[i];
      check_command (words, nwords + 1);
    }
out:
  list_free (&subs);
  free (text);
  free (target);
  free (name);
  free (help);
}

Test (man, every_command_has_a_page_with_every_flag)
{
  const char *words[MAX_WORDS + 1] = { 0 };
  check_command (words, 0);
  report_problems ("the pages of the commands `skiff --help` lists");
  list_free (&reached);
}

/* ---- what the pages name, and what meson installs ---- */

static void
list_dir (const char *sub, const char *suffix, struct list *out)
{
  char *dir = src_path (sub, "", "");
  DIR *d = opendir (dir);
  cr_assert_not_null (d, "opendir %s", dir);
  for (struct dirent *e; (e = readdir (d));)
    {
      size_t n = strlen (e->d_name), s = strlen (suffix);
      if (n > s && strcmp (e->d_name + n - s, suffix) == 0)
        list_add (out, strndup (e->d_name, n - s));
    }
  closedir (d);
  free (dir);
}

static bool
page_exists (const struct list *pages, const struct list *links, const char *name)
{
  return list_has (pages, name) || list_has (links, name);
}

/* Every "skiff...(1)" a page names, anywhere in it, is a page of docs/man. */
static void
check_references (const char *page, const char *text, const struct list *pages, const struct list *links)
{
  for (const char *p = strstr (text, "skiff"); p; p = strstr (p + 1, "skiff"))
    {
      size_t len = strspn (p, "abcdefghijklmnopqrstuvwxyz0123456789-");
      if (strncmp (p + len, "(1)", 3) != 0 || (p > text && (p[-1] == '-' || p[-1] == '/')))
        continue;
      char *ref = strndup (p, len);
      if (!page_exists (pages, links, ref))
        PROBLEM ("%s(1) names %s(1), which is not a page of docs/man", page, ref);
      free (ref);
    }
}

/* Which command a page is for: `skiff A B` for skiff-a-b, checked with --help (a page for nothing is stale). */
static void
check_page_has_command (const char *name)
{
  if (list_has (&reached, name) || strcmp (name, "skiff") == 0)
    return;
  char *copy = strdup (name + strlen ("skiff-"));
  const char *words[MAX_WORDS + 1] = { 0 };
  size_t n = 0;
  for (char *save = NULL, *w = strtok_r (copy, "-", &save); w && n < MAX_WORDS; w = strtok_r (NULL, "-", &save))
    words[n++] = w;
  int status;
  char *help = skiff_help (words, n, &status);
  if (status != 0 || strstr (help, "Usage:") == NULL)
    PROBLEM ("%s(1) is a page for no command: `skiff %s ... --help` exited %d", name, words[0], status);
  free (help);
  free (copy);
}

Test (man, pages_name_only_pages_that_exist_and_meson_installs_them)
{
  const char *words[MAX_WORDS + 1] = { 0 };
  check_command (words, 0); /* fills `reached`; its own problems are the other test's */
  list_free (&problems);
  struct list pages = { 0 }, links = { 0 };
  list_dir (MAN_SUBDIR, MD_SUFFIX, &pages);
  list_dir (LINK_SUBDIR, LINK_SUFFIX, &links);
  cr_assert_geq (pages.n, (size_t) MIN_TOP_COMMANDS, "docs/man has %zu pages", pages.n);
  char *meson_path = src_path ("", MESON_FILE, "");
  char *meson = it_slurp (meson_path);
  cr_assert_not_null (meson, "%s", meson_path);
  free (meson_path);
  for (size_t i = 0; i < pages.n; i++)
    {
      char *target = NULL;
      char *text = page_text (pages.v[i], &target);
      cr_assert_not_null (text);
      char *title = xfmt ("%% %s 1\n", pages.v[i]);
      if (strncmp (text, title, strlen (title)) != 0)
        PROBLEM ("%s" MD_SUFFIX " does not begin with \"%% %s 1\"", pages.v[i], pages.v[i]);
      free (title);
      static const char *const needed[] = { "NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO" };
      for (size_t k = 0; k < sizeof needed / sizeof needed[0]; k++)
        {
          char *s = section (text, needed[k]);
          if (s == NULL)
            PROBLEM ("%s(1) has no \"## %s\" section", pages.v[i], needed[k]);
          free (s);
        }
      check_references (pages.v[i], text, &pages, &links);
      free (text);
      free (target);
    }
  for (size_t i = 0; i < pages.n + links.n; i++)
    {
      const char *name = i < pages.n ? pages.v[i] : links.v[i - pages.n];
      char *quoted = xfmt ("'%s'", name);
      if (!strstr (meson, quoted))
        PROBLEM ("%s(1) is not listed in " MESON_FILE ", so it is not built or installed", name);
      free (quoted);
      check_page_has_command (name);
      if (i >= pages.n)
        {
          char *target = NULL;
          free (page_text (name, &target)); /* a broken link is a problem */
          free (target);
        }
    }
  free (meson);
  list_free (&pages);
  list_free (&links);
  list_free (&reached);
  report_problems ("the pages in docs/man");
}
