// Test-module helper (not an entry): human- and test-readable JSON descriptions
// of netlink datagrams (the role of mdlayher/netlink's debug output), every
// message with its header and its decoded body, or the decoder's error. The
// netlink test module (netlink.ts) answers Deno tests with them; the plugin
// never uses them.

import { compactIp } from "../../assembly/cni/ip";
import { JsonValue } from "../../assembly/json/value";
import { stringify } from "../../assembly/json/stringify";
import { AddressMessage } from "../../assembly/netlink/address";
import {
  IFLA_CARRIER,
  IFLA_EXT_MASK,
  IFLA_GROUP,
  IFLA_LINK,
  IFLA_LINK_NETNSID,
  IFLA_MACVLAN_BC_QUEUE_LEN,
  IFLA_MACVLAN_FLAGS,
  IFLA_MACVLAN_MACADDR_COUNT,
  IFLA_MACVLAN_MODE,
  IFLA_MASTER,
  IFLA_MAX_MTU,
  IFLA_MIN_MTU,
  IFLA_MTU,
  IFLA_NET_NS_FD,
  IFLA_NET_NS_PID,
  IFLA_NUM_RX_QUEUES,
  IFLA_NUM_TX_QUEUES,
  IFLA_OPERSTATE,
  IFLA_PROMISCUITY,
  IFLA_TXQLEN,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_DELROUTE,
  RTM_GETADDR,
  RTM_GETLINK,
  RTM_GETROUTE,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWROUTE,
  RTM_SETLINK,
} from "../../assembly/netlink/constants";
import { decodeDonePayload, decodeErrorMessage, NetlinkError } from "../../assembly/netlink/error";
import { LinkInfo } from "../../assembly/netlink/linkinfo";
import { LinkMessage } from "../../assembly/netlink/link";
import { MacvlanData, macvlanModeName } from "../../assembly/netlink/macvlan";
import { MessageDecoder, NlMsgHdr } from "../../assembly/netlink/message";
import { RouteMessage } from "../../assembly/netlink/route";

/** "RTM_NEWLINK", "NLMSG_ERROR" ..., or "type N". */
export function messageTypeName(type: u16): string {
  switch (type) {
    case NLMSG_NOOP:
      return "NLMSG_NOOP";
    case NLMSG_ERROR:
      return "NLMSG_ERROR";
    case NLMSG_DONE:
      return "NLMSG_DONE";
    case NLMSG_OVERRUN:
      return "NLMSG_OVERRUN";
    case RTM_NEWLINK:
      return "RTM_NEWLINK";
    case RTM_DELLINK:
      return "RTM_DELLINK";
    case RTM_GETLINK:
      return "RTM_GETLINK";
    case RTM_SETLINK:
      return "RTM_SETLINK";
    case RTM_NEWADDR:
      return "RTM_NEWADDR";
    case RTM_DELADDR:
      return "RTM_DELADDR";
    case RTM_GETADDR:
      return "RTM_GETADDR";
    case RTM_NEWROUTE:
      return "RTM_NEWROUTE";
    case RTM_DELROUTE:
      return "RTM_DELROUTE";
    case RTM_GETROUTE:
      return "RTM_GETROUTE";
    default:
      return "type " + type.toString();
  }
}

/** `{"messages": [...]}` plus `"error"` when the walk stopped at a malformed header. */
export function describeDatagram(datagram: Uint8Array): string {
  const messages = JsonValue.array();
  const d = new MessageDecoder(datagram);
  while (d.next()) messages.push(describeMessage(d.header, d.payload()));
  const out = JsonValue.object().set("messages", messages);
  if (d.error != null) out.setString("error", d.error!);
  return stringify(out);
}

