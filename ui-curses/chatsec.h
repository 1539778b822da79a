/* chatsec — the curses UI: private header.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSEC_UI_H
#define CHATSEC_UI_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

struct event_base;
struct json_object;

/* Limits of the UI. */
#define UI_LINES_DEFAULT	5000	/* lines kept per window */
#define UI_LINES_MIN		100
#define UI_LINES_MAX		100000
#define UI_INPUT_MAX		16384	/* bytes of UTF-8 in the input line */
#define UI_HISTORY_MAX		100	/* input history entries */
#define UI_HISTORY_PAGE		50	/* messages per history request */
#define UI_PENDING_MAX		256	/* unanswered requests to the agent */
#define UI_OUT_MAX		(4 * 1024 * 1024) /* bytes queued to the agent */
#define UI_FRAMES_PER_TURN	256	/* agent lines handled per loop turn */
#define UI_AGENT_WAIT_MS	10000	/* how long to wait for a new agent */
#define UI_RECONNECT_MS		1000	/* retry period after losing the agent */
#define UI_DISCOVER_EVENTS	1000	/* events scanned for DMs on first attach */
#define UI_ONLINE_MAX		10000	/* users remembered as online */
#define UI_MEMBERS_MAX		10000	/* members kept per room window */
#define UI_ROOMS_MAX		1000	/* room names kept for completion */
#define UI_NAMES_SHOWN		500	/* names /names prints */
#define UI_DELETE_CONFIRM_MS	30000	/* /delete must be repeated within */
#define UI_FILES_MAX		32	/* transfers followed at once */
#define UI_STATUS_WINDOW	"(status)"	/* never a room or a user */

/* Alt-key: ESC followed by an ASCII character, as one key code. */
#define UI_KEY_META(c)		(KEY_MAX + 1 + (c))
#define UI_KEY_IS_META(k)	((k) > KEY_MAX && (k) <= KEY_MAX + 128)
#define UI_KEY_CTRL(c)		((c) & 0x1f)

/* Not a proto.h code: the reply never came because the agent went away. */
#define UI_ERR_DETACHED		(-1)

/* What the whole screen shows. */
enum ui_mode {
	UI_MODE_ATTACHING,	/* waiting for the agent or its status */
	UI_MODE_LOGIN,		/* register-or-login form */
	UI_MODE_MAIN,		/* windows, conversation, input */
};

/* Configuration from the command line and /set (chatsec.c). */
struct ui_conf {
	char		*socket_path;
	char		*profile_dir;	/* NULL: the agent's default */
	char		*server;	/* NULL: the agent's remembered one */
	int		 bell;		/* ring on DM or mention */
	int		 typing;	/* tell others when we type */
	int		 lines;		/* lines kept per window */
	int		 members;	/* show the member list pane */
	int		 verbose;
	char		*download_dir;	/* -D; NULL: files_download_dir() */
};

/* The event stream on the agent connection. */
#define UI_SUB_NONE	0
#define UI_SUB_LINK	1	/* link events only (login screen) */
#define UI_SUB_FULL	2	/* everything; seqs counted in last_seq */

/* What the UI knows of the agent and the session (ui-session.c). */
struct ui_state {
	enum ui_mode	 mode;
	int		 attached;	/* connected to the agent socket */
	int		 ever_attached;
	char		*agent_version;
	char		*link;		/* link state name, or NULL */
	char		*link_error;
	char		*server;
	char		*user;		/* logged-in account, or NULL */
	int		 logged_in;
	int		 subscribed;	/* UI_SUB_* */
	int64_t		 last_seq;	/* newest event seq seen; -1: none */
	char		*detach_reason;	/* why the agent connection went */
	char		*notice;	/* said once, on the first screen */
	char		*keys;		/* end-to-end keys state, or NULL */
	char		*away;		/* our away text, or NULL */
};

/* A reply from the agent as a callback sees it; everything is borrowed. */
struct ui_reply {
	int			 code;		/* 0, a proto.h code, or
						   UI_ERR_DETACHED */
	const char		*message;	/* error sentence */
	struct json_object	*result;	/* on success */
	struct json_object	*data;		/* error data or NULL */
};

