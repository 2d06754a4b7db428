// Macvtaps that left the node netns for another one (a pod's), still stacked on
// a node link. The daemon asks before it re-creates a temp link at the ifindex it
// once promised the kubelet (/dev/tap<ifindex>): while the pod's macvtap lives,
// re-creating would make a second one.
//
// The node netns holds a netns id (nsid) for every netns a link was moved into:
// the kernel assigns one at the move (peernet2id_alloc in dev_change_net_namespace)
// and drops it when that netns dies. So: every nsid (RTM_GETNSID dump), then the
// links of each of those netns (RTM_GETLINK dump with IFLA_TARGET_NETNSID),
// keeping macvtaps whose lower link lives in another netns (IFLA_LINK_NETNSID).

import { JsonValue } from "../json/value";
import { AttributeDecoder } from "../netlink/attribute";
import { AF_UNSPEC, IFLA_EXT_MASK, IFLA_LINK_NETNSID, NLM_F_DUMP, NLM_F_REQUEST, RTM_GETLINK, RTM_NEWLINK } from "../netlink/constants";
import { NetlinkConn } from "../netlink/conn";
import { EBADMSG, EINTR, EINVAL } from "../netlink/errno";
import { NetlinkError, Result } from "../netlink/error";
import { IFINFOMSG_LEN, LinkMessage } from "../netlink/link";
import { Message, MessageBuilder } from "../netlink/message";
import { Answer } from "./operations";

// linux/rtnetlink.h and linux/net_namespace.h; only the broker uses them.
const RTM_NEWNSID: u16 = 88;
const RTM_GETNSID: u16 = 90;
const NETNSA_NSID: u16 = 1;
const IFLA_TARGET_NETNSID: u16 = 46;
const RTEXT_FILTER_SKIP_STATS: u32 = 1 << 3;
/** sizeof(struct rtgenmsg), padded to NLMSG_ALIGNTO: attributes start here. */
const RTGENMSG_ALIGNED_LEN: i32 = 4;

/** `{"macvtaps":[{"netnsId","ifindex","lowerIfindex","name"}…]}` for every peer netns of the node. */
export function listPeerMacvtaps(conn: NetlinkConn): Answer {
  const ids = listNetnsIds(conn);
  if (ids.error != null) return Answer.netlink(ids.error!);
  const macvtaps = JsonValue.array();
  const nsids = ids.value!;
  for (let i = 0; i < nsids.length; i++) {
    const links = linksOfNetns(conn, nsids[i]);
    const error = links.error;
    // The netns died since the nsid dump: nothing of it is left to report.
    if (error != null && error.errno == EINVAL) continue;
    if (error != null) return Answer.netlink(error);
    const all = links.value!;
    for (let j = 0; j < all.length; j++) {
      const link = all[j];
      const kind = link.kind;
      if (kind == null || kind != "macvtap" || !link.has(IFLA_LINK_NETNSID)) continue;
      macvtaps.push(JsonValue.object()
        .setNumber("netnsId", <f64>nsids[i])
        .setNumber("ifindex", <f64>link.index)
        .setNumber("lowerIfindex", <f64>link.link)
        .setString("name", link.name != null ? link.name! : ""));
    }
  }
  return Answer.ok(JsonValue.object().set("macvtaps", macvtaps));
}

/** The nsids the node netns has assigned to other namespaces. */
function listNetnsIds(conn: NetlinkConn): Result<i32[]> {
  const b = new MessageBuilder(RTM_GETNSID, NLM_F_REQUEST | NLM_F_DUMP);
  b.writer.u8(AF_UNSPEC);
  b.writer.zeros(RTGENMSG_ALIGNED_LEN - 1);
  const dumped = dump(conn, b, "RTM_GETNSID dump");
  if (dumped.error != null) return Result.fail<i32[]>(dumped.error!);
  const ids = new Array<i32>();
  const messages = dumped.value!;
  for (let i = 0; i < messages.length; i++) {
    if (messages[i].header.type != RTM_NEWNSID) continue;
    const attrs = new AttributeDecoder(messages[i].payload, RTGENMSG_ALIGNED_LEN);
    while (attrs.next()) if (attrs.type() == NETNSA_NSID) ids.push(attrs.i32());
  }
  return Result.ok<i32[]>(ids);
}

/** Every link of the netns the node knows as `nsid`; EINVAL when no netns has that id (any more). */
function linksOfNetns(conn: NetlinkConn, nsid: i32): Result<LinkMessage[]> {
  const b = new MessageBuilder(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP);
  b.writer.zeros(IFINFOMSG_LEN);
  b.attrs.u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  b.attrs.i32(IFLA_TARGET_NETNSID, nsid);
  const op = "RTM_GETLINK dump of nsid " + nsid.toString();
  const dumped = dump(conn, b, op);
  if (dumped.error != null) return Result.fail<LinkMessage[]>(dumped.error!);
  const links = new Array<LinkMessage>();
  const messages = dumped.value!;
  for (let i = 0; i < messages.length; i++) {
    if (messages[i].header.type != RTM_NEWLINK) continue;
    const link = LinkMessage.decode(messages[i].payload);
    if (link.error != null) return Result.fail<LinkMessage[]>(new NetlinkError(op, EBADMSG, link.error!));
    links.push(link.value!);
  }
  return Result.ok<LinkMessage[]>(links);
}

/** A dump, repeated once when the kernel flags it inconsistent (links changed while it ran). */
function dump(conn: NetlinkConn, b: MessageBuilder, op: string): Result<Message[]> {
  const request = b.build();
  if (request == null) return Result.fail<Message[]>(new NetlinkError(op, EINVAL, b.error!));
  let result = conn.dump(request!, op);
  if (result.error != null && result.error!.errno == EINTR) result = conn.dump(request!, op);
  return result;
}
