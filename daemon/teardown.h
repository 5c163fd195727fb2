/* defnetd --teardown: removes what defnet added to the host, for
 * uninstalling. The state and configuration files are the package's (or
 * the admin's) to remove; forwarding is left as it is, since defnet cannot
 * know whether something else needs it. */
#ifndef DEFNET_TEARDOWN_H
#define DEFNET_TEARDOWN_H

#include <stdio.h>

/* Refuses while a daemon answers on runtime_dir/control (it would put
 * everything back). Otherwise removes the nftables table inet defnet,
 * DockerCompat's rules in iptables' DOCKER-USER chain and the bridge
 * `bridge`, saying on out what it removed. Returns 0 when
 * nothing of defnet's is left, or -errno after saying what failed. */
int teardown_run(const char *bridge, const char *runtime_dir, FILE *out);

#endif
