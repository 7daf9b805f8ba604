/*
 * cmd_import.c - notifilterctl contact import FILE.csv [--dry-run] [--merge]
 *
 * Imports contacts from a CSV file (RFC 4180, read by lib/csv.c: BOM and
 * CRLF handled) all or nothing.  The header row names the columns, in any
 * order and any case: email, phone, name, consent_email, consent_sms,
 * consent_whatsapp, consent_viber; any other name is an error.  Consent
 * cells say yes/no/granted/revoked/1/0/true/false, or are empty (no record).
 *
 * Two phases inside one IMMEDIATE transaction, so nothing we checked can
 * change under us and a failure leaves the store as it was:
 *   1. read and check every row, keeping the good ones in memory (strings in
 *      an arena, a hash set of every email, phone and merge target seen in
 *      the file), and print every problem as "FILE:LINE: reason";
 *   2. only if no row was bad, insert or merge each row and commit.
 * --dry-run stops after phase 1 and writes nothing.  Without --merge a row
 * whose email or phone belongs to an existing contact is bad; with --merge
 * that contact is updated (non-empty cells replace, consent cells set),
 * unless the email and the phone belong to two different contacts.
 * Memory is bounded by the file: about 100 bytes per good row.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "csv.h"
#include "ctl.h"
#include "ctl_erase.h"
#include "phone.h"

#define IMP_MAX_FIELD 4096	/* bytes in one cell */
#define IMP_MAX_FIELDS 64	/* cells in one row */
#define IMP_PROGRESS 10000	/* rows between progress updates */

enum imp_col {
	COL_EMAIL = 0, COL_PHONE, COL_NAME,
	COL_CONSENT,		/* + enum nf_channel */
	NCOLS = COL_CONSENT + NF_CH_COUNT
};

static const char *const colnames[NCOLS] = {
	"email", "phone", "name",
	"consent_email", "consent_sms", "consent_whatsapp", "consent_viber"
};
#define COLNAMES_TEXT "email, phone, name, consent_email, consent_sms, " \
	"consent_whatsapp, consent_viber"

/* ---- an arena for the strings of good rows ------------------------------ */

struct ablock {
	struct ablock *next;
	size_t used, cap;
	char data[];
};

struct arena {
	struct ablock *head;
};

static char *
arena_dup(struct arena *a, const char *s, size_t n)
{
	struct ablock *b = a->head;
	char *p;

	if (b == NULL || b->cap - b->used < n + 1) {
		size_t cap = n + 1 > 65536 ? n + 1 : 65536;

		if ((b = malloc(sizeof *b + cap)) == NULL)
			return NULL;
		b->next = a->head;
		b->used = 0;
		b->cap = cap;
		a->head = b;
	}
	p = b->data + b->used;
	memcpy(p, s, n);
	p[n] = '\0';
	b->used += n + 1;
	return p;
}

static void
arena_free(struct arena *a)
{
	struct ablock *b, *next;

	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
}

/* ---- a hash set: key -> line of the file where it was first seen --------- */

struct hent {
	const char *key;	/* in the arena; NULL = empty slot */
	long line;
};

struct hset {
	struct hent *tab;
	size_t cap, n;		/* cap is a power of two */
};

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

static int
hset_grow(struct hset *h)
{
	struct hent *old = h->tab, *nt;
	size_t oldcap = h->cap, cap = oldcap ? oldcap * 2 : 1024, i, j;

	if ((nt = calloc(cap, sizeof *nt)) == NULL)
		return -1;
	for (i = 0; i < oldcap; i++) {
		if (old[i].key == NULL)
			continue;
		for (j = hash_str(old[i].key) & (cap - 1); nt[j].key;
		    j = (j + 1) & (cap - 1))
			;
		nt[j] = old[i];
	}
	free(old);
	h->tab = nt;
	h->cap = cap;
	return 0;
}

/* Look key up; if absent insert (copying it into the arena) with `line`.
 * Returns 1 and *prev when present, 0 when inserted, -1 out of memory. */
