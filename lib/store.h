/*
 * store.h - the only interface to notifilter's persistent state.
 *
 * Nothing outside store_*.c speaks SQL.  The embedded backend is SQLite
 * (store_sqlite.c); a server backend for fleets of MTAs must be able to
 * implement this same header without any change to callers.
 *
 * Threads: a struct nf_store is one connection.  It may move between threads
 * but must never be used by two threads at once.  The milter keeps a small pool
 * (nf_store_pool_*) so that each lookup borrows a handle.
 *
 * Results: every call returns an enum nf_store_rc.  NF_STORE_NOTFOUND is an
 * answer ("there is no such row"); NF_STORE_BUSY and NF_STORE_ERR mean the
 * store could not answer (locked past the busy timeout, or failed), and the
 * caller applies its fault policy (OnStoreError, exit 75, ...).  The text of
 * the last failure is in nf_store_errmsg().
 *
 * Keys: email addresses are stored as normalised by addr.c (domain lower
 * case, IDN as A-labels); phone numbers as E.164 with the leading '+'.
 * Times are Unix seconds (int64_t).  Strings in structs are NUL-terminated
 * and bounded by the NF_STORE_*_MAX sizes; callers validate before storing.
 */
#ifndef NF_STORE_H
#define NF_STORE_H

#include <stddef.h>
#include <stdint.h>

#define NF_STORE_SCHEMA_VERSION 4

#define NF_STORE_EMAIL_MAX 256	/* 254 octets + NUL, rounded */
#define NF_STORE_PHONE_MAX 20	/* '+' and up to 15 digits + NUL */
#define NF_STORE_NAME_MAX 256
#define NF_STORE_TEXT_MAX 512	/* reason, source, rule */

enum nf_store_rc {
	NF_STORE_OK = 0,
	NF_STORE_NOTFOUND = 1,	/* answered: no such row */
	NF_STORE_CONFLICT = 2,	/* answered: would duplicate a unique key */
	NF_STORE_BUSY = 3,	/* could not answer: locked past the timeout */
	NF_STORE_ERR = 4,	/* could not answer: I/O, corrupt, out of memory */
	NF_STORE_SCHEMA = 5,	/* file is not ours, or from a newer version */
	NF_STORE_READONLY = 6	/* file or directory cannot be written */
};

enum nf_channel {
	NF_CH_EMAIL = 0,
	NF_CH_SMS,
	NF_CH_WHATSAPP,
	NF_CH_VIBER,
	NF_CH_COUNT
};

enum nf_consent {
	NF_CONSENT_NONE = 0,	/* no record: the configured default applies */
	NF_CONSENT_GRANTED = 1,
	NF_CONSENT_REVOKED = 2
};

/* open flags */
#define NF_STORE_CREATE   0x01	/* create the file and schema if missing */
#define NF_STORE_RDONLY   0x02

struct nf_store;

struct nf_consent_rec {
	enum nf_consent state;
	char source[NF_STORE_TEXT_MAX];	/* "ctl", "import:FILE:LINE", "complaint:TOKEN", ... */
	int64_t time;			/* 0 when state is NONE */
};

struct nf_contact {
	int64_t id;			/* 0 for a contact not yet stored */
	char email[NF_STORE_EMAIL_MAX];	/* "" when the contact has no email */
	char phone[NF_STORE_PHONE_MAX];	/* "" when the contact has no phone */
	char name[NF_STORE_NAME_MAX];
	struct nf_consent_rec consent[NF_CH_COUNT];
	int64_t created, updated;
};

struct nf_suppression {
	int64_t id;
	char address[NF_STORE_EMAIL_MAX];	/* email address or E.164 phone */
	enum nf_channel channel;		/* NF_CH_EMAIL for addresses */
	char reason[NF_STORE_TEXT_MAX];	/* reason vocabulary word or admin text */
	char source[NF_STORE_TEXT_MAX];	/* "ctl", "dsn", "arf", "import", ... */
	char evidence[NF_STORE_TEXT_MAX];	/* token, queue id, diagnostic ... */
	int64_t time;
};

/* What the milter needs to decide for one email recipient, in one lookup. */
struct nf_email_state {
	int has_contact;		/* a contact row with this email exists */
	enum nf_consent email_consent;	/* NF_CONSENT_NONE if no record */
	int suppressed;			/* on the email suppression list */
	char suppress_reason[NF_STORE_TEXT_MAX];	/* when suppressed */
};

/* One append-only event: the raw material of a contact's timeline. */
struct nf_event {
	int64_t time;
	const char *kind;	/* "decision", "contact", "consent", "suppress", ... */
	const char *queue_id;	/* MTA queue id, or NULL */
	const char *token;	/* message token, or NULL */
	const char *address;	/* recipient email or phone, or NULL */
	const char *rule;	/* which rule decided, e.g. "suppressed", "consent-revoked" */
	const char *detail;	/* human text / evidence, e.g. reason or sender */
};

/* ---- lifetime ---------------------------------------------------------- */

