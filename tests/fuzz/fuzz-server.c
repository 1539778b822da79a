/* chatsec — fuzz chatsecd's request handling.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "bus.h"
#include "chatsecd.h"
#include "fuzz.h"
#include "log.h"
#include "sec.h"
#include "store.h"
#include "xmalloc.h"

/*
 * The whole server behind the TLS layer: the input is written, as a peer
 * would send it, into one end of a bufferevent pair whose other end is a
 * chatsecd connection (client_create), and the event loop runs until the
 * connection has answered everything.  The connection starts either
 * anonymous (after the handshake: hello, register, login, resume, ...) or
 * logged in as alice, an admin, or bob (every logged-in method), chosen by
 * the first input byte.  The store is an in-memory SQLite database that
 * lives across inputs, so rooms and messages made by one input are there
 * for the next, as on a real server.  argon2id runs with libsodium's
 * smallest parameters here, so a register or login costs microseconds.
 *
 * chatsecd.c is compiled into this harness with its main() renamed (see
 * Makefile.am), so the option table and globals are the real ones.
 */
static struct store_account	 accounts[2];
static int			 ready;
static int			 echo;	/* FUZZ_SERVER_ECHO=1: replies to stderr */

static void
make_account(int i, const char *name)
{
	struct store_account	*a = &accounts[i];

	memset(a, 0, sizeof *a);
	snprintf(a->name, sizeof a->name, "%s", name);
	snprintf(a->folded, sizeof a->folded, "%s", name);
	a->pwhash = hash_make_sync("fuzz password", 13);
	FUZZ_ASSERT(a->pwhash != NULL);
	sec_random(a->totp_secret, sizeof a->totp_secret);
	FUZZ_ASSERT(store_account_create(server_store, a) == 0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	echo = getenv("FUZZ_SERVER_ECHO") != NULL;
	log_init("fuzz-server", 1, 0);
	if (sec_init() != 0)
		abort();
	config_defaults(&server_cfg);
	server_cfg.argon2_opslimit = 1;
	server_cfg.argon2_memlimit_kib = 8;
	server_cfg.hash_threads = 1;
	server_cfg.hash_queue = 4;
	if ((server_base = event_base_new()) == NULL ||
	    (server_store = store_open(":memory:")) == NULL ||
	    hash_init(1, 4) != 0 || auth_init() != 0)
		abort();
	bus_init();
	msg_init();
	make_account(0, "alice");
	make_account(1, "bob");
	ready = 1;
	return (0);
}

/*
 * Run the loop until the connection has been quiet for a few turns
 * (bounded), dropping what it wrote as a client that reads would.  The
 * short sleeps let a password hash finish on its thread.
 */
static void
settle(struct bufferevent *peer)
{
	struct evbuffer	*in = bufferevent_get_input(peer);
	size_t		 n;
	int		 i, quiet = 0;

	for (i = 0; i < 2000 && quiet < 5; i++) {
		event_base_loop(server_base, EVLOOP_NONBLOCK);
		n = evbuffer_get_length(in);
		if (n > 0 && echo)
			fwrite(evbuffer_pullup(in, -1), 1, n, stderr);
		evbuffer_drain(in, n);
		if (n > 0)
			quiet = 0;
		else {
			quiet++;
			usleep(50);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct bufferevent	*pair[2];
	struct listen_peer	*lp;
	struct client		*c;
	uint8_t			 token[SEC_TOKEN_HASH_LEN];
	unsigned int		 before;

	if (!ready)
		LLVMFuzzerInitialize(NULL, NULL);
	if (len < 1 || len > 512 * 1024)
		return (0);

	FUZZ_ASSERT(bufferevent_pair_new(server_base, 0, pair) == 0);
	lp = xcalloc(1, sizeof *lp);
	snprintf(lp->addr, sizeof lp->addr, "127.0.0.1");
	lp->conns = 1;
	before = client_count();
	c = client_create(pair[0], lp);
	FUZZ_ASSERT(client_count() == before + 1);
	client_enter_state(c, CLIENT_GREETING);
	if (data[0] & 1) {
		sec_random(token, sizeof token);
		client_enter_state(c, CLIENT_ANON);
		client_login(c, &accounts[(data[0] >> 1) & 1], token);
	}
	bufferevent_enable(pair[1], EV_READ);
	FUZZ_ASSERT(bufferevent_write(pair[1], data + 1, len - 1) == 0);
	settle(pair[1]);

	/* However the input ended, the connection goes away cleanly. */
	if (client_count() > before)
		client_close_all();
	settle(pair[1]);
	FUZZ_ASSERT(client_count() == before);
	bufferevent_free(pair[1]);
	return (0);
}
