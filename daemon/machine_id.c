/* Stable per-host values derived from /etc/machine-id (machine-id(5)).
 *
 * The id itself should not leak onto the network, so every value is a
 * keyed hash with the id as the key: SipHash-2-4 is a PRF whose key is
 * exactly the 128 bits of the id, and whose output reveals nothing of it. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "hex.h"
#include "machine_id.h"

#define MACHINE_ID_HEX_LEN 32

/* Running SipHash state; input is buffered into 8-byte
 * little-endian words, as the paper specifies. */
struct machine_id_sip {
	uint64_t v0, v1, v2, v3;
	uint8_t word[8];
	size_t n_word;
	uint64_t total;
};

static uint64_t machine_id_rotl(uint64_t x, unsigned int b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t machine_id_le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* SipRound: the paper's add-rotate-xor network. */
static void machine_id_sipround(struct machine_id_sip *s)
{
	s->v0 += s->v1;
	s->v1 = machine_id_rotl(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = machine_id_rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = machine_id_rotl(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = machine_id_rotl(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = machine_id_rotl(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = machine_id_rotl(s->v2, 32);
}

/* Two compression rounds per message word: the "2" of SipHash-2-4. */
static void machine_id_sip_compress(struct machine_id_sip *s, uint64_t m)
{
	s->v3 ^= m;
	machine_id_sipround(s);
	machine_id_sipround(s);
	s->v0 ^= m;
}

/* Initialisation: the key xored with "somepseudorandomlygeneratedbytes". */
static void machine_id_sip_init(struct machine_id_sip *s, const uint8_t key[16])
{
	uint64_t k0 = machine_id_le64(key);
	uint64_t k1 = machine_id_le64(key + 8);

	memset(s, 0, sizeof(*s));
	s->v0 = k0 ^ UINT64_C(0x736f6d6570736575);
	s->v1 = k1 ^ UINT64_C(0x646f72616e646f6d);
	s->v2 = k0 ^ UINT64_C(0x6c7967656e657261);
	s->v3 = k1 ^ UINT64_C(0x7465646279746573);
}

static void machine_id_sip_update(struct machine_id_sip *s, const void *msg, size_t len)
{
	const uint8_t *p = msg;
	size_t i;

	for (i = 0; i < len; i++) {
		s->word[s->n_word++] = p[i];
		if (s->n_word == sizeof(s->word)) {
			machine_id_sip_compress(s, machine_id_le64(s->word));
			s->n_word = 0;
		}
	}
	s->total += len;
}

/* The last word carries the leftover bytes and, in its top byte, the
 * message length mod 256; then four finalisation rounds: the "4". */
static uint64_t machine_id_sip_final(struct machine_id_sip *s)
{
	uint64_t b = s->total << 56;
	size_t i;

	for (i = 0; i < s->n_word; i++)
		b |= (uint64_t)s->word[i] << (8 * i);
	machine_id_sip_compress(s, b);
	s->v2 ^= 0xff;
	for (i = 0; i < 4; i++)
		machine_id_sipround(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

uint64_t machine_id_siphash24(const uint8_t key[16], const void *msg, size_t len)
{
	struct machine_id_sip s;

	machine_id_sip_init(&s, key);
	machine_id_sip_update(&s, msg, len);
	return machine_id_sip_final(&s);
}

int machine_id_parse(const char *s, size_t n, uint8_t id[16])
{
	uint8_t out[16];
	int hi, lo;
	size_t i;

	if (!s || !id)
		return -EINVAL;
	if (n == MACHINE_ID_HEX_LEN + 1 && s[MACHINE_ID_HEX_LEN] == '\n')
		n--;
	if (n != MACHINE_ID_HEX_LEN)
		return -EINVAL;
	for (i = 0; i < sizeof(out); i++) {
		hi = hex_digit(s[2 * i]);
		lo = hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(id, out, sizeof(out));
	return 0;
}

int machine_id_read(const char *path, uint8_t id[16])
{
	/* One byte more than a valid file, to tell "too long" from "fits". */
	char buf[MACHINE_ID_HEX_LEN + 2];
	size_t got = 0;
	ssize_t r;
	int fd, ret;

	if (!path || !id)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (got < sizeof(buf)) {
		r = read(fd, buf + got, sizeof(buf) - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto out_close;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	ret = machine_id_parse(buf, got, id);
out_close:
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	return ret;
}

uint64_t machine_id_derive(const uint8_t id[16], const char *purpose)
{
	return machine_id_siphash24(id, purpose, strlen(purpose));
}

/* The same value as machine_id_derive(id, "mac:" NAME), hashed in two
 * pieces so no name length needs a buffer. */
void machine_id_bridge_mac(const uint8_t id[16], const char *name, uint8_t mac[6])
{
	static const char prefix[] = "mac:";
	struct machine_id_sip s;
	uint64_t h;
	int i;

	machine_id_sip_init(&s, id);
	machine_id_sip_update(&s, prefix, sizeof(prefix) - 1);
	machine_id_sip_update(&s, name, strlen(name));
	h = machine_id_sip_final(&s);
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
	/* IEEE 802: in the first octet, 0x02 (U/L) marks a locally
	 * administered address and 0x01 (I/G) a group address; we want a
	 * local unicast one. */
	mac[0] = (uint8_t)((mac[0] | 0x02) & ~0x01);
}
