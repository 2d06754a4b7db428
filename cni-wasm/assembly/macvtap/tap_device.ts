// /dev/tap<ifindex>: the character device QEMU opens. KubeVirt runs QEMU as
// 107:107, so the CNI hands the node's tap node to that owner (the host builds
// the path from the ifindex and refuses anything but a character device).

import { host_tap_chown, host_tap_stat } from "../imports/bindings";
import { CniError, ERR_TAP_DEVICE } from "../cni/errors";
import { KEEP_ID } from "../cni/netconf";
import { ENOENT, errnoText } from "../netlink/errno";

export function tapPath(ifindex: i32): string {
  return "/dev/tap" + ifindex.toString();
}

/** chown of /dev/tap<ifindex>; both ids -1 means leave it alone. */
export function chownTap(ifindex: i32, owner: i64, group: i64): CniError | null {
  if (owner == KEEP_ID && group == KEEP_ID) return null;
  const rc = host_tap_chown(ifindex, <i32> owner, <i32> group);
  if (rc == 0) return null;
  if (-rc == ENOENT) return missingTap(ifindex);
  return new CniError(
    ERR_TAP_DEVICE,
    "cannot change the owner of " + tapPath(ifindex) + " to " + owner.toString() + ":" + group.toString() +
      ": " +
      errnoText(-rc),
  );
}

/** kind and other containerized nodes often lack the host's devtmpfs: say so, it is the usual cause. */
export function missingTap(ifindex: i32): CniError {
  return new CniError(
    ERR_TAP_DEVICE,
    tapPath(ifindex) + " does not exist on this node",
    "the macvtap's character device appears in the kernel's devtmpfs; on kind or other containerized nodes " +
      "mount the host's /dev into the node (kind: extraMounts hostPath /dev → /dev)",
  );
}

export class TapStat {
  uid: u32 = 0;
  gid: u32 = 0;
  mode: u32 = 0;
  /** Positive errno when the stat failed. */
  errno: i32 = 0;
}

export function statTap(ifindex: i32): TapStat {
  const out = new Uint32Array(3);
  const stat = new TapStat();
  const rc = host_tap_stat(ifindex, out.dataStart);
  if (rc < 0) {
    stat.errno = -rc;
    return stat;
  }
  stat.uid = out[0];
  stat.gid = out[1];
  stat.mode = out[2];
  return stat;
}
