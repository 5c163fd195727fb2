/* systemd's service notification protocol (sd_notify(3)), spoken directly:
 * one datagram of KEY=value lines to the socket named in $NOTIFY_SOCKET. */
#ifndef DEFNET_NOTIFY_H
#define DEFNET_NOTIFY_H

/* Sends the state lines; does nothing when not started by a service
 * manager. Returns 0 or -errno. */
int notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Microseconds on CLOCK_MONOTONIC, for RELOADING=1's MONOTONIC_USEC=. */
unsigned long long notify_monotonic_usec(void);

#endif
