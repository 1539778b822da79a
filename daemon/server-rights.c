/* chatsec — chatsecd rights: who may do what.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "chatsecd.h"
#include "proto.h"
#include "store.h"

/*
 * The one table of rights.  Every request that some users may not make
 * asks rights_check() with what the store says about the actor (and the
 * user acted on); nothing the agent says about itself is taken into
 * account.  A refusal is a stable code and a sentence naming the missing
 * right, and the caller then changes nothing.
 *
 * Roles grow member < operator < owner.  In #general every account is a
 * member and server admins count as its operators; it has no owner, and
 * can't be left, joined, deleted or handed over.
 */

#define R_PUBLIC	0x01	/* non-members may, in a public room */
#define R_ADMIN		0x02	/* server admins may, whatever their role */
#define R_NOT_GENERAL	0x04	/* never in #general */
#define R_OUTRANK	0x08	/* the target's role must be below the actor's */
#define R_MUTE		0x10	/* refused while muted */
#define R_BAN		0x20	/* refused while banned */
#define R_INVITE	0x40	/* an invite-only room needs an invitation */
#define R_NO_OWNER	0x80	/* not for the owner */
#define R_ADMIN_ONLY	0x100	/* server admins only */

struct right_entry {
	enum right	 right;
	int		 min_role;	/* STORE_ROLE_* the actor needs */
	int		 flags;
	const char	*what;		/* "to ..." in the refusal */
};

static const struct right_entry rights_table[RIGHT_COUNT] = {
	[RIGHT_VIEW] = { RIGHT_VIEW, STORE_ROLE_MEMBER, R_PUBLIC,
	    "read its topic" },
	[RIGHT_HISTORY] = { RIGHT_HISTORY, STORE_ROLE_MEMBER, R_PUBLIC,
	    "read its history" },
	[RIGHT_MEMBERS] = { RIGHT_MEMBERS, STORE_ROLE_MEMBER, R_PUBLIC,
	    "list its members" },
	[RIGHT_SEND] = { RIGHT_SEND, STORE_ROLE_MEMBER, R_MUTE,
	    "send to it" },
	[RIGHT_JOIN] = { RIGHT_JOIN, STORE_ROLE_NONE,
	    R_NOT_GENERAL|R_BAN|R_INVITE, "join it" },
	[RIGHT_LEAVE] = { RIGHT_LEAVE, STORE_ROLE_MEMBER,
	    R_NOT_GENERAL|R_NO_OWNER, "leave it" },
	[RIGHT_TOPIC] = { RIGHT_TOPIC, STORE_ROLE_OPERATOR, 0,
	    "set its topic" },
	[RIGHT_INVITE] = { RIGHT_INVITE, STORE_ROLE_OPERATOR, R_NOT_GENERAL,
	    "invite users to it" },
	[RIGHT_KICK] = { RIGHT_KICK, STORE_ROLE_OPERATOR,
	    R_NOT_GENERAL|R_OUTRANK, "kick users from it" },
	[RIGHT_BAN] = { RIGHT_BAN, STORE_ROLE_OPERATOR,
	    R_NOT_GENERAL|R_OUTRANK, "ban users from it" },
	[RIGHT_UNBAN] = { RIGHT_UNBAN, STORE_ROLE_OPERATOR, R_NOT_GENERAL,
	    "lift bans in it" },
	[RIGHT_MUTE] = { RIGHT_MUTE, STORE_ROLE_OPERATOR, R_OUTRANK,
	    "mute users in it" },
	[RIGHT_UNMUTE] = { RIGHT_UNMUTE, STORE_ROLE_OPERATOR, R_OUTRANK,
	    "unmute users in it" },
	[RIGHT_OP] = { RIGHT_OP, STORE_ROLE_OWNER, R_NOT_GENERAL,
	    "make operators in it" },
	[RIGHT_DEOP] = { RIGHT_DEOP, STORE_ROLE_OWNER, R_NOT_GENERAL,
	    "remove operators in it" },
	[RIGHT_TRANSFER] = { RIGHT_TRANSFER, STORE_ROLE_OWNER, R_NOT_GENERAL,
	    "hand it over" },
	[RIGHT_DELETE] = { RIGHT_DELETE, STORE_ROLE_OWNER,
	    R_NOT_GENERAL|R_ADMIN, "delete it" },
	[RIGHT_DELETE_MSG] = { RIGHT_DELETE_MSG, STORE_ROLE_OPERATOR, R_ADMIN,
	    "delete other people's messages in it" },
	[RIGHT_DELETE_DM] = { RIGHT_DELETE_DM, STORE_ROLE_NONE, R_ADMIN_ONLY,
	    "delete the other party's messages in a direct conversation" },
	[RIGHT_ADMIN] = { RIGHT_ADMIN, STORE_ROLE_NONE, R_ADMIN_ONLY,
	    "administer the server" },
};

