/* chatsec — chatsecd, the chat server.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "chatsecd.h"
#include "bus.h"
#include "fsutil.h"
#include "log.h"
#include "proto.h"
#include "sec.h"
#include "store.h"
#include "xmalloc.h"

/*
 * main(): options, data directory, TLS context, listening sockets, then
 * (unless -f) detach, and run the event loop until SIGTERM or SIGINT.
 * The parent of a detaching server waits until the server is ready, so its
 * exit status says whether the start worked.
 */

#define OFF(f)		offsetof(struct server_config, f)
#define MAINTAIN_EVERY	600	/* seconds between purges */

/* The one table of options: getopt_long, --help, the file and the man page. */
const struct opt_entry opt_table[] = {
	{ "listen", 'l', OPT_LIST, 0, OFF(listen), 0, 0, 0,
	  CS_DEFAULT_ADDR ":7780", "ADDR:PORT",
	  "listen on ADDR:PORT ([ADDR]:PORT for IPv6, port 0 picks one); "
	  "repeat for several" },
	{ "user", 'u', OPT_STR, 0, OFF(user), 0, 0, 0, NULL, "USER",
	  "started as root, become USER after loading the key and binding "
	  "(default: chatsecd if that account exists; root to stay root)" },
	{ "datadir", 'd', OPT_STR, 0, OFF(datadir), 0, 0, 0,
	  LOCALSTATEDIR "/lib/chatsecd", "DIR",
	  "data directory: database, key, certificate, pid file" },
	{ "config", 'c', OPT_STR, OPT_CLI, OFF(config), 0, 0, 0,
	  SYSCONFDIR "/chatsecd.conf", "FILE",
	  "configuration file (the default one is read if it exists)" },
	{ "foreground", 'f', OPT_FLAG, OPT_CLI, OFF(foreground), 0, 0, 0,
	  NULL, NULL, "stay in the foreground and log to stderr" },
	{ "verbose", 'v', OPT_COUNT, 0, OFF(verbose), 0, 0, 0,
	  NULL, NULL, "log more; repeat for more still" },
	{ "cert", 0, OPT_STR, 0, OFF(cert), 0, 0, 0, NULL, "FILE",
	  "certificate chain in PEM (default: DATADIR/server.crt, "
	  "self-signed, made on first start)" },
	{ "key", 0, OPT_STR, 0, OFF(key), 0, 0, 0, NULL, "FILE",
	  "private key in PEM for --cert (default: DATADIR/server.key)" },
	{ "print_fingerprint", 0, OPT_FLAG, OPT_CLI, OFF(print_fingerprint),
	  0, 0, 0, NULL, NULL,
	  "print the certificate's SHA-256 fingerprint and exit (making the "
	  "certificate if needed)" },
	{ "handshake_timeout", 0, OPT_INT, 0, OFF(handshake_timeout),
	  10, 1, 3600, NULL, "SECS", "deadline for the TLS handshake" },
	{ "login_timeout", 0, OPT_INT, 0, OFF(login_timeout),
	  60, 1, 86400, NULL, "SECS",
	  "deadline from accept to a successful login, register or resume" },
	{ "register_timeout", 0, OPT_INT, 0, OFF(register_timeout),
	  600, 1, 86400, NULL, "SECS",
	  "deadline from a successful register to its register_confirm "
	  "(time to scan the QR code)" },
	{ "idle_timeout", 0, OPT_INT, 0, OFF(idle_timeout),
	  300, 2, 7 * 86400, NULL, "SECS",
	  "close a logged-in connection silent for this long" },
	{ "prelogin_bytes", 0, OPT_INT, 0, OFF(prelogin_bytes),
	  65536, 1024, 16 * 1024 * 1024, NULL, "BYTES",
	  "bytes a connection may send before it is logged in" },
	{ "output_max", 0, OPT_INT, 0, OFF(output_max),
	  4 * 1024 * 1024, 512 * 1024, 1024LL * 1024 * 1024, NULL, "BYTES",
	  "output queued for one connection before it is cut off" },
	{ "request_rate", 0, OPT_INT, 0, OFF(request_rate),
	  200, 0, 1000000, NULL, "N",
	  "requests a second one logged-in connection may make, over a "
	  "burst of request_burst; beyond it reading stops until the rate "
	  "allows (0: no limit)" },
	{ "request_burst", 0, OPT_INT, 0, OFF(request_burst),
	  1000, 1, 1000000, NULL, "N",
	  "requests one connection may make at once" },
	{ "max_clients", 0, OPT_INT, 0, OFF(max_clients),
	  10000, 1, 10000000, NULL, "N", "connections in total" },
	{ "max_per_addr", 0, OPT_INT, 0, OFF(max_per_addr),
	  256, 1, 10000000, NULL, "N", "connections from one address" },
	{ "hash_threads", 0, OPT_INT, 0, OFF(hash_threads),
	  0, 0, 1024, NULL, "N",
	  "password hashing threads (0: one per core)" },
	{ "hash_queue", 0, OPT_INT, 0, OFF(hash_queue),
	  256, 1, 65536, NULL, "N",
	  "password hashes queued or running before logins are told to retry" },
	{ "argon2_opslimit", 0, OPT_INT, 0, OFF(argon2_opslimit),
	  2, 2, 64, NULL, "N",
	  "argon2id passes for new hashes (at least libsodium's INTERACTIVE)" },
	{ "argon2_memlimit_kib", 0, OPT_INT, 0, OFF(argon2_memlimit_kib),
	  65536, 65536, 4 * 1024 * 1024, NULL, "KIB",
	  "argon2id memory for new hashes (at least INTERACTIVE, 64 MiB)" },
	{ "argon2_max_opslimit", 0, OPT_INT, 0, OFF(argon2_max_opslimit),
	  10, 2, 1024, NULL, "N",
	  "refuse stored hashes with more passes than this" },
	{ "argon2_max_memlimit_kib", 0, OPT_INT, 0,
	  OFF(argon2_max_memlimit_kib), 1024 * 1024, 65536, 4 * 1024 * 1024,
	  NULL, "KIB", "refuse stored hashes needing more memory than this" },
	{ "batch_max", 0, OPT_INT, 0, OFF(batch_max),
	  256, 1, 65536, NULL, "N", "messages per group commit at most" },
	{ "session_idle_days", 0, OPT_INT, 0, OFF(session_idle_days),
	  30, 1, 3650, NULL, "DAYS", "a session unused this long expires" },
	{ "session_max_days", 0, OPT_INT, 0, OFF(session_max_days),
	  90, 1, 3650, NULL, "DAYS", "a session this old expires" },
	{ "max_file_size", 0, OPT_INT, 0, OFF(max_file_size),
	  100LL * 1024 * 1024, 17, 1LL << 50, NULL, "BYTES",
	  "largest file accepted, in bytes of ciphertext (what agents upload)" },
	{ "file_quota", 0, OPT_INT, 0, OFF(file_quota),
	  1024LL * 1024 * 1024, 17, 1LL << 50, NULL, "BYTES",
	  "bytes of files one account may keep on the server, unfinished "
	  "uploads included" },
	{ "admin_grant", 0, OPT_STR, OPT_CLI, OFF(admin_grant), 0, 0, 0,
	  NULL, "NAME",
	  "make account NAME a server admin in the data directory's database "
	  "and exit (the server must be stopped)" },
	{ "admin_revoke", 0, OPT_STR, OPT_CLI, OFF(admin_revoke), 0, 0, 0,
	  NULL, "NAME",
	  "take server admin away from account NAME and exit (the server must "
	  "be stopped)" },
	{ "create_accounts", 0, OPT_INT, OPT_CLI, OFF(create_accounts),
	  0, 1, 1000000, NULL, "N",
	  "benchmarks: create accounts PREFIX1 .. PREFIXN sharing one password "
	  "hash, write a session token and TOTP secret per account to the "
	  "--tokens file, and exit (the server must be stopped)" },
	{ "account_prefix", 0, OPT_STR, OPT_CLI, OFF(account_prefix), 0, 0, 0,
	  "bench", "PREFIX", "name prefix for --create-accounts" },
	{ "password_file", 0, OPT_STR, OPT_CLI, OFF(password_file), 0, 0, 0,
	  NULL, "FILE", "file whose first line is the password for "
	  "--create-accounts" },
	{ "tokens", 0, OPT_STR, OPT_CLI, OFF(tokens), 0, 0, 0, NULL, "FILE",
	  "file (made anew, mode 0600) --create-accounts writes \"NAME TOKEN "
	  "TOTP_SECRET\" lines to" },
	{ "dump_frames", 0, OPT_STR, OPT_CLI, OFF(dump_frames), 0, 0, 0,
	  NULL, "FILE",
	  "debugging aid: append every frame received from a logged-in "
	  "client to FILE, one JSON line each (tests use it to show bodies "
	  "are opaque; never in production)" },
	{ "help", 'h', OPT_FLAG, OPT_CLI, OFF(help), 0, 0, 0, NULL, NULL,
	  "show this help and exit" },
	{ "version", 'V', OPT_FLAG, OPT_CLI, OFF(version), 0, 0, 0, NULL, NULL,
	  "show the version and exit" },
};
const size_t opt_count = sizeof opt_table / sizeof opt_table[0];

