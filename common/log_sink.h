/* How a library logs without knowing the daemon's journal: the daemon
 * hands it a sink (a function and its context), the library formats a line
 * and passes it on. One level scale for the whole tree: syslog priorities,
 * which is what the journal's PRIORITY= takes. */
#ifndef DEFNET_LOG_SINK_H
#define DEFNET_LOG_SINK_H

enum log_level {
	LOG_LEVEL_ERROR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/* One formatted line is cut at this many bytes (terminator included). */
#define LOG_SINK_LINE_MAX 512

typedef void (*log_sink_fn)(void *ctx, enum log_level level, const char *msg);

struct log_sink {
	log_sink_fn fn;   /* NULL: lines are dropped */
	void *ctx;
};

void log_sink_printf(const struct log_sink *sink, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
