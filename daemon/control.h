/* The control socket: RUNTIME_DIR/control, a unix stream socket, one
 * request per connection (see control_proto.h). Only root, the daemon's
 * own user and members of the "defnet" group may use it. */
#ifndef DEFNET_CONTROL_H
#define DEFNET_CONTROL_H

#include <stdio.h>

#include <event2/event.h>

#include "control_proto.h"

/* Runs one request. Writes the output to out and returns 0, or returns
 * -errno with a one-line reason in err. */
typedef int (*control_handler)(void *ctx, const struct control_request *req,
			       FILE *out, char *err, size_t errlen);

struct control;

/* Listens on path (a stale socket there is replaced). Returns 0 or -errno. */
int control_open(struct control **out, struct event_base *base, const char *path,
		 control_handler handler, void *ctx);
/* Stops listening, drops open connections and removes the socket file. */
void control_close(struct control *c);

#endif