struct event_base	*server_base;
struct server_config	 server_cfg;
struct store		*server_store;

static int		 server_ready_fd = -1;
static char		*server_pidfile;
static struct event	*server_maintain_ev;

/* Write the long option spelling of a table name ('_' becomes '-') to buf. */
static const char *
server_long_name(const struct opt_entry *o, char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; o->name[i] != '\0' && i + 1 < len; i++)
		buf[i] = o->name[i] == '_' ? '-' : o->name[i];
	buf[i] = '\0';
	return (buf);
}

/* Print text wrapped to 79 columns, continuation lines indented by indent. */
static void
server_wrap(FILE *f, const char *text, int col, int indent)
{
	const char	*word, *end;
	int		 len;

	for (word = text; *word != '\0'; word = end) {
		while (*word == ' ')
			word++;
		if (*word == '\0')
			break;
		end = strchr(word, ' ');
		if (end == NULL)
			end = word + strlen(word);
		len = (int)(end - word);
		if (col > indent && col + 1 + len > 79) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", len, word);
		col += len;
	}
	fputc('\n', f);
}

/* Print --help, generated from opt_table. */
static void
server_usage(FILE *f)
{
	const struct opt_entry	*o;
	char			 name[64], left[128], text[512];
	size_t			 i;
	int			 col;

	fprintf(f, "usage: chatsecd [-fhVv] [-c FILE] [-d DIR] "
	    "[-l ADDR:PORT] [--OPTION VALUE ...]\n\n"
	    "chatsecd is the chatsec server.  Each option but -c, -f, -h, -V "
	    "and\n--print-fingerprint may also be set in the configuration "
	    "file as\n\"name = value\", with '_' for '-' in the name.\n\n");
	for (i = 0; i < opt_count; i++) {
		o = &opt_table[i];
		server_long_name(o, name, sizeof name);
		snprintf(left, sizeof left, "%s%c%s--%s%s%s",
		    o->shortopt ? "-" : " ", o->shortopt ? o->shortopt : ' ',
		    o->shortopt ? ", " : "  ", name, o->arg ? " " : "",
		    o->arg ? o->arg : "");
		if (o->type == OPT_INT)
			snprintf(text, sizeof text, "%s (default %lld, %lld to "
			    "%lld)", o->help, o->def, o->min, o->max);
		else if (o->defstr != NULL)
			snprintf(text, sizeof text, "%s (default %s)", o->help,
			    o->defstr);
		else
			snprintf(text, sizeof text, "%s", o->help);
		col = fprintf(f, "  %-29s ", left);
		if (strlen(left) > 29) {
			fprintf(f, "\n%*s", 32, "");
			col = 32;
		}
		server_wrap(f, text, col, 32);
	}
	fprintf(f, "\nSignals: TERM and INT stop cleanly, committing what is "
	    "pending; HUP is\nlogged.  See chatsecd(8).\n");
}