/*
 * Open the store at `path`.  With NF_STORE_CREATE, a missing file is created
 * and migrated to NF_STORE_SCHEMA_VERSION; an older schema is migrated
 * forward in one transaction.  A file that is not SQLite, or whose schema is
 * newer than this program knows, gives NF_STORE_SCHEMA with an explanation in
 * `err` (which names the path and says what to do).  busy_ms is the SQLite
 * busy timeout.  On failure *out is NULL and `err` is filled.
 */
int nf_store_open(const char *path, int flags, int busy_ms,
    struct nf_store **out, char *err, size_t errlen);
void nf_store_close(struct nf_store *s);
const char *nf_store_errmsg(const struct nf_store *s);
int nf_store_schema_version(struct nf_store *s, int *version);

/* Explicit transactions (IMMEDIATE), for all-or-nothing work like import. */
int nf_store_begin(struct nf_store *s);
int nf_store_commit(struct nf_store *s);
int nf_store_rollback(struct nf_store *s);

/* ---- contacts ---------------------------------------------------------- */

/* Insert; NF_STORE_CONFLICT if the email or the phone belongs to another
 * contact.  On success c->id, created, updated are set. Consent records with
 * state != NONE are stored too. */
int nf_store_contact_add(struct nf_store *s, struct nf_contact *c);
/* Replace name/email/phone/consent of contact c->id; CONFLICT as above. */
int nf_store_contact_update(struct nf_store *s, struct nf_contact *c);
/* Look up by normalised email or E.164 phone (a key starting with '+'). */
int nf_store_contact_find(struct nf_store *s, const char *key,
    struct nf_contact *out);
/* Erase the contact and its consent rows (personal data). NOTFOUND if none. */
int nf_store_contact_remove(struct nf_store *s, const char *key);
/* Number of contacts (for reports and the benchmark). */
int nf_store_contact_count(struct nf_store *s, int64_t *n);

/* ---- consent ----------------------------------------------------------- */

int nf_store_consent_set(struct nf_store *s, int64_t contact_id,
    enum nf_channel ch, enum nf_consent state, const char *source,
    int64_t time);

/* ---- suppressions ------------------------------------------------------ */

/* Add or refresh (same address+channel: reason/source/evidence/time updated). */
int nf_store_suppress_add(struct nf_store *s, const struct nf_suppression *sup);
/* NOTFOUND if the address was not suppressed on that channel. */
int nf_store_suppress_remove(struct nf_store *s, const char *address,
    enum nf_channel ch);
int nf_store_suppress_find(struct nf_store *s, const char *address,
    enum nf_channel ch, struct nf_suppression *out);
/* Calls fn for each suppression, oldest first; fn returning non-zero stops
 * the walk and that value is returned. */
int nf_store_suppress_each(struct nf_store *s,
    int (*fn)(const struct nf_suppression *, void *), void *arg);

/* ---- the milter's hot path --------------------------------------------- */

/* One indexed lookup: contact, email consent and suppression of `email`.
 * A recipient with no row at all gives NF_STORE_OK with has_contact = 0,
 * email_consent = NONE, suppressed = 0. */
int nf_store_email_state(struct nf_store *s, const char *email,
    struct nf_email_state *out);

/*
 * Speed (an addition to the contract above): starting an SQLite read
 * transaction costs as much as the lookup itself, so nf_store_email_state
 * keeps the handle's read snapshot open between calls for at most
 * NF_STORE_SNAPSHOT_MS.  An answer therefore reflects the store as of at
 * most that long ago.  Any other call on the handle ends the snapshot
 * first; nf_store_release ends it explicitly (the pool does so for handles
 * parked longer than that, so an idle handle does not hold back WAL
 * checkpoints).
 */
#define NF_STORE_SNAPSHOT_MS 10
void nf_store_release(struct nf_store *s);
/* 1 when the handle holds no transaction but, at most, its own short read
 * snapshot (none of the caller's, none left behind by a failure): safe to
 * lend out again. */
int nf_store_idle(struct nf_store *s);

/* ---- events ------------------------------------------------------------ */

int nf_store_event_add(struct nf_store *s, const struct nf_event *ev);
/* Append many events in one transaction (the milter's writer thread). */
int nf_store_event_add_many(struct nf_store *s, const struct nf_event *ev,
    size_t n);
/* Calls fn for each event about `address` (email or phone) in time order. */
int nf_store_event_each(struct nf_store *s, const char *address,
    int (*fn)(const struct nf_event *, void *), void *arg);

/* ---- tracking: messages, recipients, deliveries (issue 3) --------------- */

#define NF_STORE_TOKEN_MAX 48
#define NF_STORE_QID_MAX 64
#define NF_STORE_HEADER_MAX 1000	/* header values kept (longer: cut, and the cut recorded) */

/* A policed message as tagged at end of message.  Input strings may be
 * NULL (absent); they are copied with bounds (NF_STORE_HEADER_MAX), and a
 * cut value ends in "...[cut]" (never mid UTF-8 character) so a reader sees it. */
