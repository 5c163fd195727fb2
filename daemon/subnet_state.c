/* The "subnet" file of the state directory:
 *
 *	# Written by defnetd; edit only while it is stopped.
 *	subnet 172.20.48.0/20
 *	conflicted 172.16.0.0/20
 *	prefix6 fd12:3456:789a:1::/64
 *	conflicted6 fd12:3456:789a::/64
 *
 * At most one "subnet" line, any number of "conflicted" lines (the last
 * SUBNET_STATE_MAX_CONFLICTED are kept, oldest first), the same for IPv6
 * with "prefix6" and "conflicted6" (absent in files of older versions,
 * which stay valid), "#" comments and
 * blank lines.  Leading and trailing blanks (space, tab) are ignored.
 * Anything else makes the whole file invalid.  The prefixes are only
 * checked for syntax here: whether one still fits is the daemon's call. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "durable_file.h"
#include "subnet_state.h"

#define SUBNET_STATE_FILE "subnet"
#define SUBNET_STATE_TMP "subnet.tmp"
/* A full file is about 6 KiB; comments may add some, not megabytes. */
#define SUBNET_STATE_MAX_SIZE 16384

static const char subnet_state_header[] =
	"# Written by defnetd; edit only while it is stopped.\n";

static bool subnet_state_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool subnet_state_word_is(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && memcmp(s, word, n) == 0;
}

static int subnet_state_parse_v6(const char *s, size_t kw, const char *v, size_t n,
				 struct subnet_state *st)
{
	struct ip6_prefix p;

	if (ip6_prefix_parse(v, n, &p) < 0)
		return -EINVAL;
	if (subnet_state_word_is(s, kw, "prefix6")) {
		if (st->have_prefix6)
			return -EINVAL;
		st->have_prefix6 = true;
		st->prefix6 = p;
		return 0;
	}
	subnet_state_add_conflicted6(st, &p);
	return 0;
}

/* One line without its newline; blanks at both ends already trimmed. */
static int subnet_state_parse_line(const char *s, size_t n, struct subnet_state *st)
{
	struct ip4_prefix p;
	size_t kw = 0, v;

	if (n == 0 || s[0] == '#')
		return 0;
	while (kw < n && !subnet_state_blank(s[kw]))
		kw++;
	v = kw;
	while (v < n && subnet_state_blank(s[v]))
		v++;
	if (v == kw || v == n)
		return -EINVAL;
	if (subnet_state_word_is(s, kw, "prefix6") || subnet_state_word_is(s, kw, "conflicted6"))
		return subnet_state_parse_v6(s, kw, s + v, n - v, st);
	if (ip4_prefix_parse(s + v, n - v, &p) < 0)
		return -EINVAL;

	if (subnet_state_word_is(s, kw, "subnet")) {
		if (st->have_current)
			return -EINVAL;
		st->have_current = true;
		st->current = p;
		return 0;
	}
	if (subnet_state_word_is(s, kw, "conflicted")) {
		subnet_state_add_conflicted(st, p);
		return 0;
	}
	return -EINVAL;
}

