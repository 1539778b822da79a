/* chatsec — logging.  Copyright (c) 2026 The chatsec authors.  ISC licence. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"
#include "utf8.h"

#define LOG_LINE_MAX	8192
#define LOG_SAFE_BUFS	8
#define LOG_SAFE_SIZE	256

static const char	*log_progname = "chatsec";
static int		 log_foreground = 1;
static int		 log_verbose;

static void	 log_vwrite(int, const char *, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));

/*
 * Set up logging: foreground processes write to stderr, daemons to syslog.
 * progname is borrowed and must outlive the process's logging.
 */
void
log_init(const char *progname, int foreground, int verbose)
{
	if (progname != NULL)
		log_progname = progname;
	log_foreground = foreground;
	log_verbose = verbose;
	if (!foreground)
		openlog(log_progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* Change the verbosity; log_debug() prints only at 1 or above. */
void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

/* Return the current verbosity. */
int
log_getverbose(void)
{
	return (log_verbose);
}

/*
 * Format one line and emit it in a single write, so lines from several
 * threads do not interleave.  suffix (strerror) is appended after ": ".
 */
static void
log_vwrite(int pri, const char *suffix, const char *fmt, va_list ap)
{
	char		 msg[LOG_LINE_MAX], stamp[64];
	struct timespec	 ts;
	struct tm	 tm;
	int		 saved_errno = errno;

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (log_foreground) {
		clock_gettime(CLOCK_REALTIME, &ts);
		if (localtime_r(&ts.tv_sec, &tm) == NULL ||
		    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm) == 0)
			snprintf(stamp, sizeof stamp, "?");
		if (suffix != NULL)
			fprintf(stderr, "%s: %s.%03ld %s: %s\n", log_progname,
			    stamp, ts.tv_nsec / 1000000L, msg, suffix);
		else
			fprintf(stderr, "%s: %s.%03ld %s\n", log_progname,
			    stamp, ts.tv_nsec / 1000000L, msg);
		fflush(stderr);
	} else {
		if (suffix != NULL)
			syslog(pri, "%s: %s", msg, suffix);
		else
			syslog(pri, "%s", msg);
	}
	errno = saved_errno;
}

/* Log a recoverable error with strerror(errno) appended. */
void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved_errno = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_ERR, strerror(saved_errno), fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

/* Log a recoverable error without errno. */
void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_ERR, NULL, fmt, ap);
	va_end(ap);
}

/* Log an informational line. */
void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

/* Log a debugging line, only when verbose. */
void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

/* Log with strerror(errno) and exit: for the impossible and out of memory. */
void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	saved_errno = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, strerror(saved_errno), fmt, ap);
	va_end(ap);
	exit(1);
}

/* Log and exit, without errno. */
void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

/*
 * Encode untrusted text into one of a ring of static buffers: control
 * characters (C0, DEL and C1), backslash and bytes that are not UTF-8
 * become \xNN; valid multibyte UTF-8 is kept.  The ring is per thread so
 * that hashing threads can log too.
 */
const char *
log_safe(const char *s)
{
	static __thread char	 bufs[LOG_SAFE_BUFS][LOG_SAFE_SIZE];
	static __thread unsigned idx;
	char			*out, unit[16];
	size_t			 pos = 0, mark = 0, n, ulen, left;
	unsigned int		 cp;
	unsigned char		 c;
	int			 cut = 0;

	if (s == NULL)
		return ("(null)");
	out = bufs[idx++ % LOG_SAFE_BUFS];
	left = strlen(s);

	while (left > 0) {
		c = (unsigned char)*s;
		n = 1;
		if (c < 0x20 || c == 0x7f || c == '\\')
			ulen = (size_t)snprintf(unit, sizeof unit, "\\x%02x", c);
		else if (c < 0x80) {
			unit[0] = (char)c;
			ulen = 1;
		} else if ((n = utf8_decode(s, left, &cp)) == 0 ||
		    (cp >= 0x80 && cp <= 0x9f)) {
			/* Invalid, or a C1 control some terminals obey. */
			if (n == 0)
				n = 1;
			ulen = 0;
			for (size_t i = 0; i < n; i++)
				ulen += (size_t)snprintf(unit + ulen,
				    sizeof unit - ulen, "\\x%02x",
				    (unsigned char)s[i]);
		} else {
			memcpy(unit, s, n);
			ulen = n;
		}

		/* Keep room for "..." should the rest not fit. */
		if (pos + ulen <= LOG_SAFE_SIZE - 4)
			mark = pos + ulen;
		if (pos + ulen > LOG_SAFE_SIZE - 1) {
			cut = 1;
			break;
		}
		memcpy(out + pos, unit, ulen);
		pos += ulen;
		s += n;
		left -= n;
	}
	if (cut) {
		memcpy(out + mark, "...", 3);
		pos = mark + 3;
	}
	out[pos] = '\0';
	return (out);
}