struct nf_message_in {
	const char *token;		/* required */
	const char *queue_id;		/* MTA queue id ({i}), or NULL */
	const char *sender;		/* original envelope sender */
	const char *verp;		/* the envelope sender it was given, or NULL */
	const char *header_from;
	const char *subject;		/* as in the header (encoded words kept) */
	const char *message_id;
	const char *category;		/* X-Notifilter-Category */
	const char *fallback_text;	/* X-Notifilter-Fallback-Text */
	const char *phone_hint;		/* X-Notifilter-Phone, E.164 when valid */
	int phone_hint_valid;		/* 0: recorded as given, never used */
	int applied;			/* 0 in monitor mode: recorded, mail left unchanged */
	int64_t time;
};

struct nf_recipient_in {
	const char *address;		/* normalised recipient */
	const char *verdict;		/* "allowed", "rejected", "dropped", "monitored" ... */
	const char *rule;		/* NF_RULE_* */
	const char *reason;
	int dsn_requested;		/* NOTIFY=SUCCESS,FAILURE,DELAY was asked */
};

/*
 * Record one message and its recipients in ONE transaction, and per
 * recipient a "tagged" event (detail: VERP sender, X-Notifilter-ID, DSN
 * requested; or "monitor: recorded, not tagged") and a "queued" event
 * (queue id), both carrying the token.  CONFLICT if the token exists.
 */
int nf_store_message_add(struct nf_store *s, const struct nf_message_in *m,
    const struct nf_recipient_in *r, size_t nr);

/* A recorded message, for trace and intake.  Strings are bounded copies. */
struct nf_message {
	int64_t id;
	char token[NF_STORE_TOKEN_MAX];
	char queue_id[NF_STORE_QID_MAX];
	char sender[NF_STORE_EMAIL_MAX];
	char verp[NF_STORE_EMAIL_MAX];
	char header_from[NF_STORE_HEADER_MAX + 1];
	char subject[NF_STORE_HEADER_MAX + 1];
	char message_id[NF_STORE_HEADER_MAX + 1];
	char category[NF_STORE_TEXT_MAX];
	char fallback_text[NF_STORE_HEADER_MAX + 1];
	char phone_hint[NF_STORE_TEXT_MAX];
	int phone_hint_valid;
	int applied;
	int64_t time;
};
/* By token (any letter case). NOTFOUND if none. */
int nf_store_message_find(struct nf_store *s, const char *token,
    struct nf_message *out);

/* Small durable key/value state for the daemon's threads (e.g. the MailLog
 * follower's inode and offset, so a restart resumes where it stopped).
 * get: NOTFOUND if the key was never set. */
int nf_store_state_get(struct nf_store *s, const char *key, char *val,
    size_t len);
int nf_store_state_set(struct nf_store *s, const char *key, const char *val);

/*
 * Delivery status for (queue id, recipient) from the MTA's log or a DSN:
 * status "sent", "deferred", "bounced", "expired", "delivered", "relayed".
 * When a recorded message has that queue id and that recipient, its
 * recipient row takes the status and a "delivery" event is appended (with
 * the message's token; detail holds status, dsn, relay and diagnostic).
 * Otherwise nothing is written and NOTFOUND is returned: the MTA's log is
 * full of mail that is not ours.  A status never goes back from a final
 * one (sent/bounced/expired/delivered) to deferred.  address NULL (qmgr's
 * "status=expired, returned to sender" names no recipient) means every
 * recipient of that queue id's newest message that has no final status
 * yet and was not refused: each takes the status and gets its own event;
 * NOTFOUND when the queue id is not ours or none was left open.
 */
struct nf_delivery_in {
	const char *queue_id;
	const char *address;
	const char *status;
	const char *dsn;		/* enhanced code "2.0.0" */
	const char *relay;		/* remote MTA */
	const char *diagnostic;		/* the remote's reply, bounded */
	const char *source;		/* "maillog", "dsn" */
	int64_t time;
};
int nf_store_delivery_add(struct nf_store *s, const struct nf_delivery_in *d);

/*
 * The timeline for `notifilterctl trace KEY`: every event about KEY in time
 * order (ties by insertion order).  KEY is an E.164 phone (events of the
 * phone, of the contact who has that phone and that contact's email, and of
 * messages whose valid phone hint is it), a normalised email (events whose
 * address is it; when a contact has that email and a phone, exactly the
 * timeline of that phone, so either key of a contact gives the same), or a
 * token (every event carrying that token).  NOTFOUND when nothing at all is
 * known about KEY.
 */
int nf_store_trace(struct nf_store *s, const char *key,
    int (*fn)(const struct nf_event *, void *), void *arg);

/* ---- a pool of handles for threaded callers ---------------------------- */

struct nf_store_pool;

int nf_store_pool_new(const char *path, int busy_ms, size_t max_handles,
    struct nf_store_pool **out, char *err, size_t errlen);
