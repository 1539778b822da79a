/* chatsec — chatsec-agent: identity keys, pins, sealing and opening.  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fsutil.h"
#include "log.h"
#include "names.h"
#include "proto.h"
#include "rpc.h"
#include "sec.h"
#include "utf8.h"
#include "xmalloc.h"

#include "agent.h"
#include "crypto.h"

/*
 * The agent's side of end-to-end encryption (doc/crypto.md): the identity
 * and its key file, peers' pinned keys, the key API methods, and the two
 * operations the message path needs, sealing a text for a conversation
 * (outbox.c) and opening an envelope from the server (msg.c).  The
 * primitives are crypto.c's; this file holds the policy.
 *
 * The identity is loaded with the account password given to login or
 * register (held in memory only until the key file is open), with the
 * credentials file's password for an --unattended agent, or by
 * keys_unlock after a restart that resumed a session without a password.
 *
 * A password change re-seals the key file under the new password.  An
 * agent of the same account elsewhere is cut off by it; when it logs in
 * with the new password its key file is still sealed with the old one, so
 * the password of that login is held (reseal_pw, in sodium_malloc memory)
 * until keys_unlock opens the file with the earlier password and re-seals
 * it under the held one, or the session ends.
 *
 * Pins live in the local store's kv table as "pin:<folded user>", one JSON
 * object each: the current bundle (base64 of ccrypto_pub_encode), its
 * since_id, first_seen, verified, changed, and the retired bundles with
 * the since_id mark up to which they still verify.
 */

#define KEYS_FILE	"identity"
#define KEYS_RETIRED_MAX 16	/* old bundles kept per peer */

static struct {
	struct ccrypto_identity	*id;
	enum keys_state		 state;
	char			*path;
	char			*session_path;	/* PROFILE/identity.session */
	char			*unlock_path;	/* SOCKET.keys, in the runtime dir */
	char			*user;		/* folded; of the session */
	char			*pw;		/* held until the key file opens */
	size_t			 pwlen;
	char			*reseal_pw;	/* sodium_malloc'd: see above */
	int			 create;	/* register: make a new identity */
	int			 plaintext;	/* the file is the opt-out kind */
	struct json_object	*fetched;	/* users fetched this session */
	struct json_object	*unknown;	/* users the server doesn't know */
	struct ccrypto_pub	*lookup;	/* last lookup result (owned) */
} keys;

static const char *keys_state_names[] = {
	[KEYS_NONE] = "none",
	[KEYS_READY] = "ready",
	[KEYS_LOCKED] = "locked",
	[KEYS_MISSING] = "missing",
};

static void	keys_self_check(void);

/* Set up the key file path from the profile. */
void
keys_init(void)
{
	xasprintf(&keys.path, "%s/%s", agent_conf.profile_dir, KEYS_FILE);
	xasprintf(&keys.session_path, "%s/%s.session", agent_conf.profile_dir,
	    KEYS_FILE);
	xasprintf(&keys.unlock_path, "%s.keys", agent_conf.socket_path);
	keys.fetched = json_object_new_object();
	keys.unknown = json_object_new_object();
}

/* Wipe the held password. */
static void
keys_pw_forget(void)
{
	if (keys.pw != NULL) {
		sec_wipe(keys.pw, keys.pwlen);
		free(keys.pw);
	}
	keys.pw = NULL;
	keys.pwlen = 0;
	keys.create = 0;
}

/* Wipe the password a key file sealed with an earlier one waits for. */
static void
keys_reseal_forget(void)
{
	ccrypto_secret_str_free(keys.reseal_pw);
	keys.reseal_pw = NULL;
}

/* Hold pw (copied to locked memory) to re-seal the key file under. */
static void
keys_reseal_hold(const char *pw, size_t pwlen)
{
	keys_reseal_forget();
	if ((keys.reseal_pw = ccrypto_secret_str(pw, pwlen)) == NULL)
		log_warnx("%s: no locked memory for the password: the key "
		    "file will not be re-sealed", __func__);
}

/* Forget the identity (wiped by crypto.c). */
static void
keys_drop(void)
{
	ccrypto_identity_free(keys.id);
	keys.id = NULL;
	keys.state = KEYS_NONE;
	keys.plaintext = 0;
}

void
keys_free(void)
{
	keys_pw_forget();
	keys_reseal_forget();
	keys_drop();
	ccrypto_pub_free(keys.lookup);
	json_object_put(keys.fetched);
	json_object_put(keys.unknown);
	free(keys.path);
	free(keys.session_path);
	free(keys.unlock_path);
	free(keys.user);
	memset(&keys, 0, sizeof keys);
}

/*
 * Hold the password of a login or register under way (copied; wiped once
 * the key file is open or the attempt failed).  create: the account is
 * new, make its identity when the session begins.
 */
void
keys_hold_password(const char *pw, int create)
{
	keys_pw_forget();
	keys.pwlen = strlen(pw);
	keys.pw = xmalloc(keys.pwlen + 1);
	memcpy(keys.pw, pw, keys.pwlen + 1);
	keys.create = create;
}

void
keys_forget_password(void)
{
	keys_pw_forget();
}

/* The argon2id cost for saving: CHATSEC_KEYFILE_KDF=interactive is cheaper. */
static int
keys_kdf_flags(void)
{
	const char	*e = getenv("CHATSEC_KEYFILE_KDF");

	return (e != NULL && strcmp(e, "interactive") == 0 ?
	    CCRYPTO_KF_FAST : 0);
}

/* Save the identity under pw (or in clear for the opt-out). */
static int
keys_save(const char *pw, size_t pwlen)
{
	int	 rc;

	rc = ccrypto_keyfile_save(keys.id, keys.path, pw, pwlen,
	    keys_kdf_flags() | (pw == NULL ? CCRYPTO_KF_PLAINTEXT : 0));
	if (rc != 0)
		log_warnx("%s: %s: %s", __func__, keys.path,
		    ccrypto_strerror(rc));
	return (rc);
}

/*
 * Session unlock (doc/crypto.md, "Key file"): once the identity is open,
 * a copy is saved as PROFILE/identity.session encrypted under a random
 * 256-bit key that is kept only in the runtime directory next to the API
 * socket (tmpfs on most systems: gone at reboot or logout of the OS
 * session).  An agent restarted in the same OS session opens its keys
 * with it, without asking for the password again; a disk taken from a
 * powered-off machine holds only password-encrypted keys.  Logging out
 * of chatsec removes both.
 */
static void
keys_session_save(void)
{
	uint8_t	 k[32];
	char	 hex[2 * sizeof k + 1];
	int	 rc;

	if (keys.id == NULL || keys.plaintext)
		return;
	sec_random(k, sizeof k);
	sec_hex(k, sizeof k, hex);
	sec_wipe(k, sizeof k);
	rc = ccrypto_keyfile_save(keys.id, keys.session_path, hex,
	    strlen(hex), CCRYPTO_KF_FAST);
	if (rc == 0 && fs_write_atomic(keys.unlock_path, hex,
	    strlen(hex)) != 0) {
		log_warn("%s: %s", __func__, keys.unlock_path);
		unlink(keys.session_path);
	} else if (rc != 0)
		log_warnx("%s: %s: %s", __func__, keys.session_path,
		    ccrypto_strerror(rc));
	sec_wipe(hex, sizeof hex);
}

/* Forget the session unlock (logout, or it no longer opens). */
static void
keys_session_forget(void)
{
	unlink(keys.session_path);
	unlink(keys.unlock_path);
}

