#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "boot_clock.h"
#include "control.h"
#include "log.h"
#include "log_limit.h"

#define CONTROL_GROUP "defnet"
#define CONTROL_TIMEOUT_SEC 5
#define CONTROL_MAX_CONNS 32
#define CONTROL_GROUPS_MAX 256
#define CONTROL_LOG_MS 10000    /* a limit hit is logged once per interval */

struct control_conn {
	struct control *control;
	struct bufferevent *bev;
	struct control_conn *next;
	void (*cancel)(void *arg);  /* a deferred reply still to come */
	void *cancel_arg;
};

struct control {
	struct evconnlistener *listener;
	char *path;
	control_handler handler;
	void *ctx;
	gid_t group;          /* (gid_t)-1 when the group does not exist */
	struct control_conn *conns;
	struct control_conn *current;  /* whose request the handler runs */
	unsigned n_conns;
	struct log_limit rl_full, rl_refused;
};

/* True when this event is to be logged; *held is then how many were not,
 * since the last one. */
static bool control_log_due(struct log_limit *rl, uint64_t *held)
{
	return log_limit_due(rl, boot_clock_ms(), CONTROL_LOG_MS, held);
}

static void control_conn_free(struct control_conn *conn)
{
	struct control *c = conn->control;

	if (conn->cancel)
		conn->cancel(conn->cancel_arg);

	for (struct control_conn **p = &c->conns; *p; p = &(*p)->next) {
		if (*p == conn) {
			*p = conn->next;
			break;
		}
	}
	c->n_conns--;
	bufferevent_free(conn->bev);
	free(conn);
}

