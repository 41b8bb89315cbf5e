/* parleyctl — aligned text columns for the human output of status and
 * journal stats. Widths count bytes, except UTF-8 continuation bytes, so
 * names with accents line up too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

void parley_ctl_table_init(parley_ctl_table_t *t, size_t ncols) {
  memset(t, 0, sizeof *t);
  t->ncols = ncols;
}

int parley_ctl_table_row(parley_ctl_table_t *t, const char *const *cells) {
  if (t->nrows == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 8;
    char **c = realloc(t->cells, cap * t->ncols * sizeof *c);
    if (!c)
      return -1;
    t->cells = c;
    t->cap = cap;
  }
  char **row = t->cells + t->nrows * t->ncols;
  for (size_t i = 0; i < t->ncols; i++) {
    row[i] = strdup(cells[i] ? cells[i] : "-");
    if (!row[i]) {
      while (i--)
        free(row[i]);
      return -1;
    }
  }
  t->nrows++;
  return 0;
}

static size_t display_width(const char *s) {
  size_t w = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80)
      w++;
  return w;
}

void parley_ctl_table_print(const parley_ctl_table_t *t) {
  size_t width[16] = {0};
  size_t ncols = t->ncols < 16 ? t->ncols : 16;
  for (size_t r = 0; r < t->nrows; r++)
    for (size_t c = 0; c < ncols; c++) {
      size_t w = display_width(t->cells[r * t->ncols + c]);
      if (w > width[c])
        width[c] = w;
    }
  for (size_t r = 0; r < t->nrows; r++) {
    for (size_t c = 0; c < ncols; c++) {
      const char *cell = t->cells[r * t->ncols + c];
      fputs(cell, stdout);
      if (c + 1 < ncols)
        printf("%*s", (int)(width[c] - display_width(cell) + 2), "");
    }
    putchar('\n');
  }
}

void parley_ctl_table_free(parley_ctl_table_t *t) {
  for (size_t i = 0; i < t->nrows * t->ncols; i++)
    free(t->cells[i]);
  free(t->cells);
  memset(t, 0, sizeof *t);
}
