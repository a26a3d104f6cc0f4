/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright (C) 2026 The claws-requiretls developers
 *
 * check.c: requiretls-submit --check: per recipient domain, in parallel and bounded in time,
 * the MX with its DNSSEC state (libunbound), DANE TLSA, MTA-STS (libcurl over GnuTLS) and,
 * with --probe, port 25 (the helper's own SMTP and TLS code); the verdict of RFC 8689 4.2.1
 * (core/rtls_readiness.c) and one record a domain on stdout.
 */
#include "config.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <glib/gi18n.h>
#include <poll.h>
#include <string.h>
#include <unbound.h>

#include "check.h"
#include "codec.h"
#include "errors.h"
#include "params.h"
#include "rtls_readiness.h"
#include "smtp_client.h"
#include "status.h"
#include "tls.h"

/* Debian's dns-root-data: the root zone's trust anchor, kept current by the package. */
#define CHECK_ROOT_KEY "/usr/share/dns/root.key"
/* ... and the root servers' names and addresses, for recursion from the root */
#define CHECK_ROOT_HINTS "/usr/share/dns/root.hints"
#define CHECK_MAX_ANCHORS 8          /* trust anchor names asked about before the check */
#define CHECK_POLICY_MAX (64 * 1024) /* RFC 8461 3.3: "a suggested maximum policy size" */
#define CHECK_MAX_HOSTS 3            /* MX hosts looked at (DANE, probe), best first */
#define CHECK_MAX_ADDRS 2            /* addresses of each host the probe tries */
#define CHECK_TTL_UNKNOWN 300        /* an unknown verdict is worth asking again soon */
#define CHECK_TTL_MAX 86400

enum {
	CHECK_TYPE_A = 1,
	CHECK_TYPE_MX = 15,
	CHECK_TYPE_TXT = 16,
	CHECK_TYPE_AAAA = 28,
	CHECK_TYPE_DNSKEY = 48,
	CHECK_TYPE_TLSA = 52
};

/* Who answers the DNS questions. */
typedef enum {
	CHECK_RESOLVER_SYSTEM,   /* the forwarders of /etc/resolv.conf */
	CHECK_RESOLVER_ADDR,     /* the forwarder of --resolver=ADDR[@PORT] */
	CHECK_RESOLVER_RECURSIVE /* nobody: libunbound iterates from the root itself */
} CheckResolverMode;

typedef struct {
	gboolean check;      /* --check */
	gboolean probe;      /* --probe: port 25 too */
	gchar *resolver;     /* system, recursive or ADDR[@PORT] (NULL: system) */
	gchar *stub_zone;    /* ZONE=ADDR[@PORT]: recursion asks that server for ZONE (tests) */
	gchar *trust_anchor; /* the DNSSEC trust anchor file */
	gchar *ca_file;      /* trust these CAs (policy host, probe) instead of the system's */
	gint probe_port;     /* 25 */
	gint policy_port;    /* 443 */
	gint timeout;        /* seconds for each step */
	gint max_time;       /* seconds for the whole check */
	gchar *helo;         /* EHLO name of the probe */
	gboolean verbose;    /* what is done, on stderr */
	gchar **args;        /* ADDRESS|DOMAIN… */
	/* decided once before the domains are checked (check_choose_resolver()) */
	CheckResolverMode mode;  /* what the domains ask */
	gchar *resolver_problem; /* in English, why not the forwarder, or why nothing works */
	gboolean resolver_dead;  /* nothing answers with DNSSEC: no domain is asked */
} CheckOptions;

typedef struct {
	gchar *name;             /* the MX host, lower case, no trailing dot */
	guint pref;              /* its preference */
	RtlsDnssec addr_state;   /* its address answer */
	GPtrArray *addrs;        /* gchar*: IP literals */
	RtlsDaneState dane;      /* its TLSA records */
	GPtrArray *tlsa;         /* RtlsTlsa*: the usable ones */
	gboolean looked_at;      /* addresses (and TLSA) were looked up */
	gboolean outside_policy; /* an enforced MTA-STS policy matches it not: no candidate */
} CheckHost;

typedef struct {
	gboolean done;
	int err;
	struct ub_result *result;
} CheckAnswer;

/* One query on its way: its answer comes through check_dns_cb() while any query of the
 * domain is waited for (ub_process()). */
typedef struct {
	CheckAnswer a;  /* filled by the callback */
	int id;         /* libunbound's, to cancel it */
	gboolean asked; /* ub_resolve_async() took it and it is not finished or cancelled */
	gint64 until;   /* its own step's end */
	gchar *name;    /* for traces */
	int type;       /* for traces */
} CheckQuery;

typedef struct {
	const CheckOptions *opt;
	gchar *domain;         /* A-label, lower case */
	GPtrArray *recipients; /* gchar*: the arguments that named it */
	struct ub_ctx *ub;     /* this domain's resolver */
	gint64 start;          /* monotonic µs */
	gint64 deadline;       /* of the whole check */
	guint lookups;         /* DNS queries asked, HTTPS fetches and probe connections */
	guint32 ttl;           /* the smallest TTL of the answers used */
	RtlsReadinessFacts f;  /* for the verdict */
	GPtrArray *hosts;      /* CheckHost*, in preference order */
	gboolean sts_checked;  /* MTA-STS was looked at */
	gchar *sts_id;         /* the TXT record's id */
	guint32 sts_max_age;   /* the policy's max_age */
	gchar *sts_problem;    /* why there is no usable policy */
	RtlsProbeResult probe; /* what the probe saw */
	CheckHost *probe_host; /* the host that answered it */
	gchar *probe_address;  /* its address */
	RtlsVerifyKind verify; /* how its certificate was checked */
	gchar *probe_tls;      /* TLS version */
	gchar *probe_problem;  /* the probe's error, sanitised later */
	gchar *dnssec_problem; /* libunbound\'s why_bogus of the first bogus answer */
	CheckQuery sts_txt;    /* the _mta-sts TXT query, asked beside the MX query */
	RtlsReadiness verdict; /* the answer */
	GPtrArray *reasons;    /* const char*: its reasons */
} CheckDomain;

static GMutex check_out_lock; /* one record at a time on stdout */

static void
check_host_free (gpointer p)
{
	CheckHost *h = p;
	g_free (h->name);
	if (h->addrs != NULL)
		g_ptr_array_unref (h->addrs);
	if (h->tlsa != NULL)
		g_ptr_array_unref (h->tlsa);
	g_free (h);
}

static void check_dns_drop (CheckDomain *d, CheckQuery *q);

static void
check_domain_free (CheckDomain *d)
{
	if (d->ub != NULL) {
		check_dns_drop (d, &d->sts_txt);
		ub_ctx_delete (d->ub);
	}
	g_free (d->domain);
	g_ptr_array_unref (d->recipients);
	g_ptr_array_unref (d->hosts);
	g_free (d->sts_id);
	g_free (d->sts_problem);
	g_free (d->probe_address);
	g_free (d->probe_tls);
	g_free (d->probe_problem);
	g_free (d->dnssec_problem);
	g_ptr_array_unref (d->reasons);
	g_free (d);
}

static void G_GNUC_PRINTF (2, 3) check_trace (CheckDomain *d, const char *fmt, ...)
{
	va_list ap;
	g_autofree gchar *text = NULL;

	if (!d->opt->verbose)
		return;
	va_start (ap, fmt);
	text = g_strdup_vprintf (fmt, ap);
	va_end (ap);
	g_printerr ("--- %" G_GINT64_FORMAT " ms %s: %s\n",
	            (g_get_monotonic_time () - d->start) / 1000, d->domain, text);
}

/* The end of the current step: its own timeout, within the whole check's. */
static gint64
check_step_end (CheckDomain *d)
{
	return MIN (d->deadline,
	            g_get_monotonic_time () + (gint64) d->opt->timeout * G_USEC_PER_SEC);
}

/* ---- DNS (libunbound) ---- */

static void
check_dns_cb (void *data, int err, struct ub_result *result)
{
	CheckAnswer *a = data;
	a->done = TRUE;
	a->err = err;
	a->result = result;
}

static RtlsDnssec
check_dnssec (const struct ub_result *r)
{
	/* libunbound hands back a bogus answer's data with bogus set: check it first, never
	 * only havedata (RFC 4035 5.5: bogus data is not used) */
	if (r == NULL)
		return RTLS_DNSSEC_FAILED;
	if (r->bogus)
		return RTLS_DNSSEC_BOGUS;
	if (r->rcode != 0 && r->rcode != 3) /* neither NOERROR nor NXDOMAIN: SERVFAIL etc. */
		return RTLS_DNSSEC_FAILED;
	return r->secure ? RTLS_DNSSEC_SECURE : RTLS_DNSSEC_INSECURE;
}

static void
check_note_ttl (CheckDomain *d, const struct ub_result *r)
{
	if (r != NULL && !r->bogus && r->ttl > 0 && (guint32) r->ttl < d->ttl)
		d->ttl = (guint32) r->ttl;
}

static void
check_dns_start (CheckDomain *d, CheckQuery *q, const char *name, int type)
{
	int r;

	memset (q, 0, sizeof *q);
	q->until = check_step_end (d);
	q->name = g_strdup (name);
	q->type = type;
	d->lookups++;
	r = ub_resolve_async (d->ub, name, type, 1 /* IN */, &q->a, check_dns_cb, &q->id);
	if (r != 0) {
		check_trace (d, "DNS %s type %d: %s", name, type, ub_strerror (r));
		q->a.done = TRUE;
		q->a.err = r;
		return;
	}
	q->asked = TRUE;
}

/* Forgets a query that is no longer wanted: its callback is never called after this. */
static void
check_dns_drop (CheckDomain *d, CheckQuery *q)
{
	if (q->asked && !q->a.done)
		ub_cancel (d->ub, q->id);
	if (q->a.done && q->a.result != NULL)
		ub_resolve_free (q->a.result);
	q->asked = FALSE;
	q->a.result = NULL;
	g_clear_pointer (&q->name, g_free);
}

/* Waits for @q within its step's time. The answer (caller frees), or NULL when it timed out
 * or failed. */
static struct ub_result *
check_dns_finish (CheckDomain *d, CheckQuery *q)
{
	struct ub_result *res = NULL;

	while (q->asked && !q->a.done) {
		gint64 left = (q->until - g_get_monotonic_time ()) / 1000;
		struct pollfd pfd = { .fd = ub_fd (d->ub), .events = POLLIN };

		if (left <= 0) {
			check_trace (d, "DNS %s type %d: timed out", q->name, q->type);
			break;
		}
		if (poll (&pfd, 1, (int) MIN (left, 1000)) < 0 && errno != EINTR)
			break;
		if (ub_process (d->ub) != 0)
			break;
	}
	if (q->a.done && q->a.err != 0) {
		check_trace (d, "DNS %s type %d: %s", q->name, q->type, ub_strerror (q->a.err));
	} else if (q->a.done && q->a.result != NULL) {
		check_trace (d, "DNS %s type %d: rcode %d, %s%s%s", q->name, q->type,
		             q->a.result->rcode, q->a.result->havedata ? "data" : "no data",
		             q->a.result->secure ? ", secure" : "",
		             q->a.result->bogus ? ", BOGUS" : "");
		if (q->a.result->bogus && d->dnssec_problem == NULL)
			d->dnssec_problem = g_strdup_printf (
			        "%s type %d: %s", q->name, q->type,
			        q->a.result->why_bogus != NULL ? q->a.result->why_bogus : "bogus");
		res = g_steal_pointer (&q->a.result);
	}
	check_dns_drop (d, q);
	return res;
}

/* One query, bounded by the step's time. NULL when it timed out or failed. */
static struct ub_result *
check_dns (CheckDomain *d, const char *name, int type)
{
	CheckQuery q;

	check_dns_start (d, &q, name, type);
	return check_dns_finish (d, &q);
}

/* A domain name in wire form (RFC 1035 3.1) as a lower-case dotted name without the final
 * dot ("" for the root); NULL if it is malformed or has a byte no host name has. */
static gchar *
check_wire_name (const guchar *p, gsize len, gsize *used)
{
	GString *s = g_string_new (NULL);
	gsize i = 0;

	while (i < len) {
		guint l = p[i++];
		if (l == 0) {
			if (used != NULL)
				*used = i;
			return g_string_free (s, FALSE);
		}
		if (l > 63 || i + l > len)
			break;
		if (s->len > 0)
			g_string_append_c (s, '.');
		for (guint k = 0; k < l; k++) {
			guchar c = p[i + k];
			if (!g_ascii_isalnum (c) && c != '-' && c != '_')
				goto bad;
			g_string_append_c (s, g_ascii_tolower (c));
		}
		i += l;
	}
bad:
	g_string_free (s, TRUE);
	return NULL;
}

static gint
check_host_cmp (gconstpointer a, gconstpointer b)
{
	const CheckHost *x = *(CheckHost *const *) a, *y = *(CheckHost *const *) b;
	return x->pref < y->pref ? -1 : x->pref > y->pref ? 1 : g_strcmp0 (x->name, y->name);
}

static CheckHost *
check_host_new (const char *name, guint pref)
{
	CheckHost *h = g_new0 (CheckHost, 1);
	h->name = g_strdup (name);
	h->pref = pref;
	h->addr_state = RTLS_DNSSEC_FAILED;
	h->dane = RTLS_DANE_NOT_CHECKED;
	h->addrs = g_ptr_array_new_with_free_func (g_free);
	return h;
}

/* Addresses of @name (A, then AAAA): their DNSSEC state and, unless bogus, the literals. */
static RtlsDnssec
check_addresses (CheckDomain *d, const char *name, GPtrArray *out)
{
	static const int types[] = { CHECK_TYPE_A, CHECK_TYPE_AAAA };
	RtlsDnssec state = RTLS_DNSSEC_FAILED;

	for (guint t = 0; t < G_N_ELEMENTS (types); t++) {
		struct ub_result *r = check_dns (d, name, types[t]);
		RtlsDnssec s = check_dnssec (r);

		if (s == RTLS_DNSSEC_BOGUS) {
			ub_resolve_free (r);
			return RTLS_DNSSEC_BOGUS; /* never used */
		}
		/* the weaker of the two answers counts */
		if (state == RTLS_DNSSEC_FAILED || s != RTLS_DNSSEC_SECURE)
			state = s;
		if (r != NULL && s != RTLS_DNSSEC_FAILED && r->havedata) {
			check_note_ttl (d, r);
			for (int i = 0; r->data[i] != NULL; i++) {
				char buf[64];
				int af = types[t] == CHECK_TYPE_A ? AF_INET : AF_INET6;
				if ((af == AF_INET ? r->len[i] == 4 : r->len[i] == 16)
				    && inet_ntop (af, r->data[i], buf, sizeof buf) != NULL)
					g_ptr_array_add (out, g_strdup (buf));
			}
		}
		/* one family is enough to reach it; AAAA only when there is no A, and not
		 * for a name that does not exist */
		if (out->len > 0 || (r != NULL && r->nxdomain)) {
			if (r != NULL)
				ub_resolve_free (r);
			break;
		}
		if (r != NULL)
			ub_resolve_free (r);
	}
	return state;
}

/* RFC 5321 5.1 and RFC 7505: the MX hosts in preference order, or the domain itself. */
static void
check_mx (CheckDomain *d)
{
	struct ub_result *r = check_dns (d, d->domain, CHECK_TYPE_MX);
	RtlsDnssec s = check_dnssec (r);
	gboolean null_mx = FALSE;

	d->f.mx_dnssec = s;
	if (s == RTLS_DNSSEC_BOGUS || s == RTLS_DNSSEC_FAILED) {
		d->f.mx = RTLS_MX_FAILED;
		goto out;
	}
	check_note_ttl (d, r);
	if (r->nxdomain) {
		d->f.mx = RTLS_MX_NONE;
		goto out;
	}
	for (int i = 0; r->havedata && r->data[i] != NULL; i++) {
		const guchar *p = (const guchar *) r->data[i];
		g_autofree gchar *name = NULL;
		guint pref;

		if (r->len[i] < 3)
			continue;
		pref = (guint) p[0] << 8 | p[1];
		name = check_wire_name (p + 2, (gsize) r->len[i] - 2, NULL);
		if (name == NULL)
			continue;
		if (*name == '\0') {
			null_mx = TRUE; /* RFC 7505 3: "MX 0 ." */
			continue;
		}
		g_ptr_array_add (d->hosts, check_host_new (name, pref));
	}
	if (d->hosts->len > 0) {
		/* RFC 7505 3: a null MX beside other records is a mistake; the others count */
		g_ptr_array_sort (d->hosts, check_host_cmp);
		d->f.mx = RTLS_MX_FOUND;
		goto out;
	}
	if (null_mx) {
		d->f.mx = RTLS_MX_NULL;
		goto out;
	}
	/* RFC 5321 5.1: no MX: the domain is its own mail host when it has an address, and
	 * the DNSSEC state of that answer stands for the MX answer's */
	{
		CheckHost *h = check_host_new (d->domain, 0);
		h->addr_state = check_addresses (d, d->domain, h->addrs);
		h->looked_at = TRUE;
		d->f.mx_dnssec = h->addr_state;
		if (h->addr_state == RTLS_DNSSEC_BOGUS || h->addr_state == RTLS_DNSSEC_FAILED) {
			d->f.mx = RTLS_MX_FAILED;
			check_host_free (h);
		} else if (h->addrs->len == 0) {
			d->f.mx = RTLS_MX_NONE;
			check_host_free (h);
		} else {
			d->f.mx = RTLS_MX_FALLBACK;
			g_ptr_array_add (d->hosts, h);
		}
	}
out:
	if (r != NULL)
		ub_resolve_free (r);
}

/* ---- MTA-STS (RFC 8461) ---- */

typedef struct {
	GByteArray *body;
	gboolean too_big;
} CheckBody;

static size_t
check_curl_write (char *ptr, size_t size, size_t nmemb, void *data)
{
	CheckBody *b = data;
	gsize n = size * nmemb;

	if (b->body->len + n > CHECK_POLICY_MAX) {
		b->too_big = TRUE;
		return 0; /* stops the transfer */
	}
	g_byte_array_append (b->body, (const guint8 *) ptr, (guint) n);
	return n;
}

static void
check_sts_problem (CheckDomain *d, RtlsStsState state, const char *problem)
{
	d->f.sts = state;
	g_free (d->sts_problem);
	d->sts_problem = g_strdup (problem);
	check_trace (d, "MTA-STS: %s (%s)", rtls_sts_state_name (state), problem);
}

/* RFC 8461 3.3: GET https://mta-sts.DOMAIN/.well-known/mta-sts.txt, the certificate
 * verified for that name, no redirect, 200, text/plain, at most 64 KiB. The policy host's
 * address comes from our resolver (a bogus answer is not used). */
static void
check_policy (CheckDomain *d)
{
	g_autofree gchar *host = g_strconcat ("mta-sts.", d->domain, NULL);
	g_autoptr (GPtrArray) addrs = g_ptr_array_new_with_free_func (g_free);
	g_autofree gchar *url = NULL, *resolve = NULL;
	g_autoptr (GByteArray) body = g_byte_array_new ();
	g_autoptr (RtlsStsPolicy) policy = NULL;
	struct curl_slist *resolve_list = NULL;
	CheckBody cb = { body, FALSE };
	RtlsDnssec s = check_addresses (d, host, addrs);
	char errbuf[CURL_ERROR_SIZE] = "";
	const char *why = NULL;
	gint64 left_ms;
	long code = 0;
	char *ctype = NULL;
	CURLcode rc;
	CURL *curl;

	if (s == RTLS_DNSSEC_BOGUS || s == RTLS_DNSSEC_FAILED) {
		check_sts_problem (d, RTLS_STS_FAILED,
		                   s == RTLS_DNSSEC_BOGUS
		                           ? "the policy host's address is bogus"
		                           : "the policy host's address lookup failed");
		return;
	}
	if (addrs->len == 0) {
		check_sts_problem (d, RTLS_STS_UNUSABLE, "the policy host has no address");
		return;
	}
	if (d->opt->policy_port == 443)
		url = g_strdup_printf ("https://%s/.well-known/mta-sts.txt", host);
	else
		url = g_strdup_printf ("https://%s:%d/.well-known/mta-sts.txt", host,
		                       d->opt->policy_port);
	{
		const char *a = g_ptr_array_index (addrs, 0);
		gboolean v6 = strchr (a, ':') != NULL;
		resolve = g_strdup_printf ("%s:%d:%s%s%s", host, d->opt->policy_port, v6 ? "[" : "",
		                           a, v6 ? "]" : "");
	}
	resolve_list = curl_slist_append (NULL, resolve);
	left_ms = (check_step_end (d) - g_get_monotonic_time ()) / 1000;
	curl = curl_easy_init ();
	if (curl == NULL || resolve_list == NULL || left_ms <= 0) {
		check_sts_problem (d, RTLS_STS_FAILED, "no time or memory left for the policy");
		curl_slist_free_all (resolve_list);
		if (curl != NULL)
			curl_easy_cleanup (curl);
		return;
	}
	d->lookups++;
	curl_easy_setopt (curl, CURLOPT_URL, url);
	curl_easy_setopt (curl, CURLOPT_RESOLVE, resolve_list);
	curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt (curl, CURLOPT_FOLLOWLOCATION, 0L); /* 3.3: no 3xx is followed */
	curl_easy_setopt (curl, CURLOPT_PROXY, "");    /* the address is ours, not a proxy's */
	curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L); /* threads */
	curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long) left_ms);
	curl_easy_setopt (curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt (curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt (curl, CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
	if (d->opt->ca_file != NULL) {
		/* these CAs only: not also the system's directory (Debian's libcurl-gnutls is
		 * built with --with-ca-path=/etc/ssl/certs), which it would parse for every
		 * fetch, some 150 certificates, 30 ms of CPU each time */
		curl_easy_setopt (curl, CURLOPT_CAINFO, d->opt->ca_file);
		curl_easy_setopt (curl, CURLOPT_CAPATH, NULL);
	}
	curl_easy_setopt (curl, CURLOPT_MAXFILESIZE, (long) CHECK_POLICY_MAX);
	curl_easy_setopt (curl, CURLOPT_USERAGENT, "requiretls-submit/" RTLS_VERSION);
	curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, check_curl_write);
	curl_easy_setopt (curl, CURLOPT_WRITEDATA, &cb);
	curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_easy_perform (curl);
	curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo (curl, CURLINFO_CONTENT_TYPE, &ctype);
	check_trace (d, "GET %s: %s, HTTP %ld, %s, %u bytes", url, curl_easy_strerror (rc), code,
	             ctype != NULL ? ctype : "no type", body->len);
	if (cb.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		check_sts_problem (d, RTLS_STS_UNUSABLE, "the policy is larger than 64 KiB");
	} else if (rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_COULDNT_CONNECT
	           || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_RECV_ERROR
	           || rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING) {
		g_autofree gchar *p
		        = g_strdup_printf ("the policy could not be fetched: %s",
		                           errbuf[0] ? errbuf : curl_easy_strerror (rc));
		check_sts_problem (d, RTLS_STS_FAILED, p);
	} else if (rc != CURLE_OK) {
		/* a certificate that does not verify and every other refusal: no policy (3.3) */
		g_autofree gchar *p = g_strdup_printf (
		        "the policy was refused: %s", errbuf[0] ? errbuf : curl_easy_strerror (rc));
		check_sts_problem (d, RTLS_STS_UNUSABLE, p);
	} else if (code != 200) {
		/* 3.3: only 200 counts; a 3xx redirect is never followed */
		g_autofree gchar *p
		        = g_strdup_printf ("the policy host answered HTTP %ld%s", code,
		                           code >= 300 && code < 400 ? " (a redirect)" : "");
		check_sts_problem (d, RTLS_STS_UNUSABLE, p);
	} else if (!rtls_mta_sts_content_type_ok (ctype)) {
		g_autofree gchar *p = g_strdup_printf ("the policy is not text/plain but %s",
		                                       ctype != NULL ? ctype : "untyped");
		check_sts_problem (d, RTLS_STS_UNUSABLE, p);
	} else if ((policy = rtls_mta_sts_policy_parse ((const char *) body->data, body->len, &why))
	           == NULL) {
		g_autofree gchar *p = g_strdup_printf ("the policy is invalid: %s", why);
		check_sts_problem (d, RTLS_STS_UNUSABLE, p);
	} else {
		d->f.sts = policy->mode;
		d->sts_max_age = policy->max_age;
		d->f.sts_mx_match = FALSE;
		for (guint i = 0; i < d->hosts->len; i++) {
			CheckHost *h = g_ptr_array_index (d->hosts, i);
			d->f.sts_mx_match
			        = d->f.sts_mx_match || rtls_mta_sts_mx_match (policy, h->name);
		}
		if (policy->mode == RTLS_STS_ENFORCE) {
			/* RFC 8461 5: in enforce mode only matching hosts are candidates */
			for (guint i = 0; i < d->hosts->len; i++) {
				CheckHost *h = g_ptr_array_index (d->hosts, i);
				h->outside_policy = !rtls_mta_sts_mx_match (policy, h->name);
			}
			if (!d->f.sts_mx_match)
				check_sts_problem (d, RTLS_STS_ENFORCE,
				                   "no MX host matches the policy's mx patterns");
		}
	}
	curl_slist_free_all (resolve_list);
	curl_easy_cleanup (curl);
}

/* RFC 8461 3.1: the _mta-sts TXT record; a policy only where one valid record says so. */
static void
check_mta_sts (CheckDomain *d)
{
	struct ub_result *r = check_dns_finish (d, &d->sts_txt);
	RtlsDnssec s = check_dnssec (r);
	g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GArray) lens = g_array_new (FALSE, FALSE, sizeof (gsize));

	d->sts_checked = TRUE;
	if (s == RTLS_DNSSEC_BOGUS || s == RTLS_DNSSEC_FAILED) {
		check_sts_problem (d, RTLS_STS_FAILED,
		                   s == RTLS_DNSSEC_BOGUS ? "the _mta-sts TXT answer is bogus"
		                                          : "the _mta-sts TXT lookup failed");
		goto out;
	}
	for (int i = 0; r->havedata && r->data[i] != NULL; i++) {
		/* 3.1: the strings of one record are concatenated without spaces */
		const guchar *p = (const guchar *) r->data[i];
		GString *t = g_string_new (NULL);
		gsize at = 0, len = (gsize) r->len[i];
		while (at < len) {
			gsize l = p[at++];
			if (at + l > len)
				break;
			g_string_append_len (t, (const char *) p + at, (gssize) l);
			at += l;
		}
		g_array_append_val (lens, t->len);
		g_ptr_array_add (texts, g_string_free (t, FALSE));
	}
	d->sts_id = rtls_mta_sts_txt_parse ((const char *const *) texts->pdata,
	                                    (const gsize *) (gpointer) lens->data, texts->len);
	if (d->sts_id == NULL) {
		check_sts_problem (d, RTLS_STS_ABSENT,
		                   texts->len > 0 ? "no valid _mta-sts TXT record"
		                                  : "no _mta-sts TXT record");
		goto out;
	}
	check_note_ttl (d, r);
	check_policy (d);
out:
	if (r != NULL)
		ub_resolve_free (r);
}

