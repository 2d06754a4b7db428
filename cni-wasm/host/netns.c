/*
 * Network namespace handles, and the one place that switches the process into another namespace.
 *
 * A netns handle IS a file descriptor (the module puts it in IFLA_NET_NS_FD, which the kernel resolves
 * in this process), but only descriptors netns_open returned are accepted anywhere: anything else is
 * -EBADF. netns_open keeps a file only if ioctl(NS_GET_NSTYPE) says it is a network namespace.
 *
 * The host is single-threaded, so setns moves the whole process; within_netns always comes back
 * before any other import can run.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "host.h"
#include "imports.h"

bool netns_known(const struct host *host, int fd) {
  if (fd < 0) return false;
  for (int i = 0; i < HOST_MAX_HANDLES; i++) {
    if (host->netns_fds[i] == fd) return true;
  }
  return false;
}

static int free_slot(const struct host *host) {
  for (int i = 0; i < HOST_MAX_HANDLES; i++) {
    if (host->netns_fds[i] < 0) return i;
  }
  return -1;
}

/* Opens `path` read-only and keeps it only if it is a network namespace. */
static int32_t open_netns(struct host *host, const char *path) {
  int slot = free_slot(host);
  if (slot < 0) return -EMFILE;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return -errno;
  /* A regular file answers ENOTTY, another namespace kind its own CLONE_NEW* type: neither is a netns. */
  if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
    close(fd);
    return -EINVAL;
  }
  host->netns_fds[slot] = fd;
  return fd;
}

u32 Z_macvtap_hostZ_netns_open(macvtap_host *imports, u32 path, u32 path_len) {
  char text[4096];
  if (!module_cstring(imports->host, path, path_len, text, sizeof text, "netns_open path") || path_len == 0) {
    return (u32)-EINVAL;
  }
  return (u32)open_netns(imports->host, text);
}

u32 Z_macvtap_hostZ_netns_close(macvtap_host *imports, u32 netns) {
  struct host *host = imports->host;
  for (int i = 0; i < HOST_MAX_HANDLES; i++) {
    if (host->netns_fds[i] == (int)netns && host->netns_fds[i] >= 0) {
      host->netns_fds[i] = -1;
      return close((int)netns) == 0 ? 0 : (u32)-errno;
    }
  }
  return (u32)-EBADF;
}

void netns_close_all(struct host *host) {
  for (int i = 0; i < HOST_MAX_HANDLES; i++) {
    if (host->netns_fds[i] >= 0) close(host->netns_fds[i]);
    host->netns_fds[i] = -1;
  }
}

/* Printed and the process ended when the way back fails: going on in the pod's netns is never safe. */
static _Noreturn void stuck_in_foreign_netns(struct host *host, int error) {
  char details[128];
  snprintf(details, sizeof details, "cannot switch back to the host network namespace (errno %d)", error);
  print_internal_error(host, "macvtap plugin host failed", details);
  _exit(1);
}

void leave_foreign_netns(struct host *host) {
  if (setns(host->home_netns_fd, CLONE_NEWNET) != 0) stuck_in_foreign_netns(host, errno);
  host->in_foreign_netns = false;
}

int within_netns(struct host *host, int target, int (*body)(void *context), void *context) {
  if (host->home_netns_fd < 0) {
    host->home_netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (host->home_netns_fd < 0) return -errno;
  }
  if (setns(target, CLONE_NEWNET) != 0) return -errno;
  host->in_foreign_netns = true;
  int result = body(context);
  if (setns(host->home_netns_fd, CLONE_NEWNET) != 0) stuck_in_foreign_netns(host, errno);
  host->in_foreign_netns = false;
  return result;
}
