/* chatsec — example bot: echoes every message back where it came from and greets
 * whoever joins a room it is in.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <json-c/json.h>

#include <chatsec-bot.h>

/* Say back what was said, in the same conversation. */
static void
echo_message(chatsec_bot *bot, const chatsec_bot_msg *m, void *arg)
{
	chatsec_bot_reply(bot, m, "%s said: %s", m->from, m->text);
}

static char	 echo_me[64];	/* our own name, from status at start */

/* Greet whoever joins a room the bot is in (but not the bot itself). */
static void
echo_join(chatsec_bot *bot, const char *type, struct json_object *ev,
    void *arg)
{
	struct json_object	*v;
	const char		*room = NULL, *who = NULL;
	char			 text[128];

	if (json_object_object_get_ex(ev, "room", &v))
		room = json_object_get_string(v);
	if (json_object_object_get_ex(ev, "actor", &v))
		who = json_object_get_string(v);
	if (room == NULL || who == NULL || strcasecmp(who, echo_me) == 0)
		return;
	snprintf(text, sizeof text, "welcome to %s, %s", room, who);
	chatsec_bot_send(bot, room, text, NULL, NULL);
}

/* Say in #general that a peer's keys changed, so people compare safety numbers. */
static void
echo_key_change(chatsec_bot *bot, const char *type, struct json_object *ev,
    void *arg)
{
	struct json_object	*v;
	char			 text[160];

	if (!json_object_object_get_ex(ev, "user", &v) || v == NULL ||
	    strcasecmp(json_object_get_string(v), echo_me) == 0)
		return;
	snprintf(text, sizeof text, "note: %s's keys changed; compare safety "
	    "numbers before trusting them", json_object_get_string(v));
	chatsec_bot_send(bot, "#general", text, NULL, NULL);
}

/* Learn our own name once, before the loop runs (a blocking call is fine here). */
static void
echo_whoami(chatsec_bot *bot)
{
	struct json_object	*result = NULL, *v;
	char			 err[128];

	if (chatsec_bot_call_sync(bot, "status", NULL, 5000, &result, NULL,
	    err, sizeof err) != 0)
		return;
	if (json_object_object_get_ex(result, "user", &v) && v != NULL)
		snprintf(echo_me, sizeof echo_me, "%s",
		    json_object_get_string(v));
	json_object_put(result);
}

int
main(int argc, char **argv)
{
	const char	*sock = NULL, *cursor = NULL;
	char		*end;
	chatsec_bot	*bot;
	int		 ch, rc, verbose = 0, workers = 0;

	while ((ch = getopt(argc, argv, "S:c:vw:")) != -1) {
		switch (ch) {
		case 'S': sock = optarg; break;
		case 'c': cursor = optarg; break;
		case 'v': verbose = 1; break;
		case 'w':
			workers = (int)strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || workers < 0 ||
			    workers > 64) {
				fprintf(stderr, "echo-bot: -w: 0 to 64\n");
				return (2);
			}
			break;
		default:
			fprintf(stderr, "usage: echo-bot [-v] [-S socket] "
			    "[-c cursor-file] [-w workers]\n");
			return (2);
		}
	}
	if ((bot = chatsec_bot_new(NULL, sock)) == NULL)
		return (1);
	if (cursor != NULL && (rc = chatsec_bot_set_cursor_file(bot, cursor)))
		fprintf(stderr, "echo-bot: %s: %s\n", cursor,
		    chatsec_bot_strerror(rc));
	chatsec_bot_set_verbose(bot, verbose);
	chatsec_bot_on_message(bot, echo_message, NULL);
	chatsec_bot_on_join(bot, echo_join, NULL);
	chatsec_bot_on_key_change(bot, echo_key_change, NULL);
	/*
	 * The handlers only send, which is safe from a worker: with -w N they
	 * run on N threads, one conversation's messages still in order.
	 */
	if (workers > 0 && (rc = chatsec_bot_set_workers(bot,
	    (unsigned int)workers, 0)) != 0) {
		fprintf(stderr, "echo-bot: -w %d: %s\n", workers,
		    chatsec_bot_strerror(rc));
		chatsec_bot_free(bot);
		return (2);
	}
	echo_whoami(bot);
	rc = chatsec_bot_run(bot);
	chatsec_bot_free(bot);
	return (rc == 0 ? 0 : 1);
}