/* Parse the command line into server_cfg, marking what it set in cli. */
static void
server_parse_args(int argc, char **argv, unsigned char *cli)
{
	struct option		*longopts;
	const struct opt_entry	*o;
	char			 shortopts[128], err[256], *p, **names;
	size_t			 i;
	int			 ch, idx;

	longopts = xcalloc(opt_count + 1, sizeof *longopts);
	names = xcalloc(opt_count, sizeof *names);
	p = shortopts;
	*p++ = ':';
	for (i = 0; i < opt_count; i++) {
		o = &opt_table[i];
		names[i] = xmalloc(strlen(o->name) + 1);
		server_long_name(o, names[i], strlen(o->name) + 1);
		longopts[i].name = names[i];
		longopts[i].has_arg = (o->type == OPT_FLAG ||
		    o->type == OPT_COUNT) ? no_argument : required_argument;
		longopts[i].val = 256 + (int)i;
		if (o->shortopt != 0) {
			*p++ = (char)o->shortopt;
			if (longopts[i].has_arg == required_argument)
				*p++ = ':';
		}
	}
	*p = '\0';

	while ((ch = getopt_long(argc, argv, shortopts, longopts, &idx)) !=
	    -1) {
		if (ch == '?' || ch == ':') {
			fprintf(stderr, "chatsecd: %s: %s\n", ch == '?' ?
			    "unknown option" : "missing argument",
			    argv[optind - 1]);
			fprintf(stderr, "Try chatsecd --help.\n");
			exit(2);
		}
		if (ch >= 256)
			o = &opt_table[ch - 256];
		else {
			for (i = 0; i < opt_count; i++) {
				if (opt_table[i].shortopt == ch)
					break;
			}
			o = &opt_table[i];
		}
		if (config_set(&server_cfg, o, (o->type == OPT_FLAG ||
		    o->type == OPT_COUNT) ? NULL : optarg, err,
		    sizeof err) != 0) {
			fprintf(stderr, "chatsecd: %s\n", err);
			exit(2);
		}
		cli[o - opt_table] = 1;
	}
	if (optind != argc) {
		fprintf(stderr, "chatsecd: unexpected argument: %s\n",
		    argv[optind]);
		exit(2);
	}
	for (i = 0; i < opt_count; i++)
		free(names[i]);
	free(names);
	free(longopts);
}

