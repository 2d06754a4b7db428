/*
 * Deadlines for poll(2), and wait_readable: the link broker's one blocking point, waiting on stdin (the
 * daemon's requests) and its netlink sockets (link events) together.
 */
#include <errno.h>
#include <poll.h>
#include <time.h>

#include "host.h"
#include "imports.h"

/* Bit 0 of wait_readable's result: stdin is readable (data or end of file). */
#define STDIN_READY 1
/* Sockets that fit in the result bitmask (bits 1..30 of a positive i32). */
#define MAX_WAIT_SOCKETS 30
/* What "readable" means: data, end of file, or an error to collect. */
#define READABLE (POLLIN | POLLERR | POLLHUP)

static int64_t now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* A monotonic deadline timeout_ms from now; -1 (no deadline) for a negative timeout. */
int64_t deadline_after(int timeout_ms) {
  return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* Milliseconds left for poll(2): -1 without a deadline, 0 once it passed. */
int remaining_ms(int64_t deadline) {
  if (deadline < 0) return -1;
  int64_t left = deadline - now_ms();
  return left <= 0 ? 0 : (int)left;
}

u32 Z_macvtap_hostZ_wait_readable(macvtap_host *imports, u32 handles, u32 count, u32 timeout_ms) {
  struct host *host = imports->host;
  if (count > MAX_WAIT_SOCKETS) return (u32)-EINVAL;
  const uint8_t *table = module_span(host, handles, count * 4, "wait_readable handles");
  /* CNI mode read stdin up front: it is always ready, so only look at the sockets, without waiting. */
  bool buffered = host->mode == HOST_MODE_CNI;
  struct pollfd fds[MAX_WAIT_SOCKETS + 1];
  nfds_t first = buffered ? 0 : 1;
  if (!buffered) fds[0] = (struct pollfd){.fd = 0, .events = POLLIN};
  for (u32 i = 0; i < count; i++) {
    int32_t handle = (int32_t)((uint32_t)table[4 * i] | (uint32_t)table[4 * i + 1] << 8 |
                               (uint32_t)table[4 * i + 2] << 16 | (uint32_t)table[4 * i + 3] << 24);
    int fd = socket_fd_of(host, handle);
    if (fd < 0) return (u32)-EBADF;
    fds[first + i] = (struct pollfd){.fd = fd, .events = POLLIN};
  }
  nfds_t total = first + count;
  if (total == 0) return buffered ? STDIN_READY : 0;
  int64_t deadline = buffered ? deadline_after(0) : deadline_after((int32_t)timeout_ms);
  int ready;
  do ready = poll(fds, total, remaining_ms(deadline));
  while (ready < 0 && errno == EINTR);
  if (ready < 0) return (u32)-errno;
  u32 mask = buffered ? STDIN_READY : 0;
  for (nfds_t i = 0; i < total; i++) {
    if ((fds[i].revents & READABLE) == 0) continue;
    mask |= i < first ? STDIN_READY : 1u << (1 + i - first);
  }
  return mask;
}
