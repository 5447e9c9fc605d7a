/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/ipv4optd/capture: the pcap file a reader sees (global header, one record
 * per datagram with an IPv4 and a UDP header built from the control data), rotation at
 * max_size, appending across runs, whole records after a short write or a crash, files that
 * are refused, and the journal rate limit. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <systemd/sd-event.h>

#include "ipv4opt.h"
#include "ipv4optd/capture.h"
#include "log.h"
#include "macro.h"

static char dir[] = "/tmp/check_capture.XXXXXX";

/* ftruncate() of this program (capture.c's calls land here): fails once with EIO when set. */
static bool ftruncate_fail;

int ftruncate(int fd, off_t length)
{
	if (ftruncate_fail) {
		ftruncate_fail = false;
		errno = EIO;
		return -1;
	}
	return (int)syscall(SYS_ftruncate, fd, length);
}

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	log_set_max_level(LOG_WARNING); /* keep the journal records off the test output */
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(dir, "/tmp/check_capture.XXXXXX");
}

static struct capture_packet packet(const void *data, size_t len)
{
	struct capture_packet p = {
		.realtime_usec = 1700000000123456ULL,
		.sport = 40000,
		.dport = 5000,
		.ifindex = 2,
		.ifname = "eth0",
		.ttl = 7,
		.tos = 0x8a,
		.data = data,
		.len = len,
	};

	inet_pton(AF_INET, "10.1.2.3", &p.src);
	inet_pton(AF_INET, "239.1.1.1", &p.dst);
	return p;
}

static size_t read_file(const char *path, uint8_t *buf, size_t size)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");

	ck_assert_ptr_nonnull(f);
	return fread(buf, 1, size, f);
}

START_TEST(test_pcap_records)
{
	_cleanup_(capture_freep) struct capture *c = NULL;
	sd_event *e = NULL;
	char path[256];
	uint8_t payload[100] = { 0 }, buf[4096];
	struct log_conf conf = { .target = LOG_TARGET_PCAP, .pcap_path = path };
	struct capture_packet p = packet(payload, sizeof(payload));
	struct ipv4opt_header h;
	uint32_t u32;
	size_t n;

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)i;
	snprintf(path, sizeof(path), "%s/a.pcap", dir);
	ck_assert_int_eq(sd_event_new(&e), 0);
	ck_assert_int_eq(capture_new(e, "probe", &conf, &c), 0);
	/* The header is there before the first record. */
	ck_assert_int_eq((int)read_file(path, buf, sizeof(buf)), 24);
	ck_assert_int_eq(capture_record(c, &p), 1);
	ck_assert_int_eq(capture_record(c, &p), 1);
	ck_assert_int_eq(capture_flush(c), 0);

	n = read_file(path, buf, sizeof(buf));
	ck_assert_int_eq((int)n, 24 + 2 * (16 + 28 + 100));
	memcpy(&u32, buf, 4);
	ck_assert_uint_eq(u32, 0xa1b2c3d4);
	memcpy(&u32, buf + 20, 4);
	ck_assert_uint_eq(u32, CAPTURE_PCAP_LINKTYPE_RAW);
	/* record header: time, captured and original length */
	memcpy(&u32, buf + 24, 4);
	ck_assert_uint_eq(u32, 1700000000);
	memcpy(&u32, buf + 28, 4);
	ck_assert_uint_eq(u32, 123456);
	memcpy(&u32, buf + 32, 4);
	ck_assert_uint_eq(u32, 128);
	/* the IPv4 header parses, with a right checksum */
	ck_assert_int_eq(ipv4opt_header_parse(buf + 40, 128, &h), 0);
	ck_assert_int_eq(h.tos, 0x8a);
	ck_assert_int_eq(h.ttl, 7);
	ck_assert_int_eq(h.protocol, IPPROTO_UDP);
	ck_assert_int_eq(h.total_len, 128);
	ck_assert_str_eq(inet_ntoa(h.src), "10.1.2.3");
	ck_assert_str_eq(inet_ntoa(h.dst), "239.1.1.1");
	ck_assert_uint_eq(ipv4opt_checksum(buf + 40, 20), 0);
	/* UDP header, then the payload unchanged */
	ck_assert_uint_eq((unsigned)(buf[60] << 8 | buf[61]), 40000);
	ck_assert_uint_eq((unsigned)(buf[62] << 8 | buf[63]), 5000);
	ck_assert_uint_eq((unsigned)(buf[64] << 8 | buf[65]), 108);
	ck_assert_mem_eq(buf + 68, payload, sizeof(payload));
	c = capture_free(c);
	sd_event_unref(e);
}
END_TEST

