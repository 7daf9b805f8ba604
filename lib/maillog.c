/*
 * maillog.c - recognise Postfix delivery status lines (see maillog.h).
 *
 * Contract: a pure function of the bytes it is given.  It reads at most
 * `len` bytes, writes only into *out, and every copy is bounded by the
 * field sizes in maillog.h.  Anything that is not exactly a delivery line
 * -- truncated, garbled, another program, another kind of Postfix line --
 * gives NF_MAILLOG_OTHER; the caller counts and skips it.  Nothing here
 * can fail in any other way.
 *
 * Written by hand because no Debian library parses MTA logs (pflogsumm is
 * a Perl script), and the format is Postfix's own: "QID: key=value, ...,
 * status=WORD (diagnostic)".  Values other than addresses and the
 * diagnostic never contain ", ".  Addresses are logged between <> in
 * RFC 5321 external form, so a quoted local part may hold ',' ' ' or '>':
 * quotes are honoured when looking for the closing '>'.  The diagnostic is
 * the remote's reply and may hold anything, parentheses included: it runs
 * to the ')' that ends the line; if the line has no such end (cut by a
 * syslog size limit) it runs to the ')' that balances the '(' and, failing
 * that, to the end of the line, marked as cut.
 */
#include "maillog.h"

#include <string.h>
#include <time.h>

struct cur {
	const char *p, *end;
};

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alnum(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Exactly n digits -> *v.  0 ok, -1 otherwise. */
static int
take_digits(struct cur *c, int n, int *v)
{
	int i, x = 0;

	if (c->end - c->p < n)
		return -1;
	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)c->p[i]))
			return -1;
		x = x * 10 + (c->p[i] - '0');
	}
	c->p += n;
	*v = x;
	return 0;
}

static int
take_char(struct cur *c, char ch)
{
	if (c->p >= c->end || *c->p != ch)
		return -1;
	c->p++;
	return 0;
}

static int
take_str(struct cur *c, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return -1;
	c->p += n;
	return 0;
}

/* Copy [a, b) into dst[size] with a NUL; -1 when it does not fit. */
static int
copy_field(char *dst, size_t size, const char *a, const char *b)
{
	size_t n = (size_t)(b - a);

	if (n >= size)
		return -1;
	memcpy(dst, a, n);
	dst[n] = '\0';
	return 0;
}

/* ".123456": microseconds from up to 9 fraction digits (more are read and
 * ignored, as long as there are at most 18). */
static int
take_fraction(struct cur *c, long *usec)
{
	long v = 0;
	int n = 0;

	*usec = 0;
	if (c->p >= c->end || *c->p != '.')
		return 0;
	c->p++;
	while (c->p < c->end && is_digit((unsigned char)*c->p)) {
		if (n < 6)
			v = v * 10 + (*c->p - '0');
		n++;
		c->p++;
		if (n > 18)
			return -1;
	}
	if (n == 0)
		return -1;
	while (n < 6) {
		v *= 10;
		n++;
	}
	*usec = v;
	return 0;
}

static int
take_hms(struct cur *c, struct nf_maillog_ts *ts)
{
	if (take_digits(c, 2, &ts->hour) || take_char(c, ':') ||
	    take_digits(c, 2, &ts->min) || take_char(c, ':') ||
	    take_digits(c, 2, &ts->sec) || take_fraction(c, &ts->usec))
		return -1;
	if (ts->hour > 23 || ts->min > 59 || ts->sec > 60)
		return -1;
	return 0;
}

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

/* "Nov 23 11:00:00" or "Nov  3 11:00:00" */
static int
take_classic(struct cur *c, struct nf_maillog_ts *ts)
{
	int m;

	if (c->end - c->p < 15)
		return -1;
	for (m = 0; m < 12; m++)
		if (memcmp(c->p, months + 3 * m, 3) == 0)
			break;
	if (m == 12)
		return -1;
	c->p += 3;
	ts->mon = m + 1;
	if (take_char(c, ' '))
		return -1;
	if (*c->p == ' ') {
		c->p++;
		if (take_digits(c, 1, &ts->mday))
			return -1;
	} else if (take_digits(c, 2, &ts->mday))
		return -1;
	if (ts->mday < 1 || ts->mday > 31 || take_char(c, ' '))
		return -1;
	return take_hms(c, ts);
}

