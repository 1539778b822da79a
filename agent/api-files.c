/* chatsec — API methods: file_send, file_fetch, file_transfers, file_cancel.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "log.h"
#include "names.h"
#include "proto.h"
#include "rpc.h"
#include "sec.h"
#include "xmalloc.h"

#include "agent.h"

/*
 * The file methods check what the client gave (paths, the conversation,
 * the message) and hand the work to the transfer engine (files.c).  Paths
 * are the client's: the socket belongs to the same user, so the agent
 * reads and writes with that user's rights, and says plainly (1067) why a
 * path can't be used.
 */

#define API_FILES_TEXT_MAX	1024	/* bytes of a file's caption */

/* Describe errno for a path the user gave. */
static const char *
api_files_why(int error)
{
	switch (error) {
	case ENOENT:
	case ENOTDIR:
		return ("no such file or directory");
	case EACCES:
	case EPERM:
		return ("permission denied");
	case ELOOP:
		return ("too many symbolic links");
	case ENAMETOOLONG:
		return ("name too long");
	default:
		return (strerror(error));
	}
}

/* 0 if more transfers may start, else the request is answered (1068). */
static int
api_files_room(struct api_pending *p)
{
	if (files_count() < 8)
		return (0);
	api_error(p, CS_ERR_TRANSFERS, "too many transfers (8 at once): "
	    "wait for one to end or file_cancel one", NULL);
	return (-1);
}

/*
 * file_send: a readable regular file at an absolute path, to a room or a
 * user; answered at once with the transfer id, or when the file message
 * is posted if "wait".
 */
void
api_file_send(struct api_pending *p, struct json_object *params)
{
	const char		*to = rpc_get_str(params, "to", "");
	const char		*path = rpc_get_str(params, "path", "");
	const char		*name = rpc_get_str(params, "name", NULL);
	const char		*type = rpc_get_str(params, "type", NULL);
	const char		*text = rpc_get_str(params, "text", NULL);
	int			 wait = rpc_get_bool(params, "wait", 0);
	struct json_object	*r;
	struct stat		 sb;
	const char		*id;
	int			 fd;

	if (to[0] == '#' && name_room_check(to) != NULL) {
		api_errorf(p, CS_ERR_NO_SUCH_CONV, "no such conversation: %s",
		    to);
		return;
	}
	if (to[0] != '#' && name_user_check(to) != NULL) {
		api_error(p, CS_ERR_NO_SUCH_USER, "no such user", NULL);
		return;
	}
	if (text != NULL && strlen(text) > API_FILES_TEXT_MAX) {
		api_errorf(p, CS_ERR_PARAMS, "parameter text: too long (max "
		    "%d bytes)", API_FILES_TEXT_MAX);
		return;
	}
	if (path[0] != '/') {
		api_error(p, CS_ERR_PATH, "path must be absolute", NULL);
		return;
	}
	switch (keys_get_state()) {
	case KEYS_READY:
		break;
	case KEYS_LOCKED:
		api_error(p, CS_ERR_KEYS_LOCKED, keys_locked_why(), NULL);
		return;
	default:
		api_error(p, CS_ERR_KEYS_MISSING, "no keys on this agent: "
		    "keys_import them, or keys_reset", NULL);
		return;
	}
	if (api_files_room(p) != 0)
		return;
	/* O_NONBLOCK: opening a FIFO must not hang the agent. */
	if ((fd = open(path, O_RDONLY|O_CLOEXEC|O_NOCTTY|O_NONBLOCK)) == -1) {
		api_errorf(p, CS_ERR_PATH, "%s: %s", path,
		    api_files_why(errno));
		return;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		api_errorf(p, CS_ERR_PATH, "%s: not a regular file", path);
		return;
	}
	if (name == NULL) {
		name = strrchr(path, '/') + 1;
		if (*name == '\0') {
			close(fd);
			api_errorf(p, CS_ERR_PATH, "%s: not a regular file",
			    path);
			return;
		}
	}
	if (type == NULL)
		type = files_type_guess(name);
	if (!files_meta_fits(name, type, text)) {
		close(fd);
		api_error(p, CS_ERR_PARAMS, "name, type and text too long "
		    "together for a file message", NULL);
		return;
	}
	id = files_send(wait ? p : NULL, to, fd, (int64_t)sb.st_size, name,
	    type, text);
	if (wait)
		return;
	r = json_object_new_object();
	json_object_object_add(r, "transfer", json_object_new_string(id));
	json_object_object_add(r, "to", json_object_new_string(to));
	json_object_object_add(r, "name", json_object_new_string(name));
	json_object_object_add(r, "size", json_object_new_int64(sb.st_size));
	api_reply(p, r);
}

