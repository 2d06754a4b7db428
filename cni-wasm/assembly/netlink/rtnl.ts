// The typed rtnetlink operations the CNI plugin and the device plugin's link
// broker perform. Each builds one request with the codec, runs it on a
// NetlinkConn, and returns an error value: NetlinkError | null, or a Result.

import { AddressMessage } from "./address";
import { NetlinkConn } from "./conn";
import {
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REQUEST,
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_GETADDR,
  RTM_GETLINK,
  RTM_GETROUTE,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWROUTE,
} from "./constants";
import { EBADMSG, EINTR, ENODEV } from "./errno";
import { NetlinkError, Result } from "./error";
import { LinkInfo } from "./linkinfo";
import { LinkMessage } from "./link";
import { Decoded, Message } from "./message";
import { RouteMessage } from "./route";

/** RTEXT_FILTER_SKIP_STATS (linux/rtnetlink.h): replies without the 200-byte counters we never read. */
const RTEXT_FILTER_SKIP_STATS: u32 = 1 << 3;

/** How often a dump the kernel flagged inconsistent (NLM_F_DUMP_INTR) is retried. */
const DUMP_ATTEMPTS: i32 = 3;

/**
 * A request that could not be encoded: a bug in the caller's values (e.g. a name over 64 KiB), not the
 * kernel's.
 */
function encodeError(op: string, error: string): NetlinkError {
  return new NetlinkError(op, EBADMSG, error);
}

/**
 * The link named `name`; value and error both null when there is none (ENODEV is an answer, not an error).
 *
 * @example
 * ```ts no-run
 * import { NetlinkConn } from "./conn";
 * import { getLinkByName } from "./rtnl";
 *
 * const conn = NetlinkConn.open(-1, 0).value!;
 * const found = getLinkByName(conn, "net1");
 * if (found.error != null) {
 *   // the request failed: found.error!.toString() says how ("RTM_GETLINK: EPERM (1): ...")
 * } else if (found.value == null) {
 *   // no link of that name
 * } else {
 *   const ifindex = found.value!.index;
 * }
 * conn.close();
 * ```
 */
export function getLinkByName(conn: NetlinkConn, name: string): Result<LinkMessage> {
  const query = new LinkMessage();
  query.name = name;
  return getLink(conn, query, 'RTM_GETLINK "' + name + '"');
}

/** The link with ifindex `index`; value and error both null when there is none. */
export function getLinkByIndex(conn: NetlinkConn, index: i32): Result<LinkMessage> {
  const query = new LinkMessage();
  query.index = index;
  return getLink(conn, query, "RTM_GETLINK index " + index.toString());
}

function getLink(conn: NetlinkConn, query: LinkMessage, op: string): Result<LinkMessage> {
  query.extMask = RTEXT_FILTER_SKIP_STATS;
  const request = query.encode(RTM_GETLINK, NLM_F_REQUEST);
  if (request.error != null) return Result.fail<LinkMessage>(encodeError(op, request.error!));
  const replies = conn.call(request.value!, op);
  const error = replies.error;
  if (error != null) {
    return error.errno == ENODEV ? Result.ok<LinkMessage>(null) : Result.fail<LinkMessage>(error);
  }
  const messages = replies.value!;
  for (let i = 0; i < messages.length; i++) {
    if (messages[i].header.type != RTM_NEWLINK) continue;
    const link = LinkMessage.decode(messages[i].payload);
    if (link.error != null) return Result.fail<LinkMessage>(new NetlinkError(op, EBADMSG, link.error!));
    return Result.ok<LinkMessage>(link.value);
  }
  return Result.fail<LinkMessage>(new NetlinkError(op, EBADMSG, "the kernel acknowledged but sent no link"));
}

/**
 * Every link in the connection's netns (one RTM_GETLINK dump).
 *
 * @example
 * ```ts no-run
 * import { NetlinkConn } from "./conn";
 * import { listLinks } from "./rtnl";
 *
 * const conn = NetlinkConn.open(-1, 0).value!;
 * const listed = listLinks(conn);
 * if (listed.error == null) {
 *   const links = listed.value!;
 *   for (let i = 0; i < links.length; i++) {
 *     const kind = links[i].kind; // "macvtap", "veth" ...; null for a NIC or lo
 *   }
 * }
 * conn.close();
 * ```
 */