/* ---- DANE (RFC 7672) ---- */

static void
check_tlsa (CheckDomain *d, CheckHost *h)
{
	g_autofree gchar *name = g_strdup_printf ("_25._tcp.%s", h->name);
	struct ub_result *r = check_dns (d, name, CHECK_TYPE_TLSA);
	RtlsDnssec s = check_dnssec (r);

	h->tlsa = g_ptr_array_new_with_free_func ((GDestroyNotify) rtls_tlsa_free);
	if (s == RTLS_DNSSEC_BOGUS)
		h->dane = RTLS_DANE_BOGUS;
	else if (s == RTLS_DNSSEC_FAILED)
		h->dane = RTLS_DANE_FAILED;
	else if (s == RTLS_DNSSEC_INSECURE || !r->havedata)
		/* 2.2: TLSA records under an insecure answer are ignored */
		h->dane = RTLS_DANE_NONE;
	else {
		check_note_ttl (d, r);
		for (int i = 0; r->data[i] != NULL; i++) {
			const guchar *p = (const guchar *) r->data[i];
			gsize len = (gsize) r->len[i];
			if (len < 4 || !rtls_dane_tlsa_usable (p[0], p[1], p[2], len - 3))
				continue;
			RtlsTlsa *t = g_new0 (RtlsTlsa, 1);
			t->usage = p[0];
			t->selector = p[1];
			t->mtype = p[2];
			t->data = g_bytes_new (p + 3, len - 3);
			g_ptr_array_add (h->tlsa, t);
		}
		h->dane = h->tlsa->len > 0 ? RTLS_DANE_USABLE : RTLS_DANE_UNUSABLE;
	}
	if (r != NULL)
		ub_resolve_free (r);
}