static int
hset_put(struct hset *h, struct arena *a, const char *key, long line,
    long *prev)
{
	size_t j;

	if ((h->n + 1) * 2 > h->cap && hset_grow(h) == -1)
		return -1;
	for (j = hash_str(key) & (h->cap - 1); h->tab[j].key;
	    j = (j + 1) & (h->cap - 1))
		if (strcmp(h->tab[j].key, key) == 0) {
			*prev = h->tab[j].line;
			return 1;
		}
	if ((h->tab[j].key = arena_dup(a, key, strlen(key))) == NULL)
		return -1;
	h->tab[j].line = line;
	h->n++;
	return 0;
}

/* ---- the import --------------------------------------------------------- */

struct imp_row {
	long line;
	const char *email;	/* normalised; NULL when absent or empty */
	const char *phone;	/* E.164; NULL when absent or empty */
	const char *name;	/* NULL when absent or empty */
	unsigned char consent[NF_CH_COUNT];	/* enum nf_consent */
	unsigned char merge;	/* 0 add, 1 merge by email, 2 merge by phone */
};

struct imp {
	struct nf_ctl *ctl;
	struct nf_store *store;
	const char *file;	/* as named on the command line */
	const char *base;	/* its last component, for consent sources */
	const char *country;	/* DefaultCountry or NULL */
	int merge, dry_run, lookups, progress, progress_shown;
	int col[NCOLS];		/* column index of each field, -1 = absent */
	size_t ncols;		/* fields in the header */
	struct arena arena;
	struct hset seen;
	struct imp_row *rows;
	size_t nrows, caprows;
	long bad, total, warnings;
	struct nf_contact *tmp;	/* lookups; too big for the stack */
};

static void
imp_clear_progress(struct imp *im)
{
	if (im->progress_shown) {
		fprintf(stderr, "\r%-70s\r", "");
		im->progress_shown = 0;
	}
}

static void __attribute__((format(printf, 3, 4)))
imp_diag(struct imp *im, long line, const char *fmt, ...)
{
	va_list ap;

	imp_clear_progress(im);
	if (line > 0)
		fprintf(stderr, "%s:%ld: ", im->file, line);
	else
		fprintf(stderr, "%s: ", im->file);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
imp_progress(struct imp *im, const char *what, long n)
{
	if (!im->progress)
		return;
	fprintf(stderr, "\r%s: %s %ld rows", im->file, what, n);
	im->progress_shown = 1;
}

/* Copy a cell without surrounding blanks; spreadsheets add them. */
static void
trim_cell(const char *in, char *out, size_t outlen)
{
	size_t n;

	while (*in == ' ' || *in == '\t')
		in++;
	n = strlen(in);
	while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\t'))
		n--;
	if (n >= outlen)	/* csv.c caps cells at IMP_MAX_FIELD already */
		n = outlen - 1;
	memcpy(out, in, n);
	out[n] = '\0';
}

static int
parse_consent(const char *v, enum nf_consent *out)
{
	static const char *const yes[] = { "yes", "granted", "1", "true" };
	static const char *const no[] = { "no", "revoked", "0", "false" };
	size_t i;

	if (v[0] == '\0') {
		*out = NF_CONSENT_NONE;
		return 0;
	}
	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = NF_CONSENT_GRANTED;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = NF_CONSENT_REVOKED;
			return 0;
		}
	}
	return -1;
}

/* Returns NF_EX_OK or NF_EX_DATAERR (message printed). */
static int
read_header(struct imp *im, char **fields, size_t n, long line)
{
	char cell[IMP_MAX_FIELD + 1];
	size_t i, k;
	int bad = 0;

	for (k = 0; k < NCOLS; k++)
		im->col[k] = -1;
	for (i = 0; i < n; i++) {
		trim_cell(fields[i], cell, sizeof cell);
		for (k = 0; k < NCOLS; k++)
			if (strcasecmp(cell, colnames[k]) == 0)
				break;
		if (k == NCOLS) {
			imp_diag(im, line, "unknown column \"%s\" (known columns: "
			    COLNAMES_TEXT ")", cell);
			bad = 1;
		} else if (im->col[k] != -1) {
			imp_diag(im, line, "column \"%s\" appears twice",
			    colnames[k]);
			bad = 1;
		} else
			im->col[k] = (int)i;
	}
	if (im->col[COL_EMAIL] == -1 && im->col[COL_PHONE] == -1) {
		imp_diag(im, line, "the header needs an email or a phone column "
		    "(known columns: " COLNAMES_TEXT ")");
		bad = 1;
	}
	im->ncols = n;
	return bad ? NF_EX_DATAERR : NF_EX_OK;
}

