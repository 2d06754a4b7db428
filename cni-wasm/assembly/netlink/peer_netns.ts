// The links of the namespaces a netns knows by id. A netns holds a netns id
// (nsid) for every netns one of its links was moved into: the kernel assigns
// one at the move (peernet2id_alloc in dev_change_net_namespace) and drops it
// when that netns dies. So from the node: every nsid (RTM_GETNSID dump), then
// the links of each of those netns (RTM_GETLINK dump with IFLA_TARGET_NETNSID)
// — the macvtaps the CNI moved into pods, still stacked on node links.

import { AttributeDecoder } from "./attribute";
import { AF_UNSPEC, IFLA_EXT_MASK, NLM_F_DUMP, NLM_F_REQUEST, RTM_GETLINK, RTM_NEWLINK } from "./constants";
import { NetlinkConn } from "./conn";
import { EBADMSG, EINTR, EINVAL } from "./errno";
import { NetlinkError, Result } from "./error";
import { IFINFOMSG_LEN, LinkMessage } from "./link";
import { Message, MessageBuilder } from "./message";

// linux/rtnetlink.h and linux/net_namespace.h.
const RTM_NEWNSID: u16 = 88;
const RTM_GETNSID: u16 = 90;
const NETNSA_NSID: u16 = 1;
const IFLA_TARGET_NETNSID: u16 = 46;
const RTEXT_FILTER_SKIP_STATS: u32 = 1 << 3;
/** sizeof(struct rtgenmsg), padded to NLMSG_ALIGNTO: attributes start here. */
const RTGENMSG_ALIGNED_LEN: i32 = 4;

/** The nsids `conn`'s netns has assigned to other namespaces. */
export function listNetnsIds(conn: NetlinkConn): Result<i32[]> {
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

/** Every link of the netns `conn`'s netns knows as `nsid`; EINVAL when no netns has that id (any more). */
export function linksOfNetns(conn: NetlinkConn, nsid: i32): Result<LinkMessage[]> {
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
