/* chatsec — libchatsec-bot, the bot SDK (the one installed header).  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSEC_BOT_H
#define CHATSEC_BOT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;

/*
 * A bot is a client of chatsec-agent's JSON-RPC socket (doc/api.md).  It
 * connects, subscribes to the event stream and calls handlers from a
 * libevent loop: its own (chatsec_bot_run) or the caller's.
 *
 * Threading: one bot belongs to one thread, the one running its loop.
 * By default handlers run on that loop.  The SDK reads at most
 * CHATSEC_BOT_BATCH events per loop turn and then yields to timers and
 * writes, so a flood does not starve the rest of the loop; but a handler
 * that blocks (sleep, a slow disk, a synchronous call) blocks the bot.
 * Either do slow work with chatsec_bot_call() callbacks or libevent timers
 * (see the reminder bot), or turn on worker mode with
 * chatsec_bot_set_workers(): event handlers then run on worker threads
 * while the loop keeps reading (see there for what that changes).
 *
 * Memory: every queue is bounded (requests in flight, messages waiting
 * for the rate limiter, bytes waiting to be written, bytes read ahead).
 * When one is full the call returns CHATSEC_BOT_E_FULL; nothing grows
 * without bound.
 *
 * Ownership: strings and JSON objects handed to handlers are borrowed and
 * valid only during the call.  JSON params passed in are taken over.
 */

#define CHATSEC_BOT_VERSION	"0.1.0"
#define CHATSEC_BOT_BATCH	64	/* events handled per loop turn */
#define CHATSEC_BOT_MAX_ARGS	64	/* words of a !command */

/* Errors: 0 is success, these are negative.  See chatsec_bot_strerror(). */
enum chatsec_bot_error {
	CHATSEC_BOT_OK = 0,
	CHATSEC_BOT_E_NOMEM = -1,	/* out of memory */
	CHATSEC_BOT_E_INVAL = -2,	/* bad argument */
	CHATSEC_BOT_E_CONNECT = -3,	/* cannot reach the agent socket */
	CHATSEC_BOT_E_NOTCONN = -4,	/* not connected to the agent now */
	CHATSEC_BOT_E_FULL = -5,	/* a bounded queue is full */
	CHATSEC_BOT_E_TIMEOUT = -6,	/* no reply in time */
	CHATSEC_BOT_E_RPC = -7,		/* the agent answered with an error */
	CHATSEC_BOT_E_PROTO = -8,	/* the agent sent something unexpected */
	CHATSEC_BOT_E_IO = -9,		/* a system call failed (errno) */
	CHATSEC_BOT_E_PARSE = -10,	/* unbalanced quotes or bad text */
	CHATSEC_BOT_E_STATE = -11,	/* not valid now (e.g. run twice) */
	CHATSEC_BOT_E_CLOSED = -12,	/* the bot was stopped or freed */
};

typedef struct chatsec_bot chatsec_bot;		/* opaque */

/* A message event, as handlers see it (all borrowed). */
typedef struct chatsec_bot_msg {
	int64_t			 seq;	/* event sequence number */
	int64_t			 id;	/* server message id */
	int64_t			 ts;	/* ms since the epoch */
	const char		*from;
	const char		*to;
	const char		*conv;	/* "#room" or the DM peer: reply here */
	const char		*text;
	int			 self;	/* sent by this bot's account */
	struct json_object	*event;	/* the whole event */
} chatsec_bot_msg;

typedef void chatsec_bot_msg_cb(chatsec_bot *, const chatsec_bot_msg *,
    void *arg);
/* argv[0] is the command name without the prefix; argv[argc] is NULL. */
typedef void chatsec_bot_cmd_cb(chatsec_bot *, const chatsec_bot_msg *,
    int argc, char **argv, void *arg);
/* Any event: its type and the whole params object. */
typedef void chatsec_bot_event_cb(chatsec_bot *, const char *type,
    struct json_object *event, void *arg);
/*
 * The reply to an asynchronous call: err 0 and result, or err
 * CHATSEC_BOT_E_RPC with the agent's code and message (error_obj is the
 * whole error object), or another error with code 0.  All borrowed.
 */
typedef void chatsec_bot_reply_cb(chatsec_bot *, int err,
    struct json_object *result, int code, const char *message, void *arg);
/* The bot (re)connected to the agent and subscribed. */
typedef void chatsec_bot_conn_cb(chatsec_bot *, int connected, void *arg);

/* --- life cycle ------------------------------------------------------- */

/*
 * Make a bot for the agent socket at path (NULL: $CHATSEC_SOCKET, else
 * $XDG_RUNTIME_DIR/chatsec/agent.sock, else /tmp/chatsec-UID/agent.sock).
 * base is the caller's libevent loop, or NULL for one the bot owns.
 * Returns NULL only when out of memory (or base is NULL and libevent
 * cannot make a loop).  Nothing connects until chatsec_bot_start().
 */