/* One line of a window (ui-windows.c). */
enum ui_line_type {
	UI_LINE_MSG,		/* a message */
	UI_LINE_ACTION,		/* a message sent with /me */
	UI_LINE_INFO,		/* a local notice */
	UI_LINE_ERROR,		/* a local error */
	UI_LINE_WARN,		/* a security warning: can't be missed */
	UI_LINE_FILE,		/* a file message (ui-files.c) */
};
#define UI_LINE_SELF		0x1	/* sent by this account */
#define UI_LINE_PENDING		0x2	/* sent, not yet acknowledged */
#define UI_LINE_FAILED		0x4	/* sending failed */
#define UI_LINE_MENTION		0x8	/* names this account */
struct ui_line {
	enum ui_line_type	 type;
	int			 flags;
	int64_t			 id;		/* message id; 0 for local lines */
	int64_t			 ts;		/* milliseconds since the epoch */
	int			 day;		/* local yyyymmdd of ts */
	char			*from;		/* NULL for local lines */
	char			*text;		/* UTF-8 */
	char			*cid;		/* client id while pending */
	char			*tag;		/* a local line updated in place */
	int			 rows;		/* cached wrapped height ... */
	int			 rows_width;	/* ... at this width */
	TAILQ_ENTRY(ui_line)	 entry;
};
TAILQ_HEAD(ui_lines, ui_line);

/* A member of a room as the member pane shows it (ui-rooms.c). */
#define UI_ROLE_MEMBER		0
#define UI_ROLE_OPERATOR	1
#define UI_ROLE_OWNER		2
struct ui_member {
	char			*user;
	int			 role;		/* UI_ROLE_* */
	int			 muted;
};

/*
 * A window: a room, a DM, or the status window (ui-windows.c).  Room
 * windows also carry what the UI knows of the room (ui-rooms.c).
 */
struct ui_window {
	char			*name;		/* "#dev", the peer, or
						   UI_STATUS_WINDOW */
	int			 dm;
	int			 status;	/* the status window */
	int			 member;	/* a room we are a member of */
	int			 dead;		/* a room that was deleted */
	char			*topic;		/* room topic, or NULL */
	int			 role;		/* our role: UI_ROLE_* */
	u_int			 count_members;	/* from room_list */
	u_int			 count_online;
	struct ui_member	*members;	/* sorted: owner, operators, ... */
	u_int			 nmembers;
	int			 members_width;	/* widest "~name", columns */
	int			 members_loaded;
	int			 members_fetching;
	struct ui_lines		 lines;
	u_int			 nlines;
	u_int			 unread;
	int			 highlight;	/* unread DM or mention */
	int			 alert;		/* unseen security warning */
	int64_t			 oldest_id;	/* smallest message id held */
	int			 more;		/* older history exists */
	int			 fetching;	/* history request in flight */
	int			 full;		/* scrollback limit reached */
	int			 scroll;	/* rows scrolled up from the end */
	TAILQ_ENTRY(ui_window)	 entry;
};
TAILQ_HEAD(ui_windows, ui_window);

/* A line editor, used by the input line and the login form (ui-input.c). */
struct input_line {
	wchar_t		*buf;
	size_t		 len;		/* characters */
	size_t		 size;		/* allocated characters */
	size_t		 cur;		/* cursor, in characters */
	size_t		 off;		/* first character shown */
	size_t		 bytes;		/* UTF-8 length of buf */
	size_t		 max_bytes;
	int		 secret;	/* wipe on free, draw as '*' */
	int		 digits;	/* accept only 0-9 */
};

/* One character cell of text on the screen (ui-screen.c). */
struct screen_cell {
	wchar_t		 wc;
	unsigned char	 width;		/* 0 for a combining character */
	attr_t		 attr;
	short		 pair;
};

/* A growable run of cells (ui-screen.c). */
struct screen_cells {
	struct screen_cell	*c;
	size_t			 n;
	size_t			 size;
};

