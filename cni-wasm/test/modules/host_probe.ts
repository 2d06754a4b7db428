// A WASI module (asconfig.json target) that exercises the capability host:
// every WASI function it is granted and every macvtap_host import. The host
// tests compile it ahead of time with the native host (tools/native.ts), run
// it as a real process and read its stdout, one `key=value` per line.
// argv[1] picks the scenario.

import {
  host_bus_device_link,
  host_ipam_exec,
  host_ipam_output,
  host_link_numa_node,
  host_netns_close,
  host_netns_open,
  host_nl_close,
  host_nl_open,
  host_nl_port,
  host_nl_recv,
  host_nl_send,
  host_sysctl_set,
  host_tap_chown,
  host_tap_stat,
  host_wait_readable,
} from "../../assembly/imports/bindings";
import { badPointer, nulNames, wasiRefusals } from "./probe_boundaries";
// The global `abort` is aliased to onAbort (asconfig.json "use"): that file must be in the program.
import "../../assembly/imports/trap";

const CURRENT_NETNS: i32 = -1;
const RTM_NEWLINK: u16 = 16;
const RTM_GETLINK: u16 = 18;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
const IFLA_IFNAME: u16 = 3;
const NLMSG_HDRLEN: i32 = 16;
const IFINFOMSG_LEN: i32 = 16;
const RECV_CAP: i32 = 32768;

function say(key: string, value: string): void {
  process.stdout.write(key + "=" + value + "\n");
}

function arg(i: i32): string {
  return process.argv.length > i ? process.argv[i] : "";
}

function utf8(text: string): ArrayBuffer {
  return String.UTF8.encode(text);
}

function readStdin(): string {
  let all = new Uint8Array(0);
  const chunk = new ArrayBuffer(4096);
  for (;;) {
    const got = process.stdin.read(chunk);
    if (got <= 0) break;
    const grown = new Uint8Array(all.length + got);
    grown.set(all);
    grown.set(Uint8Array.wrap(chunk, 0, got), all.length);
    all = grown;
  }
  return String.UTF8.decode(all.buffer);
}

function openNetns(path: string): i32 {
  const bytes = utf8(path);
  return host_netns_open(changetype<usize>(bytes), bytes.byteLength);
}

// RTM_GETLINK dump: nlmsghdr + zeroed ifinfomsg (AF_UNSPEC), as `ip link` sends it.
function sendLinkDump(sock: i32): i32 {
  const request = new ArrayBuffer(NLMSG_HDRLEN + IFINFOMSG_LEN);
  const p = changetype<usize>(request);
  store<u32>(p, <u32> request.byteLength);
  store<u16>(p, RTM_GETLINK, 4);
  store<u16>(p, NLM_F_REQUEST | NLM_F_DUMP, 6);
  store<u32>(p, 1, 8);
  return host_nl_send(sock, p, request.byteLength);
}

// Collects "name:ifindex" of every RTM_NEWLINK until NLMSG_DONE.
function receiveLinks(sock: i32): string {
  const buffer = new ArrayBuffer(RECV_CAP);
  const base = changetype<usize>(buffer);
  let names = "";
  let done = false;
  while (!done) {
    const got = host_nl_recv(sock, base, RECV_CAP, 2000);
    if (got < 0) return "recv-error:" + got.toString();
    let offset = 0;
    while (!done && offset + NLMSG_HDRLEN <= got) {
      const len = <i32> load<u32>(base + offset);
      const type = load<u16>(base + offset, 4);
      if (len < NLMSG_HDRLEN) return "bad-length";
      done = type == NLMSG_DONE;
      if (type == NLMSG_ERROR) return "nlmsg-error:" + load<i32>(base + offset, 16).toString();
      if (type == RTM_NEWLINK) {
        const index = load<i32>(base + offset + NLMSG_HDRLEN, 4);
        const name = findIfname(base + offset, len);
        names += (names.length > 0 ? "," : "") + name + ":" + index.toString();
      }
      offset += (len + 3) & ~3;
    }
  }
  return names;
}

function findIfname(message: usize, len: i32): string {
  let offset = NLMSG_HDRLEN + IFINFOMSG_LEN;
  while (offset + 4 <= len) {
    const attrLen = <i32> load<u16>(message + offset);
    const attrType = load<u16>(message + offset, 2);
    if (attrLen < 4) break;
    if (attrType == IFLA_IFNAME) return String.UTF8.decodeUnsafe(message + offset + 4, attrLen - 4, true);
    offset += (attrLen + 3) & ~3;
  }
  return "?";
}

