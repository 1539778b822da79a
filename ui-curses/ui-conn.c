/* chatsec — the curses UI: the connection to the agent.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "frame.h"
#include "log.h"
#include "proto.h"
#include "rpc.h"
#include "sec.h"
#include "xmalloc.h"

#include "chatsec.h"

/*
 * One connection to the agent's socket: requests go out with increasing
 * ids and a callback each; replies are matched by id; `event`
 * notifications go to the session.  Lines are read through frame_reader,
 * a bounded number per loop turn so a flood of events cannot starve the
 * keyboard.  When the agent goes away every waiting callback is told, and
 * a timer tries to attach again every second.
 */

struct ui_conn_req {
	int64_t			 id;
	const char		*method;	/* static */
	void			(*cb)(struct ui_reply *, void *);
	void			*arg;
	TAILQ_ENTRY(ui_conn_req) entry;
};

static struct bufferevent	*ui_conn_bev;
static struct frame_reader	 ui_conn_reader;
static TAILQ_HEAD(, ui_conn_req) ui_conn_reqs =
    TAILQ_HEAD_INITIALIZER(ui_conn_reqs);
static u_int			 ui_conn_npending;
static int64_t			 ui_conn_next_id = 1;
static struct event		*ui_conn_ev_more;
static struct event		*ui_conn_ev_retry;

static void	ui_conn_lost(const char *);

/*
 * Connect to the agent socket at path (a local connect does not block).
 * Returns the fd, or -1 with errno set.
 */
int
ui_conn_connect(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd, saved;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path) >=
	    sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	return (fd);
}

/*
 * Find chatsec-agent: next to our own binary first (so a build tree runs
 * its own agent), else NULL to let execvp search PATH.  Owned by caller.
 */
static char *
ui_conn_agent_path(void)
{
	char	 self[PATH_MAX], *copy, *path;
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) <= 0)
		return (NULL);
	self[n] = '\0';
	copy = xstrdup(self);
	xasprintf(&path, "%s/chatsec-agent", dirname(copy));
	free(copy);
	if (access(path, X_OK) != 0) {
		free(path);
		return (NULL);
	}
	return (path);
}

/* Sleep for ms milliseconds (only before the loop runs). */
static void
ui_conn_nap(long ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * Start chatsec-agent with our -S/-d/-s and wait (at most
 * UI_AGENT_WAIT_MS) until its socket answers; the agent daemonises
 * itself once it listens.  Runs before curses starts, so the agent's
 * own complaints reach the terminal.  Returns the connected fd, or -1
 * with a sentence in err.
 */
int
ui_conn_spawn_agent(char *err, size_t errlen)
{
	char		*path, *argv[9];
	pid_t		 pid;
	int		 argc = 0, fd, status, exited = 0, waited, null;

	path = ui_conn_agent_path();
	argv[argc++] = "chatsec-agent";
	argv[argc++] = "-S";
	argv[argc++] = ui_conf.socket_path;
	if (ui_conf.profile_dir != NULL) {
		argv[argc++] = "-d";
		argv[argc++] = ui_conf.profile_dir;
	}
	if (ui_conf.server != NULL) {
		argv[argc++] = "-s";
		argv[argc++] = ui_conf.server;
	}
	argv[argc] = NULL;

	fflush(stderr);
	switch (pid = fork()) {
	case -1:
		snprintf(err, errlen, "fork: %s", strerror(errno));
		free(path);
		return (-1);
	case 0:
		if ((null = open("/dev/null", O_RDWR)) != -1) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			if (null > STDERR_FILENO)
				close(null);
		}
		if (path != NULL)
			execv(path, argv);
		else
			execvp("chatsec-agent", argv);
		fprintf(stderr, "chatsec: cannot run %s: %s\n",
		    path != NULL ? path : "chatsec-agent", strerror(errno));
		_exit(127);
	}
	free(path);

	for (waited = 0; waited < UI_AGENT_WAIT_MS; waited += 50) {
		if ((fd = ui_conn_connect(ui_conf.socket_path)) != -1)
			return (fd);
		if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
			exited = 1;
			if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
				snprintf(err, errlen, "chatsec-agent is neither "
				    "next to chatsec nor in PATH");
				return (-1);
			}
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				/* One last try: another agent may have won. */
				if ((fd = ui_conn_connect(
				    ui_conf.socket_path)) != -1)
					return (fd);
				snprintf(err, errlen, "chatsec-agent failed to "
				    "start (see above)");
				return (-1);
			}
		}
		ui_conn_nap(50);
	}
	snprintf(err, errlen, "chatsec-agent did not answer on %s within "
	    "%d s", ui_conf.socket_path, UI_AGENT_WAIT_MS / 1000);
	return (-1);
}

