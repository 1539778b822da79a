/* chatsec — the curses UI: line editing, input history, completion.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include "proto.h"
#include "sec.h"
#include "utf8.h"
#include "xmalloc.h"

#include "chatsec.h"

/*
 * struct input_line is a small line editor over wide characters with a
 * byte budget in UTF-8; the login form uses it for its fields and the
 * main screen for its input line, which adds history (Up/Down) and Tab
 * completion of commands, nicks and rooms.
 */

#define INPUT_COMPLETE_MAX	64	/* candidates considered per Tab */

static struct input_line	 input_main;
static char			*input_history[UI_HISTORY_MAX];
static u_int			 input_nhistory;
static int			 input_hpos = -1;	/* -1: not browsing */
static char			*input_saved;		/* line before browsing */

/* A secret asked for on the input line (/unlock): drawn as '*', not kept. */
static struct input_line	 input_secret;
static char			*input_secret_prompt;
static void			(*input_secret_done)(char *);

/* Tab completion in progress. */
static struct {
	int	 active;
	size_t	 start;			/* first character of the word */
	size_t	 len;			/* characters we put there last */
	char	*cands[INPUT_COMPLETE_MAX];
	u_int	 ncands;
	u_int	 next;
} input_comp;

/* UTF-8 length of one character. */
static size_t
input_wc_bytes(wchar_t wc)
{
	if (wc < 0x80)
		return (1);
	if (wc < 0x800)
		return (2);
	if (wc < 0x10000)
		return (3);
	return (4);
}

/* Start an empty line holding at most max_bytes of UTF-8. */
void
input_line_init(struct input_line *l, size_t max_bytes, int secret)
{
	memset(l, 0, sizeof *l);
	l->max_bytes = max_bytes;
	l->secret = secret;
}

/* Empty the line (wiping a secret one). */
void
input_line_clear(struct input_line *l)
{
	if (l->buf != NULL)
		sec_wipe(l->buf, l->size * sizeof *l->buf);
	l->len = l->cur = l->off = l->bytes = 0;
}

/* Free the line's storage, wiped. */
void
input_line_free(struct input_line *l)
{
	input_line_clear(l);
	free(l->buf);
	l->buf = NULL;
	l->size = 0;
}

/* Insert wc at the cursor; 0, or -1 if over the byte budget. */
static int
input_line_insert(struct input_line *l, wchar_t wc)
{
	wchar_t	*nbuf;
	size_t	 b = input_wc_bytes(wc), nsize;

	if (l->bytes + b > l->max_bytes)
		return (-1);
	if (l->digits && (wc < L'0' || wc > L'9'))
		return (-1);
	if (l->len + 1 >= l->size) {
		/* Grow by copying, so a secret never lingers in freed memory. */
		nsize = l->size == 0 ? 64 : l->size * 2;
		nbuf = xcalloc(nsize, sizeof *nbuf);
		if (l->buf != NULL) {
			memcpy(nbuf, l->buf, l->len * sizeof *nbuf);
			sec_wipe(l->buf, l->size * sizeof *l->buf);
			free(l->buf);
		}
		l->buf = nbuf;
		l->size = nsize;
	}
	memmove(&l->buf[l->cur + 1], &l->buf[l->cur],
	    (l->len - l->cur) * sizeof *l->buf);
	l->buf[l->cur++] = wc;
	l->len++;
	l->bytes += b;
	return (0);
}

/* Delete n characters at position at. */
static void
input_line_delete(struct input_line *l, size_t at, size_t n)
{
	size_t	 i;

	if (at >= l->len)
		return;
	if (n > l->len - at)
		n = l->len - at;
	for (i = at; i < at + n; i++)
		l->bytes -= input_wc_bytes(l->buf[i]);
	memmove(&l->buf[at], &l->buf[at + n],
	    (l->len - at - n) * sizeof *l->buf);
	l->len -= n;
	sec_wipe(&l->buf[l->len], n * sizeof *l->buf);
	if (l->cur > at + n)
		l->cur -= n;
	else if (l->cur > at)
		l->cur = at;
}

/* Replace the line with UTF-8 text (cursor at the end). */
static void
input_line_set(struct input_line *l, const char *s)
{
	unsigned int	 cp;
	size_t		 len = strlen(s), n;

	input_line_clear(l);
	while (len > 0) {
		if ((n = utf8_decode(s, len, &cp)) == 0) {
			cp = 0xfffd;
			n = 1;
		}
		if (input_line_insert(l, (wchar_t)cp) != 0)
			break;
		s += n;
		len -= n;
	}
}

