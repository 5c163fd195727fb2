/* inotify on resolv.conf, its directory, and its symlink target's. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "resolv_watch.h"

#define WATCH_DIR_MASK (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | \
			IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB)
#define WATCH_FILE_MASK (IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | \
			 IN_MOVE_SELF)
#define WATCH_MAX 3              /* the file, its directory, the target's */

struct watch_slot {
	int wd;                  /* -1: none */
	char name[NAME_MAX + 1]; /* for a directory: the entries that matter */
	char alt[NAME_MAX + 1];
};

struct resolv_watch {
	int fd;
	struct event *ev, *settle;
	char path[PATH_MAX];
	struct watch_slot slots[WATCH_MAX];
	resolv_watch_cb cb;
	void *ctx;
};

/* Splits path into its directory and last component. */
static int watch_split(const char *path, char *dir, char *base)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash) {
		strcpy(dir, ".");
		n = strlen(path);
		if (n > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(base, path, n + 1);
		return 0;
	}
	n = (size_t)(slash - path);
	if (n == 0)
		n = 1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	if (strlen(slash + 1) > NAME_MAX)
		return -ENAMETOOLONG;
	strcpy(base, slash + 1);
	return 0;
}

static void watch_set(struct watch_slot *s, int wd, const char *name)
{
	s->wd = wd;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->alt[0] = '\0';
}

/* (Re)places the watches where the path leads now; watches no longer
 * needed are removed. Returns 0, or -errno when not even the path's
 * directory can be watched. */
static int watch_arm(struct resolv_watch *w)
{
	struct watch_slot next[WATCH_MAX];
	char dir[PATH_MAX], base[NAME_MAX + 1], real[PATH_MAX];
	char rdir[PATH_MAX], rbase[NAME_MAX + 1];
	int wd, r;

	for (unsigned i = 0; i < WATCH_MAX; i++)
		watch_set(&next[i], -1, "");
	r = watch_split(w->path, dir, base);
	if (r < 0)
		return r;
	wd = inotify_add_watch(w->fd, dir, WATCH_DIR_MASK | IN_ONLYDIR);
	if (wd < 0)
		return -errno;
	watch_set(&next[0], wd, base);
	/* The file itself, through any symlinks; missing is fine (the
	 * directory tells when it appears). */
	wd = inotify_add_watch(w->fd, w->path, WATCH_FILE_MASK);
	if (wd >= 0 && wd != next[0].wd)
		watch_set(&next[1], wd, "");
	if (realpath(w->path, real) && watch_split(real, rdir, rbase) == 0) {
		/* A link to a file beside it: the target's name counts too. */
		if (strcmp(rdir, dir) == 0)
			snprintf(next[0].alt, sizeof(next[0].alt), "%s", rbase);
		else if ((wd = inotify_add_watch(w->fd, rdir, WATCH_DIR_MASK | IN_ONLYDIR)) >= 0 &&
			 wd != next[0].wd && wd != next[1].wd)
			watch_set(&next[2], wd, rbase);
	}
	for (unsigned i = 0; i < WATCH_MAX; i++) {
		bool kept = false;

		if (w->slots[i].wd < 0)
			continue;
		for (unsigned j = 0; j < WATCH_MAX; j++)
			kept |= next[j].wd == w->slots[i].wd;
		if (!kept)
			inotify_rm_watch(w->fd, w->slots[i].wd);
	}
	memcpy(w->slots, next, sizeof(next));
	return 0;
}

static bool watch_relevant(const struct resolv_watch *w, const struct inotify_event *e)
{
	for (unsigned i = 0; i < WATCH_MAX; i++) {
		const struct watch_slot *s = &w->slots[i];

		if (s->wd < 0 || s->wd != e->wd)
			continue;
		/* A file watch, or the entry of interest in a directory. */
		if (!s->name[0] || e->len == 0 || strcmp(e->name, s->name) == 0 ||
		    (s->alt[0] && strcmp(e->name, s->alt) == 0))
			return true;
	}
	return false;
}

static void watch_on_settled(evutil_socket_t fd, short what, void *arg)
{
	struct resolv_watch *w = arg;

	watch_arm(w);
	w->cb(w->ctx);
}

static void watch_on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct resolv_watch *w = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;

	/* Bounded: a few reads, the rest at the next wake-up. */
	for (int round = 0; round < 16; round++) {
		ssize_t n = read(w->fd, buf, sizeof(buf));
		size_t off = 0;

		if (n <= 0)
			break;
		while (off + sizeof(struct inotify_event) <= (size_t)n) {
			const struct inotify_event *e = (const void *)(buf + off);

			changed |= watch_relevant(w, e) || (e->mask & IN_Q_OVERFLOW);
			off += sizeof(*e) + e->len;
		}
	}
	if (changed) {
		struct timeval tv = { 0, RESOLV_WATCH_SETTLE_MS * 1000 };

		evtimer_add(w->settle, &tv);
	}
}

int resolv_watch_new(struct resolv_watch **out, struct event_base *base, const char *path,
		     resolv_watch_cb cb, void *ctx)
{
	struct resolv_watch *w;
	int r;

	if (!out || !base || !path || !cb || strlen(path) >= PATH_MAX || !path[0])
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (unsigned i = 0; i < WATCH_MAX; i++)
		w->slots[i].wd = -1;
	strcpy(w->path, path);
	w->cb = cb;
	w->ctx = ctx;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		r = -errno;
		free(w);
		return r;
	}
	w->ev = event_new(base, w->fd, EV_READ | EV_PERSIST, watch_on_inotify, w);
	w->settle = evtimer_new(base, watch_on_settled, w);
	r = !w->ev || !w->settle ? -ENOMEM : watch_arm(w);
	if (r == 0 && event_add(w->ev, NULL) < 0)
		r = -ENOMEM;
	if (r < 0) {
		resolv_watch_free(w);
		return r;
	}
	*out = w;
	return 0;
}

void resolv_watch_free(struct resolv_watch *w)
{
	if (!w)
		return;
	if (w->ev)
		event_free(w->ev);
	if (w->settle)
		event_free(w->settle);
	close(w->fd);
	free(w);
}