/* Overwrite every string in obj (and json-c's cached serialisation). */
static void
ui_conn_wipe_json(struct json_object *obj)
{
	const char	*s;
	size_t		 len;

	if (obj == NULL)
		return;
	s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN,
	    &len);
	if (s != NULL)
		sec_wipe((char *)s, len);
	if (json_object_is_type(obj, json_type_string)) {
		sec_wipe((char *)json_object_get_string(obj),
		    json_object_get_string_len(obj));
	} else if (json_object_is_type(obj, json_type_object)) {
		json_object_object_foreach(obj, k, v) {
			(void)k;
			ui_conn_wipe_json(v);
		}
	}
}

/*
 * Send a request; params (may be NULL) is taken over.  cb runs exactly
 * once with the reply, or with UI_ERR_DETACHED if the agent goes away
 * first.  With secret set, the serialised request is wiped once queued.
 * Returns 0, or -1 (nothing sent, cb will not run) when detached or over
 * the limits.
 */
int
ui_conn_request(const char *method, struct json_object *params, int secret,
    void (*cb)(struct ui_reply *, void *), void *arg)
{
	struct ui_conn_req	*req;
	struct json_object	*obj;
	struct evbuffer		*out;
	int			 rc;

	if (ui_conn_bev == NULL || ui_conn_npending >= UI_PENDING_MAX) {
		if (secret)
			ui_conn_wipe_json(params);
		json_object_put(params);
		return (-1);
	}
	out = bufferevent_get_output(ui_conn_bev);
	if (evbuffer_get_length(out) > UI_OUT_MAX) {
		if (secret)
			ui_conn_wipe_json(params);
		json_object_put(params);
		return (-1);
	}
	obj = rpc_request(ui_conn_next_id, method, params);
	rc = frame_write(out, obj, CS_API_FRAME_MAX);
	if (secret)
		ui_conn_wipe_json(obj);
	json_object_put(obj);
	if (rc != 0)
		return (-1);

	req = xcalloc(1, sizeof *req);
	req->id = ui_conn_next_id++;
	req->method = method;
	req->cb = cb;
	req->arg = arg;
	TAILQ_INSERT_TAIL(&ui_conn_reqs, req, entry);
	ui_conn_npending++;
	return (0);
}

/* Hand a reply to the request that waits for it. */
static void
ui_conn_reply(struct json_object *obj)
{
	struct rpc_resp		 resp;
	struct ui_conn_req	*req;
	struct ui_reply		 reply;
	int64_t			 id;

	if (rpc_parse_response(obj, &resp) != 0 ||
	    !json_object_is_type(resp.id, json_type_int)) {
		log_debug("%s: malformed reply from the agent", __func__);
		return;
	}
	id = json_object_get_int64(resp.id);
	TAILQ_FOREACH(req, &ui_conn_reqs, entry) {
		if (req->id == id)
			break;
	}
	if (req == NULL) {
		log_debug("%s: reply to unknown id %lld", __func__,
		    (long long)id);
		return;
	}
	TAILQ_REMOVE(&ui_conn_reqs, req, entry);
	ui_conn_npending--;

	memset(&reply, 0, sizeof reply);
	reply.code = resp.result != NULL ? 0 : resp.code;
	reply.message = resp.message != NULL ? resp.message :
	    rpc_strerror(resp.code);
	reply.result = resp.result;
	reply.data = resp.data;
	if (req->cb != NULL)
		req->cb(&reply, req->arg);
	free(req);
}

/* One line from the agent: a reply or an event notification. */
static void
ui_conn_dispatch(struct json_object *obj)
{
	struct json_object	*method, *params;

	if (rpc_is_response(obj)) {
		ui_conn_reply(obj);
		return;
	}
	if (json_object_object_get_ex(obj, "method", &method) &&
	    json_object_is_type(method, json_type_string) &&
	    strcmp(json_object_get_string(method), "event") == 0 &&
	    json_object_object_get_ex(obj, "params", &params) &&
	    json_object_is_type(params, json_type_object))
		session_event(params);
}

/*
 * Handle at most max complete lines from the agent (max 0: all).  Returns
 * 1 if more complete lines may be waiting.
 */