/* Borrow a handle (opening one if none is idle and fewer than max exist,
 * else waiting for one).  NF_STORE_ERR/BUSY/SCHEMA if none could be opened. */
int nf_store_pool_get(struct nf_store_pool *p, struct nf_store **out);
/* Return it; pass broken = 1 after an I/O error so it is closed, not reused. */
void nf_store_pool_put(struct nf_store_pool *p, struct nf_store *s, int broken);
void nf_store_pool_free(struct nf_store_pool *p);
/* Why the last get could not open a handle (copied into buf, thread-safe);
 * returns buf. */
const char *nf_store_pool_errmsg(struct nf_store_pool *p, char *buf,
    size_t len);

const char *nf_channel_name(enum nf_channel ch);	/* "email", "sms", ... */
int nf_channel_parse(const char *name, enum nf_channel *out);	/* 0 ok, -1 unknown */
const char *nf_consent_name(enum nf_consent c);	/* "none", "granted", "revoked" */

/* ---- report intake (issue 4; lib/store_report.c) ------------------------ */

#define NF_STORE_EXCERPT_MAX 4096	/* bytes of a report kept (cut visibly) */

/* One report as `notifilterctl ingest` received it.  Strings may be NULL
 * (absent); values taken from mail are stored cut (NF_ST_CUT_MARK). */
struct nf_report_in {
	const char *kind;		/* "dsn" "arf" "autoreply" "heuristic" "none" */
	const char *token;		/* the candidate token, or NULL */
	int token_valid;		/* its MAC verified with SecretFile */
	int64_t message;		/* nf_message.id it names; 0 when none */
	int authenticated;		/* token valid and message known */
	const char *auth_detail;	/* why (not) authenticated, for people */
	const char *env_sender, *env_recipient, *client_ip, *helo;
	const char *dkim, *dkim_domain, *spf;	/* results; NULL: not checked */
	const char *returned_message_id;	/* Message-ID of the returned mail */
	int64_t size;			/* bytes of the report read */
	unsigned flags;			/* what limits cut (NF_REPORT_CUT_*, ...) */
	const char *excerpt;		/* its start, bounded by the caller */
	int64_t time;			/* 0 = now */
};

/* What one reported recipient said and what intake made of it. */
struct nf_report_rcpt_in {
	const char *address;		/* lower case, as reported */
	const char *action, *status, *reason, *diagnostic, *remote_mta;
	const char *feedback_type;
	int hard;
	const char *policy;		/* "bad" "soft" "spam" "complaint" "delivered"
					 * "delayed" "autoreply" "other" */
	const char *outcome;		/* what was done: "suppressed" "counted"
					 * "undelivered" "consent-revoked" ... or
					 * "unauthenticated" */
	const char *detail;		/* the timeline text */
};

/*
 * Record a report and its recipients in one transaction, and per recipient
 * one event: kind "bounce" (policy bad, soft, spam), "complaint" or
 * "report", rule = outcome, detail = detail, carrying the token only when
 * the report is authenticated.  *id (if not NULL) gets the report's id.
 */
int nf_store_report_add(struct nf_store *s, const struct nf_report_in *r,
    const struct nf_report_rcpt_in *rc, size_t n, int64_t *id);
/* How many different messages (tokens) had an authenticated soft failure
 * for `address` (any case) at or after `since`, not counting `except` (a
 * token, or NULL). */
int nf_store_soft_count(struct nf_store *s, const char *address,
    int64_t since, const char *except, int64_t *n);
/* Is `address` (any case) a recipient of message `message`?  OK, with
 * the address as the message recorded it (the key form policy looks up)
 * in stored[len], or NOTFOUND. */
int nf_store_recipient_of(struct nf_store *s, int64_t message,
    const char *address, char *stored, size_t len);
/* The recipients message `message` reached, or may have: not refused by
 * policy (decision rejected, dropped, tempfailed, deferred) and not
 * bounced or expired.  The first `max` addresses, as recorded, in message
 * order into addr[]; *n gets how many there are in all.  A complaint that
 * names no recipient is attributed through these. */
int nf_store_message_reached(struct nf_store *s, int64_t message,
    char (*addr)[NF_STORE_EMAIL_MAX], size_t max, size_t *n);
/* Set that recipient's delivery status (no event: the caller's report
 * event says it); a final status is never replaced by "deferred".
 * NOTFOUND when it is not a recipient of the message. */
int nf_store_recipient_status(struct nf_store *s, int64_t message,
    const char *address, const char *status, const char *dsn,
    const char *relay, const char *diagnostic, int64_t time);

/* ---- fallback outbox (issue 5; lib/store_outbox.c) ---------------------- */

/*
 * One row per (notification token, recipient) that fell back (UNIQUE, so
 * a second trigger for the pair never makes a second message, also
 * across restarts).  States and the meaning of sent_time: store_open.c,
 * schema step 4.  Every change of a row appends one event in the same
 * transaction: kind "fallback", rule = the step (queued held sending sent
 * retry failed skipped cancelled uncertain), address = the recipient
 * email, token = the message token, detail = the caller's text.
 */
