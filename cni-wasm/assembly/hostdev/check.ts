// CHECK for deviceType "hostdev": as for a macvtap minus the tap — CNI_IFNAME
// is in the pod, is the NIC of this deviceID (its origin record says so), has
// prevResult's MAC, is up with the expected MTU and keeps its IPAM addresses;
// then IPAM CHECK.

import { CniError } from "../cni/errors";
import { Invocation, Outcome } from "../cni/invocation";
import { JsonValue } from "../json/value";
import { getLinkByName } from "../netlink/rtnl";
import { checkAddresses } from "../macvtap/check_addresses";
import { checkLinkState, mismatch, runCheck } from "../macvtap/check";
import { netlinkFailure } from "../macvtap/failures";
import { Session } from "../macvtap/session";
import { OriginRecord } from "./origin_record";

export function cmdHostdevCheck(inv: Invocation): Outcome {
  return runCheck(inv, checkNic);
}

function checkNic(inv: Invocation, session: Session, result: JsonValue, index: i32): CniError | null {
  const pod = session.pod();
  if (pod == null) return netlinkFailure("opening a netlink socket in the pod", session.error!);
  const ifname = inv.env.ifname;
  const found = getLinkByName(pod, ifname);
  if (found.error != null) return netlinkFailure("looking up \"" + ifname + "\"", found.error!);
  if (found.value == null) return mismatch("interface \"" + ifname + "\" is missing from netns \"" + inv.env.netns + "\"");
  const link = found.value!;
  const record = OriginRecord.decode(link.alias);
  const deviceID = inv.conf.deviceID;
  if (record == null || (deviceID.length > 0 && record.deviceID != deviceID)) {
    return mismatch("\"" + ifname + "\" is not the NIC of deviceID \"" + deviceID + "\" (no matching origin record in its alias)");
  }
  const expected = result.get("interfaces")!.items[index];
  const stateError = checkLinkState(link, ifname, expected, inv.conf.mtu);
  if (stateError != null) return stateError;
  return checkAddresses(pod, link.index, result, index);
}
