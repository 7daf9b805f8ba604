/*
 * fake_smfi.c - link-time fake of libmilter's smfi_* context calls and of
 * milter/storeio.c, for t_callbacks (see fake_smfi.h).
 *
 * Every call is recorded in the SMFICTX so a test can say exactly what
 * the milter asked the MTA to do (each edit with its arguments, and their
 * order).  The fake store answers from a table, can fail on demand, and
 * keeps copies of every event and message record written.  Test code
 * only: out of memory aborts.
 */
#include "fake_smfi.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "milter.h"

static char *
xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (d == NULL)
		abort();
	return d;
}

SMFICTX *
fake_ctx_new(void)
{
	SMFICTX *c = calloc(1, sizeof(*c));

	if (c == NULL)
		abort();
	return c;
}

static char *
xstrdup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
op(SMFICTX *ctx, char c)
{
	if (ctx->nops == FAKE_MAX_CALLS)
		abort();
	ctx->ops[ctx->nops++] = c;
	ctx->ops[ctx->nops] = '\0';
}

void
fake_calls_clear(SMFICTX *ctx)
{
	int i;

	for (i = 0; i < ctx->ndel; i++)
		free(ctx->del[i]);
	for (i = 0; i < ctx->naddhdr; i++) {
		free(ctx->addhdr[i].name);
		free(ctx->addhdr[i].value);
	}
	for (i = 0; i < ctx->nchghdr; i++) {
		free(ctx->chghdr[i].name);
		free(ctx->chghdr[i].value);
	}
	for (i = 0; i < ctx->naddpar; i++) {
		free(ctx->addpar[i].rcpt);
		free(ctx->addpar[i].args);
	}
	free(ctx->chgfrom);
	free(ctx->chgfrom_args);
	ctx->chgfrom = ctx->chgfrom_args = NULL;
	ctx->naddhdr = ctx->nchghdr = ctx->naddpar = ctx->nchgfrom = 0;
	ctx->nops = 0;
	ctx->ops[0] = '\0';
	ctx->ndel = 0;
	ctx->nsetreply = 0;
	ctx->rcode[0] = ctx->xcode[0] = ctx->text[0] = '\0';
	ctx->nmodify = 0;
}

void
fake_ctx_free(SMFICTX *ctx)
{
	fake_calls_clear(ctx);
	free(ctx);
}

void
fake_macro(SMFICTX *ctx, const char *name, const char *value)
{
	int i;

	for (i = 0; i < ctx->nmacro; i++)
		if (strcmp(ctx->macro[i].name, name) == 0)
			break;
	if (i == FAKE_MAX_MACROS)
		abort();
	if (i == ctx->nmacro)
		ctx->nmacro++;
	snprintf(ctx->macro[i].name, sizeof(ctx->macro[i].name), "%s", name);
	snprintf(ctx->macro[i].value, sizeof(ctx->macro[i].value), "%s", value);
}

void
fake_macros_clear(SMFICTX *ctx)
{
	ctx->nmacro = 0;
}

void
fake_macro_del(SMFICTX *ctx, const char *name)
{
	int i;

	for (i = 0; i < ctx->nmacro; i++)
		if (strcmp(ctx->macro[i].name, name) == 0) {
			ctx->macro[i] = ctx->macro[--ctx->nmacro];
			return;
		}
}

/* ---- libmilter ---- */

void *
smfi_getpriv(SMFICTX *ctx)
{
	return ctx->priv;
}

int
smfi_setpriv(SMFICTX *ctx, void *p)
{
	ctx->priv = p;
	return MI_SUCCESS;
}

char *
smfi_getsymval(SMFICTX *ctx, char *name)
{
	int i;

	/* libmilter accepts "i" and "{i}" alike */
	for (i = 0; i < ctx->nmacro; i++) {
		const char *n = ctx->macro[i].name;

		if (strcmp(n, name) == 0)
			return ctx->macro[i].value;
		if (name[0] != '{' && n[0] == '{' &&
		    strncmp(n + 1, name, strlen(name)) == 0 &&
		    n[strlen(name) + 1] == '}' && n[strlen(name) + 2] == '\0')
			return ctx->macro[i].value;
	}
	return NULL;
}

int
smfi_setreply(SMFICTX *ctx, char *rcode, char *xcode, char *text)
{
	ctx->nsetreply++;
	snprintf(ctx->rcode, sizeof(ctx->rcode), "%s", rcode ? rcode : "");
	snprintf(ctx->xcode, sizeof(ctx->xcode), "%s", xcode ? xcode : "");
	snprintf(ctx->text, sizeof(ctx->text), "%s", text ? text : "");
	return MI_SUCCESS;
}