START_TEST(test_pcap_rotation)
{
	_cleanup_(capture_freep) struct capture *c = NULL;
	sd_event *e = NULL;
	char path[256], old[300];
	uint8_t payload[100] = { 0 };
	struct log_conf conf = { .target = LOG_TARGET_PCAP, .pcap_path = path,
				 .pcap_max_size = 1000 };
	struct capture_packet p = packet(payload, sizeof(payload));
	struct stat st;

	snprintf(path, sizeof(path), "%s/r.pcap", dir);
	snprintf(old, sizeof(old), "%s.1", path);
	ck_assert_int_eq(sd_event_new(&e), 0);
	ck_assert_int_eq(capture_new(e, "rot", &conf, &c), 0);
	/* 24 + 6 * 144 = 888 fits, the 7th record does not: rotated. */
	for (int i = 0; i < 7; i++)
		ck_assert_int_eq(capture_record(c, &p), 1);
	ck_assert_int_eq(capture_flush(c), 0);
	ck_assert_uint_eq(capture_rotations(c), 1);
	ck_assert_int_eq(stat(old, &st), 0);
	ck_assert_int_eq((int)st.st_size, 24 + 6 * 144);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq((int)st.st_size, 24 + 144);
	c = capture_free(c);
	sd_event_unref(e);
}
END_TEST

/* max_files generations: FILE.1 the newest, FILE.N the oldest, nothing beyond; a directory
 * under a generation's name is not moved (test_pcap_rotation_rename_fails). */
START_TEST(test_pcap_generations)
{
	_cleanup_(capture_freep) struct capture *c = NULL;
	sd_event *e = NULL;
	char path[256], gen[300];
	uint8_t payload[100] = { 0 };
	struct log_conf conf = { .target = LOG_TARGET_PCAP, .pcap_path = path,
				 .pcap_max_size = 1000, .pcap_max_files = 2 };
	struct capture_packet p = packet(payload, sizeof(payload));
	struct stat st;

	snprintf(path, sizeof(path), "%s/g.pcap", dir);
	ck_assert_int_eq(sd_event_new(&e), 0);
	ck_assert_int_eq(capture_new(e, "gen", &conf, &c), 0);
	/* 6 records a file: 25 records are 4 rotations, 1 record in the file */
	for (int i = 0; i < 25; i++)
		ck_assert_int_eq(capture_record(c, &p), 1);
	ck_assert_int_eq(capture_flush(c), 0);
	ck_assert_uint_eq(capture_rotations(c), 4);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq((int)st.st_size, 24 + 144);
	for (int k = 1; k <= 2; k++) {
		snprintf(gen, sizeof(gen), "%s.%d", path, k);
		ck_assert_int_eq(stat(gen, &st), 0);
		ck_assert_int_eq((int)st.st_size, 24 + 6 * 144);
	}
	snprintf(gen, sizeof(gen), "%s.3", path);
	ck_assert_int_eq(stat(gen, &st), -1);
	ck_assert_int_eq(errno, ENOENT);
	c = capture_free(c);
	sd_event_unref(e);
}
END_TEST

static void write_bytes(const char *path, const void *b, size_t n)
{
	_cleanup_fclose_ FILE *f = fopen(path, "we");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(b, 1, n, f), n);
}

/* Walks the records of a pcap file: every record header and its bytes whole, up to the exact
 * end of the file. Returns the number of records, -1 when the file is misframed. */