/* The line as a new UTF-8 string (caller frees; wipe if secret). */
char *
input_line_string(struct input_line *l)
{
	char	*s, *p;
	size_t	 i;
	wchar_t	 wc;

	p = s = xmalloc(l->bytes + 1);
	for (i = 0; i < l->len; i++) {
		wc = l->buf[i];
		if (wc < 0x80)
			*p++ = (char)wc;
		else if (wc < 0x800) {
			*p++ = (char)(0xc0 | (wc >> 6));
			*p++ = (char)(0x80 | (wc & 0x3f));
		} else if (wc < 0x10000) {
			*p++ = (char)(0xe0 | (wc >> 12));
			*p++ = (char)(0x80 | ((wc >> 6) & 0x3f));
			*p++ = (char)(0x80 | (wc & 0x3f));
		} else {
			*p++ = (char)(0xf0 | (wc >> 18));
			*p++ = (char)(0x80 | ((wc >> 12) & 0x3f));
			*p++ = (char)(0x80 | ((wc >> 6) & 0x3f));
			*p++ = (char)(0x80 | (wc & 0x3f));
		}
	}
	*p = '\0';
	return (s);
}

/* Is wc a word separator for Ctrl-W? */
static int
input_is_space(wchar_t wc)
{
	return (wc == L' ' || wc == L'\t');
}

/*
 * The editing keys every line shares: printable characters, cursor
 * movement, Home/End, Ctrl-A/E/B/F/U/K/W/D, Backspace, Delete.  Returns 1
 * if the key was used.
 */
int
input_line_edit(struct input_line *l, int iskey, wint_t key)
{
	size_t	 at;

	if (iskey) {
		switch (key) {
		case KEY_LEFT:
			if (l->cur > 0)
				l->cur--;
			return (1);
		case KEY_RIGHT:
			if (l->cur < l->len)
				l->cur++;
			return (1);
		case KEY_HOME:
			l->cur = 0;
			return (1);
		case KEY_END:
			l->cur = l->len;
			return (1);
		case KEY_BACKSPACE:
			if (l->cur > 0)
				input_line_delete(l, l->cur - 1, 1);
			return (1);
		case KEY_DC:
			input_line_delete(l, l->cur, 1);
			return (1);
		}
		return (0);
	}
	switch (key) {
	case UI_KEY_CTRL('a'):
		l->cur = 0;
		return (1);
	case UI_KEY_CTRL('e'):
		l->cur = l->len;
		return (1);
	case UI_KEY_CTRL('b'):
		if (l->cur > 0)
			l->cur--;
		return (1);
	case UI_KEY_CTRL('f'):
		if (l->cur < l->len)
			l->cur++;
		return (1);
	case UI_KEY_CTRL('d'):
		input_line_delete(l, l->cur, 1);
		return (1);
	case UI_KEY_CTRL('h'):
	case 0x7f:
		if (l->cur > 0)
			input_line_delete(l, l->cur - 1, 1);
		return (1);
	case UI_KEY_CTRL('u'):
		input_line_delete(l, 0, l->cur);
		return (1);
	case UI_KEY_CTRL('k'):
		input_line_delete(l, l->cur, l->len - l->cur);
		return (1);
	case UI_KEY_CTRL('w'):
		at = l->cur;
		while (at > 0 && input_is_space(l->buf[at - 1]))
			at--;
		while (at > 0 && !input_is_space(l->buf[at - 1]))
			at--;
		input_line_delete(l, at, l->cur - at);
		return (1);
	}
	if (key < 0x20 || (key >= 0x7f && key < 0xa0))
		return (0);
	if (input_line_insert(l, (wchar_t)key) != 0)
		beep();
	return (1);
}

/* Columns of character wc on the input line. */
static int
input_wc_width(const struct input_line *l, wchar_t wc)
{
	int	 w;

	if (l->secret)
		return (1);
	if ((w = wcwidth(wc)) < 0)
		return (1);
	return (w);
}

/*
 * Draw the line at (y, x) in width columns, scrolled sideways so the
 * cursor shows; a secret line shows one '*' per character.  Returns the
 * cursor's column.
 */