/* Read the configuration file: the one given, or the default if present. */
static void
server_load_config(const unsigned char *cli)
{
	const struct opt_entry	*o = config_find("config");
	struct stat		 sb;

	if (!cli[o - opt_table] && stat(server_cfg.config, &sb) != 0)
		return;
	if (config_load(&server_cfg, server_cfg.config, cli) != 0)
		exit(1);
}

/* Make a path absolute (the daemon changes directory to /). */
static void
server_absolute(char **path)
{
	char	*abs;

	if (*path == NULL || (*path)[0] == '/')
		return;
	if ((abs = realpath(*path, NULL)) == NULL)
		fatal("%s", *path);
	free(*path);
	*path = abs;
}

/*
 * Take DATADIR/chatsecd.lock so two servers never share one database (the
 * fan-out of one would not reach the other's connections).  The lock is
 * inherited by the detached server and released when it exits.
 */
static void
server_lock(void)
{
	char	*path;
	int	 fd;

	xasprintf(&path, "%s/chatsecd.lock", server_cfg.datadir);
	if ((fd = open(path, O_RDWR|O_CREAT|O_CLOEXEC, 0600)) == -1)
		fatal("%s", path);
	if (flock(fd, LOCK_EX|LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			fatalx("%s is in use by another chatsecd",
			    server_cfg.datadir);
		fatal("flock %s", path);
	}
	free(path);
}

/* Raise the open file limit to the hard limit (connections need fds). */
static void
server_raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			log_warn("setrlimit");
	}
}

