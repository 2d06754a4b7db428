// ADD: take the macvtap the device plugin created for deviceID in the node
// netns, move it into the pod as CNI_IFNAME, configure it there and run IPAM
// (pod_side.ts), and hand /dev/tap<ifindex> to QEMU's user.
// Every step that changes something registers its undo before the next runs.

import {
  CniError,
  ERR_IFNAME_IN_USE,
  ERR_INVALID_CONFIG,
  ERR_INVALID_ENV,
  ERR_NETLINK,
  ERR_TAP_DEVICE,
  invalidConfig,
} from "../cni/errors";
import { INDENT } from "../cni/dispatch";
import { Invocation, Outcome } from "../cni/invocation";
import { parseMac, formatMac } from "../cni/mac";
import { Attachment, addInterface, normalizeResult, renderResult } from "../cni/result";
import { boundedLength } from "../json/stringify";
import { JsonValue } from "../json/value";
import { reserveMemory } from "../imports/memory_budget";
import { NetlinkConn } from "../netlink/conn";
import { EBUSY } from "../netlink/errno";
import { LinkMessage } from "../netlink/link";
import { getLinkByIndex, getLinkByName, setLink } from "../netlink/rtnl";
import { findDeviceLink, findMovedMacvtap } from "./device_link";
import { netlinkFailure, netnsFailure } from "./failures";
import { configurePodLink, ipamReady } from "./pod_side";
import { Session } from "./session";
import { chownTap, tapPath } from "./tap_device";
import { MoveBackToNode, UndoStack } from "./undo";

export const DEVICE_ID_REQUIRED =
  "deviceID is required: the pod did not request the macvtap resource of this network, or Multus found no " +
  "device allocated for it";

export function cmdAdd(inv: Invocation): Outcome {
  if (inv.conf.deviceID.length == 0) return Outcome.failed(invalidConfig(DEVICE_ID_REQUIRED));
  const requested = requestedMac(inv);
  if (requested.error != null) return Outcome.failed(requested.error!);
  const opened = Session.open(inv.env.netns);
  if (opened.session == null) return Outcome.failed(netnsFailure(inv.env.netns, opened.errno));
  const session = opened.session!;
  const outcome = attach(inv, session, requested.mac);
  session.close();
  return outcome;
}

export class MacRequest {
  constructor(
    public mac: Uint8Array | null,
    public error: CniError | null,
  ) {}
}

/** MAC precedence, lowest to highest: config "mac" < CNI_ARGS MAC < runtimeConfig.mac (< the IPAM result's, pod_side.ts). */
export function requestedMac(inv: Invocation): MacRequest {
  let text = inv.conf.mac;
  let source = "mac";
  if (inv.args.mac.length > 0) {
    text = inv.args.mac;
    source = "CNI_ARGS MAC";
  }
  if (inv.conf.runtimeMac.length > 0) {
    text = inv.conf.runtimeMac;
    source = "runtimeConfig.mac";
  }
  if (text.length == 0) return new MacRequest(null, null);
  const parsed = parseMac(text);
  if (parsed.error == null) return new MacRequest(parsed.bytes, null);
  // Config values were validated with the config; only CNI_ARGS can still be wrong here.
  return new MacRequest(null, new CniError(ERR_INVALID_ENV, source + ": " + parsed.error!));
}

function attach(inv: Invocation, session: Session, requested: Uint8Array | null): Outcome {
  const host = session.host();
  const pod = session.pod();
  if (host == null || pod == null) return Outcome.failed(netlinkFailure("opening netlink sockets", session.error!));
  const inUse = ifnameInUse(pod, inv.env.ifname, inv.env.netns);
  if (inUse != null) return Outcome.failed(inUse);
  const device = findDeviceLink(host, inv.conf.deviceID);
  if (device.error != null) return Outcome.failed(device.error!);

  const ipamError = ipamReady(inv);
  if (ipamError != null) return Outcome.failed(ipamError);

  const undo = new UndoStack();
  const original = device.link!;
  const moveError = moveIntoPod(session, host, pod, original, inv.env.ifname, undo);
  if (moveError != null) return Outcome.failed(undo.unwind(session, moveError));
  const moved = movedIntoPod(pod, original, inv.env.ifname);
  if (moved.error != null) return Outcome.failed(undo.unwind(session, moved.error!));
  const configured = configurePodLink(inv, pod, session.podNetns, moved.link!.index, requested, undo);
  if (configured.error != null) return Outcome.failed(undo.unwind(session, configured.error!));
  const tapError = chownTap(original.index, inv.conf.owner, inv.conf.group);
  if (tapError != null) return Outcome.failed(undo.unwind(session, tapError));
  const result = buildResult(inv, configured.link!, configured.ipamResult);
  const sizeError = resultFits(result);
  if (sizeError != null) return Outcome.failed(undo.unwind(session, sizeError));
  return Outcome.done(result);
}

/** SPEC.md ADD: "If an interface of the requested name already exists in the container, the plugin MUST return an error". */
export function ifnameInUse(pod: NetlinkConn, ifname: string, netns: string): CniError | null {
  const existing = getLinkByName(pod, ifname);
  if (existing.error != null) return netlinkFailure("looking up \"" + ifname + "\" in the pod", existing.error!);
  if (existing.value == null) return null;
  return new CniError(ERR_IFNAME_IN_USE, "interface \"" + ifname + "\" already exists in netns \"" + netns + "\"");
}

