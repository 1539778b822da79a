/* chatsec — the curses UI: drawing.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>
#include <sys/ioctl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include <event2/event.h>

#include "log.h"
#include "proto.h"
#include "utf8.h"
#include "xmalloc.h"

#include "chatsec.h"

/*
 * The screen is redrawn whole, once per loop turn in which something
 * changed (curses sends only the difference).  Main screen layout:
 *
 *	row 0		title of the current window
 *	rows 1..H-3	window list | conversation | members (optional)
 *	row H-2		status line
 *	row H-1		input line
 *
 * Text from the network is turned into cells first: control and
 * bidirectional-override characters become U+FFFD, every character takes
 * its wcwidth, combining characters stay with their base, and wrapping
 * never splits a character.
 */

/* One wrapped row of a line: cells [start, end) drawn from column x. */
struct screen_row {
	size_t	 start;
	size_t	 end;
	int	 x;
};

/* Where things are on the main screen. */
struct screen_layout {
	int	 sw;		/* window list width, 0 if hidden */
	int	 cx;		/* conversation: first column ... */
	int	 cw;		/* ... width ... */
	int	 top;		/* ... first row ... */
	int	 ch;		/* ... and height */
	int	 pw;		/* member pane width, 0 if hidden ... */
	int	 px;		/* ... and first column */
};

static int			 screen_ready;
static int			 screen_scheduled;
static int			 screen_colour;
static int			 screen_ring;
static struct event		*screen_ev;
static struct event		*screen_ev_clock;
static struct screen_cells	 screen_lc;	/* the line being laid out */
static struct screen_row	*screen_rows;
static size_t			 screen_nrows;
static size_t			 screen_srows;

static void	screen_draw(void);

/* Do we have colours? */
int
screen_has_colour(void)
{
	return (screen_colour);
}

/* attr with colour pair added when the terminal has colours. */
attr_t
screen_attr(attr_t attr, short pair)
{
	if (screen_colour && pair != SCREEN_PAIR_DEFAULT)
		return (attr | COLOR_PAIR(pair));
	return (attr);
}

/* The scheduled redraw. */
static void
screen_redraw_cb(int fd, short what, void *arg)
{
	screen_scheduled = 0;
	screen_draw();
}

/* The clock on the status line moves on. */
static void
screen_clock_cb(int fd, short what, void *arg)
{
	screen_update();
}

/* Take over the terminal. */
void
screen_init(void)
{
	struct timeval	 tv = { 10, 0 };
	short		 bg = -1, fg = -1;
	int		 i;
	static const short nick[SCREEN_NICK_COLOURS] = { COLOR_RED,
	    COLOR_GREEN, COLOR_YELLOW, COLOR_BLUE, COLOR_MAGENTA, COLOR_CYAN };

	if (initscr() == NULL)
		fatalx("cannot initialise the terminal");
	if ((screen_colour = has_colors())) {
		start_color();
		if (use_default_colors() != OK) {
			bg = COLOR_BLACK;
			fg = COLOR_WHITE;
		}
		init_pair(SCREEN_PAIR_BAR, COLOR_WHITE, COLOR_BLUE);
		init_pair(SCREEN_PAIR_ERROR, COLOR_RED, bg);
		init_pair(SCREEN_PAIR_INFO, COLOR_CYAN, bg);
		init_pair(SCREEN_PAIR_TIME, fg, bg);
		init_pair(SCREEN_PAIR_HIGHLIGHT, COLOR_YELLOW, bg);
		init_pair(SCREEN_PAIR_ACTIVITY, fg, bg);
		init_pair(SCREEN_PAIR_QR, COLOR_BLACK, COLOR_WHITE);
		init_pair(SCREEN_PAIR_SELF, fg, bg);
		for (i = 0; i < SCREEN_NICK_COLOURS; i++)
			init_pair(SCREEN_PAIR_NICK0 + i, nick[i], bg);
	}
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	screen_ev = event_new(ui_base, -1, 0, screen_redraw_cb, NULL);
	screen_ev_clock = event_new(ui_base, -1, EV_PERSIST, screen_clock_cb,
	    NULL);
	event_add(screen_ev_clock, &tv);
	screen_ready = 1;
}