/*
 * Detach: fork, setsid, fork again, chdir /.  The first parent waits on a
 * pipe until server_ready() (exit 0) or the server's death (exit 1).
 */
static void
server_daemonize(void)
{
	int	 p[2];
	char	 c;

	if (pipe(p) != 0)
		fatal("pipe");
	switch (fork()) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		close(p[1]);
		_exit(read(p[0], &c, 1) == 1 ? 0 : 1);
	}
	close(p[0]);
	if (setsid() == -1)
		fatal("setsid");
	switch (fork()) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		_exit(0);
	}
	if (chdir("/") != 0)
		fatal("chdir /");
	server_ready_fd = p[1];
	fcntl(server_ready_fd, F_SETFD, FD_CLOEXEC);
}

/* Tell the waiting parent we are up; leave the terminal; log to syslog. */
static void
server_ready(void)
{
	char	 pid[32];
	int	 fd;

	if (server_ready_fd == -1)
		return;
	xasprintf(&server_pidfile, "%s/chatsecd.pid", server_cfg.datadir);
	snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (fs_write_atomic(server_pidfile, pid, strlen(pid)) != 0)
		log_warn("%s", server_pidfile);
	chmod(server_pidfile, 0644);

	log_init("chatsecd", 0, (int)server_cfg.verbose);
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	if (write(server_ready_fd, "", 1) != 1)
		log_warn("ready pipe");
	close(server_ready_fd);
	server_ready_fd = -1;
}

/* Stop accepting, close connections, commit, and leave the loop. */
void
server_shutdown(const char *why)
{
	log_info("shutting down: %s", why);
	listen_stop();
	client_close_all();
	msg_flush_wait();
	event_base_loopexit(server_base, NULL);
}

/* Signal handler (run on the loop by libevent). */
static void
server_signal(evutil_socket_t sig, short events, void *arg)
{
	switch (sig) {
	case SIGTERM:
		server_shutdown("SIGTERM");
		break;
	case SIGINT:
		server_shutdown("SIGINT");
		break;
	case SIGHUP:
		log_info("SIGHUP: nothing to reload; %u connections, %u "
		    "subscribed", client_count(), bus_count());
		break;
	}
}

/* Periodic housekeeping: expired sessions, old failure counters, stale
 * uploads and unannounced files. */
static void
server_maintain(evutil_socket_t fd, short events, void *arg)
{
	limit_maintain();
	auth_maintain();
	files_maintain();
}

/* Install signal events; SIGPIPE is ignored (writes report EPIPE). */
static void
server_signals(struct event **evs)
{
	static const int	 sigs[] = { SIGTERM, SIGINT, SIGHUP };
	size_t			 i;

	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		evs[i] = evsignal_new(server_base, sigs[i], server_signal,
		    NULL);
		if (evs[i] == NULL || evsignal_add(evs[i], NULL) != 0)
			fatalx("evsignal_new");
	}
}

/* Configure, set up, detach (unless -f) and serve until told to stop. */
/*
 * The event base.  epoll's change list folds the add/delete pairs of one
 * loop turn into at most one epoll_ctl per descriptor: a TLS handshake and
 * the bufferevent's callbacks change a connection's events several times
 * in a turn.  It is unsafe only with dup()ed descriptors, which chatsecd
 * never gives libevent.
 */
static void
server_base_new(void)
{
	struct event_config	*cfg;

	if ((cfg = event_config_new()) == NULL)
		fatalx("event_config_new");
	event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	if ((server_base = event_base_new_with_config(cfg)) == NULL)
		fatalx("event_base_new");
	event_config_free(cfg);
}

