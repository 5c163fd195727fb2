/* The control socket: RUNTIME_DIR/control, a unix stream socket, one
 * request per connection (see control_proto.h). Only root, the daemon's
 * own user and members of the "defnet" group may use it. */
#ifndef DEFNET_CONTROL_H
#define DEFNET_CONTROL_H

#include <stdio.h>

#include <event2/event.h>

#include "control_proto.h"

/* A handler's return value for a reply that comes later (control_defer). */
#define CONTROL_DEFERRED 1

/* Runs one request. Writes the output to out and returns 0, or returns
 * -errno with a one-line reason in err, or CONTROL_DEFERRED after
 * control_defer(). */
typedef int (*control_handler)(void *ctx, const struct control_request *req,
			       FILE *out, char *err, size_t errlen);

struct control;

/* Listens on path (a stale socket there is replaced). Returns 0 or -errno. */
int control_open(struct control **out, struct event_base *base, const char *path,
		 control_handler handler, void *ctx);
/* The connection whose request runs now, whose reply the handler will
 * give later with control_finish(); call only from inside a handler, which
 * then returns CONTROL_DEFERRED. cancel(arg) runs if the connection goes
 * first (the client left, the daemon stops): nothing is to be sent then. */
struct control_conn;
struct control_conn *control_defer(struct control *c, void (*cancel)(void *arg), void *arg);

/* The deferred reply: as a handler's return value r, err and output. */
void control_finish(struct control_conn *conn, int r, const char *err,
		    const char *body, size_t body_len);

/* Stops listening, drops open connections and removes the socket file. */
void control_close(struct control *c);

#endif
