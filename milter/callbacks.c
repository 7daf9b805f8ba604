/*
 * callbacks.c - the libmilter surface: each callback takes the
 * configuration it needs, calls the real handler (handlers.c) and
 * releases what it took.  Nothing else happens here, so the handlers can
 * be driven by the link-time fake of smfi_* in tests/milter/.
 *
 * RCPT, HEADER, EOM, ABORT and CLOSE use the configuration and key
 * references the message took at MAIL (ctx.c), so a reload never changes
 * the rules or the key in the middle of a message.
 */
#include <stddef.h>

#include "milter.h"

static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct nf_conf *conf = nf_milter_conf_get();
	sfsistat rc;

	(void)f2;
	(void)f3;
	rc = nf_handle_negotiate(ctx, conf, f0, f1, pf0, pf1, pf2, pf3);
	if (conf != NULL)
		nf_conf_unref(conf);
	return rc;
}

static sfsistat
cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct nf_conf *conf = nf_milter_conf_get();
	sfsistat rc;

	rc = nf_handle_connect(ctx, conf, host, sa);
	if (conf != NULL)
		nf_conf_unref(conf);
	return rc;
}

static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct nf_conf *conf;
	struct nf_milter_key *key;
	sfsistat rc;

	nf_milter_state_get(&conf, &key);
	rc = nf_handle_mail(ctx, conf, key, argv);
	if (conf != NULL)
		nf_conf_unref(conf);
	nf_milter_key_unref(key);
	return rc;
}

static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	return nf_handle_rcpt(ctx, argv);
}

static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	return nf_handle_header(ctx, name, value);
}

static sfsistat
cb_eom(SMFICTX *ctx)
{
	return nf_handle_eom(ctx);
}

static sfsistat
cb_abort(SMFICTX *ctx)
{
	return nf_handle_abort(ctx);
}

static sfsistat
cb_close(SMFICTX *ctx)
{
	return nf_handle_close(ctx);
}

struct smfiDesc
nf_milter_desc(void)
{
	struct smfiDesc d = {
		.xxfi_name = "notifilter",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = NF_MILTER_EDITS,
		.xxfi_connect = cb_connect,
		.xxfi_envfrom = cb_envfrom,
		.xxfi_envrcpt = cb_envrcpt,
		.xxfi_header = cb_header,
		.xxfi_eom = cb_eom,
		.xxfi_abort = cb_abort,
		.xxfi_close = cb_close,
		.xxfi_negotiate = cb_negotiate,
	};

	return d;
}