/* The hosts a sender would use, best first: addresses (for the probe, and for DANE: 2.2.2
 * looks for TLSA only where the address answer is secure too) and TLSA records. */
static void
check_hosts (CheckDomain *d)
{
	gboolean mx_secure = d->f.mx_dnssec == RTLS_DNSSEC_SECURE;

	guint n = 0;

	d->f.dane = RTLS_DANE_NOT_CHECKED;
	for (guint i = 0; i < d->hosts->len && n < CHECK_MAX_HOSTS; i++) {
		CheckHost *h = g_ptr_array_index (d->hosts, i);

		if (h->outside_policy)
			continue;

		/* an insecure MX matters only when an enforced policy validates it (RFC 8689
		 * 4.2.1 step 2), and then only for the probe */
		if (!mx_secure
		    && !(d->opt->probe && d->f.sts == RTLS_STS_ENFORCE && d->f.sts_mx_match))
			break;
		if (!h->looked_at) {
			h->addr_state = check_addresses (d, h->name, h->addrs);
			h->looked_at = TRUE;
		}
		if (mx_secure && h->addr_state == RTLS_DNSSEC_SECURE)
			check_tlsa (d, h);
		/* the domain's DANE state is that of its most preferred candidate */
		if (n++ == 0)
			d->f.dane = h->dane;
	}
}

