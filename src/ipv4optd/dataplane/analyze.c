/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "ctlproto.h"

int analyze_new(size_t n_workers, const struct stream_config *config, struct analyze **ret)
{
	size_t bytes = (n_workers ? n_workers : 1) * sizeof(struct analyze);
	struct analyze *a;
	int k;

	a = aligned_alloc(COUNTERS_CACHELINE, bytes); /* sizeof is a multiple of the alignment */
	if (!a)
		return -ENOMEM;
	memset(a, 0, bytes);
	for (size_t w = 0; w < n_workers; w++)
		for (size_t i = 0; i < ANALYZE_SOURCES; i++) {
			k = stream_init(&a[w].src[i].stream, config);
			if (k < 0) {
				free(a);
				return k;
			}
			/* the defaults filled in */
			a[w].config = a[w].src[i].stream.config;
		}
	*ret = a;
	return 0;
}

/* What the control plane may read of x: its counters, after each datagram. The table of PIDs
 * in error changes only with an error: copied then. */
static void publish(struct analyze_source *x)
{
	struct analyze_published *p = &x->pub;
	struct stream_counters c;

	stream_snapshot(&x->stream, x->stream.last_ns, &c);
	COUNTER_SET(p->detected, (uint64_t)c.detected);
	COUNTER_SET(p->rtp_ts, c.rtp_ts);
	COUNTER_SET(p->datagrams, c.datagrams);
	COUNTER_SET(p->bytes, c.bytes);
	COUNTER_SET(p->rtp_packets, c.rtp_packets);
	COUNTER_SET(p->rtp_errors, c.rtp_errors);
	COUNTER_SET(p->rtp_lost, c.rtp_lost);
	COUNTER_SET(p->rtp_duplicates, c.rtp_duplicates);
	COUNTER_SET(p->rtp_reordered, c.rtp_reordered);
	COUNTER_SET(p->rtp_ssrc_changes, c.rtp_ssrc_changes);
	COUNTER_SET(p->rtp_resyncs, c.rtp_resyncs);
	COUNTER_SET(p->rtp_ssrc, c.rtp_ssrc);
	COUNTER_SET(p->jitter_ns, (uint64_t)(c.jitter_ms * 1e6));
	COUNTER_SET(p->ts_packets, c.ts_packets);
	COUNTER_SET(p->ts_sync_errors, c.ts_sync_errors);
	if (c.ts_cc_errors != p->ts_cc_errors) {
		for (uint32_t i = 0; i < c.ts_n_error_pids; i++)
			COUNTER_SET(p->error_pids[i], (uint64_t)c.ts_error_pids[i].pid << 48 |
							      c.ts_error_pids[i].cc_errors);
		COUNTER_SET(p->n_error_pids, c.ts_n_error_pids);
		COUNTER_SET(p->ts_cc_errors, c.ts_cc_errors);
	}
	COUNTER_SET(p->ts_duplicates, c.ts_duplicates);
	COUNTER_SET(p->ts_discontinuities, c.ts_discontinuities);
	COUNTER_SET(p->ts_transport_errors, c.ts_transport_errors);
	COUNTER_SET(p->ts_length_errors, c.ts_length_errors);
	COUNTER_SET(p->ts_null_packets, c.ts_null_packets);
	COUNTER_SET(p->ts_pids, c.ts_pids);
	COUNTER_SET(p->ts_bitrate, c.ts_bitrate);
	COUNTER_SET(p->max_gap_ns, c.max_gap_ns);
	COUNTER_SET(p->last_ns, x->stream.last_ns);
}

bool analyze_feed(struct analyze *a, in_addr_t src, const uint8_t *buf, size_t len,
		  uint64_t now_ns)
{
	struct analyze_source *x = NULL;
	bool came = false;

	for (size_t i = 0; i < a->n_sources; i++)
		if (a->src[i].pub.addr == src) {
			x = &a->src[i];
			break;
		}
	if (!x) {
		if (a->n_sources == ANALYZE_SOURCES) {
			COUNTER_ADD(a->other_datagrams, 1);
			return false;
		}
		x = &a->src[a->n_sources++];
		COUNTER_SET(x->pub.addr, src);
		__atomic_store_n(&x->pub.used, 1, __ATOMIC_RELEASE);
		came = true;
	} else if (x->stream.have_last && now_ns > x->stream.last_ns &&
		   now_ns - x->stream.last_ns > a->config.stall_timeout_ns) {
		came = true; /* back after a silence the control plane calls off the air */
	}
	stream_feed(&x->stream, buf, len, now_ns);
	publish(x);
	if (came)
		COUNTER_ADD(a->on_air_events, 1);
	return came;
}