/* Give the terminal back. */
void
screen_free(void)
{
	if (!screen_ready)
		return;
	screen_ready = 0;
	event_free(screen_ev);
	event_free(screen_ev_clock);
	endwin();
	screen_cells_free(&screen_lc);
	free(screen_rows);
	screen_rows = NULL;
	screen_srows = screen_nrows = 0;
}

/* Something changed: redraw once this loop turn is over. */
void
screen_update(void)
{
	if (!screen_ready || screen_scheduled)
		return;
	screen_scheduled = 1;
	event_active(screen_ev, EV_TIMEOUT, 1);
}

/* Repaint every cell, not just the changes (Ctrl-L, resume). */
void
screen_redraw_all(void)
{
	if (!screen_ready)
		return;
	clearok(curscr, TRUE);
	screen_update();
}

/* The terminal changed size: follow it and repaint. */
void
screen_resize(void)
{
	struct winsize	 ws;

	if (!screen_ready)
		return;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resize_term(ws.ws_row, ws.ws_col);
	screen_redraw_all();
}

/* Ring the bell at the next redraw (once, however many reasons). */
void
screen_bell(void)
{
	screen_ring = 1;
	screen_update();
}

/*
 * A code point as it may be shown: controls, C1 and bidirectional
 * overrides (which could disguise text) become U+FFFD.  *width gets its
 * column width (0 for a combining character).
 */
static wchar_t
screen_safe_char(unsigned int cp, int *width)
{
	int	 w;

	if (cp == '\t') {
		*width = 1;
		return (L' ');
	}
	if (cp == '\n') {
		*width = 1;
		return (L'\n');
	}
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 &&
	    cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x061c) {
		*width = 1;
		return (0xfffd);
	}
	if ((w = wcwidth((wchar_t)cp)) < 0) {
		*width = 1;
		return (0xfffd);
	}
	*width = w;
	return ((wchar_t)cp);
}

/* Append the UTF-8 text s[0..len) as cells with attr and pair. */
void
screen_cells_add(struct screen_cells *cells, const char *s, size_t len,
    attr_t attr, short pair)
{
	struct screen_cell	*c;
	unsigned int		 cp;
	size_t			 n;
	int			 width;

	while (len > 0) {
		if ((n = utf8_decode(s, len, &cp)) == 0) {
			cp = 0xfffd;
			n = 1;
		}
		s += n;
		len -= n;
		if (cells->n == cells->size) {
			cells->size = cells->size == 0 ? 128 : cells->size * 2;
			cells->c = xreallocarray(cells->c, cells->size,
			    sizeof *cells->c);
		}
		c = &cells->c[cells->n++];
		c->wc = screen_safe_char(cp, &width);
		c->width = (unsigned char)width;
		c->attr = attr;
		c->pair = pair;
	}
}

/* Free a cell run's storage. */
void
screen_cells_free(struct screen_cells *cells)
{
	free(cells->c);
	cells->c = NULL;
	cells->n = cells->size = 0;
}

/*
 * Draw cells at (y, x) in at most maxw columns; a character that does not
 * fit whole is not drawn.  Returns the columns used.
 */
int
screen_put_cells(int y, int x, int maxw, const struct screen_cell *cells,
    size_t n)
{
	wchar_t		 wch[CCHARW_MAX + 1];
	cchar_t		 cc;
	size_t		 i = 0, j;
	int		 col = 0, k, w;

	while (i < n) {
		k = 0;
		w = cells[i].width;
		if (cells[i].wc == L'\n')
			wch[k++] = L' ';
		else if (w == 0) {
			wch[k++] = L' ';	/* a combining mark alone */
			wch[k++] = cells[i].wc;
			w = 1;
		} else
			wch[k++] = cells[i].wc;
		for (j = i + 1; j < n && cells[j].width == 0 &&
		    cells[j].wc != L'\n'; j++) {
			if (k < CCHARW_MAX)
				wch[k++] = cells[j].wc;
		}
		wch[k] = L'\0';
		if (col + w > maxw)
			break;
		if (setcchar(&cc, wch, cells[i].attr, screen_colour ?
		    cells[i].pair : 0, NULL) == ERR) {
			wch[1] = L'\0';
			setcchar(&cc, wch, cells[i].attr, screen_colour ?
			    cells[i].pair : 0, NULL);
		}
		mvadd_wch(y, x + col, &cc);
		col += w;
		i = j;
	}
	return (col);
}

