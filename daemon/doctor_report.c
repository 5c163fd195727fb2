/* The doctor's findings as text and JSON: see doctor_report.h. */
#include <stdarg.h>
#include <string.h>

#include "doctor_report.h"
#include "json.h"

#define DOCTOR_TEXT_OK "doctor: ok"
#define DOCTOR_TEXT_BAD "doctor: "
#define DOCTOR_JSON_OK "{\"ok\":true"
#define DOCTOR_JSON_BAD "{\"ok\":false"

void doctor_report_init(struct doctor_report *r)
{
	memset(r, 0, sizeof(*r));
}

static void doctor_one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

void doctor_add(struct doctor_report *r, const char *name, bool ok, const char *fix,
		const char *fmt, ...)
{
	struct doctor_check *c;
	va_list ap;

	if (r->n == DOCTOR_MAX_CHECKS) {
		r->dropped++;
		return;
	}
	c = &r->v[r->n++];
	c->ok = ok;
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->fix, sizeof(c->fix), "%s", fix ? fix : "");
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	doctor_one_line(c->name);
	doctor_one_line(c->detail);
	doctor_one_line(c->fix);
}

static size_t doctor_problems(const struct doctor_report *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += !r->v[i].ok;
	return n;
}

bool doctor_report_ok(const struct doctor_report *r)
{
	return doctor_problems(r) == 0;
}

void doctor_report_text(const struct doctor_report *r, FILE *out)
{
	size_t bad = doctor_problems(r);

	if (bad == 0)
		fprintf(out, DOCTOR_TEXT_OK ", %zu checks\n", r->n);
	else
		fprintf(out, DOCTOR_TEXT_BAD "%zu problem%s\n", bad, bad == 1 ? "" : "s");
	for (size_t i = 0; i < r->n; i++) {
		const struct doctor_check *c = &r->v[i];

		fprintf(out, "%-4s %s: %s\n", c->ok ? "ok" : "FAIL", c->name, c->detail);
		if (!c->ok && c->fix[0])
			fprintf(out, "     fix: %s\n", c->fix);
	}
}

/* "ok" first: defnetctl reads it from the reply's first bytes. */
void doctor_report_json(const struct doctor_report *r, FILE *out)
{
	struct json j;

	json_init(&j, out);
	json_object_begin(&j);
	json_field_bool(&j, "ok", doctor_report_ok(r));
	json_key(&j, "checks");
	json_array_begin(&j);
	for (size_t i = 0; i < r->n; i++) {
		const struct doctor_check *c = &r->v[i];

		json_object_begin(&j);
		json_field_string(&j, "name", c->name);
		json_field_bool(&j, "ok", c->ok);
		json_field_string(&j, "detail", c->detail);
		json_key(&j, "fix");
		if (c->fix[0])
			json_string(&j, c->fix);
		else
			json_null(&j);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	fputc('\n', out);
}

static bool doctor_starts(const char *body, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(body, prefix, n) == 0;
}

int doctor_reply_ok(const char *body, size_t len)
{
	if (doctor_starts(body, len, DOCTOR_JSON_OK) || doctor_starts(body, len, DOCTOR_TEXT_OK))
		return 1;
	if (doctor_starts(body, len, DOCTOR_JSON_BAD) || doctor_starts(body, len, DOCTOR_TEXT_BAD))
		return 0;
	return -1;
}