chatsec_bot	*chatsec_bot_new(struct event_base *base, const char *path);

/* Stop the bot, flush the cursor file, free everything.  NULL is fine. */
void		 chatsec_bot_free(chatsec_bot *);

/*
 * Connect (asynchronously) and keep connected: on any failure or loss the
 * bot reconnects by itself with exponential backoff (100 ms doubling to
 * the maximum, 10 s unless set).  Returns 0 or an error for a bad state.
 */
int		 chatsec_bot_start(chatsec_bot *);

/*
 * Start and run the loop until chatsec_bot_stop() (or SIGINT/SIGTERM when
 * the bot owns its loop).  Returns 0 or an error.
 */
int		 chatsec_bot_run(chatsec_bot *);

/* Disconnect and leave the loop chatsec_bot_run() is running. */
void		 chatsec_bot_stop(chatsec_bot *);

/* The libevent loop the bot runs on (borrowed): add your own timers. */
struct event_base *chatsec_bot_base(chatsec_bot *);

/* 1 while connected to the agent and subscribed. */
int		 chatsec_bot_connected(chatsec_bot *);

/* --- settings (call before chatsec_bot_start) ------------------------- */

/*
 * Keep the event cursor (the last seq handled) in file path, written
 * atomically (mode 0600) at most once a second and on stop.  A restarted
 * bot resubscribes with `since` and misses nothing; an event whose
 * handling was not yet recorded when the bot died is handled again (at
 * least once).  Without a cursor file the cursor lives in memory: agent
 * restarts lose nothing, a bot restart starts with new events.
 */
int		 chatsec_bot_set_cursor_file(chatsec_bot *, const char *path);

/*
 * Outgoing message rate: a token bucket of burst messages refilled at
 * per_second (defaults 5/s, burst 10).  Messages over the rate wait in a
 * queue of at most queue_max (default 256) and go out as tokens come.
 */
int		 chatsec_bot_set_rate(chatsec_bot *, double per_second,
		    unsigned int burst, unsigned int queue_max);

/*
 * Worker mode: run the handlers of events (message, command, join,
 * key-change and chatsec_bot_on_event handlers) on nworkers threads
 * (1..64; 0 turns worker mode off) fed by a queue of at most queue_max
 * events (1..100000; 0: 256).  Call before chatsec_bot_start(), after
 * adding the handlers: handlers cannot be added while workers run
 * (CHATSEC_BOT_E_STATE).
 *
 * The loop thread keeps reading events, answering calls and sending while
 * handlers work.  queue_max counts every event read and not yet handled
 * to the end, the ones being handled included.  When the queue is full,
 * the bot reads nothing more from the agent (back-pressure: nothing is
 * dropped and memory does not grow) until a handler finishes; replies to
 * calls wait behind it too.  Data piles up in the agent, which cuts off a
 * client that lets too much pile up; the bot then reconnects and resumes
 * from the last event handled, so nothing is lost while the agent still
 * keeps those events (its newest 10000, at most 7 days: doc/api.md).
 *
 * Order: events of one conversation (a message's conv, a room event's
 * room, a key change's peer) are handled one at a time, in stream order,
 * all of an event's handlers in the order added.  Other events are
 * ordered per type.  Events of different conversations are handled in
 * parallel and may finish in any order.  The cursor only moves past an
 * event when it and every event before it have been handled.
 *
 * From a handler on a worker, these calls are safe and are carried out by
 * the loop thread: chatsec_bot_send(), chatsec_bot_reply(),
 * chatsec_bot_call() (each waits until the loop has queued it and returns
 * its result), chatsec_bot_stop() (the loop stops the bot soon; it does
 * not wait), chatsec_bot_connected(), chatsec_bot_call_sync() (its own
 * connection), and the pure helpers (chatsec_bot_split(),
 * chatsec_bot_strerror()).  Nothing else: in particular not
 * chatsec_bot_free(), settings, adding handlers, or libevent calls on
 * chatsec_bot_base().  Reply callbacks (cb of send and call) and connect
 * handlers always run on the loop thread.  Handlers on different workers
 * run at the same time: guard what they share.
 *
 * chatsec_bot_stop() (and so chatsec_bot_free()) lets the handlers that
 * are running finish, joins the workers, and drops the events they never
 * started; with a cursor file those are handled after a restart.
 */
int		 chatsec_bot_set_workers(chatsec_bot *, unsigned int nworkers,
		    unsigned int queue_max);

/* Longest wait between reconnection attempts, 100..3600000 ms. */
int		 chatsec_bot_set_backoff_max(chatsec_bot *, int ms);

