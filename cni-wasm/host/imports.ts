/**
 * The `macvtap_host` import namespace: the host side of
 * cni-wasm/assembly/host/bindings.ts (that file is the contract; every import
 * here has the same name and parameters).
 *
 * Each import validates the module's pointers (out of bounds → -EFAULT),
 * decodes its strings, and calls the service that does the work. Results are
 * i32: >= 0 success, < 0 a negated Linux errno. Only `trap` throws.
 *
 * Groups: netns and netlink sockets; /dev/tapN and sysfs (devices); waiting
 * on stdin + sockets (the link broker); IPAM plugins.
 *
 * Requires `--allow-ffi=<libc path>` (all but trap) and
 * `--allow-run=<timeout path>` (ipam_exec).
 *
 * @module
 */
import { EBADF, EFAULT, EINVAL, ERANGE } from "./kernel.ts";
import { IpamRunner } from "./ipam_exec.ts";
import type { Libc } from "./libc.ts";
import type { ModuleMemory } from "./memory.ts";
import { NetlinkSockets } from "./netlink_socket.ts";
import { CURRENT_NETNS, NetnsTable } from "./netns.ts";
import { tapChown, tapStat } from "./tap_device.ts";
import { waitReadable } from "./wait_readable.ts";
import { linkNumaNode } from "./link_numa_node.ts";
import { busDeviceLink } from "./bus_device.ts";
import { setSysctl } from "./neighbour_notify.ts";

/** Thrown by the `trap` import: the module aborted (assertion, bounds check, out of memory). */
export class ModuleTrap extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModuleTrap";
  }
}

/** What the imports need from the host. */
export interface HostServices {
  libc: Libc;
  memory: ModuleMemory;
  /** Environment an IPAM plugin gets (CNI_* and PATH). */
  ipamEnv: Record<string, string>;
  /** Absolute path of coreutils `timeout`. */
  timeoutProgram: string;
  /** IPAM kill timeout in ms (default 30 s). */
  ipamTimeoutMs?: number;
  /** True when stdin was read up front ("cni" mode): wait_readable then reports it ready at once. */
  stdinBuffered: boolean;
}

/** The import namespace plus a way to release what the module left open. */
export interface HostImports {
  imports: Record<string, (...args: never[]) => number>;
  /** Closes every socket and netns handle (after the module finished, however it finished). */
  closeAll(): void;
}

type ImportFunctions = Record<string, (...args: never[]) => number>;

/** Builds the `macvtap_host` namespace for one module instance. */
export function createHostImports(services: HostServices): HostImports {
  const { libc, memory } = services;
  const netns = new NetnsTable(libc);
  const sockets = new NetlinkSockets(libc);
  const ipam = new IpamRunner(libc, {
    env: services.ipamEnv,
    timeoutProgram: services.timeoutProgram,
    timeoutMs: services.ipamTimeoutMs,
  });
  return {
    imports: {
      trap: (
        msg: number,
        msgLen: number,
        file: number,
        fileLen: number,
        line: number,
        col: number,
      ): never => {
        const text = memory.utf16(msg, msgLen) ?? "<message out of bounds>";
        const where = memory.utf16(file, fileLen) ?? "<file out of bounds>";
        throw new ModuleTrap(`abort: ${text} at ${where}:${line >>> 0}:${col >>> 0}`);
      },
      ...netlinkImports(memory, netns, sockets),
      ...deviceImports(services, netns),
      ...waitImports(services, sockets),
      ...ipamImports(memory, ipam),
    },
    closeAll() {
      sockets.closeAll();
      netns.closeAll();
    },
  };
}

/** netns_open/close and the nl_* socket imports. */
function netlinkImports(memory: ModuleMemory, netns: NetnsTable, sockets: NetlinkSockets): ImportFunctions {
  return {
    netns_open: (path: number, pathLen: number) => {
      const text = memory.utf8(path, pathLen);
      return text === null ? -EFAULT : netns.open(text);
    },
    netns_close: (fd: number) => netns.close(fd),
    nl_open: (netnsFd: number, groups: number) => {
      if (netnsFd !== CURRENT_NETNS && !netns.has(netnsFd)) return -EBADF;
      return sockets.open(netnsFd, groups);
    },
    nl_send: (sock: number, buf: number, len: number) => {
      const payload = memory.bytes(buf, len);
      return payload === null ? -EFAULT : sockets.send(sock, payload);
    },
    nl_recv: (sock: number, buf: number, cap: number, timeoutMs: number) => {
      const into = memory.bytes(buf, cap);
      return into === null ? -EFAULT : sockets.recv(sock, into, timeoutMs);
    },
    nl_port: (sock: number, out: number) => {
      if (memory.bytes(out, 4) === null) return -EFAULT;
      const port = sockets.port(sock);
      if (port < 0) return port;
      memory.storeU32(out, port);
      return 0;
    },
    nl_close: (sock: number) => sockets.close(sock),
  };
}