/* Look a key up in the store: 1 found (*id set), 0 not, -1 store failure
 * (exit code in *rc). */
static int
find_existing(struct imp *im, const char *key, int64_t *id, int *rc)
{
	int r;

	if (!im->lookups)
		return 0;
	r = nf_store_contact_find(im->store, key, im->tmp);
	if (r == NF_STORE_OK) {
		*id = im->tmp->id;
		return 1;
	}
	if (r == NF_STORE_NOTFOUND)
		return 0;
	*rc = nf_ctl_store_fail(im->ctl, r, "looking up existing contacts");
	return -1;
}

/* Record key in the set; on a duplicate, report it.  1 dup, 0 new, -1 nomem. */
static int
seen_key(struct imp *im, const char *what, const char *key, long line)
{
	long prev = 0;
	int r = hset_put(&im->seen, &im->arena, key, line, &prev);

	if (r == 1)
		imp_diag(im, line, "duplicate: %s %s is already on line %ld of "
		    "this file", what, key, prev);
	return r;
}

/*
 * Check one data row.  Prints every problem; returns NF_EX_OK when the row
 * was checked (good or bad: im->bad counts bad ones), or an exit code when
 * the import must stop (out of memory, store failure).
 */
static int
check_row(struct imp *im, char **fields, size_t n, long line)
{
	char cell[IMP_MAX_FIELD + 1];
	char email[NF_STORE_EMAIL_MAX], phone[NF_STORE_PHONE_MAX];
	char idkey[32], prefix[1024], owner[NF_STORE_EMAIL_MAX];
	struct imp_row row;
	const char *why;
	int64_t eid = 0, pid = 0, target;
	int bad = 0, r, rc = NF_EX_OK, has_e, has_p, k;
	long prev;

	memset(&row, 0, sizeof row);
	row.line = line;
	if (n != im->ncols) {
		imp_diag(im, line, "%zu field%s, but the header has %zu (%s "
		    "columns; a comma inside a cell needs \"quotes\")", n,
		    n == 1 ? "" : "s", im->ncols, n < im->ncols ? "missing" :
		    "extra");
		im->bad++;
		return NF_EX_OK;
	}
	email[0] = phone[0] = '\0';

	if (im->col[COL_EMAIL] >= 0) {
		trim_cell(fields[im->col[COL_EMAIL]], cell, sizeof cell);
		if (cell[0] && nf_addr_normalize(cell, email, sizeof email,
		    &why) != 0) {
			imp_diag(im, line, "bad email \"%s\": %s", cell,
			    why ? why : "bad syntax");
			email[0] = '\0';
			bad = 1;
		} else if (cell[0] && nf_addr_typo_hint(email, prefix,
		    sizeof prefix) == 1) {
			/* rare: worth asking twice to keep the progress line */
			snprintf(prefix, sizeof prefix, "%.990s:%ld: ", im->file,
			    line);
			imp_clear_progress(im);
			im->warnings += nf_ctl_typo_warn(prefix, email);
		} else if (!cell[0])
			email[0] = '\0';
	}
	if (im->col[COL_PHONE] >= 0) {
		trim_cell(fields[im->col[COL_PHONE]], cell, sizeof cell);
		if (cell[0] && nf_phone_normalize(cell, im->country, phone,
		    sizeof phone, &why) != 0) {
			imp_diag(im, line, "bad phone \"%s\": %s", cell,
			    why ? why : "bad syntax");
			phone[0] = '\0';
			bad = 1;
		} else if (!cell[0])
			phone[0] = '\0';
	}
	if (im->col[COL_NAME] >= 0) {
		trim_cell(fields[im->col[COL_NAME]], cell, sizeof cell);
		if (!nf_ctl_text_ok(cell, NF_STORE_NAME_MAX, &why)) {
			imp_diag(im, line, "the name %s (at most %d bytes)", why,
			    NF_STORE_NAME_MAX - 1);
			bad = 1;
		} else if (cell[0] && (row.name = arena_dup(&im->arena, cell,
		    strlen(cell))) == NULL)
			return NF_EX_SOFTWARE;
	}
	for (k = 0; k < NF_CH_COUNT; k++) {
		enum nf_consent st = NF_CONSENT_NONE;

		if (im->col[COL_CONSENT + k] < 0)
			continue;
		trim_cell(fields[im->col[COL_CONSENT + k]], cell, sizeof cell);
		if (parse_consent(cell, &st) != 0) {
			imp_diag(im, line, "bad %s value \"%s\" (use yes, no, "
			    "granted, revoked, 1, 0, true, false, or leave it "
			    "empty)", colnames[COL_CONSENT + k], cell);
			bad = 1;
		}
		row.consent[k] = (unsigned char)st;
	}

	has_e = email[0] != '\0';
	has_p = phone[0] != '\0';
	if (!has_e && !has_p && !bad) {
		imp_diag(im, line, "neither an email nor a phone");
		bad = 1;
	}
	/* duplicates within the file, also for rows that are bad otherwise */
	if (has_e && (r = seen_key(im, "email", email, line)) != 0) {
		if (r < 0)
			return NF_EX_SOFTWARE;
		bad = 1;
	}
	if (has_p && (r = seen_key(im, "phone", phone, line)) != 0) {
		if (r < 0)
			return NF_EX_SOFTWARE;
		bad = 1;
	}

	/* existing contacts */
	if (has_e && (r = find_existing(im, email, &eid, &rc)) < 0)
		return rc;
	if (has_p && (r = find_existing(im, phone, &pid, &rc)) < 0)
		return rc;
	if (pid)	/* to name the owner of the phone */
		snprintf(owner, sizeof owner, "%s", im->tmp->email[0] ?
		    im->tmp->email : im->tmp->phone);
	if (!im->merge) {
		if (eid) {
			imp_diag(im, line, "email %s belongs to an existing "
			    "contact (use --merge to update it)", email);
			bad = 1;
		}
		if (pid) {
			imp_diag(im, line, "phone %s belongs to the existing "
			    "contact %s (use --merge to update it)", phone, owner);
			bad = 1;
		}
	} else if (eid && pid && eid != pid) {
		imp_diag(im, line, "email %s and phone %s belong to two different "
		    "contacts (the phone to %s); cannot merge two contacts "
		    "(remove one first)", email, phone, owner);
		bad = 1;
	} else if ((target = eid ? eid : pid) != 0) {
		row.merge = eid ? 1 : 2;
		snprintf(idkey, sizeof idkey, "#%lld", (long long)target);
		prev = 0;
		r = hset_put(&im->seen, &im->arena, idkey, line, &prev);
		if (r < 0)
			return NF_EX_SOFTWARE;
		if (r == 1) {
			imp_diag(im, line, "merges into the same existing contact "
			    "as line %ld", prev);
			bad = 1;
		}
	}

	if (bad) {
		im->bad++;
		return NF_EX_OK;
	}
	if ((has_e && (row.email = arena_dup(&im->arena, email,
	    strlen(email))) == NULL) ||
	    (has_p && (row.phone = arena_dup(&im->arena, phone,
	    strlen(phone))) == NULL))
		return NF_EX_SOFTWARE;
	if (im->dry_run && row.merge) {
		imp_clear_progress(im);
		printf("%s:%ld: would merge into the existing contact with "
		    "%s %s\n", im->file, line, row.merge == 1 ? "email" : "phone",
		    row.merge == 1 ? email : phone);
	}
	if (im->nrows == im->caprows) {
		size_t cap = im->caprows ? im->caprows * 2 : 1024;
		struct imp_row *nr = realloc(im->rows, cap * sizeof *nr);

		if (nr == NULL)
			return NF_EX_SOFTWARE;
		im->rows = nr;
		im->caprows = cap;
	}
	im->rows[im->nrows++] = row;
	return NF_EX_OK;
}