/* Draw UTF-8 text at (y, x) in at most maxw columns; returns columns used. */
int
screen_print(int y, int x, int maxw, attr_t attr, short pair, const char *s)
{
	static struct screen_cells	 cells;
	int				 used;

	cells.n = 0;
	screen_cells_add(&cells, s, strlen(s), attr, pair);
	used = screen_put_cells(y, x, maxw, cells.c, cells.n);
	if (cells.size > 4096)
		screen_cells_free(&cells);
	return (used);
}

/* Columns UTF-8 text s takes. */
int
screen_text_width(const char *s)
{
	static struct screen_cells	 cells;
	size_t				 i;
	int				 w = 0;

	cells.n = 0;
	screen_cells_add(&cells, s, strlen(s), 0, 0);
	for (i = 0; i < cells.n; i++)
		w += cells.c[i].width;
	if (cells.size > 4096)
		screen_cells_free(&cells);
	return (w);
}

/* A stable colour for a nick: a hash of its folded form. */
short
screen_nick_pair(const char *nick)
{
	uint32_t	 h = 2166136261u;
	const char	*p;
	char		 c;

	for (p = nick; *p != '\0'; p++) {
		c = *p;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		h = (h ^ (u_char)c) * 16777619u;
	}
	return (SCREEN_PAIR_NICK0 + (short)(h % SCREEN_NICK_COLOURS));
}

/* Where the parts of the main screen go at the current size. */
static void
screen_main_layout(struct screen_layout *lay)
{
	struct ui_window	*w;
	int			 width, longest = 0;
	u_int			 i;

	memset(lay, 0, sizeof *lay);
	if (COLS >= 60) {
		TAILQ_FOREACH(w, &windows, entry) {
			if ((width = screen_text_width(w->name)) > longest)
				longest = width;
		}
		lay->sw = longest + 9;
		if (lay->sw < 14)
			lay->sw = 14;
		if (lay->sw > 24)
			lay->sw = 24;
		lay->cx = lay->sw + 1;
	}
	lay->cw = COLS - lay->cx;
	w = window_current;
	if (ui_conf.members && w != NULL && !w->dm && !w->status &&
	    !w->dead && lay->cw >= 60) {
		lay->pw = w->members_width + 1;
		for (i = 0; i < w->nmembers; i++) {
			if (session_away_of(w->members[i].user) != NULL) {
				lay->pw += 7;	/* " (away)" */
				break;
			}
		}
		if (lay->pw < 14)
			lay->pw = 14;
		if (lay->pw > 20)
			lay->pw = 20;
		lay->px = COLS - lay->pw;
		lay->cw -= lay->pw + 1;
	}
	lay->top = 1;
	lay->ch = LINES - 3;
	if (lay->ch < 0)
		lay->ch = 0;
}

/* Start a new wrapped row. */
static void
screen_row_add(size_t start, size_t end, int x)
{
	if (screen_nrows == screen_srows) {
		screen_srows = screen_srows == 0 ? 16 : screen_srows * 2;
		screen_rows = xreallocarray(screen_rows, screen_srows,
		    sizeof *screen_rows);
	}
	screen_rows[screen_nrows].start = start;
	screen_rows[screen_nrows].end = end;
	screen_rows[screen_nrows].x = x;
	screen_nrows++;
}

/*
 * Wrap cells into screen_rows for width columns: rows after the first
 * start at indent, a row breaks after the last space at or after cell
 * text when there is one, never inside a character, and at '\n'.
 */