int
main(int argc, char **argv)
{
	struct event	*sigevs[3];
	struct timeval	 tv = { MAINTAIN_EVERY, 0 };
	unsigned char	*cli;
	char		 err[256], *dbpath;
	size_t		 i;

	signal(SIGPIPE, SIG_IGN);
	/* Over a file size limit a write fails (EFBIG) like a full disk. */
	signal(SIGXFSZ, SIG_IGN);
	umask(077);
	log_init("chatsecd", 1, 0);
	if (sec_init() != 0)
		fatalx("libsodium initialisation failed");

	cli = xcalloc(opt_count, 1);
	config_defaults(&server_cfg);
	server_parse_args(argc, argv, cli);
	if (server_cfg.help) {
		server_usage(stdout);
		return (0);
	}
	if (server_cfg.version) {
		printf("chatsecd %s (protocol %d)\n", PACKAGE_VERSION,
		    CS_PROTO_VERSION);
		return (0);
	}
	server_load_config(cli);
	free(cli);
	if (config_check(&server_cfg, err, sizeof err) != 0)
		fatalx("%s", err);
	log_setverbose((int)server_cfg.verbose);

	priv_init(server_cfg.user);
	priv_datadir(server_cfg.datadir);
	server_absolute(&server_cfg.datadir);
	server_absolute(&server_cfg.cert);
	server_absolute(&server_cfg.key);

	if (server_cfg.admin_grant != NULL || server_cfg.admin_revoke != NULL) {
		server_lock();
		priv_drop();
		i = (size_t)admin_offline(server_cfg.admin_grant,
		    server_cfg.admin_revoke);
		config_free(&server_cfg);
		return ((int)i);
	}

	if (server_cfg.create_accounts > 0) {
		server_lock();
		priv_drop();
		i = (size_t)accounts_offline_create(server_cfg.create_accounts,
		    server_cfg.account_prefix, server_cfg.password_file,
		    server_cfg.tokens);
		config_free(&server_cfg);
		return ((int)i);
	}

	if (tls_init(&server_cfg) != 0)
		fatalx("cannot set up TLS");
	if (server_cfg.print_fingerprint) {
		printf("%s\n", tls_fingerprint());
		tls_free();
		config_free(&server_cfg);
		return (0);
	}
	server_lock();
	server_raise_nofile();
	if (listen_bind() != 0)
		fatalx("cannot listen");
	priv_drop();

	if (!server_cfg.foreground)
		server_daemonize();

	server_base_new();
	server_signals(sigevs);

	xasprintf(&dbpath, "%s/chatsecd.db", server_cfg.datadir);
	if ((server_store = store_open(dbpath)) == NULL)
		fatalx("cannot open %s", dbpath);
	free(dbpath);
	if (hash_init((int)server_cfg.hash_threads,
	    (int)server_cfg.hash_queue) != 0)
		fatalx("cannot start the hashing threads");
	if (fsync_init() != 0)
		fatalx("cannot start the fsync thread");
	store_log_fd(server_store);	/* opened now: a failure shows at start */
	if (auth_init() != 0)
		fatalx("cannot set up authentication");
	bus_init();
	msg_init();
	limit_maintain();
	auth_maintain();
	files_maintain();
	server_maintain_ev = event_new(server_base, -1, EV_PERSIST,
	    server_maintain, NULL);
	if (server_maintain_ev == NULL ||
	    event_add(server_maintain_ev, &tv) != 0)
		fatalx("event_new");
	client_heap_setup();
	listen_start();

	fprintf(stderr, "chatsecd: listening on %s, certificate %s\n",
	    listen_describe(), tls_fingerprint());
	fflush(stderr);
	if (!server_cfg.foreground) {
		server_ready();
		log_info("listening on %s, certificate %s", listen_describe(),
		    tls_fingerprint());
	}

	event_base_dispatch(server_base);

	msg_free();
	fsync_free();
	hash_free();
	auth_free();
	bus_free();
	store_close(server_store);
	tls_free();
	event_free(server_maintain_ev);
	for (i = 0; i < sizeof sigevs / sizeof sigevs[0]; i++)
		event_free(sigevs[i]);
	event_base_free(server_base);
	if (server_pidfile != NULL) {
		unlink(server_pidfile);
		free(server_pidfile);
	}
	log_info("stopped");
	config_free(&server_cfg);
	return (0);
}
