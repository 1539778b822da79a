/* chatsec — protocol constants.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSEC_PROTO_H
#define CHATSEC_PROTO_H

/*
 * Constants of both protocols.  doc/protocol.md and doc/api.md are the
 * contracts; keep them in step with this file.
 *
 * Bump CS_PROTO_VERSION when the wire format changes incompatibly and
 * CS_API_VERSION when the agent API does.
 */
#define CS_PROTO_VERSION	1
#define CS_API_VERSION		1

#define CS_DEFAULT_PORT		7780
#define CS_DEFAULT_ADDR		"127.0.0.1"

#define CS_WIRE_FRAME_MAX	(256 * 1024)	/* bytes per wire line */
#define CS_API_FRAME_MAX	(256 * 1024)	/* bytes per API line */
#define CS_BODY_MAX		(128 * 1024)	/* decoded message body bytes */
#define CS_TEXT_MAX		16384		/* bytes of text per message (agent) */
#define CS_CID_MAX		64		/* client message id length */
#define CS_HISTORY_MAX		200		/* messages per history page */
#define CS_SYNC_PAGE		500		/* messages per sync page */

#define CS_GENERAL		"#general"
#define CS_TOPIC_MAX		256		/* bytes of a room topic */
#define CS_REASON_MAX		256		/* bytes of a kick/ban reason */
#define CS_AWAY_MAX		256		/* bytes of an away text */
#define CS_BAN_MAX		(366 * 86400)	/* longest timed ban, seconds */
#define CS_AUDIT_MAX		1000		/* audit rows per admin_audit */
#define CS_ROOM_EVENTS_PAGE	500		/* room events per sync page */

/* JSON-RPC 2.0 standard errors. */
#define CS_ERR_PARSE		-32700	/* not JSON / bad UTF-8 */
#define CS_ERR_INVALID_REQUEST	-32600	/* not a JSON-RPC request */
#define CS_ERR_METHOD		-32601	/* unknown method */
#define CS_ERR_PARAMS		-32602	/* bad or missing parameters */
#define CS_ERR_INTERNAL		-32603	/* bug or storage failure */
#define CS_ERR_TOO_BIG		-32000	/* line longer than the frame limit */

/* chatsec errors (both protocols; doc/api.md lists them). */
#define CS_ERR_AUTH_REQUIRED	1001	/* log in first */
#define CS_ERR_AUTH_FAILED	1002	/* wrong username, password or code */
#define CS_ERR_RATE_LIMITED	1003	/* too many attempts */
#define CS_ERR_USER_TAKEN	1004	/* username already registered */
#define CS_ERR_BAD_USERNAME	1005	/* username breaks the rules */
#define CS_ERR_BAD_PASSWORD	1006	/* password breaks the rules */
#define CS_ERR_NO_SUCH_USER	1007	/* DM to an unknown user */
#define CS_ERR_NO_SUCH_CONV	1008	/* unknown conversation */
#define CS_ERR_NOT_CONNECTED	1009	/* agent: no link to the server */
#define CS_ERR_BUSY		1010	/* server busy (hash pool full); retry */
#define CS_ERR_STATE		1011	/* not valid in this state */
#define CS_ERR_SESSION		1012	/* session token invalid or expired */
#define CS_ERR_BODY_TOO_BIG	1013	/* message over the size limit */
#define CS_ERR_VERSION		1014	/* protocol version not supported */
#define CS_ERR_TRUST		1015	/* server certificate not trusted */
#define CS_ERR_TIMEOUT		1016	/* server did not answer in time */
#define CS_ERR_BAD_CODE_FORMAT	1017	/* code is not 6 digits */
#define CS_ERR_DISABLED		1018	/* account disabled (same reply as 1002 on login) */
#define CS_ERR_WRONG_PASSWORD	1019	/* password_change: current password wrong */

/* Rooms and administration (doc/protocol.md, "Rooms"). */
#define CS_ERR_FORBIDDEN	1020	/* a right is missing (message says which) */
#define CS_ERR_NO_SUCH_ROOM	1021	/* no such room, or not visible */
#define CS_ERR_BANNED		1022	/* banned from the room */
#define CS_ERR_MUTED		1023	/* muted in the room */
#define CS_ERR_ROOM_TAKEN	1024	/* room name already taken */
#define CS_ERR_BAD_ROOM_NAME	1025	/* room name breaks the rules */
#define CS_ERR_NOT_MEMBER	1026	/* the user is not a member of the room */
#define CS_ERR_ALREADY		1027	/* already so (member, invited, banned...) */
#define CS_ERR_GENERAL		1028	/* not possible in #general */

/* End-to-end encryption (doc/crypto.md): 1045 on the wire, the rest agent. */
#define CS_ERR_KEYS_LOCKED	1040	/* keys locked: keys_unlock first */
#define CS_ERR_KEY_CHANGED	1041	/* a verified peer's key changed */
#define CS_ERR_NO_KEYS		1042	/* the peer has no published keys */
#define CS_ERR_TOO_MANY_RCPTS	1043	/* over 1000 recipients */
#define CS_ERR_MISMATCH		1044	/* safety number or fingerprint differs */
#define CS_ERR_EPOCH		1045	/* room membership changed: reseal */
#define CS_ERR_KEYS_MISSING	1046	/* no key file, or not the account's */
#define CS_ERR_BAD_BLOB		1047	/* wrong passphrase or damaged blob */
#define CS_KEYS_GET_MAX		1000	/* users per keys_get */

/* Messages and files (doc/protocol.md, "Files", "Deleting messages";
 * doc/files.md).  1060-1065 on the wire, 1066-1068 agent only. */
#define CS_ERR_NO_SUCH_MSG	1030	/* unknown message, or not visible */
#define CS_ERR_FILE_TOO_BIG	1060	/* file over max_file_size */
#define CS_ERR_QUOTA		1061	/* account's file quota exceeded */
#define CS_ERR_NO_SUCH_FILE	1062	/* unknown file, or not readable */
#define CS_ERR_CHUNK		1063	/* chunk out of order or wrong size */
#define CS_ERR_UPLOADS		1064	/* too many unfinished uploads */
#define CS_ERR_FILE_ATTACH	1065	/* file can't be announced by this send */
#define CS_ERR_NOT_FILE		1066	/* agent: not a file message / transfer */
#define CS_ERR_PATH		1067	/* agent: path or folder unusable */
#define CS_ERR_TRANSFERS	1068	/* agent: too many transfers */
#define CS_FILE_CHUNK		65536		/* plaintext bytes per chunk */
#define CS_FILE_CHUNK_MAX	(65536 + 17)	/* stored bytes per chunk */
#define CS_FILE_ID_LEN		32		/* hex digits of a file id */
#define CS_FILE_UPLOADS_MAX	4		/* unfinished uploads per account */

#endif
