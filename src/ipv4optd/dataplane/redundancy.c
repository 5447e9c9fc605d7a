/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "redundancy.h"
#include "stream/rtp.h"

#define SLOT_MASK (REDUNDANCY_SLOTS - 1)
#define BAD_SEQ_SET 0x10000u

enum slot_state {
	SLOT_EMPTY,
	SLOT_HELD, /* received, waits for the numbers before it */
	SLOT_SENT, /* forwarded at t; copies awaited until t + window */
	SLOT_DONE, /* settled, or given up (lost_all) */
};

struct redundancy_slot {
	uint16_t seq;
	uint8_t state;
	uint8_t first;             /* the input that delivered it first */
	uint32_t mask;             /* the inputs that delivered it */
	uint64_t t;                /* HELD: arrival; SENT: when forwarded */
	struct redundancy_datagram d;
	uint8_t data[REDUNDANCY_SLOT_SIZE];
};

_Static_assert((REDUNDANCY_SLOTS & SLOT_MASK) == 0, "REDUNDANCY_SLOTS is a power of two");
_Static_assert(REDUNDANCY_SLOTS < 32768, "the window is less than half the sequence space");

int redundancy_merge_new(size_t n_inputs, uint64_t window_usec, struct redundancy_merge **ret)
{
	struct redundancy_merge *m;

	if (n_inputs < 2 || n_inputs > REDUNDANCY_MAX_INPUTS)
		return -EINVAL;
	m = aligned_alloc(COUNTERS_CACHELINE, (sizeof(*m) + COUNTERS_CACHELINE - 1) /
						      COUNTERS_CACHELINE * COUNTERS_CACHELINE);
	if (!m)
		return -ENOMEM;
	*m = (struct redundancy_merge){ .window_usec = window_usec, .n_inputs = n_inputs };
	/* Allocated once: REDUNDANCY_SLOTS x REDUNDANCY_SLOT_SIZE, pages touched as far as the
	 * stream's numbers reach. */
	m->slots = calloc(REDUNDANCY_SLOTS, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return -ENOMEM;
	}
	*ret = m;
	return 0;
}

struct redundancy_merge *redundancy_merge_free(struct redundancy_merge *m)
{
	if (!m)
		return NULL;
	free(m->slots);
	free(m);
	return NULL;
}

static uint32_t all_inputs(const struct redundancy_merge *m)
{
	return m->n_inputs >= 32 ? UINT32_MAX : (1u << m->n_inputs) - 1;
}

/* The copies of a forwarded number are no longer awaited: the inputs that did not deliver it
 * lost it, and another supplied it. */
static void settle(struct redundancy_merge *m, struct redundancy_slot *sl, struct counters_input *in)
{
	uint32_t missing = all_inputs(m) & ~sl->mask;

	if (sl->state != SLOT_SENT)
		return;
	sl->state = SLOT_DONE;
	if (!missing)
		return;
	COUNTER_ADD(m->pub.recovered, 1);
	for (size_t i = 0; i < m->n_inputs; i++)
		if (missing & (1u << i))
			COUNTER_ADD(in[i].lost, 1);
}

static void forward(struct redundancy_merge *m, struct redundancy_slot *sl, uint64_t now,
		    struct counters_input *in, redundancy_deliver_fn fn, void *userdata,
		    uint32_t policy)
{
	sl->state = SLOT_SENT;
	sl->t = now;
	COUNTER_ADD(m->pub.forwarded, 1);
	COUNTER_ADD(in[sl->first].first, 1);
	fn(userdata, policy, &sl->d);
}

/* The first number after next that is held, or NULL. */
static const struct redundancy_slot *first_held(const struct redundancy_merge *m)
{
	for (uint16_t s = (uint16_t)(m->next + 1), k = 1; k < REDUNDANCY_SLOTS; s++, k++) {
		const struct redundancy_slot *sl = &m->slots[s & SLOT_MASK];

		if (sl->state == SLOT_HELD && sl->seq == s)
			return sl;
	}
	return NULL;
}

/* Forwards what is in order; gives up on a missing number that waited out the window (from
 * the arrival of the first number after it); settles the numbers forwarded a window ago. */
static void release(struct redundancy_merge *m, uint64_t now, struct counters_input *in,
		    redundancy_deliver_fn fn, void *userdata, uint32_t policy)
{
	for (;;) {
		struct redundancy_slot *sl = &m->slots[m->next & SLOT_MASK];
		const struct redundancy_slot *h;

		if (sl->state == SLOT_HELD && sl->seq == m->next) {
			m->held--;
			forward(m, sl, now, in, fn, userdata, policy);
			m->next++;
			continue;
		}
		if (m->held == 0)
			break;
		h = first_held(m);
		if (h && now < h->t + m->window_usec)
			break;
		/* no input delivered it in time */
		settle(m, sl, in);
		sl->state = SLOT_DONE;
		sl->seq = m->next;
		sl->mask = 0;
		COUNTER_ADD(m->pub.lost_all, 1);
		for (size_t i = 0; i < m->n_inputs; i++)
			COUNTER_ADD(in[i].lost, 1);
		m->next++;
	}
	while (m->tail != m->next) {
		struct redundancy_slot *sl = &m->slots[m->tail & SLOT_MASK];

		if (sl->seq == m->tail && sl->state == SLOT_SENT) {
			if (now < sl->t + m->window_usec)
				break;
			settle(m, sl, in);
		}
		m->tail++;
	}
}

/* A jump beyond the window (a restarted sender): what is held goes out in order, what was
 * forwarded is settled, and the window starts again at seq. */
