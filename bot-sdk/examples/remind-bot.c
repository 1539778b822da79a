/* chatsec — example bot: !remind 10m text reminds you later.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include <chatsec-bot.h>

/*
 * "!remind 90s tea is ready" (or 10m, 2h, 1d, 1h30m) answers in the same
 * conversation after the delay: "alice: reminder: tea is ready".  Waiting
 * is a libevent timer on the bot's loop, never a sleep, so the bot keeps
 * reading meanwhile.  At most REMIND_MAX reminders wait at once (and
 * REMIND_PER_USER per person), at most a week ahead.
 *
 * With -d DIR the reminders survive a restart: DIR/reminders holds them
 * (a JSON array, mode 0600, replaced atomically on every change), read at
 * start with the same bounds.  A reminder that came due while the bot was
 * down fires at start, saying it is late.  A reminder leaves the file only
 * when the agent has taken its message, so a bot stopped in between fires
 * it again (late) rather than never.  A file that cannot be read or parsed
 * stops the bot at start: it is never overwritten by an empty list.
 */
#define REMIND_MAX	 1000
#define REMIND_PER_USER	 20
#define REMIND_MAX_SECS	 (7 * 86400L)
#define REMIND_TEXT_MAX	 1000
#define REMIND_FILE_MAX	 (4 * 1024 * 1024)	/* ample for REMIND_MAX */

struct remind {
	chatsec_bot		*bot;
	struct event		*timer;
	int64_t			 due;		/* ms since the epoch */
	int			 sending;	/* handed to the agent */
	char			 conv[128];
	char			 user[128];
	char			 text[REMIND_TEXT_MAX + 1];
	LIST_ENTRY(remind)	 entry;
};
static LIST_HEAD(, remind) remind_all = LIST_HEAD_INITIALIZER(remind_all);
static unsigned int remind_count;
static char	 remind_file[PATH_MAX];
static char	*remind_path;		/* the state file, or NULL */

static void	remind_fire(int, short, void *);

/* Wall-clock milliseconds: due times must mean the same after a restart. */
static int64_t
remind_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* "1h30m" etc. to seconds; -1 if malformed or over a week. */
static long
remind_parse_delay(const char *s)
{
	long	 total = 0, v, unit;
	char	*end;

	if (*s == '\0')
		return (-1);
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return (-1);
		v = strtol(s, &end, 10);
		if (end - s > 7)
			return (-1);
		switch (*end) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: return (-1);
		}
		total += v * unit;
		if (total > REMIND_MAX_SECS)
			return (-1);
		s = end + 1;
	}
	return (total > 0 ? total : -1);
}

static unsigned int
remind_count_of(const char *user)
{
	struct remind	*r;
	unsigned int	 n = 0;

	LIST_FOREACH(r, &remind_all, entry)
		n += strcmp(r->user, user) == 0;
	return (n);
}

/*
 * Write every reminder to the state file: a temporary file in the same
 * directory, fsync, rename over the old one.  0 or -1 (the old file is
 * then intact).
 */
static int
remind_save(void)
{
	struct json_object	*a, *o;
	struct remind		*r;
	const char		*data;
	char			 tmp[PATH_MAX];
	size_t			 len, off = 0;
	ssize_t			 n;
	int			 fd, rc = -1;

	if (remind_path == NULL)
		return (0);
	a = json_object_new_array();
	LIST_FOREACH(r, &remind_all, entry) {
		o = json_object_new_object();
		json_object_object_add(o, "due", json_object_new_int64(r->due));
		json_object_object_add(o, "conv",
		    json_object_new_string(r->conv));
		json_object_object_add(o, "user",
		    json_object_new_string(r->user));
		json_object_object_add(o, "text",
		    json_object_new_string(r->text));
		json_object_array_add(a, o);
	}
	data = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);
	len = strlen(data);
	if (snprintf(tmp, sizeof tmp, "%s.tmp", remind_path) >= (int)sizeof tmp)
		goto out;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		goto out;
	while (off < len) {
		if ((n = write(fd, data + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)n;
	}
	if (off < len || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, remind_path) != 0) {
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "remind-bot: cannot write %s: %s\n",
		    remind_path, strerror(errno));
	json_object_put(a);
	return (rc);
}

static void
remind_free(struct remind *r)
{
	LIST_REMOVE(r, entry);
	remind_count--;
	event_free(r->timer);
	free(r);
}

