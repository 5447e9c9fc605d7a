/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "ipv4opt.h"
#include "io.h"
#include "log.h"
#include "macro.h"

#define CAPTURE_BUFFER_SIZE (256 * 1024)
#define CAPTURE_FLUSH_USEC (1000 * 1000ULL)      /* buffered records reach the file within */
#define CAPTURE_SUMMARY_USEC (5 * 1000 * 1000ULL) /* suppressed records are summed up every */
#define CAPTURE_REOPEN_USEC (1000 * 1000ULL)     /* a failed open is retried at most every */
#define CAPTURE_WINDOW_USEC (1000 * 1000ULL)     /* rate limit window */
#define CAPTURE_IP_UDP_LEN 28
#define CAPTURE_SNAPLEN 65535
#define CAPTURE_SCAN_SIZE (1024 * 1024)          /* an existing file is checked in reads of */

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
	uint64_t last_write_attempt;   /* CLOCK_MONOTONIC of the last failed write */
	uint64_t last_rotate_attempt;  /* CLOCK_MONOTONIC of the last failed rename */
	int write_error;               /* last one, logged once until a write succeeds */
	int rotate_error;              /* last rename error, logged once until one succeeds */
	int open_error;                /* last open error, logged once until an open succeeds */
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
		return a->pcap_max_size == b->pcap_max_size &&
		       a->pcap_max_files == b->pcap_max_files && a->pcap_path && b->pcap_path &&
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

/* The global header of the files we write. A file is appended to only when it starts with
 * this (magic, version and link type; the snap length may be larger), so that the records
 * of every run, restart and reload stay in one readable file. */
static const struct pcap_file_header pcap_header = {
	.magic = 0xa1b2c3d4, /* microsecond timestamps, host byte order */
	.version_major = 2,
	.version_minor = 4,
	.snaplen = CAPTURE_SNAPLEN,
	.linktype = CAPTURE_PCAP_LINKTYPE_RAW,
};

static void arm_flush(struct capture *c);

/* After a short write (ENOSPC, EFBIG, EIO), the file ends inside a record: every later one
 * would be read at a wrong offset. Cut the file back to where this write began, the end of the
 * last whole record (O_APPEND: the write began done bytes before the end). If that fails too,
 * the file is closed; the flush timer (on_flush) opens it again about once a second, which
 * cuts the partial record (pcap_open_existing), and writes the kept records; the whole ones
 * that reached the file stay there and leave the buffer, so none is written twice. */
static void pcap_cut_back(struct capture *c, size_t done)
{
	struct log_ctx ctx = { .policy = c->policy };
	struct pcap_record_header rh;
	size_t whole = 0;
	struct stat st;
	int r = 0;

	if (done == 0)
		return;
	if (fstat(c->fd, &st) < 0)
		r = -errno;
	else if ((uint64_t)st.st_size < done)
		r = -ESPIPE; /* shorter than what this write added: someone else cut it */
	else if (ftruncate(c->fd, st.st_size - (off_t)done) < 0)
		r = -errno;
	if (r == 0)
		return;
	log_full_errno(LOG_ERR, r, &ctx,
		       "Policy %s: failed to cut %s back to its last whole record: %m; reopening",
		       c->policy, c->conf.pcap_path);
	c->fd = safe_close(c->fd);
	while (whole + sizeof(rh) <= done) {
		memcpy(&rh, c->buf + whole, sizeof(rh));
		if (whole + sizeof(rh) + rh.incl_len > done)
			break;
		whole += sizeof(rh) + rh.incl_len;
	}
	memmove(c->buf, c->buf + whole, c->used - whole);
	c->used -= whole;
}

int capture_flush(struct capture *c)
{
	struct log_ctx ctx = { .policy = c ? c->policy : NULL };
	size_t done;
	int r;

	if (!c || c->fd < 0 || c->used == 0)
		return 0;
	r = io_write_counted(c->fd, c->buf, c->used, &done);
	if (r < 0) {
		/* The buffered records are kept (memory stays bounded: the buffer is full at
		 * most, and then new records are counted as lost) and written again within a
		 * second, whole, once there is room. */
		pcap_cut_back(c, done);
		if (r != c->write_error)
			log_full_errno(LOG_ERR, r, &ctx, "Policy %s: failed to write %s: %m; %zu "
				       "bytes of records kept to write again", c->policy,
				       c->conf.pcap_path, c->used);
		c->write_error = r;
		c->last_write_attempt = now_mono(c);
		arm_flush(c); /* also when the file was closed: on_flush opens it again */
		return r;
	}
	if (c->write_error < 0)
		log_full_errno(LOG_INFO, 0, &ctx, "Policy %s: writing %s again", c->policy,
			       c->conf.pcap_path);
	c->used = 0;
	c->write_error = 0;
	return 0;
}

