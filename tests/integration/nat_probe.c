/* A tiny driver of the nat library for tests/integration/test_nat_rules.sh:
 *   nat_probe apply BRIDGE SUBNET [SUBNET2] [--no-masquerade] [--check]
 *   nat_probe remove
 * Exit codes: 0 done, 1 the kernel refused (the message on stderr names
 * the object), 2 bad arguments. Run it inside a test's namespace only. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nat_apply.h"

static int usage(void)
{
	fprintf(stderr, "usage: nat_probe apply BRIDGE SUBNET [SUBNET2] "
		"[--no-masquerade] [--check]\n"
		"       nat_probe remove\n");
	return 2;
}

/* "A.B.C.D/LEN" into host order; the library checks the host bits. */
static int probe_parse_subnet(const char *s, uint32_t *addr, uint8_t *len)
{
	char ip[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	struct in_addr in;
	unsigned long n;
	char *end;

	if (!slash || (size_t)(slash - s) >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	if (inet_pton(AF_INET, ip, &in) != 1)
		return -EINVAL;
	errno = 0;
	n = strtoul(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end || n > 32)
		return -EINVAL;
	*addr = ntohl(in.s_addr);
	*len = (uint8_t)n;
	return 0;
}

static int probe_apply(int argc, char **argv)
{
	enum nat_batch_mode mode = NAT_BATCH_COMMIT;
	const char *subnets[NAT_MAX_SUBNETS + 1];
	struct nat_ruleset rs;
	char err[NAT_ERR_SIZE];
	bool masquerade = true;
	size_t n = 0, i;
	uint32_t addr;
	uint8_t len;
	int a;

	if (argc < 4)
		return usage();
	for (a = 3; a < argc; a++) {
		if (strcmp(argv[a], "--no-masquerade") == 0)
			masquerade = false;
		else if (strcmp(argv[a], "--check") == 0)
			mode = NAT_BATCH_CHECK;
		else if (n < NAT_MAX_SUBNETS + 1)
			subnets[n++] = argv[a];
		else
			return usage();
	}
	if (nat_ruleset_init(&rs, argv[2], masquerade) < 0) {
		fprintf(stderr, "nat_probe: bad bridge name '%s'\n", argv[2]);
		return 2;
	}
	for (i = 0; i < n; i++) {
		if (probe_parse_subnet(subnets[i], &addr, &len) < 0 ||
		    nat_ruleset_add_subnet(&rs, addr, len) < 0) {
			fprintf(stderr, "nat_probe: bad subnet '%s'\n", subnets[i]);
			return 2;
		}
	}
	if (nat_apply(&rs, mode, err, sizeof(err)) < 0) {
		fprintf(stderr, "nat_probe: %s\n", err);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char err[NAT_ERR_SIZE];

	if (argc >= 2 && strcmp(argv[1], "apply") == 0)
		return probe_apply(argc, argv);
	if (argc == 2 && strcmp(argv[1], "remove") == 0) {
		if (nat_remove(err, sizeof(err)) < 0) {
			fprintf(stderr, "nat_probe: %s\n", err);
			return 1;
		}
		return 0;
	}
	return usage();
}