/* Make a reminder and arm its timer (at once if due already).  NULL: no memory. */
static struct remind *
remind_add(chatsec_bot *bot, int64_t due, const char *conv, const char *user,
    const char *text)
{
	struct remind	*r;
	struct timeval	 tv;
	int64_t		 wait;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return (NULL);
	r->bot = bot;
	r->due = due;
	snprintf(r->conv, sizeof r->conv, "%s", conv);
	snprintf(r->user, sizeof r->user, "%s", user);
	snprintf(r->text, sizeof r->text, "%s", text);
	if ((r->timer = evtimer_new(chatsec_bot_base(bot), remind_fire, r)) ==
	    NULL) {
		free(r);
		return (NULL);
	}
	LIST_INSERT_HEAD(&remind_all, r, entry);
	remind_count++;
	wait = due - remind_now();
	if (wait < 0)
		wait = 0;
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
	evtimer_add(r->timer, &tv);
	return (r);
}

/* The agent took the reminder (or refused it for good): forget it. */
static void
remind_sent(chatsec_bot *bot, int err, struct json_object *result, int code,
    const char *message, void *arg)
{
	struct remind	*r = arg;

	if (err == CHATSEC_BOT_E_CLOSED) {
		r->sending = 0;		/* stopping: stays in the file */
		return;
	}
	if (err != 0)
		fprintf(stderr, "remind-bot: a reminder for %s in %s is "
		    "lost: %s%s%s\n", r->user, r->conv,
		    chatsec_bot_strerror(err), message != NULL ? ": " : "",
		    message != NULL ? message : "");
	remind_free(r);
	remind_save();
}

/* The time has come (or came while the bot was down). */
static void
remind_fire(int fd, short what, void *arg)
{
	struct remind	*r = arg;
	char		 text[REMIND_TEXT_MAX + 300], when[64];
	struct tm	 tm;
	time_t		 t;
	int		 rc;

	if (remind_now() - r->due >= 2000) {
		t = (time_t)(r->due / 1000);
		gmtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
		snprintf(text, sizeof text, "%s: reminder (late: it was due "
		    "at %s, while I was away): %s", r->user, when, r->text);
	} else
		snprintf(text, sizeof text, "%s: reminder: %s", r->user,
		    r->text);
	r->sending = 1;
	if ((rc = chatsec_bot_send(r->bot, r->conv, text, remind_sent,
	    r)) != 0) {
		/* The queue is full: try again in a second. */
		struct timeval	 tv = { 1, 0 };

		r->sending = 0;
		fprintf(stderr, "remind-bot: %s\n", chatsec_bot_strerror(rc));
		evtimer_add(r->timer, &tv);
	}
}

/*
 * Read the state file: a missing file is an empty list; anything else
 * that is not a list of well-formed reminders is an error (-1), so the
 * bot does not start and overwrite it.  Entries past the bounds are
 * skipped with a warning.
 */