static void
screen_wrap(struct screen_cells *lc, size_t text, int width, int indent)
{
	struct screen_cell	*c;
	size_t			 i, k, start, space;
	int			 col, x;

	if (indent > width / 2)
		indent = 0;
	screen_nrows = 0;
	start = 0;
	col = x = 0;
	space = (size_t)-1;
	for (i = 0; i < lc->n; i++) {
		c = &lc->c[i];
		if (c->wc == L'\n') {
			screen_row_add(start, i, x);
			start = i + 1;
			col = x = indent;
			space = (size_t)-1;
			continue;
		}
		if (c->width == 0)
			continue;
		if (col + c->width > width && i > start) {
			if (space != (size_t)-1 && space >= start)
				k = space + 1;
			else
				k = i;
			screen_row_add(start, k, x);
			start = k;
			col = x = indent;
			for (; k < i; k++)
				col += lc->c[k].width;
			space = (size_t)-1;
			if (col + c->width > width && i > start) {
				screen_row_add(start, i, x);
				start = i;
				col = indent;
			}
		}
		if (c->wc == L' ' && i >= text)
			space = i;
		col += c->width;
	}
	screen_row_add(start, lc->n, x);

}

/*
 * Lay line l out into screen_lc and screen_rows for width columns:
 * "HH:MM <nick> text", continuation rows indented under the text, broken
 * after a space where one is near, never inside a character.  Caches the
 * row count in l.  Returns the number of rows.
 */
static int
screen_layout_line(struct ui_line *l, int width)
{
	struct screen_cells	*lc = &screen_lc;
	struct tm		 tm;
	time_t			 t = (time_t)(l->ts / 1000);
	const char		*from;
	char			 hhmm[16];
	size_t			 i, text;
	attr_t			 tattr = 0;
	short			 npair, tpair = SCREEN_PAIR_DEFAULT;
	int			 indent;

	lc->n = 0;
	if (localtime_r(&t, &tm) == NULL || strftime(hhmm, sizeof hhmm,
	    "%H:%M ", &tm) == 0)
		snprintf(hhmm, sizeof hhmm, "--:-- ");
	screen_cells_add(lc, hhmm, strlen(hhmm), 0, SCREEN_PAIR_TIME);

	from = l->from != NULL ? l->from : "";
	npair = (l->flags & UI_LINE_SELF) ? SCREEN_PAIR_SELF :
	    screen_nick_pair(from);
	switch (l->type) {
	case UI_LINE_MSG:
		screen_cells_add(lc, "<", 1, 0, 0);
		screen_cells_add(lc, from, strlen(from),
		    (l->flags & UI_LINE_SELF) ? A_BOLD : 0, npair);
		screen_cells_add(lc, "> ", 2, 0, 0);
		break;
	case UI_LINE_FILE:
		screen_cells_add(lc, "<", 1, 0, 0);
		screen_cells_add(lc, from, strlen(from),
		    (l->flags & UI_LINE_SELF) ? A_BOLD : 0, npair);
		screen_cells_add(lc, "> ", 2, 0, 0);
		screen_cells_add(lc, "[file]", 6, A_BOLD|A_REVERSE,
		    SCREEN_PAIR_ACTIVITY);
		screen_cells_add(lc, " ", 1, 0, 0);
		tattr = A_BOLD;
		break;
	case UI_LINE_ACTION:
		screen_cells_add(lc, "* ", 2, A_BOLD, 0);
		screen_cells_add(lc, from, strlen(from),
		    (l->flags & UI_LINE_SELF) ? A_BOLD : 0, npair);
		screen_cells_add(lc, " ", 1, 0, 0);
		break;
	case UI_LINE_INFO:
		screen_cells_add(lc, "-!- ", 4, 0, SCREEN_PAIR_INFO);
		break;
	case UI_LINE_ERROR:
		screen_cells_add(lc, "-!- ", 4, A_BOLD, SCREEN_PAIR_ERROR);
		tpair = SCREEN_PAIR_ERROR;
		break;
	case UI_LINE_WARN:
		screen_cells_add(lc, "!!!", 3, A_BOLD|A_REVERSE,
		    SCREEN_PAIR_ERROR);
		screen_cells_add(lc, " ", 1, 0, 0);
		tattr = A_BOLD;
		tpair = SCREEN_PAIR_ERROR;
		break;
	}
	text = lc->n;
	for (i = 0, indent = 0; i < text; i++)
		indent += lc->c[i].width;
	if (l->flags & UI_LINE_PENDING)
		tattr = A_DIM;
	if (l->type == UI_LINE_WARN)
		tattr |= A_BOLD;
	if (l->flags & UI_LINE_MENTION) {
		tattr = A_BOLD;
		tpair = SCREEN_PAIR_HIGHLIGHT;
	}
	screen_cells_add(lc, l->text, strlen(l->text), tattr, tpair);
	if (l->flags & UI_LINE_FAILED)
		screen_cells_add(lc, " (not sent)", 11, A_BOLD,
		    SCREEN_PAIR_ERROR);

	screen_wrap(lc, text, width, indent);

	l->rows = (int)screen_nrows;
	l->rows_width = width;
	return (l->rows);
}

