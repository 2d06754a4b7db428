/*
 * What sysfs says about a device, read-only: the NUMA node of a network device (for the device plugin's
 * topology hints) and the two symlinks of a bus device (where it sits, which driver is bound: a NIC's PCI
 * address and driver for hostdev, which netlink does not carry).
 *
 * bus_device_link is keyed by bus and device name rather than /sys/class/net/<ifname>: those are the
 * names netlink reports (IFLA_PARENT_DEV_BUS_NAME, IFLA_PARENT_DEV_NAME), they are the same in every
 * netns, while /sys/class/net shows the netns of whoever mounted sysfs. The host only validates the
 * names and builds the paths; the module makes sense of the targets.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "imports.h"

enum { DEVICE_ITSELF = 0, DEVICE_DRIVER = 1 };

/* The content of a numa_node file: "<n>\n", or "-1\n" for "no node" (-ENOENT); anything else -EINVAL. */
static int32_t parse_numa_node(char *text) {
  char *end;
  errno = 0;
  long node = strtol(text, &end, 10);
  while (*end == '\n' || *end == ' ') end++;
  if (end == text || *end != '\0' || errno != 0 || node > INT32_MAX || node < INT32_MIN) return -EINVAL;
  return node < 0 ? -ENOENT : (int32_t)node;
}

u32 Z_macvtap_hostZ_link_numa_node(macvtap_host *imports, u32 name, u32 name_len) {
  char ifname[16], path[64], text[32];
  if (!module_cstring(imports->host, name, name_len, ifname, sizeof ifname, "link_numa_node name") ||
      !is_interface_name(ifname)) {
    return (u32)-EINVAL;
  }
  snprintf(path, sizeof path, "/sys/class/net/%s/device/numa_node", ifname);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return (u32)-errno;
  ssize_t got = read(fd, text, sizeof text - 1);
  int error = errno;
  close(fd);
  if (got < 0) return (u32)-error;
  text[got] = '\0';
  return (u32)parse_numa_node(text);
}

u32 Z_macvtap_hostZ_bus_device_link(macvtap_host *imports, u32 bus, u32 bus_len, u32 device, u32 device_len,
                                    u32 which, u32 buf, u32 cap) {
  struct host *host = imports->host;
  char bus_name[80], device_name[80], path[256], target[PATH_MAX];
  bool names_ok = module_cstring(host, bus, bus_len, bus_name, sizeof bus_name, "bus_device_link bus");
  names_ok = module_cstring(host, device, device_len, device_name, sizeof device_name, "bus_device_link device") &&
             names_ok;
  uint8_t *into = module_span(host, buf, cap, "bus_device_link buffer");
  if (!names_ok || !is_bus_name(bus_name) || !is_bus_name(device_name)) return (u32)-EINVAL;
  if (which != DEVICE_ITSELF && which != DEVICE_DRIVER) return (u32)-EINVAL;
  snprintf(path, sizeof path, "/sys/bus/%s/devices/%s%s", bus_name, device_name,
           which == DEVICE_DRIVER ? "/driver" : "");
  ssize_t len = readlink(path, target, sizeof target);
  if (len < 0) return (u32)-errno;
  /* readlink truncates silently: a full buffer may be a cut-off target. */
  if ((size_t)len >= sizeof target || (u32)len > cap) return (u32)-ERANGE;
  memcpy(into, target, (size_t)len);
  return (u32)len;
}
