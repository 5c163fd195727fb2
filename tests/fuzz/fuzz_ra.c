/* libFuzzer target for ra/ra_codec.c: the input is an ICMPv6 message as
 * the raw socket hands it over. It is parsed as a solicitation and as an
 * advertisement; an advertisement that parses is built again from what was
 * read, and that must parse back to the same fields (the first DNSSL
 * domain, which is all the parser keeps, included). Broken promises
 * abort. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ra_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_ra_same(const struct ra_info *a, const struct ra_info *b)
{
	if (a->router_lifetime != b->router_lifetime || a->managed != b->managed ||
	    a->other != b->other || a->mtu != b->mtu || a->have_prefix != b->have_prefix ||
	    memcmp(a->prefix, b->prefix, 16) != 0 || a->prefix_len != b->prefix_len ||
	    a->have_old_prefix != b->have_old_prefix ||
	    memcmp(a->old_prefix, b->old_prefix, 16) != 0 || a->old_prefix_len != b->old_prefix_len ||
	    a->have_rdnss != b->have_rdnss || memcmp(a->rdnss, b->rdnss, 16) != 0 ||
	    strcmp(a->dnssl, b->dnssl) != 0 || a->have_sll != b->have_sll ||
	    memcmp(a->sll, b->sll, 6) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ra_solicit rs;
	struct ra_info ra, back;
	uint8_t buf[RA_MAX_LEN];
	int n;

	(void)ra_parse_rs(data, size, &rs);
	if (ra_parse(data, size, &ra) < 0)
		return 0;
	n = ra_build(&ra, buf, sizeof(buf));
	/* A label read back may hold a dot or be empty of meaning as text:
	 * such a name is refused when built, which is fine. */
	if (n < 0)
		return 0;
	if (ra_parse(buf, (size_t)n, &back) < 0)
		abort();
	fuzz_ra_same(&ra, &back);
	return 0;
}
