// The host's boundary, from the module's side (part of host_probe.ts): every import handed a pointer or a
// length outside the module's memory (each must end the run as a trap), names the host must refuse
// (NUL bytes, paths, too long), and the WASI refusals a well-behaved module never meets.

import {
  host_bus_device_link,
  host_ipam_exec,
  host_ipam_output,
  host_link_numa_node,
  host_netns_open,
  host_nl_open,
  host_nl_port,
  host_nl_recv,
  host_nl_send,
  host_sysctl_set,
  host_tap_stat,
  host_trap,
  host_wait_readable,
} from "../../assembly/imports/bindings";
import {
  clock_time_get,
  fd_close,
  fd_read,
  fd_write,
  random_get,
} from "../../../node_modules/@assemblyscript/wasi-shim/assembly/bindings/wasi_snapshot_preview1";

/** Far beyond the memory the probe ever grows to (the host caps it well below 2 GiB). */
const FAR: usize = 0x7ffffff0;
/** -1 as a length: 4 GiB - 1 once the host reads it unsigned. */
const HUGE: i32 = -1;

function say(key: string, value: string): void {
  process.stdout.write(key + "=" + value + "\n");
}

function bytes(text: string): ArrayBuffer {
  return String.UTF8.encode(text);
}

function ptr(buffer: ArrayBuffer): usize {
  return changetype<usize>(buffer);
}

/** Calls one import with one bad (pointer, length); returns only if the host did not trap. */
export function badPointer(which: string): void {
  const name = bytes("lo");
  const scratch = new ArrayBuffer(64);
  const sock = host_nl_open(-1, 0);
  process.stdout.write('{"half": "a result');
  let rc: i32 = 0;
  if (which == "netns_open") rc = host_netns_open(FAR, 16);
  else if (which == "netns_open_length") rc = host_netns_open(ptr(name), HUGE);
  else if (which == "nl_send") rc = host_nl_send(sock, FAR, 16);
  else if (which == "nl_recv") rc = host_nl_recv(sock, ptr(scratch), HUGE, 0);
  else if (which == "nl_port") rc = host_nl_port(sock, FAR);
  else if (which == "tap_stat") rc = host_tap_stat(1, FAR);
  else if (which == "ipam_exec_type") rc = host_ipam_exec(FAR, 4, ptr(name), 2, ptr(name), 2, ptr(scratch));
  else if (which == "ipam_exec_stdin") {
    rc = host_ipam_exec(ptr(name), 2, ptr(name), 2, ptr(name), HUGE, ptr(scratch));
  } else if (which == "ipam_exec_status") rc = host_ipam_exec(ptr(name), 2, ptr(name), 2, ptr(name), 2, FAR);
  else if (which == "ipam_output") rc = host_ipam_output(FAR, 16);
  else if (which == "wait_readable") rc = host_wait_readable(FAR, 1, 0);
  else if (which == "link_numa_node") rc = host_link_numa_node(FAR, 4);
  else if (which == "bus_device_link") rc = host_bus_device_link(ptr(name), 2, ptr(name), 2, 0, FAR, 64);
  else if (which == "sysctl_set") rc = host_sysctl_set(3, FAR, 30, ptr(name), 1);
  else if (which == "trap") host_trap(FAR, 10, FAR, 10, 1, 2);
  else if (which == "fd_write") rc = <i32> fd_write(1, FAR, 1, ptr(scratch));
  else if (which == "fd_read") rc = <i32> fd_read(0, FAR, 1, ptr(scratch));
  else if (which == "clock_time_get") rc = <i32> clock_time_get(0, 0, FAR);
  else if (which == "random_get") rc = <i32> random_get(ptr(scratch), HUGE);
  else rc = -9999;
  say("survived", which + " " + rc.toString());
}

/** A name with a NUL byte in the middle, as UTF-8. */
function withNul(before: string, after: string): ArrayBuffer {
  const head = bytes(before);
  const tail = bytes(after);
  const all = new Uint8Array(head.byteLength + 1 + tail.byteLength);
  all.set(Uint8Array.wrap(head), 0);
  all.set(Uint8Array.wrap(tail), head.byteLength + 1);
  return all.buffer;
}

/** Names with a NUL byte: each import must refuse them (-EINVAL) instead of cutting them short. */
export function nulNames(): void {
  const nul = withNul("lo", "x");
  const path = withNul("/proc/self/ns/net", "x");
  const key = withNul("net/ipv4/conf/lo", "/arp_notify");
  const value = bytes("1");
  const status = new ArrayBuffer(4);
  const out = new ArrayBuffer(64);
  say("netns_open", host_netns_open(ptr(path), path.byteLength).toString());
  say("link_numa_node", host_link_numa_node(ptr(nul), nul.byteLength).toString());
  say(
    "bus_device_link",
    host_bus_device_link(ptr(nul), nul.byteLength, ptr(nul), nul.byteLength, 0, ptr(out), 64).toString(),
  );
  say(
    "ipam_exec",
    host_ipam_exec(ptr(nul), nul.byteLength, ptr(value), 1, ptr(value), 1, ptr(status)).toString(),
  );
  const netns = host_netns_open(ptr(bytes("/proc/self/ns/net")), 17);
  say("sysctl_set", host_sysctl_set(netns, ptr(key), key.byteLength, ptr(value), 1).toString());
}

/** The WASI refusals: fds other than 0-2, closing twice, unknown clocks. */
export function wasiRefusals(): void {
  const iovec = new ArrayBuffer(8);
  const text = bytes("x");
  store<u32>(ptr(iovec), <u32> ptr(text));
  store<u32>(ptr(iovec), 1, 4);
  const count = new ArrayBuffer(8);
  say("write_fd3", fd_write(3, ptr(iovec), 1, ptr(count)).toString());
  say("write_fd0", fd_write(0, ptr(iovec), 1, ptr(count)).toString());
  say("read_fd1", fd_read(1, ptr(iovec), 1, ptr(count)).toString());
  say("clock_cputime", clock_time_get(2, 0, ptr(count)).toString());
  say("close_fd5", fd_close(5).toString());
  say("close_fd2", fd_close(2).toString());
  say("close_fd2_again", fd_close(2).toString());
  say("write_closed_fd2", fd_write(2, ptr(iovec), 1, ptr(count)).toString());
}
