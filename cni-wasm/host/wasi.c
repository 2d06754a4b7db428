/*
 * The WASI preview1 subset the modules may use (wasi_snapshot_preview1), and nothing more: argv and
 * environ (exactly what main chose), fd_read on stdin, fd_write on stdout/stderr, fd_close of those
 * three, clock_time_get (realtime, monotonic), random_get and proc_exit. A module importing any other
 * WASI function does not link: the build fails, so it can never run.
 *
 * Results are WASI errno values (not Linux ones). A pointer outside the module's memory is a trap.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "host.h"
#include "imports.h"

enum {
  WASI_SUCCESS = 0,
  WASI_EBADF = 8,
  WASI_EINVAL = 28,
  WASI_EIO = 29,
  WASI_EPIPE = 64,
};

enum { WASI_CLOCK_REALTIME = 0, WASI_CLOCK_MONOTONIC = 1 };

/* What the module may write to stdout in CNI mode before the run is cut short (a Result is small). */
#define STDOUT_LIMIT (64u << 20)

static uint32_t sizes(struct host *host, char **items, uint32_t count_ptr, uint32_t size_ptr) {
  uint32_t count = 0, size = 0;
  for (; items[count] != NULL; count++) size += (uint32_t)strlen(items[count]) + 1;
  module_store_u32(host, count_ptr, count, "args/environ count");
  module_store_u32(host, size_ptr, size, "args/environ size");
  return WASI_SUCCESS;
}

static uint32_t strings(struct host *host, char **items, uint32_t pointers, uint32_t buffer) {
  for (uint32_t i = 0; items[i] != NULL; i++) {
    uint32_t len = (uint32_t)strlen(items[i]) + 1;
    memcpy(module_span(host, buffer, len, "args/environ buffer"), items[i], len);
    module_store_u32(host, pointers + i * 4, buffer, "args/environ pointers");
    buffer += len;
  }
  return WASI_SUCCESS;
}

u32 Z_wasi_snapshot_preview1Z_args_sizes_get(struct Z_wasi_snapshot_preview1_instance_t *wasi, u32 count, u32 size) {
  return sizes(wasi->host, wasi->host->module_argv, count, size);
}

u32 Z_wasi_snapshot_preview1Z_args_get(struct Z_wasi_snapshot_preview1_instance_t *wasi, u32 pointers, u32 buffer) {
  return strings(wasi->host, wasi->host->module_argv, pointers, buffer);
}

u32 Z_wasi_snapshot_preview1Z_environ_sizes_get(struct Z_wasi_snapshot_preview1_instance_t *wasi, u32 count,
                                                u32 size) {
  return sizes(wasi->host, wasi->host->module_environ, count, size);
}

u32 Z_wasi_snapshot_preview1Z_environ_get(struct Z_wasi_snapshot_preview1_instance_t *wasi, u32 pointers,
                                          u32 buffer) {
  return strings(wasi->host, wasi->host->module_environ, pointers, buffer);
}

/* One iovec { u32 buf; u32 buf_len } as a checked span. */
static uint8_t *iovec_at(struct host *host, uint32_t iovs, uint32_t i, uint32_t *len) {
  const uint8_t *entry = module_span(host, iovs + i * 8, 8, "iovec");
  uint32_t buf;
  memcpy(&buf, entry, 4);
  memcpy(len, entry + 4, 4);
  return module_span(host, buf, *len, "iovec buffer");
}

/* Stream mode: one read(2) at most, into the first non-empty buffer (a short read is fine). */
static uint32_t read_stream(struct host *host, uint32_t iovs, uint32_t count, uint32_t *total) {
  for (uint32_t i = 0; i < count; i++) {
    uint32_t len;
    uint8_t *into = iovec_at(host, iovs, i, &len);
    if (len == 0) continue;
    ssize_t got;
    do got = read(0, into, len);
    while (got < 0 && errno == EINTR);
    if (got < 0) return WASI_EIO;
    *total = (uint32_t)got;
    break;
  }
  return WASI_SUCCESS;
}

