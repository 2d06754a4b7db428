/**
 * The link broker protocol, version 1: how the sandboxed daemon asks the link broker to look at and
 * change links in the host network namespace.
 *
 * ## Why a broker
 * The daemon serves gRPC to the kubelet and holds no FFI permission; the broker is the only process with
 * netlink access (`dist/link-broker`: the native capability host in stream mode, compiled together with the
 * shared nlmsg-codec wasm, cni-wasm/assembly/broker.ts). The daemon starts the broker as a child process
 * (its one `--allow-run` program, with an empty environment) and talks to it over the child's stdin
 * (requests) and stdout (hello, responses, events). The broker's stderr is for humans and is copied to the
 * daemon's log.
 *
 * ## Framing
 * UTF-8 JSON objects, one per line (`\n`-terminated, no pretty printing), at most {@link MAX_LINE_BYTES}
 * bytes per line. Unknown keys must be ignored by both sides (room for compatible extensions).
 *
 * ## Conversation
 * 1. The broker writes a hello line first: `{"hello":"macvtap-link-broker","version":1,"implementation":"…"}`.
 *    The daemon refuses a broker whose `version` differs from {@link BROKER_PROTOCOL_VERSION}.
 * 2. The daemon writes requests `{"id":<positive integer>,"op":"<op>",…}`; ids are unique per broker process.
 *    The broker answers each request exactly once, `{"id":…,"result":{…}}` or
 *    `{"id":…,"error":{"code":"E…","message":"…"}}`, possibly out of order.
 *    `code` is an errno name (`ENODEV`, `EEXIST`, `EINVAL`, `EPERM`, `EBUSY`, `EIO`, …) or `EPROTO` for a
 *    request the broker cannot parse (then `id` is 0 when the id itself was unreadable).
 * 3. After answering `watch`, the broker writes event lines (no `id`) as links change:
 *    `{"event":"link","action":"new"|"del","link":{…}}` carries the full state of the link after (new) or
 *    before (del) the change — RTM_NEWLINK / RTM_DELLINK; the daemon applies them in order.
 *    `{"event":"resync","reason":"…"}` says events were lost (netlink ENOBUFS): list again.
 *
 * ## Operations
 * | op | request fields | result |
 * |---|---|---|
 * | `list` | – | `{"links":[Link…]}`: every link of the host netns |
 * | `watch` | – | `{"watching":true}`, then events (RTNLGRP_LINK) |
 * | `createMacvtap` | `name`, `lower`, `mode`, optional `ifindex` | `{"ifindex":N,"name":"…"}`: a macvtap named `name` on `lower` (txqlen copied from the lower), already up, at `ifindex` when given (`EEXIST` when the name or that ifindex is taken); nothing is left behind on failure |
 * | `deleteLink` | `name` | `{"deleted":true}`, or `{"deleted":false}` when no such link exists (ENODEV is not an error) |
 * | `listTempLinks` | – | `{"links":[Link…]}`: only macvtaps whose name matches {@link TEMP_LINK_PATTERN} |
 * | `listPeerMacvtaps` | – | `{"macvtaps":[PeerMacvtap…]}`: macvtaps in the namespaces the host netns has a netns id for (the kernel assigns one when a link moves there), whose lower link is in another netns |
 *
 * The broker enforces the daemon's narrow mandate: `createMacvtap` and `deleteLink` only accept names
 * matching {@link TEMP_LINK_PATTERN} and `deleteLink` only deletes links of kind `macvtap`; anything else is
 * answered with `EPERM` and left alone.
 *
 * ## Link
 * `{"ifindex","name","up","carrier","loopback","firstSeenMs"}` always, plus when known `kind`
 * (IFLA_INFO_KIND; absent for hardware devices), `parentDevName` / `parentBusName` (IFLA_PARENT_DEV_NAME /
 * IFLA_PARENT_DEV_BUS_NAME), `lowerIfindex` (IFLA_LINK), `masterIfindex` (IFLA_MASTER: the bond or bridge
 * a port belongs to), `macvtapMode` (IFLA_MACVLAN_MODE of a macvtap),
 * `numaNode` (the device's NUMA node, ≥ 0), `driver` (the driver bound to the parent device, from the
 * sysfs link `/sys/bus/<bus>/devices/<dev>/driver`: `virtio_net`, `ixgbe` …), `pciAddress` (the parent
 * device's PCI address, or the nearest PCI device above it: a virtio NIC's `virtio2` sits under
 * `0000:00:03.0`), and `defaultRoute: true` on links carrying a default route of the main table (IPv4 or
 * IPv6, also as a multipath next hop). `up` is IFF_UP, `carrier` IFF_LOWER_UP, `loopback` IFF_LOOPBACK.
 * `firstSeenMs` is when the broker created the link or first saw it (ms since the epoch): netlink has no
 * creation time, so this is a lower bound on the link's age. After `watch`, a link that gains or loses a
 * default route is reported again as a `new` event (the broker also follows route events for this).
 *
 * ## PeerMacvtap
 * `{"netnsId","ifindex","lowerIfindex","name"}`: the netns id as the host netns knows it, the macvtap's
 * ifindex and name there, and the ifindex of its lower link (in the host netns, for the CNI's macvtaps).
 *
 * @module
 */