function links(path: string): void {
  let netns = CURRENT_NETNS;
  if (path != "-") {
    netns = openNetns(path);
    say("netns", netns >= 0 ? "ok" : netns.toString());
    if (netns < 0) return;
  }
  const sock = host_nl_open(netns, 0);
  say("open", sock >= 0 ? "ok" : sock.toString());
  if (sock < 0) return;
  const port = new ArrayBuffer(4);
  const portResult = host_nl_port(sock, changetype<usize>(port));
  say("port", portResult == 0 ? load<u32>(changetype<usize>(port)).toString() : portResult.toString());
  const sent = sendLinkDump(sock);
  say("sent", sent.toString());
  say("links", receiveLinks(sock));
  say("close", host_nl_close(sock).toString());
  if (netns >= 0) say("netns_close", host_netns_close(netns).toString());
}

// Two sockets in one process: the second gets a kernel-chosen port id above 2^31.
function twoPorts(): void {
  const out = new ArrayBuffer(4);
  const p = changetype<usize>(out);
  const first = host_nl_open(CURRENT_NETNS, 0);
  const second = host_nl_open(CURRENT_NETNS, 0);
  say("port1_result", host_nl_port(first, p).toString());
  say("port1", load<u32>(p).toString());
  say("port2_result", host_nl_port(second, p).toString());
  say("port2", load<u32>(p).toString());
  host_nl_close(first);
  host_nl_close(second);
}

// Subscribes to link events (RTMGRP_LINK) in a netns, announces it, and waits on stdin + that socket.
function waitForEvents(path: string, timeoutMs: i32): void {
  let netns = CURRENT_NETNS;
  if (path != "-") netns = openNetns(path);
  const sock = host_nl_open(netns, 1);
  say("subscribed", sock >= 0 ? "ok" : sock.toString());
  const handles = new Int32Array(1);
  handles[0] = sock;
  say("wait", host_wait_readable(handles.dataStart, 1, timeoutMs).toString());
  const bogus = new Int32Array(1);
  bogus[0] = 999;
  say("wait_unknown", host_wait_readable(bogus.dataStart, 1, 0).toString());
}

function numaNode(name: string): void {
  const bytes = utf8(name);
  say("numa", host_link_numa_node(changetype<usize>(bytes), bytes.byteLength).toString());
}

// One symlink of a bus device: which 0 = the device, 1 = its driver; cap bounds the answer.
function busDevice(bus: string, device: string, which: i32, cap: i32): void {
  const busBytes = utf8(bus);
  const deviceBytes = utf8(device);
  const target = new Uint8Array(cap > 0 ? cap : 1);
  const length = host_bus_device_link(
    changetype<usize>(busBytes),
    busBytes.byteLength,
    changetype<usize>(deviceBytes),
    deviceBytes.byteLength,
    which,
    target.dataStart,
    cap,
  );
  say("rc", length.toString());
  if (length > 0) say("target", String.UTF8.decodeUnsafe(target.dataStart, <usize> length));
}

function recvTimeout(): void {
  const sock = host_nl_open(CURRENT_NETNS, 0);
  const buffer = new ArrayBuffer(RECV_CAP);
  say("recv", host_nl_recv(sock, changetype<usize>(buffer), RECV_CAP, 50).toString());
  host_nl_close(sock);
}

function badHandles(): void {
  const buffer = new ArrayBuffer(16);
  const p = changetype<usize>(buffer);
  say("send_unknown", host_nl_send(999, p, 16).toString());
  say("close_unknown", host_nl_close(999).toString());
  say("port_unknown", host_nl_port(999, p).toString());
  say("netns_close_stdout", host_netns_close(1).toString());
  say("open_in_stdout", host_nl_open(1, 0).toString());
  say("tap_stat_zero", host_tap_stat(0, p).toString());
  say("tap_chown_negative", host_tap_chown(-5, 0, 0).toString());
  say("tap_chown_bad_uid", host_tap_chown(1, -7, 0).toString());
  const key = utf8("net/ipv4/conf/lo/arp_notify");
  const one = utf8("1");
  say(
    "sysctl_unknown_netns",
    host_sysctl_set(1, changetype<usize>(key), key.byteLength, changetype<usize>(one), 1).toString(),
  );
}

// sysctl_set inside a netns (tests pass a throwaway one: the host's own sysctls are never written).
function sysctl(path: string, key: string, value: string): void {
  const netns = openNetns(path);
  const keyBytes = utf8(key);
  const valueBytes = utf8(value);
  say(
    "sysctl",
    host_sysctl_set(
      netns,
      changetype<usize>(keyBytes),
      keyBytes.byteLength,
      changetype<usize>(valueBytes),
      valueBytes.byteLength,
    ).toString(),
  );
}