/* CNI mode: copies from the stdin read up front. */
static uint32_t read_buffered(struct host *host, uint32_t iovs, uint32_t count, uint32_t *total) {
  for (uint32_t i = 0; i < count; i++) {
    uint32_t len;
    uint8_t *into = iovec_at(host, iovs, i, &len);
    size_t left = host->stdin_data.len - host->stdin_offset;
    size_t n = left < len ? left : len;
    if (n > 0) memcpy(into, host->stdin_data.data + host->stdin_offset, n);
    host->stdin_offset += n;
    *total += (uint32_t)n;
    if (n < len) break;
  }
  return WASI_SUCCESS;
}

u32 Z_wasi_snapshot_preview1Z_fd_read(struct Z_wasi_snapshot_preview1_instance_t *wasi, u32 fd, u32 iovs,
                                      u32 count, u32 nread) {
  struct host *host = wasi->host;
  if (fd != 0 || host->fd_closed[0]) return WASI_EBADF;
  uint32_t total = 0;
  uint32_t rc = host->mode == HOST_MODE_CNI ? read_buffered(host, iovs, count, &total)
                                            : read_stream(host, iovs, count, &total);
  if (rc == WASI_SUCCESS) module_store_u32(host, nread, total, "fd_read count");
  return rc;
}

u32 Z_wasi_snapshot_preview1Z_fd_write(struct Z_wasi_snapshot_preview1_instance_t *wasi, u32 fd, u32 iovs,
                                       u32 count, u32 nwritten) {
  struct host *host = wasi->host;
  if ((fd != 1 && fd != 2) || host->fd_closed[fd]) return WASI_EBADF;
  uint32_t total = 0;
  for (uint32_t i = 0; i < count; i++) {
    uint32_t len;
    const uint8_t *bytes = iovec_at(host, iovs, i, &len);
    if (fd == 1 && host->mode == HOST_MODE_CNI) {
      if (!bytes_append(&host->stdout_data, bytes, len, STDOUT_LIMIT)) {
        host_trap(host, "stdout: the module wrote more than %u bytes", STDOUT_LIMIT);
      }
    } else if (!write_all((int)fd, bytes, len)) {
      return errno == EPIPE ? WASI_EPIPE : WASI_EIO;
    }
    total += len;
  }
  module_store_u32(host, nwritten, total, "fd_write count");
  return WASI_SUCCESS;
}

/* Closes the module's view only: the host still needs stdout for the Result or an error. */
u32 Z_wasi_snapshot_preview1Z_fd_close(struct Z_wasi_snapshot_preview1_instance_t *wasi, u32 fd) {
  if (fd > 2 || wasi->host->fd_closed[fd]) return WASI_EBADF;
  wasi->host->fd_closed[fd] = true;
  return WASI_SUCCESS;
}

u32 Z_wasi_snapshot_preview1Z_clock_time_get(struct Z_wasi_snapshot_preview1_instance_t *wasi, u32 id,
                                             u64 precision, u32 out) {
  (void)precision;
  struct timespec now;
  if (id == WASI_CLOCK_REALTIME) clock_gettime(CLOCK_REALTIME, &now);
  else if (id == WASI_CLOCK_MONOTONIC) clock_gettime(CLOCK_MONOTONIC, &now);
  else return WASI_EINVAL;
  uint64_t nanoseconds = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
  memcpy(module_span(wasi->host, out, 8, "clock_time_get result"), &nanoseconds, 8);
  return WASI_SUCCESS;
}

u32 Z_wasi_snapshot_preview1Z_random_get(struct Z_wasi_snapshot_preview1_instance_t *wasi, u32 buffer, u32 len) {
  uint8_t *into = module_span(wasi->host, buffer, len, "random_get buffer");
  while (len > 0) {
    ssize_t got = getrandom(into, len, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return WASI_EIO;
    into += got;
    len -= (uint32_t)got;
  }
  return WASI_SUCCESS;
}

void Z_wasi_snapshot_preview1Z_proc_exit(struct Z_wasi_snapshot_preview1_instance_t *wasi, u32 code) {
  host_exit(wasi->host, (int)code);
}