/* Open the identity with the session unlock; 0 if it did. */
static int
keys_session_load(void)
{
	struct ccrypto_identity	*id = NULL;
	struct stat		 st;
	char			*hex = NULL;
	size_t			 len;
	int			 rc, flags;

	if (lstat(keys.unlock_path, &st) != 0)
		return (-1);
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0 ||
	    fs_read_file(keys.unlock_path, 128, &hex, &len) != 0) {
		keys_session_forget();
		return (-1);
	}
	rc = ccrypto_keyfile_load(keys.session_path, hex, len, &id, &flags);
	sec_wipe(hex, len);
	free(hex);
	if (rc != 0 || (keys.user != NULL &&
	    strcmp(ccrypto_identity_user(id), keys.user) != 0)) {
		ccrypto_identity_free(id);
		keys_session_forget();
		return (-1);
	}
	ccrypto_identity_free(keys.id);
	keys.id = id;
	keys.state = KEYS_READY;
	keys.plaintext = 0;
	log_info("%s: keys opened with the session unlock", __func__);
	return (0);
}

/*
 * Try to open the key file with pw (NULL: none).  Sets the state: ready,
 * locked (encrypted, no or wrong password) or missing (no file, or the
 * file is another account's).  Returns the ccrypto error.
 */
static int
keys_load(const char *pw, size_t pwlen)
{
	struct ccrypto_identity	*id = NULL;
	int			 rc, flags = 0;

	if (pw == NULL && keys_session_load() == 0)
		return (0);
	rc = ccrypto_keyfile_load(keys.path, pw, pwlen, &id, &flags);
	if (rc == CCRYPTO_ERR_IO && errno == ENOENT) {
		keys.state = KEYS_MISSING;
		return (rc);
	}
	if (rc == CCRYPTO_ERR_LOCKED || rc == CCRYPTO_ERR_PASSWORD) {
		keys.state = KEYS_LOCKED;
		return (rc);
	}
	if (rc != 0) {
		log_warnx("%s: %s: %s", __func__, keys.path,
		    ccrypto_strerror(rc));
		keys.state = KEYS_MISSING;
		return (rc);
	}
	if (keys.user != NULL &&
	    strcmp(ccrypto_identity_user(id), keys.user) != 0) {
		log_warnx("%s: %s holds the keys of %s, not of %s", __func__,
		    keys.path, log_safe(ccrypto_identity_user(id)),
		    log_safe(keys.user));
		ccrypto_identity_free(id);
		keys.state = KEYS_MISSING;
		return (CCRYPTO_ERR_INVALID);
	}
	ccrypto_identity_free(keys.id);
	keys.id = id;
	keys.state = KEYS_READY;
	keys.plaintext = (flags & CCRYPTO_KF_PLAINTEXT) != 0;
	keys_session_save();
	if (keys.plaintext)
		log_warnx("%s: the key file is not encrypted (unprotected "
		    "opt-out)", __func__);
	return (0);
}

/* Make a new identity for the session's user and save it under pw. */
static int
keys_create(const char *pw, size_t pwlen)
{
	struct ccrypto_identity	*id;
	int			 rc;

	if ((rc = ccrypto_identity_new(keys.user, &id)) != 0) {
		log_warnx("%s: %s", __func__, ccrypto_strerror(rc));
		return (rc);
	}
	ccrypto_identity_free(keys.id);
	keys.id = id;
	if ((rc = keys_save(pw, pwlen)) != 0) {
		keys_drop();
		keys.state = KEYS_MISSING;
		return (rc);
	}
	keys.state = KEYS_READY;
	keys.plaintext = pw == NULL;
	keys_session_save();
	log_info("%s: new identity for %s", __func__, log_safe(keys.user));
	return (0);
}

/*
 * The password an unattended agent uses: the credentials file's (the
 * explicit opt-out of doc/crypto.md: whoever reads that file is the bot).
 * Returns an owned copy or NULL.
 */
static char *
keys_unattended_pw(void)
{
	char	 buf[1100];
	char	*pw;

	if (!agent_conf.unattended || relogin_password(buf, sizeof buf) != 0)
		return (NULL);
	pw = xstrdup(buf);
	sec_wipe(buf, sizeof buf);
	return (pw);
}

/*
 * A session began for user (login, register, unattended login): open or
 * make the identity with the held password.  Called before the first
 * sync, so messages open as they arrive.
 */
void
keys_session_begin(const char *user)
{
	char	 folded[NAME_USER_MAX + 1];
	char	*upw = NULL;
	int	 rc = 0;

	name_fold(user, folded, sizeof folded);
	if (keys.user == NULL || strcmp(keys.user, folded) != 0) {
		keys_drop();
		free(keys.user);
		keys.user = xstrdup(folded);
		json_object_put(keys.fetched);
		keys.fetched = json_object_new_object();
	}
	if (keys.pw == NULL && (upw = keys_unattended_pw()) != NULL)
		keys_hold_password(upw, 0);
	if (upw != NULL) {
		sec_wipe(upw, strlen(upw));
		free(upw);
	}
	if (keys.create && keys.pw != NULL)
		keys_create(keys.pw, keys.pwlen);
	else if (keys.state != KEYS_READY)
		rc = keys_load(keys.pw, keys.pwlen);
	/*
	 * The server took this password but the key file does not open with
	 * it: the password was changed on another agent.  Keep it for the
	 * re-seal once keys_unlock gives the earlier one.
	 */
	if (rc == CCRYPTO_ERR_PASSWORD && keys.pw != NULL) {
		keys_reseal_hold(keys.pw, keys.pwlen);
		log_warnx("%s: the key file is sealed with an earlier "
		    "password: keys_unlock with that one re-seals it",
		    __func__);
	}
	/* Keep the password only if it may still make the identity. */
	if (keys.state == KEYS_READY || keys.state == KEYS_LOCKED)
		keys_pw_forget();
}

/* The session ended: forget the identity. */
void
keys_session_end(void)
{
	keys_pw_forget();
	keys_reseal_forget();
	keys_drop();
	keys_session_forget();
}

/*
 * The state, loading lazily after a restart: with a session token and no
 * password, an encrypted key file stays locked (an unattended agent opens
 * it with its credentials file).
 */
enum keys_state
keys_get_state(void)
{
	const char	*u;

	if (!link_logged_in())
		return (KEYS_NONE);
	if (keys.state == KEYS_NONE && (u = link_user()) != NULL)
		keys_session_begin(u);
	return (keys.state);
}

/*
 * Why the keys are locked, as the sentence of a 1040 error: the key file
 * may be sealed with the account password or with an earlier one.
 */
const char *
keys_locked_why(void)
{
	if (keys.reseal_pw != NULL)
		return ("keys locked: the key file is sealed with an earlier "
		    "password of this account (changed on another agent): "
		    "call keys_unlock with that password to re-seal it under "
		    "the current one");
	return ("keys locked: call keys_unlock with the account password");
}

/* A note on the keys' state for status, or NULL. */
const char *
keys_state_detail(void)
{
	if (keys_get_state() == KEYS_LOCKED && keys.reseal_pw != NULL)
		return ("the key file is sealed with an earlier password of "
		    "this account: keys_unlock with that password re-seals it "
		    "under the current one");
	return (NULL);
}

/*
 * The account password changed from old to new (the server said yes):
 * re-seal the key file under new, opening it with old first if it was
 * locked.  A file sealed with a password older than old waits for
 * keys_unlock, to be re-sealed under new.  Returns 1 if the file was
 * re-sealed.
 */
int
keys_password_changed(const char *old, size_t oldlen, const char *new,
    size_t newlen)
{
	enum keys_state	 st = keys_get_state();
	int		 rc, opened = 0;

	if (st == KEYS_LOCKED && keys.reseal_pw == NULL) {
		if ((rc = keys_load(old, oldlen)) == 0)
			opened = 1;
		else if (rc != CCRYPTO_ERR_PASSWORD)
			return (0);
	}
	if (keys.state == KEYS_LOCKED) {
		keys_reseal_hold(new, newlen);
		return (0);
	}
	if (keys.state != KEYS_READY || keys.plaintext ||
	    keys_save(new, newlen) != 0)
		return (0);
	log_info("%s: key file re-sealed under the new password", __func__);
	if (opened) {
		keys_self_check();
		msg_keys_ready();
	}
	return (1);
}