export function listLinks(conn: NetlinkConn): Result<LinkMessage[]> {
  const query = new LinkMessage();
  query.extMask = RTEXT_FILTER_SKIP_STATS;
  const request = query.encode(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP);
  const op = "RTM_GETLINK dump";
  if (request.error != null) return Result.fail<LinkMessage[]>(encodeError(op, request.error!));
  const dumped = dumpWithRetry(conn, request.value!, op);
  if (dumped.error != null) return Result.fail<LinkMessage[]>(dumped.error!);
  return decodeAll<LinkMessage>(dumped.value!, RTM_NEWLINK, LinkMessage.decode, op);
}

/**
 * A macvtap/macvlan request: `name` on lower link `lowerIndex` in `mode` (MACVLAN_MODE_*); index 0 = kernel
 * picks.
 */
export function newMacvlanLink(
  kind: string,
  name: string,
  lowerIndex: u32,
  mode: u32,
  index: i32 = 0,
): LinkMessage {
  const link = new LinkMessage();
  link.index = index;
  link.link = lowerIndex;
  link.name = name;
  link.linkInfo = LinkInfo.macvlanKind(kind, mode);
  return link;
}

/**
 * RTM_NEWLINK with NLM_F_CREATE | NLM_F_EXCL: fails with EEXIST rather than touch an existing link.
 *
 * @example
 * ```ts no-run
 * import { MACVLAN_MODE_BRIDGE } from "./constants";
 * import { NetlinkConn } from "./conn";
 * import { EEXIST } from "./errno";
 * import { createLink, getLinkByName, newMacvlanLink } from "./rtnl";
 *
 * // `ip link add link eth0 name mvt0 type macvtap mode bridge`
 * const conn = NetlinkConn.open(-1, 0).value!;
 * const lower = getLinkByName(conn, "eth0").value!;
 * const error = createLink(conn, newMacvlanLink("macvtap", "mvt0", lower.index, MACVLAN_MODE_BRIDGE));
 * const exists = error != null && error.errno == EEXIST; // a link named mvt0 is there already
 * conn.close();
 * ```
 */
export function createLink(conn: NetlinkConn, link: LinkMessage): NetlinkError | null {
  return run(conn, link.encode(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL), "RTM_NEWLINK create");
}

/**
 * Changes the existing link `change.index` in ONE RTM_NEWLINK (no CREATE), as
 * `ip link set` does: whatever is set among name, address, MTU, IFF_UP /
 * IFF_PROMISC (flags + change), master and netnsFd. With netnsFd the kernel
 * moves the link first and applies the rest in the target netns, so a rename
 * there cannot clash with a name in the source netns.
 *
 * Not atomic: the kernel applies the parts one after another and stops at the
 * first failure. Measured on 6.18 (rtnl_netns_test.ts): move + MTU + rename onto
 * a name the target netns already has returns EEXIST with the link already
 * moved, its MTU set, and its old name. After an error, re-read the link
 * (by ifindex, in both netns) before deciding how to undo.
 */
export function setLink(conn: NetlinkConn, change: LinkMessage): NetlinkError | null {
  const op = "RTM_NEWLINK index " + change.index.toString();
  if (change.index <= 0) return encodeError(op, "setLink needs the link's ifindex");
  return run(conn, change.encode(RTM_NEWLINK, NLM_F_REQUEST), op);
}

/** RTM_DELLINK by ifindex. A missing link is ENODEV: callers that want idempotent deletes check for it. */
export function deleteLink(conn: NetlinkConn, index: i32): NetlinkError | null {
  const link = new LinkMessage();
  link.index = index;
  return run(conn, link.encode(RTM_DELLINK, NLM_F_REQUEST), "RTM_DELLINK index " + index.toString());
}

/** Addresses of `family` (AF_UNSPEC for all) on link `index` (0 for every link). */
export function listAddresses(conn: NetlinkConn, family: u8, index: u32 = 0): Result<AddressMessage[]> {
  const query = new AddressMessage();
  query.family = family;
  const op = "RTM_GETADDR dump";
  const request = query.encode(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP);
  if (request.error != null) return Result.fail<AddressMessage[]>(encodeError(op, request.error!));
  const dumped = dumpWithRetry(conn, request.value!, op);
  if (dumped.error != null) return Result.fail<AddressMessage[]>(dumped.error!);
  const all = decodeAll<AddressMessage>(dumped.value!, RTM_NEWADDR, AddressMessage.decode, op);
  if (all.error != null || index == 0) return all;
  // The kernel filters by ifa_index only for strict-checking sockets; filter here for every kernel.
  const matching = new Array<AddressMessage>();
  const addresses = all.value!;
  for (let i = 0; i < addresses.length; i++) if (addresses[i].index == index) matching.push(addresses[i]);
  return Result.ok<AddressMessage[]>(matching);
}