/* "a member", "an operator", "the owner" (as in "you need to be ..."). */
static const char *
rights_role_need(int role)
{
	switch (role) {
	case STORE_ROLE_OWNER:
		return ("the owner");
	case STORE_ROLE_OPERATOR:
		return ("an operator");
	default:
		return ("a member");
	}
}

/* The API name of a role: "owner", "operator", "member", or NULL. */
const char *
rights_role_name(int role)
{
	switch (role) {
	case STORE_ROLE_OWNER:
		return ("owner");
	case STORE_ROLE_OPERATOR:
		return ("operator");
	case STORE_ROLE_MEMBER:
		return ("member");
	default:
		return (NULL);
	}
}

/* The role that counts: admins are operators of #general. */
int
rights_role(int general, int stored_role, int is_admin)
{
	if (general && is_admin && stored_role < STORE_ROLE_OPERATOR)
		return (STORE_ROLE_OPERATOR);
	return (stored_role);
}

/*
 * Decide whether the actor described by x may do r.  Returns 0, or a
 * proto.h code with msg set to a sentence saying which right is missing.
 */
int
rights_check(enum right r, const struct right_ctx *x, char *msg,
    size_t msglen)
{
	const struct right_entry	*e;
	const char			*room = x->room != NULL ? x->room : "";
	int				 role;

	if ((unsigned int)r >= RIGHT_COUNT)
		return (CS_ERR_INTERNAL);
	e = &rights_table[r];
	if (e->flags & R_ADMIN_ONLY) {
		if (x->is_admin)
			return (0);
		snprintf(msg, msglen, "you need to be a server admin to %s",
		    e->what);
		return (CS_ERR_FORBIDDEN);
	}
	if (x->general && (e->flags & R_NOT_GENERAL)) {
		snprintf(msg, msglen, "not possible in %s: every account is "
		    "in it, nobody owns it, and it can't be left or deleted "
		    "(you wanted to %s)", CS_GENERAL, e->what);
		return (CS_ERR_GENERAL);
	}
	role = rights_role(x->general, x->role, x->is_admin);
	if ((e->flags & R_ADMIN) && x->is_admin)
		return (0);

	if (e->min_role == STORE_ROLE_NONE) {
		if (role >= STORE_ROLE_MEMBER) {
			snprintf(msg, msglen, "you are already a member of %s",
			    room);
			return (CS_ERR_ALREADY);
		}
		if ((e->flags & R_BAN) && x->banned) {
			snprintf(msg, msglen, "you are banned from %s: you "
			    "can't %s until the ban is lifted or expires",
			    room, e->what);
			return (CS_ERR_BANNED);
		}
		if ((e->flags & R_INVITE) && x->invite_only && !x->invited) {
			snprintf(msg, msglen, "%s is invite-only: you need an "
			    "invitation from an operator to %s", room,
			    e->what);
			return (CS_ERR_FORBIDDEN);
		}
		return (0);
	}

	if (role == STORE_ROLE_NONE) {
		if ((e->flags & R_PUBLIC) && !x->invite_only)
			return (0);
		snprintf(msg, msglen, "you need to be a member of %s to %s",
		    room, e->what);
		return (CS_ERR_NOT_MEMBER);
	}
	if (role < e->min_role) {
		snprintf(msg, msglen, "you need to be %s of %s to %s",
		    rights_role_need(e->min_role), room, e->what);
		return (CS_ERR_FORBIDDEN);
	}
	if ((e->flags & R_NO_OWNER) && role == STORE_ROLE_OWNER) {
		snprintf(msg, msglen, "the owner can't %s: hand %s over "
		    "(room_transfer) or delete it first", e->what, room);
		return (CS_ERR_FORBIDDEN);
	}
	if ((e->flags & R_MUTE) && x->muted) {
		snprintf(msg, msglen, "you are muted in %s: you can't %s "
		    "until an operator unmutes you", room, e->what);
		return (CS_ERR_MUTED);
	}
	if ((e->flags & R_OUTRANK) && x->target != NULL &&
	    x->target_role >= role) {
		snprintf(msg, msglen, "you need to outrank %s to act on them "
		    "in %s (they are %s of it)", x->target, room,
		    rights_role_need(x->target_role));
		return (CS_ERR_FORBIDDEN);
	}
	return (0);
}
