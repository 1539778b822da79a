/* chatsec — libchatsec-bot: synchronous calls on a connection of their own.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "frame.h"
#include "proto.h"
#include "rpc.h"

#include "chatsec-bot.h"
#include "bot-int.h"

/*
 * A blocking call: its own socket, one request, read lines (at most
 * CS_API_FRAME_MAX each) until the reply with our id, bounded by the
 * deadline.  It never touches the bot's loop, so it works before
 * chatsec_bot_start() and from plain programs.
 */

/* Connect a blocking Unix socket to path; fd or -1. */
static int
bot_sync_connect(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		return (-1);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Write all of buf before the deadline.  0 or an error. */
static int
bot_sync_write(int fd, const char *buf, size_t len, int64_t deadline)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLOUT };
	ssize_t		 n;
	int64_t		 left;

	while (len > 0) {
		if ((left = deadline - bot_now_ms()) <= 0)
			return (CHATSEC_BOT_E_TIMEOUT);
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
			return (CHATSEC_BOT_E_IO);
		n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return (CHATSEC_BOT_E_IO);
		}
		buf += n;
		len -= (size_t)n;
	}
	return (0);
}

int
chatsec_bot_call_sync(chatsec_bot *bot, const char *method,
    struct json_object *params, int timeout_ms, struct json_object **result,
    int *code, char *errbuf, size_t errlen)
{
	struct pollfd		 pfd;
	struct json_object	*req = NULL, *obj = NULL;
	struct rpc_resp		 r;
	char			*buf = NULL, *nl, err[128];
	const char		*line, *path;
	char			*defpath = NULL;
	size_t			 len = 0, cap = CS_API_FRAME_MAX + 2, linelen;
	ssize_t			 n;
	int64_t			 deadline, left;
	int			 fd = -1, rc;

	if (result != NULL)
		*result = NULL;
	if (code != NULL)
		*code = 0;
	if (errbuf != NULL && errlen > 0)
		*errbuf = '\0';
	if (method == NULL || (params != NULL &&
	    !json_object_is_type(params, json_type_object))) {
		json_object_put(params);
		return (CHATSEC_BOT_E_INVAL);
	}
	if (params == NULL)
		params = json_object_new_object();
	req = rpc_request(1, method, params);
	if (timeout_ms <= 0)
		timeout_ms = 30000;
	deadline = bot_now_ms() + timeout_ms;

	path = bot != NULL ? bot_socket_path(bot) : NULL;
	if (path == NULL && (path = defpath = bot_default_socket()) == NULL) {
		rc = CHATSEC_BOT_E_NOMEM;
		goto out;
	}
	if ((fd = bot_sync_connect(path)) == -1) {
		rc = CHATSEC_BOT_E_CONNECT;
		goto out;
	}
	line = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	if ((rc = bot_sync_write(fd, line, strlen(line), deadline)) != 0 ||
	    (rc = bot_sync_write(fd, "\n", 1, deadline)) != 0)
		goto out;
	if ((buf = malloc(cap)) == NULL) {
		rc = CHATSEC_BOT_E_NOMEM;
		goto out;
	}
	for (;;) {
		/* Take the complete lines we have; ours has id 1. */
		while ((nl = memchr(buf, '\n', len)) != NULL) {
			linelen = (size_t)(nl - buf);
			if (frame_parse(buf, linelen, &obj, err, sizeof err) ==
			    FRAME_OK && rpc_is_response(obj) &&
			    rpc_parse_response(obj, &r) == 0 && r.id != NULL &&
			    json_object_get_int64(r.id) == 1)
				goto answered;
			json_object_put(obj);
			obj = NULL;
			memmove(buf, nl + 1, len - linelen - 1);
			len -= linelen + 1;
		}
		if (len >= cap - 1) {
			rc = CHATSEC_BOT_E_PROTO;	/* line over the limit */
			goto out;
		}
		if ((left = deadline - bot_now_ms()) <= 0) {
			rc = CHATSEC_BOT_E_TIMEOUT;
			goto out;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR) {
			rc = CHATSEC_BOT_E_IO;
			goto out;
		}
		n = recv(fd, buf + len, cap - 1 - len, MSG_DONTWAIT);
		if (n == 0) {
			rc = CHATSEC_BOT_E_PROTO;	/* closed, no answer */
			goto out;
		}
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			rc = CHATSEC_BOT_E_IO;
			goto out;
		}
		len += (size_t)n;
	}
answered:
	if (r.result != NULL) {
		if (result != NULL)
			*result = json_object_get(r.result);
		rc = 0;
	} else {
		if (code != NULL)
			*code = r.code;
		if (errbuf != NULL && errlen > 0)
			snprintf(errbuf, errlen, "%s", r.message != NULL ?
			    r.message : "");
		rc = CHATSEC_BOT_E_RPC;
	}
out:
	json_object_put(obj);
	json_object_put(req);
	free(buf);
	free(defpath);
	if (fd != -1)
		close(fd);
	return (rc);
}
