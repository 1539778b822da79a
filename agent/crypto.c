/* chatsec — message body seal/open (the end-to-end crypto seam).  Copyright (c) 2026 The chatsec authors.  ISC licence. */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "frame.h"
#include "proto.h"
#include "sec.h"
#include "utf8.h"
#include "xmalloc.h"

#include "agent.h"

/*
 * Every message body the agent sends or reads goes through here.  Version 1
 * bodies are the plain UTF-8 JSON object {"v":1,"type":"text","text":"..."}
 * (doc/protocol.md, "Message bodies"); the end-to-end encryption work
 * replaces the insides of these functions, and all libsodium use in the
 * agent belongs in this file (plus common/sec.h).
 */

#define CRYPTO_BODY_VERSION	1

/* Initialise the crypto library once.  0 or -1. */
int
crypto_init(void)
{
	return (sec_init());
}

/*
 * Seal len bytes of UTF-8 text into a body for the server: *out is a new
 * buffer owned by the caller.  0, or -1 if the body would exceed
 * CS_BODY_MAX.
 */
int
crypto_body_seal(const char *text, size_t len, uint8_t **out, size_t *outlen)
{
	struct json_object	*obj;
	const char		*s;
	size_t			 slen;
	int			 rc = -1;

	obj = json_object_new_object();
	json_object_object_add(obj, "v",
	    json_object_new_int(CRYPTO_BODY_VERSION));
	json_object_object_add(obj, "type", json_object_new_string("text"));
	json_object_object_add(obj, "text",
	    json_object_new_string_len(text, (int)len));
	s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN|JSON_C_TO_STRING_NOSLASHESCAPE, &slen);
	if (s != NULL && slen <= CS_BODY_MAX) {
		*out = xmalloc(slen);
		memcpy(*out, s, slen);
		*outlen = slen;
		rc = 0;
	}
	json_object_put(obj);
	return (rc);
}

/*
 * Open a body from the server into *text (a new NUL-terminated string
 * owned by the caller).  -1 if the body is not one this agent can read:
 * the caller reports it and does not show it.
 */
int
crypto_body_open(const uint8_t *body, size_t len, char **text)
{
	struct json_object	*obj = NULL, *v;
	char			 err[128];
	const char		*s;
	int			 rc = -1;

	if (frame_parse((const char *)body, len, &obj, err, sizeof err) !=
	    FRAME_OK)
		return (-1);
	if (!json_object_object_get_ex(obj, "v", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) != CRYPTO_BODY_VERSION)
		goto out;
	if (!json_object_object_get_ex(obj, "type", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "text") != 0)
		goto out;
	if (!json_object_object_get_ex(obj, "text", &v) ||
	    !json_object_is_type(v, json_type_string))
		goto out;
	s = json_object_get_string(v);
	if (!utf8_valid(s, json_object_get_string_len(v)))
		goto out;
	*text = xstrdup(s);
	rc = 0;
out:
	json_object_put(obj);
	return (rc);
}