/* The file at the path is ours to append to: check its header, then cut a partial record at
 * its end (a crash or a full disk in an earlier run), so that new records are framed. Returns
 * the size to append at, or a negative errno: -EBADMSG, not a pcap file of ours; -EUCLEAN, a
 * record header that no writer of ours made (a length above the snap length) before the end:
 * misframed, and what follows may still matter to someone. Both are left alone. */
static int64_t pcap_open_existing(struct capture *c, int fd, uint64_t size)
{
	struct log_ctx ctx = { .policy = c->policy };
	_cleanup_free_ uint8_t *buf = NULL;
	struct pcap_file_header h;
	uint64_t off = sizeof(h); /* the record header being checked */
	uint64_t pos = 0;         /* the file offset of buf[0] */
	size_t have = 0;          /* bytes in buf */
	ssize_t k;

	k = pread(fd, &h, sizeof(h), 0);
	if (k < 0)
		return -errno;
	if ((size_t)k < sizeof(h)) {
		/* Only the start of our own header (cut by a full disk): nothing to keep. */
		if (memcmp(&h, &pcap_header, (size_t)k) != 0)
			return -EBADMSG;
		if (ftruncate(fd, 0) < 0)
			return -errno;
		return 0;
	}
	if (h.magic != pcap_header.magic || h.version_major != pcap_header.version_major ||
	    h.linktype != pcap_header.linktype || h.snaplen < CAPTURE_SNAPLEN)
		return -EBADMSG;
	/* Record headers are parsed from reads of a MiB, not read one by one: a file of
	 * gigabytes (max_size 0) is checked in seconds at most, on the daemon's only thread. */
	buf = malloc(CAPTURE_SCAN_SIZE);
	if (!buf)
		return -ENOMEM;
	while (off + sizeof(struct pcap_record_header) <= size) {
		struct pcap_record_header rh;

		if (off + sizeof(rh) > pos + have) {
			/* Not (or not whole) in the buffer: read on from this header, so that
			 * one cut by the end of the previous read is read again whole. */
			k = pread(fd, buf, CAPTURE_SCAN_SIZE, (off_t)off);
			if (k < 0)
				return -errno;
			if ((size_t)k < sizeof(rh))
				break; /* shorter than fstat said: cut meanwhile */
			pos = off;
			have = (size_t)k;
		}
		memcpy(&rh, buf + (off - pos), sizeof(rh));
		if (rh.incl_len > h.snaplen)
			return -EUCLEAN;
		if (off + sizeof(rh) + rh.incl_len > size)
			break; /* the last record, cut short */
		off += sizeof(rh) + rh.incl_len;
	}
	if (off < size) {
		log_full_errno(LOG_WARNING, 0, &ctx,
			       "Policy %s: %s ends in a partial record: cut %" PRIu64 " bytes",
			       c->policy, c->conf.pcap_path, size - off);
		if (ftruncate(fd, (off_t)off) < 0)
			return -errno;
	}
	return (int64_t)off;
}

/* Opens the file to append to, never truncating what was recorded before (a restart, a reload
 * or a failed rotation keeps the earlier records). A symbolic link is refused (O_NOFOLLOW):
 * the daemon must not be led to write where a link points. */
static int pcap_open(struct capture *c)
{
	_cleanup_close_ int fd = -1;
	struct log_ctx ctx = { .policy = c->policy };
	const char *what = "open";
	struct stat st;
	int64_t size;
	int r;

	c->last_open_attempt = now_mono(c);
	fd = open(c->conf.pcap_path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC |
		  O_NOCTTY, 0640);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto fail;
	}
	size = st.st_size > 0 ? pcap_open_existing(c, fd, (uint64_t)st.st_size) : 0;
	if (size < 0) {
		r = (int)size;
		goto fail;
	}
	if (size == 0) {
		size_t done;

		/* The header goes out at once: a reader can open the file before the first
		 * record. An empty file is left behind if it does not fit. */
		what = "write";
		r = io_write_counted(fd, &pcap_header, sizeof(pcap_header), &done);
		if (r < 0) {
			if (done > 0 && ftruncate(fd, 0) < 0) {
				/* Best effort: the partial header left behind is a prefix of
				 * ours, which the next open cuts to nothing and writes again
				 * (pcap_open_existing); the error that matters is the write's. */
			}
			goto fail;
		}
		size = sizeof(pcap_header);
	}
	c->fd = TAKE_FD(fd);
	c->file_size = (uint64_t)size + c->used; /* records still buffered go to this file */
	c->open_error = 0;
	return 0;