int
smfi_delrcpt(SMFICTX *ctx, char *rcpt)
{
	if (ctx->delrcpt_fail || ctx->fail_op == '-')
		return MI_FAILURE;
	if (ctx->ndel == FAKE_MAX_CALLS)
		abort();
	op(ctx, '-');
	ctx->del[ctx->ndel++] = xstrdup(rcpt);
	return MI_SUCCESS;
}

int
smfi_setsymlist(SMFICTX *ctx, int stage, char *macros)
{
	if (stage >= 0 && stage < 8) {
		snprintf(ctx->symlist[stage], sizeof(ctx->symlist[stage]), "%s",
		    macros);
		ctx->nsymlist++;
	}
	return MI_SUCCESS;
}

int
smfi_addheader(SMFICTX *ctx, char *h, char *v)
{
	if (ctx->fail_op == 'h')
		return MI_FAILURE;
	if (ctx->naddhdr == 64)
		abort();
	op(ctx, 'h');
	ctx->addhdr[ctx->naddhdr].name = xstrdup(h);
	ctx->addhdr[ctx->naddhdr].value = xstrdup(v);
	ctx->naddhdr++;
	ctx->nmodify++;
	return MI_SUCCESS;
}

int
smfi_chgheader(SMFICTX *ctx, char *h, int i, char *v)
{
	if (ctx->fail_op == 'm')
		return MI_FAILURE;
	if (ctx->nchghdr == FAKE_MAX_CALLS)
		abort();
	op(ctx, 'm');
	ctx->chghdr[ctx->nchghdr].name = xstrdup(h);
	ctx->chghdr[ctx->nchghdr].value = xstrdup_or_null(v);
	ctx->chghdr[ctx->nchghdr].idx = i;
	ctx->nchghdr++;
	ctx->nmodify++;
	return MI_SUCCESS;
}

int
smfi_chgfrom(SMFICTX *ctx, char *f, char *a)
{
	if (ctx->fail_op == 'e')
		return MI_FAILURE;
	op(ctx, 'e');
	free(ctx->chgfrom);
	free(ctx->chgfrom_args);
	ctx->chgfrom = xstrdup(f);
	ctx->chgfrom_args = xstrdup_or_null(a);
	ctx->nchgfrom++;
	ctx->nmodify++;
	return MI_SUCCESS;
}

int
smfi_addrcpt(SMFICTX *ctx, char *r)
{
	(void)r;
	op(ctx, '+');
	ctx->nmodify++;
	return MI_SUCCESS;
}

int
smfi_addrcpt_par(SMFICTX *ctx, char *r, char *a)
{
	if (ctx->fail_op == '2')
		return MI_FAILURE;
	if (ctx->naddpar == FAKE_MAX_CALLS)
		abort();
	op(ctx, '2');
	ctx->addpar[ctx->naddpar].rcpt = xstrdup(r);
	ctx->addpar[ctx->naddpar].args = xstrdup_or_null(a);
	ctx->naddpar++;
	ctx->nmodify++;
	return MI_SUCCESS;
}

/* ---- the store door ---- */

static pthread_mutex_t fs_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct fake_addr *fs_tab;
static size_t fs_ntab;
static int fs_lookup_rc = NF_STORE_OK;
static int fs_events_fail;
static unsigned long fs_lookups;
static struct fake_event *fs_ev;
static size_t fs_nev, fs_capev;

void
fake_store_set(const struct fake_addr *tab, size_t n)
{
	fs_tab = tab;
	fs_ntab = n;
}

void
fake_store_lookup_rc(int rc)
{
	fs_lookup_rc = rc;
}

void
fake_store_events_fail(int n)
{
	pthread_mutex_lock(&fs_lock);
	fs_events_fail = n;
	pthread_mutex_unlock(&fs_lock);
}

unsigned long
fake_store_lookups(void)
{
	return fs_lookups;
}

int
nf_milter_store_open(const char *path, int busy_ms, size_t max_handles,
    char *err, size_t errlen)
{
	(void)path; (void)busy_ms; (void)max_handles; (void)err; (void)errlen;
	return NF_STORE_OK;
}

void
nf_milter_store_close(void)
{
}

int
nf_milter_store_lookup(const char *email, struct nf_email_state *out)
{
	size_t i;

	fs_lookups++;
	memset(out, 0, sizeof(*out));
	if (fs_lookup_rc != NF_STORE_OK)
		return fs_lookup_rc;
	for (i = 0; i < fs_ntab; i++)
		if (strcmp(fs_tab[i].email, email) == 0) {
			out->has_contact = fs_tab[i].consent != NF_CONSENT_NONE;
			out->email_consent = fs_tab[i].consent;
			out->suppressed = fs_tab[i].suppressed;
			snprintf(out->suppress_reason,
			    sizeof(out->suppress_reason), "%s",
			    fs_tab[i].reason ? fs_tab[i].reason : "");
			break;
		}
	return NF_STORE_OK;
}

static struct fake_message *fs_msg;
static size_t fs_nmsg, fs_capmsg;

