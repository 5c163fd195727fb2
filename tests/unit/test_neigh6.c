/* Unit tests for daemon/neigh6.c: rtnetlink neighbour messages, and the
 * table of guests' IPv6 addresses by MAC. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "neigh6.h"

static const uint8_t mac1[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
static const uint8_t mac2[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x57 };

/* A message as the kernel sends it: header, ndmsg, NDA_DST, NDA_LLADDR. */
static size_t msg(uint8_t *buf, uint16_t type, uint8_t family, uint16_t state,
		  const uint8_t addr[16], const uint8_t *mac)
{
	struct nlmsghdr nlh = { .nlmsg_type = type };
	struct ndmsg nd = { .ndm_family = family, .ndm_ifindex = 7, .ndm_state = state };
	struct rtattr a;
	size_t pos = NLMSG_HDRLEN;

	memset(buf, 0, 256);
	memcpy(buf + pos, &nd, sizeof(nd));
	pos += NLMSG_ALIGN(sizeof(nd));
	a = (struct rtattr){ .rta_len = RTA_LENGTH(16), .rta_type = NDA_DST };
	memcpy(buf + pos, &a, sizeof(a));
	memcpy(buf + pos + RTA_LENGTH(0), addr, 16);
	pos += RTA_ALIGN(a.rta_len);
	if (mac) {
		a = (struct rtattr){ .rta_len = RTA_LENGTH(6), .rta_type = NDA_LLADDR };
		memcpy(buf + pos, &a, sizeof(a));
		memcpy(buf + pos + RTA_LENGTH(0), mac, 6);
		pos += RTA_ALIGN(a.rta_len);
	}
	nlh.nlmsg_len = (uint32_t)pos;
	memcpy(buf, &nlh, sizeof(nlh));
	return pos;
}

static void addr_n(uint8_t a[16], uint8_t n)
{
	static const uint8_t base[16] = { 0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0, 1 };

	memcpy(a, base, 16);
	a[15] = n;
}

static void test_parse(void **state)
{
	uint8_t buf[256], a[16];
	struct neigh6_event ev;
	size_t len;

	(void)state;
	addr_n(a, 5);
	len = msg(buf, RTM_NEWNEIGH, AF_INET6, NUD_REACHABLE, a, mac1);
	assert_int_equal(neigh6_parse(buf, len, &ev), 1);
	assert_true(ev.add);
	assert_int_equal(ev.ifindex, 7);
	assert_memory_equal(ev.addr, a, 16);
	assert_memory_equal(ev.mac, mac1, 6);
	len = msg(buf, RTM_DELNEIGH, AF_INET6, NUD_STALE, a, mac1);
	assert_int_equal(neigh6_parse(buf, len, &ev), 1);
	assert_false(ev.add);
	len = msg(buf, RTM_NEWNEIGH, AF_INET6, NUD_FAILED, a, NULL);
	assert_int_equal(neigh6_parse(buf, len, &ev), 1);
	assert_false(ev.add);
	len = msg(buf, RTM_NEWNEIGH, AF_INET, NUD_REACHABLE, a, mac1);
	assert_int_equal(neigh6_parse(buf, len, &ev), 0);
	len = msg(buf, RTM_NEWNEIGH, AF_INET6, NUD_REACHABLE, a, mac1);
	assert_int_equal(neigh6_parse(buf, len - 1, &ev), -EINVAL);  /* cut */
	assert_int_equal(neigh6_parse(buf, 10, &ev), -EINVAL);
	buf[NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct ndmsg))] = 2;       /* rta_len < 4 */
	assert_int_equal(neigh6_parse(buf, len, &ev), -EINVAL);
}

