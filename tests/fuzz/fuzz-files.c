/* chatsec — fuzz the agent's file metadata and saved-file names.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent.h"
#include "fuzz.h"
#include "utf8.h"

/*
 * What a peer controls in a file offer (doc/files.md, content type 02):
 * the sealed JSON, and the name it suggests.  The input is both at once.
 *   - msg_file_parse(): what it accepts has a sane size and exactly
 *     files_chunks(size) chunks, and prints back to JSON it accepts again;
 *   - files_name_sanitize(): whatever the bytes, the name is a non-empty,
 *     valid UTF-8 single path component of at most FILES_NAME_MAX bytes
 *     with no separator, no control character, no leading or trailing dot
 *     or space (so never "." or ".." or a hidden file).
 * The agent is compiled in with its main() renamed (see Makefile.am).
 */

static void
check_name(const char *in)
{
	char		 out[FILES_NAME_MAX + 1];
	size_t		 len, i, n;
	unsigned int	 cp;

	memset(out, 'x', sizeof out);
	files_name_sanitize(in, out, sizeof out);
	len = strnlen(out, sizeof out);
	FUZZ_ASSERT(len > 0 && len <= FILES_NAME_MAX);
	FUZZ_ASSERT(utf8_valid(out, len));
	FUZZ_ASSERT(out[0] != '.' && out[0] != ' ');
	FUZZ_ASSERT(out[len - 1] != '.' && out[len - 1] != ' ');
	for (i = 0; i < len; i += n) {
		n = utf8_decode(out + i, len - i, &cp);
		FUZZ_ASSERT(n > 0);
		FUZZ_ASSERT(cp >= 0x20 && cp != 0x7f &&
		    !(cp >= 0x80 && cp < 0xa0));
		FUZZ_ASSERT(cp != '/' && cp != '\\');
	}
	/* A second pass changes nothing. */
	{
		char	 again[FILES_NAME_MAX + 1];

		files_name_sanitize(out, again, sizeof again);
		FUZZ_ASSERT(strcmp(out, again) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct json_object	*o, *v, *again;
	char			*s, why[64];
	int64_t			 size;

	if (len > 64 * 1024)
		return (0);
	if ((s = malloc(len + 1)) == NULL)
		return (0);
	memcpy(s, data, len);
	s[len] = '\0';

	check_name(s);
	if ((o = msg_file_parse(s, why, sizeof why)) != NULL) {
		FUZZ_ASSERT(json_object_object_get_ex(o, "size", &v));
		size = json_object_get_int64(v);
		FUZZ_ASSERT(size >= 0);
		FUZZ_ASSERT(json_object_object_get_ex(o, "chunks", &v));
		FUZZ_ASSERT(json_object_get_int64(v) == files_chunks(size));
		FUZZ_ASSERT(json_object_object_get_ex(o, "name", &v));
		check_name(json_object_get_string(v));
		again = msg_file_parse(json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN), why, sizeof why);
		FUZZ_ASSERT(again != NULL);
		json_object_put(again);
		json_object_put(o);
	}
	free(s);
	return (0);
}