#define NF_STORE_FB_TEXT_MAX 1024	/* bytes of SMS text kept */
#define NF_STORE_FB_KEY_MAX 72		/* idempotency key + NUL */
#define NF_STORE_FB_WORD_MAX 24		/* state, channel, driver, trigger */
#define NF_STORE_FB_ID_MAX 128		/* provider message id */

/* A recipient whose email failed (or was not confirmed in time) and that
 * has no outbox row yet. */
struct nf_fb_candidate {
	int64_t message;		/* messages.id */
	char token[NF_STORE_TOKEN_MAX];
	char recipient[NF_STORE_EMAIL_MAX];	/* as the recipients row has it */
	char status[NF_STORE_FB_WORD_MAX];	/* delivery status now, "" none */
	int64_t time;			/* of the failure event, or of the message */
	char detail[NF_STORE_TEXT_MAX];	/* the failure as the timeline said it */
};

/*
 * Failures recorded after event id `after` (the caller's watermark):
 * delivery and bounce events carrying a token whose recipient's status
 * is now "bounced" or "expired" (only authenticated reports and the
 * MailLog follower set a status, so a forged report never appears here),
 * of an applied message (not monitor mode), recipient not refused, no
 * outbox row yet.  At most `max` into out[], *n of them; *next is the
 * watermark to pass next time (every event up to it was looked at).
 */
int nf_store_fb_failures(struct nf_store *s, int64_t after, size_t max,
    struct nf_fb_candidate *out, size_t *n, int64_t *next);
/*
 * Recipients (row id > `after`) of applied messages, not refused, with no
 * final status (none or "deferred"), whose message was recorded at or
 * before `cutoff`, that asked for a DSN (or any, with `any_dsn`, when the
 * MTA's log is followed) and have no outbox row.  Stops at the first
 * recipient recorded after the cutoff; *next as above (recipient ids).
 */
int nf_store_fb_overdue(struct nf_store *s, int64_t after, int64_t cutoff,
    int any_dsn, size_t max, struct nf_fb_candidate *out, size_t *n,
    int64_t *next);
/*
 * The same two reads for the daemon, with watermarks that know their row:
 * `mark` is a fingerprint of the row `id` names (0 for id 0; -1 unknown,
 * e.g. a watermark saved before marks existed: then only the row's
 * existence is checked).  Event and recipient ids are rowids that SQLite
 * hands out again after `contact remove` erased the newest rows; when the
 * row of `after` is gone or is another row now, the read starts again
 * from the cursor of `since` (as nf_store_fb_cursor_start), *rewound = 1,
 * and the outbox's one-row-per-pair rule keeps the rows already made from
 * being made twice.  The check and the read are one snapshot.  *next
 * (with its mark) is the watermark to keep.
 */
struct nf_fb_watermark {
	int64_t id, mark;
};
int nf_store_fb_failures_at(struct nf_store *s,
    const struct nf_fb_watermark *after, int64_t since, size_t max,
    struct nf_fb_candidate *out, size_t *n, struct nf_fb_watermark *next,
    int *rewound);
int nf_store_fb_overdue_at(struct nf_store *s,
    const struct nf_fb_watermark *after, int64_t since, int64_t cutoff,
    int any_dsn, size_t max, struct nf_fb_candidate *out, size_t *n,
    struct nf_fb_watermark *next, int *rewound);
/* Where the watermarks start on a store that has none: the last event
 * and recipient ids from before `since` (so only failures and messages
 * of the last FallbackExpiry are looked at). */
int nf_store_fb_cursor_start(struct nf_store *s, int64_t since,
    int64_t *events, int64_t *recipients);

struct nf_fb_new {
	int64_t message;
	const char *token, *recipient;
	const char *phone;		/* E.164, or NULL (skipped: no phone) */
	const char *channel, *driver;	/* NULL when skipped before a choice */
	const char *trigger;		/* "bounced" "expired" "timeout" */
	const char *trigger_detail;
	const char *state;		/* "pending" "held" "skipped" "failed" */
	const char *text, *encoding;
	int segments;
	int64_t due, expires, time;
	const char *idem_key;		/* nf_fb_idem_key */
	const char *answer;		/* why skipped/held, or NULL */
	const char *event_detail;	/* the timeline text */
};
/* Insert the row and its event ("queued" for pending, else the state).
 * NF_STORE_CONFLICT, writing nothing, when the pair has a row already. */
int nf_store_fb_add(struct nf_store *s, const struct nf_fb_new *r);

