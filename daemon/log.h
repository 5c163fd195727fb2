/* Logging: the journal's native protocol when stderr is connected to the
 * journal (JOURNAL_STREAM matches), otherwise one plain line per message on
 * stderr. Structured fields ride along either way. */
#ifndef DEFNET_LOG_H
#define DEFNET_LOG_H

#include <stdarg.h>
#include <stddef.h>

#include "log_sink.h"

/* A structured field for log_event(): KEY (upper case, journal rules) and
 * its value. On stderr they are shown as KEY=value after the message. */
struct log_field {
	const char *key;
	const char *value;
};

void log_init(const char *ident);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
const char *log_level_name(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A message with a MESSAGE_ID (32 hex digits, may be NULL) and fields. */
void log_event(enum log_level level, const char *message_id,
	       const struct log_field *fields, size_t n_fields,
	       const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
