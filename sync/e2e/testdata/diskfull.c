// A full disk for a process, injected where no small file system can be
// mounted (TestCrashDiskFull without root): loaded with LD_PRELOAD, it lets
// the C library's write, pwrite and pwrite64 write FIELDREG_FULL_AFTER bytes
// in all to files (not to standard input, output or error), cuts the write
// that reaches that short, and fails every later one with ENOSPC, as the
// kernel does when a disk fills. SQLite in fieldreg writes through these;
// Go's own writes are system calls and are not touched.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long long room = -1;

// allow returns how many of n bytes may be written to fd (0: the disk is full).
static size_t allow(int fd, size_t n) {
	if (fd <= 2) {
		return n;
	}
	pthread_mutex_lock(&mu);
	if (room < 0) {
		const char *v = getenv("FIELDREG_FULL_AFTER");
		room = v ? atoll(v) : (1LL << 62);
	}
	size_t a = (long long)n <= room ? n : (size_t)room;
	room -= a;
	pthread_mutex_unlock(&mu);
	return a;
}

ssize_t write(int fd, const void *b, size_t n) {
	static ssize_t (*real)(int, const void *, size_t);
	if (!real) real = dlsym(RTLD_NEXT, "write");
	size_t a = allow(fd, n);
	if (a == 0 && n > 0) { errno = ENOSPC; return -1; }
	return real(fd, b, a);
}

ssize_t pwrite(int fd, const void *b, size_t n, off_t off) {
	static ssize_t (*real)(int, const void *, size_t, off_t);
	if (!real) real = dlsym(RTLD_NEXT, "pwrite");
	size_t a = allow(fd, n);
	if (a == 0 && n > 0) { errno = ENOSPC; return -1; }
	return real(fd, b, a, off);
}

ssize_t pwrite64(int fd, const void *b, size_t n, off64_t off) {
	static ssize_t (*real)(int, const void *, size_t, off64_t);
	if (!real) real = dlsym(RTLD_NEXT, "pwrite64");
	size_t a = allow(fd, n);
	if (a == 0 && n > 0) { errno = ENOSPC; return -1; }
	return real(fd, b, a, off);
}
