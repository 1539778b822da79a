/* chatsec — chatsec-agent: unattended log-in again from a credentials file.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "base32.h"
#include "fsutil.h"
#include "log.h"
#include "proto.h"
#include "sec.h"
#include "totp.h"
#include "xmalloc.h"

#include "agent.h"

/*
 * With --unattended the agent logs in by itself whenever it is connected
 * and has no session: on first start of a fresh profile, and after the
 * server expired or revoked the session (resume answered 1012).  The
 * password and TOTP secret come from a credentials file (mode 0600, ours,
 * not a symlink), read again for each attempt and wiped after it, so a
 * rotated password is picked up and removing the file stops the agent
 * from logging in.  Whoever can read that file is the bot: that is the
 * trade-off doc/bots.md spells out.
 *
 * Codes: each attempt uses a TOTP step above the last one it used (kept
 * in the profile) and inside the server's window, so the agent never
 * replays a code.  A wrong answer is retried once at the next step (a
 * person may have used the current code), then with a growing delay of
 * 30 s to 15 min, so a bad file cannot lock the account.
 */

#define RELOGIN_FILE_MAX	4096
#define RELOGIN_BACKOFF_MIN	30	/* seconds */
#define RELOGIN_BACKOFF_MAX	900
#define RELOGIN_FILE_RETRY	60	/* a bad file: look again then */

struct relogin_creds {
	char		 user[128];
	char		 password[1100];
	uint8_t		 key[64];
	size_t		 keylen;
};

static struct {
	char		*path;
	struct event	*timer;
	int		 inflight;
	int		 fails;
	int64_t		 last_step;
} rl;

static void	relogin_attempt(void);

static void
relogin_creds_wipe(struct relogin_creds *c)
{
	sec_wipe(c, sizeof *c);
}

/*
 * Read and check the credentials file: a regular file of ours, mode 0600
 * or stricter, with lines "user = NAME", "password = WORDS" and
 * "totp_secret = BASE32" ('#' starts a comment line).  0, or -1 with why
 * filled.
 */