/**
 * One RTM_NEWLINK moves and renames: the kernel renames inside the target netns,
 * so the name cannot clash in the node's. It also pins the ifindex: the device
 * plugin told the kubelet /dev/tap<ifindex>, and the kernel renames that node
 * when it renumbers the link, so a pod netns that already uses the ifindex must
 * refuse the move (EBUSY) rather than take a macvtap whose /dev/tapN is gone.
 * The undo is registered before the move: when the rename fails, the kernel has
 * already moved the link (measured on 6.18), and it must still come back.
 */
function moveIntoPod(
  session: Session,
  host: NetlinkConn,
  pod: NetlinkConn,
  device: LinkMessage,
  ifname: string,
  undo: UndoStack,
): CniError | null {
  const nodeName = device.name != null ? device.name! : "";
  const move = new LinkMessage();
  move.index = device.index;
  move.netnsFd = session.podNetns;
  move.name = ifname;
  move.newIfindex = device.index;
  undo.push(new MoveBackToNode(device, ifname));
  const error = setLink(host, move);
  if (error == null) return null;
  if (error.errno == EBUSY) {
    const holder = getLinkByIndex(pod, device.index);
    if (holder.error == null && holder.value != null) return ifindexTaken(device.index, holder.value!);
  }
  return netlinkFailure("moving \"" + nodeName + "\" into the pod as \"" + ifname + "\"", error);
}

/**
 * Our macvtap in the pod, found by what the move set (see findMovedMacvtap), at
 * its node ifindex. A kernel that ignores IFLA_NEW_IFINDEX renumbers instead of
 * refusing: the same answer then, and the undo brings the macvtap back.
 */
function movedIntoPod(pod: NetlinkConn, device: LinkMessage, ifname: string): MovedLink {
  const found = findMovedMacvtap(pod, [ifname], device.link);
  if (found.error != null) return new MovedLink(null, netlinkFailure("finding \"" + ifname + "\" in the pod", found.error!));
  const link = found.link;
  if (link == null) {
    return new MovedLink(null, new CniError(ERR_NETLINK, "our macvtap is not in the pod as \"" + ifname + "\" after the move"));
  }
  if (link.index != device.index) return new MovedLink(null, ifindexTaken(device.index, null));
  return new MovedLink(link, null);
}

class MovedLink {
  constructor(
    public link: LinkMessage | null,
    public error: CniError | null,
  ) {}
}

/** The pod netns already uses the macvtap's ifindex (`holder`, when known). */
function ifindexTaken(index: i32, holder: LinkMessage | null): CniError {
  const who = holder != null && holder.name != null ? " (\"" + holder.name! + "\")" : "";
  return new CniError(
    ERR_TAP_DEVICE,
    "the pod netns already has ifindex " + index.toString() + who + ": the macvtap would be renumbered there, and " +
      tapPath(index) + ", which the kubelet gave the pod, would no longer exist",
    "the kernel names a macvtap's character device after its ifindex and renames it when a move renumbers the link",
  );
}

/**
 * The Result must be printable within the plugin's memory, or ADD fails here,
 * while the undo stack can still take everything back: a trap while printing
 * would leave the link in the pod. Printing needs the text (2 bytes a unit) and
 * its UTF-8 copy for stdout (at most 3 bytes a unit).
 */
export function resultFits(result: JsonValue): CniError | null {
  const units = boundedLength(result, INDENT);
  if (reserveMemory(units * 5)) return null;
  return new CniError(
    ERR_INVALID_CONFIG,
    "the Result would be " + units.toString() + " characters, more than the plugin's memory can print",
    "prevResult or the IPAM result is far larger than any attachment needs",
  );
}

/** prevResult (if any) plus our interface and the IPAM result, rendered in the config's version. */
export function buildResult(inv: Invocation, link: LinkMessage, ipamResult: JsonValue | null, pciID: string = ""): JsonValue {
  const prev = inv.conf.prevResult;
  const result = prev != null ? normalizeResult(prev) : JsonValue.object();
  const attachment = new Attachment();
  attachment.name = inv.env.ifname;
  attachment.mac = link.address != null ? formatMac(link.address!) : "";
  attachment.sandbox = inv.env.netns;
  attachment.mtu = <i32>link.mtu;
  attachment.pciID = pciID;
  const index = addInterface(result, attachment);
  if (ipamResult != null) mergeIpam(result, ipamResult, index);
  return renderResult(result, inv.conf.cniVersion);
}

/** ips (pointing at our interface), routes and dns from the IPAM result. */
function mergeIpam(result: JsonValue, ipam: JsonValue, interfaceIndex: i32): void {
  const ips = ipam.get("ips");
  if (ips != null && ips.isArray) {
    for (let i = 0; i < ips.items.length; i++) {
      if (ips.items[i].isObject) ips.items[i].setNumber("interface", <f64>interfaceIndex);
    }
  }
  appendArray(result, ipam, "ips");
  appendArray(result, ipam, "routes");
  const dns = ipam.get("dns");
  if (dns != null && dns.isObject && dns.keys.length > 0) result.set("dns", dns);
}

function appendArray(result: JsonValue, source: JsonValue, key: string): void {
  const items = source.get(key);
  if (items == null || !items.isArray || items.items.length == 0) return;
  let target = result.get(key);
  if (target == null || !target.isArray) {
    target = JsonValue.array();
    result.set(key, target);
  }
  for (let i = 0; i < items.items.length; i++) target.push(items.items[i]);
}
