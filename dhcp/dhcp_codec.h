/* DHCPv4 wire codec (RFC 2131 messages, RFC 2132 options): parses a
 * message into a struct of copies, builds messages option by option, and
 * wraps a reply in IPv4 and UDP headers for a packet socket.
 *
 * Pure code: no sockets, no globals, no allocation. Addresses are in host
 * byte order, as everywhere else in defnet. The parsed struct holds copies
 * with fixed maxima, so it does not point into the caller's buffer. */
#ifndef DEFNET_DHCP_CODEC_H
#define DEFNET_DHCP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68

#define DHCP_MAGIC_COOKIE 0x63825363u
#define DHCP_CHADDR_LEN 16
#define DHCP_SNAME_LEN 64
#define DHCP_FILE_LEN 128
#define DHCP_HEADER_LEN 236     /* the fixed BOOTP header */
#define DHCP_MIN_LEN 240        /* header + magic cookie */
/* RFC 951: a BOOTP message has a 64-byte vendor area, 300 bytes in all;
 * some old clients and relays drop anything shorter. */
#define DHCP_BOOTP_MIN_LEN 300
/* RFC 2132 9.10: the smallest maximum message size, IP and UDP included. */
#define DHCP_MIN_MAX_MSG 576
#define DHCP_IPUDP_LEN 28       /* IPv4 header without options + UDP header */
#define DHCP_OPT_MAX 255        /* longest value one option can carry */
#define DHCP_NAME_MAX 253       /* longest DNS name in text (RFC 1035 2.3.4) */
/* The longest domain search list (option 119) the builder encodes. */
#define DHCP_SEARCH_MAX 1024

enum dhcp_op {
	DHCP_OP_BOOTREQUEST = 1,
	DHCP_OP_BOOTREPLY = 2,
};

#define DHCP_HTYPE_ETHER 1
#define DHCP_FLAG_BROADCAST 0x8000   /* RFC 2131 2, figure 2 */

/* Option 53 values (RFC 2132 9.6). */
enum dhcp_msg_type {
	DHCP_DISCOVER = 1,
	DHCP_OFFER = 2,
	DHCP_REQUEST = 3,
	DHCP_DECLINE = 4,
	DHCP_ACK = 5,
	DHCP_NAK = 6,
	DHCP_RELEASE = 7,
	DHCP_INFORM = 8,
};

enum dhcp_option {
	DHCP_OPT_PAD = 0,
	DHCP_OPT_SUBNET_MASK = 1,
	DHCP_OPT_ROUTER = 3,
	DHCP_OPT_DNS = 6,
	DHCP_OPT_HOSTNAME = 12,
	DHCP_OPT_DOMAIN_NAME = 15,
	DHCP_OPT_MTU = 26,
	DHCP_OPT_BROADCAST = 28,
	DHCP_OPT_REQUESTED_IP = 50,
	DHCP_OPT_LEASE_TIME = 51,
	DHCP_OPT_OVERLOAD = 52,
	DHCP_OPT_MSG_TYPE = 53,
	DHCP_OPT_SERVER_ID = 54,
	DHCP_OPT_PARAM_LIST = 55,
	DHCP_OPT_MESSAGE = 56,
	DHCP_OPT_MAX_MSG_SIZE = 57,
	DHCP_OPT_T1 = 58,
	DHCP_OPT_T2 = 59,
	DHCP_OPT_VENDOR_CLASS = 60,
	DHCP_OPT_CLIENT_ID = 61,
	DHCP_OPT_RAPID_COMMIT = 80,
	DHCP_OPT_FQDN = 81,
	DHCP_OPT_RELAY_AGENT = 82,
	DHCP_OPT_DOMAIN_SEARCH = 119,
	DHCP_OPT_END = 255,
};

/* Option 52 values (RFC 2132 9.3). */
#define DHCP_OVERLOAD_FILE 1
#define DHCP_OVERLOAD_SNAME 2
#define DHCP_OVERLOAD_BOTH 3

/* Option 81 flags (RFC 4702 2.1). */
#define DHCP_FQDN_S 0x01   /* the server should do the A update */
#define DHCP_FQDN_O 0x02   /* the server overrode the client's S */
#define DHCP_FQDN_E 0x04   /* the name is in DNS wire format */
#define DHCP_FQDN_N 0x08   /* the server should do no update */

/* Where yiaddr sits in the fixed header (RFC 2131 2, figure 1). */
#define DHCP_YIADDR_OFF 16

