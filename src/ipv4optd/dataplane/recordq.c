/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "recordq.h"

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)
#define WRAP_MARK UINT64_MAX           /* policy_id of a filler up to the end of the ring */

struct recordq {
	uint8_t *buf;
	size_t head __attribute__((aligned(64))); /* consumer's, atomic */
	size_t tail __attribute__((aligned(64))); /* producer's, atomic */
};

int recordq_new(struct recordq **ret)
{
	struct recordq *q = aligned_alloc(64, sizeof(*q));

	if (!q)
		return -ENOMEM;
	memset(q, 0, sizeof(*q));
	q->buf = malloc(RECORDQ_SIZE);
	if (!q->buf) {
		free(q);
		return -ENOMEM;
	}
	*ret = q;
	return 0;
}

struct recordq *recordq_free(struct recordq *q)
{
	if (!q)
		return NULL;
	free(q->buf);
	free(q);
	return NULL;
}

/* head and tail count bytes for ever (no wrap of the counters in practice: 2^64); the offset
 * in the ring is the count modulo its size. An entry never straddles the end: a filler marks
 * the rest of the ring as skipped. */
bool recordq_push(struct recordq *q, const struct recordq_entry *e, const void *data)
{
	size_t need = ALIGN8(sizeof(*e) + e->len);
	size_t tail = q->tail; /* ours */
	size_t head = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);
	size_t off = tail % RECORDQ_SIZE, room_end = RECORDQ_SIZE - off;

	if (need + sizeof(*e) > RECORDQ_SIZE / 2)
		return false;
	if (room_end < need) {
		/* Skip to the start: the filler and the entry must both fit. */
		if (tail + room_end + need - head > RECORDQ_SIZE)
			return false;
		if (room_end >= sizeof(uint64_t)) {
			uint64_t mark = WRAP_MARK;

			memcpy(q->buf + off, &mark, sizeof(mark));
		}
		tail += room_end;
		off = 0;
	} else if (tail + need - head > RECORDQ_SIZE)
		return false;
	memcpy(q->buf + off, e, sizeof(*e));
	memcpy(q->buf + off + sizeof(*e), data, e->len);
	__atomic_store_n(&q->tail, tail + need, __ATOMIC_RELEASE);
	return true;
}

size_t recordq_drain(struct recordq *q, size_t max,
		     void (*fn)(const struct recordq_entry *e, const void *data, void *userdata),
		     void *userdata)
{
	size_t head = q->head; /* ours */
	size_t tail = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
	size_t n = 0;

	while (head < tail && n < max) {
		size_t off = head % RECORDQ_SIZE, room_end = RECORDQ_SIZE - off;
		struct recordq_entry e;

		/* Entries are 8-byte aligned, so fewer than 8 bytes left is always a skip. */
		if (room_end < sizeof(e)) {
			head += room_end;
			continue;
		}
		memcpy(&e, q->buf + off, sizeof(e));
		if (e.policy_id == WRAP_MARK) {
			head += room_end;
			continue;
		}
		fn(&e, q->buf + off + sizeof(e), userdata);
		head += ALIGN8(sizeof(e) + e.len);
		n++;
	}
	__atomic_store_n(&q->head, head, __ATOMIC_RELEASE);
	return n;
}