static void
keep_message(const struct nf_message_in *m, const struct nf_recipient_in *r,
    size_t nr)
{
	struct fake_message *f;
	size_t i;

	if (fs_nmsg == fs_capmsg) {
		fs_capmsg = fs_capmsg ? fs_capmsg * 2 : 16;
		fs_msg = realloc(fs_msg, fs_capmsg * sizeof(*fs_msg));
		if (fs_msg == NULL)
			abort();
	}
	f = &fs_msg[fs_nmsg++];
	f->token = xstrdup_or_null(m->token);
	f->queue_id = xstrdup_or_null(m->queue_id);
	f->sender = xstrdup_or_null(m->sender);
	f->verp = xstrdup_or_null(m->verp);
	f->header_from = xstrdup_or_null(m->header_from);
	f->subject = xstrdup_or_null(m->subject);
	f->message_id = xstrdup_or_null(m->message_id);
	f->category = xstrdup_or_null(m->category);
	f->fallback_text = xstrdup_or_null(m->fallback_text);
	f->phone_hint = xstrdup_or_null(m->phone_hint);
	f->phone_hint_valid = m->phone_hint_valid;
	f->applied = m->applied;
	f->time = m->time;
	f->nrcpt = nr;
	f->rcpt = calloc(nr ? nr : 1, sizeof(*f->rcpt));
	if (f->rcpt == NULL)
		abort();
	for (i = 0; i < nr; i++) {
		f->rcpt[i].address = xstrdup_or_null(r[i].address);
		f->rcpt[i].verdict = xstrdup_or_null(r[i].verdict);
		f->rcpt[i].rule = xstrdup_or_null(r[i].rule);
		f->rcpt[i].reason = xstrdup_or_null(r[i].reason);
		f->rcpt[i].dsn_requested = r[i].dsn_requested;
	}
}

static void
keep_event(const struct nf_event *ev)
{
	struct fake_event *e;

	if (fs_nev == fs_capev) {
		fs_capev = fs_capev ? fs_capev * 2 : 64;
		fs_ev = realloc(fs_ev, fs_capev * sizeof(*fs_ev));
		if (fs_ev == NULL)
			abort();
	}
	e = &fs_ev[fs_nev++];
	if (strcmp(ev->kind, "decision") != 0)
		abort();
	e->time = ev->time;
	e->qid = xstrdup_or_null(ev->queue_id);
	e->token = xstrdup_or_null(ev->token);
	e->addr = xstrdup(ev->address);
	e->rule = xstrdup(ev->rule);
	e->detail = xstrdup(ev->detail);
}

int
nf_milter_store_items(struct nf_witem *const *it, size_t n, size_t *dup)
{
	size_t i, j;

	*dup = 0;
	pthread_mutex_lock(&fs_lock);
	if (fs_events_fail != 0) {
		if (fs_events_fail > 0)
			fs_events_fail--;
		pthread_mutex_unlock(&fs_lock);
		return NF_STORE_BUSY;
	}
	for (i = 0; i < n; i++) {
		if (it[i]->msg != NULL)
			keep_message(it[i]->msg, it[i]->rcpt, it[i]->nrcpt);
		for (j = 0; j < it[i]->nev; j++)
			keep_event(&it[i]->ev[j]);
	}
	pthread_mutex_unlock(&fs_lock);
	return NF_STORE_OK;
}

const struct fake_message *
fake_store_messages(size_t *n)
{
	*n = fs_nmsg;
	return fs_msg;
}

const struct fake_event *
fake_store_events(size_t *n)
{
	*n = fs_nev;
	return fs_ev;
}

void
fake_store_events_clear(void)
{
	size_t i;

	pthread_mutex_lock(&fs_lock);
	for (i = 0; i < fs_nmsg; i++) {
		struct fake_message *f = &fs_msg[i];
		size_t j;

		free(f->token); free(f->queue_id); free(f->sender);
		free(f->verp); free(f->header_from); free(f->subject);
		free(f->message_id); free(f->category);
		free(f->fallback_text); free(f->phone_hint);
		for (j = 0; j < f->nrcpt; j++) {
			free(f->rcpt[j].address); free(f->rcpt[j].verdict);
			free(f->rcpt[j].rule); free(f->rcpt[j].reason);
		}
		free(f->rcpt);
	}
	free(fs_msg);
	fs_msg = NULL;
	fs_nmsg = fs_capmsg = 0;
	for (i = 0; i < fs_nev; i++) {
		free(fs_ev[i].token);
		free(fs_ev[i].qid);
		free(fs_ev[i].addr);
		free(fs_ev[i].rule);
		free(fs_ev[i].detail);
	}
	free(fs_ev);
	fs_ev = NULL;
	fs_nev = fs_capev = 0;
	pthread_mutex_unlock(&fs_lock);
}