/* One source as of now_ns, from what its worker published. */
static bool source_read(const struct analyze *a, const struct analyze_source *x, uint64_t now_ns,
			struct stream_counters *ret, in_addr_t *ret_addr)
{
	const struct analyze_published *p = &x->pub;
	struct stream_counters c = { .format = a->config.format };
	uint64_t last, gap;

	if (!__atomic_load_n(&p->used, __ATOMIC_ACQUIRE))
		return false;
	c.detected = (enum stream_format)COUNTER_GET(p->detected);
	c.rtp_ts = COUNTER_GET(p->rtp_ts);
	c.datagrams = COUNTER_GET(p->datagrams);
	c.bytes = COUNTER_GET(p->bytes);
	c.rtp_packets = COUNTER_GET(p->rtp_packets);
	c.rtp_errors = COUNTER_GET(p->rtp_errors);
	c.rtp_lost = COUNTER_GET(p->rtp_lost);
	c.rtp_duplicates = COUNTER_GET(p->rtp_duplicates);
	c.rtp_reordered = COUNTER_GET(p->rtp_reordered);
	c.rtp_ssrc_changes = COUNTER_GET(p->rtp_ssrc_changes);
	c.rtp_resyncs = COUNTER_GET(p->rtp_resyncs);
	c.rtp_ssrc = (uint32_t)COUNTER_GET(p->rtp_ssrc);
	c.jitter_ms = (double)COUNTER_GET(p->jitter_ns) / 1e6;
	c.ts_packets = COUNTER_GET(p->ts_packets);
	c.ts_sync_errors = COUNTER_GET(p->ts_sync_errors);
	c.ts_cc_errors = COUNTER_GET(p->ts_cc_errors);
	c.ts_n_error_pids = (uint32_t)COUNTER_GET(p->n_error_pids);
	if (c.ts_n_error_pids > MPEGTS_ERROR_PIDS)
		c.ts_n_error_pids = MPEGTS_ERROR_PIDS;
	for (uint32_t i = 0; i < c.ts_n_error_pids; i++) {
		uint64_t v = COUNTER_GET(p->error_pids[i]);

		c.ts_error_pids[i].pid = (uint16_t)(v >> 48);
		c.ts_error_pids[i].cc_errors = v & ((UINT64_C(1) << 48) - 1);
	}
	c.ts_duplicates = COUNTER_GET(p->ts_duplicates);
	c.ts_discontinuities = COUNTER_GET(p->ts_discontinuities);
	c.ts_transport_errors = COUNTER_GET(p->ts_transport_errors);
	c.ts_length_errors = COUNTER_GET(p->ts_length_errors);
	c.ts_null_packets = COUNTER_GET(p->ts_null_packets);
	c.ts_pids = (uint32_t)COUNTER_GET(p->ts_pids);
	c.ts_bitrate = COUNTER_GET(p->ts_bitrate);
	last = COUNTER_GET(p->last_ns);
	gap = now_ns > last ? now_ns - last : 0;
	c.max_gap_ns = COUNTER_GET(p->max_gap_ns);
	if (gap > c.max_gap_ns)
		c.max_gap_ns = gap; /* a silent stream shows its silence */
	c.on_air = last > 0 && gap <= a->config.stall_timeout_ns;
	*ret = c;
	*ret_addr = (in_addr_t)COUNTER_GET(p->addr);
	return true;
}

static void add_error_pids(struct stream_counters *t, const struct stream_counters *c)
{
	for (uint32_t i = 0; i < c->ts_n_error_pids; i++) {
		uint32_t j;

		for (j = 0; j < t->ts_n_error_pids; j++)
			if (t->ts_error_pids[j].pid == c->ts_error_pids[i].pid)
				break;
		if (j == t->ts_n_error_pids) {
			if (j == MPEGTS_ERROR_PIDS)
				continue;
			t->ts_error_pids[t->ts_n_error_pids++] =
				(struct mpegts_pid_errors){ .pid = c->ts_error_pids[i].pid };
		}
		t->ts_error_pids[j].cc_errors += c->ts_error_pids[i].cc_errors;
	}
}