/* The fixed header, integers in host byte order. */
struct dhcp_header {
	uint8_t op;
	uint8_t htype;
	uint8_t hlen;     /* 0..DHCP_CHADDR_LEN */
	uint8_t hops;
	uint32_t xid;
	uint16_t secs;
	uint16_t flags;
	uint32_t ciaddr;
	uint32_t yiaddr;
	uint32_t siaddr;
	uint32_t giaddr;
	uint8_t chaddr[DHCP_CHADDR_LEN];
	uint8_t sname[DHCP_SNAME_LEN];   /* raw: text, or options if overloaded */
	uint8_t file[DHCP_FILE_LEN];
};

/* A variable-length option value. data[len] is always 0, so the text
 * options (hostname, vendor class) read as C strings too; the policy still
 * checks len against strlen() before trusting the text. */
struct dhcp_opt_value {
	size_t len;   /* 0 when absent, empty or too long to keep */
	uint8_t data[DHCP_OPT_MAX + 1];
};

/* Option 81, client FQDN (RFC 4702). */
struct dhcp_fqdn {
	uint8_t flags;                     /* DHCP_FQDN_* */
	/* Dotted text without a trailing dot, "" when the client sent no
	 * name. Wire names (E set) are decoded; ASCII names are copied. */
	char name[DHCP_NAME_MAX + 1];
	size_t name_len;
};

/* A parsed message. RFC 3396: an option that appears more than once
 * (in the options field and, with option 52, the file and sname fields)
 * is the concatenation of its parts, in that order. */
struct dhcp_msg {
	struct dhcp_header hdr;
	uint8_t type;            /* option 53; 0 when absent (plain BOOTP) */
	uint8_t overload;        /* option 52; 0 when absent */
	bool has_requested_ip;   /* option 50 */
	bool has_server_id;      /* option 54 */
	bool has_lease_time;     /* option 51 */
	uint32_t requested_ip;
	uint32_t server_id;
	uint32_t lease_time;     /* seconds */
	/* Option 57; 0 when absent or below DHCP_MIN_MAX_MSG (RFC 2132 9.10
	 * makes 576 the minimum legal value, so smaller ones are ignored). */
	uint16_t max_msg_size;
	struct dhcp_opt_value client_id;      /* option 61 */
	struct dhcp_opt_value hostname;       /* option 12 */
	struct dhcp_opt_value param_list;     /* option 55 */
	struct dhcp_opt_value vendor_class;   /* option 60 */
	/* Option 82, kept whole to echo it back (RFC 3046 2.2). */
	struct dhcp_opt_value relay_info;
	bool has_fqdn;
	struct dhcp_fqdn fqdn;
	/* Every option code the message carries, decoded here or not
	 * (e.g. 80, rapid commit). Pad and end are not recorded. */
	uint8_t seen[32];
};

static inline bool dhcp_msg_has(const struct dhcp_msg *m, uint8_t code)
{
	return m->seen[code / 8] & (1u << (code % 8));
}

/* Parses one DHCP message (the UDP payload). Any op is accepted; the
 * policy decides what to answer. Returns 0, -EMSGSIZE when len is below
 * DHCP_MIN_LEN, or -EINVAL when the message is malformed: hlen above 16,
 * no magic cookie, an option running past its field, a bad option 52,
 * option 53 of 0, or option 50, 51, 53, 54 or 57 with a wrong length.
 * A field may end without an end option. Options the struct cannot hold
 * are ignored, not fatal: a value longer than DHCP_OPT_MAX after
 * concatenation, and an FQDN whose name does not decode. */
int dhcp_parse(const uint8_t *buf, size_t len, struct dhcp_msg *msg);

/* Copies the value of option code (concatenated as in dhcp_parse) into
 * out. Returns 0 with *out_len set, -ENOENT when absent, -ENOBUFS when
 * longer than cap, or dhcp_parse's errors for a malformed message. */
int dhcp_option_get(const uint8_t *buf, size_t len, uint8_t code,
		    uint8_t *out, size_t cap, size_t *out_len);

/* The largest DHCP message (UDP payload) this client accepts: its
 * option 57 or 576, less the IP and UDP headers (RFC 2131 2: a client
 * takes at least 312 bytes of options, 548 bytes of message). */
size_t dhcp_reply_max_len(const struct dhcp_msg *req);

/* Header templates. A request carries an Ethernet chaddr. A reply copies
 * htype, hlen, xid, flags, giaddr and chaddr from the request (RFC 2131
 * 4.3.1 table 3); the caller sets ciaddr, yiaddr and siaddr. */
void dhcp_header_request(struct dhcp_header *h, uint32_t xid,
			 const uint8_t mac[6]);
void dhcp_header_reply(struct dhcp_header *h, const struct dhcp_header *req);

