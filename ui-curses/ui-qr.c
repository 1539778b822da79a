/* chatsec — the curses UI: QR codes in half blocks.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "xmalloc.h"

#include "chatsec.h"

/*
 * A QR code drawn with Unicode half blocks: each character cell holds two
 * modules, one above the other (▀ ▄ █ or a space), with the quiet zone of
 * four modules the standard asks for.  With colours the code is drawn
 * black on white whatever the terminal's own colours, so a phone camera
 * sees dark modules on a light ground; without them, light modules are the
 * drawn ones, right for the usual light-on-dark terminal.
 */

#define QR_QUIET	4	/* modules of quiet zone on each side */

struct qr_code {
	int		 width;		/* modules per side, without quiet zone */
	unsigned char	*dark;		/* width * width, 1 = dark */
};

/*
 * Encode text (byte mode, error correction L: a terminal draws crisp
 * modules, and the smaller code fits more terminals).  NULL if it can't be.
 */
struct qr_code *
qr_new(const char *text)
{
	struct qr_code	*qr;
	QRcode		*code;
	int		 i;

	if ((code = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8,
	    1)) == NULL)
		return (NULL);
	qr = xcalloc(1, sizeof *qr);
	qr->width = code->width;
	qr->dark = xmalloc((size_t)code->width * code->width);
	for (i = 0; i < code->width * code->width; i++)
		qr->dark[i] = code->data[i] & 1;
	QRcode_free(code);
	return (qr);
}

/* Free a QR code (NULL is fine). */
void
qr_free(struct qr_code *qr)
{
	if (qr == NULL)
		return;
	free(qr->dark);
	free(qr);
}

/* Character rows the drawing takes. */
int
qr_rows(const struct qr_code *qr)
{
	return ((qr->width + 2 * QR_QUIET + 1) / 2);
}

/* Character columns the drawing takes. */
int
qr_cols(const struct qr_code *qr)
{
	return (qr->width + 2 * QR_QUIET);
}

/* Is module (row, col) of the code with its quiet zone dark? */
static int
qr_module(const struct qr_code *qr, int row, int col)
{
	row -= QR_QUIET;
	col -= QR_QUIET;
	if (row < 0 || col < 0 || row >= qr->width || col >= qr->width)
		return (0);
	return (qr->dark[row * qr->width + col]);
}

/* Draw the code with its top left corner at (y, x). */
void
qr_draw(const struct qr_code *qr, int y, int x)
{
	static const wchar_t	 glyph[4] = { L' ', L'\x2584', L'\x2580',
				     L'\x2588' };	/* by top*2 + bottom */
	struct screen_cell	 cell;
	int			 r, c, top, bottom, colour;

	colour = screen_has_colour();
	memset(&cell, 0, sizeof cell);
	cell.width = 1;
	cell.pair = colour ? SCREEN_PAIR_QR : SCREEN_PAIR_DEFAULT;
	for (r = 0; r < qr_rows(qr); r++) {
		for (c = 0; c < qr_cols(qr); c++) {
			top = qr_module(qr, 2 * r, c);
			bottom = qr_module(qr, 2 * r + 1, c);
			if (!colour) {
				top = !top;
				bottom = !bottom;
			}
			cell.wc = glyph[top * 2 + bottom];
			screen_put_cells(y + r, x + c, 1, &cell, 1);
		}
	}
}