int
input_line_draw(struct input_line *l, int y, int x, int width)
{
	static struct screen_cells	 cells;
	struct screen_cell		*cell;
	size_t				 i;
	int				 col, w;

	if (width <= 1)
		return (x);
	if (l->off > l->cur)
		l->off = l->cur;
	for (;;) {
		for (col = 0, i = l->off; i < l->cur; i++)
			col += input_wc_width(l, l->buf[i]);
		if (col < width || l->off >= l->cur)
			break;
		l->off++;
	}
	/* Whole cells, so combining marks stay with their base. */
	cells.n = 0;
	for (col = 0, i = l->off; i < l->len; i++) {
		if (cells.n == cells.size) {
			cells.size = cells.size == 0 ? 256 : cells.size * 2;
			cells.c = xreallocarray(cells.c, cells.size,
			    sizeof *cells.c);
		}
		cell = &cells.c[cells.n];
		memset(cell, 0, sizeof *cell);
		w = input_wc_width(l, l->buf[i]);
		if (l->secret)
			cell->wc = L'*';
		else
			cell->wc = wcwidth(l->buf[i]) < 0 ? 0xfffd : l->buf[i];
		cell->width = (unsigned char)w;
		if (col + w > width)
			break;
		col += w;
		cells.n++;
	}
	screen_put_cells(y, x, width, cells.c, cells.n);
	if (cells.size > 4096)
		screen_cells_free(&cells);
	for (col = 0, i = l->off; i < l->cur; i++)
		col += input_wc_width(l, l->buf[i]);
	return (x + col);
}

/* Set up the main input line. */
void
input_init(void)
{
	input_line_init(&input_main, UI_INPUT_MAX, 0);
	input_line_init(&input_secret, 1024, 1);
}

/*
 * Ask for a secret on the input line with prompt: Enter hands it to done
 * (which must wipe and free it); Ctrl-C or Escape hands done an empty
 * string, to give up.
 */
void
input_ask_secret(const char *prompt, void (*done)(char *))
{
	input_line_clear(&input_secret);
	session_set_str(&input_secret_prompt, prompt);
	input_secret_done = done;
	screen_update();
}

/* Stop asking for a secret (wiped). */
static void
input_secret_end(void)
{
	input_line_clear(&input_secret);
	session_set_str(&input_secret_prompt, NULL);
	input_secret_done = NULL;
}

/* A key while a secret is asked for. */
static void
input_secret_key(int iskey, wint_t key)
{
	void	(*done)(char *) = input_secret_done;
	char	*s;

	if (!iskey && (key == UI_KEY_CTRL('c') || key == 27)) {
		/* done says so, and forgets what it held. */
		input_secret_end();
		done(xstrdup(""));
		return;
	}
	if ((!iskey && (key == '\r' || key == '\n')) ||
	    (iskey && key == KEY_ENTER)) {
		s = input_line_string(&input_secret);
		input_secret_end();
		done(s);
		return;
	}
	input_line_edit(&input_secret, iskey, key);
}

/* Forget the candidates of a Tab completion. */
static void
input_comp_reset(void)
{
	u_int	 i;

	for (i = 0; i < input_comp.ncands; i++)
		free(input_comp.cands[i]);
	memset(&input_comp, 0, sizeof input_comp);
}

/* Free the input line and history. */
void
input_free(void)
{
	u_int	 i;

	input_line_free(&input_main);
	input_line_free(&input_secret);
	session_set_str(&input_secret_prompt, NULL);
	for (i = 0; i < input_nhistory; i++)
		free(input_history[i]);
	input_nhistory = 0;
	free(input_saved);
	input_saved = NULL;
	input_comp_reset();
}

/* Draw the main input line with its prompt, leaving the cursor in it. */
void
input_draw(int y, int width)
{
	char	*prompt;
	int	 x, cx;

	if (input_secret_prompt != NULL) {
		x = screen_print(y, 0, width / 2, A_BOLD, SCREEN_PAIR_ERROR,
		    input_secret_prompt);
		cx = input_line_draw(&input_secret, y, x, width - x);
		move(y, cx);
		curs_set(1);
		return;
	}
	xasprintf(&prompt, "[%s] ", window_current != NULL ?
	    window_current->name : "-");
	x = screen_print(y, 0, width / 2, A_BOLD, 0, prompt);
	free(prompt);
	cx = input_line_draw(&input_main, y, x, width - x);
	move(y, cx);
	curs_set(1);
}

/* Remember an entered line (no repeats in a row). */
static void
input_history_add(const char *s)
{
	if (input_nhistory > 0 &&
	    strcmp(input_history[input_nhistory - 1], s) == 0)
		return;
	if (input_nhistory == UI_HISTORY_MAX) {
		free(input_history[0]);
		memmove(&input_history[0], &input_history[1],
		    (UI_HISTORY_MAX - 1) * sizeof *input_history);
		input_nhistory--;
	}
	input_history[input_nhistory++] = xstrdup(s);
}

