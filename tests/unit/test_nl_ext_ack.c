/* common/nl_ext_ack.c: the kernel's text in a netlink error, never read
 * past the bytes given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nl_ext_ack.h"

#define TEXT "Unknown device type"

struct msg {
	_Alignas(struct nlmsghdr) uint8_t buf[256];
	size_t len;
};

static void put_attr(struct msg *m, uint16_t type, const void *data, size_t n)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + n), .nla_type = type };

	memcpy(m->buf + m->len, &a, sizeof(a));
	memcpy(m->buf + m->len + NLA_HDRLEN, data, n);
	m->len += NLA_ALIGN(a.nla_len);
}

/* An NLMSG_ERROR with the extended ACK's text. Uncapped, it echoes a
 * request with echo bytes of payload; the text goes after an
 * NLMSGERR_ATTR_OFFS when offs is set. */
static void error_msg(struct msg *m, uint16_t flags, size_t echo, bool offs,
		      const char *text, size_t text_len)
{
	struct nlmsghdr h = { .nlmsg_type = NLMSG_ERROR, .nlmsg_flags = flags };
	struct nlmsgerr e = { .error = -22 };
	uint32_t off = 20;

	memset(m, 0, sizeof(*m));
	e.msg.nlmsg_len = (uint32_t)(sizeof(struct nlmsghdr) + echo);
	m->len = NLMSG_HDRLEN;
	memcpy(m->buf + m->len, &e, sizeof(e));
	m->len += sizeof(e);
	if (!(flags & NLM_F_CAPPED)) {
		memset(m->buf + m->len, 0xa5, echo);
		m->len = NLMSG_ALIGN(m->len + echo);
	}
	if (offs)
		put_attr(m, NLMSGERR_ATTR_OFFS, &off, sizeof(off));
	if (text)
		put_attr(m, NLMSGERR_ATTR_MSG, text, text_len);
	h.nlmsg_len = (uint32_t)m->len;
	memcpy(m->buf, &h, sizeof(h));
}

static void test_capped(void **state)
{
	struct msg m;
	const char *t;

	(void)state;
	error_msg(&m, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0, false, TEXT, sizeof(TEXT));
	t = nl_ext_ack_msg((const struct nlmsghdr *)m.buf, m.len);
	assert_non_null(t);
	assert_string_equal(t, TEXT);
	/* Another attribute first. */
	error_msg(&m, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0, true, TEXT, sizeof(TEXT));
	assert_string_equal(nl_ext_ack_msg((const struct nlmsghdr *)m.buf, m.len), TEXT);
}

static void test_uncapped_skips_the_echo(void **state)
{
	struct msg m;

	(void)state;
	/* 13 bytes of echoed payload: the attributes start aligned after it. */
	error_msg(&m, NLM_F_ACK_TLVS, 13, true, TEXT, sizeof(TEXT));
	assert_string_equal(nl_ext_ack_msg((const struct nlmsghdr *)m.buf, m.len), TEXT);
}

static void test_no_text(void **state)
{
	struct msg m;

	(void)state;
	/* No NLM_F_ACK_TLVS: the bytes after nlmsgerr are not attributes. */
	error_msg(&m, NLM_F_CAPPED, 0, false, TEXT, sizeof(TEXT));
	assert_null(nl_ext_ack_msg((const struct nlmsghdr *)m.buf, m.len));
	/* Only an offset. */
	error_msg(&m, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0, true, NULL, 0);
	assert_null(nl_ext_ack_msg((const struct nlmsghdr *)m.buf, m.len));
	/* A text without its NUL, and an empty one. */
	error_msg(&m, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0, false, TEXT, strlen(TEXT));
	assert_null(nl_ext_ack_msg((const struct nlmsghdr *)m.buf, m.len));
	error_msg(&m, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0, false, "", 0);
	assert_null(nl_ext_ack_msg((const struct nlmsghdr *)m.buf, m.len));
	/* Not an error message. */
	error_msg(&m, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0, false, TEXT, sizeof(TEXT));
	((struct nlmsghdr *)m.buf)->nlmsg_type = NLMSG_DONE;
	assert_null(nl_ext_ack_msg((const struct nlmsghdr *)m.buf, m.len));
	assert_null(nl_ext_ack_msg(NULL, 64));
}

static void test_bad_lengths(void **state)
{
	struct msg m;
	struct nlmsgerr *e;
	struct nlattr *a;

	(void)state;
	/* An echo longer than the message. */
	error_msg(&m, NLM_F_ACK_TLVS, 8, false, TEXT, sizeof(TEXT));
	e = (struct nlmsgerr *)(m.buf + NLMSG_HDRLEN);
	e->msg.nlmsg_len = UINT32_MAX;
	assert_null(nl_ext_ack_msg((const struct nlmsghdr *)m.buf, m.len));
	/* An echo shorter than a header. */
	e->msg.nlmsg_len = sizeof(struct nlmsghdr) - 1;
	assert_null(nl_ext_ack_msg((const struct nlmsghdr *)m.buf, m.len));
	/* An attribute longer than the message, and one shorter than its
	 * own header. */
	error_msg(&m, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0, false, TEXT, sizeof(TEXT));
	a = (struct nlattr *)(m.buf + NLMSG_HDRLEN + sizeof(struct nlmsgerr));
	a->nla_len = (uint16_t)(a->nla_len + 4);
	assert_null(nl_ext_ack_msg((const struct nlmsghdr *)m.buf, m.len));
	a->nla_len = NLA_HDRLEN - 1;
	assert_null(nl_ext_ack_msg((const struct nlmsghdr *)m.buf, m.len));
	/* nlmsg_len says less than the bytes given: it bounds the walk. */
	error_msg(&m, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0, false, TEXT, sizeof(TEXT));
	((struct nlmsghdr *)m.buf)->nlmsg_len = (uint32_t)(m.len - 4);
	assert_null(nl_ext_ack_msg((const struct nlmsghdr *)m.buf, m.len));
}

/* Every prefix of a good message, copied to a buffer of exactly its
 * length (so a sanitizer sees a read past it), while nlmsg_len still
 * claims the whole: no text until the text is all there. */
static void test_truncated(void **state)
{
	static const uint16_t flags[] = { NLM_F_CAPPED | NLM_F_ACK_TLVS, NLM_F_ACK_TLVS };
	struct msg m;
	size_t i, n, whole;
	const char *t;
	uint8_t *cut;

	(void)state;
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		error_msg(&m, flags[i], 6, true, TEXT, sizeof(TEXT));
		whole = m.len - NLA_ALIGN(NLA_HDRLEN + sizeof(TEXT)) + NLA_HDRLEN + sizeof(TEXT);
		for (n = 0; n <= m.len; n++) {
			cut = malloc(n ? n : 1);
			assert_non_null(cut);
			memcpy(cut, m.buf, n);
			t = nl_ext_ack_msg((const struct nlmsghdr *)(void *)cut, n);
			if (n < whole) {
				assert_null(t);
			} else {
				assert_non_null(t);
				assert_string_equal(t, TEXT);
			}
			free(cut);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capped),
		cmocka_unit_test(test_uncapped_skips_the_echo),
		cmocka_unit_test(test_no_text),
		cmocka_unit_test(test_bad_lengths),
		cmocka_unit_test(test_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
