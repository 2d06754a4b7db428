// CHECK for deviceType "hostdev": as for a macvtap minus the tap — CNI_IFNAME
// is in the pod, is the NIC of this deviceID (its origin record says so), has
// prevResult's MAC, is up with the expected MTU and keeps its IPAM addresses;
// then IPAM CHECK.

import { CniError } from "../cni/errors";
import { Invocation, Outcome } from "../cni/invocation";
import { JsonValue } from "../json/value";
import { LinkMessage } from "../netlink/link";
import { checkLinkState, mismatch, runCheck } from "../attach/check";
import { OriginRecord } from "./origin_record";

export function cmdHostdevCheck(inv: Invocation): Outcome {
  return runCheck(inv, checkNic);
}

/** The NIC of this deviceID (its origin record says so), in the expected state. */
function checkNic(inv: Invocation, link: LinkMessage, expected: JsonValue): CniError | null {
  const ifname = inv.env.ifname;
  const record = OriginRecord.decode(link.alias);
  const deviceID = inv.conf.deviceID;
  if (record == null || (deviceID.length > 0 && record.deviceID != deviceID)) {
    return mismatch(
      '"' + ifname + '" is not the NIC of deviceID "' + deviceID +
        '" (no matching origin record in its alias)',
    );
  }
  return checkLinkState(link, ifname, expected, inv.conf.mtu);
}
