/* chatsec — chatsec-agent: main, options, signals.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "fsutil.h"
#include "log.h"
#include "proto.h"
#include "sec.h"
#include "xmalloc.h"

#include "agent.h"
#include "crypto.h"

/*
 * chatsec-agent keeps one user's TLS link to chatsecd, a local history and
 * event log, and serves the JSON-RPC API of doc/api.md on a Unix socket.
 */

struct agent_conf	 agent_conf;
struct event_base	*agent_base;

enum {
	AGENT_OPT_CA_FILE = 256,
	AGENT_OPT_BACKOFF_MAX,
	AGENT_OPT_UNATTENDED,
	AGENT_OPT_CREDENTIALS,
};

/* The options: getopt_long, --help and the man page follow this table. */
static const struct agent_option {
	const char	*name;
	int		 val;
	const char	*arg;		/* NULL: takes no argument */
	const char	*help;
} agent_options[] = {
	{ "socket", 'S', "PATH", "API socket (default $CHATSEC_SOCKET, "
	    "else $XDG_RUNTIME_DIR/chatsec/agent.sock or "
	    "/tmp/chatsec-UID/agent.sock)" },
	{ "profile", 'd', "DIR", "profile directory (default "
	    "$XDG_DATA_HOME/chatsec/default or "
	    "~/.local/share/chatsec/default)" },
	{ "server", 's', "HOST:PORT", "server to use, remembered in the "
	    "profile (default 127.0.0.1:7780)" },
	{ "ca-file", AGENT_OPT_CA_FILE, "FILE", "verify the server's "
	    "certificate chain and name against these CAs instead of pinning" },
	{ "foreground", 'f', NULL, "stay in the foreground, log to stderr" },
	{ "verbose", 'v', NULL, "log debugging messages" },
	{ "backoff-max", AGENT_OPT_BACKOFF_MAX, "SECS", "longest wait between "
	    "reconnection attempts, 1 to 3600 (default 30)" },
	{ "unattended", AGENT_OPT_UNATTENDED, NULL, "log in again without a "
	    "person when the session is gone, from the credentials file" },
	{ "credentials", AGENT_OPT_CREDENTIALS, "FILE", "user, password and "
	    "TOTP secret for --unattended, mode 0600 (default "
	    "PROFILE/credentials; relative to the profile)" },
	{ "help", 'h', NULL, "show this help and exit" },
	{ "version", 'V', NULL, "show the version and exit" },
};
#define AGENT_NOPTIONS	(sizeof agent_options / sizeof agent_options[0])
#define AGENT_BACKOFF_MAX_DEFAULT	30

/* Print usage built from the option table. */
static void
agent_usage(FILE *f)
{
	const struct agent_option	*o;
	char				 left[64];
	size_t				 i;

	fprintf(f, "usage: chatsec-agent [-fhVv] [-d DIR] [-S PATH] "
	    "[-s HOST:PORT] [--ca-file FILE] [--backoff-max SECS]\n"
	    "       [--unattended [--credentials FILE]]\n\n");
	for (i = 0; i < AGENT_NOPTIONS; i++) {
		o = &agent_options[i];
		if (o->val < 256)
			snprintf(left, sizeof left, "-%c, --%s%s%s", o->val,
			    o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", o->name,
			    o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(f, "  %-26s %s\n", left, o->help);
	}
}

/* Build getopt_long's tables from agent_options. */
static void
agent_getopt_tables(struct option *longopts, char *shortopts, size_t len)
{
	const struct agent_option	*o;
	size_t				 i, n = 0;

	for (i = 0; i < AGENT_NOPTIONS; i++) {
		o = &agent_options[i];
		longopts[i].name = o->name;
		longopts[i].has_arg = o->arg != NULL ? required_argument :
		    no_argument;
		longopts[i].flag = NULL;
		longopts[i].val = o->val;
		if (o->val < 256 && n + 3 < len) {
			shortopts[n++] = (char)o->val;
			if (o->arg != NULL)
				shortopts[n++] = ':';
		}
	}
	memset(&longopts[i], 0, sizeof longopts[i]);
	shortopts[n] = '\0';
}

/*
 * Split "host:port", "[v6]:port" or "host" into host and port strings
 * (owned by the caller).  0 or -1.
 */
static int
agent_parse_server(const char *s, char **host, char **port)
{
	const char	*colon, *end;
	char		*ep;
	long		 n;

	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL || end == s + 1)
			return (-1);
		*host = xstrndup(s + 1, end - s - 1);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (colon == NULL && end[1] != '\0')
			goto bad;
	} else {
		colon = strrchr(s, ':');
		if (colon != NULL && strchr(s, ':') != colon)
			return (-1);	/* bare IPv6 needs brackets */
		*host = colon != NULL ? xstrndup(s, colon - s) : xstrdup(s);
	}
	if (**host == '\0')
		goto bad;
	if (colon == NULL) {
		xasprintf(port, "%d", CS_DEFAULT_PORT);
		return (0);
	}
	n = strtol(colon + 1, &ep, 10);
	if (colon[1] == '\0' || *ep != '\0' || n < 1 || n > 65535)
		goto bad;
	xasprintf(port, "%ld", n);
	return (0);