/* Rows line l takes at width (cached). */
static int
screen_line_rows(struct ui_line *l, int width)
{
	if (l->rows_width != width)
		screen_layout_line(l, width);
	return (l->rows);
}

/*
 * Draw UTF-8 text from (y, x) wrapped at word boundaries into width
 * columns and at most maxrows rows.  Returns the rows used.
 */
int
screen_print_wrap(int y, int x, int width, int maxrows, attr_t attr,
    short pair, const char *s)
{
	static struct screen_cells	 cells;
	struct screen_row		*row;
	size_t				 r;

	if (width <= 0 || maxrows <= 0)
		return (0);
	cells.n = 0;
	screen_cells_add(&cells, s, strlen(s), attr, pair);
	screen_wrap(&cells, 0, width, 0);
	for (r = 0; r < screen_nrows && (int)r < maxrows; r++) {
		row = &screen_rows[r];
		screen_put_cells(y + (int)r, x + row->x, width - row->x,
		    cells.c + row->start, row->end - row->start);
	}
	if (cells.size > 4096)
		screen_cells_free(&cells);
	return ((int)r);
}

/* Does a day separator go above l? */
static int
screen_line_sep(struct ui_line *l)
{
	struct ui_line	*prev = TAILQ_PREV(l, ui_lines, entry);

	return (prev == NULL || prev->day != l->day);
}

/* Rows line l of a window takes on the main screen now, separator included. */
int
screen_line_height(struct ui_line *l)
{
	struct screen_layout	 lay;

	screen_main_layout(&lay);
	if (lay.cw <= 0)
		return (1);
	return (screen_line_rows(l, lay.cw) + screen_line_sep(l));
}

/* Rows the whole of w takes at width. */
static int
screen_window_rows(struct ui_window *w, int width)
{
	struct ui_line	*l;
	int		 rows = 0;

	TAILQ_FOREACH(l, &w->lines, entry)
		rows += screen_line_rows(l, width) + screen_line_sep(l);
	return (rows);
}

/* The day separator row above line l. */
static void
screen_draw_sep(struct ui_line *l, int y, int x, int width)
{
	struct tm	 tm;
	time_t		 t = (time_t)(l->ts / 1000);
	char		 day[64], text[128];
	int		 tw, pad;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(day, sizeof day, "%A %-d %B %Y", &tm) == 0)
		snprintf(day, sizeof day, "?");
	snprintf(text, sizeof text, " %s ", day);
	tw = screen_text_width(text);
	pad = (width - tw) / 2;
	if (pad < 0)
		pad = 0;
	mvhline(y, x, ACS_HLINE, width);
	screen_print(y, x + pad, width - pad, A_BOLD, SCREEN_PAIR_INFO, text);
}