static int pcap_walk(const char *path)
{
	static uint8_t buf[1 << 20];
	size_t n = read_file(path, buf, sizeof(buf)), off = 24;
	uint32_t magic, incl;
	int records = 0;

	ck_assert_uint_ge(n, 24);
	memcpy(&magic, buf, 4);
	ck_assert_uint_eq(magic, 0xa1b2c3d4);
	while (off + 16 <= n) {
		memcpy(&incl, buf + off + 8, 4);
		if (incl != 128 || off + 16 + incl > n)
			return -1;
		/* each record is one of ours: an IPv4 header with a right checksum */
		if (buf[off + 16] != 0x45 || ipv4opt_checksum(buf + off + 16, 20) != 0)
			return -1;
		off += 16 + incl;
		records++;
	}
	return off == n ? records : -1;
}

static struct capture *pcap_new(sd_event *e, const char *path, uint64_t max_size)
{
	struct log_conf conf = { .target = LOG_TARGET_PCAP, .pcap_path = (char *)path,
				 .pcap_max_size = max_size };
	struct capture *c = NULL;

	ck_assert_int_eq(capture_new(e, "p", &conf, &c), 0);
	return c;
}

/* A start, a restart or a reload appends: the records of each run, one header. */
START_TEST(test_pcap_append)
{
	sd_event *e = NULL;
	char path[256];
	uint8_t payload[100] = { 0 };
	struct capture_packet p = packet(payload, sizeof(payload));
	struct capture *c;
	struct stat st;

	snprintf(path, sizeof(path), "%s/a.pcap", dir);
	ck_assert_int_eq(sd_event_new(&e), 0);
	c = pcap_new(e, path, 0);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(capture_record(c, &p), 1);
	capture_free(c);
	c = pcap_new(e, path, 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(capture_record(c, &p), 1);
	capture_free(c);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq((int)st.st_size, 24 + 5 * 144);
	ck_assert_int_eq(pcap_walk(path), 5);
	sd_event_unref(e);
}
END_TEST

/* A file that ends inside a record (a crash in an earlier run) is cut back to its last whole
 * record before anything is appended. */
START_TEST(test_pcap_partial_tail)
{
	sd_event *e = NULL;
	char path[256];
	uint8_t payload[100] = { 0 }, buf[4096];
	struct capture_packet p = packet(payload, sizeof(payload));
	struct capture *c;
	size_t n;

	snprintf(path, sizeof(path), "%s/t.pcap", dir);
	ck_assert_int_eq(sd_event_new(&e), 0);
	c = pcap_new(e, path, 0);
	ck_assert_int_eq(capture_record(c, &p), 1);
	capture_free(c);
	n = read_file(path, buf, sizeof(buf));
	ck_assert_int_eq((int)n, 24 + 144);
	memcpy(buf + n, buf + 24, 50); /* the first 50 bytes of a second record */
	write_bytes(path, buf, n + 50);
	c = pcap_new(e, path, 0);
	ck_assert_int_eq(capture_record(c, &p), 1);
	capture_free(c);
	ck_assert_int_eq(pcap_walk(path), 2);
	sd_event_unref(e);
}
END_TEST

/* Reads a whole file into memory (malloc'd, *n bytes). */
static uint8_t *slurp(const char *path, size_t *n)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	struct stat st;
	uint8_t *b;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fstat(fileno(f), &st), 0);
	b = malloc((size_t)st.st_size + 1);
	ck_assert_ptr_nonnull(b);
	*n = fread(b, 1, (size_t)st.st_size, f);
	ck_assert_uint_eq(*n, (size_t)st.st_size);
	return b;
}

/* Counts the records of a file of small records (incl_len 28 + payload each), or -1. */
static long pcap_walk_big(const uint8_t *b, size_t n, uint32_t incl_len)
{
	size_t off = 24;
	long records = 0;
	uint32_t incl;

	while (off + 16 <= n) {
		memcpy(&incl, b + off + 8, 4);
		if (incl != incl_len || off + 16 + incl > n || b[off + 16] != 0x45 ||
		    ipv4opt_checksum(b + off + 16, 20) != 0)
			return -1;
		off += 16 + incl;
		records++;
	}
	return off == n ? records : -1;
}

/* A file of many records, checked in reads of a MiB at open (record headers across the read
 * boundaries: 47-byte records), is appended to after its last whole record; a partial record
 * at its end is cut, and one misframed far from the start is still refused. */
