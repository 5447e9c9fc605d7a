/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "io.h"
#include "ipv4opt.h"
#include "log.h"
#include "macro.h"

#define CAPTURE_BUFFER_SIZE (256 * 1024)
#define CAPTURE_FLUSH_USEC (1000 * 1000ULL)      /* buffered records reach the file within */
#define CAPTURE_SUMMARY_USEC (5 * 1000 * 1000ULL) /* suppressed records are summed up every */
#define CAPTURE_REOPEN_USEC (1000 * 1000ULL)     /* a failed open is retried at most every */
#define CAPTURE_WINDOW_USEC (1000 * 1000ULL)     /* rate limit window */
#define CAPTURE_IP_UDP_LEN 28
#define CAPTURE_SNAPLEN 65535

struct pcap_file_header {
	uint32_t magic;
	uint16_t version_major;
	uint16_t version_minor;
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t linktype;
};

struct pcap_record_header {
	uint32_t ts_sec;
	uint32_t ts_usec;
	uint32_t incl_len;
	uint32_t orig_len;
};

struct capture {
	sd_event *event;
	char *policy;
	struct log_conf conf;          /* pcap_path owned */

	/* journal */
	unsigned rate;
	uint64_t window_start;         /* CLOCK_MONOTONIC */
	unsigned in_window;
	uint64_t suppressed;           /* total */
	uint64_t suppressed_pending;   /* since the last summary */
	uint64_t pending_since;        /* CLOCK_MONOTONIC of the first of them */
	sd_event_source *summary_timer;

	/* pcap */
	int fd;
	uint8_t *buf;
	size_t used;
	uint64_t file_size;            /* bytes in the file, buffered ones included */
	uint64_t rotations;
	uint64_t last_open_attempt;    /* CLOCK_MONOTONIC */
	int write_error;               /* last one, logged once until a write succeeds */
	sd_event_source *flush_timer;
};

static uint64_t now_mono(struct capture *c)
{
	uint64_t t = 0;

	(void)sd_event_now(c->event, CLOCK_MONOTONIC, &t);
	return t;
}

bool capture_conf_equal(const struct log_conf *a, const struct log_conf *b)
{
	if (a->target != b->target)
		return false;
	switch (a->target) {
	case LOG_TARGET_JOURNAL:
		return a->rate_limit == b->rate_limit;
	case LOG_TARGET_PCAP:
		return a->pcap_max_size == b->pcap_max_size && a->pcap_path && b->pcap_path &&
		       streq(a->pcap_path, b->pcap_path);
	case _LOG_TARGET_MAX:
	case _LOG_TARGET_INVALID:
		break;
	}
	return false;
}

/* ------------------------------------------------------------------------------------------ */
/* Journal                                                                                     */

static int on_summary(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct capture *c = userdata;
	struct log_ctx ctx = { .policy = c->policy };

	(void)s;
	if (c->suppressed_pending == 0)
		return 0;
	log_full_errno(LOG_INFO, 0, &ctx,
		       "Policy %s: %" PRIu64 " records suppressed in the last %.1f s (rate_limit %u/s)",
		       c->policy, c->suppressed_pending,
		       (double)(usec - c->pending_since) / 1e6, c->rate);
	c->suppressed_pending = 0;
	return 0;
}

static void journal_suppress(struct capture *c, uint64_t now)
{
	c->suppressed++;
	if (c->suppressed_pending++ > 0)
		return;
	c->pending_since = now;
	/* One timer per burst of suppression: an idle policy arms nothing. */
	if (!c->summary_timer) {
		if (sd_event_add_time(c->event, &c->summary_timer, CLOCK_MONOTONIC,
				      now + CAPTURE_SUMMARY_USEC, 0, on_summary, c) < 0)
			return;
		return;
	}
	(void)sd_event_source_set_time(c->summary_timer, now + CAPTURE_SUMMARY_USEC);
	(void)sd_event_source_set_enabled(c->summary_timer, SD_EVENT_ONESHOT);
}

