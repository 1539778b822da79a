/* chatsec — the curses UI: main, options, signals, keyboard.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>
#include <sys/ioctl.h>

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "fsutil.h"
#include "log.h"
#include "xmalloc.h"

#include "chatsec.h"

/*
 * chatsec is a client of chatsec-agent, as tmux's client is of its server:
 * it connects to the agent's socket (starting the agent when nothing
 * answers), and runs one libevent loop with the terminal and the agent
 * connection as its two sources.  It never waits for the agent: every
 * request has a callback, and the screen is redrawn once per loop turn.
 */

struct ui_conf		 ui_conf = {
	.bell = 1,
	.typing = 1,
	.lines = UI_LINES_DEFAULT,
};
struct event_base	*ui_base;

static char		*ui_quit_message;
static struct event	*ui_ev_stdin;

/* The options: getopt_long, --help and the man page follow this table. */
static const struct ui_option {
	const char	*name;
	int		 val;
	const char	*arg;		/* NULL: takes no argument */
	const char	*help;
} ui_options[] = {
	{ "socket", 'S', "PATH", "agent socket (default $CHATSEC_SOCKET, else "
	    "$XDG_RUNTIME_DIR/chatsec/agent.sock or /tmp/chatsec-UID/"
	    "agent.sock)" },
	{ "profile", 'd', "DIR", "profile directory, passed to an agent "
	    "started by chatsec" },
	{ "server", 's', "HOST:PORT", "server, passed to an agent started by "
	    "chatsec" },
	{ "download-dir", 'D', "DIR", "folder /save writes to (default "
	    "$XDG_DOWNLOAD_DIR, else ~/Downloads if it exists, else the "
	    "current folder)" },
	{ "no-bell", 'B', NULL, "do not ring the bell on a DM or mention" },
	{ "verbose", 'v', NULL, "log debugging messages (to syslog)" },
	{ "help", 'h', NULL, "show this help and exit" },
	{ "version", 'V', NULL, "show the version and exit" },
};
#define UI_NOPTIONS	(sizeof ui_options / sizeof ui_options[0])

