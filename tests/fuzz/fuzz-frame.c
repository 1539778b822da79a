/* chatsec — fuzz the line frame decoder.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <json-c/json.h>

#include "frame.h"
#include "fuzz.h"

/*
 * Both protocols read their peers through frame_read().  The input is fed
 * three ways (all at once, one byte at a time, in uneven segments) and
 * every way must give the same sequence of results: a peer choosing its
 * TCP segmentation must not change what we parse.  Each parsed frame must
 * be an object that serialises back within the limit it came in under, and
 * nothing may stay buffered beyond one line of at most `max` bytes.
 */
#define FUZZ_FRAME_MAX		512	/* small, to reach TOOBIG often */
#define FUZZ_RESULTS_MAX	4096

struct result {
	enum frame_status	 st;
	char			*text;	/* serialised object or error */
};

struct results {
	struct result		 r[FUZZ_RESULTS_MAX];
	size_t			 n;
};

static void
results_add(struct results *rs, enum frame_status st, const char *text)
{
	FUZZ_ASSERT(rs->n < FUZZ_RESULTS_MAX);
	rs->r[rs->n].st = st;
	rs->r[rs->n].text = strdup(text);
	FUZZ_ASSERT(rs->r[rs->n].text != NULL);
	rs->n++;
}

static void
results_free(struct results *rs)
{
	size_t	i;

	for (i = 0; i < rs->n; i++)
		free(rs->r[i].text);
	rs->n = 0;
}

/* Drain every complete result from `in`. */
static void
drain(struct frame_reader *fr, struct evbuffer *in, struct results *rs)
{
	struct json_object	*obj;
	enum frame_status	 st;

	for (;;) {
		st = frame_read(fr, in, &obj);
		if (st == FRAME_MORE)
			break;
		if (st == FRAME_OK) {
			FUZZ_ASSERT(obj != NULL);
			FUZZ_ASSERT(json_object_is_type(obj, json_type_object));
			results_add(rs, st, json_object_to_json_string_ext(obj,
			    JSON_C_TO_STRING_PLAIN));
			json_object_put(obj);
		} else {
			FUZZ_ASSERT(obj == NULL);
			FUZZ_ASSERT(fr->error[0] != '\0');
			results_add(rs, st, fr->error);
		}
	}
	/* What is left is part of one line, never more than the limit. */
	FUZZ_ASSERT(evbuffer_get_length(in) <= FUZZ_FRAME_MAX);
}

/* Feed data in segments whose sizes come from `seed` (0: one segment). */
static void
feed(const uint8_t *data, size_t len, unsigned int seed, int bytewise,
    struct results *rs)
{
	struct frame_reader	 fr;
	struct evbuffer		*in;
	size_t			 off = 0, seg;

	frame_reader_init(&fr, FUZZ_FRAME_MAX);
	in = evbuffer_new();
	FUZZ_ASSERT(in != NULL);
	while (off < len) {
		if (bytewise)
			seg = 1;
		else if (seed == 0)
			seg = len - off;
		else {
			seed = seed * 1103515245u + 12345u;
			seg = 1 + (seed >> 16) % 700;
		}
		if (seg > len - off)
			seg = len - off;
		FUZZ_ASSERT(evbuffer_add(in, data + off, seg) == 0);
		off += seg;
		drain(&fr, in, rs);
	}
	evbuffer_free(in);
}

static void
compare(const struct results *a, const struct results *b)
{
	size_t	i;

	FUZZ_ASSERT(a->n == b->n);
	for (i = 0; i < a->n; i++) {
		FUZZ_ASSERT(a->r[i].st == b->r[i].st);
		FUZZ_ASSERT(strcmp(a->r[i].text, b->r[i].text) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct results	 whole, bytes, segs;
	struct json_object	*obj;
	struct evbuffer		*out;
	char			 err[128];
	unsigned int		 seed = 1;
	size_t			 i;

	if (len > 64 * 1024)
		return (0);

	/* The single-line parser on the raw input. */
	if (frame_parse((const char *)data, len, &obj, err, sizeof err) ==
	    FRAME_OK) {
		/* What we accept we can write back, as one line. */
		out = evbuffer_new();
		FUZZ_ASSERT(out != NULL);
		FUZZ_ASSERT(frame_write(out, obj, 1024 * 1024) == 0);
		FUZZ_ASSERT(evbuffer_get_length(out) > 0);
		json_object_put(obj);
		evbuffer_free(out);
	} else {
		FUZZ_ASSERT(obj == NULL);
		FUZZ_ASSERT(err[0] != '\0');
	}

	for (i = 0; i < len; i++)
		seed = seed * 31 + data[i];
	feed(data, len, 0, 0, &whole);
	feed(data, len, 0, 1, &bytes);
	feed(data, len, seed | 1, 0, &segs);
	compare(&whole, &bytes);
	compare(&whole, &segs);
	results_free(&whole);
	results_free(&bytes);
	results_free(&segs);
	return (0);
}
