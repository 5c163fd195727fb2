/* Bench-only shim (LD_PRELOAD): a slow disk. Every fsync and fdatasync
 * first sleeps DEFNET_FSYNC_DELAY_MS milliseconds, then does the real
 * call. bench/dhcp.py builds it and runs defnetd under it to show that
 * group commit keeps the lease rate when each fsync costs 10 ms. */
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

int fsync(int fd);
int fdatasync(int fd);

static void fsync_delay_sleep(void)
{
	const char *v = getenv("DEFNET_FSYNC_DELAY_MS");
	long ms = v ? strtol(v, NULL, 10) : 0;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	if (ms > 0)
		while (nanosleep(&ts, &ts) != 0)
			;
}

int fsync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");

	fsync_delay_sleep();
	return real ? real(fd) : -1;
}

int fdatasync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");

	fsync_delay_sleep();
	return real ? real(fd) : -1;
}
