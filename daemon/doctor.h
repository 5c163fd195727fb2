/* `defnetctl doctor [GUEST] [--json]`: every check now, on demand, each a
 * line saying what is wrong and the command that fixes it (the report's
 * form is doctor_report.h). What is the administrator's is reported,
 * never changed: forwarding, other firewalls, NetworkManager, resolved.
 *
 * NetworkManager is read from its state files, no D-Bus:
 * /run/NetworkManager/devices/IFINDEX holds "managed=true" for a device it
 * manages; no /run/NetworkManager means it is not running. */
#ifndef DEFNET_DOCTOR_H
#define DEFNET_DOCTOR_H

#include <stdbool.h>
#include <stdio.h>

#include "control_proto.h"

#define DOCTOR_NM_DIR "/run/NetworkManager"
#define DOCTOR_AVAHI_SOCKET "/run/avahi-daemon/socket"
#define DOCTOR_IP_FORWARD "/proc/sys/net/ipv4/ip_forward"

struct daemon;
struct doctor_report;

/* Runs every check, and with guest (NULL: none) the guest's. */
void doctor_collect(struct daemon *d, const char *guest, struct doctor_report *r);
/* The report as text or JSON. */
void doctor_render(const struct doctor_report *r, bool json, FILE *out);

/* The control command, with daemon_command()'s conventions:
 * doctor [GUEST] [--json] [--trace [SECONDS]]. */
int doctor_cmd(struct daemon *d, const struct control_request *req, FILE *out,
	       char *err, size_t errlen);

#endif