/** One message: header fields, then a body key named after the family ("link", "address" ...). */
export function describeMessage(header: NlMsgHdr, payload: Uint8Array): JsonValue {
  const out = JsonValue.object()
    .setString("type", messageTypeName(header.type))
    .setNumber("flags", header.flags)
    .setNumber("seq", header.seq)
    .setNumber("pid", header.pid);
  const type = header.type;
  if (type == NLMSG_ERROR) return out.set("error", describeError(decodeErrorMessage("", header, payload)));
  if (type == NLMSG_DONE) return out.set("done", describeError(decodeDonePayload("", header, payload)));
  if (type >= RTM_NEWLINK && type <= RTM_SETLINK) {
    const link = LinkMessage.decode(payload);
    if (link.error != null) return out.setString("decodeError", link.error!);
    return out.set("link", describeLink(link.value!));
  }
  if (type >= RTM_NEWADDR && type <= RTM_GETADDR) {
    const address = AddressMessage.decode(payload);
    if (address.error != null) return out.setString("decodeError", address.error!);
    return out.set("address", describeAddress(address.value!));
  }
  if (type >= RTM_NEWROUTE && type <= RTM_GETROUTE) {
    const route = RouteMessage.decode(payload);
    if (route.error != null) return out.setString("decodeError", route.error!);
    return out.set("route", describeRoute(route.value!));
  }
  return out.setNumber("payloadLength", payload.length);
}

/** errno (0 = ACK), and message/offset/missingType when the kernel sent them, plus the toString() text. */
export function describeError(e: NetlinkError): JsonValue {
  const out = JsonValue.object().setNumber("errno", e.errno);
  if (e.message.length > 0) out.setString("message", e.message);
  if (e.offset >= 0) out.setNumber("offset", e.offset);
  if (e.missingType >= 0) out.setNumber("missingType", e.missingType);
  if (e.missingNest >= 0) out.setNumber("missingNest", e.missingNest);
  return out;
}

export function describeLink(link: LinkMessage): JsonValue {
  const out = JsonValue.object()
    .setNumber("family", link.family)
    .setNumber("ifType", link.type)
    .setNumber("index", link.index)
    .setNumber("flags", link.flags)
    .setNumber("change", link.change);
  setOptionalString(out, "name", link.name);
  setOptionalHex(out, "address", link.address);
  setOptionalHex(out, "broadcast", link.broadcast);
  setOptionalHex(out, "permAddress", link.permAddress);
  setOptionalString(out, "alias", link.alias);
  setOptionalString(out, "parentDevName", link.parentDevName);
  setOptionalString(out, "parentBusName", link.parentBusName);
  describeLinkNumbers(link, out);
  const info = link.linkInfo;
  if (info != null) out.set("linkInfo", describeLinkInfo(info));
  return out;
}

/** The numeric IFLA_* fields that are present, each under its field name. */
function describeLinkNumbers(link: LinkMessage, out: JsonValue): void {
  if (link.has(IFLA_MTU)) out.setNumber("mtu", link.mtu);
  if (link.has(IFLA_LINK)) out.setNumber("link", link.link);
  if (link.has(IFLA_MASTER)) out.setNumber("master", link.master);
  if (link.has(IFLA_TXQLEN)) out.setNumber("txqlen", link.txqlen);
  if (link.has(IFLA_OPERSTATE)) out.setNumber("operstate", link.operstate);
  if (link.has(IFLA_CARRIER)) out.setNumber("carrier", link.carrier);
  if (link.has(IFLA_NET_NS_FD)) out.setNumber("netnsFd", link.netnsFd);
  if (link.has(IFLA_NET_NS_PID)) out.setNumber("netnsPid", link.netnsPid);
  if (link.has(IFLA_GROUP)) out.setNumber("group", link.group);
  if (link.has(IFLA_PROMISCUITY)) out.setNumber("promiscuity", link.promiscuity);
  if (link.has(IFLA_NUM_TX_QUEUES)) out.setNumber("numTxQueues", link.numTxQueues);
  if (link.has(IFLA_NUM_RX_QUEUES)) out.setNumber("numRxQueues", link.numRxQueues);
  if (link.has(IFLA_LINK_NETNSID)) out.setNumber("linkNetnsId", link.linkNetnsId);
  if (link.has(IFLA_MIN_MTU)) out.setNumber("minMtu", link.minMtu);
  if (link.has(IFLA_MAX_MTU)) out.setNumber("maxMtu", link.maxMtu);
  if (link.has(IFLA_EXT_MASK)) out.setNumber("extMask", link.extMask);
}