bad:
	free(*host);
	*host = NULL;
	return (-1);
}

/* Stop the loop on SIGTERM or SIGINT. */
static void
agent_signal_cb(int sig, short what, void *arg)
{
	log_info("%s: exiting on signal %d", __func__, sig);
	event_base_loopbreak(agent_base);
}

/*
 * Overwrite every string in obj (and the serialisation json-c keeps for
 * it) with zeros: for passwords and codes once they have been used.
 */
void
agent_wipe_json(struct json_object *obj)
{
	const char	*s;
	size_t		 len, i;

	if (obj == NULL)
		return;
	s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN,
	    &len);
	/* json-c hands out const pointers to memory it owns; wipe anyway. */
	if (s != NULL)
		sec_wipe((void *)(uintptr_t)s, len);
	switch (json_object_get_type(obj)) {
	case json_type_string:
		sec_wipe((void *)(uintptr_t)json_object_get_string(obj),
		    json_object_get_string_len(obj));
		break;
	case json_type_object: {
		json_object_object_foreach(obj, k, v) {
			(void)k;
			agent_wipe_json(v);
		}
		break;
	}
	case json_type_array:
		for (i = 0; i < json_object_array_length(obj); i++)
			agent_wipe_json(json_object_array_get_idx(obj, i));
		break;
	default:
		break;
	}
}

/* No core dumps and no ptrace by other processes: the agent holds keys. */
static void
agent_harden(void)
{
	struct rlimit	 rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		log_warn("setrlimit RLIMIT_CORE");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		log_warn("prctl PR_SET_DUMPABLE");
}

/*
 * Reconcile the server with the one the profile remembers: a new -s is
 * saved, and moving to another server forgets the old session and history.
 */
static void
agent_setup_server(const char *given)
{
	char	*saved;

	saved = lstore_kv_get("server");
	if (given == NULL)
		agent_conf.server = saved != NULL ? saved :
		    xstrdup(CS_DEFAULT_ADDR ":7780");
	else {
		if (agent_parse_server(given, &agent_conf.host,
		    &agent_conf.port) != 0)
			fatalx("bad server address: %s (want HOST:PORT)",
			    given);
		if (strchr(agent_conf.host, ':') != NULL)
			xasprintf(&agent_conf.server, "[%s]:%s",
			    agent_conf.host, agent_conf.port);
		else
			xasprintf(&agent_conf.server, "%s:%s",
			    agent_conf.host, agent_conf.port);
		free(agent_conf.host);
		free(agent_conf.port);
		if (saved != NULL && strcmp(saved, agent_conf.server) != 0) {
			log_info("server changed from %s to %s: forgetting "
			    "the old session and history", saved,
			    agent_conf.server);
			lstore_kv_del("token");
			lstore_kv_del("user");
			lstore_kv_del("admin");
			lstore_kv_del("cursor");
			lstore_msg_clear();
		}
		free(saved);
		lstore_kv_set("server", agent_conf.server);
	}
	if (agent_parse_server(agent_conf.server, &agent_conf.host,
	    &agent_conf.port) != 0)
		fatalx("bad server address in profile: %s", agent_conf.server);
}

static int	 agent_lock_fd = -1;

/*
 * One agent per profile: hold an exclusive lock on PROFILE/agent.lock for
 * the life of the process (the descriptor is deliberately never closed).
 */
static void
agent_lock_profile(void)
{
	char	*path;
	int	 fd;

	xasprintf(&path, "%s/agent.lock", agent_conf.profile_dir);
	if ((fd = open(path, O_RDWR|O_CREAT|O_CLOEXEC, 0600)) == -1)
		fatal("%s", path);
	if (flock(fd, LOCK_EX|LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			fatalx("profile %s is in use by another agent",
			    agent_conf.profile_dir);
		fatal("lock %s", path);
	}
	agent_lock_fd = fd;
	free(path);
}

/* Write our pid into the lock file, for scripts that stop the agent. */
static void
agent_write_pid(void)
{
	char	 buf[32];
	int	 len;

	len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(agent_lock_fd, 0) != 0 ||
	    pwrite(agent_lock_fd, buf, (size_t)len, 0) != len)
		log_warn("cannot write the pid to agent.lock");
}