/* Command prefix character (default '!'). */
int		 chatsec_bot_set_prefix(chatsec_bot *, char prefix);

/* Also hand this account's own messages to handlers (default: skipped). */
int		 chatsec_bot_set_see_self(chatsec_bot *, int on);

/* Only these event types (NULL-terminated; NULL: all).  Copied. */
int		 chatsec_bot_set_types(chatsec_bot *, const char *const *types);

/* Log to stderr what the SDK does (connects, drops, errors).  Default off. */
int		 chatsec_bot_set_verbose(chatsec_bot *, int on);

/* --- handlers (at most 64 of each kind; run in the order added) -------- */

/* Every message event (after the self filter). */
int		 chatsec_bot_on_message(chatsec_bot *, chatsec_bot_msg_cb *,
		    void *arg);

/*
 * A "!name args" message: argv holds the words parsed like a shell
 * (whitespace separates; 'single' and "double" quotes group; backslash
 * escapes).  name NULL: any command no other handler takes.  A message
 * with unbalanced quotes gets an error reply and no handler runs.
 */
int		 chatsec_bot_on_command(chatsec_bot *, const char *name,
		    chatsec_bot_cmd_cb *, void *arg);

/*
 * Events of a type ("message", "presence", "link", and any type a newer
 * agent emits); type NULL or "*" for every event.
 */
int		 chatsec_bot_on_event(chatsec_bot *, const char *type,
		    chatsec_bot_event_cb *, void *arg);

/* Someone joined a room: "room" events with "action":"join" (doc/api.md);
   the event's "room" and "actor" say where and who. */
int		 chatsec_bot_on_join(chatsec_bot *, chatsec_bot_event_cb *,
		    void *arg);

/* A peer's key changed: "key_change" events (end-to-end encryption). */
int		 chatsec_bot_on_key_change(chatsec_bot *,
		    chatsec_bot_event_cb *, void *arg);

/* Connected (and subscribed) or disconnected from the agent. */
int		 chatsec_bot_on_connect(chatsec_bot *, chatsec_bot_conn_cb *,
		    void *arg);

/* --- calls ------------------------------------------------------------ */

/*
 * Call an API method on the bot's connection; params (an object, or NULL)
 * is taken over.  cb (may be NULL) runs once with the reply, or with
 * CHATSEC_BOT_E_TIMEOUT after timeout_ms (0: 30 s), or with
 * CHATSEC_BOT_E_NOTCONN if the connection drops first.  At most 256 calls
 * are in flight.  Returns 0, or an error (cb is then not called).
 */
int		 chatsec_bot_call(chatsec_bot *, const char *method,
		    struct json_object *params, int timeout_ms,
		    chatsec_bot_reply_cb *cb, void *arg);

/*
 * Call a method and wait for its reply on a connection of its own
 * (blocking the calling thread up to timeout_ms; 0: 30 s).  Usable without
 * chatsec_bot_start().  On 0, *result (if result is not NULL) is the
 * result, owned by the caller.  On CHATSEC_BOT_E_RPC, *code holds the
 * agent's error code (if code is not NULL) and errbuf its message.
 */
int		 chatsec_bot_call_sync(chatsec_bot *, const char *method,
		    struct json_object *params, int timeout_ms,
		    struct json_object **result, int *code, char *errbuf,
		    size_t errlen);

/*
 * Send text to a conversation ("#room" or a username) through the rate
 * limiter.  Each message gets a cid, so a message in flight when the
 * connection dropped is sent again after reconnecting and still stored
 * once.  cb (may be NULL) gets the send result or error.  Returns 0, or
 * CHATSEC_BOT_E_FULL when the queue is full.
 */
int		 chatsec_bot_send(chatsec_bot *, const char *to,
		    const char *text, chatsec_bot_reply_cb *cb, void *arg);

/* Send to the conversation msg came from (printf-style, cut at 16 KiB). */
int		 chatsec_bot_reply(chatsec_bot *, const chatsec_bot_msg *msg,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* --- helpers ---------------------------------------------------------- */

/*
 * Split line into words like a shell would, without expansion: at most
 * max words (up to CHATSEC_BOT_MAX_ARGS); argv gets max+1 slots, the last
 * NULL.  The words point into one allocation returned in *storage, to be
 * freed by the caller with free().  Returns the word count, or
 * CHATSEC_BOT_E_PARSE (unbalanced quote, trailing backslash),
 * CHATSEC_BOT_E_FULL (more than max words) or CHATSEC_BOT_E_NOMEM.
 */
int		 chatsec_bot_split(const char *line, char **argv, int max,
		    char **storage);

/* A sentence for an error code (static). */
const char	*chatsec_bot_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif
