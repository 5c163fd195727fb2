/* defnetd: the Default network daemon. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "daemon.h"
#include "defnet_config.h"
#include "host6.h"
#include "log.h"
#include "privdrop.h"
#include "teardown.h"

#define EXIT_CONFIG 2

static void usage(FILE *f)
{
	fprintf(f,
		"usage: defnetd [--config FILE] [--state-dir DIR] [--runtime-dir DIR]\n"
		"               [--check-config] [--teardown] [--host-forwarding] [--version]\n"
		"\n"
		"  --config FILE      configuration (default %s; missing = defaults)\n"
		"  --state-dir DIR    leases and subnet (default $STATE_DIRECTORY or /var/lib/defnet)\n"
		"  --runtime-dir DIR  control socket (default $RUNTIME_DIRECTORY or /run/defnet)\n"
		"  --check-config     validate the configuration and exit\n"
		"  --teardown         remove the bridge and the nftables table, for uninstalling\n"
		"  --host-forwarding  turn on IPv4 (and, with IPv6=yes, IPv6) forwarding, keeping\n"
		"                     router advertisements on the links that take them; as root,\n"
		"                     for the unit's one unsandboxed step, then exit\n"
		"  --version          print the version and exit\n",
		CONFIG_DEFAULT_PATH);
}

/* systemd passes a colon-separated list when a unit names several
 * directories; ours is the first. */
static const char *dir_from_env(const char *var, const char *fallback, char *buf, size_t size)
{
	const char *v = getenv(var);
	size_t n;

	if (!v || !*v)
		return fallback;
	n = strcspn(v, ":");
	if (n >= size)
		return fallback;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return buf;
}

/* The unit's ExecStartPre=+: the sandboxed daemon sees /proc/sys read-only.
 * IPv6 forwarding makes links with accept_ra=1 ignore router
 * advertisements, so those move to 2 first (host6_forwarding_enable). */
static int main_host_forwarding(const struct config *c)
{
	int r = ip_forwarding_enable();

	if (r < 0) {
		fprintf(stderr, "defnetd: cannot turn on IPv4 forwarding: %s\n", strerror(-r));
		return r;
	}
	if (!c->ipv6)
		return 0;
	r = host6_forwarding_enable(c->bridge);
	if (r < 0)
		fprintf(stderr, "defnetd: cannot turn on IPv6 forwarding: %s\n", strerror(-r));
	return r;
}

/* Root outside systemd: once the bridge, nftables and the privileged
 * ports are in place, go on as the unit's user would. */
static int main_drop_privileges(const struct daemon *d)
{
	const char *dirs[] = { d->state_dir, d->runtime_dir };
	int r = privdrop_to_user(PRIVDROP_USER, dirs, sizeof(dirs) / sizeof(dirs[0]));

	return r < 0 ? r : 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "runtime-dir", required_argument, NULL, 'r' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "teardown", no_argument, NULL, 'T' },
		{ "host-forwarding", no_argument, NULL, 'F' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static char state_buf[4096], runtime_buf[4096];
	struct daemon d = { 0 };
	char err[512];
	int check_only = 0, teardown = 0, host_forwarding = 0, opt, r;

	d.config_path = CONFIG_DEFAULT_PATH;
	d.state_dir = dir_from_env("STATE_DIRECTORY", "/var/lib/defnet", state_buf, sizeof(state_buf));
	d.runtime_dir = dir_from_env("RUNTIME_DIRECTORY", "/run/defnet", runtime_buf, sizeof(runtime_buf));
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'c': d.config_path = optarg; break;
		case 's': d.state_dir = optarg; break;
		case 'r': d.runtime_dir = optarg; break;
		case 'C': check_only = 1; break;
		case 'T': teardown = 1; break;
		case 'F': host_forwarding = 1; break;
		case 'V': printf("defnetd %s\n", DEFNET_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_CONFIG;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "defnetd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_CONFIG;
	}

	log_init("defnetd");
	config_init(&d.cfg);
	r = daemon_load_config(d.config_path, &d.cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		return EXIT_CONFIG;
	}
	if (check_only) {
		config_free(&d.cfg);
		printf("%s: configuration is valid\n", d.config_path);
		return 0;
	}
	if (host_forwarding) {
		r = main_host_forwarding(&d.cfg);
		config_free(&d.cfg);
		return r < 0 ? EXIT_FAILURE : 0;
	}
	if (teardown) {
		r = teardown_run(d.cfg.bridge, d.runtime_dir, stdout);
		config_free(&d.cfg);
		return r < 0 ? EXIT_FAILURE : 0;
	}

	/* A fixed mmap threshold, for the whole process: glibc otherwise raises
	 * it when a big block (a DHCP burst's deferred requests) is freed, and
	 * later big blocks (the lease table as it grows) stay on the heap
	 * after their move, in RSS long after the burst. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	r = daemon_start(&d);
	if (r == 0)
		r = main_drop_privileges(&d);
	if (r == 0)
		r = daemon_run(&d);
	daemon_stop(&d);
	return r < 0 ? EXIT_FAILURE : 0;
}
