// STATUS and GC (spec 1.1.0). STATUS: can this node serve ADD — is rtnetlink
// reachable in the node netns, and does the IPAM plugin say it is ready? GC:
// this plugin keeps no state of its own (attachments live and die with their
// pod netns), so it only forwards GC to the IPAM plugin, which may hold leases.

import { CniError, ERR_INCOMPATIBLE_VERSION, ERR_NOT_AVAILABLE } from "../cni/errors";
import { execIpam } from "../cni/ipam";
import { Invocation, Outcome } from "../cni/invocation";
import { NetlinkConn } from "../netlink/conn";

export function cmdStatus(inv: Invocation): Outcome {
  const opened = NetlinkConn.open(-1, 0);
  if (opened.error != null) {
    return Outcome.failed(new CniError(ERR_NOT_AVAILABLE, "rtnetlink is not reachable in the node netns", opened.error!.toString()));
  }
  opened.value!.close();
  return forwardToIpam(inv, "STATUS");
}

export function cmdGc(inv: Invocation): Outcome {
  return forwardToIpam(inv, "GC");
}

/**
 * Delegation is a MUST for both verbs. An IPAM plugin older than spec 1.1.0
 * answers "incompatible version": it has no such verb, so it has nothing to report.
 */
function forwardToIpam(inv: Invocation, command: string): Outcome {
  if (inv.conf.ipamType.length == 0) return Outcome.done(null);
  const forwarded = execIpam(inv.conf.ipamType, command, inv.stdin);
  const error = forwarded.error;
  if (error == null || error.code == ERR_INCOMPATIBLE_VERSION) return Outcome.done(null);
  return Outcome.failed(error);
}