/* The conversation of w, bottom-up from its scroll position. */
static void
screen_draw_conv(struct ui_window *w, const struct screen_layout *lay)
{
	struct ui_line		*l;
	struct screen_row	*row;
	int			 y = lay->top + lay->ch - 1, skip, top;
	int			 r, n, sep;

	/* Lines may have gone from the top while we were scrolled back. */
	if (w->scroll > 0) {
		top = screen_window_rows(w, lay->cw) - lay->ch;
		if (w->scroll > top)
			w->scroll = top > 0 ? top : 0;
	}
	skip = w->scroll;
	for (l = TAILQ_LAST(&w->lines, ui_lines); l != NULL && y >= lay->top;
	    l = TAILQ_PREV(l, ui_lines, entry)) {
		sep = screen_line_sep(l);
		if (skip >= l->rows + sep && l->rows_width == lay->cw) {
			skip -= l->rows + sep;
			continue;
		}
		n = screen_layout_line(l, lay->cw);
		for (r = n - 1; r >= 0 && y >= lay->top; r--) {
			if (skip > 0) {
				skip--;
				continue;
			}
			row = &screen_rows[r];
			screen_put_cells(y, lay->cx + row->x, lay->cw - row->x,
			    screen_lc.c + row->start, row->end - row->start);
			y--;
		}
		if (sep && y >= lay->top) {
			if (skip > 0)
				skip--;
			else
				screen_draw_sep(l, y--, lay->cx, lay->cw);
		}
	}
}

/* Fill row y with the bar colour. */
static void
screen_bar(int y)
{
	attr_t	 a = screen_colour ? screen_attr(0, SCREEN_PAIR_BAR) :
		     A_REVERSE;

	attrset(a);
	mvhline(y, 0, ' ', COLS);
	attrset(A_NORMAL);
}

/* Attributes of bar text. */
static attr_t
screen_bar_attr(void)
{
	return (screen_colour ? 0 : A_REVERSE);
}

/* Title: what the current window is. */
static void
screen_draw_title(void)
{
	struct ui_window	*w = window_current;
	char			*s;

	screen_bar(0);
	if (w == NULL)
		return;
	if (w->status)
		xasprintf(&s, " status — /list shows the rooms, /join #room "
		    "joins one");
	else if (w->dm)
		xasprintf(&s, " %s — direct messages (%s%s%s)%s", w->name,
		    session_is_online(w->name) ? "online" : "offline",
		    session_away_of(w->name) != NULL ? ", away: " : "",
		    session_away_of(w->name) != NULL ?
		    session_away_of(w->name) : "",
		    w->fetching ? " · loading history…" : "");
	else if (strcasecmp(w->name, CS_GENERAL) == 0)
		xasprintf(&s, " %s — %s%severyone on this server · %u "
		    "online%s", w->name, w->topic != NULL ? w->topic : "",
		    w->topic != NULL ? " · " : "", session_online_count(),
		    w->fetching ? " · loading history…" : "");
	else
		xasprintf(&s, " %s — %s%s%s", w->name, w->topic != NULL ?
		    w->topic : "(no topic)", w->dead ? " · deleted" :
		    (!w->member ? " · not a member (/join to come back)" :
		    ""), w->fetching ? " · loading history…" : "");
	screen_print(0, 0, COLS, screen_bar_attr(), SCREEN_PAIR_BAR, s);
	free(s);
}

/* The window list: number, name, unread count; mentions and DMs stand out. */
static void
screen_draw_list(const struct screen_layout *lay)
{
	struct ui_window	*w;
	char			 num[16], count[16], name[128];
	u_int			 i = 0, first = 0, cur;
	int			 y, x;
	attr_t			 a;
	short			 pair;

	if (lay->sw == 0)
		return;
	mvvline(lay->top, lay->sw, ACS_VLINE, lay->ch);
	cur = window_current != NULL ? window_index(window_current) : 0;
	if (lay->ch > 0 && cur >= (u_int)lay->ch)
		first = cur - lay->ch + 1;
	TAILQ_FOREACH(w, &windows, entry) {
		if (i < first) {
			i++;
			continue;
		}
		y = lay->top + (int)(i - first);
		if (y >= lay->top + lay->ch)
			break;
		a = w == window_current ? A_REVERSE : 0;
		pair = SCREEN_PAIR_DEFAULT;
		if (w->alert) {
			a |= A_BOLD|A_REVERSE;
			pair = SCREEN_PAIR_ERROR;
		} else if (w->highlight) {
			a |= A_BOLD;
			pair = SCREEN_PAIR_HIGHLIGHT;
		} else if (w->unread > 0)
			a |= A_BOLD;
		if (w == window_current) {
			attrset(A_REVERSE);
			mvhline(y, 0, ' ', lay->sw);
			attrset(A_NORMAL);
		}
		snprintf(num, sizeof num, "%2u ", i + 1);
		x = screen_print(y, 0, lay->sw, w == window_current ?
		    A_REVERSE : 0, 0, num);
		count[0] = '\0';
		if (w->alert)
			snprintf(count, sizeof count, " !!");
		else if (w->unread > 0)
			snprintf(count, sizeof count, " %u%s", w->unread > 999 ?
			    999 : w->unread, w->highlight ? "!" : "");
		if (!w->dm && !w->status && (w->dead || !w->member)) {
			/* A room we left, were put out of, or that went. */
			snprintf(name, sizeof name, "(%s)", w->name);
			a |= A_DIM;
		} else
			snprintf(name, sizeof name, "%s", w->name);
		screen_print(y, x, lay->sw - x - (int)strlen(count), a,
		    pair, name);
		if (count[0] != '\0')
			screen_print(y, lay->sw - (int)strlen(count),
			    (int)strlen(count), a, pair, count);
		i++;
	}
}

