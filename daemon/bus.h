/* chatsec — chatsecd event fan-out interface.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSECD_BUS_H
#define CHATSECD_BUS_H

#include <stddef.h>
#include <stdint.h>

/*
 * The bus is how an event reaches the connections it is for.  Today it is
 * in-process fan-out; a later version publishes through Redis so several
 * chatsecd nodes can share one name.  Callers never see how: they subscribe
 * a connection for an account and publish events.
 *
 * An event is serialised once into a reference-counted frame, and the same
 * bytes are appended to every recipient's output without copying.
 */
struct bus_sub;
struct bus_frame;
struct evbuffer;

/* What the bus needs to know about a message event. */
struct bus_msg {
	int64_t		 id;
	int64_t		 ts;
	int64_t		 sender_id;
	int64_t		 room_id;	/* 0 for a DM */
	int64_t		 rcpt_id;	/* 0 for a room message */
	const char	*from;
	const char	*to;
	const char	*cid;
	const uint8_t	*body;
	size_t		 bodylen;
	const char	*file;		/* the file it announces, or NULL */
	int64_t		 deletes;	/* a deletion record: of this id */
	/* A room message goes to these accounts; NULL: to every subscriber
	 * (#general, which every account is in). */
	const int64_t	*members;
	size_t		 nmembers;
};
struct json_object;

void	 bus_init(void);
void	 bus_free(void);

/*
 * Subscribe a connection of account.  deliver(arg, frame) is called for each
 * event; it appends the frame with bus_frame_append() (or drops it).  The
 * returned handle is owned by the caller and given back to
 * bus_unsubscribe().
 */
struct bus_sub	*bus_subscribe(int64_t account,
		    void (*deliver)(void *, struct bus_frame *), void *arg);
void		 bus_unsubscribe(struct bus_sub *);

/* Message to a room (its members) or a DM (both parties). */
void	 bus_publish_message(const struct bus_msg *);
/*
 * A room event (params taken over) to the given accounts (each id once),
 * or to every subscriber when accounts is NULL.
 */
void	 bus_publish_room(struct json_object *params, const int64_t *accounts,
	    size_t n);
/*
 * A user came online, went offline or changed their away text (borrowed;
 * NULL: not away): every subscriber hears it.
 */
void	 bus_publish_presence(const char *user, int online, const char *away);

/*
 * A typing notification from user (account sender) in conversation to
 * (both borrowed) for the given accounts, or for every subscriber when
 * accounts is NULL; never for the sender's own connections.
 */
void	 bus_publish_typing(const char *from, const char *to, int64_t sender,
	    const int64_t *accounts, size_t n);

/* Someone published keys (params taken over): every subscriber hears it. */
void	 bus_publish_keys(struct json_object *params);

/* Append a frame's bytes to out without copying them. */
int	 bus_frame_append(struct bus_frame *, struct evbuffer *out);
size_t	 bus_frame_len(const struct bus_frame *);

/* Number of subscribed connections (for logs and tests). */
unsigned int bus_count(void);

#endif