import { MACVTAP_MODES, type MacvtapMode } from "../config.ts";
import { TEMP_LINK_PATTERN } from "../macvtap/temp_link_name.ts";

export { TEMP_LINK_PATTERN };

/** Value of the `hello` key in the broker's first line. */
export const BROKER_PROTOCOL_NAME = "macvtap-link-broker";

/** The protocol version this file describes. */
export const BROKER_PROTOCOL_VERSION = 1;

/** Longest line either side may write, newline excluded. */
export const MAX_LINE_BYTES = 1 << 20;

/** A network link as the broker reports it. */
export interface Link {
  ifindex: number;
  name: string;
  /** IFLA_INFO_KIND (`bond`, `veth`, `macvtap` …); absent for hardware devices. */
  kind?: string;
  /** IFF_UP: administratively up. */
  up: boolean;
  /** IFF_LOWER_UP: the link has carrier. */
  carrier: boolean;
  /** IFF_LOOPBACK. */
  loopback: boolean;
  /** IFLA_PARENT_DEV_NAME: the bus device behind a hardware link (`0000:3b:00.0`, `virtio2`). */
  parentDevName?: string;
  /** IFLA_PARENT_DEV_BUS_NAME (`pci`, `virtio`). */
  parentBusName?: string;
  /** IFLA_LINK: the lower link of a macvtap, vlan … */
  lowerIfindex?: number;
  /** IFLA_MASTER: the bond or bridge this link is a port of. */
  masterIfindex?: number;
  /** IFLA_MACVLAN_MODE of a macvtap. */
  macvtapMode?: MacvtapMode;
  /** NUMA node of the device, when the broker knows it. */
  numaNode?: number;
  /** Driver bound to the parent device (`virtio_net`, `ixgbe` …). */
  driver?: string;
  /** PCI address of the parent device, or of the PCI device above it (`0000:00:03.0`). */
  pciAddress?: string;
  /** True when the link carries a default route of the main table. */
  defaultRoute?: boolean;
  /** When the broker created or first saw the link, in ms since the epoch. */
  firstSeenMs: number;
}

/** The broker's first line. */
export interface Hello {
  hello: typeof BROKER_PROTOCOL_NAME;
  version: number;
  /** Free text naming the broker build, for logs. */
  implementation: string;
}

/** Arguments of `createMacvtap`. */
export interface CreateMacvtapArgs {
  name: string;
  lower: string;
  mode: MacvtapMode;
  /** The ifindex to create it at (its /dev/tap<ifindex> was promised before); absent: the kernel picks. */
  ifindex?: number;
}

/** A macvtap in another netns (a pod's) whose lower link is in another netns (the host's). */
export interface PeerMacvtap {
  /** The netns id the host netns has for that netns. */
  netnsId: number;
  ifindex: number;
  lowerIfindex: number;
  name: string;
}