/*
 * The member pane of the current room: a count, then the members with
 * their marks (~ owner, @ operator, - muted), those online in bold,
 * those away marked "(away)".
 */
static void
screen_draw_members(const struct screen_layout *lay)
{
	struct ui_window	*w = window_current;
	struct ui_member	*m;
	char			 line[128];
	u_int			 i, online = 0;
	int			 y = lay->top;

	if (lay->pw == 0 || w == NULL)
		return;
	mvvline(lay->top, lay->px - 1, ACS_VLINE, lay->ch);
	if (!w->members_loaded) {
		screen_print(y, lay->px, lay->pw, A_DIM, 0, w->member ||
		    w->members_fetching ? "loading…" : "");
		return;
	}
	for (i = 0; i < w->nmembers; i++) {
		if (session_is_online(w->members[i].user))
			online++;
	}
	snprintf(line, sizeof line, "%u/%u online", online, w->nmembers);
	screen_print(y++, lay->px, lay->pw, A_BOLD, 0, line);
	for (i = 0; i < w->nmembers && y < lay->top + lay->ch; i++) {
		m = &w->members[i];
		if (y == lay->top + lay->ch - 1 && i + 1 < w->nmembers) {
			snprintf(line, sizeof line, "+%u more",
			    w->nmembers - i);
			screen_print(y++, lay->px, lay->pw, A_DIM, 0, line);
			break;
		}
		snprintf(line, sizeof line, "%s%s%s", rooms_role_mark(m->role,
		    m->muted), m->user, session_away_of(m->user) != NULL ?
		    " (away)" : "");
		screen_print(y++, lay->px, lay->pw,
		    session_is_online(m->user) ? A_BOLD : A_DIM,
		    screen_nick_pair(m->user), line);
	}
}