static int
relogin_load(struct relogin_creds *c, char *why, size_t whylen)
{
	struct stat	 st;
	char		 buf[RELOGIN_FILE_MAX + 1], *line, *next, *eq, *k, *v;
	char		*end;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd, rc = -1, have = 0, r;

	memset(c, 0, sizeof *c);
	if ((fd = open(rl.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "%s: %s", rl.path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s: not a regular file", rl.path);
		goto out;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		snprintf(why, whylen, "%s: must be owned by us and mode 0600 "
		    "(it holds the password)", rl.path);
		goto out;
	}
	while (len < sizeof buf - 1 &&
	    (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	if (len >= sizeof buf - 1) {
		snprintf(why, whylen, "%s: larger than %d bytes", rl.path,
		    RELOGIN_FILE_MAX);
		goto out;
	}
	buf[len] = '\0';
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '#' || *line == '\0')
			continue;
		if ((eq = strchr(line, '=')) == NULL) {
			snprintf(why, whylen, "%s: a line without '='",
			    rl.path);
			goto out;
		}
		for (end = eq; end > line && (end[-1] == ' ' ||
		    end[-1] == '\t'); end--)
			;
		*end = '\0';
		k = line;
		for (v = eq + 1; *v == ' ' || *v == '\t'; v++)
			;
		if ((end = strchr(v, '\r')) != NULL)
			*end = '\0';
		if (strcmp(k, "user") == 0) {
			r = snprintf(c->user, sizeof c->user, "%s", v);
			if (r < 1 || (size_t)r >= sizeof c->user)
				goto badval;
			have |= 1;
		} else if (strcmp(k, "password") == 0) {
			r = snprintf(c->password, sizeof c->password, "%s", v);
			if (r < 1 || (size_t)r >= sizeof c->password)
				goto badval;
			have |= 2;
		} else if (strcmp(k, "totp_secret") == 0) {
			r = base32_decode(v, c->key, sizeof c->key);
			if (r < 10)
				goto badval;
			c->keylen = (size_t)r;
			have |= 4;
		} else {
			snprintf(why, whylen, "%s: unknown key '%s'", rl.path,
			    log_safe(k));
			goto out;
		}
		continue;
badval:
		snprintf(why, whylen, "%s: bad value for %.32s", rl.path, k);
		goto out;
	}
	if (have != 7) {
		snprintf(why, whylen, "%s: needs user, password and "
		    "totp_secret", rl.path);
		goto out;
	}
	rc = 0;
out:
	sec_wipe(buf, sizeof buf);
	close(fd);
	if (rc != 0)
		relogin_creds_wipe(c);
	return (rc);
}

/*
 * With --unattended: find and check the credentials file now, so a
 * mistake stops the agent at start-up with a clear message.
 */
void
relogin_init(void)
{
	struct relogin_creds	 c;
	char			 why[512];
	const char		*f = agent_conf.credentials;

	if (!agent_conf.unattended) {
		if (f != NULL)
			fatalx("--credentials needs --unattended");
		return;
	}
	if (f == NULL)
		xasprintf(&rl.path, "%s/credentials", agent_conf.profile_dir);
	else if (*f == '/')
		rl.path = xstrdup(f);
	else
		xasprintf(&rl.path, "%s/%s", agent_conf.profile_dir, f);
	if (relogin_load(&c, why, sizeof why) != 0)
		fatalx("--unattended: %s", why);
	relogin_creds_wipe(&c);
	rl.last_step = lstore_kv_get_int("relogin_step", 0);
	log_info("%s: unattended: will log in as needed with %s", __func__,
	    rl.path);
}

void
relogin_free(void)
{
	if (rl.timer != NULL)
		event_free(rl.timer);
	free(rl.path);
	memset(&rl, 0, sizeof rl);
}

static void
relogin_timer_cb(int fd, short what, void *arg)
{
	relogin_attempt();
}

/* Try again in secs seconds (0: from the loop, right after this). */
static void
relogin_schedule(int secs)
{
	struct timeval	 tv = { secs, 0 };

	if (rl.timer == NULL)
		rl.timer = evtimer_new(agent_base, relogin_timer_cb, NULL);
	evtimer_del(rl.timer);
	evtimer_add(rl.timer, &tv);
}

/*
 * The link became ready.  Check from the loop, once the transition is
 * over: a refused resume ends the session just after entering ready.
 */
void
relogin_link_ready(void)
{
	if (!agent_conf.unattended || rl.inflight)
		return;
	if (rl.timer != NULL && evtimer_pending(rl.timer, NULL))
		return;		/* already waiting for the next try */
	relogin_schedule(0);
}

static const char *
relogin_str(struct json_object *obj, const char *name)
{
	struct json_object	*v;

	if (obj == NULL || !json_object_object_get_ex(obj, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

/* The server answered our login. */
static void
relogin_answer_cb(void *arg, int code, const char *message,
    struct json_object *result, struct json_object *data)
{
	struct json_object	*v;
	const char		*user, *token;
	int			 delay;

	rl.inflight = 0;
	if (code == 0) {
		user = relogin_str(result, "user");
		token = relogin_str(result, "token");
		if (user == NULL || token == NULL) {
			log_warnx("%s: the server's answer has no user or "
			    "token", __func__);
			relogin_schedule(RELOGIN_BACKOFF_MIN);
			return;
		}
		rl.fails = 0;
		log_info("%s: logged in again as %s without a person "
		    "(--unattended)", __func__, log_safe(user));
		link_session_begin(user, token, json_object_object_get_ex(
		    result, "admin", &v) && json_object_get_boolean(v));
		return;
	}
	if (code == CS_ERR_NOT_CONNECTED)
		return;		/* tried again when the link is ready */
	log_warnx("%s: unattended login refused: %s", __func__,
	    log_safe(message));
	if (code == CS_ERR_RATE_LIMITED) {
		delay = RELOGIN_BACKOFF_MIN;
		if (data != NULL && json_object_object_get_ex(data,
		    "retry_after", &v) && json_object_get_int(v) > 0)
			delay = json_object_get_int(v) + 1;
	} else if (code == CS_ERR_AUTH_FAILED && ++rl.fails == 1)
		delay = 0;	/* the code may have been used: next step */
	else if (code == CS_ERR_AUTH_FAILED) {
		delay = RELOGIN_BACKOFF_MIN << (rl.fails > 6 ? 5 :
		    rl.fails - 2);
		if (delay > RELOGIN_BACKOFF_MAX)
			delay = RELOGIN_BACKOFF_MAX;
	} else
		delay = 5;	/* busy, or not valid now */
	relogin_schedule(delay);
}

/* Log in if connected without a session, with a code not used before. */
static void
relogin_attempt(void)
{
	struct relogin_creds	 c;
	struct json_object	*p;
	char			 why[512], code[24];
	int64_t			 now, cur, step, v;

	if (rl.inflight || link_get_state() != LINK_READY ||
	    link_logged_in() || link_reg_pending())
		return;
	if (relogin_load(&c, why, sizeof why) != 0) {
		log_warnx("%s: cannot log in unattended: %s", __func__, why);
		relogin_schedule(RELOGIN_FILE_RETRY);
		return;
	}
	now = time(NULL);
	cur = totp_step(now);
	step = rl.last_step + 1 > cur ? rl.last_step + 1 : cur;
	if (step > cur + TOTP_WINDOW) {
		/* Wait until that step is inside the server's window. */
		relogin_creds_wipe(&c);
		relogin_schedule((int)((step - TOTP_WINDOW) * TOTP_STEP -
		    now) + 1);
		return;
	}
	v = totp_code(c.key, c.keylen, step, TOTP_SHA1, TOTP_DIGITS);
	if (v < 0) {
		relogin_creds_wipe(&c);
		relogin_schedule(RELOGIN_FILE_RETRY);
		return;
	}
	snprintf(code, sizeof code, "%06lld", (long long)v);
	rl.last_step = step;
	lstore_kv_set_int("relogin_step", step);

	p = json_object_new_object();
	json_object_object_add(p, "user", json_object_new_string(c.user));
	json_object_object_add(p, "password",
	    json_object_new_string(c.password));
	json_object_object_add(p, "code", json_object_new_string(code));
	relogin_creds_wipe(&c);
	sec_wipe(code, sizeof code);
	log_info("%s: logging in unattended", __func__);
	rl.inflight = 1;
	/* link_request wipes the login params once written. */
	if (link_request("login", p, AGENT_REQ_TIMEOUT, relogin_answer_cb,
	    NULL, NULL) != 0) {
		rl.inflight = 0;
		relogin_schedule(5);
	}
}

/*
 * The credentials file's password (for keys.c: an unattended agent opens
 * its key file with it, the explicit opt-out of doc/crypto.md).  0 with
 * buf filled, or -1.
 */
int
relogin_password(char *buf, size_t len)
{
	struct relogin_creds	 c;
	char			 why[512];
	int			 r;

	if (rl.path == NULL || relogin_load(&c, why, sizeof why) != 0)
		return (-1);
	r = snprintf(buf, len, "%s", c.password);
	relogin_creds_wipe(&c);
	return (r > 0 && (size_t)r < len ? 0 : -1);
}

/*
 * Whether pw can be the value of the credentials file's password line as
 * relogin_load() reads it back: one line, no leading blank, no CR.
 */
int
relogin_password_storable(const char *pw)
{
	size_t	 len = strlen(pw);

	if (len == 0 || len >= sizeof ((struct relogin_creds *)NULL)->password)
		return (0);
	if (pw[0] == ' ' || pw[0] == '\t' || strpbrk(pw, "\r\n") != NULL)
		return (0);
	return (1);
}

/* Whether line (NUL-terminated, no newline) is a "password = ..." line. */
static int
relogin_is_password_line(const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, "password", 8) != 0)
		return (0);
	line += 8;
	while (*line == ' ' || *line == '\t')
		line++;
	return (*line == '=');
}

/*
 * The password changed: put pw in the credentials file's password line(s),
 * keeping every other line and the file's mode, and replace the file
 * atomically.  0, or -1 with the reason logged.
 */
int
relogin_set_password(const char *pw)
{
	struct stat	 st;
	char		 buf[RELOGIN_FILE_MAX + 1], *out = NULL, *line, *next;
	size_t		 len = 0, outlen = 0, cap = 0, pwlen = strlen(pw), n;
	ssize_t		 r;
	int		 fd, rc = -1, replaced = 0;

	if (rl.path == NULL || !relogin_password_storable(pw))
		return (-1);
	if ((fd = open(rl.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		log_warn("%s: %s", __func__, rl.path);
		return (-1);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		log_warnx("%s: %s: not a private regular file of ours",
		    __func__, rl.path);
		goto out;
	}
	while (len < sizeof buf - 1 &&
	    (r = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)r;
	if (len >= sizeof buf - 1)
		goto toobig;
	buf[len] = '\0';

	/* Each line is copied or replaced; the result must still load. */
	cap = RELOGIN_FILE_MAX + 1;
	out = xmalloc(cap);
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (relogin_is_password_line(line)) {
			n = sizeof "password = " - 1 + pwlen + 1;
			if (outlen + n > cap)
				goto toobig;
			memcpy(out + outlen, "password = ", 11);
			memcpy(out + outlen + 11, pw, pwlen);
			out[outlen + n - 1] = '\n';
			replaced = 1;
		} else {
			n = strlen(line) + (next != NULL);
			if (outlen + n > cap)
				goto toobig;
			memcpy(out + outlen, line, n - (next != NULL));
			if (next != NULL)
				out[outlen + n - 1] = '\n';
		}
		outlen += n;
	}
	if (!replaced || outlen > RELOGIN_FILE_MAX)
		goto toobig;
	if (fs_write_atomic_mode(rl.path, out, outlen, st.st_mode & 0777) !=
	    0) {
		log_warn("%s: %s", __func__, rl.path);
		goto out;
	}
	log_info("%s: %s: password updated", __func__, rl.path);
	rc = 0;
	goto out;
toobig:
	log_warnx("%s: %s: cannot rewrite its password line", __func__,
	    rl.path);
out:
	close(fd);
	sec_wipe(buf, sizeof buf);
	if (out != NULL) {
		sec_wipe(out, cap);
		free(out);
	}
	return (rc);
}
