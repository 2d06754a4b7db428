/**
 * sysctl_set: the two per-interface sysctls that make the kernel announce an
 * interface's addresses to the segment when it comes up — net/ipv4/conf/<if>/arp_notify
 * (gratuitous ARP) and net/ipv6/conf/<if>/ndisc_notify (unsolicited neighbour
 * advertisement) — so switches and peers learn a VM's MAC and IP at once. Nothing
 * else under /proc/sys can be written.
 *
 * /proc/sys/net shows the sysctls of the netns of the thread that opens it, so the
 * file is opened with the main thread switched into the pod's netns (withinNetns).
 *
 * Requires `--allow-ffi=<libc path>`.
 *
 * @module
 */
import { EINVAL, O_CLOEXEC, O_WRONLY } from "./kernel.ts";
import { cString, type Libc } from "./libc.ts";
import { isInterfaceName } from "./link_numa_node.ts";
import { withinNetns } from "./netns.ts";

const ALLOWED_KEY = /^net\/(ipv4\/conf\/([^/]+)\/arp_notify|ipv6\/conf\/([^/]+)\/ndisc_notify)$/;

/** True for the only keys sysctl_set writes, on a valid interface name. */
export function isAllowedSysctl(key: string): boolean {
  const match = ALLOWED_KEY.exec(key);
  if (match === null) return false;
  return isInterfaceName(match[2] ?? match[3]);
}

/**
 * Writes `value` ("0" or "1") to /proc/sys/<key> inside the netns `netnsFd`.
 *
 * @returns 0, -EINVAL for a key or value outside the allowed set, or -errno
 */
export function setSysctl(libc: Libc, netnsFd: number, key: string, value: string): number {
  if (!isAllowedSysctl(key) || (value !== "0" && value !== "1")) return -EINVAL;
  const path = cString(`/proc/sys/${key}`);
  const bytes = new TextEncoder().encode(value);
  return withinNetns(libc, netnsFd, () => {
    const fd = libc.check(libc.core.open(path, O_WRONLY | O_CLOEXEC, 0));
    if (fd < 0) return fd;
    const written = libc.check(libc.pipes.write(fd, bytes, BigInt(bytes.byteLength)));
    libc.core.close(fd);
    return written < 0 ? written : 0;
  });
}
