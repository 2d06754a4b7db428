// Test module: ADD's rollback step for the macvtap (macvtap/move_back.ts MoveBackToNode), run on the native
// host from the node netns by modules/command.ts, so a kernel test can put the pod in states ADD itself
// never reaches on this kernel (a macvtap renumbered in the pod: ADD pins the ifindex).

import { IFF_UP } from "../../assembly/netlink/constants";
import { LinkMessage } from "../../assembly/netlink/link";
import { Session } from "../../assembly/attach/session";
import { MoveBackToNode } from "../../assembly/macvtap/move_back";
import { parseMac } from "../../assembly/cni/mac";

/**
 * MoveBackToNode for the temp link `nodeName` (ifindex `nodeIndex` on lower link `lowerIndex`, MAC `mac`,
 * MTU 1500, up, as the device plugin leaves it), moved into the pod at `podNetns` as `podName`.
 * Returns "" when it succeeded, else what went wrong.
 */
export function moveBackToNode(
  podNetns: string,
  podName: string,
  nodeName: string,
  nodeIndex: i32,
  lowerIndex: u32,
  mac: string,
): string {
  const original = new LinkMessage();
  original.index = nodeIndex;
  original.name = nodeName;
  original.link = lowerIndex;
  original.address = parseMac(mac).bytes;
  original.mtu = 1500;
  original.flags = IFF_UP;
  const opened = Session.open(podNetns);
  if (opened.session == null) return "cannot open " + podNetns + ": errno " + opened.errno.toString();
  const session = opened.session!;
  const problem = new MoveBackToNode(original, podName).run(session);
  session.close();
  return problem != null ? problem! : "";
}
