/* Verdict paths from nftables trace events: see trace_path.h. */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdio.h>
#include <string.h>

#include "trace_path.h"

/* One packet's path as text, and whether (and where) it was dropped. */
struct trace_packet {
	uint32_t id;
	unsigned count;          /* packets that took the same path */
	char text[DOCTOR_TEXT_SIZE];
	const struct nat_trace_event *drop;
};

void trace_path_init(struct trace_path *p)
{
	memset(p, 0, sizeof(*p));
}

void trace_path_add(struct trace_path *p, const struct nat_trace_event *s)
{
	if (p->n == TRACE_PATH_MAX) {
		p->lost++;
		return;
	}
	p->v[p->n++] = *s;
}

void trace_path_add_cb(void *ctx, const struct nat_trace_event *s)
{
	trace_path_add(ctx, s);
}

static const char *trace_family(uint8_t f)
{
	switch (f) {
	case NFPROTO_INET: return "inet";
	case NFPROTO_IPV4: return "ip";
	case NFPROTO_IPV6: return "ip6";
	case NFPROTO_ARP: return "arp";
	case NFPROTO_BRIDGE: return "bridge";
	case NFPROTO_NETDEV: return "netdev";
	}
	return "?";
}

static const char *trace_verdict(const struct nat_trace_event *s)
{
	if (!s->has_verdict)
		return "";
	switch (s->verdict) {
	case NF_DROP: return "drop";
	case NF_ACCEPT: return "accept";
	case NF_QUEUE: return "queue";
	case NFT_CONTINUE: return "continue";
	case NFT_BREAK: return "break";
	case NFT_JUMP: return "jump";
	case NFT_GOTO: return "goto";
	case NFT_RETURN: return "return";
	}
	return "?";
}

static bool trace_drops(const struct nat_trace_event *s)
{
	return s->has_verdict && s->verdict == NF_DROP;
}

static void trace_append(char *buf, size_t size, const struct nat_trace_event *s)
{
	size_t len = strlen(buf);

	if (len >= size - 1)
		return;
	if (s->type == NFT_TRACETYPE_POLICY)
		snprintf(buf + len, size - len, "%s%s %s %s policy %s", len ? " > " : "",
			 trace_family(s->family), s->table, s->chain, trace_verdict(s));
	else if (s->type == NFT_TRACETYPE_RETURN)
		snprintf(buf + len, size - len, "%s%s %s %s return", len ? " > " : "",
			 trace_family(s->family), s->table, s->chain);
	else
		snprintf(buf + len, size - len, "%s%s %s %s rule handle %llu %s",
			 len ? " > " : "", trace_family(s->family), s->table, s->chain,
			 (unsigned long long)s->handle, trace_verdict(s));
}

/* Gathers the steps by packet, in the order packets were first seen. */
static size_t trace_packets(const struct trace_path *p, struct trace_packet *pk, size_t max)
{
	size_t n = 0, j;

	for (size_t i = 0; i < p->n; i++) {
		const struct nat_trace_event *s = &p->v[i];

		for (j = 0; j < n && pk[j].id != s->id; j++)
			;
		if (j == n) {
			if (n == max)
				continue;
			memset(&pk[n], 0, sizeof(pk[n]));
			pk[n].id = s->id;
			pk[n].count = 1;
			n++;
		}
		trace_append(pk[j].text, sizeof(pk[j].text), s);
		if (trace_drops(s) && !pk[j].drop)
			pk[j].drop = s;
	}
	return n;
}

/* Packets that took the same path are counted on the first of them. */
static void trace_merge(struct trace_packet *pk, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < i; j++) {
			if (pk[j].count && strcmp(pk[j].text, pk[i].text) == 0) {
				pk[j].count++;
				pk[i].count = 0;
				break;
			}
		}
	}
}

static void trace_report_one(const struct trace_packet *pk, const char *guest,
			     struct doctor_report *r)
{
	const struct nat_trace_event *d = pk->drop;
	char fix[DOCTOR_TEXT_SIZE], where[3 * NAT_TRACE_NAME_SIZE + 32];

	if (!d) {
		doctor_add(r, "trace", true, NULL, "%u packet%s: %s", pk->count,
			   pk->count == 1 ? "" : "s", pk->text);
		return;
	}
	if (d->type == NFT_TRACETYPE_POLICY) {
		snprintf(where, sizeof(where), "%s %s %s policy", trace_family(d->family),
			 d->table, d->chain);
		snprintf(fix, sizeof(fix), "nft list chain %s %s %s, and accept %s's traffic "
			 "before its policy drops it", trace_family(d->family), d->table, d->chain,
			 guest);
	} else {
		snprintf(where, sizeof(where), "%s %s %s rule handle %llu", trace_family(d->family),
			 d->table, d->chain, (unsigned long long)d->handle);
		snprintf(fix, sizeof(fix), "nft delete rule %s %s %s handle %llu",
			 trace_family(d->family), d->table, d->chain, (unsigned long long)d->handle);
	}
	doctor_add(r, "trace", false, fix, "%u packet%s dropped by %s: %s", pk->count,
		   pk->count == 1 ? "" : "s", where, pk->text);
}

void trace_path_report(const struct trace_path *p, const char *guest, unsigned secs,
		       struct doctor_report *r)
{
	struct trace_packet pk[TRACE_MAX_PACKETS];
	size_t n = trace_packets(p, pk, TRACE_MAX_PACKETS);

	if (n == 0) {
		doctor_add(r, "trace", true, NULL, "no packet from or to %s in %u s: try again "
			   "while sending from the guest", guest, secs);
		return;
	}
	trace_merge(pk, n);
	for (size_t i = 0; i < n; i++)
		if (pk[i].count)
			trace_report_one(&pk[i], guest, r);
}