/*
 * The policy's stream over all its sources and workers: counters summed, TS PIDs the most any
 * source had, the bitrate summed over sources on the air. On the air when one source is; the
 * jitter and the longest gap are the worst of the sources on the air, or, when none is, those
 * of the source heard last (its silence); the format detected and the SSRC are the latter's.
 */
void analyze_summarize(const struct analyze *a, size_t n_workers, uint64_t now_ns,
		       struct analyze_summary *ret)
{
	struct analyze_summary s = { .total.format = a->config.format,
				     .total.detected = a->config.format };
	struct stream_counters *t = &s.total, recent = {};
	uint64_t recent_last = 0, gap_on = 0;
	double jitter_on = 0;

	for (size_t w = 0; w < n_workers; w++) {
		s.other_datagrams += COUNTER_GET(a[w].other_datagrams);
		s.on_air_events += COUNTER_GET(a[w].on_air_events);
		for (size_t i = 0; i < ANALYZE_SOURCES; i++) {
			struct stream_counters c;
			in_addr_t addr;
			uint64_t last;

			if (!source_read(&a[w], &a[w].src[i], now_ns, &c, &addr))
				continue;
			s.sources++;
			last = COUNTER_GET(a[w].src[i].pub.last_ns);
			if (last >= recent_last) {
				recent_last = last;
				recent = c;
			}
			t->rtp_ts |= c.rtp_ts;
			t->datagrams += c.datagrams;
			t->bytes += c.bytes;
			t->rtp_packets += c.rtp_packets;
			t->rtp_errors += c.rtp_errors;
			t->rtp_lost += c.rtp_lost;
			t->rtp_duplicates += c.rtp_duplicates;
			t->rtp_reordered += c.rtp_reordered;
			t->rtp_ssrc_changes += c.rtp_ssrc_changes;
			t->rtp_resyncs += c.rtp_resyncs;
			t->ts_packets += c.ts_packets;
			t->ts_sync_errors += c.ts_sync_errors;
			t->ts_cc_errors += c.ts_cc_errors;
			t->ts_duplicates += c.ts_duplicates;
			t->ts_discontinuities += c.ts_discontinuities;
			t->ts_transport_errors += c.ts_transport_errors;
			t->ts_length_errors += c.ts_length_errors;
			t->ts_null_packets += c.ts_null_packets;
			if (c.ts_pids > t->ts_pids)
				t->ts_pids = c.ts_pids;
			add_error_pids(t, &c);
			if (c.on_air) {
				t->on_air = true;
				t->ts_bitrate += c.ts_bitrate;
				if (c.max_gap_ns > gap_on)
					gap_on = c.max_gap_ns;
				if (c.jitter_ms > jitter_on)
					jitter_on = c.jitter_ms;
			}
		}
	}
	if (s.sources > 0) {
		t->detected = recent.detected;
		t->rtp_ssrc = recent.rtp_ssrc;
		t->max_gap_ns = t->on_air ? gap_on : recent.max_gap_ns;
		t->jitter_ms = t->on_air ? jitter_on : recent.jitter_ms;
	}
	s.last_ns = recent_last;
	*ret = s;
}

static int add_u64(struct json_object *o, const char *key, uint64_t v)
{
	return ctlproto_json_add(o, key, json_object_new_uint64(v));
}

static int add_double(struct json_object *o, const char *key, double v)
{
	return ctlproto_json_add(o, key, json_object_new_double(v));
}