struct nf_fb_row {
	int64_t id, message;
	char token[NF_STORE_TOKEN_MAX];
	char recipient[NF_STORE_EMAIL_MAX];
	char phone[NF_STORE_PHONE_MAX];
	char channel[NF_STORE_FB_WORD_MAX], driver[NF_STORE_FB_WORD_MAX];
	char trigger[NF_STORE_FB_WORD_MAX], state[NF_STORE_FB_WORD_MAX];
	char text[NF_STORE_FB_TEXT_MAX];
	char encoding[NF_STORE_FB_WORD_MAX];
	int segments, attempts;
	int64_t due, expires, sent_time, created;	/* sent_time 0: none */
	char idem_key[NF_STORE_FB_KEY_MAX];
	char provider_id[NF_STORE_FB_ID_MAX];
	char answer[NF_STORE_TEXT_MAX];
	char rstatus[NF_STORE_FB_WORD_MAX];	/* the recipient's status now */
};
/* Rows in pending or held with due <= now, earliest first (at most max). */
int nf_store_fb_due(struct nf_store *s, int64_t now, size_t max,
    struct nf_fb_row *out, size_t *n);
/* Rows in pending or held whose recipient's delivery is now confirmed
 * (sent, delivered, relayed): to cancel. */
int nf_store_fb_confirmed(struct nf_store *s, size_t max,
    struct nf_fb_row *out, size_t *n);
/* Rows in `state` (e.g. "sending" at start), at most max. */
int nf_store_fb_in_state(struct nf_store *s, const char *state, size_t max,
    struct nf_fb_row *out, size_t *n);
/* One row by (token, recipient); NOTFOUND when there is none. */
int nf_store_fb_find(struct nf_store *s, const char *token,
    const char *recipient, struct nf_fb_row *out);

/* A change of one row, with its event. */
struct nf_fb_step {
	int64_t id;
	const char *from;	/* the state it must be in (else NOTFOUND) */
	const char *to;		/* the new state */
	const char *rule;	/* the event's step word */
	int64_t due;		/* new due; 0 keeps it */
	int attempt;		/* 1: attempts + 1 */
	int sent_time;		/* 1: set to `time`; -1: clear; 0: keep */
	const char *provider_id, *answer;	/* NULL keeps them */
	const char *detail;	/* the timeline text */
	int64_t time;		/* 0 = now */
};
int nf_store_fb_step(struct nf_store *s, const struct nf_fb_step *st);

/* Rows whose sent_time is at or after `since`: of `phone` (E.164), or of
 * all phones when phone is NULL. */
int nf_store_fb_sent_count(struct nf_store *s, const char *phone,
    int64_t since, int64_t *n);
/* The sent_time of the (k+1)-th oldest row sent at or after `since`
 * (k >= 0); 0 when there are not that many. */
int nf_store_fb_sent_nth(struct nf_store *s, int64_t since, int64_t k,
    int64_t *t);

/* ---- delivery receipts (issue 5; lib/store_receipt.c) ------------------- */

/* A provider's delivery receipt for one outbox row (milter/receipt.c). */
struct nf_receipt_in {
	const char *driver;		/* "kannel" ...; must match the row's */
	const char *provider_id;	/* the provider's message id, or NULL */
	const char *idem_key;		/* the row's idempotency key, or NULL */
	const char *status;		/* "delivered" "failed" "accepted" ... */
	int final;			/* delivered, failed, rejected, ... */
	const char *detail;		/* one line: "delivered: kannel status 1" */
	int64_t time;			/* 0 = now */
};
/*
 * Find the outbox row the receipt names: by provider_id, else by idem_key;
 * when both are given they must belong to the same row, and the row's
 * driver must be r->driver.  Then, in one transaction, set the row's
 * receipt column to the detail (a final receipt is never replaced by a
 * non-final one: Kannel's "accepted" may arrive after "delivered") and
 * append an event kind "fallback", rule "receipt", with the row's token
 * and recipient and the detail.  *outbox_id (if not NULL) gets the row's
 * id.  NOTFOUND, with nothing written, when no row matches.
 */
int nf_store_receipt_add(struct nf_store *s, const struct nf_receipt_in *r,
    int64_t *outbox_id);

/* ---- report and digest figures (issue 6; lib/store_stats.c) ------------- */

/*
 * What `notifilterctl report` and `digest` show, read in ONE read
 * transaction (a consistent snapshot) for the window [since, until):
 * half open, so two adjacent windows (one digest after the other) count
 * a row once.
 *
 * Three clocks, each the natural one for its figures:
 *  - decisions: the milter's "decision" events in the window;
 *  - outcomes, domains, categories, senders, failing recipients: the
 *    recipients of the messages recorded in the window, with the status
 *    they have now and the authenticated reports about them (whenever
 *    those arrived), so a rate's numerator and denominator are the same
 *    mail;
 *  - reports (bounce reasons, forged reports) and fallbacks: rows made in
 *    the window (reports.time, outbox.created).
 * Every list is cut to `top` rows (at most NF_STATS_TOP_MAX), the largest
 * first; `more` says how many were left out.  Only authenticated reports
 * count in outcomes and reasons; the others are only counted
 * (reports_unauth), because anyone can send one.
 */