static void test_table(void **state)
{
	struct neigh6_table *t = calloc(1, sizeof(*t));
	struct neigh6_event ev = { .add = true, .ifindex = 7 };
	uint8_t out[NEIGH6_PER_MAC][16], a[16], m[6];
	uint8_t i;

	(void)state;
	assert_non_null(t);
	memcpy(ev.mac, mac1, 6);
	addr_n(ev.addr, 1);
	assert_int_equal(neigh6_apply(t, &ev), 1);
	addr_n(ev.addr, 2);
	assert_int_equal(neigh6_apply(t, &ev), 1);
	assert_int_equal(neigh6_apply(t, &ev), 0);   /* again: unchanged, still one entry */
	assert_int_equal(neigh6_lookup(t, mac1, out, NEIGH6_PER_MAC), 2);
	addr_n(a, 1);
	assert_memory_equal(out[0], a, 16);
	/* Address 2 moves to another guest. */
	memcpy(ev.mac, mac2, 6);
	assert_int_equal(neigh6_apply(t, &ev), 1);
	assert_int_equal(neigh6_lookup(t, mac1, out, NEIGH6_PER_MAC), 1);
	assert_int_equal(neigh6_lookup(t, mac2, out, NEIGH6_PER_MAC), 1);
	/* The reverse way: the address's MAC is the new guest's. */
	assert_int_equal(neigh6_mac_of(t, ev.addr, m), 0);
	assert_memory_equal(m, mac2, 6);
	addr_n(a, 99);
	assert_int_equal(neigh6_mac_of(t, a, m), -ENOENT);
	ev.add = false;
	assert_int_equal(neigh6_apply(t, &ev), 1);
	assert_int_equal(neigh6_lookup(t, mac2, out, NEIGH6_PER_MAC), 0);
	assert_int_equal(neigh6_apply(t, &ev), 0);   /* gone already */
	/* At most NEIGH6_PER_MAC a guest: the oldest goes. */
	ev.add = true;
	memcpy(ev.mac, mac1, 6);
	for (i = 10; i < 10 + NEIGH6_PER_MAC; i++) {
		addr_n(ev.addr, i);
		assert_int_equal(neigh6_apply(t, &ev), 1);
	}
	assert_int_equal(neigh6_lookup(t, mac1, out, NEIGH6_PER_MAC), NEIGH6_PER_MAC);
	addr_n(a, 10);
	assert_memory_equal(out[0], a, 16);
	/* A full table drops what is new. */
	t->n = NEIGH6_MAX;
	memcpy(ev.mac, mac2, 6);
	addr_n(ev.addr, 200);
	assert_int_equal(neigh6_apply(t, &ev), -ENOSPC);
	free(t);
}

/* The EUI-64 address wins over older ones; without it, the oldest; a
 * state change does not make an address younger. */
static void test_stable(void **state)
{
	static const uint8_t eui[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 1,
					 0x50, 0x54, 0x00, 0xff, 0xfe, 0x00, 0x66, 0x01 };
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x00, 0x66, 0x01 };
	struct neigh6_table *t = calloc(1, sizeof(*t));
	struct neigh6_event ev = { .add = true, .ifindex = 7 };
	uint8_t out[16], a[16];

	(void)state;
	assert_non_null(t);
	assert_false(neigh6_stable(t, mac, out));
	memcpy(ev.mac, mac, 6);
	addr_n(ev.addr, 1);
	assert_int_equal(neigh6_apply(t, &ev), 1);
	addr_n(ev.addr, 2);
	assert_int_equal(neigh6_apply(t, &ev), 1);
	addr_n(ev.addr, 1);
	assert_int_equal(neigh6_apply(t, &ev), 0);   /* reachable again: still the oldest */
	assert_true(neigh6_holds(t, ev.addr, mac));
	assert_false(neigh6_holds(t, ev.addr, mac1));
	assert_true(neigh6_stable(t, mac, out));
	addr_n(a, 1);
	assert_memory_equal(out, a, 16);
	memcpy(ev.addr, eui, 16);
	assert_int_equal(neigh6_apply(t, &ev), 1);
	assert_true(neigh6_stable(t, mac, out));
	assert_memory_equal(out, eui, 16);
	assert_false(neigh6_stable(t, mac1, out));
	ev.add = false;
	assert_int_equal(neigh6_apply(t, &ev), 1);
	assert_true(neigh6_stable(t, mac, out));
	assert_memory_equal(out, a, 16);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