/* ---- the probe (port 25) ---- */

static RtlsProbeResult
check_probe_one (CheckDomain *d, CheckHost *h, const char *address)
{
	g_autoptr (RtlsParams) p = g_new0 (RtlsParams, 1);
	g_autoptr (GError) error = NULL;
	g_autofree gchar *pin = NULL;
	gboolean offers = FALSE;
	gint64 left = (d->deadline - g_get_monotonic_time ()) / G_USEC_PER_SEC;
	RtlsOutcome out;
	RtlsProbeResult res;

	if (left < 1)
		return RTLS_PROBE_TIMEOUT;
	p->host = g_strdup (h->name);
	p->connect_address = g_strdup (address);
	p->port = (guint) d->opt->probe_port;
	p->starttls = TRUE; /* RFC 3207 on port 25 */
	p->ca_file = g_strdup (d->opt->ca_file);
	p->timeout = (guint) d->opt->timeout;
	p->max_time = (guint) left;
	p->helo = g_strdup (d->opt->helo);
	p->verbose = d->opt->verbose;
	p->password_fd = -1;
	p->status_fd = -1;
	if (h->dane == RTLS_DANE_USABLE)
		p->tlsa = g_ptr_array_ref (h->tlsa);
	rtls_outcome_init (&out);
	d->lookups++;
	check_trace (d, "probe %s [%s] port %u", h->name, address, p->port);
	if (rtls_smtp_probe (p, &out, &pin, &offers, &error)) {
		res = offers ? RTLS_PROBE_OFFERED : RTLS_PROBE_NOT_OFFERED;
	} else if (g_error_matches (error, RTLS_ERROR, RTLS_ERROR_CERT)) {
		res = g_strcmp0 (out.cert_problem, "dane") == 0 ? RTLS_PROBE_DANE_MISMATCH
		                                                : RTLS_PROBE_CERT;
	} else if (g_error_matches (error, RTLS_ERROR, RTLS_ERROR_TLS)) {
		res = RTLS_PROBE_TLS_FAILED;
	} else if (g_error_matches (error, RTLS_ERROR, RTLS_ERROR_UNSUPPORTED)
	           && out.stage == RTLS_STAGE_STARTTLS) {
		res = RTLS_PROBE_NO_STARTTLS;
	} else if ((g_error_matches (error, RTLS_ERROR, RTLS_ERROR_CONNECT)
	            || g_error_matches (error, RTLS_ERROR, RTLS_ERROR_NOHOST))
	           && out.stage == RTLS_STAGE_CONNECT) {
		res = RTLS_PROBE_UNREACHABLE;
	} else if (g_error_matches (error, RTLS_ERROR, RTLS_ERROR_CONNECT)) {
		res = RTLS_PROBE_TIMEOUT; /* connected, then silence or a lost connection */
	} else {
		res = RTLS_PROBE_FAILED;
	}
	g_free (d->probe_tls);
	d->probe_tls = g_strdup (out.tls_version);
	g_free (d->probe_problem);
	d->probe_problem = error != NULL ? g_strdup (error->message) : NULL;
	d->verify = p->tlsa != NULL                ? RTLS_VERIFY_DANE
	            : d->f.sts == RTLS_STS_ENFORCE ? RTLS_VERIFY_MTA_STS
	                                           : RTLS_VERIFY_WEBPKI;
	check_trace (d, "probe %s: %s%s%s", h->name, rtls_probe_result_name (res),
	             error != NULL ? ": " : "", error != NULL ? error->message : "");
	rtls_outcome_clear (&out);
	return res;
}

