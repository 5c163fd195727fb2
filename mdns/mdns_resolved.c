/* systemd-resolved's MulticastDNS= settings, from its files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mdns_resolved.h"

#define MDNS_PATH_MAX 4096

static const char *const mdns_dropin_dirs[] = {
	"/etc/systemd/resolved.conf.d",
	"/run/systemd/resolved.conf.d",
	"/usr/local/lib/systemd/resolved.conf.d",
	"/usr/lib/systemd/resolved.conf.d",
	"/lib/systemd/resolved.conf.d",
};

const char *mdns_resolved_mode_name(enum mdns_resolved_mode m)
{
	switch (m) {
	case MDNS_RESOLVED_NO:
		return "no";
	case MDNS_RESOLVED_RESOLVE:
		return "resolve";
	case MDNS_RESOLVED_YES:
		return "yes";
	default:
		return "unknown";
	}
}

static bool mdns_word_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(s, w, n) == 0;
}

/* resolved's resolve_support values, booleans included. */
static enum mdns_resolved_mode mdns_resolved_value(const char *s, size_t n)
{
	static const char *const yes[] = { "yes", "1", "true", "on", "y", "t" };
	static const char *const no[] = { "no", "0", "false", "off", "n", "f" };

	if (mdns_word_is(s, n, "resolve"))
		return MDNS_RESOLVED_RESOLVE;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (mdns_word_is(s, n, yes[i]))
			return MDNS_RESOLVED_YES;
		if (mdns_word_is(s, n, no[i]))
			return MDNS_RESOLVED_NO;
	}
	return MDNS_RESOLVED_UNSET;
}

static void mdns_trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
		(*n)--;
}

/* One line: "[Section]" or "Key=value". section NULL: keys count
 * anywhere (resolved's link state files have no sections). */
static void mdns_resolved_line(const char *s, size_t n, const char *section, const char *key,
			       bool *in_section, enum mdns_resolved_mode *mode)
{
	const char *eq;
	size_t klen;
	enum mdns_resolved_mode v;

	mdns_trim(&s, &n);
	if (n == 0 || s[0] == '#' || s[0] == ';')
		return;
	if (s[0] == '[') {
		*in_section = section && mdns_word_is(s, n, section);
		return;
	}
	eq = memchr(s, '=', n);
	if ((section && !*in_section) || !eq)
		return;
	klen = (size_t)(eq - s);
	while (klen && (s[klen - 1] == ' ' || s[klen - 1] == '\t'))
		klen--;
	if (klen != strlen(key) || strncmp(s, key, klen) != 0)
		return;
	n -= (size_t)(eq + 1 - s);
	s = eq + 1;
	mdns_trim(&s, &n);
	v = mdns_resolved_value(s, n);
	if (v != MDNS_RESOLVED_UNSET)
		*mode = v;
}

/* The last valid value of key in buf. */
static enum mdns_resolved_mode mdns_resolved_scan(const char *buf, size_t len,
						  const char *section, const char *key)
{
	enum mdns_resolved_mode mode = MDNS_RESOLVED_UNSET;
	bool in_section = false;
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - buf) : len;

		mdns_resolved_line(buf + i, end - i, section, key, &in_section, &mode);
		i = end + 1;
	}
	return mode;
}

enum mdns_resolved_mode mdns_resolved_parse(const char *buf, size_t len)
{
	return mdns_resolved_scan(buf, len, "[Resolve]", "MulticastDNS");
}

/* Reads a file of at most MDNS_RESOLVED_FILE_MAX bytes and parses it. */
static enum mdns_resolved_mode mdns_resolved_file(const char *path)
{
	enum mdns_resolved_mode mode = MDNS_RESOLVED_UNSET;
	char *buf = malloc(MDNS_RESOLVED_FILE_MAX);
	size_t len = 0;
	ssize_t n;
	int fd;

	if (!buf)
		return mode;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		while (len < MDNS_RESOLVED_FILE_MAX &&
		       (n = read(fd, buf + len, MDNS_RESOLVED_FILE_MAX - len)) > 0)
			len += (size_t)n;
		close(fd);
		mode = mdns_resolved_parse(buf, len);
	}
	free(buf);
	return mode;
}