/* Colour pairs. */
enum screen_pair {
	SCREEN_PAIR_DEFAULT,
	SCREEN_PAIR_BAR,	/* title and status lines */
	SCREEN_PAIR_ERROR,
	SCREEN_PAIR_INFO,
	SCREEN_PAIR_TIME,
	SCREEN_PAIR_HIGHLIGHT,
	SCREEN_PAIR_ACTIVITY,
	SCREEN_PAIR_QR,		/* black on white */
	SCREEN_PAIR_SELF,
	SCREEN_PAIR_NICK0,	/* SCREEN_NICK_COLOURS pairs follow */
};
#define SCREEN_NICK_COLOURS	6

/* chatsec.c */
extern struct ui_conf		 ui_conf;
extern struct event_base	*ui_base;
void	 ui_quit(const char *);

/* ui-conn.c */
int	 ui_conn_connect(const char *path);
int	 ui_conn_spawn_agent(char *err, size_t errlen);
void	 ui_conn_attach(int fd);
void	 ui_conn_free(void);
int	 ui_conn_request(const char *method, struct json_object *params,
	     int secret, void (*)(struct ui_reply *, void *), void *arg);

/* ui-session.c */
extern struct ui_state	 ui;
void	 session_attached(void);
void	 session_detached(const char *why);
void	 session_logged_in(const char *user);
void	 session_logged_out(const char *why);
void	 session_status(void);
void	 session_event(struct json_object *params);
int	 session_check_auth(struct ui_reply *);
int	 session_is_online(const char *user);
u_int	 session_online_count(void);
const char *session_online_get(u_int);
const char *session_away_of(const char *user);
void	 session_away(const char *text);
void	 session_who(const char *);
void	 session_free(void);
void	 session_set_str(char **, const char *);

