/* DNS protocol numbers that dhcp/, daemon/ and nat/ need too: they may not
 * include dns/ headers, so the one definition lives here. */
#ifndef DEFNET_DNS_CONST_H
#define DEFNET_DNS_CONST_H

#define DNS_LABEL_MAX 63  /* bytes in one label (RFC 1035 2.3.4) */
#define DNS_PORT 53       /* UDP and TCP (RFC 1035 4.2) */

#endif
