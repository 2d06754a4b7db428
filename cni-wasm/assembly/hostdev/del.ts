// DEL for deviceType "hostdev": the NIC goes back to the node netns under its
// node name, with its MAC, MTU, alias and up state (return_nic.ts) — it is never
// deleted. Also when the pod netns is already gone: the kernel then has returned
// a physical NIC to the node on its own (renamed "dev<ifindex>" if its pod name
// was taken), and the origin record in its alias finds it. Idempotent: a second
// DEL finds no record and does nothing. IPAM DEL as for a macvtap.

import { CniError } from "../cni/errors";
import { Invocation, Outcome } from "../cni/invocation";
import { delOutcome, releaseIpam } from "../attach/del";
import { netnsFailure } from "../attach/failures";
import { Session } from "../attach/session";
import { leavePod, restoreOnNode } from "./return_nic";

export function cmdHostdevDel(inv: Invocation): Outcome {
  const ipamError = releaseIpam(inv);
  return delOutcome(ipamError, returnNic(inv));
}

function returnNic(inv: Invocation): CniError | null {
  let deviceID = inv.conf.deviceID;
  let session = Session.nodeOnly();
  if (inv.env.netns.length > 0) {
    const opened = Session.open(inv.env.netns);
    if (opened.session != null) {
      session = opened.session!;
      const left = leavePod(session, [inv.env.ifname], deviceID);
      if (left.error != null) {
        session.close();
        return left.error;
      }
      if (deviceID.length == 0 && left.record != null) deviceID = left.record!.deviceID;
    } else if (!opened.netnsMissing) {
      return netnsFailure(inv.env.netns, opened.errno);
    }
  }
  // Without a deviceID (and nothing found in the pod) there is no record to look for.
  const error = deviceID.length > 0 ? restoreOnNode(session, deviceID) : null;
  session.close();
  return error;
}