/* One stream's counters, as doc/stream-analysis.md names them. */
static int counters_json(const struct stream_counters *c, struct json_object *o)
{
	struct json_object *pids = json_object_new_object();
	const char *det = stream_format_to_string(c->detected);
	char buf[16];
	int k = 0;

	k |= ctlproto_json_add(o, "format", json_object_new_string(
					       stream_format_to_string(c->format) ?: "none"));
	/* auto, undecided yet: null */
	if (c->format == STREAM_FORMAT_AUTO && c->detected == STREAM_FORMAT_AUTO)
		det = NULL;
	k |= json_object_object_add(o, "detected", det ? json_object_new_string(det) : NULL) < 0
		     ? -ENOMEM : 0;
	k |= ctlproto_json_add(o, "on_air", json_object_new_boolean(c->on_air));
	k |= add_double(o, "max_gap_ms", (double)c->max_gap_ns / 1e6);
	k |= add_u64(o, "datagrams", c->datagrams);
	k |= add_u64(o, "bytes", c->bytes);
	k |= add_u64(o, "rtp_packets", c->rtp_packets);
	k |= add_u64(o, "rtp_errors", c->rtp_errors);
	k |= add_u64(o, "rtp_lost", c->rtp_lost);
	k |= add_u64(o, "rtp_duplicates", c->rtp_duplicates);
	k |= add_u64(o, "rtp_reordered", c->rtp_reordered);
	k |= add_u64(o, "rtp_ssrc_changes", c->rtp_ssrc_changes);
	k |= add_u64(o, "rtp_resyncs", c->rtp_resyncs);
	if (c->rtp_packets > 0) {
		snprintf(buf, sizeof(buf), "0x%08x", c->rtp_ssrc);
		k |= ctlproto_json_add(o, "rtp_ssrc", json_object_new_string(buf));
	} else
		k |= json_object_object_add(o, "rtp_ssrc", NULL) < 0 ? -ENOMEM : 0;
	k |= add_double(o, "jitter_ms", c->jitter_ms);
	k |= ctlproto_json_add(o, "rtp_ts", json_object_new_boolean(c->rtp_ts));
	k |= add_u64(o, "ts_packets", c->ts_packets);
	k |= add_u64(o, "ts_sync_errors", c->ts_sync_errors);
	k |= add_u64(o, "ts_cc_errors", c->ts_cc_errors);
	for (uint32_t i = 0; pids && i < c->ts_n_error_pids; i++) {
		snprintf(buf, sizeof(buf), "%u", c->ts_error_pids[i].pid);
		k |= add_u64(pids, buf, c->ts_error_pids[i].cc_errors);
	}
	k |= ctlproto_json_add(o, "ts_cc_errors_by_pid", pids);
	k |= add_u64(o, "ts_duplicates", c->ts_duplicates);
	k |= add_u64(o, "ts_discontinuities", c->ts_discontinuities);
	k |= add_u64(o, "ts_transport_errors", c->ts_transport_errors);
	k |= add_u64(o, "ts_length_errors", c->ts_length_errors);
	k |= add_u64(o, "ts_null_packets", c->ts_null_packets);
	k |= add_u64(o, "ts_pids", c->ts_pids);
	k |= add_u64(o, "ts_bitrate", c->ts_bitrate);
	return k ? -ENOMEM : 0;
}

int analyze_json(const struct analyze *a, size_t n_workers, uint64_t now_ns,
		 struct json_object *obj)
{
	struct json_object *st = json_object_new_object(), *arr = json_object_new_array();
	struct analyze_summary s;
	int k = st && arr ? 0 : -ENOMEM;

	analyze_summarize(a, n_workers, now_ns, &s);
	if (st)
		k |= counters_json(&s.total, st);
	if (st)
		k |= add_u64(st, "other_datagrams", s.other_datagrams);
	for (size_t w = 0; arr && w < n_workers; w++)
		for (size_t i = 0; i < ANALYZE_SOURCES; i++) {
			struct json_object *x;
			struct stream_counters c;
			struct in_addr in;
			char addr[INET_ADDRSTRLEN];

			if (!source_read(&a[w], &a[w].src[i], now_ns, &c, &in.s_addr))
				continue;
			x = json_object_new_object();
			if (!x || !inet_ntop(AF_INET, &in, addr, sizeof(addr))) {
				json_object_put(x);
				k = -ENOMEM;
				continue;
			}
			k |= ctlproto_json_add(x, "source", json_object_new_string(addr));
			k |= counters_json(&c, x);
			k |= json_object_array_add(arr, x) < 0 ? -ENOMEM : 0;
		}
	if (st)
		k |= ctlproto_json_add(st, "sources", arr);
	else
		json_object_put(arr);
	k |= ctlproto_json_add(obj, "stream", st);
	return k ? -ENOMEM : 0;
}