static int journal_record(struct capture *c, const struct capture_packet *p)
{
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN], tbuf[32], ttl[8], tos[8];
	struct log_ctx ctx = { .policy = c->policy, .group = dst, .ifname = p->ifname };
	uint64_t now = now_mono(c);
	time_t sec = (time_t)(p->realtime_usec / 1000000);
	struct tm tm;

	if (now >= c->window_start + CAPTURE_WINDOW_USEC) {
		c->window_start = now;
		c->in_window = 0;
	}
	if (c->in_window >= c->rate) {
		journal_suppress(c, now);
		return 0;
	}
	c->in_window++;

	inet_ntop(AF_INET, &p->src, src, sizeof(src));
	inet_ntop(AF_INET, &p->dst, dst, sizeof(dst));
	if (!gmtime_r(&sec, &tm) || strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		tbuf[0] = '\0';
	snprintf(ttl, sizeof(ttl), "%d", p->ttl);
	snprintf(tos, sizeof(tos), "0x%02x", p->tos & 0xff);
	log_full_errno(LOG_INFO, 0, &ctx,
		       "Policy %s: %s.%06uZ %s:%u > %s:%u on %s ttl %s tos %s len %zu", c->policy,
		       tbuf, (unsigned)(p->realtime_usec % 1000000), src, p->sport, dst, p->dport,
		       p->ifname ? p->ifname : "?", p->ttl >= 0 ? ttl : "?",
		       p->tos >= 0 ? tos : "?", p->len);
	return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* pcap                                                                                        */

int capture_flush(struct capture *c)
{
	int r;

	if (!c || c->fd < 0 || c->used == 0)
		return 0;
	r = io_write_all(c->fd, c->buf, c->used);
	/* A partial write leaves a cut record: the reader stops there, which is all it can do.
	 * The buffer is dropped either way, so memory stays bounded. */
	c->used = 0;
	if (r < 0) {
		if (r != c->write_error) {
			struct log_ctx ctx = { .policy = c->policy };

			log_full_errno(LOG_ERR, r, &ctx, "Policy %s: failed to write %s: %m",
				       c->policy, c->conf.pcap_path);
		}
		c->write_error = r;
		return r;
	}
	c->write_error = 0;
	return 0;
}

static int pcap_open(struct capture *c)
{
	struct pcap_file_header h = {
		.magic = 0xa1b2c3d4, /* microsecond timestamps, host byte order */
		.version_major = 2,
		.version_minor = 4,
		.snaplen = CAPTURE_SNAPLEN,
		.linktype = CAPTURE_PCAP_LINKTYPE_RAW,
	};
	_cleanup_close_ int fd = -1;
	struct log_ctx ctx = { .policy = c->policy };
	int r;

	c->last_open_attempt = now_mono(c);
	fd = open(c->conf.pcap_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0)
		return log_full_errno(LOG_ERR, errno, &ctx, "Policy %s: failed to open %s: %m",
				      c->policy, c->conf.pcap_path);
	/* The header goes out at once: a reader can open the file before the first record. */
	r = io_write_all(fd, &h, sizeof(h));
	if (r < 0)
		return log_full_errno(LOG_ERR, r, &ctx, "Policy %s: failed to write %s: %m",
				      c->policy, c->conf.pcap_path);
	c->fd = TAKE_FD(fd);
	c->used = 0;
	c->file_size = sizeof(h);
	return 0;
}

static void pcap_close(struct capture *c)
{
	if (c->fd < 0)
		return;
	(void)capture_flush(c);
	c->fd = safe_close(c->fd);
}

/* FILE -> FILE.1 (replacing the previous one), and a new FILE. */
static int pcap_rotate(struct capture *c)
{
	_cleanup_free_ char *old = NULL;
	struct log_ctx ctx = { .policy = c->policy };

	pcap_close(c);
	if (asprintf(&old, "%s.1", c->conf.pcap_path) < 0)
		return -ENOMEM;
	if (rename(c->conf.pcap_path, old) < 0)
		log_full_errno(LOG_WARNING, errno, &ctx, "Policy %s: failed to rename %s to %s: %m",
			       c->policy, c->conf.pcap_path, old);
	c->rotations++;
	return pcap_open(c);
}

static int on_flush(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)s;
	(void)usec;
	(void)capture_flush(userdata);
	return 0;
}