/* Print usage built from the option table. */
static void
ui_usage(FILE *f)
{
	const struct ui_option	*o;
	char			 left[64];
	size_t			 i;

	fprintf(f, "usage: chatsec [-BhVv] [-D DIR] [-d DIR] [-S PATH] "
	    "[-s HOST:PORT]\n\n");
	for (i = 0; i < UI_NOPTIONS; i++) {
		o = &ui_options[i];
		snprintf(left, sizeof left, "-%c, --%s%s%s", o->val, o->name,
		    o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(f, "  %-24s %s\n", left, o->help);
	}
}

/* Build getopt_long's tables from ui_options. */
static void
ui_getopt_tables(struct option *longopts, char *shortopts, size_t len)
{
	const struct ui_option	*o;
	size_t			 i, n = 0;

	for (i = 0; i < UI_NOPTIONS; i++) {
		o = &ui_options[i];
		longopts[i].name = o->name;
		longopts[i].has_arg = o->arg != NULL ? required_argument :
		    no_argument;
		longopts[i].flag = NULL;
		longopts[i].val = o->val;
		if (n + 3 < len) {
			shortopts[n++] = (char)o->val;
			if (o->arg != NULL)
				shortopts[n++] = ':';
		}
	}
	memset(&longopts[i], 0, sizeof longopts[i]);
	shortopts[n] = '\0';
}

/* Leave the loop; msg (copied, may be NULL) is printed after endwin. */
void
ui_quit(const char *msg)
{
	if (msg != NULL && ui_quit_message == NULL)
		ui_quit_message = xstrdup(msg);
	event_base_loopexit(ui_base, NULL);
}

/* Hand one key to whatever the screen shows. */
static void
ui_key(int iskey, wint_t key)
{
	if (iskey && key == KEY_RESIZE) {
		screen_resize();
		return;
	}
	if (!iskey && key == UI_KEY_CTRL('z')) {
		/* ncurses' SIGTSTP handler restores the terminal. */
		kill(getpid(), SIGTSTP);
		screen_redraw_all();
		return;
	}
	switch (ui.mode) {
	case UI_MODE_ATTACHING:
		if (!iskey && (key == UI_KEY_CTRL('c') || key == 'q'))
			ui_quit(NULL);
		break;
	case UI_MODE_LOGIN:
		login_key(iskey, key);
		break;
	case UI_MODE_MAIN:
		input_key_main(iskey, key);
		break;
	}
	screen_update();
}

/*
 * Read every key the terminal has for us without blocking.  An ESC
 * followed at once by an ASCII character is an Alt-key (Alt-1 is "\0331").
 */
static void
ui_stdin_cb(int fd, short what, void *arg)
{
	static int	 empty;
	wint_t		 wc, wc2;
	int		 r, r2, n, avail = 0;

	for (n = 0; n < 4096; n++) {
		if ((r = wget_wch(stdscr, &wc)) == ERR) {
			/*
			 * Readable with nothing to read, again and again:
			 * the terminal has gone (EOF without a SIGHUP).
			 */
			if (n == 0 && ioctl(fd, FIONREAD, &avail) == 0 &&
			    avail == 0 && ++empty >= 16)
				ui_quit("the terminal went away");
			break;
		}
		empty = 0;
		if (r == OK && wc == 27) {
			r2 = wget_wch(stdscr, &wc2);
			if (r2 == OK && wc2 > 32 && wc2 < 127) {
				ui_key(1, UI_KEY_META(wc2));
				continue;
			}
			ui_key(0, wc);
			if (r2 != ERR)
				ui_key(r2 == KEY_CODE_YES, wc2);
			continue;
		}
		ui_key(r == KEY_CODE_YES, wc);
	}
}

/* SIGWINCH: the terminal changed size. */
static void
ui_sigwinch_cb(int sig, short what, void *arg)
{
	screen_resize();
}

/* SIGCONT: we were suspended; the terminal may hold anything now. */
static void
ui_sigcont_cb(int sig, short what, void *arg)
{
	screen_redraw_all();
}

/* SIGTERM, SIGHUP, SIGINT: detach and leave. */
static void
ui_sigterm_cb(int sig, short what, void *arg)
{
	ui_quit(NULL);
}

/* Parse options, reach (or start) the agent, then run the loop. */
int
main(int argc, char **argv)
{
	struct option	 longopts[UI_NOPTIONS + 1];
	char		 shortopts[64], err[512], *dir;
	const char	*env;
	struct event	*ev_sig[5];
	int		 ch, fd, i, started = 0;

	setlocale(LC_ALL, "");
	ui_getopt_tables(longopts, shortopts, sizeof shortopts);
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'S':
			free(ui_conf.socket_path);
			ui_conf.socket_path = xstrdup(optarg);
			break;
		case 'd':
			free(ui_conf.profile_dir);
			ui_conf.profile_dir = xstrdup(optarg);
			break;
		case 's':
			free(ui_conf.server);
			ui_conf.server = xstrdup(optarg);
			break;
		case 'D':
			free(ui_conf.download_dir);
			ui_conf.download_dir = xstrdup(optarg);
			break;
		case 'B':
			ui_conf.bell = 0;
			break;
		case 'v':
			ui_conf.verbose++;
			break;
		case 'h':
			ui_usage(stdout);
			exit(0);
		case 'V':
			printf("chatsec %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			ui_usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		ui_usage(stderr);
		exit(2);
	}
	log_init("chatsec", 1, ui_conf.verbose);
	signal(SIGPIPE, SIG_IGN);

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "chatsec: needs a terminal\n");
		exit(1);
	}
	if (ui_conf.socket_path == NULL) {
		if ((env = getenv("CHATSEC_SOCKET")) != NULL && *env != '\0')
			ui_conf.socket_path = xstrdup(env);
		else {
			dir = fs_runtime_dir();
			xasprintf(&ui_conf.socket_path, "%s/agent.sock", dir);
			free(dir);
		}
	}

	/* Attach, or start the agent the way tmux starts its server. */
	if ((fd = ui_conn_connect(ui_conf.socket_path)) == -1) {
		if (errno != ENOENT && errno != ECONNREFUSED) {
			fprintf(stderr, "chatsec: %s: %s\n",
			    ui_conf.socket_path, strerror(errno));
			exit(1);
		}
		if ((fd = ui_conn_spawn_agent(err, sizeof err)) == -1) {
			fprintf(stderr, "chatsec: %s\n", err);
			exit(1);
		}
		started = 1;
	}

	if ((ui_base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	ev_sig[0] = evsignal_new(ui_base, SIGWINCH, ui_sigwinch_cb, NULL);
	ev_sig[1] = evsignal_new(ui_base, SIGCONT, ui_sigcont_cb, NULL);
	ev_sig[2] = evsignal_new(ui_base, SIGTERM, ui_sigterm_cb, NULL);
	ev_sig[3] = evsignal_new(ui_base, SIGHUP, ui_sigterm_cb, NULL);
	ev_sig[4] = evsignal_new(ui_base, SIGINT, ui_sigterm_cb, NULL);
	for (i = 0; i < 5; i++)
		evsignal_add(ev_sig[i], NULL);

	/* From here curses owns the terminal: log to syslog instead. */
	screen_init();
	log_init("chatsec", 0, ui_conf.verbose);
	input_init();
	ui_ev_stdin = event_new(ui_base, STDIN_FILENO, EV_READ|EV_PERSIST,
	    ui_stdin_cb, NULL);
	event_add(ui_ev_stdin, NULL);

	if (started)
		xasprintf(&ui.notice, "started chatsec-agent on %s",
		    ui_conf.socket_path);
	else if (ui_conf.server != NULL || ui_conf.profile_dir != NULL)
		xasprintf(&ui.notice, "an agent was already running on %s: "
		    "-s and -d are ignored", ui_conf.socket_path);
	ui_conn_attach(fd);
	screen_update();

	event_base_dispatch(ui_base);

	screen_free();
	event_free(ui_ev_stdin);
	for (i = 0; i < 5; i++)
		event_free(ev_sig[i]);
	ui_conn_free();
	login_leave();
	input_free();
	window_free_all();
	rooms_free();
	files_free();
	cmd_room_free();
	typing_free();
	session_free();
	event_base_free(ui_base);
	if (ui_quit_message != NULL)
		fprintf(stderr, "chatsec: %s\n", ui_quit_message);
	else
		fprintf(stderr, "chatsec: detached (the agent keeps "
		    "running)\n");
	free(ui_quit_message);
	free(ui_conf.socket_path);
	free(ui_conf.profile_dir);
	free(ui_conf.server);
	free(ui_conf.download_dir);
	return (0);
}