/* RFC 8689 4.2.1: the hosts in preference order until one gives an answer about TLS and
 * REQUIRETLS; hosts that cannot be reached leave the answer to the next. */
static void
check_probe (CheckDomain *d)
{
	guint n = 0;

	d->probe = RTLS_PROBE_NOT_RUN;
	for (guint i = 0; i < d->hosts->len && n < CHECK_MAX_HOSTS; i++) {
		CheckHost *h = g_ptr_array_index (d->hosts, i);

		if (h->outside_policy || !h->looked_at)
			continue;
		n++;
		/* a bogus TLSA answer makes the host unusable (RFC 7672 2.2) */
		if (h->dane == RTLS_DANE_BOGUS || h->dane == RTLS_DANE_FAILED)
			continue;
		for (guint k = 0; k < h->addrs->len && k < CHECK_MAX_ADDRS; k++) {
			const char *a = g_ptr_array_index (h->addrs, k);
			d->probe = check_probe_one (d, h, a);
			d->probe_host = h;
			g_free (d->probe_address);
			d->probe_address = g_strdup (a);
			if (d->probe != RTLS_PROBE_UNREACHABLE && d->probe != RTLS_PROBE_TIMEOUT
			    && d->probe != RTLS_PROBE_FAILED && d->probe != RTLS_PROBE_TLS_FAILED)
				return;
			if (g_get_monotonic_time () >= d->deadline)
				return;
		}
	}
}

/* ---- one domain ---- */

/* Sets up @ub to ask the forwarder of @o's mode, or with @recursive from the root (the root
 * hints of dns-root-data; --stub-zone for tests), with @o's trust anchors. 0 or libunbound's error,
 * @what naming the option it comes from. */
static int
check_ub_configure (struct ub_ctx *ub, const CheckOptions *o, gboolean recursive, const char **what)
{
	int r = 0;

	*what = "--resolver";
	if (!recursive && o->mode == CHECK_RESOLVER_ADDR) {
		r = ub_ctx_set_fwd (ub, o->resolver);
	} else if (!recursive) {
		/* none there: libunbound recurses itself */
		(void) ub_ctx_resolvconf (ub, NULL);
	} else if (o->stub_zone != NULL) {
		/* the tests' authoritative server for their zones, asked without recursion as a
		 * delegation would have it (not "." itself: the root is primed from the server's
		 * own NS and glue, and glue has no port), on 127.0.0.1, which libunbound does not
		 * ask unless told */
		const char *eq = strchr (o->stub_zone, '=');
		g_autofree gchar *zone
		        = eq != NULL ? g_strndup (o->stub_zone, (gsize) (eq - o->stub_zone)) : NULL;

		*what = "--stub-zone";
		r = zone == NULL || *zone == '\0' ? UB_SYNTAX : 0;
		if (r == 0)
			r = ub_ctx_set_option (ub, "do-not-query-localhost:", "no");
		if (r == 0)
			r = ub_ctx_set_stub (ub, zone, eq + 1, 0);
	} else if (g_file_test (CHECK_ROOT_HINTS, G_FILE_TEST_IS_REGULAR)) {
		/* dns-root-data's copy is kept current; libunbound's built-in one otherwise */
		r = ub_ctx_set_option (ub, "root-hints:", CHECK_ROOT_HINTS);
	}
	if (r == 0) {
		*what = "--trust-anchor";
		r = ub_ctx_add_ta_file (ub, o->trust_anchor);
	}
	return r;
}

static gboolean
check_setup_resolver (CheckDomain *d, GError **error)
{
	const char *what;
	int r;

	d->ub = ub_ctx_create ();
	if (d->ub == NULL) {
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_FAILED, "libunbound: out of memory");
		return FALSE;
	}
	/* results in a thread of libunbound's, never a forked process of a threaded one */
	ub_ctx_async (d->ub, 1);
	r = check_ub_configure (d->ub, d->opt, d->opt->mode == CHECK_RESOLVER_RECURSIVE, &what);
	if (r != 0) {
		/* checked before the domains: only out of memory and the like come here */
		g_set_error (error, RTLS_ERROR, RTLS_ERROR_CONFIG, "%s: %s", what, ub_strerror (r));
		return FALSE;
	}
	return TRUE;
}

static CheckDomain *
check_domain_new (const CheckOptions *o, const char *domain, gint64 start)
{
	CheckDomain *d = g_new0 (CheckDomain, 1);
	d->opt = o;
	d->domain = g_strdup (domain);
	d->recipients = g_ptr_array_new_with_free_func (g_free);
	d->hosts = g_ptr_array_new_with_free_func (check_host_free);
	d->reasons = g_ptr_array_new ();
	d->start = start;
	d->deadline = start + (gint64) o->max_time * G_USEC_PER_SEC;
	return d;
}

/* ---- who answers: the forwarder, or recursion from the root ---- */

/* The owner names of the trust anchor file's DS and DNSKEY records ("." for Debian's root
 * key; the test zones' names in the tests): the points where every chain of trust starts. */
static GPtrArray *
check_anchor_names (const char *file)
{
	GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
	g_autofree gchar *text = NULL;
	g_auto (GStrv) lines = NULL;

	if (g_file_get_contents (file, &text, NULL, NULL))
		lines = g_strsplit (text, "\n", -1);
	for (guint i = 0; lines != NULL && lines[i] != NULL; i++) {
		g_auto (GStrv) f = NULL;
		gboolean anchor = FALSE;
		gchar *name;
		gsize len;

		/* comments, directives and continued lines name no new owner */
		if (lines[i][0] == ';' || lines[i][0] == '$' || lines[i][0] == '\0'
		    || g_ascii_isspace (lines[i][0]))
			continue;
		f = g_strsplit_set (lines[i], " \t\r", 6);
		for (guint k = 1; f[k] != NULL && k < 5; k++)
			anchor = anchor || g_ascii_strcasecmp (f[k], "DS") == 0
			         || g_ascii_strcasecmp (f[k], "DNSKEY") == 0;
		if (!anchor)
			continue;
		name = g_ascii_strdown (f[0], -1);
		len = strlen (name);
		if (len > 1 && name[len - 1] == '.')
			name[len - 1] = '\0';
		for (guint k = 0; k < names->len && name != NULL; k++)
			if (strcmp (g_ptr_array_index (names, k), name) == 0)
				g_clear_pointer (&name, g_free);
		if (name != NULL && names->len < CHECK_MAX_ANCHORS)
			g_ptr_array_add (names, name);
		else
			g_free (name);
	}
	if (names->len == 0)
		g_ptr_array_add (names, g_strdup ("."));
	return names;
}

/* Asks @d's resolver for the DNSKEY records of every trust anchor, all at once: the first
 * link of every chain of trust. The worst state of the answers; the why of the first bogus
 * one in d->dnssec_problem. */
