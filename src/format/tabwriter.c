/* --format engine: column alignment as Go's text/tabwriter does it with podman's settings
 * (skiff_tabwrite). */
#include <string.h>

#include "format/format_internal.h"

/* podman's report.NewWriterDefault / Formatter.Parse: tabwriter.NewWriter(w, 12, 2, 2, ' ', StripEscape) */
#define TW_MINWIDTH 12
#define TW_PADDING 2
#define TW_ESCAPE 0xff

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
  w->cell.width += fmt_utf8_count (w->buf.s + w->pos, w->buf.len - w->pos);
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
  fmt_sb_addn (&w->buf, s, n);
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
              fmt_sb_addn (&w->out, w->buf.s + pos, c->size);
              pos += c->size;
            }
          if (j < w->nwidths && w->widths[j] > c->width)
            fmt_sb_repeat (&w->out, ' ', w->widths[j] - c->width);
        }
      if (i + 1 == w->nlines)
        {
          /* the last buffered line has no newline: write what is left of it */
          fmt_sb_addn (&w->out, w->buf.s + pos, w->cell.size);
          pos += w->cell.size;
        }
      else
        fmt_sb_addc (&w->out, '\n');
    }
  return pos;
}

static size_t
tw_format (struct tabwriter *w, size_t pos, size_t line0, size_t line1)
{
  size_t column = w->nwidths;
  for (size_t this = line0; this < line1; this ++)
    {
      struct tw_line *l = &w->lines[this];
      if (column + 1 >= l->n)
        continue;
      /* a cell in this column: this line starts a block of lines with one */
      pos = tw_write_lines (w, pos, line0, this);
      line0 = this;
      size_t width = TW_MINWIDTH;
      for (; this < line1; this ++)
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
  fmt_sb_release (&w.buf);
  return fmt_sb_steal (&w.out);
}