static int
remind_load(chatsec_bot *bot)
{
	struct json_object	*a = NULL, *o, *due, *conv, *user, *text;
	struct stat		 st;
	char			*buf = NULL;
	size_t			 i, n, skipped = 0;
	ssize_t			 got;
	int			 fd, rc = -1;

	if ((fd = open(remind_path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return (0);
		fprintf(stderr, "remind-bot: %s: %s\n", remind_path,
		    strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > REMIND_FILE_MAX) {
		fprintf(stderr, "remind-bot: %s: not a regular file of at "
		    "most %d bytes\n", remind_path, REMIND_FILE_MAX);
		goto out;
	}
	if ((buf = calloc(1, (size_t)st.st_size + 1)) == NULL)
		goto out;
	for (n = 0; n < (size_t)st.st_size; n += (size_t)got)
		if ((got = read(fd, buf + n, (size_t)st.st_size - n)) <= 0)
			break;
	if ((a = json_tokener_parse(buf)) == NULL ||
	    !json_object_is_type(a, json_type_array)) {
		fprintf(stderr, "remind-bot: %s: not a list of reminders; "
		    "move it away to start afresh\n", remind_path);
		goto out;
	}
	for (i = 0; i < json_object_array_length(a); i++) {
		o = json_object_array_get_idx(a, i);
		if (!json_object_object_get_ex(o, "due", &due) ||
		    !json_object_is_type(due, json_type_int) ||
		    !json_object_object_get_ex(o, "conv", &conv) ||
		    !json_object_is_type(conv, json_type_string) ||
		    !json_object_object_get_ex(o, "user", &user) ||
		    !json_object_is_type(user, json_type_string) ||
		    !json_object_object_get_ex(o, "text", &text) ||
		    !json_object_is_type(text, json_type_string)) {
			fprintf(stderr, "remind-bot: %s: entry %zu is not a "
			    "reminder; move the file away to start afresh\n",
			    remind_path, i + 1);
			goto out;
		}
		if (remind_count >= REMIND_MAX ||
		    remind_count_of(json_object_get_string(user)) >=
		    REMIND_PER_USER ||
		    json_object_get_string_len(conv) >= 128 ||
		    json_object_get_string_len(user) >= 128 ||
		    json_object_get_string_len(text) > REMIND_TEXT_MAX) {
			skipped++;
			continue;
		}
		if (remind_add(bot, json_object_get_int64(due),
		    json_object_get_string(conv), json_object_get_string(user),
		    json_object_get_string(text)) == NULL)
			goto out;
	}
	if (skipped > 0)
		fprintf(stderr, "remind-bot: %s: %zu reminders over the "
		    "limits skipped\n", remind_path, skipped);
	fprintf(stderr, "remind-bot: %u reminders loaded from %s\n",
	    remind_count, remind_path);
	rc = 0;
out:
	json_object_put(a);
	free(buf);
	close(fd);
	return (rc);
}

static void
remind_cmd(chatsec_bot *bot, const chatsec_bot_msg *m, int argc, char **argv,
    void *arg)
{
	char		 text[REMIND_TEXT_MAX + 1];
	long		 secs;
	size_t		 len;
	int		 i;

	if (argc < 3 || (secs = remind_parse_delay(argv[1])) == -1) {
		chatsec_bot_reply(bot, m, "%s: usage: !remind DELAY TEXT, "
		    "DELAY like 90s, 10m, 2h, 1d or 1h30m (at most 7d)",
		    m->from);
		return;
	}
	if (remind_count >= REMIND_MAX ||
	    remind_count_of(m->from) >= REMIND_PER_USER) {
		chatsec_bot_reply(bot, m, "%s: too many reminders waiting; "
		    "try again later", m->from);
		return;
	}
	if (strlen(m->conv) >= 128 || strlen(m->from) >= 128)
		return;
	text[0] = '\0';
	for (i = 2, len = 0; i < argc && len < REMIND_TEXT_MAX; i++)
		len += (size_t)snprintf(text + len, sizeof text - len,
		    "%s%s", i > 2 ? " " : "", argv[i]);
	if (remind_add(bot, remind_now() + secs * 1000, m->conv, m->from,
	    text) == NULL)
		return;
	if (remind_save() != 0) {
		chatsec_bot_reply(bot, m, "%s: I will remind you in %s, but "
		    "I could not save it: a restart would lose it", m->from,
		    argv[1]);
		return;
	}
	chatsec_bot_reply(bot, m, "%s: I will remind you in %s", m->from,
	    argv[1]);
}

int
main(int argc, char **argv)
{
	const char	*sock = NULL, *cursor = NULL, *dir = NULL;
	chatsec_bot	*bot;
	int		 ch, rc, verbose = 0;

	while ((ch = getopt(argc, argv, "S:c:d:v")) != -1) {
		switch (ch) {
		case 'S': sock = optarg; break;
		case 'c': cursor = optarg; break;
		case 'd': dir = optarg; break;
		case 'v': verbose = 1; break;
		default:
			fprintf(stderr, "usage: remind-bot [-v] [-S socket] "
			    "[-c cursor-file] [-d state-dir]\n");
			return (2);
		}
	}
	if ((bot = chatsec_bot_new(NULL, sock)) == NULL)
		return (1);
	chatsec_bot_set_verbose(bot, verbose);
	if (cursor != NULL && (rc = chatsec_bot_set_cursor_file(bot, cursor)))
		fprintf(stderr, "remind-bot: %s: %s\n", cursor,
		    chatsec_bot_strerror(rc));
	if (dir != NULL) {
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			fprintf(stderr, "remind-bot: %s: %s\n", dir,
			    strerror(errno));
			chatsec_bot_free(bot);
			return (1);
		}
		remind_path = remind_file;
		if (snprintf(remind_file, sizeof remind_file, "%s/reminders",
		    dir) >= (int)sizeof remind_file || remind_load(bot) != 0) {
			chatsec_bot_free(bot);
			return (1);
		}
	}
	chatsec_bot_on_command(bot, "remind", remind_cmd, NULL);
	rc = chatsec_bot_run(bot);
	/* Sends still queued failed (closed) and stay in the file. */
	chatsec_bot_free(bot);
	/* remind_free() unlinks first (the analyzer loses LIST_REMOVE). */
	while (!LIST_EMPTY(&remind_all))
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		remind_free(LIST_FIRST(&remind_all));
	return (rc == 0 ? 0 : 1);
}