const char *
keys_state_name(void)
{
	enum keys_state	 st = keys_get_state();

	if (st == KEYS_READY && keys.plaintext)
		return ("unprotected");
	if (st == KEYS_READY && agent_conf.unattended)
		return ("unattended");
	return (keys_state_names[st]);
}

/* ---- pins ------------------------------------------------------------- */

/* The pin record of a folded user (owned), or NULL. */
static struct json_object *
keys_pin_read(const char *folded)
{
	struct json_object	*o;
	char			 k[8 + NAME_USER_MAX + 1];
	char			*v;

	snprintf(k, sizeof k, "pin:%s", folded);
	if ((v = lstore_kv_get(k)) == NULL)
		return (NULL);
	o = json_tokener_parse(v);
	free(v);
	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return (o);
}

static void
keys_pin_write(const char *folded, struct json_object *o)
{
	char	 k[8 + NAME_USER_MAX + 1];

	snprintf(k, sizeof k, "pin:%s", folded);
	lstore_kv_set(k, json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
}

static const char *
keys_jstr(struct json_object *o, const char *name)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

static int64_t
keys_jint(struct json_object *o, const char *name)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, name, &v))
		return (0);
	return (json_object_get_int64(v));
}

static int
keys_jbool(struct json_object *o, const char *name)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, name, &v))
		return (0);
	return (json_object_get_boolean(v));
}

/* A bundle from its base64 encoding (verified by crypto.c), or NULL. */
static struct ccrypto_pub *
keys_pub_b64(const char *s)
{
	struct ccrypto_pub	*pub = NULL;
	uint8_t			 buf[CCRYPTO_PUB_ENC_MAX + 8];
	int			 n;

	if (s == NULL)
		return (NULL);
	n = sec_b64_decode(s, strlen(s), buf, sizeof buf);
	if (n < 0 || ccrypto_pub_decode(buf, (size_t)n, &pub) != 0)
		return (NULL);
	return (pub);
}

/* The base64 encoding of a bundle into out. */
static void
keys_pub_to_b64(const struct ccrypto_pub *pub, char *out, size_t outlen)
{
	uint8_t	 buf[CCRYPTO_PUB_ENC_MAX];
	int	 n;

	n = ccrypto_pub_encode(pub, buf, sizeof buf);
	sec_b64_encode(buf, n > 0 ? (size_t)n : 0, out, outlen);
}

/* The fingerprint string of a bundle. */
static void
keys_fpr(const struct ccrypto_pub *pub, char *out, size_t outlen)
{
	ccrypto_fingerprint_str(ccrypto_pub_fingerprint(pub), out, outlen);
}

/* The current pinned bundle of a folded user (owned), or NULL. */
static struct ccrypto_pub *
keys_pin_current(const char *folded)
{
	struct json_object	*o;
	struct ccrypto_pub	*pub;

	if ((o = keys_pin_read(folded)) == NULL)
		return (NULL);
	pub = keys_pub_b64(keys_jstr(o, "cur"));
	json_object_put(o);
	return (pub);
}

/*
 * Offer a bundle the server served for user (display form): pin it on
 * first sight; if it differs from the current pin, retire the old one,
 * pin the new one and emit key_change.  Own keys are not pinned.
 */
static void
keys_pin_offer(const char *user, const struct ccrypto_pub *pub,
    int64_t since_id)
{
	struct json_object	*o, *old, *ev, *r;
	struct ccrypto_pub	*cur;
	const char		*folded = ccrypto_pub_user(pub);
	char			 b64[2 * CCRYPTO_PUB_ENC_MAX];
	char			 f1[CCRYPTO_FPR_STRLEN], f2[CCRYPTO_FPR_STRLEN];
	int			 was_verified;

	keys_pub_to_b64(pub, b64, sizeof b64);
	if ((o = keys_pin_read(folded)) == NULL) {
		o = json_object_new_object();
		json_object_object_add(o, "user", json_object_new_string(user));
		json_object_object_add(o, "cur", json_object_new_string(b64));
		json_object_object_add(o, "since_id",
		    json_object_new_int64(since_id));
		json_object_object_add(o, "first_seen",
		    json_object_new_int64(time(NULL)));
		json_object_object_add(o, "verified",
		    json_object_new_boolean(0));
		json_object_object_add(o, "changed",
		    json_object_new_boolean(0));
		json_object_object_add(o, "old", json_object_new_array());
		keys_pin_write(folded, o);
		json_object_put(o);
		log_info("%s: pinned the keys of %s on first sight", __func__,
		    log_safe(user));
		return;
	}
	cur = keys_pub_b64(keys_jstr(o, "cur"));
	if (cur != NULL && ccrypto_pub_equal(cur, pub)) {
		ccrypto_pub_free(cur);
		json_object_put(o);
		return;
	}
	/* A change: retire the old bundle, valid up to the new since_id. */
	was_verified = keys_jbool(o, "verified");
	if (!json_object_object_get_ex(o, "old", &old) ||
	    !json_object_is_type(old, json_type_array)) {
		old = json_object_new_array();
		json_object_object_add(o, "old", old);
	}
	if (cur != NULL) {
		r = json_object_new_object();
		json_object_object_add(r, "pub",
		    json_object_new_string(keys_jstr(o, "cur")));
		json_object_object_add(r, "until",
		    json_object_new_int64(since_id));
		json_object_array_add(old, r);
		if (json_object_array_length(old) > KEYS_RETIRED_MAX)
			json_object_array_del_idx(old, 0, 1);
	}
	json_object_object_add(o, "cur", json_object_new_string(b64));
	json_object_object_add(o, "since_id", json_object_new_int64(since_id));
	json_object_object_add(o, "verified", json_object_new_boolean(0));
	json_object_object_add(o, "changed", json_object_new_boolean(1));
	json_object_object_add(o, "blocked",
	    json_object_new_boolean(was_verified));
	keys_pin_write(folded, o);
	json_object_put(o);

	f1[0] = '\0';
	if (cur != NULL)
		keys_fpr(cur, f1, sizeof f1);
	keys_fpr(pub, f2, sizeof f2);
	ccrypto_pub_free(cur);
	log_warnx("%s: the keys of %s changed", __func__, log_safe(user));
	ev = json_object_new_object();
	json_object_object_add(ev, "user", json_object_new_string(user));
	json_object_object_add(ev, "old_fingerprint",
	    json_object_new_string(f1));
	json_object_object_add(ev, "new_fingerprint",
	    json_object_new_string(f2));
	json_object_object_add(ev, "was_verified",
	    json_object_new_boolean(was_verified));
	events_emit("key_change", NULL, ev);
}

/* ---- fetching keys ---------------------------------------------------- */

struct keys_fetch {
	void			(*cb)(void *, int);
	void			*arg;
	struct json_object	*users;		/* asked for */
};

/*
 * Answer to keys_get: verify and pin each bundle (under the name folded
 * here: a bundle signed for another name is refused), remember who was
 * asked, then call the caller back with 0 or the error code.
 */
static void
keys_fetch_cb(void *arg, int code, const char *message,
    struct json_object *result, struct json_object *data)
{
	struct keys_fetch	*f = arg;
	struct json_object	*arr, *o;
	struct ccrypto_pub	*pub;
	uint8_t			 spk[64], bpk[64], sig[96];
	char			 folded[NAME_USER_MAX + 1];
	const char		*u, *a, *b, *s;
	size_t			 i;
	int			 rc = code;