#define NF_STATS_TOP_MAX 50
#define NF_STATS_TOP_DEFAULT 10
/* complaints per delivered message the large mailbox providers publish as
 * the level not to reach (0.3 %) */
#define NF_STATS_COMPLAINT_LIMIT 0.003
/* spam-filter rejections per recipient: notifilter's own alert level */
#define NF_STATS_SPAM_LIMIT 0.01

/* one row of a list; which counters mean something depends on the list */
struct nf_stats_row {
	char key[NF_STORE_EMAIL_MAX];	/* domain, reason, rule, category ... */
	int64_t total;		/* recipients, reports, failures, decisions */
	int64_t delivered, deferred, bounced, expired, spam, pending,
	    complaints;	/* domains: with the unattributed ones below */
	int64_t unattributed;	/* domains: complaints not attributed to a
				 * recipient, about messages that reached
				 * only this domain (see nf_stats) */
	int64_t reached;	/* delivered, or complained about (a complaint
				 * proves delivery): complaint_rate's base */
	int64_t last;		/* failing recipients: latest failure time */
	char detail[NF_STORE_TEXT_MAX];	/* reasons: policy; failing
					 * recipients: latest reason or dsn */
	double spam_rate;	/* spam / total (domains) */
	double complaint_rate;	/* complaints / reached (domains) */
	int spam_flag, complaint_flag;	/* at or past the limits above */
};

struct nf_stats_list {
	struct nf_stats_row *row;	/* `top` rows, owned by struct nf_stats */
	size_t n;
	int64_t more;		/* rows of the full list not in row[] */
};

/* fallback rows of one channel ("sms", ..., "none" when none was chosen) */
struct nf_stats_channel {
	char channel[16];
	int64_t pending, held, sending, sent, failed, cancelled, skipped,
	    uncertain, total;
	int64_t segments;	/* SMS segments of the rows sent */
};

struct nf_stats {
	int64_t since, until;
	size_t top;
	/* the milter's decisions: allowed, blocked, and monitor mode's "would
	 * have blocked" (let through) */
	int64_t allowed, blocked, monitored;
	struct nf_stats_list blocked_rules;	/* key = rule, total */
	/* messages recorded, and their recipients by outcome (exclusive) */
	int64_t messages, recipients, refused;	/* refused: rejected/dropped */
	int64_t delivered, deferred, bounced, expired, spam, pending;
	/* authenticated complaints: the recipients named (or attributed) by
	 * one, plus complaints_unattributed */
	int64_t complaints;
	/* complaints whose recipient the reporter redacted and intake could
	 * not attribute (report row: policy complaint, outcome
	 * "unattributed", no address), one per message however often it was
	 * reported; _domain: how many of them are also in their domain's
	 * row (all the recipients the message reached in one domain) */
	int64_t complaints_unattributed, complaints_unattributed_domain;
	/* delivered or complained about: the base of complaint_rate, which
	 * is then at most 1; an unattributed complaint about a message none
	 * of whose recipients counts here adds one (it proves a delivery) */
	int64_t reached;
	double spam_rate, complaint_rate;
	int spam_flag, complaint_flag;
	struct nf_stats_list domains, categories, senders, failing;
	/* reports received in the window */
	int64_t reports, reports_unauth;	/* report recipients */
	/* key = reason, detail = policy, total = recipients (a report
	 * received twice for one recipient of one message counts once) */
	struct nf_stats_list reasons;
	/* fallbacks made in the window, per channel */
	struct nf_stats_channel channel[5];
	size_t nchannel;
	/* fb_held: waiting (pending, held, or being sent) */
	int64_t fallbacks, fb_sent, fb_failed, fb_skipped, fb_held, segments;
};

/*
 * Fill *out (which the call first clears; free it with nf_stats_free,
 * also after a failure) for [since, until); top 0 means
 * NF_STATS_TOP_DEFAULT, more than NF_STATS_TOP_MAX is cut to it.  An empty
 * store gives zeros.  NF_STORE_BUSY/ERR when the store cannot answer.
 */
int nf_store_stats(struct nf_store *s, int64_t since, int64_t until,
    size_t top, struct nf_stats *out);
void nf_stats_free(struct nf_stats *st);
/* Tests only: the SQL text of the statement i (0, 1, ...), NULL past the
 * last, to check each one's query plan. */
const char *nf_stats_sql(size_t i);


/* ---- erasure (issue 6; lib/store_erase*.c) ------------------------------ */

/*
 * What erasing a contact keeps: for each channel on which its email or
 * phone was suppressed, or its consent revoked, one row of table `erased`
 * holding a keyed hash of the address (never the address), the channel,
 * the reason (the suppression's, or NF_STORE_ERASED_REVOKED) and the time.
 * A revocation is kept too: a complaint revokes consent (DESIGN), and an
 * erasure must not turn the configured default consent back on.
 *
 * Hash: lower-case hex HMAC-SHA256 of the store key (normalised email,
 * E.164 phone) under the erasure key HMAC-SHA256(SecretFile's bytes,
 * NF_STORE_ERASE_LABEL).  Changing SecretFile makes old rows unmatchable;
 * nf_store_erase_key_check tells (see there).
 *
 * The erasure key is process-wide: set it once at start, after loading
 * SecretFile and before threads use the store (the daemon's main,
 * notifilterctl).  Without it nf_store_email_state and
 * nf_store_phone_suppressed cannot see erased rows, and an erasure that
 * would have to keep a hash refuses (need_key) rather than keep clear text.
 */