/* "2026-11-23T11:00:00.123456+00:00" (the offset may also be "Z") */
static int
take_rfc3339(struct cur *c, struct nf_maillog_ts *ts)
{
	int oh, om;

	if (take_digits(c, 4, &ts->year) || take_char(c, '-') ||
	    take_digits(c, 2, &ts->mon) || take_char(c, '-') ||
	    take_digits(c, 2, &ts->mday) || take_char(c, 'T') ||
	    take_hms(c, ts))
		return -1;
	if (ts->year < 1970 || ts->mon < 1 || ts->mon > 12 || ts->mday < 1 ||
	    ts->mday > 31)
		return -1;
	if (c->p < c->end && (*c->p == 'Z' || *c->p == 'z')) {
		c->p++;
		ts->has_tz = 1;
		ts->tz_min = 0;
		return 0;
	}
	if (c->p >= c->end || (*c->p != '+' && *c->p != '-'))
		return -1;
	{
		int sign = *c->p == '-' ? -1 : 1;

		c->p++;
		if (take_digits(c, 2, &oh) || take_char(c, ':') ||
		    take_digits(c, 2, &om) || oh > 23 || om > 59)
			return -1;
		ts->has_tz = 1;
		ts->tz_min = sign * (oh * 60 + om);
	}
	return 0;
}

/* Delivery agents whose status lines we read, and the queue managers. */
static int
known_program(const char *p)
{
	static const char *const progs[] = { "smtp", "lmtp", "local",
	    "virtual", "pipe", "error", "retry", "discard", "qmgr", "oqmgr",
	    "nqmgr", NULL };
	size_t i;

	for (i = 0; progs[i] != NULL; i++)
		if (strcmp(p, progs[i]) == 0)
			return 1;
	return 0;
}

/* "host postfix/smtp[123]: " */
static int
take_host_tag(struct cur *c, struct nf_maillog_rec *r)
{
	const char *a = c->p, *slash = NULL;

	while (c->p < c->end && *c->p != ' ')
		c->p++;
	if (c->p == a || copy_field(r->host, sizeof(r->host), a, c->p) ||
	    take_char(c, ' '))
		return -1;
	a = c->p;
	while (c->p < c->end) {
		int ch = (unsigned char)*c->p;

		if (ch == '/')
			slash = c->p;
		else if (!is_alnum(ch) && ch != '-' && ch != '_' && ch != '.')
			break;
		c->p++;
	}
	if (c->p == a || copy_field(r->tag, sizeof(r->tag), a, c->p))
		return -1;
	if (copy_field(r->program, sizeof(r->program),
	    slash != NULL ? slash + 1 : a, c->p) || !known_program(r->program))
		return -1;
	r->pid = -1;
	if (c->p < c->end && *c->p == '[') {
		long pid = 0;
		int n = 0;

		c->p++;
		while (c->p < c->end && is_digit((unsigned char)*c->p) && n < 10) {
			pid = pid * 10 + (*c->p - '0');
			c->p++;
			n++;
		}
		if (n == 0 || take_char(c, ']'))
			return -1;
		r->pid = pid;
	}
	return take_str(c, ": ");
}

/* Short ids are upper-case hex, long ones (enable_long_queue_ids) letters
 * and digits; both are at least 5 characters here. */
static int
take_qid(struct cur *c, struct nf_maillog_rec *r)
{
	const char *a = c->p;

	while (c->p < c->end && is_alnum((unsigned char)*c->p))
		c->p++;
	if (c->p - a < 5 || copy_field(r->queue_id, sizeof(r->queue_id), a, c->p))
		return -1;
	if (strcmp(r->queue_id, "NOQUEUE") == 0)
		return -1;
	return take_str(c, ": ");
}

/* "<addr>" with quotes honoured; the content goes to dst. */
static int
take_addr(struct cur *c, char *dst, size_t size)
{
	const char *a;
	int quoted = 0;

	if (take_char(c, '<'))
		return -1;
	a = c->p;
	while (c->p < c->end) {
		char ch = *c->p;

		if (quoted && ch == '\\' && c->end - c->p >= 2) {
			c->p += 2;
			continue;
		}
		if (ch == '"')
			quoted = !quoted;
		else if (ch == '>' && !quoted)
			break;
		c->p++;
	}
	if (c->p >= c->end || copy_field(dst, size, a, c->p))
		return -1;
	c->p++;		/* '>' */
	return 0;
}

