// ADD: take the macvtap the device plugin created for deviceID in the node
// netns, run IPAM, move it into the pod as CNI_IFNAME, set MAC/MTU/promisc, bring
// it up, add addresses and routes, and hand /dev/tap<ifindex> to QEMU's user.
// Every step that changes something registers its undo before the next runs.

import { CniError, ERR_IFNAME_IN_USE, ERR_INVALID_ENV, ERR_TAP_DEVICE, invalidConfig } from "../cni/errors";
import { execIpam } from "../cni/ipam";
import { Invocation, Outcome } from "../cni/invocation";
import { parseMac, formatMac } from "../cni/mac";
import { Attachment, addInterface, normalizeResult, renderResult } from "../cni/result";
import { JsonValue } from "../json/value";
import { NetlinkConn } from "../netlink/conn";
import { LinkMessage } from "../netlink/link";
import { getLinkByName, setLink } from "../netlink/rtnl";
import { findDeviceLink } from "./device_link";
import { netlinkFailure, netnsFailure } from "./failures";
import { applyIpConfig } from "./ip_config";
import { Session } from "./session";
import { chownTap } from "./tap_device";
import { MoveBackToNode, ReleaseIpam, UndoStack } from "./undo";

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

class MacRequest {
  constructor(
    public mac: Uint8Array | null,
    public error: CniError | null,
  ) {}
}

/** MAC precedence, lowest to highest: config "mac" < CNI_ARGS MAC < runtimeConfig.mac (IPAM's comes later). */
function requestedMac(inv: Invocation): MacRequest {
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

  const undo = new UndoStack();
  let ipamResult: JsonValue | null = null;
  if (inv.conf.ipamType.length > 0) {
    // Registered first: a failing IPAM ADD may still hold a lease.
    undo.push(new ReleaseIpam(inv.conf.ipamType, inv.stdin));
    const ipam = execIpam(inv.conf.ipamType, "ADD", inv.stdin);
    if (ipam.error != null) return Outcome.failed(undo.unwind(session, ipam.error!));
    ipamResult = ipam.result;
  }
  const mac = ipamResult != null ? macFromIpam(ipamResult, requested) : requested;
  const moved = moveAndConfigure(inv, session, host, pod, device.link!, mac, undo);
  if (moved.error != null) return Outcome.failed(undo.unwind(session, moved.error!));
  const link = moved.link!;
  const finished = finishPodSide(inv, pod, link, ipamResult);
  if (finished != null) return Outcome.failed(undo.unwind(session, finished));
  return Outcome.done(buildResult(inv, link, ipamResult));
}

/** SPEC.md ADD: "If an interface of the requested name already exists in the container, the plugin MUST return an error". */
function ifnameInUse(pod: NetlinkConn, ifname: string, netns: string): CniError | null {
  const existing = getLinkByName(pod, ifname);
  if (existing.error != null) return netlinkFailure("looking up \"" + ifname + "\" in the pod", existing.error!);
  if (existing.value == null) return null;
  return new CniError(ERR_IFNAME_IN_USE, "interface \"" + ifname + "\" already exists in netns \"" + netns + "\"");
}

/** kube-ovn answers with the MAC it reserved for the pod: interfaces[0].mac wins over every other source. */
function macFromIpam(result: JsonValue, fallback: Uint8Array | null): Uint8Array | null {
  const interfaces = result.get("interfaces");
  if (interfaces == null || !interfaces.isArray) return fallback;
  for (let i = 0; i < interfaces.items.length; i++) {
    const mac = interfaces.items[i].get("mac");
    if (mac == null || !mac.isString) continue;
    const parsed = parseMac(mac.stringValue);
    if (parsed.error == null) return parsed.bytes;
  }
  return fallback;
}

class Moved {
  constructor(
    public link: LinkMessage | null,
    public error: CniError | null,
  ) {}
}

/**
 * One RTM_NEWLINK moves and renames (the kernel renames inside the target netns,
 * so the name cannot clash in the node's); a second sets MAC, MTU, promisc and up.
 * The undo is registered before the move: when the rename fails, the kernel has
 * already moved the link (measured on 6.18), and it must still come back.
 */
function moveAndConfigure(
  inv: Invocation,
  session: Session,
  host: NetlinkConn,
  pod: NetlinkConn,
  device: LinkMessage,
  mac: Uint8Array | null,
  undo: UndoStack,
): Moved {
  const nodeName = device.name != null ? device.name! : "";
  const ifname = inv.env.ifname;
  const move = new LinkMessage();
  move.index = device.index;
  move.netnsFd = session.podNetns;
  move.name = ifname;
  undo.push(new MoveBackToNode(device.index, nodeName, ifname));
  const moveError = setLink(host, move);
  if (moveError != null) {
    return new Moved(null, netlinkFailure("moving \"" + nodeName + "\" into the pod as \"" + ifname + "\"", moveError));
  }
  const index = device.index;
  const configure = new LinkMessage();
  configure.index = index;
  if (mac != null) configure.address = mac;
  if (inv.conf.mtu > 0) configure.mtu = <u32>inv.conf.mtu;
  if (inv.conf.promiscMode) configure.setPromisc(true);
  configure.setUp(true);
  const configureError = setLink(pod, configure);
  if (configureError != null) return new Moved(null, netlinkFailure("configuring \"" + ifname + "\"", configureError));
  return reread(pod, ifname, index);
}

/**
 * Reads the link back (its MAC when none was requested, its MTU) and checks the
 * ifindex survived the move: the device plugin told the kubelet /dev/tap<ifindex>,
 * and a pod netns that already used that ifindex would have renumbered it.
 */
function reread(pod: NetlinkConn, ifname: string, expectedIndex: i32): Moved {
  const found = getLinkByName(pod, ifname);
  if (found.error != null) return new Moved(null, netlinkFailure("reading \"" + ifname + "\" back", found.error!));
  if (found.value == null) {
    return new Moved(null, new CniError(ERR_TAP_DEVICE, "\"" + ifname + "\" vanished from the pod right after the move"));
  }
  const link = found.value!;
  if (link.index != expectedIndex) {
    return new Moved(null, new CniError(
      ERR_TAP_DEVICE,
      "the macvtap became ifindex " + link.index.toString() + " in the pod (was " + expectedIndex.toString() +
        "), so /dev/tap" + expectedIndex.toString() + " given to the pod no longer matches it",
    ));
  }
  return new Moved(link, null);
}

/** Addresses, routes and the tap owner: the last steps, all inside the pod or on /dev. */
function finishPodSide(inv: Invocation, pod: NetlinkConn, link: LinkMessage, ipamResult: JsonValue | null): CniError | null {
  if (ipamResult != null) {
    const ipError = applyIpConfig(pod, link.index, ipamResult);
    if (ipError != null) return ipError;
  }
  return chownTap(link.index, inv.conf.owner, inv.conf.group);
}

function buildResult(inv: Invocation, link: LinkMessage, ipamResult: JsonValue | null): JsonValue {
  const prev = inv.conf.prevResult;
  const result = prev != null ? normalizeResult(prev) : JsonValue.object();
  const attachment = new Attachment();
  attachment.name = inv.env.ifname;
  attachment.mac = link.address != null ? formatMac(link.address!) : "";
  attachment.sandbox = inv.env.netns;
  attachment.mtu = <i32>link.mtu;
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
