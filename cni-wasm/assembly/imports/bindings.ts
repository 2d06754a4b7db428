// deno-fmt-ignore-file -- deno fmt drops decorators on functions (TypeScript has none there), and
// @external is what names each import; cni-wasm/test/source_rules_test.ts checks this file's layout.
// The ONLY place that declares what the capability host grants this module
// (besides the WASI preview1 subset the wasi-shim binds: args, environ,
// fd_read on stdin, fd_write on stdout/stderr, clock, random, proc_exit).
//
// Conventions shared with the host (cni-wasm/host/*.c, declared in cni-wasm/host/imports.h):
// - Strings cross as UTF-8 bytes: (ptr, len) into this module's memory.
// - Every (ptr, len) must lie inside this module's memory: anything else ends the run as a trap
//   (CNI error 999), never a host read or write.
// - Results are i32: >= 0 is success (a handle or a byte count), < 0 is a
//   negated Linux errno (e.g. -2 ENOENT, -11 EAGAIN for a timeout, -1 EPERM
//   when the host refuses the request).
// - Socket handles are small host-side table indexes, never raw fds, so the
//   module can only act on what it opened through these imports. Netns handles
//   are the exception (see netns_open).

/** Reports an AssemblyScript abort (failed assertion, bounds check) and never returns.
 *  Input: message and file as UTF-16 (ptr, code units), line and column. */
@external("macvtap_host", "trap")
export declare function host_trap(
  msg: usize,
  msgLen: i32,
  file: usize,
  fileLen: i32,
  line: u32,
  col: u32,
): void;

/** Opens a network namespace by path (CNI_NETNS, or "/proc/self/ns/net" for the host's own) read-only.
 *  The host verifies the file really is a network namespace (NS_GET_NSTYPE).
 *  Output: a netns handle, or -errno (-ENOENT when the path is gone, -EINVAL when it is not a netns).
 *  Exception to the "never raw fds" rule: a netns handle IS the host's file descriptor number, because
 *  the module puts it in IFLA_NET_NS_FD of a netlink request (the kernel resolves it in the host
 *  process, and refuses any fd that is not a network namespace). */
@external("macvtap_host", "netns_open")
export declare function host_netns_open(path: usize, pathLen: i32): i32;

/** Closes a netns handle. Output: 0 or -EBADF. */
@external("macvtap_host", "netns_close")
export declare function host_netns_close(netns: i32): i32;

/** Opens a NETLINK_ROUTE socket inside a netns (handle from netns_open, or -1 for the
 *  namespace the host runs in), subscribed to the multicast `groups` bitmask (0 for none).
 *  The host enables NETLINK_EXT_ACK and NETLINK_CAP_ACK on it.
 *  Output: a socket handle or -errno. */
@external("macvtap_host", "nl_open")
export declare function host_nl_open(netns: i32, groups: u32): i32;

/** Sends one datagram. Output: bytes sent or -errno. */
@external("macvtap_host", "nl_send")
export declare function host_nl_send(sock: i32, buf: usize, len: i32): i32;

/** Receives one datagram into (buf, cap), waiting at most timeoutMs (-1 = forever).
 *  Output: bytes received (a datagram larger than cap is truncated: MSG_TRUNC is not
 *  reported, so pass at least 32 KiB), -EAGAIN on timeout, or -errno. */
@external("macvtap_host", "nl_recv")
export declare function host_nl_recv(sock: i32, buf: usize, cap: i32, timeoutMs: i32): i32;

/** Reports the socket's netlink port id (nl_pid assigned by the kernel) as a u32 at out.
 *  The id is a full u32: the kernel numbers a process's second socket from 0xfffff000 down,
 *  which would collide with -errno in a plain i32 result. Output: 0 or -errno. */
@external("macvtap_host", "nl_port")
export declare function host_nl_port(sock: i32, out: usize): i32;

/** Closes a socket handle. Output: 0 or -EBADF. */
@external("macvtap_host", "nl_close")
export declare function host_nl_close(sock: i32): i32;

/** Changes the owner of /dev/tap<ifindex> (the host builds the path; it refuses anything
 *  that is not a character device and never follows symlinks). uid/gid -1 = unchanged.
 *  Output: 0 or -errno (-ENOENT when /dev has no such node, e.g. kind without /dev mounted). */