/**
 * RTM_NEWADDR with NLM_F_CREATE | NLM_F_EXCL (EEXIST when the address is already there).
 *
 * @example
 * ```ts no-run
 * import { AddressMessage } from "./address";
 * import { AF_INET } from "./constants";
 * import { NetlinkConn } from "./conn";
 * import { addAddress, getLinkByName } from "./rtnl";
 *
 * // `ip addr add 192.168.1.5/24 dev net1`
 * const conn = NetlinkConn.open(-1, 0).value!;
 * const ip = new Uint8Array(4);
 * ip[0] = 192;
 * ip[1] = 168;
 * ip[2] = 1;
 * ip[3] = 5;
 * const address = new AddressMessage();
 * address.family = AF_INET;
 * address.prefixLen = 24;
 * address.index = <u32> getLinkByName(conn, "net1").value!.index;
 * address.local = ip;
 * address.address = ip;
 * const error = addAddress(conn, address);
 * conn.close();
 * ```
 */
export function addAddress(conn: NetlinkConn, address: AddressMessage): NetlinkError | null {
  return run(conn, address.encode(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL), "RTM_NEWADDR");
}

/** RTM_DELADDR. */
export function deleteAddress(conn: NetlinkConn, address: AddressMessage): NetlinkError | null {
  return run(conn, address.encode(RTM_DELADDR, NLM_F_REQUEST), "RTM_DELADDR");
}

/** Routes of `family` in every table (AF_UNSPEC for all families). */
export function listRoutes(conn: NetlinkConn, family: u8): Result<RouteMessage[]> {
  const query = new RouteMessage();
  query.family = family;
  query.table = 0;
  query.protocol = 0;
  query.type = 0;
  const op = "RTM_GETROUTE dump";
  const request = query.encode(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP);
  if (request.error != null) return Result.fail<RouteMessage[]>(encodeError(op, request.error!));
  const dumped = dumpWithRetry(conn, request.value!, op);
  if (dumped.error != null) return Result.fail<RouteMessage[]>(dumped.error!);
  return decodeAll<RouteMessage>(dumped.value!, RTM_NEWROUTE, RouteMessage.decode, op);
}

/** RTM_NEWROUTE with NLM_F_CREATE | NLM_F_EXCL (EEXIST when the same route exists). */
export function addRoute(conn: NetlinkConn, route: RouteMessage): NetlinkError | null {
  return run(conn, route.encode(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL), "RTM_NEWROUTE");
}

function run(conn: NetlinkConn, request: Decoded<Uint8Array>, op: string): NetlinkError | null {
  if (request.error != null) return encodeError(op, request.error!);
  return conn.request(request.value!, op);
}

/** A dump, repeated while the kernel reports it inconsistent (links changed while it ran). */
function dumpWithRetry(conn: NetlinkConn, request: Uint8Array, op: string): Result<Message[]> {
  let result = conn.dump(request, op);
  for (let attempt = 1; attempt < DUMP_ATTEMPTS; attempt++) {
    const error = result.error;
    if (error == null || error.errno != EINTR) break;
    result = conn.dump(request, op);
  }
  return result;
}

/**
 * Decodes every message of `type` with `decode`; the first one that does not decode fails the whole answer.
 */
function decodeAll<T>(
  messages: Message[],
  type: u16,
  decode: (payload: Uint8Array) => Decoded<T>,
  op: string,
): Result<T[]> {
  const out = new Array<T>();
  for (let i = 0; i < messages.length; i++) {
    if (messages[i].header.type != type) continue;
    const decoded = decode(messages[i].payload);
    if (decoded.error != null) return Result.fail<T[]>(new NetlinkError(op, EBADMSG, decoded.error!));
    out.push(decoded.value!);
  }
  return Result.ok<T[]>(out);
}