#define NF_STORE_ERASE_LABEL "notifilter erasure v1"
#define NF_STORE_ERASED_REVOKED "consent-revoked"
#define NF_STORE_HASH_MAX 65		/* 64 hex digits + NUL */
#define NF_STORE_ERASED_SHOW 8		/* hex digits shown: "erased:1a2b3c4d" */

/* Derive and keep the erasure key from SecretFile's bytes; NULL/0 forgets
 * it.  0, or -1 when the crypto library failed (no key is then set). */
int nf_store_erase_key_set(const unsigned char *secret, size_t len);
/* 1 when a key is set. */
int nf_store_erase_key_ready(void);
/* The hash of `key` under the process key into out[len >= 65]; -1 when no
 * key is set or len is too small. */
int nf_store_erase_hash(const char *key, char *out, size_t len);

/*
 * The milter-side check for the fallback: is `phone` (E.164) suppressed on
 * channel ch (sms, whatsapp, viber)?  A clear suppression row, or an erased
 * row for the phone on that channel (suppressed or consent revoked: both
 * mean "never send there").  *yes 1 or 0; NF_STORE_* result (BUSY/ERR:
 * could not answer, the caller must not send).
 */
int nf_store_phone_suppressed(struct nf_store *s, const char *phone,
    enum nf_channel ch, int *yes);

struct nf_erase_result {
	int64_t contact_id;	/* 0: no contact row, only records about KEY */
	int kept;		/* erased rows written (hash, channel) */
	int64_t rows;		/* rows deleted or blanked, all tables */
	int need_key;		/* refused: hashes to keep but no erasure key */
	int checkpointed;	/* WAL copied back and truncated to 0 bytes */
	char checkpoint_err[256];	/* why not, when checkpointed is 0 */
};

/*
 * Erase everything about KEY (a normalised email or an E.164 phone; with a
 * contact, both of its addresses): the contact, its consent, its events
 * (by contact, by address, and any whose text names an address), its
 * recipient rows and the personal fields of messages sent to it alone (see
 * nf_st_erase_tracking), report rows about it and report excerpts naming
 * it, outbox rows to it (by recipient or phone), and its suppressions,
 * which are kept only as erased rows (above).  One transaction, with
 * SQLite's secure_delete on so the freed bytes are zeroed; then, when the
 * caller holds no transaction, a WAL checkpoint (TRUNCATE) so no old page
 * stays in the -wal file (out->checkpointed says whether it completed: a
 * long reader of another process can hold it back; the erasure is
 * committed either way).  NOTFOUND when nothing at all was known about
 * KEY; NF_STORE_ERR with out->need_key when a hash had to be kept but no
 * erasure key is set (nothing changed).  out may be NULL.
 * nf_store_contact_remove(s, key) is nf_store_contact_erase(s, key, NULL).
 */
int nf_store_contact_erase(struct nf_store *s, const char *key,
    struct nf_erase_result *out);

/* One erased row, for `suppress list` ("erased:" and the hash's start). */
struct nf_erased {
	char hash[NF_STORE_HASH_MAX];
	enum nf_channel channel;
	char reason[NF_STORE_TEXT_MAX];
	int64_t time;
};
/* Every erased row, oldest first; fn's non-zero return stops and is
 * returned. */
int nf_store_erased_each(struct nf_store *s,
    int (*fn)(const struct nf_erased *, void *), void *arg);
/* The erased row of clear `key` on channel ch (needs the key): OK,
 * NOTFOUND (also when no key is set). */
int nf_store_erased_find(struct nf_store *s, const char *key,
    enum nf_channel ch, struct nf_erased *out);
/*
 * Remove the erased rows whose hash starts with `hex` (at least
 * NF_STORE_ERASED_SHOW hex digits, any case) on channel ch (NF_CH_COUNT:
 * every channel); a "suppress" event without personal data records it.
 * *n gets the number removed.  NOTFOUND when none; CONFLICT (nothing
 * removed) when the prefix names more than one hash.
 */
int nf_store_erased_remove(struct nf_store *s, const char *hex,
    enum nf_channel ch, int *n);
/*
 * Does the process key match the one that wrote the erased rows?  The
 * first erasure stores a check value (state "erase.keycheck": an HMAC of a
 * fixed text, not the key); *match is 1 when it equals the current key's,
 * or when none was stored yet; 0 when SecretFile changed since (the old
 * rows no longer match anything).  NOTFOUND-free: OK or a failure.
 */
int nf_store_erase_key_check(struct nf_store *s, int *match);

#endif
