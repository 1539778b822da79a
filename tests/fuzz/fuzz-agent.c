/* chatsec — fuzz the agent's JSON-RPC API.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <sys/stat.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "agent.h"
#include "crypto.h"
#include "fuzz.h"
#include "log.h"
#include "xmalloc.h"

/*
 * The agent's whole API behind the socket: the input is what a client
 * writes to the agent's Unix socket, delivered through a bufferevent pair
 * into api_client_new(), and the event loop runs until the agent has
 * answered.  The agent has a profile in a temporary directory, a session
 * as alice (as after a login) and no link to a server (what needs one is
 * held or answers 1009), which is where a local
 * client can reach it without any server at all: parsing, dispatch,
 * parameter checks, subscriptions and the event log, local history, key
 * and file-path handling.  The client then half-closes, as a script
 * would, and finally every client is closed, so nothing piles up from one
 * input to the next.
 *
 * agent.c is compiled in with its main() renamed (see Makefile.am).
 */
static int	 ready;
static int	 echo;	/* FUZZ_AGENT_ECHO=1: replies to stderr */
static char	 profile[] = "/tmp/chatsec-fuzz-agent.XXXXXX";

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(path);
	return (0);
}

/* The profile goes when the harness does. */
static void
remove_profile(void)
{
	nftw(profile, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	*db;

	(void)argc;
	(void)argv;
	echo = getenv("FUZZ_AGENT_ECHO") != NULL;
	log_init("fuzz-agent", 1, 0);
	if (ccrypto_init() != 0 || mkdtemp(profile) == NULL)
		abort();
	atexit(remove_profile);
	agent_conf.profile_dir = xstrdup(profile);
	agent_conf.server = xstrdup("127.0.0.1:1");
	xasprintf(&agent_conf.known_servers, "%s/known_servers", profile);
	xasprintf(&db, "%s/agent.db", profile);
	if (lstore_open(db) != 0 || (agent_base = event_base_new()) == NULL)
		abort();
	free(db);
	events_init();
	files_init();
	keys_init();
	ready = 1;
	return (0);
}

/* Run the loop until nothing moves for a few turns (bounded). */
static void
settle(struct bufferevent *peer)
{
	struct evbuffer	*in;
	size_t		 n;
	int		 i, quiet = 0;

	for (i = 0; i < 2000 && quiet < 5; i++) {
		event_base_loop(agent_base, EVLOOP_NONBLOCK);
		if (peer == NULL) {
			quiet++;
			continue;
		}
		in = bufferevent_get_input(peer);
		n = evbuffer_get_length(in);
		if (n > 0 && echo)
			fwrite(evbuffer_pullup(in, -1), 1, n, stderr);
		evbuffer_drain(in, n);
		if (n > 0)
			quiet = 0;
		else {
			quiet++;
			usleep(20);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct bufferevent	*pair[2];

	if (!ready)
		LLVMFuzzerInitialize(NULL, NULL);
	if (len > 512 * 1024)
		return (0);
	/* A session, as after a login, so logged-in methods run too (an
	 * input may have logged out). */
	if (link_user() == NULL)
		link_session_begin("alice", "00000000000000000000000000000000"
		    "00000000000000000000000000000000", 0);
	FUZZ_ASSERT(bufferevent_pair_new(agent_base, 0, pair) == 0);
	(void)api_client_new(pair[0]);
	bufferevent_enable(pair[1], EV_READ);
	FUZZ_ASSERT(bufferevent_write(pair[1], data, len) == 0);
	settle(pair[1]);
	/*
	 * Half-close, as socat does after its input: the agent sees EOF
	 * (a last line without its newline counts), answers what is left
	 * and closes a client that waits for nothing.  Freeing one end of a
	 * pair tells the other nothing, so the flush is what says EOF.
	 */
	bufferevent_flush(pair[1], EV_WRITE, BEV_FINISHED);
	settle(pair[1]);
	/* Then hang up for good: what still waits (a subscription, a send
	 * held for the link) goes, as at the agent's exit. */
	api_stop();
	bufferevent_free(pair[1]);
	settle(NULL);
	return (0);
}
