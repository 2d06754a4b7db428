/*
 * NETLINK_ROUTE sockets behind a handle table: the module sees small indexes (1, 2, ...), never fds,
 * so it can only talk through sockets it opened here. A socket is created inside the requested netns
 * and stays bound to it for its whole life; sending and receiving happen from the host's own netns.
 * Payloads go straight from and into the module's memory, bounds-checked.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host.h"
#include "imports.h"

int socket_fd_of(const struct host *host, int32_t handle) {
  if (handle < 1 || handle > HOST_MAX_HANDLES) return -1;
  return host->socket_fds[handle - 1];
}

static int create_socket(void *context) {
  (void)context;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  return fd < 0 ? -errno : fd;
}

/* NETLINK_EXT_ACK and NETLINK_CAP_ACK on, bound to the multicast `groups` (the kernel picks nl_pid). */
static int configure(int fd, uint32_t groups) {
  int one = 1;
  if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one) != 0) return -errno;
  if (setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one) != 0) return -errno;
  struct sockaddr_nl address = {.nl_family = AF_NETLINK, .nl_groups = groups};
  if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) return -errno;
  return 0;
}

u32 Z_macvtap_hostZ_nl_open(macvtap_host *imports, u32 netns, u32 groups) {
  struct host *host = imports->host;
  if ((int32_t)netns != CURRENT_NETNS && !netns_known(host, (int)netns)) return (u32)-EBADF;
  int slot = 0;
  while (slot < HOST_MAX_HANDLES && host->socket_fds[slot] >= 0) slot++;
  if (slot == HOST_MAX_HANDLES) return (u32)-EMFILE;
  int fd = (int32_t)netns == CURRENT_NETNS ? create_socket(NULL) : within_netns(host, (int)netns, create_socket, NULL);
  if (fd < 0) return (u32)fd;
  int configured = configure(fd, groups);
  if (configured < 0) {
    close(fd);
    return (u32)configured;
  }
  host->socket_fds[slot] = fd;
  return (u32)(slot + 1);
}

u32 Z_macvtap_hostZ_nl_send(macvtap_host *imports, u32 sock, u32 buf, u32 len) {
  const uint8_t *payload = module_span(imports->host, buf, len, "nl_send buffer");
  int fd = socket_fd_of(imports->host, (int32_t)sock);
  if (fd < 0) return (u32)-EBADF;
  ssize_t sent;
  do sent = send(fd, payload, len, 0);
  while (sent < 0 && errno == EINTR);
  return sent < 0 ? (u32)-errno : (u32)sent;
}

/* One datagram, waiting at most timeout_ms (negative: forever); -EAGAIN on timeout. */
u32 Z_macvtap_hostZ_nl_recv(macvtap_host *imports, u32 sock, u32 buf, u32 cap, u32 timeout_ms) {
  uint8_t *into = module_span(imports->host, buf, cap, "nl_recv buffer");
  int fd = socket_fd_of(imports->host, (int32_t)sock);
  if (fd < 0) return (u32)-EBADF;
  int64_t deadline = deadline_after((int32_t)timeout_ms);
  for (;;) {
    struct pollfd entry = {.fd = fd, .events = POLLIN};
    int ready = poll(&entry, 1, remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return (u32)-errno;
    if (ready == 0) return (u32)-EAGAIN;
    ssize_t got = recv(fd, into, cap, MSG_DONTWAIT);
    if (got >= 0) return (u32)got;
    /* A wakeup without data is legal: wait again. */
    if (errno != EAGAIN && errno != EINTR) return (u32)-errno;
  }
}

/* The kernel-assigned nl_pid as a full u32 at `out` (a second socket's id is above 2^31). */
u32 Z_macvtap_hostZ_nl_port(macvtap_host *imports, u32 sock, u32 out) {
  module_span(imports->host, out, 4, "nl_port result");
  int fd = socket_fd_of(imports->host, (int32_t)sock);
  if (fd < 0) return (u32)-EBADF;
  struct sockaddr_nl address;
  socklen_t length = sizeof address;
  if (getsockname(fd, (struct sockaddr *)&address, &length) != 0) return (u32)-errno;
  module_store_u32(imports->host, out, address.nl_pid, "nl_port result");
  return 0;
}

u32 Z_macvtap_hostZ_nl_close(macvtap_host *imports, u32 sock) {
  int fd = socket_fd_of(imports->host, (int32_t)sock);
  if (fd < 0) return (u32)-EBADF;
  imports->host->socket_fds[sock - 1] = -1;
  return close(fd) == 0 ? 0 : (u32)-errno;
}

void sockets_close_all(struct host *host) {
  for (int i = 0; i < HOST_MAX_HANDLES; i++) {
    if (host->socket_fds[i] >= 0) close(host->socket_fds[i]);
    host->socket_fds[i] = -1;
  }
}