struct mdns_dropin {
	char name[256];
	char path[MDNS_PATH_MAX];
};

static int mdns_dropin_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mdns_dropin *)a)->name, ((const struct mdns_dropin *)b)->name);
}

static bool mdns_dropin_known(const struct mdns_dropin *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return true;
	return false;
}

static bool mdns_is_conf(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && name[0] != '.' && strcmp(name + n - 5, ".conf") == 0;
}

/* Adds the *.conf of one directory that an earlier directory did not have. */
static void mdns_dropins_scan(const char *root, const char *dir, struct mdns_dropin *v, size_t *n)
{
	char path[MDNS_PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((size_t)snprintf(path, sizeof(path), "%s%s", root, dir) >= sizeof(path))
		return;
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) && *n < MDNS_RESOLVED_MAX_DROPINS) {
		struct mdns_dropin *x = &v[*n];

		if (!mdns_is_conf(de->d_name) || strlen(de->d_name) >= sizeof(x->name) ||
		    mdns_dropin_known(v, *n, de->d_name))
			continue;
		if ((size_t)snprintf(x->path, sizeof(x->path), "%s/%s", path, de->d_name) >=
		    sizeof(x->path))
			continue;
		strcpy(x->name, de->d_name);
		(*n)++;
	}
	closedir(d);
}

static enum mdns_resolved_mode mdns_resolved_global(const char *root)
{
	enum mdns_resolved_mode mode = MDNS_RESOLVED_YES, m;
	char path[MDNS_PATH_MAX];
	struct mdns_dropin *v;
	size_t n = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/etc/systemd/resolved.conf", root) <
	    sizeof(path) && (m = mdns_resolved_file(path)) != MDNS_RESOLVED_UNSET)
		mode = m;
	v = calloc(MDNS_RESOLVED_MAX_DROPINS, sizeof(*v));
	if (!v)
		return mode;
	for (size_t i = 0; i < sizeof(mdns_dropin_dirs) / sizeof(mdns_dropin_dirs[0]); i++)
		mdns_dropins_scan(root, mdns_dropin_dirs[i], v, &n);
	qsort(v, n, sizeof(*v), mdns_dropin_cmp);
	for (size_t i = 0; i < n; i++)
		if ((m = mdns_resolved_file(v[i].path)) != MDNS_RESOLVED_UNSET)
			mode = m;
	free(v);
	return mode;
}

void mdns_resolved_read(const char *root, unsigned ifindex, struct mdns_resolved_state *st)
{
	char path[MDNS_PATH_MAX];
	struct stat sb;

	if (!root)
		root = "";
	snprintf(path, sizeof(path), "%s/run/systemd/resolve", root);
	st->running = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
	st->global = mdns_resolved_global(root);
	st->link = MDNS_RESOLVED_UNSET;
	/* resolved's link state file (KEY=value lines) says MDNS= once the
	 * link's setting was given. */
	if ((size_t)snprintf(path, sizeof(path), "%s/run/systemd/resolve/netif/%u", root,
			     ifindex) < sizeof(path)) {
		char buf[4096];
		ssize_t len = -1;
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

		if (fd >= 0) {
			len = read(fd, buf, sizeof(buf));
			close(fd);
		}
		if (len > 0)
			st->link = mdns_resolved_scan(buf, (size_t)len, NULL, "MDNS");
	}
}

const char *mdns_resolved_hint(const struct mdns_resolved_state *st, const char *ifname,
			       char *buf, size_t size)
{
	if (!st->running)
		return NULL;
	if (st->global == MDNS_RESOLVED_NO) {
		snprintf(buf, size, "systemd-resolved has MulticastDNS=no, so this host does not "
			 "resolve the guests' .local names; fix: mkdir -p "
			 "/etc/systemd/resolved.conf.d && printf '[Resolve]\\nMulticastDNS=resolve\\n' "
			 ">/etc/systemd/resolved.conf.d/defnet.conf && systemctl restart "
			 "systemd-resolved");
		return buf;
	}
	if (st->link == MDNS_RESOLVED_NO) {
		snprintf(buf, size, "systemd-resolved has mDNS off on %s; fix: resolvectl mdns %s "
			 "resolve (defnetd.service does it at start)", ifname, ifname);
		return buf;
	}
	return NULL;
}