function describeLinkInfo(info: LinkInfo): JsonValue {
  const out = JsonValue.object();
  setOptionalString(out, "kind", info.kind);
  setOptionalString(out, "slaveKind", info.slaveKind);
  const data = info.macvlan;
  if (data != null) out.set("macvlan", describeMacvlan(data));
  return out;
}

function describeMacvlan(data: MacvlanData): JsonValue {
  const out = JsonValue.object();
  if (data.has(IFLA_MACVLAN_MODE)) out.setString("mode", macvlanModeName(data.mode));
  if (data.has(IFLA_MACVLAN_FLAGS)) out.setNumber("flags", data.flags);
  if (data.has(IFLA_MACVLAN_MACADDR_COUNT)) out.setNumber("macaddrCount", data.macaddrCount);
  if (data.has(IFLA_MACVLAN_BC_QUEUE_LEN)) out.setNumber("bcQueueLen", data.bcQueueLen);
  return out;
}

export function describeAddress(a: AddressMessage): JsonValue {
  const out = JsonValue.object()
    .setNumber("family", a.family)
    .setNumber("prefixLen", a.prefixLen)
    .setNumber("flags", a.flags)
    .setNumber("scope", a.scope)
    .setNumber("index", a.index);
  setOptionalIp(out, "address", a.address);
  setOptionalIp(out, "local", a.local);
  setOptionalIp(out, "broadcast", a.broadcast);
  setOptionalString(out, "label", a.label);
  return out;
}

export function describeRoute(r: RouteMessage): JsonValue {
  const out = JsonValue.object()
    .setNumber("family", r.family)
    .setNumber("dstLen", r.dstLen)
    .setNumber("srcLen", r.srcLen)
    .setNumber("tos", r.tos)
    .setNumber("table", r.table)
    .setNumber("protocol", r.protocol)
    .setNumber("scope", r.scope)
    .setNumber("type", r.type)
    .setNumber("flags", r.flags);
  setOptionalIp(out, "dst", r.dst);
  setOptionalIp(out, "gateway", r.gateway);
  setOptionalIp(out, "prefSrc", r.prefSrc);
  if (r.oif != 0) out.setNumber("oif", r.oif);
  if (r.hasPriority) out.setNumber("priority", r.priority);
  if (r.mtu != 0) out.setNumber("mtu", r.mtu);
  if (r.advmss != 0) out.setNumber("advmss", r.advmss);
  if (r.nexthopOifs.length > 0) {
    const hops = JsonValue.array();
    for (let i = 0; i < r.nexthopOifs.length; i++) hops.push(JsonValue.number(<f64> r.nexthopOifs[i]));
    out.set("nexthopOifs", hops);
  }
  return out;
}

function setOptionalString(out: JsonValue, key: string, value: string | null): void {
  if (value != null) out.setString(key, value);
}

function setOptionalHex(out: JsonValue, key: string, value: Uint8Array | null): void {
  if (value != null) out.setString(key, colonHex(value));
}

function setOptionalIp(out: JsonValue, key: string, value: Uint8Array | null): void {
  if (value != null) out.setString(key, formatIp(value));
}

const HEX = "0123456789abcdef";

/** "02:00:00:00:00:01" for a MAC (and colon-separated hex for any other length). */
export function colonHex(bytes: Uint8Array): string {
  const parts = new Array<string>();
  for (let i = 0; i < bytes.length; i++) parts.push(HEX.charAt(bytes[i] >> 4) + HEX.charAt(bytes[i] & 0xf));
  return parts.join(":");
}

/** "10.1.2.3" for 4 bytes, RFC 5952 text ("fd00:1::3") for 16, colonHex otherwise. */
export function formatIp(bytes: Uint8Array): string {
  return bytes.length == 4 || bytes.length == 16 ? compactIp(bytes) : colonHex(bytes);
}
