/* chatsec — chatsecd running as root: the user to become, its data directory, the drop.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "chatsecd.h"
#include "fsutil.h"
#include "log.h"

/*
 * chatsecd never serves as root unless told to.  Started by root, it loads
 * its key (which stays root's) and binds its ports, then becomes the user
 * of `user` (default PRIV_USER when that account exists) before it opens
 * the database or reads a byte from the network.  `user = root` keeps root,
 * for those who insist; started by anyone else, `user` may only name
 * oneself.  The data directory belongs to that user: one chatsecd made
 * itself is given to it, an existing one owned by someone else is refused
 * rather than taken over.
 */

#define PRIV_USER	"chatsecd"

static int	 priv_drop_needed;	/* root, becoming someone else */
static uid_t	 priv_uid;
static gid_t	 priv_gid;
static char	 priv_name[64];

/* Who to become; called once, before anything is created. */
void
priv_init(const char *user)
{
	struct passwd	*pw;

	if (geteuid() != 0) {
		if (user == NULL)
			return;
		if ((pw = getpwnam(user)) == NULL || pw->pw_uid != geteuid())
			fatalx("user %s: only root can run chatsecd as another "
			    "user", user);
		return;
	}
	if (user == NULL) {
		if (getpwnam(PRIV_USER) == NULL)
			fatalx("refusing to run as root: make an unprivileged "
			    "account for the server (useradd --system %s, or "
			    "contrib/systemd/chatsecd.sysusers) or name one "
			    "with --user; --user root keeps root",
			    PRIV_USER);
		user = PRIV_USER;
	}
	errno = 0;
	if ((pw = getpwnam(user)) == NULL)
		fatalx("user %s: no such account", user);
	if (pw->pw_uid == 0) {
		log_info("running as root (user = %s)", user);
		return;
	}
	if (strlen(pw->pw_name) >= sizeof priv_name)
		fatalx("user %s: name too long", user);
	memcpy(priv_name, pw->pw_name, strlen(pw->pw_name) + 1);
	priv_uid = pw->pw_uid;
	priv_gid = pw->pw_gid;
	priv_drop_needed = 1;
}

/*
 * Make or check the data directory (0700).  Without a drop it must be the
 * caller's own; with one, the user's: made now, it is given to the user.
 */
void
priv_datadir(const char *path)
{
	struct stat	 st;
	int		 existed;

	if (!priv_drop_needed) {
		if (fs_mkdir_private(path, 0700) != 0)
			fatal("%s", path);
		return;
	}
	existed = (lstat(path, &st) == 0);
	if (!existed) {
		if (fs_mkdir_private(path, 0700) != 0)
			fatal("%s", path);
		if (chown(path, priv_uid, priv_gid) != 0)
			fatal("chown %s", path);
	}
	if (lstat(path, &st) != 0)
		fatal("%s", path);
	if (!S_ISDIR(st.st_mode))
		fatalx("%s: not a directory", path);
	if (st.st_uid != priv_uid)
		fatalx("%s belongs to uid %lu, not to %s: give it to the "
		    "server (chown -R %s: %s) or choose another --user",
		    path, (unsigned long)st.st_uid, priv_name, priv_name,
		    path);
	if ((st.st_mode & 077) != 0)
		fatalx("%s: group or others have access (mode %03o); "
		    "chmod 700 it", path, (unsigned int)(st.st_mode & 0777));
}

/*
 * Become the user for good: no supplementary groups, real, effective and
 * saved ids all changed, and a check that root can't be had back.
 */
void
priv_drop(void)
{
	if (!priv_drop_needed)
		return;
	if (setgroups(1, &priv_gid) != 0)
		fatal("setgroups");
	if (setresgid(priv_gid, priv_gid, priv_gid) != 0)
		fatal("setresgid %lu", (unsigned long)priv_gid);
	if (setresuid(priv_uid, priv_uid, priv_uid) != 0)
		fatal("setresuid %lu", (unsigned long)priv_uid);
	if (setuid(0) == 0 || seteuid(0) == 0 ||
	    (priv_gid != 0 && setegid(0) == 0))
		fatalx("could still regain root after dropping to %s",
		    priv_name);
	priv_drop_needed = 0;
	log_info("running as %s (uid %lu, gid %lu)", priv_name,
	    (unsigned long)priv_uid, (unsigned long)priv_gid);
}