static void arm_flush(struct capture *c)
{
	uint64_t when = now_mono(c) + CAPTURE_FLUSH_USEC;
	int enabled = SD_EVENT_OFF;

	if (!c->flush_timer) {
		(void)sd_event_add_time(c->event, &c->flush_timer, CLOCK_MONOTONIC, when, 0,
					on_flush, c);
		return;
	}
	if (sd_event_source_get_enabled(c->flush_timer, &enabled) >= 0 &&
	    enabled != SD_EVENT_OFF)
		return; /* already armed for earlier records */
	(void)sd_event_source_set_time(c->flush_timer, when);
	(void)sd_event_source_set_enabled(c->flush_timer, SD_EVENT_ONESHOT);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static int pcap_record(struct capture *c, const struct capture_packet *p)
{
	size_t caplen = p->len;
	size_t orig = CAPTURE_IP_UDP_LEN + p->len;
	size_t rec;
	struct pcap_record_header rh;
	uint8_t hdr[CAPTURE_IP_UDP_LEN];
	uint16_t csum;
	int r;

	if (c->fd < 0) {
		if (now_mono(c) < c->last_open_attempt + CAPTURE_REOPEN_USEC)
			return -EBADF;
		r = pcap_open(c);
		if (r < 0)
			return r;
	}
	if (caplen > CAPTURE_SNAPLEN - CAPTURE_IP_UDP_LEN)
		caplen = CAPTURE_SNAPLEN - CAPTURE_IP_UDP_LEN;
	rec = sizeof(rh) + CAPTURE_IP_UDP_LEN + caplen;
	if (c->conf.pcap_max_size > 0 && c->file_size + rec > c->conf.pcap_max_size &&
	    c->file_size > sizeof(struct pcap_file_header)) {
		r = pcap_rotate(c);
		if (r < 0)
			return r;
	}
	if (c->used + rec > CAPTURE_BUFFER_SIZE) {
		r = capture_flush(c);
		if (r < 0)
			return r;
	}

	rh = (struct pcap_record_header){
		.ts_sec = (uint32_t)(p->realtime_usec / 1000000),
		.ts_usec = (uint32_t)(p->realtime_usec % 1000000),
		.incl_len = (uint32_t)(CAPTURE_IP_UDP_LEN + caplen),
		.orig_len = (uint32_t)orig,
	};
	/* IPv4 header (RFC 791) as the datagram arrived, as far as the control data tells:
	 * TOS and TTL from IP_RECVTOS / IP_RECVTTL, addresses from the sender and IP_PKTINFO.
	 * Identification and flags are not known: zero. */
	memset(hdr, 0, sizeof(hdr));
	hdr[0] = 0x45;
	hdr[1] = (uint8_t)(p->tos >= 0 ? p->tos : 0);
	put16(hdr + 2, (uint16_t)(orig > 0xffff ? 0xffff : orig));
	hdr[8] = (uint8_t)(p->ttl >= 0 ? p->ttl : 0);
	hdr[9] = IPPROTO_UDP;
	memcpy(hdr + 12, &p->src, 4);
	memcpy(hdr + 16, &p->dst, 4);
	csum = ipv4opt_checksum(hdr, 20);
	put16(hdr + 10, csum);
	/* UDP header (RFC 768); checksum 0: not computed (allowed over IPv4). */
	put16(hdr + 20, p->sport);
	put16(hdr + 22, p->dport);
	put16(hdr + 24, (uint16_t)(8 + p->len > 0xffff ? 0xffff : 8 + p->len));

	memcpy(c->buf + c->used, &rh, sizeof(rh));
	memcpy(c->buf + c->used + sizeof(rh), hdr, sizeof(hdr));
	memcpy(c->buf + c->used + sizeof(rh) + sizeof(hdr), p->data, caplen);
	c->used += rec;
	c->file_size += rec;
	arm_flush(c);
	return c->write_error < 0 ? c->write_error : 1;
}

/* ------------------------------------------------------------------------------------------ */

int capture_record(struct capture *c, const struct capture_packet *p)
{
	switch (c->conf.target) {
	case LOG_TARGET_JOURNAL:
		return journal_record(c, p);
	case LOG_TARGET_PCAP:
		return pcap_record(c, p);
	case _LOG_TARGET_MAX:
	case _LOG_TARGET_INVALID:
		break;
	}
	return -EINVAL;
}

uint64_t capture_suppressed(const struct capture *c)
{
	return c ? c->suppressed : 0;
}

uint64_t capture_rotations(const struct capture *c)
{
	return c ? c->rotations : 0;
}

int capture_new(sd_event *e, const char *policy, const struct log_conf *conf,
		struct capture **ret)
{
	_cleanup_(capture_freep) struct capture *c = NULL;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->event = sd_event_ref(e);
	c->conf = *conf;
	c->conf.pcap_path = NULL;
	c->policy = strdup(policy);
	if (!c->policy)
		return -ENOMEM;
	c->rate = conf->rate_limit > 0 ? conf->rate_limit : CAPTURE_DEFAULT_RATE_LIMIT;
	if (conf->target == LOG_TARGET_PCAP) {
		if (!conf->pcap_path)
			return -EINVAL;
		c->conf.pcap_path = strdup(conf->pcap_path);
		c->buf = malloc(CAPTURE_BUFFER_SIZE);
		if (!c->conf.pcap_path || !c->buf)
			return -ENOMEM;
		(void)pcap_open(c); /* logged; tried again when datagrams come */
	}
	*ret = TAKE_PTR(c);
	return 0;
}

struct capture *capture_free(struct capture *c)
{
	if (!c)
		return NULL;
	if (c->suppressed_pending > 0)
		(void)on_summary(NULL, now_mono(c), c);
	pcap_close(c);
	sd_event_source_disable_unref(c->summary_timer);
	sd_event_source_disable_unref(c->flush_timer);
	sd_event_unref(c->event);
	free(c->conf.pcap_path);
	free(c->buf);
	free(c->policy);
	free(c);
	return NULL;
}

void capture_freep(struct capture **c)
{
	capture_free(*c);
}
