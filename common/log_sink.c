#include <stdarg.h>
#include <stdio.h>

#include "log_sink.h"

void log_sink_printf(const struct log_sink *sink, enum log_level level, const char *fmt, ...)
{
	char msg[LOG_SINK_LINE_MAX];
	va_list ap;

	if (!sink || !sink->fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sink->fn(sink->ctx, level, msg);
}
