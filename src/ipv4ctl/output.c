/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "output.h"

struct output_table {
	size_t n_columns;
	char **cells;   /* row-major, headers first */
	size_t n_rows;  /* headers included */
};

int output_table_new(size_t n, const char *const *headers, struct output_table **ret)
{
	struct output_table *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	t->n_columns = n;
	r = output_table_add(t, headers);
	if (r < 0) {
		output_table_free(t);
		return r;
	}
	*ret = t;
	return 0;
}

struct output_table *output_table_free(struct output_table *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n_rows * t->n_columns; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
	return NULL;
}

void output_table_freep(struct output_table **t)
{
	output_table_free(*t);
}

int output_table_add(struct output_table *t, const char *const *cells)
{
	char **v = reallocarray(t->cells, (t->n_rows + 1) * t->n_columns, sizeof(*v));

	if (!v)
		return -ENOMEM;
	t->cells = v;
	v += t->n_rows * t->n_columns;
	for (size_t i = 0; i < t->n_columns; i++) {
		v[i] = strdup(cells[i] ? cells[i] : "-");
		if (!v[i]) {
			while (i-- > 0)
				free(v[i]);
			return -ENOMEM;
		}
	}
	t->n_rows++;
	return 0;
}

void output_table_print(const struct output_table *t, FILE *f)
{
	_cleanup_free_ size_t *w = calloc(t->n_columns, sizeof(*w));

	if (!w)
		return;
	for (size_t r = 0; r < t->n_rows; r++)
		for (size_t c = 0; c < t->n_columns; c++) {
			size_t n = strlen(t->cells[r * t->n_columns + c]);

			if (n > w[c])
				w[c] = n;
		}
	for (size_t r = 0; r < t->n_rows; r++) {
		size_t last = t->n_columns - 1;

		/* empty trailing cells print nothing: no trailing white space */
		while (last > 0 && !t->cells[r * t->n_columns + last][0])
			last--;
		for (size_t c = 0; c <= last; c++) {
			const char *s = t->cells[r * t->n_columns + c];

			if (c == last)
				fprintf(f, "%s\n", s);
			else
				fprintf(f, "%-*s  ", (int)w[c], s);
		}
	}
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && streq(s + n - k, suffix);
}

/* Gauges: rates, timestamps and counts of things that come and go (Prometheus conventions:
 * a unit suffix, no _total). */
static bool is_gauge(const char *key)
{
	return ends_with(key, "_per_second") || ends_with(key, "_seconds") ||
	       streq(key, "data_sockets") || streq(key, "workers") || streq(key, "active_input") ||
	       streq(key, "max_datagram_bytes");
}

/* String members that are labels: stable per policy. Others (last_source, egress) would
 * make a new series each time they change. */
static bool is_label(const char *key)
{
	return streq(key, "action");
}

/* An object of counters, e.g. "drops": {"send_eagain": N, ...}: one family, one series per
 * member, labelled reason="MEMBER". */
static bool is_breakdown(struct json_object *v)
{
	return json_object_is_type(v, json_type_object);
}

/* Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*; anything else becomes '_'. */
static void metric_name(const char *key, char *buf, size_t size)
{
	bool total = ends_with(key, "_total") || is_gauge(key);
	size_t o = (size_t)snprintf(buf, size, "ipv4opt_");

	for (const char *p = key; *p && o + 1 < size; p++)
		buf[o++] = (char)((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				  (*p >= '0' && *p <= '9') ? *p : '_');
	buf[o < size ? o : size - 1] = '\0';
	if (!total)
		snprintf(buf + strlen(buf), size - strlen(buf), "_total");
}

/* What a series means, for its HELP line; NULL for a key this table does not know (a newer
 * daemon's), which gets a generic line. */
static const char *metric_help(const char *key)
{
	static const char *const help[][2] = {
		{ "packets_received", "Datagrams received for the policy" },
		{ "bytes_received", "UDP payload bytes received for the policy" },
		{ "max_datagram_bytes", "Largest datagram received for the policy, in bytes" },
		{ "packets_sent", "Datagrams the kernel took to send (relay), or records written "
				  "(log)" },
		{ "bytes_sent", "Payload bytes the kernel took to send (relay), or written (log)" },
		{ "dropped_packets", "Datagrams received but not relayed or logged, every reason "
				     "(the sum of ipv4opt_drops_total)" },
		{ "drops", "Datagrams received but not relayed or logged, by reason" },
		{ "suppressed_records", "Journal records of a log policy not written because of "
					"log.rate_limit (their datagrams were received: no drops)" },
		{ "stalls", "Times no datagram came for stall_timeout: the group was left and "
			    "joined again" },
		{ "rejoins", "Leaves and joins again, by stall_timeout or rejoin_interval" },
		{ "receive_packets_per_second", "Datagrams received per second, over the last one "
						"to two seconds" },
		{ "receive_bytes_per_second", "Payload bytes received per second, over the last "
					      "one to two seconds" },
		{ "last_packet_timestamp_seconds", "Unix time of the last datagram received; 0: "
						   "none yet" },
		{ "rotations", "Times the policy's pcap file was rotated at log.max_size" },
		{ "unmatched_packets", "Datagrams on data sockets that no policy claimed (a "
				       "unicast datagram to a policy's port, say)" },
		{ "loop_packets", "The daemon's own relayed datagrams heard again, and dropped" },
		{ "rxq_overflow_packets", "Datagrams the kernel dropped because a data socket's "
					  "receive buffer was full (SO_RXQ_OVFL)" },
		{ "receive_errors", "Failed reads of data sockets" },
		{ "data_sockets", "Receive sockets of the data plane (one per port and worker)" },
		{ "workers", "Threads of the data plane (config workers, as the daemon started)" },
		{ "switches", "Times a failover policy switched its active input" },
		{ "recovered", "Sequence numbers of a merge policy missing on an input and supplied "
			       "by another" },
		{ "lost_all", "Sequence numbers of a merge policy that no input delivered within "
			      "merge_window_ms (skipped)" },
		{ "merge_duplicates", "Copies of a sequence number already held or forwarded, "
				      "dropped by a merge policy" },
		{ "merge_late", "Copies that came after their number was forwarded or given up "
				"and its window had passed, dropped" },
		{ "merge_not_rtp", "Datagrams of a merge policy without a valid RTP header, "
				   "dropped" },
		{ "merge_too_big", "Datagrams of a merge policy larger than a window slot that "
				   "had to wait, dropped" },
		{ "merge_resyncs", "Sequence number jumps beyond the window: the merge started "
				   "again there" },
		{ "active_input", "The input a failover policy forwards (1: the primary)" },
	};

	for (size_t i = 0; i < ELEMENTSOF(help); i++)
		if (streq(help[i][0], key))
			return help[i][1];
	return NULL;
}

/* A label value: backslash, double quote and newline escaped. */
static void print_label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* A label name: [a-zA-Z_][a-zA-Z0-9_]*, and not the policy label itself. */
static bool label_name_ok(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9') || streq(s, "policy"))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static bool is_number(struct json_object *v)
{
	return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

/* One sample: name{policy="P",LABELS...[,extra="value"]} V */
static void print_series(FILE *f, const char *name, const char *policy, struct json_object *pol,
			 const char *extra, const char *extra_value, struct json_object *v)
{
	fprintf(f, "%s{policy=\"", name);
	print_label_value(f, policy);
	fputc('"', f);
	json_object_object_foreach(pol, lkey, lval) {
		if (!is_label(lkey) || !label_name_ok(lkey) ||
		    !json_object_is_type(lval, json_type_string))
			continue;
		fprintf(f, ",%s=\"", lkey);
		print_label_value(f, json_object_get_string(lval));
		fputc('"', f);
	}
	if (extra) {
		fprintf(f, ",%s=\"", extra);
		print_label_value(f, extra_value);
		fputc('"', f);
	}
	if (json_object_is_type(v, json_type_int))
		fprintf(f, "} %llu\n", (unsigned long long)json_object_get_uint64(v));
	else
		fprintf(f, "} %.17g\n", json_object_get_double(v));
}

/* ipv4opt_build_info{version="V"} 1: the daemon's version as a label, the usual way to
 * export it (the value is always 1, so it joins onto other series in queries). */
static void print_build_info(struct json_object *data, FILE *f)
{
	struct json_object *v;

	if (!json_object_object_get_ex(data, "version", &v) ||
	    !json_object_is_type(v, json_type_string))
		return;
	fputs("# HELP ipv4opt_build_info ipv4optd's version as a label; the value is always 1\n"
	      "# TYPE ipv4opt_build_info gauge\n"
	      "ipv4opt_build_info{version=\"", f);
	print_label_value(f, json_object_get_string(v));
	fputs("\"} 1\n", f);
}

/* The data path's own counters ("data_path": {"KEY": N}), of no policy: one series each,
 * without labels. */
static void print_data_path(struct json_object *data, FILE *f)
{
	struct json_object *dp;

	if (!json_object_object_get_ex(data, "data_path", &dp) ||
	    !json_object_is_type(dp, json_type_object))
		return;
	json_object_object_foreach(dp, key, v) {
		char name[256];
		bool gauge = is_gauge(key);

		if (!is_number(v))
			continue;
		metric_name(key, name, sizeof(name));
		if (metric_help(key))
			fprintf(f, "# HELP %s %s\n", name, metric_help(key));
		else
			fprintf(f, "# HELP %s ipv4optd %s \"%s\" of the data path\n", name,
				gauge ? "gauge" : "counter", key);
		fprintf(f, "# TYPE %s %s\n", name, gauge ? "gauge" : "counter");
		if (json_object_is_type(v, json_type_int))
			fprintf(f, "%s %llu\n", name,
				(unsigned long long)json_object_get_uint64(v));
		else
			fprintf(f, "%s %.17g\n", name, json_object_get_double(v));
	}
}

static uint64_t data_path_counter(struct json_object *dp, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(dp, key, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_uint64(v);
}

void output_stats_data_path(struct json_object *data, FILE *f)
{
	struct json_object *dp;

	if (!json_object_object_get_ex(data, "data_path", &dp) ||
	    !json_object_is_type(dp, json_type_object))
		return;
	uint64_t sockets = data_path_counter(dp, "data_sockets");
	uint64_t errors = data_path_counter(dp, "receive_errors");

	fprintf(f, "data path: %" PRIu64 " socket%s, %" PRIu64 " unmatched, %" PRIu64 " loop, %"
		PRIu64 " rxq overflow, %" PRIu64 " receive error%s\n", sockets,
		sockets == 1 ? "" : "s", data_path_counter(dp, "unmatched_packets"),
		data_path_counter(dp, "loop_packets"),
		data_path_counter(dp, "rxq_overflow_packets"), errors, errors == 1 ? "" : "s");
}

/* The stream analysis of each analysed policy ("stream": {...}): counters as _total, the
 * rest as gauges in base units (seconds, bits per second), labelled with the format analysed.
 * rtp_lost is a gauge: RFC 3550's cumulative loss goes down when a late packet comes. */
static const struct {
	const char *key, *name, *help;
	bool gauge;
	double scale;
} stream_series[] = {
	{ "on_air", "ipv4opt_stream_on_air", "1 when a datagram of the policy's stream came "
	  "within stall_timeout (1 s by default), else 0", true, 1 },
	{ "max_gap_ms", "ipv4opt_stream_max_gap_seconds", "Longest time between two datagrams "
	  "in the last interval (1 s) and the current one, or the silence now", true, 1e-3 },
	{ "jitter_ms", "ipv4opt_stream_jitter_seconds", "RTP interarrival jitter (RFC 3550 "
	  "6.4.1) of the stream's current source", true, 1e-3 },
	{ "rtp_lost", "ipv4opt_stream_rtp_lost_packets", "RTP packets expected and not received "
	  "(RFC 3550 A.3 cumulative loss: a late packet takes its loss back)", true, 1 },
	{ "datagrams", "ipv4opt_stream_datagrams_total", "Datagrams analysed", false, 1 },
	{ "rtp_packets", "ipv4opt_stream_rtp_packets_total", "Datagrams with a valid RTP header",
	  false, 1 },
	{ "rtp_errors", "ipv4opt_stream_rtp_errors_total", "Datagrams whose RTP header did not "
	  "parse", false, 1 },
	{ "rtp_duplicates", "ipv4opt_stream_rtp_duplicates_total", "RTP packets received twice",
	  false, 1 },
	{ "rtp_reordered", "ipv4opt_stream_rtp_reordered_total", "RTP packets that came after a "
	  "later one", false, 1 },
	{ "rtp_ssrc_changes", "ipv4opt_stream_rtp_ssrc_changes_total", "Datagrams of a new RTP "
	  "source (SSRC)", false, 1 },
	{ "rtp_resyncs", "ipv4opt_stream_rtp_resyncs_total", "RTP sequence restarts after a jump "
	  "of more than 3000", false, 1 },
	{ "ts_packets", "ipv4opt_stream_ts_packets_total", "MPEG-TS packets with the sync byte",
	  false, 1 },
	{ "ts_sync_errors", "ipv4opt_stream_ts_sync_errors_total", "188-byte slots without the "
	  "MPEG-TS sync byte", false, 1 },
	{ "ts_cc_errors", "ipv4opt_stream_ts_cc_errors_total", "MPEG-TS continuity counter "
	  "errors, all PIDs", false, 1 },
	{ "ts_duplicates", "ipv4opt_stream_ts_duplicates_total", "MPEG-TS duplicate packets (the "
	  "one repeat ISO/IEC 13818-1 allows)", false, 1 },
	{ "ts_discontinuities", "ipv4opt_stream_ts_discontinuities_total", "MPEG-TS packets "
	  "with the discontinuity indicator", false, 1 },
	{ "ts_transport_errors", "ipv4opt_stream_ts_transport_errors_total", "MPEG-TS packets "
	  "with the transport error indicator", false, 1 },
	{ "ts_length_errors", "ipv4opt_stream_ts_length_errors_total", "Payloads not a multiple "
	  "of 188 bytes", false, 1 },
	{ "ts_null_packets", "ipv4opt_stream_ts_null_packets_total", "MPEG-TS null packets (PID "
	  "0x1FFF)", false, 1 },
	{ "ts_pids", "ipv4opt_stream_ts_pids", "Distinct MPEG-TS PIDs seen (the null PID not "
	  "counted)", true, 1 },
	{ "ts_bitrate", "ipv4opt_stream_ts_bits_per_second", "MPEG-TS bit rate over the last "
	  "interval (1 s)", true, 1 },
	{ "other_datagrams", "ipv4opt_stream_other_datagrams_total", "Datagrams of sources "
	  "beyond the ones analysed (4 per policy and worker), counted only", false, 1 },
};

static void print_stream_sample(FILE *f, const char *name, const char *policy,
				struct json_object *st, const char *pid, struct json_object *v,
				double scale)
{
	const char *format = NULL;
	struct json_object *fv;

	if (json_object_object_get_ex(st, "format", &fv) && json_object_is_type(fv, json_type_string))
		format = json_object_get_string(fv);
	fprintf(f, "%s{policy=\"", name);
	print_label_value(f, policy);
	fputs("\",format=\"", f);
	print_label_value(f, format ? format : "");
	fputc('"', f);
	if (pid)
		fprintf(f, ",pid=\"%s\"", pid);
	if (json_object_is_type(v, json_type_boolean))
		fprintf(f, "} %d\n", json_object_get_boolean(v) ? 1 : 0);
	else if (json_object_is_type(v, json_type_int) && scale == 1)
		fprintf(f, "} %llu\n", (unsigned long long)json_object_get_uint64(v));
	else
		fprintf(f, "} %.17g\n", json_object_get_double(v) * scale);
}

static void print_stream(struct json_object *policies, FILE *f)
{
	bool any = false;

	json_object_object_foreach(policies, p0, pol0) {
		(void)p0;
		any |= json_object_is_type(pol0, json_type_object) &&
		       json_object_object_get_ex(pol0, "stream", NULL);
	}
	if (!any)
		return;
	for (size_t i = 0; i < ELEMENTSOF(stream_series); i++) {
		fprintf(f, "# HELP %s %s, per policy\n# TYPE %s %s\n", stream_series[i].name,
			stream_series[i].help, stream_series[i].name,
			stream_series[i].gauge ? "gauge" : "counter");
		json_object_object_foreach(policies, pname, pol) {
			struct json_object *st, *v;

			if (!json_object_is_type(pol, json_type_object) ||
			    !json_object_object_get_ex(pol, "stream", &st) ||
			    !json_object_is_type(st, json_type_object) ||
			    !json_object_object_get_ex(st, stream_series[i].key, &v) ||
			    !(is_number(v) || json_object_is_type(v, json_type_boolean)))
				continue;
			print_stream_sample(f, stream_series[i].name, pname, st, NULL, v,
					    stream_series[i].scale);
		}
	}
	fputs("# HELP ipv4opt_stream_ts_pid_cc_errors_total MPEG-TS continuity counter errors of "
	      "one PID (the first 8 PIDs in error), per policy\n"
	      "# TYPE ipv4opt_stream_ts_pid_cc_errors_total counter\n", f);
	json_object_object_foreach(policies, pname2, pol2) {
		struct json_object *st, *by;

		if (!json_object_is_type(pol2, json_type_object) ||
		    !json_object_object_get_ex(pol2, "stream", &st) ||
		    !json_object_is_type(st, json_type_object) ||
		    !json_object_object_get_ex(st, "ts_cc_errors_by_pid", &by) ||
		    !json_object_is_type(by, json_type_object))
			continue;
		json_object_object_foreach(by, pid, n) {
			if (is_number(n))
				print_stream_sample(f, "ipv4opt_stream_ts_pid_cc_errors_total", pname2,
						    st, pid, n, 1);
		}
	}
}

/* The per-input series of policies with redundant inputs ("inputs": [...]), labelled
 * input="N" (1: the primary) and group. */
static void print_inputs(struct json_object *policies, FILE *f)
{
	static const struct {
		const char *key, *name, *help;
		bool gauge;
	} series[] = {
		{ "packets_received", "ipv4opt_input_packets_received_total",
		  "Datagrams received on the input", false },
		{ "bytes_received", "ipv4opt_input_bytes_received_total",
		  "UDP payload bytes received on the input", false },
		{ "lost_packets", "ipv4opt_input_lost_packets_total",
		  "Sequence numbers of a merge policy the input did not deliver in time", false },
		{ "inactive_packets", "ipv4opt_input_inactive_packets_total",
		  "Datagrams of a failover policy's input not forwarded: another input was active",
		  false },
		{ "forwarded_first", "ipv4opt_input_forwarded_first_total",
		  "Sequence numbers of a merge policy forwarded from the input (it came first)",
		  false },
		{ "active", "ipv4opt_input_active",
		  "1 when the input is forwarded (failover: the active one; merge: it delivers)",
		  true },
	};
	bool any = false;

	json_object_object_foreach(policies, n0, p0) {
		(void)n0;
		any |= json_object_is_type(p0, json_type_object) &&
		       json_object_object_get_ex(p0, "inputs", NULL);
	}
	if (!any)
		return;
	for (size_t i = 0; i < ELEMENTSOF(series); i++) {
		fprintf(f, "# HELP %s %s, per policy and input\n# TYPE %s %s\n", series[i].name,
			series[i].help, series[i].name, series[i].gauge ? "gauge" : "counter");
		json_object_object_foreach(policies, pname, pol) {
			struct json_object *inputs;

			if (!json_object_is_type(pol, json_type_object) ||
			    !json_object_object_get_ex(pol, "inputs", &inputs) ||
			    !json_object_is_type(inputs, json_type_array))
				continue;
			for (size_t k = 0; k < json_object_array_length(inputs); k++) {
				struct json_object *in = json_object_array_get_idx(inputs, k), *v, *g;

				if (!json_object_object_get_ex(in, series[i].key, &v))
					continue;
				fprintf(f, "%s{policy=\"", series[i].name);
				print_label_value(f, pname);
				fprintf(f, "\",input=\"%zu\"", k + 1);
				if (json_object_object_get_ex(in, "group", &g) &&
				    json_object_is_type(g, json_type_string)) {
					fputs(",group=\"", f);
					print_label_value(f, json_object_get_string(g));
					fputc('"', f);
				}
				if (json_object_is_type(v, json_type_boolean))
					fprintf(f, "} %d\n", json_object_get_boolean(v) ? 1 : 0);
				else
					fprintf(f, "} %llu\n",
						(unsigned long long)json_object_get_uint64(v));
			}
		}
	}
}

void output_stats_inputs(struct json_object *data, FILE *f)
{
	struct json_object *policies;

	if (!json_object_object_get_ex(data, "policies", &policies) ||
	    !json_object_is_type(policies, json_type_object))
		return;
	json_object_object_foreach(policies, pname, pol) {
		struct json_object *inputs, *v;

		if (!json_object_is_type(pol, json_type_object) ||
		    !json_object_object_get_ex(pol, "inputs", &inputs) ||
		    !json_object_is_type(inputs, json_type_array))
			continue;
#define U(o, k) (json_object_object_get_ex((o), (k), &v) ? \
		 (unsigned long long)json_object_get_uint64(v) : 0ULL)
		fprintf(f, "\n%s: %s, switches %llu, recovered %llu, lost_all %llu\n", pname,
			json_object_object_get_ex(pol, "redundancy", &v) ?
				json_object_get_string(v) : "?",
			U(pol, "switches"), U(pol, "recovered"), U(pol, "lost_all"));
		for (size_t k = 0; k < json_object_array_length(inputs); k++) {
			struct json_object *in = json_object_array_get_idx(inputs, k);
			bool active = json_object_object_get_ex(in, "active", &v) &&
				      json_object_get_boolean(v);

			fprintf(f, "  input %zu %s:%llu%s  in %llu  lost %llu  inactive %llu\n",
				k + 1,
				json_object_object_get_ex(in, "group", &v) ?
					json_object_get_string(v) : "?",
				U(in, "port"), active ? " active" : "", U(in, "packets_received"),
				U(in, "lost_packets"), U(in, "inactive_packets"));
		}
#undef U
	}
}

/* A label's value as a sample's label: ,NAME="VALUE" (nothing for a null value). */
static void print_label(FILE *f, const char *name, const char *value)
{
	if (!value)
		return;
	fprintf(f, ",%s=\"", name);
	print_label_value(f, value);
	fputc('"', f);
}

static const char *obj_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* What can be alerted on, from each policy's state: its memberships by state, whether each
 * relay output sends (its egress interface is there and sends do not fail), whether each log
 * records (its pcap file is open and written). */
static void print_policy_states(struct json_object *policies, FILE *f)
{
	static const char *const states[] = { "joined", "waiting", "failed" };

	fputs("# HELP ipv4opt_memberships Memberships of the policy, by state (joined; waiting for "
	      "the interface; failed: the reason is in ipv4ctl show)\n"
	      "# TYPE ipv4opt_memberships gauge\n", f);
	json_object_object_foreach(policies, pname, pol) {
		struct json_object *m;

		if (!json_object_object_get_ex(pol, "memberships", &m) ||
		    !json_object_is_type(m, json_type_object))
			continue;
		for (size_t i = 0; i < ELEMENTSOF(states); i++) {
			struct json_object *v;

			if (json_object_object_get_ex(m, states[i], &v) && is_number(v))
				print_series(f, "ipv4opt_memberships", pname, pol, "state", states[i],
					     v);
		}
	}
	fputs("# HELP ipv4opt_output_up Whether a relay output sends: 1, or 0 when its egress "
	      "interface is missing or sends failed in the last 10 s (ipv4ctl show says why)\n"
	      "# TYPE ipv4opt_output_up gauge\n", f);
	json_object_object_foreach(policies, pname2, pol2) {
		struct json_object *outs;

		if (!json_object_object_get_ex(pol2, "outputs", &outs) ||
		    !json_object_is_type(outs, json_type_array))
			continue;
		for (size_t i = 0; i < json_object_array_length(outs); i++) {
			struct json_object *x = json_object_array_get_idx(outs, i);
			const char *st = obj_str(x, "state");

			fputs("ipv4opt_output_up{policy=\"", f);
			print_label_value(f, pname2);
			fputc('"', f);
			print_label(f, "to", obj_str(x, "to"));
			print_label(f, "interface", obj_str(x, "interface"));
			fprintf(f, "} %d\n", st && streq(st, "up"));
		}
	}
	fputs("# HELP ipv4opt_capture_up Whether a log policy records: 1, or 0 when its pcap file "
	      "cannot be opened or written (ipv4ctl show says why)\n"
	      "# TYPE ipv4opt_capture_up gauge\n", f);
	json_object_object_foreach(policies, pname3, pol3) {
		struct json_object *log;
		const char *st;

		if (!json_object_object_get_ex(pol3, "log", &log) ||
		    !json_object_is_type(log, json_type_object))
			continue;
		st = obj_str(log, "state");
		fputs("ipv4opt_capture_up{policy=\"", f);
		print_label_value(f, pname3);
		fputc('"', f);
		print_label(f, "target", obj_str(log, "target"));
		fprintf(f, "} %d\n", st && streq(st, "recording"));
	}
}

int output_prometheus(struct json_object *data, FILE *f)
{
	struct json_object *policies, *seen;
	_cleanup_free_ const char **keys = NULL;
	size_t n_keys = 0;

	if (!json_object_object_get_ex(data, "policies", &policies) ||
	    !json_object_is_type(policies, json_type_object))
		return -EBADMSG;
	print_build_info(data, f);
	print_data_path(data, f);
	print_policy_states(policies, f);

	/* Every counter name, in the order first seen: one metric family each. */
	seen = json_object_new_object();
	if (!seen)
		return -ENOMEM;
	json_object_object_foreach(policies, pname, pol) {
		(void)pname;
		if (!json_object_is_type(pol, json_type_object))
			continue;
		json_object_object_foreach(pol, key, val) {
			const char **v;

			if (streq(key, "stream"))
				continue; /* print_stream() */
			if (streq(key, "memberships") || streq(key, "log"))
				continue; /* print_policy_states() */
			if ((!is_number(val) && !is_breakdown(val)) ||
			    json_object_object_get_ex(seen, key, NULL))
				continue;
			v = reallocarray(keys, n_keys + 1, sizeof(*keys));
			if (!v) {
				json_object_put(seen);
				return -ENOMEM;
			}
			keys = v;
			keys[n_keys++] = key;
			json_object_object_add(seen, key, NULL);
		}
	}
	json_object_put(seen);

	for (size_t k = 0; k < n_keys; k++) {
		char name[256];
		bool gauge = is_gauge(keys[k]);

		metric_name(keys[k], name, sizeof(name));
		if (metric_help(keys[k]))
			fprintf(f, "# HELP %s %s, per policy\n", name, metric_help(keys[k]));
		else
			fprintf(f, "# HELP %s ipv4optd %s \"%s\" per policy\n", name,
				gauge ? "gauge" : "counter", keys[k]);
		fprintf(f, "# TYPE %s %s\n", name, gauge ? "gauge" : "counter");
		json_object_object_foreach(policies, pname2, pol2) {
			struct json_object *v;

			if (!json_object_is_type(pol2, json_type_object) ||
			    !json_object_object_get_ex(pol2, keys[k], &v))
				continue;
			if (is_breakdown(v)) {
				json_object_object_foreach(v, reason, rv) {
					if (!is_number(rv))
						continue;
					print_series(f, name, pname2, pol2, "reason", reason, rv);
				}
				continue;
			}
			if (is_number(v))
				print_series(f, name, pname2, pol2, NULL, NULL, v);
		}
	}
	print_stream(policies, f);
	print_inputs(policies, f);
	return 0;
}

static const char *dstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int output_diagnose(struct json_object *data, FILE *f)
{
	struct json_object *a;
	size_t n, errors = 0, warnings = 0;

	if (!json_object_object_get_ex(data, "findings", &a) ||
	    !json_object_is_type(a, json_type_array))
		return -EBADMSG;
	n = json_object_array_length(a);
	for (size_t i = 0; i < n; i++) {
		struct json_object *x = json_object_array_get_idx(a, i);
		const char *sev = dstr(x, "severity") ?: "?", *ifname = dstr(x, "interface");
		const char *policy = dstr(x, "policy");

		errors += streq(sev, "error");
		warnings += streq(sev, "warning");
		if (!f)
			continue;
		fprintf(f, "%s: %s", sev, dstr(x, "code") ?: "?");
		if (policy)
			fprintf(f, ", policy %s", policy);
		if (ifname)
			fprintf(f, ", %s", ifname);
		fprintf(f, ": %s\n", dstr(x, "message") ?: "");
		if (dstr(x, "hint") && *dstr(x, "hint"))
			fprintf(f, "  fix: %s\n", dstr(x, "hint"));
	}
	if (f) {
		if (n == 0)
			fprintf(f, "no findings\n");
		else
			fprintf(f, "%zu error%s, %zu warning%s, %zu other\n", errors,
				errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s",
				n - errors - warnings);
	}
	return errors > 0;
}
