/* chatsec — the curses UI: typing notifications.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "clock.h"
#include "xmalloc.h"

#include "chatsec.h"

/*
 * Both halves of typing notifications.  Typing ordinary text (not a
 * /command; "//" starts text) in a room or DM window sends `typing` for
 * it at most every TYPING_SEND_MS; the agent and server drop what they cannot deliver, so
 * the reply is not looked at.  Others' `typing` events are kept, at most
 * TYPING_MAX of them, each until TYPING_SHOW_MS after its last one or
 * until that person's message arrives in the conversation, and the status
 * line names those typing in the current window.  One timer redraws when
 * the next of them expires.
 */

/* A little over the server's 3 s per conversation, so that jitter does
 * not make it drop every other one. */
#define TYPING_SEND_MS	3500
#define TYPING_SHOW_MS	6000
#define TYPING_MAX	32

struct typing_entry {
	char		*conv;
	char		*user;
	int64_t		 until;		/* monotonic ms */
};

static struct typing_entry	 typing_list[TYPING_MAX];
static u_int			 typing_n;
static struct event		*typing_timer;
static char			*typing_sent_to;
static int64_t			 typing_sent_at;

/* Drop entry i (the last one takes its place). */
static void
typing_remove(u_int i)
{
	free(typing_list[i].conv);
	free(typing_list[i].user);
	typing_list[i] = typing_list[--typing_n];
	memset(&typing_list[typing_n], 0, sizeof typing_list[typing_n]);
}

/* Drop what has expired and arm the timer for the next expiry. */
static void
typing_expire(void)
{
	struct timeval	 tv;
	int64_t		 now = clock_mono_ms(), next = 0;
	u_int		 i = 0;

	while (i < typing_n) {
		if (typing_list[i].until <= now) {
			typing_remove(i);
			continue;
		}
		if (next == 0 || typing_list[i].until < next)
			next = typing_list[i].until;
		i++;
	}
	if (typing_timer == NULL)
		return;
	evtimer_del(typing_timer);
	if (next == 0)
		return;
	tv.tv_sec = (next - now) / 1000;
	tv.tv_usec = ((next - now) % 1000) * 1000;
	evtimer_add(typing_timer, &tv);
}

/* Someone stopped typing a while ago: the status line loses them. */
static void
typing_timer_cb(int fd, short what, void *arg)
{
	typing_expire();
	screen_update();
}

/* The agent said someone is typing: {"from", "conv"}. */
void
typing_event(struct json_object *params)
{
	struct json_object	*v;
	const char		*from, *conv;
	u_int			 i, oldest = 0;

	if (!json_object_object_get_ex(params, "from", &v) ||
	    !json_object_is_type(v, json_type_string))
		return;
	from = json_object_get_string(v);
	if (!json_object_object_get_ex(params, "conv", &v) ||
	    !json_object_is_type(v, json_type_string))
		return;
	conv = json_object_get_string(v);
	if (ui.user != NULL && strcasecmp(from, ui.user) == 0)
		return;
	if (typing_timer == NULL)
		typing_timer = evtimer_new(ui_base, typing_timer_cb, NULL);

	for (i = 0; i < typing_n; i++) {
		if (strcasecmp(typing_list[i].conv, conv) == 0 &&
		    strcasecmp(typing_list[i].user, from) == 0)
			break;
		if (typing_list[i].until < typing_list[oldest].until)
			oldest = i;
	}
	if (i == typing_n) {
		if (typing_n == TYPING_MAX)
			typing_remove(oldest);
		i = typing_n++;
		typing_list[i].conv = xstrdup(conv);
		typing_list[i].user = xstrdup(from);
	}
	typing_list[i].until = clock_mono_ms() + TYPING_SHOW_MS;
	typing_expire();
}

/* A message from user arrived in conv: they are no longer typing it. */
void
typing_message(const char *conv, const char *user)
{
	u_int	 i;

	if (conv == NULL || user == NULL)
		return;
	for (i = 0; i < typing_n; i++) {
		if (strcasecmp(typing_list[i].conv, conv) == 0 &&
		    strcasecmp(typing_list[i].user, user) == 0) {
			typing_remove(i);
			typing_expire();
			return;
		}
	}
}

/*
 * Who is typing in conv, for the status line: "bob is typing", "bob,
 * carol are typing", "several people are typing"; "" for nobody.
 */
void
typing_status(const char *conv, char *buf, size_t len)
{
	const char	*who[2];
	int64_t		 now = clock_mono_ms();
	u_int		 i, n = 0;

	buf[0] = '\0';
	if (conv == NULL)
		return;
	for (i = 0; i < typing_n; i++) {
		if (typing_list[i].until <= now ||
		    strcasecmp(typing_list[i].conv, conv) != 0)
			continue;
		if (n < 2)
			who[n] = typing_list[i].user;
		n++;
	}
	if (n == 1)
		snprintf(buf, len, "%s is typing", who[0]);
	else if (n == 2)
		snprintf(buf, len, "%s, %s are typing", who[0], who[1]);
	else if (n > 2)
		snprintf(buf, len, "several people are typing");
}

/* The agent's reply to typing: nothing to do, whatever it says. */
static void
typing_sent_cb(struct ui_reply *r, void *arg)
{
}

/*
 * The user put text in the input line; is_text: the line holds ordinary
 * text, not a command.  Tell the current conversation, at most every
 * TYPING_SEND_MS (at once when the window changed).
 */
void
typing_input(int is_text)
{
	struct ui_window	*w = window_current;
	struct json_object	*params;
	int64_t			 now = clock_mono_ms();

	if (!is_text || !ui_conf.typing || !ui.logged_in || w == NULL ||
	    w->status || w->dead || (!w->dm && !w->member))
		return;
	if (typing_sent_to != NULL && strcmp(typing_sent_to, w->name) == 0 &&
	    now - typing_sent_at < TYPING_SEND_MS)
		return;
	params = json_object_new_object();
	json_object_object_add(params, "to", json_object_new_string(w->name));
	if (ui_conn_request("typing", params, 0, typing_sent_cb, NULL) != 0)
		return;
	session_set_str(&typing_sent_to, w->name);
	typing_sent_at = now;
}

/* Forget everything (exit). */
void
typing_free(void)
{
	while (typing_n > 0)
		typing_remove(0);
	if (typing_timer != NULL)
		event_free(typing_timer);
	typing_timer = NULL;
	free(typing_sent_to);
	typing_sent_to = NULL;
}