/* Phase 1.  Returns NF_EX_OK when the whole file was read (im->bad says
 * whether it is good). */
static int
check_file(struct imp *im, FILE *fp)
{
	struct nf_csv *csv;
	char **fields;
	size_t n;
	long line = 0;
	int r, rc = NF_EX_OK, have_header = 0;

	if ((csv = nf_csv_new(fp, IMP_MAX_FIELD, IMP_MAX_FIELDS)) == NULL)
		return NF_EX_SOFTWARE;
	while ((r = nf_csv_next(csv, &fields, &n, &line)) != 0) {
		if (r < 0) {
			const char *e = nf_csv_error(csv);

			imp_diag(im, line, "%s", e ? e : "unreadable CSV record");
			if (!have_header) {
				rc = NF_EX_DATAERR;
				break;
			}
			im->bad++;
			im->total++;
			continue;
		}
		if (!have_header) {
			have_header = 1;
			if ((rc = read_header(im, fields, n, line)) != NF_EX_OK)
				break;
			continue;
		}
		/* a blank line is not a row */
		if (n == 1 && fields[0][0] == '\0')
			continue;
		im->total++;
		if ((rc = check_row(im, fields, n, line)) != NF_EX_OK)
			break;
		if (im->total % IMP_PROGRESS == 0)
			imp_progress(im, "checked", im->total);
	}
	if (rc == NF_EX_OK && ferror(fp)) {
		imp_diag(im, 0, "read error: %s", strerror(errno));
		rc = NF_EX_IOERR;
	}
	if (rc == NF_EX_OK && !have_header) {
		imp_diag(im, 0, "the file is empty; the first line must be a "
		    "header naming the columns (" COLNAMES_TEXT ")");
		rc = NF_EX_DATAERR;
	}
	if (rc == NF_EX_SOFTWARE)
		imp_diag(im, line, "out of memory");
	nf_csv_free(csv);
	return rc;
}