/*
 * file_fetch: the file of a file message this agent has seen, into an
 * existing folder it may write in; answered at once with the transfer
 * id, or when the file is saved if "wait".
 */
void
api_file_fetch(struct api_pending *p, struct json_object *params)
{
	int64_t			 msg_id = rpc_get_int(params, "id", 0);
	const char		*dir = rpc_get_str(params, "dir", "");
	int			 wait = rpc_get_bool(params, "wait", 0);
	struct json_object	*rec = NULL, *meta = NULL, *v, *r;
	struct stat		 sb;
	char			 key[32], tmp[PATH_MAX], why[64];
	char			 safe[FILES_NAME_MAX + 1];
	char			*s;
	const char		*id, *from = "";
	int			 fd;

	snprintf(key, sizeof key, "file:%lld", (long long)msg_id);
	if ((s = lstore_kv_get(key)) != NULL) {
		rec = json_tokener_parse(s);
		sec_wipe(s, strlen(s));
		free(s);
	}
	if (rec != NULL && json_object_object_get_ex(rec, "meta", &v))
		meta = msg_file_parse(json_object_get_string(v), why,
		    sizeof why);
	if (meta == NULL) {
		api_errorf(p, CS_ERR_NOT_FILE, "message %lld is not a file "
		    "message this agent has seen", (long long)msg_id);
		goto out;
	}
	if (json_object_object_get_ex(rec, "from", &v))
		from = json_object_get_string(v);
	if (dir[0] != '/') {
		api_error(p, CS_ERR_PATH, "dir must be an absolute path",
		    NULL);
		goto out;
	}
	if (stat(dir, &sb) != 0) {
		api_errorf(p, CS_ERR_PATH, "%s: %s", dir,
		    api_files_why(errno));
		goto out;
	}
	if (!S_ISDIR(sb.st_mode)) {
		api_errorf(p, CS_ERR_PATH, "%s: not a directory", dir);
		goto out;
	}
	if (access(dir, W_OK|X_OK) != 0) {
		api_errorf(p, CS_ERR_PATH, "%s: permission denied: can't "
		    "write in it", dir);
		goto out;
	}
	if (api_files_room(p) != 0)
		goto out;
	if ((fd = files_save_temp(dir, tmp, sizeof tmp)) == -1) {
		api_errorf(p, CS_ERR_PATH, "%s: %s", dir,
		    api_files_why(errno));
		goto out;
	}
	id = files_fetch(wait ? p : NULL, msg_id, meta, from, dir, fd, tmp);
	if (!wait) {
		r = json_object_new_object();
		json_object_object_add(r, "transfer",
		    json_object_new_string(id));
		json_object_object_get_ex(meta, "name", &v);
		files_name_sanitize(json_object_get_string(v), safe,
		    sizeof safe);
		json_object_object_add(r, "name",
		    json_object_new_string(safe));
		json_object_object_add(r, "size", json_object_object_get_ex(
		    meta, "size", &v) ? json_object_get(v) : NULL);
		api_reply(p, r);
	}
out:
	agent_wipe_json(meta);
	json_object_put(meta);
	agent_wipe_json(rec);
	json_object_put(rec);
}

/* file_transfers: the running transfers. */
void
api_file_transfers(struct api_pending *p, struct json_object *params)
{
	struct json_object	*r;

	r = json_object_new_object();
	json_object_object_add(r, "transfers", files_list());
	api_reply(p, r);
}

/* file_cancel: stop a transfer (its partial file goes). */
void
api_file_cancel(struct api_pending *p, struct json_object *params)
{
	const char		*id = rpc_get_str(params, "transfer", "");
	struct json_object	*r;

	if (files_cancel(id) != 0) {
		api_errorf(p, CS_ERR_NOT_FILE, "no such transfer: %s", id);
		return;
	}
	r = json_object_new_object();
	json_object_object_add(r, "transfer", json_object_new_string(id));
	json_object_object_add(r, "cancelled", json_object_new_boolean(1));
	api_reply(p, r);
}
