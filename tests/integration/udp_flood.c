/* A UDP flood for test_fair_shares.sh, cheap enough per packet (sendmmsg
 * batches) that the sender does not take the CPU the server under test
 * needs, as a Python loop would:
 *
 *   udp_flood ADDR PORT SECONDS RATE HEX
 *
 * sends the datagram HEX to ADDR:PORT, RATE a second (0: as fast as it
 * goes) for SECONDS, and prints how many it sent. Answers are not read:
 * the kernel drops them at this socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FLOOD_BATCH 64

static double flood_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t flood_hex(const char *hex, uint8_t *out, size_t size)
{
	size_t n = strlen(hex) / 2;

	if (n > size)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return 0;
		out[i] = (uint8_t)v;
	}
	return n;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct mmsghdr m[FLOOD_BATCH];
	struct iovec iov;
	uint8_t pkt[512];
	double t0, end, rate;
	unsigned long long sent = 0;
	size_t len;
	int fd;

	if (argc != 6 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 ||
	    !(len = flood_hex(argv[5], pkt, sizeof(pkt)))) {
		fprintf(stderr, "usage: udp_flood ADDR PORT SECONDS RATE HEX\n");
		return 2;
	}
	to.sin_port = htons((uint16_t)atoi(argv[2]));
	rate = atof(argv[4]);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	iov = (struct iovec){ pkt, len };
	for (int i = 0; i < FLOOD_BATCH; i++)
		m[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &to, .msg_namelen = sizeof(to),
						      .msg_iov = &iov, .msg_iovlen = 1 } };
	t0 = flood_now();
	end = t0 + atof(argv[3]);
	for (double now = t0; now < end; now = flood_now()) {
		int n;

		if (rate > 0 && (double)sent > (now - t0) * rate) {
			usleep(200);
			continue;
		}
		n = sendmmsg(fd, m, FLOOD_BATCH, 0);
		if (n < 0 && errno != ENOBUFS && errno != EAGAIN) {
			perror("sendmmsg");
			return 1;
		}
		sent += n > 0 ? (unsigned long long)n : 0;
	}
	printf("%llu\n", sent);
	close(fd);
	return 0;
}
