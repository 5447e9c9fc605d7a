/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Batch I/O on recvmmsg(2) / sendmmsg(2). The caller's messages are processed in chunks of
 * BATCH_CHUNK with fixed-size arrays on the stack, so a call never allocates whatever count is.
 */
#include <limits.h>
#include <sys/uio.h>

#include "internal.h"

#define BATCH_CHUNK 32

struct batch {
	struct mmsghdr h[BATCH_CHUNK];
	struct iovec iov[BATCH_CHUNK];
	struct sockaddr_in addr[BATCH_CHUNK];
	union {
		struct cmsghdr align;
		/* every message of IPV4OPT_CM_*, and the receive time (SO_TIMESTAMPNS) */
		uint8_t b[IPV4OPT_CM_MAX_SPACE + CMSG_SPACE(sizeof(struct timespec))];
	} control[BATCH_CHUNK];
};

static int recv_batch(int fd, struct ipv4opt_message *msgs, size_t count, int flags,
		      struct timespec *stamps)
{
	struct batch b;
	size_t done = 0;

	if (!msgs || count == 0 || count > INT_MAX)
		return -EINVAL;
	while (done < count) {
		size_t n = count - done < BATCH_CHUNK ? count - done : BATCH_CHUNK;
		int chunk_flags, got;

		for (size_t i = 0; i < n; i++) {
			struct ipv4opt_message *m = &msgs[done + i];

			b.iov[i] = (struct iovec){ .iov_base = m->buf, .iov_len = m->len };
			b.h[i] = (struct mmsghdr){
				.msg_hdr = {
					.msg_name = &b.addr[i],
					.msg_namelen = sizeof(b.addr[i]),
					.msg_iov = &b.iov[i],
					.msg_iovlen = 1,
					.msg_control = b.control[i].b,
					.msg_controllen = sizeof(b.control[i].b),
				},
			};
		}
		/* The first chunk may block (unless the caller said MSG_DONTWAIT), but only until
		 * one message is there: without MSG_WAITFORONE a blocking recvmmsg() waits for
		 * all n. Later chunks take only what is already queued. */
		chunk_flags = done == 0 ? flags | MSG_WAITFORONE : flags | MSG_DONTWAIT;
		got = recvmmsg(fd, b.h, (unsigned)n, chunk_flags, NULL);
		if (got < 0) {
			if (done > 0)
				break; /* a real error shows again on the next call */
			return -errno;
		}
		for (size_t i = 0; i < (size_t)got; i++) {
			struct ipv4opt_message *m = &msgs[done + i];
			const struct msghdr *h = &b.h[i].msg_hdr;

			m->n = b.h[i].msg_len;
			m->truncated = (h->msg_flags & MSG_TRUNC) != 0;
			if (h->msg_namelen >= sizeof(b.addr[i]) && b.addr[i].sin_family == AF_INET)
				m->addr = b.addr[i];
			else
				memset(&m->addr, 0, sizeof(m->addr));
			/* The datagram is consumed either way; control data the kernel wrote can
			 * only fail to parse if it was cut short (MSG_CTRUNC): none then. */
			if (ipv4opt_cm_parse(b.control[i].b, h->msg_controllen, &m->cm) < 0)
				memset(&m->cm, 0, sizeof(m->cm));
			if (stamps && ipv4opt_cm_timestamp(b.control[i].b, h->msg_controllen,
							   &stamps[done + i]) < 0)
				stamps[done + i] = (struct timespec){ 0 };
		}
		done += (size_t)got;
		if ((size_t)got < n)
			break;
	}
	return (int)done;
}

_public_ int ipv4opt_recv_batch(int fd, struct ipv4opt_message *msgs, size_t count, int flags)
{
	return recv_batch(fd, msgs, count, flags, NULL);
}

_public_ int ipv4opt_recv_batch_stamped(int fd, struct ipv4opt_message *msgs, size_t count,
					int flags, struct timespec *ret_stamps)
{
	if (!ret_stamps)
		return -EINVAL;
	return recv_batch(fd, msgs, count, flags, ret_stamps);
}

_public_ int ipv4opt_send_batch(int fd, struct ipv4opt_message *msgs, size_t count, int flags)
{
	struct batch b;
	size_t done = 0;

	if (!msgs || count == 0 || count > INT_MAX)
		return -EINVAL;
	while (done < count) {
		size_t n = count - done < BATCH_CHUNK ? count - done : BATCH_CHUNK;
		int sent;

		for (size_t i = 0; i < n; i++) {
			struct ipv4opt_message *m = &msgs[done + i];
			size_t clen = 0;
			int r;

			b.iov[i] = (struct iovec){ .iov_base = m->buf, .iov_len = m->len };
			b.h[i] = (struct mmsghdr){
				.msg_hdr = {
					.msg_iov = &b.iov[i],
					.msg_iovlen = 1,
				},
			};
			if (m->addr.sin_port != 0) {
				b.h[i].msg_hdr.msg_name = &m->addr;
				b.h[i].msg_hdr.msg_namelen = sizeof(m->addr);
			}
			if (m->cm.flags != 0) {
				r = ipv4opt_cm_marshal(&m->cm, b.control[i].b,
						       sizeof(b.control[i].b), &clen);
				if (r < 0) {
					if (done + i > 0)
						n = i; /* send what came before, report it */
					else
						return r;
					break;
				}
			}
			if (clen > 0) {
				b.h[i].msg_hdr.msg_control = b.control[i].b;
				b.h[i].msg_hdr.msg_controllen = clen;
			}
		}
		if (n == 0)
			break;
		sent = sendmmsg(fd, b.h, (unsigned)n, flags);
		if (sent < 0) {
			if (done > 0)
				break;
			return -errno;
		}
		for (size_t i = 0; i < (size_t)sent; i++)
			msgs[done + i].n = b.h[i].msg_len;
		done += (size_t)sent;
		if ((size_t)sent < n)
			break;
	}
	return (int)done;
}
