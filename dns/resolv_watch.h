/* Watches the host's resolv.conf with inotify and says when to re-read it.
 * Covers the ways the file changes in practice: rewritten in place
 * (IN_MODIFY/IN_CLOSE_WRITE on the file), replaced by rename (IN_MOVED_TO
 * in its directory), a symlink switched to another target (events on the
 * link's directory), and the target of a symlink replaced by rename in its
 * own directory (systemd-resolved's /run/systemd/resolve). The watches
 * follow the path again after each change. Events come in bursts; the
 * callback runs once, RESOLV_WATCH_SETTLE_MS after the last. */
#ifndef DEFNET_RESOLV_WATCH_H
#define DEFNET_RESOLV_WATCH_H

#include <event2/event.h>

#define RESOLV_WATCH_SETTLE_MS 100

struct resolv_watch;

typedef void (*resolv_watch_cb)(void *ctx);

/* Returns 0 or -errno (no inotify, or the path's directory cannot be
 * watched). */
int resolv_watch_new(struct resolv_watch **w, struct event_base *base, const char *path,
		     resolv_watch_cb cb, void *ctx);
void resolv_watch_free(struct resolv_watch *w);

#endif
