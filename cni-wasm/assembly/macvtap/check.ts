// CHECK for a macvtap: the shared CHECK (attach/check.ts) with the link a
// macvtap, and /dev/tapN owned as configured.

import { CniError } from "../cni/errors";
import { Invocation, Outcome } from "../cni/invocation";
import { KEEP_ID } from "../cni/netconf";
import { JsonValue } from "../json/value";
import { ENOENT } from "../netlink/errno";
import { LinkMessage } from "../netlink/link";
import { checkLinkState, mismatch, runCheck } from "../attach/check";
import { missingTap, statTap, tapPath } from "./tap_device";

export function cmdCheck(inv: Invocation): Outcome {
  return runCheck(inv, checkMacvtap);
}

/** A macvtap, in the expected state, its /dev/tapN owned as configured. */
function checkMacvtap(inv: Invocation, link: LinkMessage, expected: JsonValue): CniError | null {
  const ifname = inv.env.ifname;
  const kind = link.kind;
  if (kind == null || kind != "macvtap") return mismatch('"' + ifname + '" is not a macvtap');
  const stateError = checkLinkState(link, ifname, expected, inv.conf.mtu);
  if (stateError != null) return stateError;
  return checkTapOwner(link.index, inv.conf.owner, inv.conf.group);
}

function checkTapOwner(ifindex: i32, owner: i64, group: i64): CniError | null {
  const stat = statTap(ifindex);
  if (stat.errno == ENOENT) return missingTap(ifindex);
  if (stat.errno != 0) {
    return mismatch("cannot stat " + tapPath(ifindex) + " (errno " + stat.errno.toString() + ")");
  }
  if ((owner != KEEP_ID && <i64> stat.uid != owner) || (group != KEEP_ID && <i64> stat.gid != group)) {
    return mismatch(
      tapPath(ifindex) + " is owned by " + stat.uid.toString() + ":" + stat.gid.toString() +
        ", expected " + owner.toString() + ":" + group.toString(),
    );
  }
  return null;
}