function tapStat(ifindex: i32): void {
  const out = new ArrayBuffer(12);
  const p = changetype<usize>(out);
  const result = host_tap_stat(ifindex, p);
  say("stat", result.toString());
  if (result == 0) {
    say("uid", load<u32>(p).toString());
    say("gid", load<u32>(p, 4).toString());
    say("mode", load<u32>(p, 8).toString(8));
  }
}

function ipam(type: string, command: string): void {
  const typeBytes = utf8(type);
  const commandBytes = utf8(command);
  const stdin = utf8(readStdin());
  const status = new ArrayBuffer(4);
  const length = host_ipam_exec(
    changetype<usize>(typeBytes),
    typeBytes.byteLength,
    changetype<usize>(commandBytes),
    commandBytes.byteLength,
    changetype<usize>(stdin),
    stdin.byteLength,
    changetype<usize>(status),
  );
  say("result", length.toString());
  if (length < 0) return;
  say("status", load<i32>(changetype<usize>(status)).toString());
  const output = new ArrayBuffer(length);
  const copied = host_ipam_output(changetype<usize>(output), length);
  say("copied", copied.toString());
  process.stdout.write("output=" + String.UTF8.decode(output));
}

// Two calls per level: no compiler can turn this into a loop (wasm2c's C compiler turns a plain
// tail-ish recursion into one), so the stack really grows until it is exhausted.
function recurse(depth: i32): i32 {
  return depth >= i32.MAX_VALUE - 1 ? depth : (recurse(depth + 1) * 3) ^ recurse(depth + 2);
}

function exhaustMemory(): void {
  const hoard = new Array<ArrayBuffer>();
  for (;;) hoard.push(new ArrayBuffer(16 << 20));
}

function environment(): void {
  for (let i = 0; i < process.argv.length; i++) say("arg", process.argv[i]);
  const keys = process.env.keys();
  for (let i = 0; i < keys.length; i++) say("env", keys[i] + "=" + process.env.get(keys[i]));
}

// Date, crypto and console are not aliased to WASI here (asconfig.json "use"): only process is.
function clockAndRandom(): void {
  say("realtime_ms", process.time().toString());
  const start = process.hrtime();
  say("monotonic_ok", (process.hrtime() >= start).toString());
  // Math.random is seeded through wasi_seed, i.e. random_get.
  say("random", Math.random().toString());
}

const scenario = arg(1);
if (scenario == "echo") {
  process.stdout.write(readStdin());
  process.stderr.write("to-stderr\n");
  process.exit(I32.parseInt(arg(2)));
} else if (scenario == "env") {
  environment();
} else if (scenario == "clock") {
  clockAndRandom();
} else if (scenario == "exit") {
  process.stdout.write("partial output\n");
  process.exit(I32.parseInt(arg(2)));
} else if (scenario == "abort") {
  process.stdout.write('{"half": "a result');
  assert(false, "probe abort");
} else if (scenario == "unreachable") {
  process.stdout.write('{"half": "a result');
  unreachable();
} else if (scenario == "overflow") {
  process.stdout.write('{"half": "a result');
  say("depth", recurse(0).toString());
} else if (scenario == "oom") {
  process.stdout.write('{"half": "a result');
  exhaustMemory();
} else if (scenario == "netns") {
  const fd = openNetns(arg(2));
  say("netns", fd >= 0 ? "ok" : fd.toString());
  if (fd >= 0) say("close", host_netns_close(fd).toString());
  if (fd >= 0) say("close_again", host_netns_close(fd).toString());
} else if (scenario == "links") {
  links(arg(2));
} else if (scenario == "ports") {
  twoPorts();
} else if (scenario == "wait") {
  waitForEvents(arg(2), I32.parseInt(arg(3)));
} else if (scenario == "numa") {
  numaNode(arg(2));
} else if (scenario == "bus-device") {
  busDevice(arg(2), arg(3), I32.parseInt(arg(4)), I32.parseInt(arg(5)));
} else if (scenario == "recv-timeout") {
  recvTimeout();
} else if (scenario == "bad-handles") {
  badHandles();
} else if (scenario == "tap-stat") {
  tapStat(I32.parseInt(arg(2)));
} else if (scenario == "tap-chown") {
  say("chown", host_tap_chown(I32.parseInt(arg(2)), I32.parseInt(arg(3)), I32.parseInt(arg(4))).toString());
} else if (scenario == "ipam") {
  ipam(arg(2), arg(3));
} else if (scenario == "sysctl") {
  sysctl(arg(2), arg(3), arg(4));
} else if (scenario == "bad-pointer") {
  badPointer(arg(2));
} else if (scenario == "nul-names") {
  nulNames();
} else if (scenario == "wasi-refusals") {
  wasiRefusals();
} else {
  process.stderr.write("unknown scenario: " + scenario + "\n");
  process.exit(64);
}
