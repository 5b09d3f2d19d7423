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
  size_t nwidths, capwidths;
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

/* Go's format(), which recurses once per column: a line of a million tabs (a label value in a hostile image,
 * printed in a table) overflowed the stack. The same walk with its frames on the heap: frame k handles column
 * k of the lines [line0, line1), and widths[k] is pushed while its block of lines is formatted. */
struct tw_frame
{
  size_t line0, line1, this;
};

static size_t
tw_format (struct tabwriter *w, size_t pos, size_t line0, size_t line1)
{
  size_t nframes = 1, capframes = 16;
  struct tw_frame *frames = xmalloc (capframes * sizeof *frames);
  frames[0] = (struct tw_frame){ line0, line1, line0 };
  while (nframes > 0)
    {
      struct tw_frame *f = &frames[nframes - 1];
      size_t column = w->nwidths;
      bool descend = false;
      for (; f->this < f->line1; f->this ++)
        {
          if (column + 1 >= w->lines[f->this].n)
            continue;
          /* a cell in this column: this line starts a block of lines with one */
          pos = tw_write_lines (w, pos, f->line0, f->this);
          f->line0 = f->this;
          size_t width = TW_MINWIDTH;
          for (; f->this < f->line1; f->this ++)
            {
              struct tw_line *l = &w->lines[f->this];
              if (column + 1 >= l->n)
                break;
              size_t cw = l->cells[column].width + TW_PADDING;
              if (cw > width)
                width = cw;
            }
          if (w->nwidths == w->capwidths)
            {
              w->capwidths = w->capwidths ? 2 * w->capwidths : 16;
              w->widths = xrealloc (w->widths, w->capwidths * sizeof *w->widths);
            }
          w->widths[w->nwidths++] = width;
          descend = true;
          break;
        }
      if (descend)
        {
          if (nframes == capframes)
            {
              capframes *= 2;
              frames = xrealloc (frames, capframes * sizeof *frames);
              f = &frames[nframes - 1];
            }
          frames[nframes++] = (struct tw_frame){ f->line0, f->this, f->line0 };
          continue;
        }
      pos = tw_write_lines (w, pos, f->line0, f->line1);
      nframes--;
      if (nframes > 0)
        {
          /* back in the parent, after its block: on to the line after it */
          struct tw_frame *parent = &frames[nframes - 1];
          w->nwidths--;
          parent->line0 = parent->this;
          parent->this ++;
        }
    }
  free (frames);
  return pos;
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