static RtlsDnssec
check_anchor_state (CheckDomain *d, GPtrArray *anchors)
{
	CheckQuery q[CHECK_MAX_ANCHORS];
	RtlsDnssec worst = RTLS_DNSSEC_SECURE;

	for (guint i = 0; i < anchors->len; i++)
		check_dns_start (d, &q[i], g_ptr_array_index (anchors, i), CHECK_TYPE_DNSKEY);
	for (guint i = 0; i < anchors->len; i++) {
		struct ub_result *r = check_dns_finish (d, &q[i]);
		RtlsDnssec s = check_dnssec (r);
		/* bogus before failed before insecure */
		if (s == RTLS_DNSSEC_BOGUS
		    || (s == RTLS_DNSSEC_FAILED && worst != RTLS_DNSSEC_BOGUS)
		    || (s == RTLS_DNSSEC_INSECURE && worst == RTLS_DNSSEC_SECURE))
			worst = s;
		if (r != NULL)
			ub_resolve_free (r);
	}
	return worst;
}

/*
 * Once a run, before any recipient domain is asked about: can the forwarder carry DNSSEC?
 * A forwarder that strips RRSIGs, drops the DO bit or answers without EDNS (many home
 * routers) makes every answer under the trust anchor bogus, and so every verdict unknown.
 * That shows at the trust anchor itself: its DNSKEY RRset (". DNSKEY" for the root) does
 * not validate against the anchor (libunbound: "no DNSKEY rrset ... for trust anchor", "no
 * signatures"). Then, and only then, every domain of this run is asked by recursion from
 * the root instead, validating against the same anchor.
 *
 * Why the anchor and never the domain: RFC 4035 4.3 calls an answer bogus when the
 * resolver "believes that it ought to be able to establish a chain of trust but ... is
 * unable to do so", which "may indicate an attack", and 5.5 says such data is not used.
 * A bogus answer for one domain under a forwarder whose anchor validates is exactly that:
 * the chain breaks inside that domain's part of the tree, and it stays bogus here. Asking
 * elsewhere whenever one answer fails would make the check as strong as the weakest of
 * the paths tried rather than the one chosen: whoever forges or breaks that domain's
 * answers on one path gets it re-asked, over port 53 in the clear, at servers and on paths
 * of their choosing, until some path (another validator's algorithm support or anchor
 * set, an unsigned delegation it is shown) no longer calls it bogus; and what decides
 * which resolver is believed would be the very data under attack. The anchor's DNSKEY
 * names no recipient and is the same for everyone: an attacker who breaks it can only
 * move the whole run to recursion, which validates against the same anchor and so lets
 * no forged answer pass either (RFC 4035 5: secure only by a chain from a trust anchor).
 */
static void
check_choose_resolver (CheckOptions *o, gint64 start)
{
	g_autoptr (GPtrArray) anchors = check_anchor_names (o->trust_anchor);
	CheckDomain *d = check_domain_new (o, "resolver", start);
	g_autofree gchar *who = o->mode == CHECK_RESOLVER_ADDR
	                                ? g_strdup_printf ("the resolver %s", o->resolver)
	                                : g_strdup ("the resolver of /etc/resolv.conf");
	g_autofree gchar *first = NULL;
	const char *what;
	RtlsDnssec s;

	d->ub = ub_ctx_create ();
	if (d->ub == NULL)
		goto out;
	ub_ctx_async (d->ub, 1);
	if (o->mode != CHECK_RESOLVER_RECURSIVE) {
		if (check_ub_configure (d->ub, o, FALSE, &what) != 0)
			goto out;
		s = check_anchor_state (d, anchors);
		if (s != RTLS_DNSSEC_BOGUS) {
			/* a forwarder that answers nothing in time is not a reason to go around
			 * it: its failures are said per domain, as before */
			check_trace (d, "%s carries DNSSEC (%s)", who, rtls_dnssec_name (s));
			goto out;
		}
		first = g_strdup_printf ("%s does not pass DNSSEC (%s)", who,
		                         d->dnssec_problem != NULL ? d->dnssec_problem : "bogus");
		g_clear_pointer (&d->dnssec_problem, g_free);
		check_trace (d, "%s: asking from the root instead", first);
		o->mode = CHECK_RESOLVER_RECURSIVE;
		o->resolver_problem = g_strdup (first);
		/* the same anchor, asked by recursion: does the fallback work at all? */
		ub_ctx_delete (d->ub);
		d->ub = ub_ctx_create ();
		if (d->ub == NULL)
			goto out;
		ub_ctx_async (d->ub, 1);
		if (check_ub_configure (d->ub, o, TRUE, &what) != 0)
			goto out;
		s = check_anchor_state (d, anchors);
		g_free (o->resolver_problem);
		if (s == RTLS_DNSSEC_SECURE) {
			o->resolver_problem = g_strdup_printf (
			        "%s, so this check asked the DNS servers directly, from the root",
			        first);
		} else {
			o->resolver_dead = TRUE;
			o->resolver_problem = g_strdup_printf (
			        "%s, and asking the DNS servers directly from the root failed too "
			        "(%s): is port 53 blocked on this network, or does something on it "
			        "rewrite DNS?",
			        first, d->dnssec_problem != NULL ? d->dnssec_problem : "no answer");
		}
		check_trace (d, "%s", o->resolver_problem);
	}
out:
	check_domain_free (d);
}

static void
check_domain_run (CheckDomain *d)
{
	g_autoptr (GError) error = NULL;

	d->ttl = CHECK_TTL_MAX;
	d->f.sts = RTLS_STS_ABSENT;
	d->f.dane = RTLS_DANE_NOT_CHECKED;
	d->probe = RTLS_PROBE_NOT_RUN;
	if (d->opt->resolver_dead) {
		/* the forwarder strips DNSSEC and recursion fails: nothing to ask (the record's
		 * resolver-problem says why) */
		d->f.mx = RTLS_MX_FAILED;
		d->f.mx_dnssec = RTLS_DNSSEC_FAILED;
		goto verdict;
	}
	if (!check_setup_resolver (d, &error)) {
		d->f.mx = RTLS_MX_FAILED;
		d->f.mx_dnssec = RTLS_DNSSEC_FAILED;
		d->probe_problem = g_strdup (error->message);
		goto verdict;
	}
	{
		/* RFC 8461 3.1 does not depend on the MX: both questions at once */
		g_autofree gchar *txt = g_strconcat ("_mta-sts.", d->domain, NULL);
		check_dns_start (d, &d->sts_txt, txt, CHECK_TYPE_TXT);
	}
	check_mx (d);
	/* a bogus or missing answer is not used: nothing below would change the verdict */
	if (d->f.mx != RTLS_MX_FOUND && d->f.mx != RTLS_MX_FALLBACK) {
		check_dns_drop (d, &d->sts_txt);
		goto verdict;
	}
	check_mta_sts (d);
	check_hosts (d);
	if (d->opt->probe) {
		/* only where DNS and the policy leave the answer open: a domain that will bounce
		 * anyway is not connected to (nor told that someone checked it) */
		g_autoptr (GPtrArray) before = g_ptr_array_new ();
		RtlsReadinessFacts f = d->f;
		f.probe = RTLS_PROBE_NOT_RUN;
		f.history_delivered = FALSE;
		if (rtls_readiness_verdict (&f, before) == RTLS_READINESS_UNKNOWN
		    && strcmp (g_ptr_array_index (before, before->len - 1), "not-probed") == 0)
			check_probe (d);
	}
	d->f.probe = d->probe;
verdict:
	d->verdict = rtls_readiness_verdict (&d->f, d->reasons);
	if (d->verdict == RTLS_READINESS_UNKNOWN)
		d->ttl = MIN (d->ttl, CHECK_TTL_UNKNOWN);
}

/* ---- the record ---- */