/* Status line: time, account, server, link, window, scroll state. */
static void
screen_draw_status(int y)
{
	struct ui_window	*w = window_current;
	char			*s, *more = NULL, *link;
	char			 hhmm[16], names[128], *alert;
	char			 typing[128];
	struct tm		 tm;
	time_t			 t = time(NULL);
	int			 x = 0;

	screen_bar(y);
	/* Security warnings not yet looked at come first, to be seen. */
	if (security_alerts(names, sizeof names) > 0) {
		xasprintf(&alert, " !! SECURITY WARNING: %s ", names);
		x = screen_print(y, 0, COLS, A_BOLD|A_REVERSE,
		    SCREEN_PAIR_ERROR, alert);
		free(alert);
	}
	if (ui.keys != NULL && (strcmp(ui.keys, "locked") == 0 ||
	    strcmp(ui.keys, "missing") == 0)) {
		xasprintf(&alert, " keys %s%s ", ui.keys,
		    strcmp(ui.keys, "locked") == 0 ? ": /unlock" : "");
		x += screen_print(y, x, COLS - x, A_BOLD|A_REVERSE,
		    SCREEN_PAIR_ERROR, alert);
		free(alert);
	}
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(hhmm, sizeof hhmm, "%H:%M", &tm) == 0)
		snprintf(hhmm, sizeof hhmm, "--:--");
	if (!ui.attached)
		xasprintf(&link, "agent: detached, retrying");
	else if (ui.link_error != NULL && (ui.link == NULL ||
	    strcmp(ui.link, "ready") != 0))
		xasprintf(&link, "link: %s (%s)", ui.link != NULL ? ui.link :
		    "?", ui.link_error);
	else
		xasprintf(&link, "link: %s", ui.link != NULL ? ui.link : "?");
	if (w != NULL && w->scroll > 0)
		xasprintf(&more, " [scrolled back%s · PgDn]",
		    w->fetching ? ", loading" : (w->full ?
		    ", scrollback full" : ""));
	typing_status(w != NULL && !w->status ? w->name : NULL, typing,
	    sizeof typing);
	xasprintf(&s, " [%s] [%s]%s [%s] [%s] [%u:%s]%s%s%s", hhmm,
	    ui.user != NULL ? ui.user : "-", ui.away != NULL ? " (away)" : "",
	    ui.server != NULL ? ui.server : "?", link,
	    w != NULL ? window_index(w) + 1 : 0, w != NULL ? w->name : "-",
	    more != NULL ? more : "", typing[0] != '\0' ? " " : "", typing);
	screen_print(y, x, COLS - x, screen_bar_attr(), SCREEN_PAIR_BAR, s);
	free(s);
	free(more);
	free(link);
}

/* The main screen. */
static void
screen_draw_main(void)
{
	struct screen_layout	 lay;

	screen_main_layout(&lay);
	screen_draw_title();
	screen_draw_list(&lay);
	if (window_current != NULL && lay.ch > 0)
		screen_draw_conv(window_current, &lay);
	screen_draw_members(&lay);
	screen_draw_status(LINES - 2);
	input_draw(LINES - 1, COLS);
}

/* Waiting for the agent. */
static void
screen_draw_attaching(void)
{
	char	*s;
	int	 y = LINES / 2 - 1;

	curs_set(0);
	screen_print(y, 2, COLS - 4, A_BOLD, 0, "chatsec");
	if (ui.detach_reason != NULL)
		xasprintf(&s, "lost the agent: %s", ui.detach_reason);
	else
		xasprintf(&s, "attaching to the agent on %s …",
		    ui_conf.socket_path);
	screen_print(y + 1, 2, COLS - 4, 0, 0, s);
	free(s);
	if (ui.detach_reason != NULL)
		screen_print(y + 2, 2, COLS - 4, 0, 0, "trying again every "
		    "second · Ctrl-C quits");
}

/* Draw everything now. */
static void
screen_draw(void)
{
	if (!screen_ready)
		return;
	erase();
	if (LINES < 4 || COLS < 20) {
		curs_set(0);
		screen_print(0, 0, COLS, 0, 0, "terminal too small");
	} else {
		switch (ui.mode) {
		case UI_MODE_ATTACHING:
			screen_draw_attaching();
			break;
		case UI_MODE_LOGIN:
			login_draw();
			break;
		case UI_MODE_MAIN:
			screen_draw_main();
			break;
		}
	}
	if (screen_ring) {
		screen_ring = 0;
		if (ui_conf.bell)
			beep();
	}
	refresh();
}

/*
 * PgUp (dir < 0) or PgDn in the current window.  Reaching the top asks
 * the agent for the page of history before the oldest line held.
 */
void
screen_page(int dir)
{
	struct ui_window	*w = window_current;
	struct screen_layout	 lay;
	int			 page, total, top;

	if (w == NULL)
		return;
	screen_main_layout(&lay);
	page = lay.ch > 3 ? lay.ch - 2 : 1;
	if (dir > 0) {
		w->scroll -= page;
		if (w->scroll < 0)
			w->scroll = 0;
	} else {
		total = screen_window_rows(w, lay.cw);
		top = total - lay.ch;
		if (top < 0)
			top = 0;
		w->scroll += page;
		if (w->scroll >= top) {
			w->scroll = top;
			window_fetch_history(w, 1);
		}
	}
	screen_update();
}