/** A request line, by op. */
export type Request =
  | { id: number; op: "list" }
  | { id: number; op: "watch" }
  | { id: number; op: "listTempLinks" }
  | { id: number; op: "listPeerMacvtaps" }
  | { id: number; op: "deleteLink"; name: string }
  | ({ id: number; op: "createMacvtap" } & CreateMacvtapArgs);

/** Every op name. */
export type Op = Request["op"];

/** Result of each op. */
export interface Results {
  list: { links: Link[] };
  watch: { watching: true };
  listTempLinks: { links: Link[] };
  deleteLink: { deleted: boolean };
  createMacvtap: { ifindex: number; name: string };
  listPeerMacvtaps: { macvtaps: PeerMacvtap[] };
}

/** An error answer. */
export interface ErrorBody {
  /** errno name, or EPROTO. */
  code: string;
  message: string;
}

/** A response line. */
export type Response = { id: number; result: unknown } | { id: number; error: ErrorBody };

/** An event line. */
export type Event =
  | { event: "link"; action: "new" | "del"; link: Link }
  | { event: "resync"; reason: string };

/** Anything the broker writes. */
export type BrokerLine = Hello | Response | Event;

/** A line that breaks the protocol; `code` is EPROTO. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
  readonly code = "EPROTO";
}

/** Serialises one protocol object as a line. */
export function encodeLine(message: BrokerLine | Request): string {
  return JSON.stringify(message) + "\n";
}