fail:
	if (r != c->open_error) {
		if (r == -ELOOP)
			log_full_errno(LOG_ERR, r, &ctx, "Policy %s: refusing %s: it is a symbolic "
				       "link", c->policy, c->conf.pcap_path);
		else if (r == -EINVAL)
			log_full_errno(LOG_ERR, r, &ctx, "Policy %s: refusing %s: not a regular "
				       "file", c->policy, c->conf.pcap_path);
		else if (r == -EBADMSG)
			log_full_errno(LOG_ERR, r, &ctx, "Policy %s: refusing to append to %s: it "
				       "is not a pcap file of ours (LINKTYPE_RAW); move it away",
				       c->policy, c->conf.pcap_path);
		else if (r == -EUCLEAN)
			log_full_errno(LOG_ERR, r, &ctx, "Policy %s: refusing to append to %s: its "
				       "records are misframed (a partial record before the end); move "
				       "it away", c->policy, c->conf.pcap_path);
		else
			log_full_errno(LOG_ERR, r, &ctx, "Policy %s: failed to %s %s: %m",
				       c->policy, what, c->conf.pcap_path);
	}
	c->open_error = r;
	return r;
}

static void pcap_close(struct capture *c)
{
	if (c->fd < 0)
		return;
	(void)capture_flush(c);
	c->fd = safe_close(c->fd);
}

static unsigned pcap_max_files(const struct capture *c)
{
	return c->conf.pcap_max_files > 0 ? c->conf.pcap_max_files : CONFIG_DEFAULT_PCAP_FILES;
}

/* Generation k of the file: FILE for 0, else FILE.k. */
static char *pcap_generation(const struct capture *c, unsigned k)
{
	char *s = NULL;

	if (k == 0)
		return strdup(c->conf.pcap_path);
	return asprintf(&s, "%s.%u", c->conf.pcap_path, k) < 0 ? NULL : s;
}

/* Rotation, as logrotate numbers files: FILE.N-1 -> FILE.N (replacing the oldest), ...,
 * FILE.1 -> FILE.2, FILE -> FILE.1, and a new FILE; max_files generations are kept besides
 * FILE. A generation that is not there is skipped. When a rename fails, the rotation stops
 * there: the records go on into FILE (nothing is truncated, no generation is overwritten by a
 * later one) and the rotation is tried again a second later. */
static int pcap_rotate(struct capture *c)
{
	struct log_ctx ctx = { .policy = c->policy };
	uint64_t now = now_mono(c);
	struct stat st;
	int r;

	if (c->rotate_error < 0 && now < c->last_rotate_attempt + CAPTURE_REOPEN_USEC)
		return 0;
	(void)capture_flush(c); /* what does not fit stays buffered for the new file */
	for (unsigned k = pcap_max_files(c); k > 0; k--) {
		_cleanup_free_ char *from = pcap_generation(c, k - 1), *to = pcap_generation(c, k);

		if (!from || !to)
			return -ENOMEM;
		/* only our files move: a directory or a link under a generation's name (not
		 * ours) stops the rotation, as a failed rename does */
		if (k > 1 && lstat(from, &st) >= 0 && !S_ISREG(st.st_mode))
			r = -EISDIR;
		else if (rename(from, to) >= 0 || (errno == ENOENT && k > 1))
			continue;
		else
			r = -errno;
		if (r != c->rotate_error)
			log_full_errno(LOG_WARNING, r, &ctx, "Policy %s: failed to rename %s to "
				       "%s: %m; going on in %s", c->policy, from, to,
				       c->conf.pcap_path);
		c->rotate_error = r;
		c->last_rotate_attempt = now;
		return 0;
	}
	c->rotate_error = 0;
	c->fd = safe_close(c->fd);
	c->rotations++;
	return pcap_open(c);
}

static int on_flush(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct capture *c = userdata;

	(void)s;
	(void)usec;
	/* Closed after a failed cut-back (pcap_cut_back) with records kept: open again (the
	 * partial record is cut then), once a second until that works, and write them. */
	if (c->fd < 0 && c->used > 0 && pcap_open(c) < 0) {
		arm_flush(c);
		return 0;
	}
	(void)capture_flush(c); /* a failure arms the timer again */
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
		/* A full buffer that could not be written (full disk): the record is lost,
		 * and the write is tried again at most once a second, not per datagram. */
		if (c->write_error < 0 && now_mono(c) < c->last_write_attempt + CAPTURE_FLUSH_USEC)
			return c->write_error;
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
	return 1; /* buffered: written whole, now or once the file has room */
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

void capture_describe_error(const struct capture *c, char *buf, size_t size)
{
	const char *why;

	if (!c) {
		snprintf(buf, size, "not set up");
		return;
	}
	buf[0] = '\0';
	if (c->conf.target != LOG_TARGET_PCAP)
		return;
	if (c->fd < 0 && c->open_error < 0) {
		switch (c->open_error) {
		case -ELOOP:
			why = "it is a symbolic link";
			break;
		case -EINVAL:
			why = "not a regular file";
			break;
		case -EBADMSG:
			why = "not a pcap file of ours";
			break;
		case -EUCLEAN:
			why = "its records are misframed";
			break;
		default:
			why = strerror(-c->open_error);
			break;
		}
		snprintf(buf, size, "cannot open %s: %s", c->conf.pcap_path, why);
	} else if (c->write_error < 0)
		snprintf(buf, size, "cannot write %s: %s", c->conf.pcap_path,
			 strerror(-c->write_error));
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
