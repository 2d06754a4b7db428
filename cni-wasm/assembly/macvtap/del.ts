// DEL: delete CNI_IFNAME in the pod netns and release IPAM. Best effort by
// design (SPEC.md DEL): a missing netns, a missing link or an empty CNI_NETNS is
// success, and a second DEL finds nothing to do. The device plugin makes a fresh
// macvtap at the next Allocate, so the link is deleted, not moved back.

import { CniError } from "../cni/errors";
import { Invocation, Outcome } from "../cni/invocation";
import { ENODEV } from "../netlink/errno";
import { deleteLink, getLinkByName } from "../netlink/rtnl";
import { delOutcome, releaseIpam } from "../attach/del";
import { netlinkFailure, netnsFailure } from "../attach/failures";
import { Session } from "../attach/session";

export function cmdDel(inv: Invocation): Outcome {
  const ipamError = releaseIpam(inv);
  const removal = deletePodLink(inv);
  // A runtime that breaks the spec's one-operation-per-attachment rule can run an ADD between our
  // IPAM DEL and the link deletion: its fresh lease would outlive the link we just deleted. Releasing
  // once more after a deletion makes the lease follow the link (IPAM DEL of nothing is a no-op by spec).
  const againError = removal.deleted ? releaseIpam(inv) : null;
  return delOutcome(ipamError != null ? ipamError : againError, removal.error);
}

class LinkRemoval {
  constructor(
    /** True when a macvtap was found and deleted. */
    public deleted: bool,
    public error: CniError | null,
  ) {}
}

function deletePodLink(inv: Invocation): LinkRemoval {
  if (inv.env.netns.length == 0) return new LinkRemoval(false, null);
  const opened = Session.open(inv.env.netns);
  if (opened.session == null) {
    // The sandbox is gone, and the kernel deleted its virtual links with it.
    return new LinkRemoval(false, opened.netnsMissing ? null : netnsFailure(inv.env.netns, opened.errno));
  }
  const session = opened.session!;
  const removal = deleteMacvtap(session, inv.env.ifname);
  session.close();
  return removal;
}

function deleteMacvtap(session: Session, ifname: string): LinkRemoval {
  const pod = session.pod();
  if (pod == null) {
    return new LinkRemoval(false, netlinkFailure("opening a netlink socket in the pod", session.error!));
  }
  const found = getLinkByName(pod, ifname);
  if (found.error != null) {
    return new LinkRemoval(false, netlinkFailure('looking up "' + ifname + '" in the pod', found.error!));
  }
  if (found.value == null) return new LinkRemoval(false, null);
  const link = found.value!;
  const kind = link.kind;
  if (kind == null || kind != "macvtap") {
    // Not ours (a runtime mix-up, or another plugin's interface): leave it alone.
    process.stderr.write('macvtap: DEL leaves "' + ifname + '" alone: it is not a macvtap\n');
    return new LinkRemoval(false, null);
  }
  const error = deleteLink(pod, link.index);
  if (error == null || error.errno == ENODEV) return new LinkRemoval(error == null, null);
  return new LinkRemoval(false, netlinkFailure('deleting "' + ifname + '"', error));
}