function parseObject(line: string, side: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new ProtocolError(`Cannot parse ${side} line as JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProtocolError(`Cannot use ${side} line ${line.slice(0, 200)}: not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}

function isIndex(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** An ifindex a request may ask for: what fits the kernel's int ifi_index, above 0. */
export function isIfindex(value: unknown): value is number {
  return isIndex(value) && value > 0 && value <= 0x7fff_ffff;
}

function isMode(value: unknown): value is MacvtapMode {
  return isString(value) && (MACVTAP_MODES as readonly string[]).includes(value);
}

/**
 * Parses a line written by the broker (daemon side).
 *
 * @throws {ProtocolError} when the line is not a well-formed hello, response or event
 */
export function parseBrokerLine(line: string): BrokerLine {
  const object = parseObject(line, "broker");
  if ("hello" in object) return checkHello(object);
  if ("event" in object) return checkEvent(object);
  if ("id" in object) return checkResponse(object);
  throw new ProtocolError(`Cannot use broker line ${line.slice(0, 200)}: neither hello, response nor event`);
}

function checkHello(object: Record<string, unknown>): Hello {
  if (object.hello !== BROKER_PROTOCOL_NAME || !isIndex(object.version) || !isString(object.implementation)) {
    throw new ProtocolError(
      `Cannot use broker hello ${JSON.stringify(object)}: expected ${BROKER_PROTOCOL_NAME}`,
    );
  }
  return object as unknown as Hello;
}

function checkEvent(object: Record<string, unknown>): Event {
  if (object.event === "resync" && isString(object.reason)) return object as unknown as Event;
  if (object.event === "link" && (object.action === "new" || object.action === "del")) {
    return { event: "link", action: object.action, link: checkLink(object.link) };
  }
  throw new ProtocolError(`Cannot use broker event ${JSON.stringify(object).slice(0, 200)}`);
}

function checkResponse(object: Record<string, unknown>): Response {
  if (!isIndex(object.id)) throw new ProtocolError(`Cannot use broker response: bad id ${String(object.id)}`);
  if ("result" in object) return { id: object.id, result: object.result };
  const error = object.error as Record<string, unknown> | undefined;
  if (error && /^E[A-Z0-9]+$/.test(String(error.code)) && isString(error.message)) {
    return { id: object.id, error: { code: error.code as string, message: error.message } };
  }
  throw new ProtocolError(`Cannot use broker response ${JSON.stringify(object).slice(0, 200)}`);
}

/**
 * Checks that a value is a {@link Link}, keeping only the known keys.
 *
 * @throws {ProtocolError} naming the first bad field
 */
export function checkLink(value: unknown): Link {
  const o = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const bad = (field: string) =>
    new ProtocolError(`Cannot use broker link ${JSON.stringify(value)}: bad ${field}`);
  if (!isIndex(o.ifindex)) throw bad("ifindex");
  if (!isString(o.name) || o.name === "") throw bad("name");
  for (const flag of ["up", "carrier", "loopback"]) if (typeof o[flag] !== "boolean") throw bad(flag);
  if (!isIndex(o.firstSeenMs)) throw bad("firstSeenMs");
  const link: Link = {
    ifindex: o.ifindex,
    name: o.name,
    up: o.up as boolean,
    carrier: o.carrier as boolean,
    loopback: o.loopback as boolean,
    firstSeenMs: o.firstSeenMs,
  };
  for (const key of ["kind", "parentDevName", "parentBusName", "driver", "pciAddress"] as const) {
    if (o[key] === undefined) continue;
    if (!isString(o[key])) throw bad(key);
    link[key] = o[key];
  }
  for (const key of ["lowerIfindex", "masterIfindex", "numaNode"] as const) {
    if (o[key] === undefined) continue;
    if (!isIndex(o[key])) throw bad(key);
    link[key] = o[key];
  }
  if (o.defaultRoute !== undefined) {
    if (typeof o.defaultRoute !== "boolean") throw bad("defaultRoute");
    if (o.defaultRoute) link.defaultRoute = true;
  }
  if (o.macvtapMode !== undefined) {
    if (!isMode(o.macvtapMode)) throw bad("macvtapMode");
    link.macvtapMode = o.macvtapMode;
  }
  return link;
}

/**
 * Checks that a value is a {@link PeerMacvtap}, keeping only the known keys.
 *
 * @throws {ProtocolError} naming the first bad field
 */
export function checkPeerMacvtap(value: unknown): PeerMacvtap {
  const o = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  for (const key of ["netnsId", "ifindex", "lowerIfindex"]) {
    if (!isIndex(o[key])) {
      throw new ProtocolError(`Cannot use broker peer macvtap ${JSON.stringify(value)}: bad ${key}`);
    }
  }
  if (!isString(o.name)) {
    throw new ProtocolError(`Cannot use broker peer macvtap ${JSON.stringify(value)}: bad name`);
  }
  return {
    netnsId: o.netnsId as number,
    ifindex: o.ifindex as number,
    lowerIfindex: o.lowerIfindex as number,
    name: o.name,
  };
}

/**
 * Parses a request line (broker side).
 *
 * @throws {ProtocolError} when the line is not a well-formed request; `id` is attached when readable
 */
export function parseRequest(line: string): Request {
  const object = parseObject(line, "request");
  const id = isIndex(object.id) && object.id > 0 ? object.id : 0;
  const fail = (why: string) => Object.assign(new ProtocolError(`Cannot use request: ${why}`), { id });
  if (id === 0) throw fail(`bad id ${JSON.stringify(object.id)}`);
  switch (object.op) {
    case "list":
    case "watch":
    case "listTempLinks":
    case "listPeerMacvtaps":
      return { id, op: object.op };
    case "deleteLink":
      if (!isString(object.name)) throw fail("deleteLink needs a string name");
      return { id, op: "deleteLink", name: object.name };
    case "createMacvtap":
      if (!isString(object.name) || !isString(object.lower)) throw fail("createMacvtap needs name and lower");
      if (!isMode(object.mode)) {
        throw fail(`mode ${JSON.stringify(object.mode)} is not one of ${MACVTAP_MODES}`);
      }
      if (object.ifindex !== undefined && !isIfindex(object.ifindex)) {
        throw fail(`ifindex ${JSON.stringify(object.ifindex)} is not a positive 32-bit integer`);
      }
      return {
        id,
        op: "createMacvtap",
        name: object.name,
        lower: object.lower,
        mode: object.mode,
        ...(object.ifindex === undefined ? {} : { ifindex: object.ifindex }),
      };
    default:
      throw fail(`unknown op ${JSON.stringify(object.op)}`);
  }
}
