/**
 * link_numa_node: which NUMA node a network device sits on, so the device
 * plugin can report topology. Read from
 * /sys/class/net/<name>/device/numa_node through libc (Deno demands
 * `--allow-all` for any /sys read, so `--allow-read` cannot be used).
 *
 * Requires `--allow-ffi=<libc path>`.
 *
 * @module
 */
import { EINVAL, ENOENT, O_CLOEXEC, O_RDONLY } from "./kernel.ts";
import { cString, type Libc } from "./libc.ts";

/** Interface names the kernel accepts: 1-15 bytes, not "." or "..", no '/', ':' or whitespace. */
export function isInterfaceName(name: string): boolean {
  const bytes = new TextEncoder().encode(name).byteLength;
  return bytes >= 1 && bytes <= 15 && name !== "." && name !== ".." && !/[/:\s\0]/.test(name);
}

/**
 * NUMA node of link `name`.
 *
 * @returns the node (>= 0); -ENOENT when the device has none (virtual links, or -1 in sysfs);
 *   -EINVAL for a bad name or unreadable content; -errno
 */
export function linkNumaNode(libc: Libc, name: string): number {
  if (!isInterfaceName(name)) return -EINVAL;
  const path = cString(`/sys/class/net/${name}/device/numa_node`);
  const fd = libc.check(libc.core.open(path, O_RDONLY | O_CLOEXEC, 0));
  if (fd < 0) return fd;
  const buffer = new Uint8Array(32);
  const got = libc.check(libc.files.read(fd, buffer, BigInt(buffer.byteLength)));
  libc.core.close(fd);
  if (got < 0) return got;
  return parseNumaNode(new TextDecoder().decode(buffer.subarray(0, got)));
}

/** The content of a numa_node file: "<n>\n", or "-1\n" for "no node" (-ENOENT); else -EINVAL. */
export function parseNumaNode(text: string): number {
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) return -EINVAL;
  const node = Number(trimmed);
  return node < 0 ? -ENOENT : node;
}
