/* chatsec — logging.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifndef CHATSEC_LOG_H
#define CHATSEC_LOG_H

#include <stdarg.h>

/*
 * Logging in the style of OpenBSD daemons.  Every line carries the calling
 * function's name.  Arguments formatted with %s are written as given, so
 * callers pass any string that came from the network through log_safe()
 * first: it encodes control bytes, backslashes and non-UTF-8 as \xNN so a
 * username with a newline or an escape sequence cannot forge log lines.
 *
 * Lines go to stderr (foreground) or syslog (daemon).  log_debug() prints
 * only when the verbosity is at least 1.
 */

void	 log_init(const char *progname, int foreground, int verbose);
void	 log_setverbose(int verbose);
int	 log_getverbose(void);

void	 log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* fatal() appends strerror(errno); both exit(1). */
void	 fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	 fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Encode untrusted text for a log line into one of a small ring of static
 * buffers (8 buffers of 256 bytes; longer input is cut and ends in "...").
 * The result is borrowed and valid until 8 more calls; fine for one log line.
 * NULL gives "(null)".
 */
const char *log_safe(const char *s);

/*
 * Handy macros so each line names its function.  No LOG_INFO/LOG_DEBUG:
 * those names are <syslog.h>'s priorities.
 */
#define LOG_WARN(fmt, ...)  log_warn("%s: " fmt, __func__, ##__VA_ARGS__)
#define LOG_WARNX(fmt, ...) log_warnx("%s: " fmt, __func__, ##__VA_ARGS__)
#define FATAL(fmt, ...)     fatal("%s: " fmt, __func__, ##__VA_ARGS__)
#define FATALX(fmt, ...)    fatalx("%s: " fmt, __func__, ##__VA_ARGS__)

#endif