int subnet_state_parse(const char *buf, size_t len, struct subnet_state *st)
{
	struct subnet_state tmp;
	size_t start = 0, end, a, b;
	int ret;

	if (!st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	if (!buf && len > 0)
		return -EINVAL;
	memset(&tmp, 0, sizeof(tmp));
	while (start < len) {
		end = start;
		while (end < len && buf[end] != '\n')
			end++;
		a = start;
		b = end;
		while (a < b && subnet_state_blank(buf[a]))
			a++;
		while (b > a && subnet_state_blank(buf[b - 1]))
			b--;
		ret = subnet_state_parse_line(buf + a, b - a, &tmp);
		if (ret < 0)
			return ret;
		start = end + 1;
	}
	*st = tmp;
	return 0;
}

static int subnet_state_append(char *buf, size_t size, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	/* Keep room for the terminating NUL. */
	if (n >= size - *pos)
		return -ENOSPC;
	memcpy(buf + *pos, s, n + 1);
	*pos += n;
	return 0;
}

static int subnet_state_append_kv(char *buf, size_t size, size_t *pos,
				  const char *keyword, const char *value)
{
	int ret;

	ret = subnet_state_append(buf, size, pos, keyword);
	if (ret == 0)
		ret = subnet_state_append(buf, size, pos, " ");
	if (ret == 0)
		ret = subnet_state_append(buf, size, pos, value);
	if (ret == 0)
		ret = subnet_state_append(buf, size, pos, "\n");
	return ret;
}

static int subnet_state_append_line(char *buf, size_t size, size_t *pos,
				    const char *keyword, struct ip4_prefix p)
{
	char text[IP4_PREFIX_STRLEN];

	return subnet_state_append_kv(buf, size, pos, keyword, ip4_prefix_format(p, text));
}

static int subnet_state_append_line6(char *buf, size_t size, size_t *pos,
				     const char *keyword, const struct ip6_prefix *p)
{
	char text[IP6_PREFIX_STRLEN];

	return subnet_state_append_kv(buf, size, pos, keyword, ip6_prefix_format(p, text));
}

int subnet_state_format(const struct subnet_state *st, char *buf, size_t size)
{
	size_t pos = 0, i;
	int ret;

	if (!st || !buf || size == 0 || st->n_conflicted > SUBNET_STATE_MAX_CONFLICTED ||
	    st->n_conflicted6 > SUBNET_STATE_MAX_CONFLICTED)
		return -EINVAL;
	buf[0] = '\0';
	ret = subnet_state_append(buf, size, &pos, subnet_state_header);
	if (ret == 0 && st->have_current)
		ret = subnet_state_append_line(buf, size, &pos, "subnet", st->current);
	for (i = 0; ret == 0 && i < st->n_conflicted; i++)
		ret = subnet_state_append_line(buf, size, &pos, "conflicted",
					       st->conflicted[i]);
	if (ret == 0 && st->have_prefix6)
		ret = subnet_state_append_line6(buf, size, &pos, "prefix6", &st->prefix6);
	for (i = 0; ret == 0 && i < st->n_conflicted6; i++)
		ret = subnet_state_append_line6(buf, size, &pos, "conflicted6",
						&st->conflicted6[i]);
	if (ret < 0)
		return ret;
	return (int)pos;
}

void subnet_state_add_conflicted(struct subnet_state *st, struct ip4_prefix p)
{
	size_t i;

	for (i = 0; i < st->n_conflicted; i++)
		if (st->conflicted[i].addr == p.addr && st->conflicted[i].len == p.len)
			return;
	if (st->n_conflicted == SUBNET_STATE_MAX_CONFLICTED) {
		memmove(&st->conflicted[0], &st->conflicted[1],
			(SUBNET_STATE_MAX_CONFLICTED - 1) * sizeof(st->conflicted[0]));
		st->n_conflicted--;
	}
	st->conflicted[st->n_conflicted++] = p;
}

void subnet_state_add_conflicted6(struct subnet_state *st, const struct ip6_prefix *p)
{
	size_t i;

	for (i = 0; i < st->n_conflicted6; i++)
		if (ip6_prefix_equal(&st->conflicted6[i], p))
			return;
	if (st->n_conflicted6 == SUBNET_STATE_MAX_CONFLICTED) {
		memmove(&st->conflicted6[0], &st->conflicted6[1],
			(SUBNET_STATE_MAX_CONFLICTED - 1) * sizeof(st->conflicted6[0]));
		st->n_conflicted6--;
	}
	st->conflicted6[st->n_conflicted6++] = *p;
}

int subnet_state_load(const char *dir, struct subnet_state *st)
{
	/* One byte more than the limit, to tell "too big" from "fits"; more
	 * is not a file we wrote, so it is -EINVAL like any other bad
	 * content. */
	char buf[SUBNET_STATE_MAX_SIZE + 1];
	size_t len = 0;
	int ret;

	if (!dir || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	ret = durable_load(dir, SUBNET_STATE_FILE, buf, sizeof(buf), &len);
	if (ret == -ENOENT)
		return 0;
	if (ret == 0 && len > SUBNET_STATE_MAX_SIZE)
		ret = -EINVAL;
	if (ret == 0)
		ret = subnet_state_parse(buf, len, st);
	if (ret < 0)
		memset(st, 0, sizeof(*st));
	return ret;
}

/* durable_file.h: a crash leaves the old state or the new one. */
int subnet_state_save(const char *dir, const struct subnet_state *st)
{
	char text[SUBNET_STATE_MAX_SIZE];
	int len;

	if (!dir || !st)
		return -EINVAL;
	len = subnet_state_format(st, text, sizeof(text));
	if (len < 0)
		return len;
	return durable_save(dir, SUBNET_STATE_TMP, SUBNET_STATE_FILE, text, (size_t)len);
}