static int
ui_conn_process(int max)
{
	struct json_object	*obj;
	struct evbuffer		*in;
	enum frame_status	 st;
	int			 n;

	for (n = 0; max == 0 || n < max; n++) {
		if (ui_conn_bev == NULL)
			return (0);
		in = bufferevent_get_input(ui_conn_bev);
		st = frame_read(&ui_conn_reader, in, &obj);
		switch (st) {
		case FRAME_MORE:
			return (0);
		case FRAME_TOOBIG:
			log_warnx("%s: over-long line from the agent skipped",
			    __func__);
			continue;
		case FRAME_BAD:
			log_warnx("%s: bad line from the agent: %s", __func__,
			    ui_conn_reader.error);
			continue;
		case FRAME_OK:
			ui_conn_dispatch(obj);
			json_object_put(obj);
			break;
		}
	}
	return (1);
}

/* Lines are waiting: handle another batch, after the keyboard had a turn. */
static void
ui_conn_more_cb(int fd, short what, void *arg)
{
	if (ui_conn_process(UI_FRAMES_PER_TURN))
		event_active(ui_conn_ev_more, EV_TIMEOUT, 1);
	screen_update();
}

/* Bytes from the agent. */
static void
ui_conn_read_cb(struct bufferevent *bev, void *arg)
{
	if (ui_conn_process(UI_FRAMES_PER_TURN))
		event_active(ui_conn_ev_more, EV_TIMEOUT, 1);
	screen_update();
}

/* EOF or error on the agent socket. */
static void
ui_conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	char	 why[256];

	if (what & BEV_EVENT_EOF)
		snprintf(why, sizeof why, "the agent closed the connection");
	else if (what & BEV_EVENT_ERROR)
		snprintf(why, sizeof why, "agent connection: %s",
		    strerror(EVUTIL_SOCKET_ERROR()));
	else
		return;
	ui_conn_process(0);	/* what arrived before the end still counts */
	ui_conn_lost(why);
}

/* Try to attach again after losing the agent. */
static void
ui_conn_retry_cb(int fd, short what, void *arg)
{
	struct timeval	 tv = { UI_RECONNECT_MS / 1000,
			     (UI_RECONNECT_MS % 1000) * 1000 };
	int		 nfd;

	if ((nfd = ui_conn_connect(ui_conf.socket_path)) == -1) {
		evtimer_add(ui_conn_ev_retry, &tv);
		return;
	}
	ui_conn_attach(nfd);
}

/* Tell every waiting callback that no reply will come. */
static void
ui_conn_fail_all(void)
{
	struct ui_conn_req	*req;
	struct ui_reply		 reply;

	while ((req = TAILQ_FIRST(&ui_conn_reqs)) != NULL) {
		TAILQ_REMOVE(&ui_conn_reqs, req, entry);
		ui_conn_npending--;
		memset(&reply, 0, sizeof reply);
		reply.code = UI_ERR_DETACHED;
		reply.message = "the connection to the agent was lost";
		if (req->cb != NULL)
			req->cb(&reply, req->arg);
		free(req);
	}
}

/* The agent went away: fail what waits, tell the session, retry later. */
static void
ui_conn_lost(const char *why)
{
	struct timeval	 tv = { UI_RECONNECT_MS / 1000,
			     (UI_RECONNECT_MS % 1000) * 1000 };

	if (ui_conn_bev == NULL)
		return;
	log_info("%s: %s", __func__, why);
	bufferevent_free(ui_conn_bev);
	ui_conn_bev = NULL;
	ui_conn_fail_all();
	session_detached(why);
	evtimer_add(ui_conn_ev_retry, &tv);
	screen_update();
}

/* Take over a connected socket and start the attach conversation. */
void
ui_conn_attach(int fd)
{
	if (ui_conn_ev_more == NULL) {
		ui_conn_ev_more = event_new(ui_base, -1, 0, ui_conn_more_cb,
		    NULL);
		ui_conn_ev_retry = evtimer_new(ui_base, ui_conn_retry_cb,
		    NULL);
	}
	evutil_make_socket_nonblocking(fd);
	if ((ui_conn_bev = bufferevent_socket_new(ui_base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		fatalx("bufferevent_socket_new failed");
	bufferevent_setcb(ui_conn_bev, ui_conn_read_cb, NULL,
	    ui_conn_event_cb, NULL);
	bufferevent_enable(ui_conn_bev, EV_READ|EV_WRITE);
	frame_reader_init(&ui_conn_reader, CS_API_FRAME_MAX);
	session_attached();
}

/* Detach at exit: waiting callbacks are told, then everything is freed. */
void
ui_conn_free(void)
{
	if (ui_conn_bev != NULL) {
		bufferevent_free(ui_conn_bev);
		ui_conn_bev = NULL;
	}
	ui_conn_fail_all();
	if (ui_conn_ev_more != NULL) {
		event_free(ui_conn_ev_more);
		event_free(ui_conn_ev_retry);
		ui_conn_ev_more = ui_conn_ev_retry = NULL;
	}
}