	if (code == 0 && json_object_object_get_ex(result, "keys", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		lstore_begin();
		events_hold();
		for (i = 0; i < json_object_array_length(arr); i++) {
			o = json_object_array_get_idx(arr, i);
			u = keys_jstr(o, "user");
			a = keys_jstr(o, "sign_pk");
			b = keys_jstr(o, "box_pk");
			s = keys_jstr(o, "sig");
			if (u == NULL || a == NULL || b == NULL || s == NULL ||
			    name_user_check(u) != NULL)
				continue;
			name_fold(u, folded, sizeof folded);
			if (sec_b64_decode(a, strlen(a), spk, sizeof spk) !=
			    CCRYPTO_PK_LEN ||
			    sec_b64_decode(b, strlen(b), bpk, sizeof bpk) !=
			    CCRYPTO_PK_LEN ||
			    sec_b64_decode(s, strlen(s), sig, sizeof sig) !=
			    CCRYPTO_SIG_LEN ||
			    ccrypto_pub_from_parts(folded, spk, bpk, sig,
			    &pub) != 0) {
				log_warnx("%s: the server served keys for %s "
				    "that are not self-signed: ignored",
				    __func__, log_safe(u));
				continue;
			}
			if (keys.user == NULL || strcmp(folded, keys.user) != 0)
				keys_pin_offer(u, pub, keys_jint(o,
				    "since_id"));
			ccrypto_pub_free(pub);
		}
		events_release(lstore_commit() == 0);
	}
	if (code == 0 && json_object_object_get_ex(result, "unknown", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		for (i = 0; i < json_object_array_length(arr); i++) {
			u = json_object_get_string(json_object_array_get_idx(
			    arr, i));
			if (u == NULL || name_user_check(u) != NULL)
				continue;
			name_fold(u, folded, sizeof folded);
			json_object_object_add(keys.unknown, folded,
			    json_object_new_boolean(1));
		}
	}
	/* Whom we asked: a second unknown key of theirs is not fetched again. */
	for (i = 0; code == 0 && i < json_object_array_length(f->users); i++) {
		name_fold(json_object_get_string(json_object_array_get_idx(
		    f->users, i)), folded, sizeof folded);
		json_object_object_add(keys.fetched, folded,
		    json_object_new_boolean(1));
	}
	json_object_put(f->users);
	if (f->cb != NULL)
		f->cb(f->arg, rc);
	free(f);
}

/*
 * Fetch the keys of users (a JSON array of names, taken over) and pin
 * them; cb(arg, code) afterwards.  Returns 0 or an error (cb not called).
 */
int
keys_fetch(struct json_object *users, void (*cb)(void *, int), void *arg)
{
	struct json_object	*params;
	struct keys_fetch	*f;
	int			 rc;

	f = xcalloc(1, sizeof *f);
	f->cb = cb;
	f->arg = arg;
	f->users = json_object_get(users);
	params = json_object_new_object();
	json_object_object_add(params, "users", users);
	if ((rc = link_request("keys_get", params, AGENT_REQ_TIMEOUT,
	    keys_fetch_cb, f, NULL)) != 0) {
		json_object_put(f->users);
		free(f);
	}
	return (rc);
}

/* Whether the server said it has no account folded (a keys_get answer). */
int
keys_is_unknown(const char *folded)
{
	return (json_object_object_get_ex(keys.unknown, folded, NULL));
}

/* Whether user's keys were fetched in this session. */
int
keys_was_fetched(const char *folded)
{
	return (json_object_object_get_ex(keys.fetched, folded, NULL));
}

/* A `keys` notification: someone published keys; refetch if pinned. */
void
keys_on_event(struct json_object *params)
{
	const char	*u = keys_jstr(params, "user");
	char		 folded[NAME_USER_MAX + 1];
	struct json_object *o, *users;

	if (u == NULL || name_user_check(u) != NULL)
		return;
	name_fold(u, folded, sizeof folded);
	json_object_object_del(keys.fetched, folded);
	if (keys.user != NULL && strcmp(folded, keys.user) == 0) {
		keys_self_check();
		return;
	}
	if ((o = keys_pin_read(folded)) == NULL)
		return;
	json_object_put(o);
	users = json_object_new_array();
	json_object_array_add(users, json_object_new_string(u));
	keys_fetch(users, NULL, NULL);
}

/* ---- own keys on the server ------------------------------------------- */

/* Publish our bundle. */
static void
keys_publish(void)
{
	struct json_object	*params;
	struct ccrypto_pub	*pub;
	uint8_t			 spk[CCRYPTO_PK_LEN], bpk[CCRYPTO_PK_LEN];
	uint8_t			 sig[CCRYPTO_SIG_LEN];
	char			 buf[128];

	if (keys.id == NULL)
		return;
	pub = ccrypto_identity_pub(keys.id);
	ccrypto_pub_parts(pub, spk, bpk, sig);
	ccrypto_pub_free(pub);
	params = json_object_new_object();
	sec_b64_encode(spk, sizeof spk, buf, sizeof buf);
	json_object_object_add(params, "sign_pk", json_object_new_string(buf));
	sec_b64_encode(bpk, sizeof bpk, buf, sizeof buf);
	json_object_object_add(params, "box_pk", json_object_new_string(buf));
	sec_b64_encode(sig, sizeof sig, buf, sizeof buf);
	json_object_object_add(params, "sig", json_object_new_string(buf));
	log_info("%s: publishing our public keys", __func__);
	link_request("keys_publish", params, AGENT_REQ_TIMEOUT, NULL, NULL,
	    NULL);
}

/*
 * What the server holds for us: publish if it has nothing or other keys
 * (reported as a key_change of our own); with no identity here and none
 * there, make one if the password is still held (an account from before
 * end-to-end encryption, or a first unattended login).
 */
static void
keys_self_cb(void *arg, int code, const char *message,
    struct json_object *result, struct json_object *data)
{
	struct json_object	*arr, *o, *ev;
	struct ccrypto_pub	*mine, *theirs = NULL;
	uint8_t			 spk[64], bpk[64], sig[96];
	const char		*a, *b, *s;
	char			 f1[CCRYPTO_FPR_STRLEN], f2[CCRYPTO_FPR_STRLEN];

	if (code != 0 || keys.user == NULL)
		return;
	if (json_object_object_get_ex(result, "keys", &arr) &&
	    json_object_array_length(arr) > 0) {
		o = json_object_array_get_idx(arr, 0);
		a = keys_jstr(o, "sign_pk");
		b = keys_jstr(o, "box_pk");
		s = keys_jstr(o, "sig");
		if (a != NULL && b != NULL && s != NULL &&
		    sec_b64_decode(a, strlen(a), spk, sizeof spk) ==
		    CCRYPTO_PK_LEN &&
		    sec_b64_decode(b, strlen(b), bpk, sizeof bpk) ==
		    CCRYPTO_PK_LEN &&
		    sec_b64_decode(s, strlen(s), sig, sizeof sig) ==
		    CCRYPTO_SIG_LEN)
			ccrypto_pub_from_parts(keys.user, spk, bpk, sig,
			    &theirs);
	}
	if (keys.id == NULL) {
		/*
		 * No key file here.  With none on the server either, the
		 * account is new to end-to-end encryption: make its keys.
		 * Else a person imports them (keys_import); an unattended
		 * agent, which has no person, makes new ones and says so
		 * (peers see a key change).
		 */
		if (theirs != NULL && agent_conf.unattended)
			log_warnx("%s: unattended and no key file: making a "
			    "new identity; peers will see a key change",
			    __func__);
		if ((theirs == NULL || agent_conf.unattended) &&
		    keys.pw != NULL && keys.state == KEYS_MISSING &&
		    keys_create(keys.pw, keys.pwlen) == 0) {
			keys_publish();
			msg_keys_ready();
		}
		keys_pw_forget();
		ccrypto_pub_free(theirs);
		return;
	}
	mine = ccrypto_identity_pub(keys.id);
	if (theirs == NULL || !ccrypto_pub_equal(mine, theirs)) {
		if (theirs != NULL) {
			keys_fpr(theirs, f1, sizeof f1);
			keys_fpr(mine, f2, sizeof f2);
			log_warnx("%s: the server served other keys for us: "
			    "publishing ours again", __func__);
			ev = json_object_new_object();
			json_object_object_add(ev, "user",
			    json_object_new_string(link_user()));
			json_object_object_add(ev, "old_fingerprint",
			    json_object_new_string(f1));
			json_object_object_add(ev, "new_fingerprint",
			    json_object_new_string(f2));
			json_object_object_add(ev, "was_verified",
			    json_object_new_boolean(0));
			json_object_object_add(ev, "self",
			    json_object_new_boolean(1));
			events_emit("key_change", NULL, ev);
		}
		keys_publish();
	}
	ccrypto_pub_free(mine);
	ccrypto_pub_free(theirs);
}

/* Ask the server for our own bundle. */
static void
keys_self_check(void)
{
	struct json_object	*params, *users;

	if (keys.user == NULL || !link_logged_in())
		return;
	users = json_object_new_array();
	json_object_array_add(users, json_object_new_string(keys.user));
	params = json_object_new_object();
	json_object_object_add(params, "users", users);
	link_request("keys_get", params, AGENT_REQ_TIMEOUT, keys_self_cb,
	    NULL, NULL);
}

/* The link is ready with a session: check our keys on the server. */
void
keys_link_ready(void)
{
	if (!link_logged_in())
		return;
	keys_get_state();
	keys_self_check();
}

/* ---- sealing and opening ---------------------------------------------- */

/*
 * Seal text (content type ptype: KEYS_PT_TEXT, or KEYS_PT_FILE for a file
 * message's JSON) for conversation to (folded: "#room" or a username) under
 * cid for recipients (an array of folded usernames, the sender excluded
 * or not).  Fills *env (owned) or returns a CS_ERR_* code with a message;
 * names without a pin go to unreadable (an array, owned by the caller).
 */
int
keys_seal(const char *to, const char *cid, int ptype, const char *text,
    struct json_object *recipients, struct json_object *unreadable,
    uint8_t **env, size_t *envlen, char *msg, size_t msglen)
{
	const struct ccrypto_pub **pubs;
	struct ccrypto_pub	*pub;
	struct json_object	*o;
	const char		*u;
	uint8_t			*plain;
	size_t			 n = 0, i, len = strlen(text);
	int			 rc, ret = 0;

	if (keys_get_state() != KEYS_READY) {
		snprintf(msg, msglen, "%s", keys.state == KEYS_LOCKED ?
		    keys_locked_why() :
		    "no keys on this agent: import them (keys_import) or "
		    "make new ones (keys_reset)");
		return (keys.state == KEYS_LOCKED ? CS_ERR_KEYS_LOCKED :
		    CS_ERR_KEYS_MISSING);
	}
	if (len > CCRYPTO_PLAIN_MAX - 1 ||
	    (ptype == KEYS_PT_FILE && len > FILES_META_MAX)) {
		snprintf(msg, msglen, "message too long");
		return (CS_ERR_BODY_TOO_BIG);
	}
	pubs = xcalloc(json_object_array_length(recipients) + 1,
	    sizeof *pubs);
	for (i = 0; i < json_object_array_length(recipients); i++) {
		u = json_object_get_string(json_object_array_get_idx(
		    recipients, i));
		if (strcmp(u, keys.user) == 0)
			continue;
		if ((o = keys_pin_read(u)) != NULL &&
		    keys_jbool(o, "blocked")) {
			json_object_put(o);
			snprintf(msg, msglen, "the keys of %s, whom you had "
			    "verified, changed: keys_accept or verify again",
			    u);
			ret = CS_ERR_KEY_CHANGED;
			goto out;
		}
		json_object_put(o);
		if ((pub = keys_pin_current(u)) == NULL) {
			json_object_array_add(unreadable,
			    json_object_new_string(u));
			continue;
		}
		pubs[n++] = pub;
	}
	plain = xmalloc(len + 1);
	plain[0] = (uint8_t)ptype;
	memcpy(plain + 1, text, len);
	rc = ccrypto_envelope_seal(keys.id, to, cid, plain, len + 1,
	    (const struct ccrypto_pub *const *)pubs, n, env, envlen);
	ccrypto_free_secret(plain, len + 1);
	if (rc == CCRYPTO_ERR_TOO_MANY) {
		snprintf(msg, msglen, "too many recipients for end-to-end "
		    "encryption (at most %d)", CCRYPTO_RECIPIENTS_MAX);
		ret = CS_ERR_TOO_MANY_RCPTS;
	} else if (rc != 0) {
		snprintf(msg, msglen, "cannot seal: %s", ccrypto_strerror(rc));
		ret = CS_ERR_INTERNAL;
	}
out:
	for (i = 0; i < n; i++)
		ccrypto_pub_free((struct ccrypto_pub *)pubs[i]);
	free(pubs);
	return (ret);
}

/* Pin lookup for ccrypto_envelope_open: current or retired bundles. */
static const struct ccrypto_pub *
keys_lookup_cb(void *arg, const char *sender, const uint8_t *kid)
{
	struct json_object	*o, *old, *r;
	struct ccrypto_pub	*pub, *mine;
	int64_t			*mark = arg;
	size_t			 i;

	ccrypto_pub_free(keys.lookup);
	keys.lookup = NULL;
	*mark = 0;
	if (keys.user != NULL && strcmp(sender, keys.user) == 0) {
		mine = ccrypto_identity_pub(keys.id);
		if (sec_equal(ccrypto_pub_kid(mine), kid, CCRYPTO_KID_LEN) == 0)
			return (keys.lookup = mine);
		ccrypto_pub_free(mine);
		return (NULL);
	}
	if ((o = keys_pin_read(sender)) == NULL)
		return (NULL);
	pub = keys_pub_b64(keys_jstr(o, "cur"));
	if (pub != NULL && sec_equal(ccrypto_pub_kid(pub), kid,
	    CCRYPTO_KID_LEN) == 0) {
		json_object_put(o);
		return (keys.lookup = pub);
	}
	ccrypto_pub_free(pub);
	if (json_object_object_get_ex(o, "old", &old)) {
		for (i = 0; i < json_object_array_length(old); i++) {
			r = json_object_array_get_idx(old, i);
			pub = keys_pub_b64(keys_jstr(r, "pub"));
			if (pub != NULL && sec_equal(ccrypto_pub_kid(pub), kid,
			    CCRYPTO_KID_LEN) == 0) {
				*mark = keys_jint(r, "until");
				json_object_put(o);
				return (keys.lookup = pub);
			}
			ccrypto_pub_free(pub);
		}
	}
	json_object_put(o);
	return (NULL);
}

/*
 * Open an envelope the server delivered as message id from `from` to `to`
 * under cid.  Returns KEYS_OPEN_OK with *text (owned, NUL-terminated) of
 * content type *ptype (KEYS_PT_TEXT or KEYS_PT_FILE),
 * KEYS_OPEN_LOCKED (keys not ready), KEYS_OPEN_NO_KEY (sender's key not
 * pinned: fetch and try again), or KEYS_OPEN_FORGED / KEYS_OPEN_UNDECRYPTABLE
 * with *reason (static).
 */
int
keys_open(int64_t id, const char *from, const char *to, const char *cid,
    const uint8_t *env, size_t len, char **text, int *ptype,
    const char **reason)
{
	struct ccrypto_header	 h;
	uint8_t			*plain = NULL;
	size_t			 plen = 0;
	char			 ffrom[NAME_USER_MAX + 1];
	char			 fto[NAME_ROOM_SIZE + NAME_USER_MAX + 1];
	int64_t			 mark = 0;
	int			 rc;

	*text = NULL;
	*ptype = 0;
	*reason = NULL;
	if (keys_get_state() != KEYS_READY)
		return (KEYS_OPEN_LOCKED);
	if (len > 0 && env[0] == '{') {
		*reason = "unencrypted";
		return (KEYS_OPEN_UNDECRYPTABLE);
	}
	rc = ccrypto_envelope_open(keys.id, env, len, keys_lookup_cb, &mark,
	    &h, &plain, &plen);
	switch (rc) {
	case 0:
		break;
	case CCRYPTO_ERR_NO_KEY:
		return (KEYS_OPEN_NO_KEY);
	case CCRYPTO_ERR_SIGNATURE:
		*reason = "signature";
		return (KEYS_OPEN_FORGED);
	case CCRYPTO_ERR_NOT_FOR_ME:
		*reason = "not_for_me";
		return (KEYS_OPEN_UNDECRYPTABLE);
	case CCRYPTO_ERR_DECRYPT:
		*reason = "decrypt";
		return (KEYS_OPEN_UNDECRYPTABLE);
	case CCRYPTO_ERR_VERSION:
		*reason = "version";
		return (KEYS_OPEN_UNDECRYPTABLE);
	default:
		*reason = "malformed";
		return (KEYS_OPEN_UNDECRYPTABLE);
	}
	/* The signed header must say what the server says. */
	name_fold(from, ffrom, sizeof ffrom);
	if (to[0] == '#')
		name_room_fold(to, fto, sizeof fto);
	else
		name_fold(to, fto, sizeof fto);
	if (strcmp(h.sender, ffrom) != 0)
		*reason = "sender_mismatch";
	else if (strcmp(h.to, fto) != 0)
		*reason = "conversation_mismatch";
	else if (strcmp(h.cid, cid) != 0)
		*reason = "cid_mismatch";
	else if (mark > 0 && id > mark)
		*reason = "retired_key";
	if (*reason != NULL) {
		ccrypto_free_secret(plain, plen);
		return (KEYS_OPEN_FORGED);
	}
	if (plen < 2 || (plain[0] != KEYS_PT_TEXT && plain[0] != KEYS_PT_FILE) ||
	    (plain[0] == KEYS_PT_FILE && plen - 1 > FILES_META_MAX) ||
	    !utf8_valid((const char *)plain + 1, plen - 1) ||
	    memchr(plain + 1, '\0', plen - 1) != NULL) {
		ccrypto_free_secret(plain, plen);
		*reason = "unsupported";
		return (KEYS_OPEN_UNDECRYPTABLE);
	}
	*ptype = plain[0];
	*text = xmalloc(plen);
	memcpy(*text, plain + 1, plen - 1);
	(*text)[plen - 1] = '\0';
	ccrypto_free_secret(plain, plen);
	return (KEYS_OPEN_OK);
}

/* The sender named in an envelope, unverified (folded), or NULL. */
int
keys_peek_sender(const uint8_t *env, size_t len, char *out, size_t outlen)
{
	struct ccrypto_header	 h;

	if (ccrypto_envelope_peek(env, len, &h) != 0)
		return (-1);
	snprintf(out, outlen, "%s", h.sender);
	return (0);
}

/* ---- API methods ------------------------------------------------------ */

/* The folded user of params "user" or an error answered; NULL then. */
static const char *
keys_param_user(struct api_pending *p, struct json_object *params,
    char *folded, size_t len)
{
	const char	*u = rpc_get_str(params, "user", NULL);

	if (u == NULL || name_user_check(u) != NULL) {
		api_error(p, CS_ERR_NO_SUCH_USER, "no such user", NULL);
		return (NULL);
	}
	name_fold(u, folded, len);
	return (u);
}

/* The answer to a keys_* method on a peer: fetched if not pinned yet. */
struct keys_op {
	struct api_pending	*p;
	struct json_object	*params;
	void			(*fn)(struct api_pending *,
				    struct json_object *, int);
};

static void
keys_op_cb(void *arg, int code)
{
	struct keys_op	*op = arg;

	op->fn(op->p, op->params, 1);
	json_object_put(op->params);
	free(op);
}

/* Run fn now if user is pinned, else after fetching their keys. */
static void
keys_with_pin(struct api_pending *p, struct json_object *params,
    void (*fn)(struct api_pending *, struct json_object *, int))
{
	struct json_object	*o, *users;
	struct keys_op		*op;
	char			 folded[NAME_USER_MAX + 1];
	const char		*u;

	if ((u = keys_param_user(p, params, folded, sizeof folded)) == NULL)
		return;
	if (keys.user != NULL && strcmp(folded, keys.user) == 0) {
		fn(p, params, 1);
		return;
	}
	if ((o = keys_pin_read(folded)) != NULL) {
		json_object_put(o);
		fn(p, params, 1);
		return;
	}
	op = xcalloc(1, sizeof *op);
	op->p = p;
	op->params = json_object_get(params);
	op->fn = fn;
	users = json_object_new_array();
	json_object_array_add(users, json_object_new_string(u));
	if (keys_fetch(users, keys_op_cb, op) != 0) {
		json_object_put(op->params);
		free(op);
		fn(p, params, 1);
	}
}

/* Answer p with 1040/1046 unless the identity is ready; 0 if ready. */
static int
keys_need_ready(struct api_pending *p)
{
	switch (keys_get_state()) {
	case KEYS_READY:
		return (0);
	case KEYS_LOCKED:
		api_error(p, CS_ERR_KEYS_LOCKED, keys_locked_why(), NULL);
		return (-1);
	default:
		api_error(p, CS_ERR_KEYS_MISSING, "no keys on this agent",
		    NULL);
		return (-1);
	}
}

/* The pin and bundle of a peer; answers 1042 if none. */
static struct json_object *
keys_pin_or_error(struct api_pending *p, const char *folded,
    struct ccrypto_pub **pub)
{
	struct json_object	*o;

	if ((o = keys_pin_read(folded)) == NULL ||
	    (*pub = keys_pub_b64(keys_jstr(o, "cur"))) == NULL) {
		json_object_put(o);
		api_errorf(p, CS_ERR_NO_KEYS, "%s has no published keys",
		    folded);
		return (NULL);
	}
	return (o);
}

static void
keys_fingerprint_do(struct api_pending *p, struct json_object *params,
    int fetched)
{
	struct json_object	*o, *r;
	struct ccrypto_pub	*pub;
	char			 folded[NAME_USER_MAX + 1];
	char			 f[CCRYPTO_FPR_STRLEN];
	const char		*u;

	r = json_object_new_object();
	if ((u = rpc_get_str(params, "user", NULL)) == NULL ||
	    (keys.user != NULL && name_fold(u, folded, sizeof folded) &&
	    strcmp(folded, keys.user) == 0)) {
		if (keys_need_ready(p) != 0) {
			json_object_put(r);
			return;
		}
		pub = ccrypto_identity_pub(keys.id);
		keys_fpr(pub, f, sizeof f);
		ccrypto_pub_free(pub);
		json_object_object_add(r, "user",
		    json_object_new_string(link_user()));
		json_object_object_add(r, "fingerprint",
		    json_object_new_string(f));
		json_object_object_add(r, "self", json_object_new_boolean(1));
		api_reply(p, r);
		return;
	}
	name_fold(u, folded, sizeof folded);
	if ((o = keys_pin_or_error(p, folded, &pub)) == NULL) {
		json_object_put(r);
		return;
	}
	keys_fpr(pub, f, sizeof f);
	ccrypto_pub_free(pub);
	json_object_object_add(r, "user",
	    json_object_new_string(keys_jstr(o, "user")));
	json_object_object_add(r, "fingerprint", json_object_new_string(f));
	json_object_object_add(r, "verified",
	    json_object_new_boolean(keys_jbool(o, "verified")));
	json_object_object_add(r, "changed",
	    json_object_new_boolean(keys_jbool(o, "changed")));
	json_object_object_add(r, "first_seen",
	    json_object_new_int64(keys_jint(o, "first_seen")));
	json_object_put(o);
	api_reply(p, r);
}

/* keys_fingerprint {user?}: own or a peer's fingerprint and marks. */
void
api_keys_fingerprint(struct api_pending *p, struct json_object *params)
{
	if (rpc_get_str(params, "user", NULL) == NULL) {
		keys_fingerprint_do(p, params, 0);
		return;
	}
	keys_with_pin(p, params, keys_fingerprint_do);
}

/* The safety number with a peer into out; answers and returns -1 if none. */
static int
keys_safety(struct api_pending *p, const char *folded, char *out,
    size_t outlen, struct json_object **pin)
{
	struct ccrypto_pub	*pub, *mine;
	struct json_object	*o;

	if (keys_need_ready(p) != 0)
		return (-1);
	if ((o = keys_pin_or_error(p, folded, &pub)) == NULL)
		return (-1);
	mine = ccrypto_identity_pub(keys.id);
	ccrypto_safety_number(mine, pub, out, outlen);
	ccrypto_pub_free(mine);
	ccrypto_pub_free(pub);
	*pin = o;
	return (0);
}

static void
keys_safety_do(struct api_pending *p, struct json_object *params, int f)
{
	struct json_object	*o, *r;
	char			 folded[NAME_USER_MAX + 1];
	char			 sn[CCRYPTO_SAFETY_STRLEN];

	name_fold(rpc_get_str(params, "user", ""), folded, sizeof folded);
	if (keys_safety(p, folded, sn, sizeof sn, &o) != 0)
		return;
	r = json_object_new_object();
	json_object_object_add(r, "user",
	    json_object_new_string(keys_jstr(o, "user")));
	json_object_object_add(r, "safety_number", json_object_new_string(sn));
	json_object_object_add(r, "verified",
	    json_object_new_boolean(keys_jbool(o, "verified")));
	json_object_put(o);
	api_reply(p, r);
}

/* keys_safety_number {user}: the number both sides compare. */
void
api_keys_safety_number(struct api_pending *p, struct json_object *params)
{
	keys_with_pin(p, params, keys_safety_do);
}

/* Compare two strings ignoring spaces. */
static int
keys_same_digits(const char *a, const char *b)
{
	for (;;) {
		while (*a == ' ')
			a++;
		while (*b == ' ')
			b++;
		if (*a != *b)
			return (0);
		if (*a == '\0')
			return (1);
		a++;
		b++;
	}
}

static void
keys_verify_do(struct api_pending *p, struct json_object *params, int f)
{
	struct json_object	*o;
	struct ccrypto_pub	*pub;
	char			 folded[NAME_USER_MAX + 1];
	char			 sn[CCRYPTO_SAFETY_STRLEN];
	char			 fp[CCRYPTO_FPR_STRLEN];
	const char		*want_sn, *want_fp;

	name_fold(rpc_get_str(params, "user", ""), folded, sizeof folded);
	if (keys.user != NULL && strcmp(folded, keys.user) == 0) {
		api_error(p, CS_ERR_STATE, "you can't verify yourself", NULL);
		return;
	}
	if (keys_safety(p, folded, sn, sizeof sn, &o) != 0)
		return;
	want_sn = rpc_get_str(params, "safety_number", NULL);
	want_fp = rpc_get_str(params, "fingerprint", NULL);
	pub = keys_pub_b64(keys_jstr(o, "cur"));
	keys_fpr(pub, fp, sizeof fp);
	ccrypto_pub_free(pub);
	if ((want_sn != NULL && !keys_same_digits(want_sn, sn)) ||
	    (want_fp != NULL && !keys_same_digits(want_fp, fp))) {
		json_object_put(o);
		api_error(p, CS_ERR_MISMATCH, "the safety number or "
		    "fingerprint does not match: do not trust these keys",
		    NULL);
		return;
	}
	json_object_object_add(o, "verified", json_object_new_boolean(1));
	json_object_object_add(o, "changed", json_object_new_boolean(0));
	json_object_object_add(o, "blocked", json_object_new_boolean(0));
	keys_pin_write(folded, o);
	json_object_put(o);
	o = json_object_new_object();
	json_object_object_add(o, "verified", json_object_new_boolean(1));
	api_reply(p, o);
}

/* keys_verify {user, safety_number?, fingerprint?}: mark verified. */
void
api_keys_verify(struct api_pending *p, struct json_object *params)
{
	keys_with_pin(p, params, keys_verify_do);
}

/* keys_unverify {user} and keys_accept {user}: clear marks. */
void
api_keys_unverify(struct api_pending *p, struct json_object *params)
{
	struct json_object	*o;
	char			 folded[NAME_USER_MAX + 1];
	int			 accept = strcmp(p->method, "keys_accept") == 0;

	if (keys_param_user(p, params, folded, sizeof folded) == NULL)
		return;
	if ((o = keys_pin_read(folded)) == NULL) {
		api_errorf(p, CS_ERR_NO_KEYS, "no keys pinned for %s", folded);
		return;
	}
	if (accept) {
		json_object_object_add(o, "blocked",
		    json_object_new_boolean(0));
		json_object_object_add(o, "changed",
		    json_object_new_boolean(0));
	} else
		json_object_object_add(o, "verified",
		    json_object_new_boolean(0));
	keys_pin_write(folded, o);
	json_object_put(o);
	o = json_object_new_object();
	json_object_object_add(o, "verified", json_object_new_boolean(0));
	api_reply(p, o);
}

/* One pin as keys_list shows it. */
static int
keys_list_cb(void *arg, const char *k, const char *v)
{
	struct json_object	*arr = arg, *o, *r, *old;
	struct ccrypto_pub	*pub;
	char			 f[CCRYPTO_FPR_STRLEN];

	if ((o = json_tokener_parse(v)) == NULL)
		return (0);
	if ((pub = keys_pub_b64(keys_jstr(o, "cur"))) != NULL) {
		keys_fpr(pub, f, sizeof f);
		ccrypto_pub_free(pub);
		r = json_object_new_object();
		json_object_object_add(r, "user",
		    json_object_new_string(keys_jstr(o, "user") != NULL ?
		    keys_jstr(o, "user") : k + 4));
		json_object_object_add(r, "fingerprint",
		    json_object_new_string(f));
		json_object_object_add(r, "verified",
		    json_object_new_boolean(keys_jbool(o, "verified")));
		json_object_object_add(r, "changed",
		    json_object_new_boolean(keys_jbool(o, "changed")));
		json_object_object_add(r, "first_seen",
		    json_object_new_int64(keys_jint(o, "first_seen")));
		json_object_object_add(r, "retired", json_object_new_int(
		    json_object_object_get_ex(o, "old", &old) ?
		    (int)json_object_array_length(old) : 0));
		json_object_array_add(arr, r);
	}
	json_object_put(o);
	return (0);
}

/* keys_list: every pinned peer with fingerprint and marks. */
void
api_keys_list(struct api_pending *p, struct json_object *params)
{
	struct json_object	*r, *arr;

	arr = json_object_new_array();
	lstore_kv_scan("pin:", keys_list_cb, arr);
	r = json_object_new_object();
	json_object_object_add(r, "keys", arr);
	json_object_object_add(r, "state",
	    json_object_new_string(keys_state_name()));
	api_reply(p, r);
}

/*
 * keys_unlock {password}: open the key file after a restart, or (sealed
 * with an earlier password) with that password, then re-seal it under the
 * password of the login.  Replies {keys_resealed}.
 */
void
api_keys_unlock(struct api_pending *p, struct json_object *params)
{
	const char		*pw = rpc_get_str(params, "password", "");
	struct json_object	*r;
	int			 rc, resealed = 0;

	if (keys_get_state() == KEYS_READY) {
		r = json_object_new_object();
		json_object_object_add(r, "keys_resealed",
		    json_object_new_boolean(0));
		api_reply(p, r);
		return;
	}
	rc = keys_load(pw, strlen(pw));
	if (rc == CCRYPTO_ERR_PASSWORD) {
		api_error(p, CS_ERR_AUTH_FAILED, keys.reseal_pw != NULL ?
		    "wrong password: the key file is sealed with an earlier "
		    "password of this account (the one before the last "
		    "change); give that one" : "wrong password", NULL);
		return;
	}
	if (rc != 0) {
		api_error(p, CS_ERR_KEYS_MISSING, "no keys on this agent",
		    NULL);
		return;
	}
	if (keys.reseal_pw != NULL && !keys.plaintext) {
		resealed = keys_save(keys.reseal_pw,
		    strlen(keys.reseal_pw)) == 0;
		log_info("%s: key file %s under the current password",
		    __func__, resealed ? "re-sealed" : "NOT re-sealed");
	}
	keys_reseal_forget();
	log_info("%s: keys unlocked", __func__);
	r = json_object_new_object();
	json_object_object_add(r, "keys_resealed",
	    json_object_new_boolean(resealed));
	api_reply(p, r);
	keys_self_check();
	msg_keys_ready();
}

/* keys_reset {password, confirm:true}: a new identity, published. */
void
api_keys_reset(struct api_pending *p, struct json_object *params)
{
	const char		*pw = rpc_get_str(params, "password", "");
	struct json_object	*none;

	if (!rpc_get_bool(params, "confirm", 0)) {
		api_error(p, CS_ERR_PARAMS, "keys_reset makes a new identity "
		    "that every peer sees as a key change: pass "
		    "\"confirm\":true", NULL);
		return;
	}
	if (name_password_check(pw, strlen(pw)) != NULL) {
		api_error(p, CS_ERR_BAD_PASSWORD, "password: 8 to 1024 bytes",
		    NULL);
		return;
	}
	/* An existing key file must open with this password first. */
	if (keys.state != KEYS_READY && access(keys.path, F_OK) == 0 &&
	    keys_load(pw, strlen(pw)) == CCRYPTO_ERR_PASSWORD) {
		api_error(p, CS_ERR_AUTH_FAILED, "wrong password", NULL);
		return;
	}
	if (keys_create(pw, strlen(pw)) != 0) {
		api_error(p, CS_ERR_INTERNAL, "cannot save the new keys",
		    NULL);
		return;
	}
	keys_reseal_forget();
	keys_publish();
	none = json_object_new_object();
	keys_fingerprint_do(p, none, 0);
	json_object_put(none);
	msg_keys_ready();
}

/* keys_export {passphrase}: the identity encrypted under a passphrase. */
void
api_keys_export(struct api_pending *p, struct json_object *params)
{
	const char		*pp = rpc_get_str(params, "passphrase", "");
	struct json_object	*r;
	uint8_t			*blob;
	size_t			 len, b64len;
	char			*b64;
	int			 rc;

	if (name_password_check(pp, strlen(pp)) != NULL) {
		api_error(p, CS_ERR_BAD_PASSWORD, "passphrase: 8 to 1024 "
		    "bytes", NULL);
		return;
	}
	if (keys_need_ready(p) != 0)
		return;
	if ((rc = ccrypto_identity_export(keys.id, pp, strlen(pp),
	    keys_kdf_flags(), &blob, &len)) != 0) {
		api_errorf(p, CS_ERR_INTERNAL, "export: %s",
		    ccrypto_strerror(rc));
		return;
	}
	b64len = sec_b64_len(len);
	b64 = xmalloc(b64len);
	sec_b64_encode(blob, len, b64, b64len);
	ccrypto_free_secret(blob, len);
	r = json_object_new_object();
	json_object_object_add(r, "blob", json_object_new_string(b64));
	free(b64);
	api_reply(p, r);
}

/* An import waiting for the server's copy of our public keys. */
struct keys_import {
	struct api_pending	*p;
	struct ccrypto_identity	*id;
	char			*pw;
};

static void
keys_import_free(struct keys_import *ki)
{
	ccrypto_identity_free(ki->id);
	if (ki->pw != NULL) {
		sec_wipe(ki->pw, strlen(ki->pw));
		free(ki->pw);
	}
	free(ki);
}

/* The server's bundle for us: the imported keys must be those. */
static void
keys_import_cb(void *arg, int code, const char *message,
    struct json_object *result, struct json_object *data)
{
	struct keys_import	*ki = arg;
	struct json_object	*arr, *o;
	struct ccrypto_pub	*mine;
	uint8_t			 a[CCRYPTO_PK_LEN], b[CCRYPTO_PK_LEN];
	uint8_t			 sig[CCRYPTO_SIG_LEN];
	char			 sa[64], sb[64];
	const char		*ga, *gb;
	int			 same = 0;

	if (code != 0) {
		api_error(ki->p, code, message, json_object_get(data));
		keys_import_free(ki);
		return;
	}
	mine = ccrypto_identity_pub(ki->id);
	ccrypto_pub_parts(mine, a, b, sig);
	ccrypto_pub_free(mine);
	sec_b64_encode(a, sizeof a, sa, sizeof sa);
	sec_b64_encode(b, sizeof b, sb, sizeof sb);
	if (json_object_object_get_ex(result, "keys", &arr) &&
	    json_object_array_length(arr) == 1) {
		o = json_object_array_get_idx(arr, 0);
		ga = keys_jstr(o, "sign_pk");
		gb = keys_jstr(o, "box_pk");
		same = ga != NULL && gb != NULL && strcmp(ga, sa) == 0 &&
		    strcmp(gb, sb) == 0;
	}
	if (!same) {
		api_error(ki->p, CS_ERR_KEYS_MISSING, "these are not the keys "
		    "the server publishes for this account", NULL);
		keys_import_free(ki);
		return;
	}
	ccrypto_identity_free(keys.id);
	keys.id = ki->id;
	ki->id = NULL;
	if (keys_save(ki->pw, strlen(ki->pw)) != 0) {
		keys_drop();
		keys.state = KEYS_MISSING;
		api_error(ki->p, CS_ERR_INTERNAL, "cannot save the key file",
		    NULL);
		keys_import_free(ki);
		return;
	}
	keys.state = KEYS_READY;
	keys.plaintext = 0;
	keys_reseal_forget();
	keys_session_save();
	log_info("%s: keys imported", __func__);
	api_reply(ki->p, json_object_new_object());
	keys_import_free(ki);
	msg_keys_ready();
}

/* keys_import {blob, passphrase, password}: the account's keys from another agent. */
void
api_keys_import(struct api_pending *p, struct json_object *params)
{
	const char		*blob = rpc_get_str(params, "blob", "");
	const char		*pp = rpc_get_str(params, "passphrase", "");
	const char		*pw = rpc_get_str(params, "password", "");
	struct json_object	*users, *w;
	struct keys_import	*ki;
	struct ccrypto_identity	*id = NULL;
	uint8_t			*raw;
	size_t			 len = strlen(blob);
	int			 n, flags = 0, rc;

	if (keys_get_state() == KEYS_NONE || keys.user == NULL) {
		api_error(p, CS_ERR_AUTH_REQUIRED, "log in first", NULL);
		return;
	}
	if (name_password_check(pw, strlen(pw)) != NULL) {
		api_error(p, CS_ERR_BAD_PASSWORD, "password: the account "
		    "password (8 to 1024 bytes)", NULL);
		return;
	}
	raw = xmalloc(len / 4 * 3 + 3);
	n = sec_b64_decode(blob, len, raw, len / 4 * 3 + 3);
	rc = n < 0 ? CCRYPTO_ERR_MALFORMED : ccrypto_identity_import(raw,
	    (size_t)n, pp, strlen(pp), &id, &flags);
	free(raw);
	if (rc != 0) {
		api_error(p, CS_ERR_BAD_BLOB, "wrong passphrase or damaged "
		    "blob", NULL);
		return;
	}
	if (strcmp(ccrypto_identity_user(id), keys.user) != 0) {
		ccrypto_identity_free(id);
		api_error(p, CS_ERR_KEYS_MISSING, "these keys are another "
		    "account's", NULL);
		return;
	}
	ki = xcalloc(1, sizeof *ki);
	ki->p = p;
	ki->id = id;
	ki->pw = xstrdup(pw);
	users = json_object_new_array();
	json_object_array_add(users, json_object_new_string(keys.user));
	w = json_object_new_object();
	json_object_object_add(w, "users", users);
	if ((rc = link_request("keys_get", w, AGENT_REQ_TIMEOUT,
	    keys_import_cb, ki, NULL)) != 0) {
		api_error(p, rc, "not connected to the server", NULL);
		keys_import_free(ki);
	}
}
