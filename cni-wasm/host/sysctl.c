/*
 * sysctl_set: the two per-interface sysctls that make the kernel announce an interface's addresses when
 * it comes up — net/ipv4/conf/<if>/arp_notify (gratuitous ARP) and net/ipv6/conf/<if>/ndisc_notify
 * (unsolicited neighbour advertisement) — so switches and peers learn a VM's MAC and IP at once.
 * Nothing else under /proc/sys can be written.
 *
 * /proc/sys/net shows the sysctls of the netns of whoever opens the file, so it is opened with the
 * process switched into the pod's netns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "imports.h"

static const char *const ALLOWED[][2] = {
    {"net/ipv4/conf/", "/arp_notify"},
    {"net/ipv6/conf/", "/ndisc_notify"},
};

/* True for net/ipv4/conf/<if>/arp_notify and net/ipv6/conf/<if>/ndisc_notify with a valid <if>. */
static bool is_allowed_key(const char *key) {
  for (size_t i = 0; i < sizeof ALLOWED / sizeof ALLOWED[0]; i++) {
    size_t prefix = strlen(ALLOWED[i][0]), suffix = strlen(ALLOWED[i][1]), len = strlen(key);
    if (len <= prefix + suffix || strncmp(key, ALLOWED[i][0], prefix) != 0) continue;
    if (strcmp(key + len - suffix, ALLOWED[i][1]) != 0) continue;
    char ifname[32];
    size_t name_len = len - prefix - suffix;
    if (name_len >= sizeof ifname) return false;
    memcpy(ifname, key + prefix, name_len);
    ifname[name_len] = '\0';
    return is_interface_name(ifname);
  }
  return false;
}

struct sysctl_write {
  const char *path;
  const char *value;
};

static int write_sysctl(void *context) {
  const struct sysctl_write *request = context;
  int fd = open(request->path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  ssize_t written = write(fd, request->value, strlen(request->value));
  int error = errno;
  close(fd);
  return written < 0 ? -error : 0;
}

u32 Z_macvtap_hostZ_sysctl_set(macvtap_host *imports, u32 netns, u32 key, u32 key_len, u32 value, u32 value_len) {
  struct host *host = imports->host;
  char key_text[96], value_text[4], path[128];
  bool key_ok = module_cstring(host, key, key_len, key_text, sizeof key_text, "sysctl_set key");
  bool value_ok = module_cstring(host, value, value_len, value_text, sizeof value_text, "sysctl_set value");
  if (!key_ok || !value_ok || !is_allowed_key(key_text)) return (u32)-EINVAL;
  if (strcmp(value_text, "0") != 0 && strcmp(value_text, "1") != 0) return (u32)-EINVAL;
  if (!netns_known(host, (int)netns)) return (u32)-EBADF;
  snprintf(path, sizeof path, "/proc/sys/%s", key_text);
  struct sysctl_write request = {.path = path, .value = value_text};
  return (u32)within_netns(host, (int)netns, write_sysctl, &request);
}
