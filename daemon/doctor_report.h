/* `defnetctl doctor`'s findings and their two forms, text and JSON
 * (DESIGN.md: {"ok":bool,"checks":[{"name","ok","detail","fix"}]}). Each
 * check is one line: what was looked at and what was found, and for a
 * problem the command that fixes it. Pure code; doctor.c runs the checks.
 *
 * The reply's first line tells defnetctl its exit code without parsing
 * the rest: "doctor: ok ..." or "doctor: N problem(s)" in text, and the
 * JSON object's first member, "ok". */
#ifndef DEFNET_DOCTOR_REPORT_H
#define DEFNET_DOCTOR_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define DOCTOR_MAX_CHECKS 32
#define DOCTOR_NAME_SIZE 64
#define DOCTOR_TEXT_SIZE 512

struct doctor_check {
	char name[DOCTOR_NAME_SIZE];     /* "bridge", "forwarding", "dns 192.0.2.53" */
	bool ok;
	char detail[DOCTOR_TEXT_SIZE];   /* what was found, one line */
	char fix[DOCTOR_TEXT_SIZE];      /* "" when ok, or when nothing we know fixes it */
};

struct doctor_report {
	struct doctor_check v[DOCTOR_MAX_CHECKS];
	size_t n;
	size_t dropped;                  /* checks past DOCTOR_MAX_CHECKS */
};

void doctor_report_init(struct doctor_report *r);

/* Adds a check: fix may be NULL; detail is printf-style. Text is cut to
 * the field sizes and line breaks become spaces, so each stays one line. */
__attribute__((format(printf, 5, 6)))
void doctor_add(struct doctor_report *r, const char *name, bool ok, const char *fix,
		const char *fmt, ...);

/* True when every check passed. */
bool doctor_report_ok(const struct doctor_report *r);

/* "doctor: ok, N checks" or "doctor: N problem(s)", then one line per
 * check: "ok   NAME: DETAIL" or "FAIL NAME: DETAIL", and "     fix: FIX". */
void doctor_report_text(const struct doctor_report *r, FILE *out);
void doctor_report_json(const struct doctor_report *r, FILE *out);

/* defnetctl's side: from the reply's body, 1 when doctor found nothing
 * wrong, 0 when it found something, -1 when the body is not a doctor
 * reply. */
int doctor_reply_ok(const char *body, size_t len);

#endif
