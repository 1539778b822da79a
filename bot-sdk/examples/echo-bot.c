/* chatsec — example bot: echoes every message back where it came from.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <chatsec-bot.h>

/* Say back what was said, in the same conversation. */
static void
echo_message(chatsec_bot *bot, const chatsec_bot_msg *m, void *arg)
{
	chatsec_bot_reply(bot, m, "%s said: %s", m->from, m->text);
}

int
main(int argc, char **argv)
{
	const char	*sock = NULL, *cursor = NULL;
	chatsec_bot	*bot;
	int		 ch, rc, verbose = 0;

	while ((ch = getopt(argc, argv, "S:c:v")) != -1) {
		switch (ch) {
		case 'S': sock = optarg; break;
		case 'c': cursor = optarg; break;
		case 'v': verbose = 1; break;
		default:
			fprintf(stderr, "usage: echo-bot [-v] [-S socket] "
			    "[-c cursor-file]\n");
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
	rc = chatsec_bot_run(bot);
	chatsec_bot_free(bot);
	return (rc == 0 ? 0 : 1);
}
