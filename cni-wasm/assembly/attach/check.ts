// CHECK (0.4.0+) for both device types: the attachment still is what ADD
// reported in prevResult — CNI_IFNAME is in CNI_NETNS, passes the device type's
// own check, has prevResult's MAC, is up with the configured MTU, in promisc mode
// when configured, keeps the IPAM addresses with their prefix lengths and the
// routes — and the IPAM plugin agrees (SPEC.md CHECK).

import { CniError, ERR_CHECK_MISMATCH, invalidConfig } from "../cni/errors";
import { execIpam } from "../cni/ipam";
import { Invocation, Outcome } from "../cni/invocation";
import { formatMac } from "../cni/mac";
import { findInterface, normalizeResult } from "../cni/result";
import { JsonValue } from "../json/value";
import { IFF_PROMISC, IFF_UP } from "../netlink/constants";
import { LinkMessage } from "../netlink/link";
import { getLinkByName } from "../netlink/rtnl";
import { checkAddresses } from "./check_addresses";
import { checkRoutes } from "./check_routes";
import { netlinkFailure, netnsFailure } from "./failures";
import { Session } from "./session";

/**
 * What one device type checks on CNI_IFNAME in the pod against prevResult's entry for it (`expected`);
 * the rest of CHECK is shared.
 */
export type LinkCheck = (inv: Invocation, link: LinkMessage, expected: JsonValue) => CniError | null;

/**
 * CHECK for both device types: prevResult lists the interface, the pod has it, `check` agrees, its
 * addresses are there, and so does the IPAM plugin.
 */
export function runCheck(inv: Invocation, check: LinkCheck): Outcome {
  const prev = inv.conf.prevResult;
  if (prev == null) return Outcome.failed(invalidConfig("CHECK needs prevResult (the result of ADD)"));
  const result = normalizeResult(prev);
  const index = findInterface(result, inv.env.ifname, inv.env.netns);
  if (index < 0) {
    return Outcome.failed(
      mismatch('prevResult lists no interface "' + inv.env.ifname + '" in sandbox "' + inv.env.netns + '"'),
    );
  }
  const opened = Session.open(inv.env.netns);
  if (opened.session == null) return Outcome.failed(netnsFailure(inv.env.netns, opened.errno));
  const session = opened.session!;
  const error = checkAttachment(inv, session, result, index, check);
  session.close();
  if (error != null) return Outcome.failed(error);
  if (inv.conf.ipamType.length > 0) {
    const ipam = execIpam(inv.conf.ipamType, "CHECK", inv.stdin);
    if (ipam.error != null) return Outcome.failed(ipam.error!);
  }
  return Outcome.done(null);
}

export function mismatch(what: string): CniError {
  return new CniError(ERR_CHECK_MISMATCH, what);
}

function checkAttachment(
  inv: Invocation,
  session: Session,
  result: JsonValue,
  index: i32,
  check: LinkCheck,
): CniError | null {
  const pod = session.pod();
  if (pod == null) return netlinkFailure("opening a netlink socket in the pod", session.error!);
  const ifname = inv.env.ifname;
  const found = getLinkByName(pod, ifname);
  if (found.error != null) return netlinkFailure('looking up "' + ifname + '"', found.error!);
  if (found.value == null) {
    return mismatch('interface "' + ifname + '" is missing from netns "' + inv.env.netns + '"');
  }
  const link = found.value!;
  const linkError = check(inv, link, result.get("interfaces")!.items[index]);
  if (linkError != null) return linkError;
  // promiscMode false sets nothing on ADD, so only a configured promisc mode is held to.
  if (inv.conf.promiscMode && (link.flags & IFF_PROMISC) == 0) {
    return mismatch('"' + ifname + "\" is not in promiscuous mode, which the config's promiscMode asks for");
  }
  const addressError = checkAddresses(pod, link.index, result, index);
  if (addressError != null) return addressError;
  return checkRoutes(pod, result);
}

/** MAC as prevResult says, up, MTU as configured (else as prevResult says). */
export function checkLinkState(
  link: LinkMessage,
  ifname: string,
  expected: JsonValue,
  mtu: i32,
): CniError | null {
  const mac = link.address != null ? formatMac(link.address!) : "";
  const expectedMac = expected.get("mac");
  if (expectedMac != null && expectedMac.isString && expectedMac.stringValue.toLowerCase() != mac) {
    return mismatch('"' + ifname + '" has MAC ' + mac + ", prevResult says " + expectedMac.stringValue);
  }
  if ((link.flags & IFF_UP) == 0) return mismatch('"' + ifname + '" is down');
  const expectedMtu = mtu > 0 ? mtu : mtuOf(expected);
  if (expectedMtu > 0 && <i32> link.mtu != expectedMtu) {
    return mismatch(
      '"' + ifname + '" has MTU ' + link.mtu.toString() + ", expected " + expectedMtu.toString(),
    );
  }
  return null;
}

function mtuOf(entry: JsonValue): i32 {
  const mtu = entry.get("mtu");
  return mtu != null && mtu.isInteger ? <i32> mtu.numberValue : 0;
}