/**
 * tap_chown/tap_stat on /dev/tapN, link_numa_node and bus_device_link from sysfs, sysctl_set of the
 * neighbour-notify sysctls.
 */
function deviceImports({ libc, memory }: HostServices, netns: NetnsTable): ImportFunctions {
  return {
    tap_chown: (ifindex: number, uid: number, gid: number) => tapChown(libc, ifindex, uid, gid),
    tap_stat: (ifindex: number, out: number) => {
      if (memory.bytes(out, 12) === null) return -EFAULT;
      const stat = tapStat(libc, ifindex);
      if (typeof stat === "number") return stat;
      memory.storeU32(out, stat.uid, stat.gid, stat.mode);
      return 0;
    },
    link_numa_node: (name: number, nameLen: number) => {
      const text = memory.utf8(name, nameLen);
      return text === null ? -EFAULT : linkNumaNode(libc, text);
    },
    bus_device_link: (...args: [number, number, number, number, number, number, number]) =>
      readBusDeviceLink(libc, memory, args),
    sysctl_set: (netnsFd: number, key: number, keyLen: number, value: number, valueLen: number) => {
      const keyText = memory.utf8(key, keyLen);
      const valueText = memory.utf8(value, valueLen);
      if (keyText === null || valueText === null) return -EFAULT;
      if (!netns.has(netnsFd)) return -EBADF;
      return setSysctl(libc, netnsFd, keyText, valueText);
    },
  };
}

/** bus_device_link(bus, busLen, device, deviceLen, which, buf, cap): the target's length, copied to buf. */
function readBusDeviceLink(
  libc: Libc,
  memory: ModuleMemory,
  [bus, busLen, device, deviceLen, which, buf, cap]: number[],
): number {
  const busName = memory.utf8(bus, busLen);
  const deviceName = memory.utf8(device, deviceLen);
  const into = memory.bytes(buf, cap);
  if (busName === null || deviceName === null || into === null) return -EFAULT;
  const target = busDeviceLink(libc, busName, deviceName, which);
  if (typeof target === "number") return target;
  const bytes = new TextEncoder().encode(target);
  if (bytes.byteLength > into.byteLength) return -ERANGE;
  into.set(bytes);
  return bytes.byteLength;
}

/** wait_readable over stdin and socket handles. */
function waitImports(
  { libc, memory, stdinBuffered }: HostServices,
  sockets: NetlinkSockets,
): ImportFunctions {
  return {
    wait_readable: (handles: number, count: number, timeoutMs: number) => {
      const table = memory.bytes(handles, count * 4);
      if (table === null) return -EFAULT;
      const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
      const fds = Array.from({ length: count }, (_, i) => sockets.fdOf(view.getInt32(i * 4, true)));
      if (fds.some((fd) => fd === undefined)) return -EBADF;
      return waitReadable(libc, stdinBuffered, fds as number[], timeoutMs);
    },
  };
}

/** ipam_exec and ipam_output. */
function ipamImports(memory: ModuleMemory, ipam: IpamRunner): ImportFunctions {
  return {
    ipam_exec: (...args: [number, number, number, number, number, number, number]) =>
      runIpam(ipam, memory, args),
    ipam_output: (buf: number, cap: number) => {
      const into = memory.bytes(buf, cap);
      if (into === null) return -EFAULT;
      const output = ipam.lastOutput.subarray(0, cap);
      into.set(output);
      return output.byteLength;
    },
  };
}

/** ipam_exec(type, typeLen, command, commandLen, stdin, stdinLen, statusOut). */
function runIpam(
  ipam: IpamRunner,
  memory: ModuleMemory,
  [type, typeLen, command, commandLen, stdin, stdinLen, statusOut]: number[],
): number {
  const typeName = memory.utf8(type, typeLen);
  const commandName = memory.utf8(command, commandLen);
  const input = memory.bytes(stdin, stdinLen);
  if (typeName === null || commandName === null || input === null || memory.bytes(statusOut, 4) === null) {
    // A type name that is in bounds but not UTF-8 is a bad name, not a bad pointer.
    return typeName === null && memory.bytes(type, typeLen) !== null ? -EINVAL : -EFAULT;
  }
  const result = ipam.exec(typeName, commandName, input);
  if (typeof result === "number") return result;
  memory.storeU32(statusOut, result.status);
  return result.stdout.byteLength;
}