/* Is uid a member of gid, as its primary group or a supplementary one? */
static bool control_user_in_group(uid_t uid, gid_t gid)
{
	struct passwd pw, *res = NULL;
	gid_t groups[CONTROL_GROUPS_MAX];
	int n = CONTROL_GROUPS_MAX;
	char buf[1024];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return false;
	if (pw.pw_gid == gid)
		return true;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* The socket file's mode already keeps others out; this checks the peer
 * itself, so a socket made reachable by mistake still refuses them. */
static bool control_peer_allowed(struct control *c, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uint64_t held;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	if (cred.uid == 0 || cred.uid == geteuid())
		return true;
	if (c->group != (gid_t)-1 && (cred.gid == c->group ||
				      control_user_in_group(cred.uid, c->group)))
		return true;
	if (control_log_due(&c->rl_refused, &held))
		log_warning("control: refused uid %u (pid %d): not root, not in group %s "
			    "(%llu more since the last report)", (unsigned)cred.uid, (int)cred.pid,
			    CONTROL_GROUP, (unsigned long long)held);
	return false;
}

static void control_on_flushed(struct bufferevent *bev, void *arg)
{
	control_conn_free(arg);
}

static void control_on_event(struct bufferevent *bev, short what, void *arg)
{
	control_conn_free(arg);
}

/* Queues the status line and body, and closes once they are written. */
static void control_reply(struct control_conn *conn, int r, const char *err,
			  const char *body, size_t body_len)
{
	struct evbuffer *out = bufferevent_get_output(conn->bev);

	if (r == 0)
		evbuffer_add(out, "ok\n", 3);
	else
		evbuffer_add_printf(out, "error: %s\n", err);
	if (r == 0 && body_len)
		evbuffer_add(out, body, body_len);
	bufferevent_disable(conn->bev, EV_READ);
	bufferevent_setcb(conn->bev, NULL, control_on_flushed, control_on_event, conn);
}

/* While a deferred reply is pending: a client has nothing more to say. */
static void control_on_drain(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	evbuffer_drain(in, evbuffer_get_length(in));
}

static void control_dispatch(struct control_conn *conn, const char *line, size_t len)
{
	struct control *c = conn->control;
	struct control_request req;
	char err[CONTROL_STATUS_MAX] = "";
	char *body = NULL;
	size_t body_len = 0;
	FILE *out;
	int r;

	r = control_request_parse(line, len, &req);
	if (r < 0) {
		log_debug("control: malformed request dropped (%s)", strerror(-r));
		control_reply(conn, r, "malformed request", NULL, 0);
		return;
	}
	out = open_memstream(&body, &body_len);
	if (!out) {
		control_reply(conn, -ENOMEM, "out of memory", NULL, 0);
		return;
	}
	c->current = conn;
	r = c->handler(c->ctx, &req, out, err, sizeof(err));
	c->current = NULL;
	if (r == CONTROL_DEFERRED) {
		fclose(out);
		free(body);
		/* Reading goes on only to see a hang-up, which cancels the
		 * reply; the wait is the handler's to bound. */
		bufferevent_setcb(conn->bev, control_on_drain, NULL, control_on_event, conn);
		bufferevent_set_timeouts(conn->bev, NULL, NULL);
		return;
	}
	if (fclose(out) != 0 && r == 0) {
		r = -ENOMEM;
		snprintf(err, sizeof(err), "out of memory");
	}
	if (r < 0 && err[0] == '\0')
		snprintf(err, sizeof(err), "%s", strerror(-r));
	control_reply(conn, r, err, body, body_len);
	free(body);
}

static void control_on_read(struct bufferevent *bev, void *arg)
{
	struct control_conn *conn = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
	char line[CONTROL_REQUEST_MAX];

	if (eol.pos < 0) {
		if (evbuffer_get_length(in) >= CONTROL_REQUEST_MAX)
			control_reply(conn, -EMSGSIZE, "request too long", NULL, 0);
		return;
	}
	if ((size_t)eol.pos + 1 > sizeof(line)) {
		control_reply(conn, -EMSGSIZE, "request too long", NULL, 0);
		return;
	}
	evbuffer_remove(in, line, (size_t)eol.pos + 1);
	control_dispatch(conn, line, (size_t)eol.pos + 1);
}

static void control_on_accept(struct evconnlistener *l, evutil_socket_t fd,
			      struct sockaddr *sa, int salen, void *arg)
{
	struct control *c = arg;
	struct timeval tv = { CONTROL_TIMEOUT_SEC, 0 };
	struct control_conn *conn;
	uint64_t held;

	if (c->n_conns >= CONTROL_MAX_CONNS) {
		if (control_log_due(&c->rl_full, &held))
			log_warning("control: %u connections open, refusing another "
				    "(%llu more since the last report)", c->n_conns,
				    (unsigned long long)held);
		close(fd);
		return;
	}
	conn = calloc(1, sizeof(*conn));
	if (!conn) {
		close(fd);
		return;
	}
	conn->bev = bufferevent_socket_new(evconnlistener_get_base(l), fd, BEV_OPT_CLOSE_ON_FREE);
	if (!conn->bev) {
		free(conn);
		close(fd);
		return;
	}
	conn->control = c;
	conn->next = c->conns;
	c->conns = conn;
	c->n_conns++;
	bufferevent_setcb(conn->bev, control_on_read, NULL, control_on_event, conn);
	bufferevent_set_timeouts(conn->bev, &tv, &tv);
	bufferevent_setwatermark(conn->bev, EV_READ, 0, CONTROL_REQUEST_MAX);
	if (!control_peer_allowed(c, fd)) {
		control_reply(conn, -EACCES, "permission denied", NULL, 0);
		bufferevent_enable(conn->bev, EV_WRITE);
		return;
	}
	bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
}

/* Binds the socket with mode 0660 and the defnet group, so the file's
 * permissions keep others out from the first moment. */
static int control_bind(struct control *c, int *fdp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(c->path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, c->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (unlink(c->path) < 0 && errno != ENOENT)
		goto fail;
	mode_t old = umask(0117);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0)
		goto fail;
	/* Under the unit's Group=defnet the file has that group already, and
	 * the unit's system call filter refuses chown(). */
	if (c->group != (gid_t)-1 && c->group != getegid() &&
	    chown(c->path, (uid_t)-1, c->group) < 0)
		goto fail;
	*fdp = fd;
	return 0;
fail:
	r = -errno;
	close(fd);
	return r;
}

int control_open(struct control **out, struct event_base *base, const char *path,
		 control_handler handler, void *ctx)
{
	struct control *c = calloc(1, sizeof(*c));
	struct group *gr;
	int fd = -1, r;

	if (!c)
		return -ENOMEM;
	c->path = strdup(path);
	if (!c->path) {
		free(c);
		return -ENOMEM;
	}
	c->handler = handler;
	c->ctx = ctx;
	gr = getgrnam(CONTROL_GROUP);
	c->group = gr ? gr->gr_gid : (gid_t)-1;
	r = control_bind(c, &fd);
	if (r < 0)
		goto fail;
	c->listener = evconnlistener_new(base, control_on_accept, c,
					 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16, fd);
	if (!c->listener) {
		close(fd);
		unlink(c->path);
		r = -ENOMEM;
		goto fail;
	}
	*out = c;
	return 0;
fail:
	free(c->path);
	free(c);
	return r;
}

struct control_conn *control_defer(struct control *c, void (*cancel)(void *arg), void *arg)
{
	struct control_conn *conn = c->current;

	if (conn) {
		conn->cancel = cancel;
		conn->cancel_arg = arg;
	}
	return conn;
}

void control_finish(struct control_conn *conn, int r, const char *err,
		    const char *body, size_t body_len)
{
	conn->cancel = NULL;
	bufferevent_enable(conn->bev, EV_WRITE);
	control_reply(conn, r, err, body, body_len);
}

void control_close(struct control *c)
{
	if (!c)
		return;
	while (c->conns)
		control_conn_free(c->conns);
	evconnlistener_free(c->listener);
	unlink(c->path);
	free(c->path);
	free(c);
}