START_TEST(test_pcap_many_records)
{
	enum { N = 200000, REC = 16 + 28 + 3 };
	sd_event *e = NULL;
	char path[256];
	uint8_t payload[3] = { 0 };
	struct capture_packet p = packet(payload, sizeof(payload));
	_cleanup_free_ uint8_t *b = NULL, *after = NULL;
	uint32_t bogus = 0x7fffffff;
	struct capture *c;
	size_t n, m;

	snprintf(path, sizeof(path), "%s/big.pcap", dir);
	ck_assert_int_eq(sd_event_new(&e), 0);
	c = pcap_new(e, path, 0);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(capture_record(c, &p), 1);
	capture_free(c);

	/* a crash in the middle of a record header */
	b = slurp(path, &n);
	ck_assert_uint_eq(n, 24 + (size_t)N * REC);
	write_bytes(path, b, n);
	{
		_cleanup_fclose_ FILE *f = fopen(path, "ae");

		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fwrite(b + 24, 1, 10, f), 10);
	}
	c = pcap_new(e, path, 0);
	ck_assert_int_eq(capture_record(c, &p), 1);
	capture_free(c);
	free(b);
	b = slurp(path, &n);
	ck_assert_uint_eq(n, 24 + (size_t)(N + 1) * REC);
	ck_assert_int_eq(pcap_walk_big(b, n, 28 + 3), N + 1);

	/* record 150000's length is not one of ours: refused, the file left alone */
	memcpy(b + 24 + 150000 * (size_t)REC + 8, &bogus, 4);
	write_bytes(path, b, n);
	c = pcap_new(e, path, 0);
	ck_assert_int_lt(capture_record(c, &p), 0);
	capture_free(c);
	after = slurp(path, &m);
	ck_assert_uint_eq(m, n);
	ck_assert_mem_eq(after, b, n);
	sd_event_unref(e);
}
END_TEST

/* A file misframed before its end (a record header no writer of ours made) is refused and
 * left alone: what follows the bad header may still matter to someone. */