/* A plain value runs to ", " or to the end. */
static const char *
value_end(const struct cur *c)
{
	const char *q = c->p;

	while (q < c->end && !(q[0] == ',' && q + 1 < c->end && q[1] == ' '))
		q++;
	return q;
}

static int
valid_dsn(const char *s)
{
	int part = 0, n = 0;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (n == 0 || ++part > 2)
				return 0;
			n = 0;
		} else if (is_digit((unsigned char)*s)) {
			if (++n > 3)
				return 0;
		} else
			return 0;
	}
	return part == 2 && n > 0;
}

static int
status_word(const char *w, enum nf_maillog_status *st)
{
	if (strcmp(w, "sent") == 0)
		*st = NF_MAILLOG_SENT;
	else if (strcmp(w, "deferred") == 0 || strcmp(w, "SOFTBOUNCE") == 0)
		*st = NF_MAILLOG_DEFERRED;
	else if (strcmp(w, "bounced") == 0)
		*st = NF_MAILLOG_BOUNCED;
	else if (strcmp(w, "expired") == 0 || strcmp(w, "force-expired") == 0)
		*st = NF_MAILLOG_EXPIRED;
	else
		return -1;
	return 0;
}

/* Copy the diagnostic [a, b), cut with "..." beyond NF_MAILLOG_DIAG_MAX. */
static void
set_diag(struct nf_maillog_rec *r, const char *a, const char *b, int cut)
{
	size_t n = (size_t)(b - a);

	if (n > NF_MAILLOG_DIAG_MAX) {
		n = NF_MAILLOG_DIAG_MAX - 3;
		memcpy(r->diag, a, n);
		memcpy(r->diag + n, "...", 3);
		n += 3;
		cut = 1;
	} else
		memcpy(r->diag, a, n);
	r->diag[n] = '\0';
	r->diag_cut = cut;
}

/* After "status=WORD": " (diagnostic)", ", returned to sender", or end. */
static int
take_status_tail(struct cur *c, struct nf_maillog_rec *r)
{
	const char *q;
	int depth;

	if (c->p == c->end)
		return 0;
	if (take_str(c, ", returned to sender") == 0)
		return r->status == NF_MAILLOG_EXPIRED && c->p == c->end ? 0 : -1;
	if (take_str(c, " ("))
		return -1;
	if (c->end[-1] == ')' && c->end - 1 >= c->p) {
		set_diag(r, c->p, c->end - 1, 0);
		c->p = c->end;
		return 0;
	}
	for (depth = 1, q = c->p; q < c->end; q++) {
		if (*q == '(')
			depth++;
		else if (*q == ')' && --depth == 0)
			break;
	}
	set_diag(r, c->p, q, q == c->end);
	c->p = c->end;
	return 0;
}

static int
take_fields(struct cur *c, struct nf_maillog_rec *r)
{
	int nfield, have_status = 0, have_from = 0;
	char word[NF_MAILLOG_PROG_MAX];

	for (nfield = 0; nfield < 32 && !have_status; nfield++) {
		const char *k = c->p, *e;
		size_t klen;

		if (nfield > 0 && take_str(c, ", "))
			return -1;
		k = c->p;
		while (c->p < c->end && ((*c->p >= 'a' && *c->p <= 'z') ||
		    *c->p == '_'))
			c->p++;
		klen = (size_t)(c->p - k);
		if (klen == 0 || take_char(c, '='))
			return -1;
#define KEY(s) (klen == sizeof(s) - 1 && memcmp(k, s, klen) == 0)
		if (nfield == 0 && !KEY("to") && !KEY("from"))
			return -1;
		if (KEY("to")) {
			if (nfield != 0 || take_addr(c, r->to, sizeof(r->to)) ||
			    r->to[0] == '\0')
				return -1;
			r->has_rcpt = 1;
		} else if (KEY("from")) {
			if (nfield != 0 ||
			    take_addr(c, r->from, sizeof(r->from)))
				return -1;
			have_from = 1;
		} else if (KEY("orig_to")) {
			if (take_addr(c, r->orig_to, sizeof(r->orig_to)))
				return -1;
		} else if (KEY("status")) {
			e = c->p;
			while (e < c->end && (is_alnum((unsigned char)*e) ||
			    *e == '-'))
				e++;
			if (copy_field(word, sizeof(word), c->p, e) ||
			    status_word(word, &r->status))
				return -1;
			memcpy(r->status_word, word, sizeof(word));
			c->p = e;
			have_status = 1;
		} else {
			e = value_end(c);
			if (KEY("relay")) {
				if (copy_field(r->relay, sizeof(r->relay), c->p, e))
					return -1;
			} else if (KEY("dsn")) {
				if (copy_field(r->dsn, sizeof(r->dsn), c->p, e) ||
				    !valid_dsn(r->dsn))
					return -1;
			}
			/* delay, delays, conn_use, size, nrcpt ...: not needed */
			c->p = e;
		}
#undef KEY
	}
	if (!have_status)
		return -1;
	/* the message-level form is "from=<>, status=expired" and nothing
	 * else; qmgr's "from=<>, size=, nrcpt=" lines have no status */
	if (have_from && (r->status != NF_MAILLOG_EXPIRED || nfield != 2))
		return -1;
	return take_status_tail(c, r);
}