static void resync(struct redundancy_merge *m, uint16_t seq, struct counters_input *in,
		   redundancy_deliver_fn fn, void *userdata, uint32_t policy)
{
	for (uint16_t s = m->next, k = 0; m->held > 0 && k < REDUNDANCY_SLOTS; s++, k++) {
		struct redundancy_slot *sl = &m->slots[s & SLOT_MASK];

		if (sl->state == SLOT_HELD && sl->seq == s) {
			m->held--;
			forward(m, sl, 0, in, fn, userdata, policy);
		}
	}
	for (size_t i = 0; i < REDUNDANCY_SLOTS; i++) {
		settle(m, &m->slots[i], in);
		m->slots[i].state = SLOT_EMPTY;
	}
	m->held = 0;
	m->next = m->tail = seq;
	COUNTER_ADD(m->pub.resyncs, 1);
}

void redundancy_merge_push(struct redundancy_merge *m, size_t input,
			   const struct redundancy_datagram *d, uint64_t now,
			   struct counters_input *in, redundancy_deliver_fn fn, void *userdata,
			   uint32_t policy)
{
	struct rtp_header h;
	struct redundancy_slot *sl;
	uint16_t ahead;
	uint32_t bit = 1u << input;

	if (rtp_header_parse(d->buf, d->len, &h) < 0) {
		COUNTER_ADD(m->pub.not_rtp, 1);
		return;
	}
	if (!m->started) {
		m->started = true;
		m->next = m->tail = h.seq;
	}
	ahead = (uint16_t)(h.seq - m->next);
	if (ahead >= REDUNDANCY_SLOTS && ahead < RTP_SEQ_MOD / 2) {
		/* ahead beyond the window: a loss longer than it (the numbers skipped are lost
		 * on every input), or beyond RFC 3550's MAX_DROPOUT a restarted stream */
		if (ahead <= RTP_MAX_DROPOUT) {
			uint64_t skipped = ahead - m->held;

			COUNTER_ADD(m->pub.lost_all, skipped);
			for (size_t i = 0; i < m->n_inputs; i++)
				COUNTER_ADD(in[i].lost, skipped);
		}
		resync(m, h.seq, in, fn, userdata, policy);
		ahead = 0;
	} else if (ahead >= REDUNDANCY_SLOTS) {
		uint16_t behind = (uint16_t)(m->next - h.seq);

		/* Behind next: a copy of a number forwarded or given up already. Far behind
		 * (more than MAX_DROPOUT) twice in a row with consecutive numbers, and nothing
		 * within the window between them: the sender started again lower (RFC 3550
		 * A.1's bad_seq); else a very late copy (an input lagging the others). */
		if (behind > RTP_MAX_DROPOUT && m->bad_seq == (BAD_SEQ_SET | h.seq)) {
			resync(m, h.seq, in, fn, userdata, policy);
			ahead = 0;
		} else {
			sl = &m->slots[h.seq & SLOT_MASK];
			if (behind > RTP_MAX_DROPOUT)
				m->bad_seq = BAD_SEQ_SET | (uint16_t)(h.seq + 1);
			if (sl->seq == h.seq && sl->state == SLOT_SENT) {
				sl->mask |= bit;
				COUNTER_ADD(m->pub.duplicates, 1);
			} else
				COUNTER_ADD(m->pub.late, 1);
			release(m, now, in, fn, userdata, policy);
			return;
		}
	}
	m->bad_seq = 0;
	sl = &m->slots[h.seq & SLOT_MASK];
	if (sl->seq == h.seq && sl->state == SLOT_HELD) {
		sl->mask |= bit;
		COUNTER_ADD(m->pub.duplicates, 1);
		release(m, now, in, fn, userdata, policy);
		return;
	}
	settle(m, sl, in); /* an older number's slot, not settled yet */
	sl->seq = h.seq;
	sl->mask = bit;
	sl->first = (uint8_t)input;
	sl->d = *d;
	if (d->len > sizeof(sl->data)) {
		if (ahead == 0) {
			/* in order: goes out from the receive buffer, no copy needed */
			forward(m, sl, now, in, fn, userdata, policy);
			m->next++;
		} else {
			sl->state = SLOT_EMPTY;
			COUNTER_ADD(m->pub.too_big, 1);
		}
		release(m, now, in, fn, userdata, policy);
		return;
	}
	/* Copied even when it goes out at once: the receive buffer is reused by the next read,
	 * and a copy forwarded later must still be there. */
	memcpy(sl->data, d->buf, d->len);
	sl->d.buf = sl->data;
	sl->state = SLOT_HELD;
	sl->t = now;
	m->held++;
	release(m, now, in, fn, userdata, policy);
}

uint64_t redundancy_merge_tick(struct redundancy_merge *m, uint64_t now,
			       struct counters_input *in, redundancy_deliver_fn fn, void *userdata,
			       uint32_t policy)
{
	uint64_t next = 0;

	if (!m->started)
		return 0;
	release(m, now, in, fn, userdata, policy);
	if (m->held > 0) {
		const struct redundancy_slot *h = first_held(m);

		if (h)
			next = h->t + m->window_usec;
	}
	if (m->tail != m->next) {
		const struct redundancy_slot *sl = &m->slots[m->tail & SLOT_MASK];

		if (sl->seq == m->tail && sl->state == SLOT_SENT &&
		    (next == 0 || sl->t + m->window_usec < next))
			next = sl->t + m->window_usec;
	}
	return next;
}