START_TEST(test_pcap_misframed)
{
	sd_event *e = NULL;
	char path[256];
	uint8_t payload[100] = { 0 }, buf[4096], after[4096];
	struct capture_packet p = packet(payload, sizeof(payload));
	struct capture *c;
	uint32_t bogus = 0x7fffffff;
	size_t n;

	snprintf(path, sizeof(path), "%s/m.pcap", dir);
	ck_assert_int_eq(sd_event_new(&e), 0);
	c = pcap_new(e, path, 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(capture_record(c, &p), 1);
	capture_free(c);
	n = read_file(path, buf, sizeof(buf));
	ck_assert_int_eq((int)n, 24 + 3 * 144);
	memcpy(buf + 24 + 144 + 8, &bogus, 4); /* the second record's incl_len */
	write_bytes(path, buf, n);
	c = pcap_new(e, path, 0);
	ck_assert_int_lt(capture_record(c, &p), 0);
	capture_free(c);
	ck_assert_int_eq((int)read_file(path, after, sizeof(after)), (int)n);
	ck_assert_mem_eq(after, buf, n);
	sd_event_unref(e);
}
END_TEST

/* A file that is not a pcap file of ours, and a symbolic link, are refused and left alone. */
START_TEST(test_pcap_refused)
{
	static const char precious[] = "not a capture: precious data\n";
	sd_event *e = NULL;
	char path[256], link_path[256], target[256], buf[256];
	uint8_t payload[100] = { 0 };
	struct capture_packet p = packet(payload, sizeof(payload));
	struct capture *c;
	size_t n;

	snprintf(path, sizeof(path), "%s/other", dir);
	snprintf(link_path, sizeof(link_path), "%s/link.pcap", dir);
	snprintf(target, sizeof(target), "%s/target", dir);
	ck_assert_int_eq(sd_event_new(&e), 0);
	write_bytes(path, precious, strlen(precious));
	c = pcap_new(e, path, 0);
	ck_assert_int_lt(capture_record(c, &p), 0);
	capture_free(c);
	n = read_file(path, (uint8_t *)buf, sizeof(buf));
	ck_assert_int_eq((int)n, (int)strlen(precious));
	ck_assert_mem_eq(buf, precious, n);

	write_bytes(target, precious, strlen(precious));
	ck_assert_int_eq(symlink(target, link_path), 0);
	c = pcap_new(e, link_path, 0);
	ck_assert_int_lt(capture_record(c, &p), 0);
	capture_free(c);
	n = read_file(target, (uint8_t *)buf, sizeof(buf));
	ck_assert_int_eq((int)n, (int)strlen(precious));
	ck_assert_mem_eq(buf, precious, n);
	sd_event_unref(e);
}
END_TEST

/* A short write (here: RLIMIT_FSIZE, as a full disk does it) leaves no partial record: the
 * file is cut back, the records stay buffered and go out whole once there is room. */
START_TEST(test_pcap_short_write)
{
	sd_event *e = NULL;
	char path[256];
	uint8_t payload[100] = { 0 };
	struct capture_packet p = packet(payload, sizeof(payload));
	struct rlimit rl;
	struct capture *c;
	struct stat st;
	int lowered, flushed, size;

	snprintf(path, sizeof(path), "%s/s.pcap", dir);
	ck_assert_int_eq(sd_event_new(&e), 0);
	signal(SIGXFSZ, SIG_IGN); /* then write() fails with EFBIG (this forked test only) */
	c = pcap_new(e, path, 0);
	ck_assert_int_eq(capture_record(c, &p), 1);
	ck_assert_int_eq(capture_flush(c), 0);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(capture_record(c, &p), 1);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	/* Room for two records and a part of a third. No ck_assert while the limit holds:
	 * Check itself writes files. */
	rl.rlim_cur = 24 + 144 + 2 * 144 + 50;
	lowered = setrlimit(RLIMIT_FSIZE, &rl);
	flushed = capture_flush(c);
	size = stat(path, &st) < 0 ? -errno : (int)st.st_size;
	rl.rlim_cur = rl.rlim_max; /* room again */
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	ck_assert_int_eq(lowered, 0);
	ck_assert_int_eq(flushed, -EFBIG);
	ck_assert_int_eq(size, 24 + 144);
	ck_assert_int_eq(pcap_walk(path), 1);

	ck_assert_int_eq(capture_record(c, &p), 1);
	ck_assert_int_eq(capture_flush(c), 0);
	ck_assert_int_eq(pcap_walk(path), 7);
	capture_free(c);
	sd_event_unref(e);
}
END_TEST

/* A rename that fails (FILE.1 is a directory that is not empty) does not truncate FILE: the
 * records go on into it. */
/* A short write (by the flush timer) whose cut-back fails too closes the file; the timer
 * opens it again within seconds without a new datagram (the partial record is cut then) and
 * writes the kept records: each one once, whole. */
START_TEST(test_pcap_cut_back_fails)
{
	sd_event *e = NULL;
	char path[256];
	uint8_t payload[100] = { 0 };
	struct capture_packet p = packet(payload, sizeof(payload));
	struct rlimit rl;
	struct capture *c;
	struct stat st;
	int lowered, ran, size;
	uint64_t deadline;

	snprintf(path, sizeof(path), "%s/f.pcap", dir);
	ck_assert_int_eq(sd_event_new(&e), 0);
	signal(SIGXFSZ, SIG_IGN);
	c = pcap_new(e, path, 0);
	ck_assert_int_eq(capture_record(c, &p), 1);
	ck_assert_int_eq(capture_flush(c), 0);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(capture_record(c, &p), 1);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = 24 + 144 + 2 * 144 + 50; /* two whole records and a part of a third */
	lowered = setrlimit(RLIMIT_FSIZE, &rl);
	ftruncate_fail = true;
	/* the flush timer's write is the short one (no ck_assert while the limit holds) */
	ran = sd_event_now(e, CLOCK_MONOTONIC, &deadline);
	deadline += 10 * 1000 * 1000ULL;
	while (ran >= 0 && ftruncate_fail) {
		uint64_t now;

		ran = sd_event_run(e, 100 * 1000);
		if (ran >= 0 && sd_event_now(e, CLOCK_MONOTONIC, &now) >= 0 && now > deadline)
			break;
	}
	size = stat(path, &st) < 0 ? -errno : (int)st.st_size;
	rl.rlim_cur = rl.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	ck_assert_int_eq(lowered, 0);
	ck_assert_int_ge(ran, 0);
	ck_assert(!ftruncate_fail);
	ck_assert_int_eq(size, 24 + 3 * 144 + 50);

	/* no datagram comes: the timer alone gets them out */
	ck_assert_int_ge(sd_event_now(e, CLOCK_MONOTONIC, &deadline), 0);
	deadline += 10 * 1000 * 1000ULL;
	for (;;) {
		uint64_t now;

		ck_assert_int_ge(sd_event_run(e, 100 * 1000), 0);
		ck_assert_int_eq(stat(path, &st), 0);
		if (st.st_size == 24 + 6 * 144)
			break;
		ck_assert_int_ge(sd_event_now(e, CLOCK_MONOTONIC, &now), 0);
		ck_assert_msg(now < deadline, "records not written: size %jd", (intmax_t)st.st_size);
	}
	ck_assert_int_eq(pcap_walk(path), 6);
	capture_free(c);
	ck_assert_int_eq(pcap_walk(path), 6);
	sd_event_unref(e);
}
END_TEST

START_TEST(test_pcap_rotation_rename_fails)
{
	sd_event *e = NULL;
	char path[256], old[300], inside[320];
	uint8_t payload[100] = { 0 };
	struct capture_packet p = packet(payload, sizeof(payload));
	struct capture *c;

	snprintf(path, sizeof(path), "%s/r.pcap", dir);
	snprintf(old, sizeof(old), "%s.1", path);
	snprintf(inside, sizeof(inside), "%s/x", old);
	ck_assert_int_eq(mkdir(old, 0755), 0);
	write_bytes(inside, "x", 1);
	ck_assert_int_eq(sd_event_new(&e), 0);
	c = pcap_new(e, path, 1000);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(capture_record(c, &p), 1);
	ck_assert_int_eq(capture_flush(c), 0);
	ck_assert_uint_eq(capture_rotations(c), 0);
	ck_assert_int_eq(pcap_walk(path), 10);
	capture_free(c);
	sd_event_unref(e);
}
END_TEST

START_TEST(test_journal_rate_limit)
{
	_cleanup_(capture_freep) struct capture *c = NULL;
	sd_event *e = NULL;
	uint8_t payload[10] = { 0 };
	struct log_conf conf = { .target = LOG_TARGET_JOURNAL, .rate_limit = 3 };
	struct capture_packet p = packet(payload, sizeof(payload));
	int logged = 0;

	ck_assert_int_eq(sd_event_new(&e), 0);
	ck_assert_int_eq(capture_new(e, "j", &conf, &c), 0);
	for (int i = 0; i < 10; i++)
		logged += capture_record(c, &p);
	ck_assert_int_eq(logged, 3);
	ck_assert_uint_eq(capture_suppressed(c), 7);
	c = capture_free(c);
	sd_event_unref(e);
}
END_TEST

START_TEST(test_conf_equal)
{
	struct log_conf a = { .target = LOG_TARGET_PCAP, .pcap_path = (char *)"/x" };
	struct log_conf b = a;

	ck_assert(capture_conf_equal(&a, &b));
	b.pcap_max_size = 5;
	ck_assert(!capture_conf_equal(&a, &b));
	b = (struct log_conf){ .target = LOG_TARGET_JOURNAL };
	ck_assert(!capture_conf_equal(&a, &b));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("capture");
	TCase *tc = tcase_create("capture");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pcap_records);
	tcase_add_test(tc, test_pcap_rotation);
	tcase_add_test(tc, test_pcap_generations);
	tcase_add_test(tc, test_pcap_append);
	tcase_add_test(tc, test_pcap_partial_tail);
	tcase_add_test(tc, test_pcap_refused);
	tcase_add_test(tc, test_pcap_misframed);
	tcase_add_test(tc, test_pcap_many_records);
	tcase_add_test(tc, test_pcap_short_write);
	tcase_add_test(tc, test_pcap_cut_back_fails);
	tcase_add_test(tc, test_pcap_rotation_rename_fails);
	tcase_add_test(tc, test_journal_rate_limit);
	tcase_add_test(tc, test_conf_equal);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
