/* Listening sockets and their processes: see sock_diag.h. */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/inet_diag.h>
#include <linux/sock_diag.h>

#include <libmnl/libmnl.h>

#include "sock_diag.h"

/* include/net/tcp_states.h: a listening TCP socket; a UDP socket that is
 * not connected stays in CLOSE. */
#define SOCK_DIAG_TCP_LISTEN 10
#define SOCK_DIAG_CLOSE 7
/* Bounds on the walk of /proc: processes and descriptors looked at. */
#define SOCK_DIAG_MAX_PIDS 65536
#define SOCK_DIAG_MAX_FDS 65536
/* MNL_SOCKET_BUFFER_SIZE is a run-time expression (the page size). */
#define SOCK_DIAG_BUF_SIZE 8192
/* "/proc/" + a directory entry's name + "/fd/" + another. */
#define SOCK_DIAG_PATH_MAX 600

struct sock_diag_match {
	uint16_t port;
	uint32_t inode;
	bool found;
};

static int sock_diag_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct sock_diag_match *want = data;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return MNL_CB_ERROR;
	if (ntohs(m->id.idiag_sport) == want->port && !want->found) {
		want->found = true;
		want->inode = m->idiag_inode;
	}
	return MNL_CB_OK;
}

static int sock_diag_dump(struct mnl_socket *nl, uint8_t family, uint8_t proto,
			  struct sock_diag_match *want)
{
	char buf[SOCK_DIAG_BUF_SIZE];
	struct inet_diag_req_v2 *req;
	struct nlmsghdr *nlh;
	uint32_t seq = (uint32_t)time(NULL);
	ssize_t n;
	int r;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = family;
	req->sdiag_protocol = proto;
	req->idiag_states = 1u << (proto == IPPROTO_TCP ? SOCK_DIAG_TCP_LISTEN : SOCK_DIAG_CLOSE);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		r = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), sock_diag_cb, want);
	} while (r == MNL_CB_OK);
	return r < 0 ? -errno : 0;
}

int sock_diag_listener(uint8_t proto, uint16_t port, uint32_t *inode)
{
	static const uint8_t families[] = { AF_INET, AF_INET6 };
	struct sock_diag_match want = { .port = port };
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	int r = 0;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		r = -errno;
	for (size_t i = 0; r == 0 && !want.found && i < sizeof(families); i++)
		r = sock_diag_dump(nl, families[i], proto, &want);
	mnl_socket_close(nl);
	if (r < 0)
		return r;
	*inode = want.inode;
	return want.found ? 1 : 0;
}

/* Whether one of pid's descriptors is the socket "socket:[inode]". */
static bool sock_diag_pid_holds(const char *pid, const char *target)
{
	char path[SOCK_DIAG_PATH_MAX], link[64];
	struct dirent *e;
	size_t fds = 0;
	bool found = false;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	dir = opendir(path);
	if (!dir)
		return false;
	while (!found && fds++ < SOCK_DIAG_MAX_FDS && (e = readdir(dir))) {
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid, e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		found = strcmp(link, target) == 0;
	}
	closedir(dir);
	return found;
}

static void sock_diag_comm(const char *pid, char *buf, size_t size)
{
	char path[SOCK_DIAG_PATH_MAX], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	snprintf(buf, size, "%s (pid %s)", comm[0] ? comm : "?", pid);
}

void sock_diag_owner(uint32_t inode, char *buf, size_t size)
{
	char target[32];
	struct dirent *e;
	size_t pids = 0;
	DIR *proc;

	snprintf(buf, size, "an unknown process");
	snprintf(target, sizeof(target), "socket:[%u]", inode);
	proc = opendir("/proc");
	if (!proc)
		return;
	while (pids++ < SOCK_DIAG_MAX_PIDS && (e = readdir(proc))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		if (sock_diag_pid_holds(e->d_name, target)) {
			sock_diag_comm(e->d_name, buf, size);
			break;
		}
	}
	closedir(proc);
}