/* Parse options, set up the profile and socket, then run the loop. */
int
main(int argc, char **argv)
{
	struct option	 longopts[AGENT_NOPTIONS + 1];
	char		 shortopts[64], *server = NULL, *dbpath, *data, *end;
	const char	*env;
	struct event	*ev_term, *ev_int;
	long		 n;
	int		 ch, fd, backoff_max = AGENT_BACKOFF_MAX_DEFAULT;

	agent_getopt_tables(longopts, shortopts, sizeof shortopts);
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'S':
			free(agent_conf.socket_path);
			agent_conf.socket_path = xstrdup(optarg);
			break;
		case 'd':
			free(agent_conf.profile_dir);
			agent_conf.profile_dir = xstrdup(optarg);
			break;
		case 's':
			free(server);
			server = xstrdup(optarg);
			break;
		case AGENT_OPT_CA_FILE:
			free(agent_conf.ca_file);
			agent_conf.ca_file = xstrdup(optarg);
			break;
		case 'f':
			agent_conf.foreground = 1;
			break;
		case 'v':
			agent_conf.verbose++;
			break;
		case AGENT_OPT_BACKOFF_MAX:
			n = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || n < 1 ||
			    n > 3600) {
				fprintf(stderr, "chatsec-agent: --backoff-max "
				    "must be 1 to 3600 seconds\n");
				exit(2);
			}
			backoff_max = (int)n;
			break;
		case AGENT_OPT_UNATTENDED:
			agent_conf.unattended = 1;
			break;
		case AGENT_OPT_CREDENTIALS:
			free(agent_conf.credentials);
			agent_conf.credentials = xstrdup(optarg);
			break;
		case 'h':
			agent_usage(stdout);
			exit(0);
		case 'V':
			printf("chatsec-agent %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			agent_usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		agent_usage(stderr);
		exit(2);
	}
	agent_conf.backoff_max_ms = backoff_max * 1000;

	log_init("chatsec-agent", 1, agent_conf.verbose);
	agent_harden();
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);	/* EFBIG, like a full disk */
	signal(SIGHUP, SIG_IGN);
	if (ccrypto_init() != 0)
		fatalx("cannot initialise libsodium");

	if (agent_conf.profile_dir == NULL) {
		data = fs_data_dir();
		xasprintf(&agent_conf.profile_dir, "%s/default", data);
		free(data);
	}
	if (fs_mkdir_private(agent_conf.profile_dir, 0700) != 0)
		fatal("profile directory %s (must be ours, mode 0700)",
		    agent_conf.profile_dir);
	agent_lock_profile();
	xasprintf(&dbpath, "%s/agent.db", agent_conf.profile_dir);
	if (lstore_open(dbpath) != 0)
		fatalx("cannot open the local store %s", dbpath);
	free(dbpath);
	xasprintf(&agent_conf.known_servers, "%s/known_servers",
	    agent_conf.profile_dir);
	agent_setup_server(server);
	free(server);

	if (agent_conf.socket_path == NULL) {
		if ((env = getenv("CHATSEC_SOCKET")) != NULL && *env != '\0')
			agent_conf.socket_path = xstrdup(env);
		else {
			data = fs_runtime_dir();
			xasprintf(&agent_conf.socket_path, "%s/agent.sock",
			    data);
			free(data);
		}
	}
	if (link_tls_init(agent_conf.ca_file) != 0)
		fatalx("cannot set up TLS");
	if ((fd = api_listen(agent_conf.socket_path)) == -1)
		exit(1);

	relogin_init();
	if (!agent_conf.foreground) {
		if (daemon(0, 0) != 0)
			fatal("daemon");
		log_init("chatsec-agent", 0, agent_conf.verbose);
	}
	agent_write_pid();

	if ((agent_base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	ev_term = evsignal_new(agent_base, SIGTERM, agent_signal_cb, NULL);
	ev_int = evsignal_new(agent_base, SIGINT, agent_signal_cb, NULL);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);

	events_init();
	files_init();
	keys_init();
	api_start(fd);
	log_info("listening on %s, server %s, profile %s",
	    agent_conf.socket_path, agent_conf.server, agent_conf.profile_dir);
	if (agent_conf.foreground) {
		fprintf(stderr, "chatsec-agent: listening on %s\n",
		    agent_conf.socket_path);
		fflush(stderr);
	}
	link_start();

	event_base_dispatch(agent_base);

	link_stop();
	relogin_free();
	files_free_all();
	outbox_fail_all(CS_ERR_NOT_CONNECTED, "the agent is shutting down");
	api_stop();
	events_free();
	keys_free();
	lstore_close();
	link_tls_free();
	event_free(ev_term);
	event_free(ev_int);
	event_base_free(agent_base);
	return (0);
}