static gchar *
check_record (const CheckDomain *d)
{
	GString *s = g_string_new (NULL);
	g_autofree gchar *num = NULL;

	rtls_status_add (s, "domain", d->domain);
	for (guint i = 0; i < d->recipients->len; i++)
		rtls_status_add (s, "recipient", g_ptr_array_index (d->recipients, i));
	rtls_status_add (s, "verdict", rtls_readiness_name (d->verdict));
	for (guint i = 0; i < d->reasons->len; i++)
		rtls_status_add (s, "reason", g_ptr_array_index (d->reasons, i));
	rtls_status_add (s, "mx-kind", rtls_mx_kind_name (d->f.mx));
	rtls_status_add (s, "mx-dnssec", rtls_dnssec_name (d->f.mx_dnssec));
	rtls_status_add (s, "dnssec-problem", d->dnssec_problem);
	rtls_status_add (s, "resolver",
	                 d->opt->mode == CHECK_RESOLVER_RECURSIVE ? "recursive"
	                 : d->opt->mode == CHECK_RESOLVER_ADDR    ? d->opt->resolver
	                                                          : "system");
	rtls_status_add (s, "resolver-problem", d->opt->resolver_problem);
	for (guint i = 0; i < d->hosts->len; i++) {
		const CheckHost *h = g_ptr_array_index (d->hosts, i);
		g_autofree gchar *line = g_strdup_printf (
		        "%u %s%s", h->pref, h->name, h->outside_policy ? " outside-policy" : "");
		rtls_status_add (s, "mx", line);
	}
	for (guint i = 0; i < d->hosts->len; i++) {
		const CheckHost *h = g_ptr_array_index (d->hosts, i);
		g_autofree gchar *line = NULL;
		if (!h->looked_at)
			continue;
		line = g_strdup_printf ("%s %s %s", h->name, rtls_dnssec_name (h->addr_state),
		                        rtls_dane_state_name (h->dane));
		rtls_status_add (s, "mx-host", line);
	}
	rtls_status_add (s, "mta-sts",
	                 d->sts_checked ? rtls_sts_state_name (d->f.sts) : "not-checked");
	rtls_status_add (s, "mta-sts-id", d->sts_id);
	if (d->f.sts == RTLS_STS_ENFORCE || d->f.sts == RTLS_STS_TESTING
	    || d->f.sts == RTLS_STS_NONE) {
		num = g_strdup_printf ("%u", d->sts_max_age);
		rtls_status_add (s, "mta-sts-max-age", num);
		g_clear_pointer (&num, g_free);
		rtls_status_add (s, "mta-sts-mx-match", d->f.sts_mx_match ? "yes" : "no");
	}
	rtls_status_add (s, "mta-sts-problem", d->sts_problem);
	rtls_status_add (s, "dane", rtls_dane_state_name (d->f.dane));
	rtls_status_add (s, "probe", rtls_probe_result_name (d->probe));
	if (d->probe_host != NULL) {
		rtls_status_add (s, "probe-host", d->probe_host->name);
		rtls_status_add (s, "probe-address", d->probe_address);
		rtls_status_add (s, "probe-verify", rtls_verify_kind_name (d->verify));
		rtls_status_add (s, "probe-tls-version", d->probe_tls);
	}
	rtls_status_add (s, "probe-problem", d->probe_problem);
	num = g_strdup_printf ("%u", d->ttl);
	rtls_status_add (s, "ttl", num);
	g_clear_pointer (&num, g_free);
	num = g_strdup_printf ("%u", d->lookups);
	rtls_status_add (s, "lookups", num);
	g_clear_pointer (&num, g_free);
	num = g_strdup_printf ("%" G_GINT64_FORMAT, (g_get_monotonic_time () - d->start) / 1000);
	rtls_status_add (s, "elapsed-ms", num);
	g_string_append_c (s, '\n'); /* an empty line ends the record */
	return g_string_free (s, FALSE);
}

static gpointer
check_thread (gpointer data)
{
	CheckDomain *d = data;
	g_autofree gchar *rec = NULL;

	check_domain_run (d);
	rec = check_record (d);
	g_mutex_lock (&check_out_lock);
	fputs (rec, stdout);
	fflush (stdout);
	g_mutex_unlock (&check_out_lock);
	return NULL;
}

/* ---- the command line ---- */

gboolean
rtls_check_wanted (int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp (argv[i], "--") == 0)
			return FALSE;
		if (strcmp (argv[i], "--check") == 0)
			return TRUE;
	}
	return FALSE;
}

/* ADDRESS or DOMAIN -> the domain as an A-label in lower case; NULL if it is none. */
static gchar *
check_domain_of (const char *arg)
{
	const char *at = strrchr (arg, '@');
	g_autofree gchar *raw = g_strdup (at != NULL ? at + 1 : arg);
	g_autofree gchar *ascii = NULL;
	gsize len;

	g_strstrip (raw);
	len = strlen (raw);
	if (len > 0 && raw[len - 1] == '>')
		raw[--len] = '\0';
	if (len > 0 && raw[len - 1] == '.')
		raw[--len] = '\0';
	if (len == 0 || raw[0] == '[') /* an address literal has no MX */
		return NULL;
	ascii = g_hostname_to_ascii (raw);
	if (ascii == NULL || strlen (ascii) > 253)
		return NULL;
	for (const char *p = ascii; *p; p++)
		if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.')
			return NULL;
	if (strstr (ascii, "..") != NULL || ascii[0] == '.' || ascii[0] == '-')
		return NULL;
	return g_ascii_strdown (ascii, -1);
}

static void
check_options_clear (CheckOptions *o)
{
	g_free (o->resolver);
	g_free (o->stub_zone);
	g_free (o->resolver_problem);
	g_free (o->trust_anchor);
	g_free (o->ca_file);
	g_free (o->helo);
	g_strfreev (o->args);
}

