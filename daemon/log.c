#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define LOG_LINE_MAX 2048
#define LOG_FIELDS_MAX 16

static struct {
	const char *ident;
	enum log_level level;
	int journal_fd;  /* -1: plain stderr */
} log_state = { "defnetd", LOG_LEVEL_INFO, -1 };

/* systemd sets JOURNAL_STREAM=DEV:INODE when stderr is connected to the
 * journal; it only counts if stderr is still that stream (a child may have
 * inherited the variable with stderr redirected elsewhere). */
static bool log_stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

static int log_journal_open(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

void log_init(const char *ident)
{
	log_state.ident = ident;
	if (log_state.journal_fd < 0 && log_stderr_is_journal())
		log_state.journal_fd = log_journal_open();
}

void log_set_level(enum log_level level)
{
	log_state.level = level;
}

enum log_level log_get_level(void)
{
	return log_state.level;
}

const char *log_level_name(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERROR: return "error";
	case LOG_LEVEL_WARNING: return "warning";
	case LOG_LEVEL_INFO: return "info";
	case LOG_LEVEL_DEBUG: return "debug";
	}
	return "info";
}

/* One field of the journal's native protocol. A value with a newline
 * cannot use KEY=value; it goes as KEY\n, a little-endian 64-bit length,
 * the bytes, and \n. */
static size_t log_journal_field(struct iovec *iov, uint64_t *lenbuf,
				const char *key, const char *value)
{
	static char eq[] = "=", nl[] = "\n";
	size_t n = 0, vlen = strlen(value);

	iov[n++] = (struct iovec){ (void *)key, strlen(key) };
	if (memchr(value, '\n', vlen)) {
		*lenbuf = htole64(vlen);
		iov[n++] = (struct iovec){ nl, 1 };
		iov[n++] = (struct iovec){ lenbuf, sizeof(*lenbuf) };
	} else {
		iov[n++] = (struct iovec){ eq, 1 };
	}
	iov[n++] = (struct iovec){ (void *)value, vlen };
	iov[n++] = (struct iovec){ nl, 1 };
	return n;
}

static void log_journal_send(enum log_level level, const char *message_id,
			     const struct log_field *fields, size_t n_fields,
			     const char *message)
{
	struct iovec iov[(LOG_FIELDS_MAX + 4) * 5];
	uint64_t lens[LOG_FIELDS_MAX + 4];
	char priority[2] = { (char)('0' + level), '\0' };
	size_t n = 0, k = 0;

	if (n_fields > LOG_FIELDS_MAX)
		n_fields = LOG_FIELDS_MAX;
	n += log_journal_field(iov + n, &lens[k++], "MESSAGE", message);
	n += log_journal_field(iov + n, &lens[k++], "PRIORITY", priority);
	n += log_journal_field(iov + n, &lens[k++], "SYSLOG_IDENTIFIER", log_state.ident);
	if (message_id)
		n += log_journal_field(iov + n, &lens[k++], "MESSAGE_ID", message_id);
	for (size_t i = 0; i < n_fields; i++)
		n += log_journal_field(iov + n, &lens[k++], fields[i].key, fields[i].value);

	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = n };
	if (sendmsg(log_state.journal_fd, &mh, MSG_NOSIGNAL) >= 0)
		return;
	/* The journal went away (restarting): say it on stderr instead. */
	fprintf(stderr, "%s: %s: %s\n", log_state.ident, log_level_name(level), message);
}

__attribute__((format(printf, 5, 0)))
static void log_vemit(enum log_level level, const char *message_id,
		      const struct log_field *fields, size_t n_fields,
		      const char *fmt, va_list ap)
{
	char message[LOG_LINE_MAX];
	int saved_errno = errno;

	if (level > log_state.level)
		return;
	vsnprintf(message, sizeof(message), fmt, ap);
	if (log_state.journal_fd >= 0)
		log_journal_send(level, message_id, fields, n_fields, message);
	else
		fprintf(stderr, "%s: %s: %s\n", log_state.ident, log_level_name(level), message);
	errno = saved_errno;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(level, NULL, NULL, 0, fmt, ap);
	va_end(ap);
}

void log_event(enum log_level level, const char *message_id,
	       const struct log_field *fields, size_t n_fields,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(level, message_id, fields, n_fields, fmt, ap);
	va_end(ap);
}