@external("macvtap_host", "tap_chown")
export declare function host_tap_chown(ifindex: i32, uid: i32, gid: i32): i32;

/** Reads owner and mode of /dev/tap<ifindex> into out: u32 uid, u32 gid, u32 st_mode.
 *  Output: 0 or -errno. */
@external("macvtap_host", "tap_stat")
export declare function host_tap_stat(ifindex: i32, out: usize): i32;

/** Runs the IPAM plugin `ipamType` (a bare file name, looked up in CNI_PATH by the host) with the
 *  runtime's whole environment (CNI spec: a delegate gets the same environment), CNI_COMMAND = command,
 *  and `stdin` as its stdin, in a process group of its own. The host ends the group at its timeout.
 *  Output: the length of its stdout (fetch it with ipam_output) and its exit status at statusOut (i32,
 *  128 + signal when a signal ended it), or -errno when it could not run: -ENOENT not found in CNI_PATH,
 *  -EINVAL bad type name or command, -ETIMEDOUT killed at the timeout, -EMSGSIZE stdout over 4 MiB. */
@external("macvtap_host", "ipam_exec")
export declare function host_ipam_exec(
  ipamType: usize, ipamTypeLen: i32,
  command: usize, commandLen: i32,
  stdin: usize, stdinLen: i32,
  statusOut: usize,
): i32;

/** Copies the stdout of the last ipam_exec into (buf, cap). Output: bytes copied. */
@external("macvtap_host", "ipam_output")
export declare function host_ipam_output(buf: usize, cap: i32): i32;

/** Waits until stdin or one of `count` socket handles (an i32 array at `sockets`) is readable,
 *  at most timeoutMs (-1 = forever). For the long-running link broker ("stream" mode).
 *  Output: a bitmask — bit 0: stdin readable (data or end of file), bit 1 + i: socket i
 *  readable — 0 on timeout, or -errno. */
@external("macvtap_host", "wait_readable")
export declare function host_wait_readable(sockets: usize, count: i32, timeoutMs: i32): i32;

/** NUMA node of the network device `name` (UTF-8), from /sys/class/net/<name>/device/numa_node
 *  (the host validates the name as an interface name and builds the path itself).
 *  Output: the node (>= 0), or -ENOENT when the device reports none (virtual links, -1 in sysfs). */
@external("macvtap_host", "link_numa_node")
export declare function host_link_numa_node(name: usize, nameLen: i32): i32;

/** Reads one symlink of a bus device (names UTF-8, as netlink's IFLA_PARENT_DEV_BUS_NAME and
 *  IFLA_PARENT_DEV_NAME give them): which = 0 → /sys/bus/<bus>/devices/<device> (where the device sits:
 *  "../../../devices/pci0000:00/0000:00:03.0/virtio2"), which = 1 → its "driver" link
 *  ("../../../../bus/virtio/drivers/virtio_net"). The host validates both names and builds the path.
 *  Output: the target's length, copied to (buf, cap); -ENOENT no such device (or no driver bound),
 *  -EINVAL bad name or which, -ERANGE target longer than cap. */
@external("macvtap_host", "bus_device_link")
export declare function host_bus_device_link(
  bus: usize, busLen: i32,
  device: usize, deviceLen: i32,
  which: i32,
  buf: usize, cap: i32,
): i32;

/** Writes "0" or "1" to a sysctl inside the netns `netns` (a netns_open handle). Only
 *  net/ipv4/conf/<ifname>/arp_notify and net/ipv6/conf/<ifname>/ndisc_notify are allowed:
 *  with them the kernel announces the interface's addresses (gratuitous ARP, unsolicited NA)
 *  when it comes up. Strings are UTF-8. Output: 0, -EINVAL for any other key or value,
 *  -EBADF for an unknown netns handle, or -errno (-ENOENT: no such interface or no IPv6). */
@external("macvtap_host", "sysctl_set")
export declare function host_sysctl_set(
  netns: i32,
  key: usize,
  keyLen: i32,
  value: usize,
  valueLen: i32,
): i32;