int
rtls_check_main (int argc, char **argv)
{
	CheckOptions o = { .probe_port = 25, .policy_port = 443, .timeout = 5, .max_time = 15 };
	GOptionEntry entries[] = {
		{ "check", 0, 0, G_OPTION_ARG_NONE, &o.check,
		  N_ ("Check whether REQUIRETLS can reach these recipients; send nothing"), NULL },
		{ "probe", 0, 0, G_OPTION_ARG_NONE, &o.probe,
		  N_ ("Also connect to their mail servers on port 25 (EHLO, STARTTLS, EHLO, QUIT; "
		      "never MAIL)"),
		  NULL },
		{ "resolver", 0, 0, G_OPTION_ARG_STRING, &o.resolver,
		  N_ ("Who answers DNS: “system” (those in /etc/resolv.conf; from the root "
		      "when they strip DNSSEC), “recursive” (from the root) or a resolver ADDR or "
		      "ADDR@PORT"),
		  N_ ("system|recursive|ADDR") },
		{ "stub-zone", 0, 0, G_OPTION_ARG_STRING, &o.stub_zone,
		  N_ ("Recursion asks this server (ADDR or ADDR@PORT) for ZONE and the names "
		      "below it instead of starting at the root (for tests)"),
		  N_ ("ZONE=ADDR") },
		{ "trust-anchor", 0, 0, G_OPTION_ARG_FILENAME, &o.trust_anchor,
		  N_ ("DNSSEC trust anchors (DS or DNSKEY records) instead of "
		      "/usr/share/dns/root.key"),
		  N_ ("FILE") },
		{ "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &o.ca_file,
		  N_ ("Trust these CAs (MTA-STS policy hosts, probed servers) instead of the "
		      "system store"),
		  N_ ("PEM") },
		{ "probe-port", 0, 0, G_OPTION_ARG_INT, &o.probe_port,
		  N_ ("Port of the probe (25)"), N_ ("N") },
		{ "policy-port", 0, 0, G_OPTION_ARG_INT, &o.policy_port,
		  N_ ("HTTPS port of the MTA-STS policy hosts (443)"), N_ ("N") },
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &o.timeout,
		  N_ ("Seconds for each step: a DNS answer, the policy, each reply of the probe "
		      "(5)"),
		  N_ ("S") },
		{ "max-time", 0, 0, G_OPTION_ARG_INT, &o.max_time,
		  N_ ("Seconds for the whole check (15)"), N_ ("S") },
		{ "helo", 0, 0, G_OPTION_ARG_STRING, &o.helo, N_ ("Name the probe sends with EHLO"),
		  N_ ("NAME") },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &o.verbose,
		  N_ ("Say on stderr what is looked up and what the probe says"), NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.args, NULL,
		  N_ ("ADDRESS|DOMAIN…") },
		{ NULL },
	};
	g_autoptr (GOptionContext) ctx = g_option_context_new (NULL);
	g_autoptr (GError) error = NULL;
	g_autoptr (GPtrArray) domains = g_ptr_array_new ();
	g_autoptr (GPtrArray) threads = g_ptr_array_new ();
	g_auto (GStrv) args = g_new0 (gchar *, argc + 1);
	gint64 start = g_get_monotonic_time ();
	gboolean any_bounce = FALSE, all_ready = TRUE;
	int code = RTLS_EX_OK;

	for (int i = 0; i < argc; i++)
		args[i] = g_strdup (argv[i]);
	g_option_context_set_summary (
	        ctx, _ ("Check whether a message with RFC 8689 REQUIRETLS can reach these "
	                "recipients; send nothing."));
	g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
	g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
	if (!g_option_context_parse_strv (ctx, &args, &error)) {
		code = RTLS_EX_USAGE;
		goto usage;
	}
	if (o.args == NULL || o.args[0] == NULL) {
		g_set_error (&error, RTLS_ERROR, RTLS_ERROR_USAGE,
		             _ ("--check needs at least one address or domain"));
		code = RTLS_EX_USAGE;
		goto usage;
	}
	if (o.timeout < 1 || o.timeout > 60 || o.max_time < 1 || o.max_time > 300
	    || o.probe_port < 1 || o.probe_port > 65535 || o.policy_port < 1
	    || o.policy_port > 65535) {
		g_set_error (&error, RTLS_ERROR, RTLS_ERROR_USAGE,
		             _ ("--timeout must be 1-60, --max-time 1-300 seconds, and ports "
		                "1-65535"));
		code = RTLS_EX_USAGE;
		goto usage;
	}
	if (o.helo != NULL && (strpbrk (o.helo, " \t\r\n") != NULL || *o.helo == '\0')) {
		g_set_error (&error, RTLS_ERROR, RTLS_ERROR_USAGE, _ ("--helo must be one word"));
		code = RTLS_EX_USAGE;
		goto usage;
	}
	if (o.resolver == NULL || strcmp (o.resolver, "system") == 0)
		o.mode = CHECK_RESOLVER_SYSTEM;
	else if (strcmp (o.resolver, "recursive") == 0)
		o.mode = CHECK_RESOLVER_RECURSIVE;
	else
		o.mode = CHECK_RESOLVER_ADDR;
	if (o.trust_anchor == NULL)
		o.trust_anchor = g_strdup (CHECK_ROOT_KEY);
	if (!g_file_test (o.trust_anchor, G_FILE_TEST_IS_REGULAR)) {
		g_printerr (_ ("requiretls-submit: no DNSSEC trust anchor at %s (install "
		               "dns-root-data or use --trust-anchor)\n"),
		            o.trust_anchor);
		check_options_clear (&o);
		return RTLS_EX_CONFIG;
	}
	/* A resolver that is no address and a trust anchor file that does not parse are mistakes
	 * of the command line, said once before anything is asked, not as an unknown verdict for
	 * every domain. libunbound reads the file when it first answers: "localhost" it answers
	 * itself, without the network. The forwarder's set-up and, when it may be needed, that
	 * of recursion are both tried. */
	for (int pass = 0; pass < 2; pass++) {
		gboolean recursive = pass == 1;
		struct ub_ctx *ub = NULL;
		struct ub_result *res = NULL;
		const char *what = "--resolver";
		int r;

		if (!recursive && o.mode == CHECK_RESOLVER_RECURSIVE)
			continue;
		if (recursive && o.mode != CHECK_RESOLVER_RECURSIVE && o.stub_zone == NULL)
			continue;
		ub = ub_ctx_create ();
		r = ub != NULL ? check_ub_configure (ub, &o, recursive, &what) : UB_NOMEM;
		if (r == 0)
			r = ub_resolve (ub, "localhost", CHECK_TYPE_A, 1, &res);
		if (res != NULL)
			ub_resolve_free (res);
		if (ub != NULL)
			ub_ctx_delete (ub);
		if (r != 0) {
			g_autofree gchar *clean = rtls_sanitize (
			        strcmp (what, "--resolver") == 0    ? o.resolver
			        : strcmp (what, "--stub-zone") == 0 ? o.stub_zone
			                                            : o.trust_anchor,
			        -1, 300);
			g_printerr ("requiretls-submit: ");
			if (strcmp (what, "--resolver") == 0)
				g_printerr (_ ("--resolver=%s: %s"), clean, ub_strerror (r));
			else if (strcmp (what, "--stub-zone") == 0)
				g_printerr (_ ("--stub-zone=%s: %s"), clean, ub_strerror (r));
			else
				g_printerr (_ ("cannot use the DNSSEC trust anchor %s: %s"), clean,
				            ub_strerror (r));
			g_printerr ("\n");
			check_options_clear (&o);
			return RTLS_EX_CONFIG;
		}
	}
	if (o.ca_file != NULL && !g_file_test (o.ca_file, G_FILE_TEST_IS_REGULAR)) {
		g_printerr (_ ("requiretls-submit: cannot use CA file %s\n"), o.ca_file);
		check_options_clear (&o);
		return RTLS_EX_CONFIG;
	}
	if (o.probe) {
		/* the probe's trust anchors are loaded once, before the threads share them */
		RtlsTlsConfig tc = { "localhost", o.ca_file };
		if (!rtls_tls_check_config (&tc, &error)) {
			g_printerr ("requiretls-submit: %s\n", error->message);
			check_options_clear (&o);
			return RTLS_EX_CONFIG;
		}
	}
	for (guint i = 0; o.args[i] != NULL; i++) {
		g_autofree gchar *dom = check_domain_of (o.args[i]);
		CheckDomain *d = NULL;

		if (dom == NULL) {
			g_autofree gchar *clean = rtls_sanitize (o.args[i], -1, 300);
			g_set_error (&error, RTLS_ERROR, RTLS_ERROR_USAGE,
			             _ ("“%s” is neither an address nor a domain"), clean);
			code = RTLS_EX_USAGE;
			break;
		}
		for (guint k = 0; k < domains->len && d == NULL; k++)
			if (strcmp (((CheckDomain *) g_ptr_array_index (domains, k))->domain, dom)
			    == 0)
				d = g_ptr_array_index (domains, k);
		if (d == NULL) {
			d = check_domain_new (&o, dom, start);
			g_ptr_array_add (domains, d);
		}
		if (strchr (o.args[i], '@') != NULL)
			g_ptr_array_add (d->recipients, g_strdup (o.args[i]));
	}
	if (code != RTLS_EX_OK) {
		for (guint i = 0; i < domains->len; i++)
			check_domain_free (g_ptr_array_index (domains, i));
		goto usage;
	}

	/* once, before the threads share the options: the forwarder, or recursion */
	check_choose_resolver (&o, start);
	curl_global_init (CURL_GLOBAL_DEFAULT);
	/* every domain at once: each step waits on the network, and each has its own timeout */
	for (guint i = 0; i < domains->len; i++)
		g_ptr_array_add (threads, g_thread_new ("check", check_thread,
		                                        g_ptr_array_index (domains, i)));
	for (guint i = 0; i < threads->len; i++)
		g_thread_join (g_ptr_array_index (threads, i));
	for (guint i = 0; i < domains->len; i++) {
		CheckDomain *d = g_ptr_array_index (domains, i);
		any_bounce = any_bounce || d->verdict == RTLS_READINESS_WILL_BOUNCE;
		all_ready = all_ready && d->verdict == RTLS_READINESS_READY;
		check_domain_free (d);
	}
	curl_global_cleanup ();
	rtls_tls_release_trust ();
	check_options_clear (&o);
	return any_bounce ? RTLS_EX_UNAVAILABLE : all_ready ? RTLS_EX_OK : RTLS_EX_TEMPFAIL;

usage : {
	g_autofree gchar *clean = rtls_sanitize (error->message, -1, 2000);
	g_printerr ("requiretls-submit: %s\n", clean);
	g_printerr (_ ("Try “%s --help”.\n"), "requiretls-submit");
}
	check_options_clear (&o);
	return code;
}