int
nf_maillog_parse(const char *line, size_t len, struct nf_maillog_rec *out)
{
	struct cur c;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > NF_MAILLOG_LINE_MAX || len < 20 || memchr(line, '\0', len))
		return NF_MAILLOG_OTHER;
	memset(out, 0, sizeof(*out));
	c.p = line;
	c.end = line + len;
	if (is_digit((unsigned char)line[0])) {
		if (take_rfc3339(&c, &out->ts))
			return NF_MAILLOG_OTHER;
	} else if (take_classic(&c, &out->ts))
		return NF_MAILLOG_OTHER;
	if (take_char(&c, ' ') || take_host_tag(&c, out) || take_qid(&c, out) ||
	    take_fields(&c, out))
		return NF_MAILLOG_OTHER;
	/* queue managers only speak of deferrals and expiry */
	if (strstr(out->program, "qmgr") != NULL &&
	    out->status != NF_MAILLOG_DEFERRED && out->status != NF_MAILLOG_EXPIRED)
		return NF_MAILLOG_OTHER;
	if (!out->has_rcpt && strstr(out->program, "qmgr") == NULL)
		return NF_MAILLOG_OTHER;
	return NF_MAILLOG_DELIVERY;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (the usual
 * era-of-400-years computation). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

static int
local_time(const struct nf_maillog_ts *ts, int year, int64_t *out)
{
	struct tm tm;
	time_t t;

	if (ts->mday > days_in_month(year, ts->mon))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = ts->mon - 1;
	tm.tm_mday = ts->mday;
	tm.tm_hour = ts->hour;
	tm.tm_min = ts->min;
	tm.tm_sec = ts->sec;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (int64_t)t;
	return 0;
}

int
nf_maillog_time(const struct nf_maillog_ts *ts, int64_t now, int64_t *out)
{
	if (ts->mon < 1 || ts->mon > 12 || ts->mday < 1 || ts->hour < 0 ||
	    ts->hour > 23 || ts->min < 0 || ts->min > 59 || ts->sec < 0 ||
	    ts->sec > 60)
		return -1;
	if (ts->year != 0) {
		if (ts->year < 1970 || ts->year > 9999 ||
		    ts->mday > days_in_month(ts->year, ts->mon))
			return -1;
		*out = days_from_civil(ts->year, ts->mon, ts->mday) * 86400 +
		    ts->hour * 3600 + ts->min * 60 + ts->sec -
		    (ts->has_tz ? (int64_t)ts->tz_min * 60 : 0);
		return 0;
	}
	{
		time_t tn = (time_t)now;
		struct tm lt;
		int64_t t;
		int y, k;

		if (localtime_r(&tn, &lt) == NULL)
			return -1;
		/* this year, unless that is more than a day ahead of now (a
		 * February 29 looks back up to 8 years for a leap year) */
		for (y = lt.tm_year + 1900, k = 0; k < 9; y--, k++) {
			if (local_time(ts, y, &t) == 0 && t <= now + 86400) {
				*out = t;
				return 0;
			}
		}
		return -1;
	}
}

const char *
nf_maillog_status_name(enum nf_maillog_status st)
{
	switch (st) {
	case NF_MAILLOG_SENT: return "sent";
	case NF_MAILLOG_DEFERRED: return "deferred";
	case NF_MAILLOG_BOUNCED: return "bounced";
	case NF_MAILLOG_EXPIRED: return "expired";
	}
	return "unknown";
}