/* ui-windows.c */
extern struct ui_windows	 windows;
extern struct ui_window		*window_current;
struct ui_window *window_find(const char *name);
struct ui_window *window_get(const char *name);
struct ui_window *window_status(void);
u_int	 window_index(struct ui_window *);
struct ui_window *window_at(u_int);
void	 window_select(struct ui_window *);
void	 window_next(void);
void	 window_previous(void);
void	 window_close(struct ui_window *);
void	 window_free_all(void);
void	 window_add_message(struct json_object *msg, int live);
void	 window_add_line(struct ui_window *, enum ui_line_type,
	     const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void	 window_tag_line(struct ui_window *, const char *tag,
	     enum ui_line_type, const char *fmt, ...)
	     __attribute__((format(printf, 4, 5)));
void	 window_add_pending(struct ui_window *, const char *text,
	     const char *cid);
void	 window_send_done(const char *cid, int64_t id, int64_t ts);
void	 window_send_failed(const char *cid, const char *why);
void	 window_fetch_history(struct ui_window *, int older);
void	 window_clear(struct ui_window *);
int	 window_mentions(const char *text, const char *user);

/* ui-screen.c */
void	 screen_init(void);
void	 screen_free(void);
void	 screen_update(void);
void	 screen_redraw_all(void);
void	 screen_resize(void);
void	 screen_bell(void);
int	 screen_line_height(struct ui_line *);
void	 screen_page(int dir);
void	 screen_cells_add(struct screen_cells *, const char *, size_t,
	     attr_t, short);
void	 screen_cells_free(struct screen_cells *);
int	 screen_put_cells(int y, int x, int maxw, const struct screen_cell *,
	     size_t n);
attr_t	 screen_attr(attr_t, short);
int	 screen_print(int y, int x, int maxw, attr_t, short, const char *);
int	 screen_print_wrap(int y, int x, int width, int maxrows, attr_t,
	     short, const char *);
int	 screen_text_width(const char *);
short	 screen_nick_pair(const char *);
int	 screen_has_colour(void);

/* ui-input.c */
void	 input_init(void);
void	 input_free(void);
void	 input_key_main(int iskey, wint_t);
void	 input_ask_secret(const char *prompt, void (*done)(char *));
void	 input_draw(int y, int width);
void	 input_line_init(struct input_line *, size_t max_bytes, int secret);
void	 input_line_free(struct input_line *);
void	 input_line_clear(struct input_line *);
int	 input_line_edit(struct input_line *, int iskey, wint_t);
char	*input_line_string(struct input_line *);
int	 input_line_draw(struct input_line *, int y, int x, int width);

/* ui-typing.c */
void	 typing_event(struct json_object *params);
void	 typing_message(const char *conv, const char *user);
void	 typing_status(const char *conv, char *buf, size_t len);
void	 typing_input(int is_text);
void	 typing_free(void);

/* ui-rooms.c */
void	 rooms_refresh(void);
void	 rooms_known_add(const char *room);
void	 rooms_event(struct json_object *params);
void	 rooms_set_info(struct ui_window *, struct json_object *result);
void	 rooms_members_want(struct ui_window *, int print);
void	 rooms_members_free(struct ui_window *);
const char *rooms_role_mark(int role, int muted);
int	 rooms_role_parse(const char *);
u_int	 rooms_known_count(void);
const char *rooms_known_get(u_int);
void	 rooms_free(void);

/* ui-security.c */
void	 security_event(const char *type, struct json_object *params);
u_int	 security_alerts(char *names, size_t len);

/* ui-cmd.c */
struct cmd_entry {
	const char	*name;
	const char	*usage;		/* arguments, for "usage: /name ..." */
	int		 min;
	int		 max;
	int		 flags;
	const char	*help;
	void		(*exec)(const struct cmd_entry *, int, char **);
};
#define CMD_ARGS_MAX	4
#define CMD_REST	0x1	/* the last argument takes the rest of the line */
#define CMD_LOGIN	0x2	/* needs the main screen (logged in) */
#define CMD_ROOM	0x4	/* a first argument "#room" names the room */
extern const char	*cmd_room_arg;	/* that "#room", or NULL */
void	 cmd_execute(const char *line);
u_int	 cmd_complete(const char *prefix, const char **out, u_int max);
void	 cmd_send_text(struct ui_window *, const char *text);
int	 cmd_check_nick(const struct cmd_entry *, const char *nick);
int	 cmd_number(const char *s, long min, long max, long *out);

/* ui-cmd-passwd.c */
void	 cmd_passwd(const struct cmd_entry *, int, char **);

/* ui-cmd-keys.c */
void	 cmd_keys_unlock(const struct cmd_entry *, int, char **);
void	 cmd_keys_verify(const struct cmd_entry *, int, char **);
void	 cmd_keys_accept(const struct cmd_entry *, int, char **);

/* ui-cmd-room.c */
void	 cmd_room_join(const struct cmd_entry *, int, char **);
void	 cmd_room_create(const struct cmd_entry *, int, char **);
void	 cmd_room_part(const struct cmd_entry *, int, char **);
void	 cmd_room_topic(const struct cmd_entry *, int, char **);
void	 cmd_room_names(const struct cmd_entry *, int, char **);
void	 cmd_room_list(const struct cmd_entry *, int, char **);
void	 cmd_room_user(const struct cmd_entry *, int, char **);
void	 cmd_room_ban(const struct cmd_entry *, int, char **);
void	 cmd_room_delete(const struct cmd_entry *, int, char **);
void	 cmd_room_close(const struct cmd_entry *, int, char **);
void	 cmd_room_free(void);

/* ui-files.c */
char	*files_message_text(int64_t id, struct json_object *file,
	     const char *caption, int self);
void	 files_event(const char *type, struct json_object *params);
void	 files_free(void);
void	 cmd_file_send(const struct cmd_entry *, int, char **);
void	 cmd_file_save(const struct cmd_entry *, int, char **);
void	 cmd_file_list(const struct cmd_entry *, int, char **);
void	 cmd_file_cancel(const struct cmd_entry *, int, char **);

/* ui-login.c */
void	 login_enter(const char *info);
void	 login_leave(void);
void	 login_key(int iskey, wint_t);
void	 login_draw(void);

/* ui-qr.c */
struct qr_code;
struct qr_code *qr_new(const char *text);
void	 qr_free(struct qr_code *);
int	 qr_rows(const struct qr_code *);
int	 qr_cols(const struct qr_code *);
void	 qr_draw(const struct qr_code *, int y, int x);

#endif