static void
set_consent(struct nf_contact *c, const struct imp_row *row,
    const char *source, int64_t now)
{
	int k;

	for (k = 0; k < NF_CH_COUNT; k++) {
		if (row->consent[k] == NF_CONSENT_NONE)
			continue;
		c->consent[k].state = (enum nf_consent)row->consent[k];
		snprintf(c->consent[k].source, sizeof c->consent[k].source, "%s",
		    source);
		c->consent[k].time = now;
	}
}

/* Phase 2: write every row.  Returns NF_EX_OK or an exit code (printed). */
static int
write_rows(struct imp *im, long *added, long *merged)
{
	struct nf_contact *c = im->tmp;
	char source[NF_STORE_TEXT_MAX];
	int64_t now = (int64_t)time(NULL);
	size_t i;
	int r;

	for (i = 0; i < im->nrows; i++) {
		const struct imp_row *row = &im->rows[i];

		/* base is at most a file name (255 bytes), the source 511 */
		snprintf(source, sizeof source, "import:%.255s:%ld", im->base,
		    row->line);
		if (row->merge) {
			r = nf_store_contact_find(im->store, row->merge == 1 ?
			    row->email : row->phone, c);
			if (r == NF_STORE_OK) {
				if (row->email)
					snprintf(c->email, sizeof c->email, "%s",
					    row->email);
				if (row->phone)
					snprintf(c->phone, sizeof c->phone, "%s",
					    row->phone);
				if (row->name)
					snprintf(c->name, sizeof c->name, "%s",
					    row->name);
				set_consent(c, row, source, now);
				r = nf_store_contact_update(im->store, c);
			}
			(*merged)++;
		} else {
			memset(c, 0, sizeof *c);
			if (row->email)
				snprintf(c->email, sizeof c->email, "%s",
				    row->email);
			if (row->phone)
				snprintf(c->phone, sizeof c->phone, "%s",
				    row->phone);
			if (row->name)
				snprintf(c->name, sizeof c->name, "%s", row->name);
			set_consent(c, row, source, now);
			r = nf_store_contact_add(im->store, c);
			(*added)++;
		}
		if (r != NF_STORE_OK) {
			char what[96];

			imp_clear_progress(im);
			snprintf(what, sizeof what, "%.60s:%ld: writing the "
			    "contact", im->file, row->line);
			return nf_ctl_store_fail(im->ctl, r, what);
		}
		if ((i + 1) % IMP_PROGRESS == 0)
			imp_progress(im, "imported", (long)(i + 1));
	}
	return NF_EX_OK;
}

