/* A small streaming JSON writer over a stdio stream (open_memstream for
 * replies). It tracks nesting so commas come out right; the caller keeps
 * the calls balanced. */
#ifndef DEFNET_JSON_H
#define DEFNET_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 8

struct json {
	FILE *out;
	unsigned depth;
	bool first[JSON_MAX_DEPTH];  /* no member written yet at this depth */
	bool after_key;              /* a key was written; its value is next */
};

void json_init(struct json *j, FILE *out);

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);

/* An object member's name; the next value call writes its value. */
void json_key(struct json *j, const char *key);

void json_string(struct json *j, const char *s);
void json_uint(struct json *j, uint64_t v);
void json_int(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* An object member in one call: json_key() then the value. */
void json_field_string(struct json *j, const char *key, const char *s);
void json_field_uint(struct json *j, const char *key, uint64_t v);
void json_field_int(struct json *j, const char *key, int64_t v);
void json_field_bool(struct json *j, const char *key, bool v);

#endif