/* Up (dir -1) or Down (+1) through the input history. */
static void
input_history_move(int dir)
{
	if (dir < 0) {
		if (input_nhistory == 0)
			return;
		if (input_hpos == -1) {
			free(input_saved);
			input_saved = input_line_string(&input_main);
			input_hpos = (int)input_nhistory - 1;
		} else if (input_hpos > 0)
			input_hpos--;
		else
			return;
		input_line_set(&input_main, input_history[input_hpos]);
		return;
	}
	if (input_hpos == -1)
		return;
	if (++input_hpos >= (int)input_nhistory) {
		input_hpos = -1;
		input_line_set(&input_main, input_saved != NULL ?
		    input_saved : "");
		free(input_saved);
		input_saved = NULL;
		return;
	}
	input_line_set(&input_main, input_history[input_hpos]);
}

/* Add a completion candidate once, if it starts with prefix. */
static void
input_comp_add(const char *cand, const char *prefix)
{
	u_int	 i;

	if (input_comp.ncands >= INPUT_COMPLETE_MAX ||
	    strncasecmp(cand, prefix, strlen(prefix)) != 0)
		return;
	for (i = 0; i < input_comp.ncands; i++) {
		if (strcasecmp(input_comp.cands[i], cand) == 0)
			return;
	}
	input_comp.cands[input_comp.ncands++] = xstrdup(cand);
}

/* Sort candidates case-insensitively. */
static int
input_comp_cmp(const void *a, const void *b)
{
	return (strcasecmp(*(char *const *)a, *(char *const *)b));
}

/*
 * Gather candidates for the word before the cursor: commands for a first
 * word starting with '/', rooms for '#' (windows and room_list), else
 * nicks (online users, DM windows, the current room's members, and who
 * spoke in this window).
 */
static void
input_comp_gather(size_t start)
{
	struct input_line	 word;
	struct ui_window	*w;
	struct ui_line		*l;
	const char		*cmds[INPUT_COMPLETE_MAX];
	char			*prefix, *tmp, *first = NULL;
	u_int			 i, n;
	size_t			 k;

	input_line_init(&word, UI_INPUT_MAX, 0);
	for (k = start; k < input_main.cur; k++)
		input_line_insert(&word, input_main.buf[k]);
	prefix = input_line_string(&word);
	input_line_free(&word);

	/* The first word of the line, for "/help <command>". */
	if (start > 0 && input_main.len > 0 && input_main.buf[0] == L'/') {
		input_line_init(&word, UI_INPUT_MAX, 0);
		for (k = 0; k < input_main.len &&
		    !input_is_space(input_main.buf[k]); k++)
			input_line_insert(&word, input_main.buf[k]);
		first = input_line_string(&word);
		input_line_free(&word);
	}

	if (start == 0 && prefix[0] == '/') {
		n = cmd_complete(prefix + 1, cmds, INPUT_COMPLETE_MAX);
		for (i = 0; i < n; i++) {
			xasprintf(&tmp, "/%s", cmds[i]);
			input_comp_add(tmp, prefix);
			free(tmp);
		}
	} else if (first != NULL && strcmp(first, "/help") == 0) {
		n = cmd_complete(prefix, cmds, INPUT_COMPLETE_MAX);
		for (i = 0; i < n; i++)
			input_comp_add(cmds[i], prefix);
	} else if (prefix[0] == '#') {
		input_comp_add(CS_GENERAL, prefix);
		TAILQ_FOREACH(w, &windows, entry) {
			if (!w->dm && !w->status)
				input_comp_add(w->name, prefix);
		}
		for (i = 0; i < rooms_known_count(); i++)
			input_comp_add(rooms_known_get(i), prefix);
	} else {
		for (i = 0; i < session_online_count(); i++)
			input_comp_add(session_online_get(i), prefix);
		TAILQ_FOREACH(w, &windows, entry) {
			if (w->dm)
				input_comp_add(w->name, prefix);
			for (i = 0; w == window_current && i < w->nmembers;
			    i++)
				input_comp_add(w->members[i].user, prefix);
		}
		if ((w = window_current) != NULL) {
			n = 0;
			TAILQ_FOREACH_REVERSE(l, &w->lines, ui_lines, entry) {
				if (l->from != NULL)
					input_comp_add(l->from, prefix);
				if (++n > 500)
					break;
			}
		}
		/* Not oneself. */
		for (i = 0; ui.user != NULL && i < input_comp.ncands; i++) {
			if (strcasecmp(input_comp.cands[i], ui.user) == 0) {
				free(input_comp.cands[i]);
				input_comp.cands[i] =
				    input_comp.cands[--input_comp.ncands];
				break;
			}
		}
	}
	qsort(input_comp.cands, input_comp.ncands, sizeof *input_comp.cands,
	    input_comp_cmp);
	free(prefix);
	free(first);
}