/* Builds a message into a caller buffer. Options go in the order they
 * are added; an option that does not fit returns -EMSGSIZE and leaves
 * the message as it was, so the caller can drop it and go on. Values
 * longer than 255 bytes are split into several options (RFC 3396). The
 * builder never overloads file or sname. A reply reads best in this
 * order: 53 (from init), 54, 51, 58, 59, 1, 3, 6, 15, 119, 26, 12 or 81,
 * and 82 (from finish), the ones a small client needs most first. */
struct dhcp_builder {
	uint8_t *buf;
	size_t size;      /* the most the message may take */
	size_t len;       /* written so far */
	size_t tail;      /* room kept for the relay info and the end option */
	bool finished;
	uint8_t relay_len;
	uint8_t relay[DHCP_OPT_MAX];
};

/* Writes the header, the cookie and (unless type is 0) option 53. size is
 * the buffer size, already capped by dhcp_reply_max_len() for a reply;
 * it must be at least DHCP_BOOTP_MIN_LEN. Returns 0, -EINVAL (hlen above
 * 16) or -EMSGSIZE. */
int dhcp_build_init(struct dhcp_builder *b, uint8_t *buf, size_t size,
		    const struct dhcp_header *hdr, uint8_t type);
/* A generic option; len may be 0 and up to 65535. */
int dhcp_build_option(struct dhcp_builder *b, uint8_t code,
		      const void *data, size_t len);
int dhcp_build_u8(struct dhcp_builder *b, uint8_t code, uint8_t v);
int dhcp_build_u16(struct dhcp_builder *b, uint8_t code, uint16_t v);
int dhcp_build_u32(struct dhcp_builder *b, uint8_t code, uint32_t v);
/* One to 63 addresses (routers, DNS servers...); one address or a subnet
 * mask can go as a u32 too. */
int dhcp_build_ips(struct dhcp_builder *b, uint8_t code,
		   const uint32_t *ips, size_t n);
/* A text option without its NUL (hostname, domain name, message). */
int dhcp_build_str(struct dhcp_builder *b, uint8_t code, const char *s);
/* Option 81 with the given flags; the name goes in wire format when
 * DHCP_FQDN_E is set, else in ASCII. A reply sets both RCODEs to 255, a
 * request to 0 (RFC 4702 2.2). -EINVAL for a name that is not a valid
 * dotted name. */
int dhcp_build_fqdn(struct dhcp_builder *b, uint8_t flags, const char *name);
/* Option 119 (RFC 3397): the names in DNS wire format, later names
 * compressed against earlier ones. -EINVAL for a bad name, -ENOBUFS past
 * DHCP_SEARCH_MAX bytes. */
int dhcp_build_domain_search(struct dhcp_builder *b,
			     const char *const *names, size_t n);
/* Option 82 to echo back; it is written last, just before the end option,
 * as RFC 3046 2.2 asks, and its room is kept from now on. Call it once,
 * right after dhcp_build_init, so that other options cannot crowd it out. */
int dhcp_build_relay_info(struct dhcp_builder *b, const uint8_t *data,
			  size_t len);
/* Writes the relay info and the end option and pads the message to
 * DHCP_BOOTP_MIN_LEN. Returns 0 with *len set to the message length. */
int dhcp_build_finish(struct dhcp_builder *b, size_t *len);

/* Writes an IPv4 header (no options, DF set, TTL 64) and a UDP header in
 * front of the payload into buf, both checksums filled in (RFC 791, RFC
 * 768): guests behind vhost-net drop replies whose checksum is left to an
 * offload that never happens. The packet takes len + DHCP_IPUDP_LEN bytes.
 * payload may be buf + DHCP_IPUDP_LEN (built in place). Returns 0 or
 * -EMSGSIZE. */
int dhcp_udp_encap(uint8_t *buf, size_t size, uint32_t src_ip,
		   uint32_t dst_ip, uint16_t sport, uint16_t dport,
		   const uint8_t *payload, size_t len);

/* An IPv4/UDP datagram taken apart; payload points into the buffer given
 * to dhcp_udp_decap and lives as long as it does. */
struct dhcp_udp {
	uint32_t src_ip;
	uint32_t dst_ip;
	uint16_t sport;
	uint16_t dport;
	const uint8_t *payload;
	size_t payload_len;
};

/* Checks an IPv4 packet carrying UDP: version, lengths, no fragment, the
 * header checksum and the UDP checksum (a zero UDP checksum means none,
 * RFC 768). Returns 0, -EMSGSIZE when truncated, -EINVAL otherwise. */
int dhcp_udp_decap(const uint8_t *buf, size_t len, struct dhcp_udp *out);

#endif
