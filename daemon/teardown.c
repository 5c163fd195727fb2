#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bridge.h"
#include "coexist.h"
#include "nat_apply.h"
#include "nl.h"
#include "teardown.h"

/* Is a daemon listening on path? A stale socket file refuses the
 * connection; a missing one is ENOENT. */
static bool teardown_daemon_running(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	bool running;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	running = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return running;
}

/* nat_remove() treats an absent table as done, so the message cannot tell
 * the two apart. */
static int teardown_nat(const char *bridge, FILE *out)
{
	char err[NAT_ERR_SIZE];
	int r = nat_remove(err, sizeof(err));

	if (r < 0) {
		fprintf(out, "nftables tables inet defnet and bridge defnet: not removed: %s\n",
			err[0] ? err : strerror(-r));
		return r;
	}
	fprintf(out, "nftables table inet defnet: removed (or was not there)\n"
		"nftables table bridge defnet: removed (or was not there)\n");
	return 0;
}

/* DockerCompat=yes may have added its two rules, whatever the
 * configuration says now: only rules exactly like them go. */
static int teardown_docker(const char *bridge, FILE *out)
{
	char err[NAT_ERR_SIZE];
	int r = coexist_docker_remove(bridge, err, sizeof(err));

	if (r < 0) {
		fprintf(out, "iptables DOCKER-USER: our rules not removed: %s\n",
			err[0] ? err : strerror(-r));
		return r;
	}
	if (r == 0)
		fprintf(out, "iptables DOCKER-USER: no rule of ours there\n");
	else
		fprintf(out, "iptables DOCKER-USER: %d rule%s for %s removed\n", r, r == 1 ? "" : "s",
			bridge);
	return 0;
}

/* Guests' ports are released with the bridge; their links stay. */
static int teardown_bridge(const char *bridge, FILE *out)
{
	struct nl nl;
	int r;

	r = nl_open(&nl);
	if (r < 0) {
		fprintf(out, "bridge %s: cannot open rtnetlink: %s\n", bridge, strerror(-r));
		return r;
	}
	r = bridge_delete(&nl, bridge);
	nl_close(&nl);
	switch (r) {
	case 0:
		fprintf(out, "bridge %s: removed\n", bridge);
		return 0;
	case -ENODEV:
		fprintf(out, "bridge %s: not there\n", bridge);
		return 0;
	case -EEXIST:
		fprintf(out, "bridge %s: is not a bridge, so not defnet's: left alone\n", bridge);
		return 0;
	default:
		fprintf(out, "bridge %s: not removed: %s\n", bridge, strerror(-r));
		return r;
	}
}

/* What defnet adds to the host, in the order it is taken away: the rules
 * first, so no guest packet is forwarded by half a set-up. */
static int (*const teardown_steps[])(const char *bridge, FILE *out) = {
	teardown_nat,
	teardown_docker,
	teardown_bridge,
};

int teardown_run(const char *bridge, const char *runtime_dir, FILE *out)
{
	char path[4096];
	int r = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/control", runtime_dir) >= sizeof(path))
		return -ENAMETOOLONG;
	if (teardown_daemon_running(path)) {
		fprintf(out, "defnetd is running (%s answers): stop it first\n", path);
		return -EBUSY;
	}
	for (size_t i = 0; i < sizeof(teardown_steps) / sizeof(teardown_steps[0]); i++) {
		int s = teardown_steps[i](bridge, out);

		if (s < 0 && r == 0)
			r = s;
	}
	return r;
}