/*
 * Tab: complete the word before the cursor, and on each further Tab put
 * the next candidate in its place.  A nick at the start of the line gets
 * ": " after it.
 */
static void
input_complete(void)
{
	struct input_line	*l = &input_main;
	const char		*cand;
	char			*text;
	size_t			 start;

	if (!input_comp.active) {
		start = l->cur;
		while (start > 0 && !input_is_space(l->buf[start - 1]))
			start--;
		input_comp_gather(start);
		if (input_comp.ncands == 0) {
			beep();
			input_comp_reset();
			return;
		}
		input_comp.active = 1;
		input_comp.start = start;
		input_comp.len = l->cur - start;
	}
	cand = input_comp.cands[input_comp.next];
	input_comp.next = (input_comp.next + 1) % input_comp.ncands;

	input_line_delete(l, input_comp.start, input_comp.len);
	l->cur = input_comp.start;
	if (cand[0] != '/' && cand[0] != '#' && input_comp.start == 0)
		xasprintf(&text, "%s: ", cand);
	else
		xasprintf(&text, "%s ", cand);
	input_comp.len = 0;
	for (const char *p = text; *p != '\0'; ) {
		unsigned int	 cp;
		size_t		 n;

		if ((n = utf8_decode(p, strlen(p), &cp)) == 0)
			break;
		if (input_line_insert(l, (wchar_t)cp) != 0)
			break;
		input_comp.len++;
		p += n;
	}
	free(text);
}

/* Enter: run or send the line. */
static void
input_enter(void)
{
	char	*s;

	s = input_line_string(&input_main);
	input_line_clear(&input_main);
	input_hpos = -1;
	free(input_saved);
	input_saved = NULL;
	if (*s != '\0') {
		input_history_add(s);
		cmd_execute(s);
	}
	free(s);
}

/*
 * Edit the input line; text added to a line that is not a command counts
 * as typing in the current conversation (ui-typing.c).
 */
static void
input_main_edit(int iskey, wint_t key)
{
	size_t	 before = input_main.bytes;

	input_line_edit(&input_main, iskey, key);
	if (input_main.bytes > before)
		typing_input(input_main.len > 0 && (input_main.buf[0] != L'/' ||
		    (input_main.len > 1 && input_main.buf[1] == L'/')));
}

/* A key on the main screen. */
void
input_key_main(int iskey, wint_t key)
{
	u_int	 n;

	if (input_secret_prompt != NULL) {
		input_secret_key(iskey, key);
		return;
	}
	if (!(iskey == 0 && key == '\t'))
		input_comp_reset();

	if (iskey && UI_KEY_IS_META(key)) {
		n = key - UI_KEY_META(0);
		if (n >= '1' && n <= '9')
			window_select(window_at(n - '1'));
		else if (n == '0')
			window_select(window_at(9));
		return;
	}
	if (iskey) {
		switch (key) {
		case KEY_ENTER:
			input_enter();
			return;
		case KEY_UP:
			input_history_move(-1);
			return;
		case KEY_DOWN:
			input_history_move(1);
			return;
		case KEY_PPAGE:
			screen_page(-1);
			return;
		case KEY_NPAGE:
			screen_page(1);
			return;
		case KEY_F(7):
			ui_conf.members = !ui_conf.members;
			rooms_members_want(window_current, 0);
			screen_update();
			return;
		}
		input_main_edit(iskey, key);
		return;
	}
	switch (key) {
	case '\r':
	case '\n':
		input_enter();
		return;
	case '\t':
		input_complete();
		return;
	case UI_KEY_CTRL('n'):
		window_next();
		return;
	case UI_KEY_CTRL('p'):
		window_previous();
		return;
	case UI_KEY_CTRL('l'):
		screen_redraw_all();
		return;
	case UI_KEY_CTRL('c'):
		if (input_main.len > 0)
			input_line_clear(&input_main);
		else
			window_add_line(NULL, UI_LINE_INFO, "type /quit to "
			    "detach (the agent stays logged in) or /logout");
		return;
	case 27:
		return;
	}
	input_main_edit(iskey, key);
}
