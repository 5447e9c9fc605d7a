/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The plain driver of a fuzz target: runs every file named on the command line, and every
 * regular file of every directory named, through LLVMFuzzerTestOneInput() once, in name
 * order. Without clang's libFuzzer runtime this is how the smoke test replays the corpora;
 * with it, a crashing input found by libFuzzer replays under gdb or valgrind the same way.
 * A failed check or a sanitizer report aborts; exit 0 means every input passed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

/* Inputs larger than this are not corpus files: libFuzzer's default -max_len is 4096. */
#define REPLAY_MAX_INPUT (1024 * 1024)

static int run_file(int dirfd, const char *name, const char *shown)
{
	struct stat st;
	uint8_t *buf;
	ssize_t n;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", shown, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_size > REPLAY_MAX_INPUT) {
		fprintf(stderr, "replay: %s: larger than %d bytes\n", shown, REPLAY_MAX_INPUT);
		close(fd);
		return -1;
	}
	/* Exactly the input's size, so that an over-read is a sanitizer report. */
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return -1;
	}
	n = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		fprintf(stderr, "replay: %s: short read\n", shown);
		free(buf);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int main(int argc, char *argv[])
{
	unsigned long inputs = 0;
	int failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct dirent **names;
		struct stat st;
		int dirfd, n;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			failed = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(AT_FDCWD, argv[i], argv[i]) < 0)
				failed = 1;
			else
				inputs++;
			continue;
		}
		dirfd = open(argv[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		n = dirfd < 0 ? -1 : scandirat(dirfd, ".", &names, not_dot, cmp_names);
		if (n < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			if (dirfd >= 0)
				close(dirfd);
			failed = 1;
			continue;
		}
		for (int j = 0; j < n; j++) {
			char shown[4096];
			struct stat fst;

			snprintf(shown, sizeof(shown), "%s/%s", argv[i], names[j]->d_name);
			if (fstatat(dirfd, names[j]->d_name, &fst, 0) == 0 && S_ISREG(fst.st_mode)) {
				if (run_file(dirfd, names[j]->d_name, shown) < 0)
					failed = 1;
				else
					inputs++;
			}
			free(names[j]);
		}
		free(names);
		close(dirfd);
	}
	printf("replay: %lu inputs of %s passed\n", inputs, argv[1]);
	return failed;
}