int
nf_cmd_contact_import(struct nf_ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "merge", no_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	struct nf_conf *conf;
	struct imp im;
	FILE *fp;
	long added = 0, merged = 0;
	int64_t count = 0;
	int ch, rc, r, in_tx = 0;

	memset(&im, 0, sizeof im);
	im.ctl = ctl;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (ch == 'n')
			im.dry_run = 1;
		else if (ch == 'm')
			im.merge = 1;
		else
			return nf_ctl_badopt(ctl, ch, argv, optind);
	}
	if (argc - optind != 1)
		return nf_ctl_usage(ctl, "give exactly one FILE.csv (- for "
		    "standard input)");
	im.file = argv[optind];
	if (strcmp(im.file, "-") == 0) {
		fp = stdin;
		im.file = "(stdin)";
	} else if ((fp = fopen(im.file, "r")) == NULL) {
		fprintf(stderr, "notifilterctl: cannot open %s: %s\n", im.file,
		    strerror(errno));
		return NF_EX_NOINPUT;
	}
	im.base = strrchr(im.file, '/') ? strrchr(im.file, '/') + 1 : im.file;
	im.progress = isatty(2);

	if ((rc = nf_ctl_conf(ctl, &conf)) != NF_EX_OK)
		goto out;
	im.country = conf->default_country;
	if ((rc = nf_ctl_store(ctl, &im.store)) != NF_EX_OK)
		goto out;
	/* an erased address imported again gets its suppression or
	 * revocation back in clear, as with contact add: the store needs the
	 * erasure key for that (a SecretFile that cannot be read is said,
	 * and the import goes on) */
	{
		int have = 0;

		(void)nf_ctl_erase_key(ctl, &have);
	}
	if ((im.tmp = malloc(sizeof *im.tmp)) == NULL) {
		rc = NF_EX_SOFTWARE;
		goto out;
	}
	/* Check and write under one write lock: what phase 1 saw is what
	 * phase 2 changes.  A dry run takes no lock and writes nothing. */
	if (!im.dry_run) {
		if ((r = nf_store_begin(im.store)) != NF_STORE_OK) {
			rc = nf_ctl_store_fail(ctl, r, "starting the import");
			goto out;
		}
		in_tx = 1;
	}
	if ((r = nf_store_contact_count(im.store, &count)) != NF_STORE_OK) {
		rc = nf_ctl_store_fail(ctl, r, "counting contacts");
		goto out;
	}
	im.lookups = count > 0;	/* an empty store has nothing to collide with */

	rc = check_file(&im, fp);
	imp_clear_progress(&im);
	if (rc != NF_EX_OK || im.bad > 0) {
		if (rc == NF_EX_OK) {
			imp_diag(&im, 0, "%ld bad row%s of %ld; nothing imported",
			    im.bad, im.bad == 1 ? "" : "s", im.total);
			rc = NF_EX_DATAERR;
		} else
			imp_diag(&im, 0, "nothing imported");
		goto out;
	}
	if (im.dry_run) {
		for (size_t i = 0; i < im.nrows; i++) {
			if (im.rows[i].merge)
				merged++;
			else
				added++;
		}
		printf("dry run: %s: would import %ld contact%s (%ld added, %ld "
		    "merged); nothing was written\n", im.file, added + merged,
		    added + merged == 1 ? "" : "s", added, merged);
		goto out;
	}
	if ((rc = write_rows(&im, &added, &merged)) != NF_EX_OK) {
		imp_clear_progress(&im);
		imp_diag(&im, 0, "nothing imported");
		goto out;
	}
	imp_clear_progress(&im);
	if ((r = nf_store_commit(im.store)) != NF_STORE_OK) {
		rc = nf_ctl_store_fail(ctl, r, "committing the import");
		imp_diag(&im, 0, "nothing imported");
		goto out;
	}
	in_tx = 0;
	printf("imported %ld contact%s (%ld added, %ld merged)\n",
	    added + merged, added + merged == 1 ? "" : "s", added, merged);
out:
	imp_clear_progress(&im);
	if (rc == NF_EX_OK && im.warnings > 0)
		imp_diag(&im, 0, "%ld address%s may be mistyped (warnings above)",
		    im.warnings, im.warnings == 1 ? "" : "es");
	if (in_tx)
		nf_store_rollback(im.store);
	if (fp != stdin)
		fclose(fp);
	free(im.tmp);
	free(im.rows);
	free(im.seen.tab);
	arena_free(&im.arena);
	return rc;
}
