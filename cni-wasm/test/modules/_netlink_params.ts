// Test-module helper (not an entry): builds codec messages from the JSON
// parameters the netlink tests pass, using the field names describe() prints.

import { JsonValue } from "../../assembly/json/value";
import { parseCidr } from "../../assembly/cni/ip";
import { AddressMessage } from "../../assembly/netlink/address";
import { LinkInfo } from "../../assembly/netlink/linkinfo";
import { LinkMessage } from "../../assembly/netlink/link";
import { MacvlanData, macvlanModeFromName } from "../../assembly/netlink/macvlan";
import { RouteMessage } from "../../assembly/netlink/route";

export function linkFromJson(p: JsonValue): LinkMessage {
  const link = new LinkMessage();
  link.family = <u8> optNum(p, "family", 0);
  link.type = <u16> optNum(p, "ifType", 0);
  link.index = <i32> optNum(p, "index", 0);
  link.flags = <u32> optNum(p, "flags", 0);
  link.change = <u32> optNum(p, "change", 0);
  if (p.has("up")) link.setUp(p.get("up")!.boolValue);
  if (p.has("promisc")) link.setPromisc(p.get("promisc")!.boolValue);
  if (p.has("name")) link.name = text(p, "name");
  if (p.has("alias")) link.alias = text(p, "alias");
  if (p.has("address")) link.address = hexBytes(text(p, "address"));
  if (p.has("broadcast")) link.broadcast = hexBytes(text(p, "broadcast"));
  if (p.has("permAddress")) link.permAddress = hexBytes(text(p, "permAddress"));
  if (p.has("parentDevName")) link.parentDevName = text(p, "parentDevName");
  if (p.has("parentBusName")) link.parentBusName = text(p, "parentBusName");
  if (p.has("mtu")) link.mtu = <u32> num(p, "mtu");
  if (p.has("link")) link.link = <u32> num(p, "link");
  if (p.has("master")) link.master = <u32> num(p, "master");
  if (p.has("txqlen")) link.txqlen = <u32> num(p, "txqlen");
  if (p.has("operstate")) link.operstate = <u8> num(p, "operstate");
  if (p.has("carrier")) link.carrier = <u8> num(p, "carrier");
  if (p.has("netnsFd")) link.netnsFd = <i32> num(p, "netnsFd");
  if (p.has("netnsPid")) link.netnsPid = <u32> num(p, "netnsPid");
  if (p.has("group")) link.group = <u32> num(p, "group");
  if (p.has("promiscuity")) link.promiscuity = <u32> num(p, "promiscuity");
  if (p.has("numTxQueues")) link.numTxQueues = <u32> num(p, "numTxQueues");
  if (p.has("numRxQueues")) link.numRxQueues = <u32> num(p, "numRxQueues");
  if (p.has("linkNetnsId")) link.linkNetnsId = <i32> num(p, "linkNetnsId");
  if (p.has("minMtu")) link.minMtu = <u32> num(p, "minMtu");
  if (p.has("maxMtu")) link.maxMtu = <u32> num(p, "maxMtu");
  if (p.has("extMask")) link.extMask = <u32> num(p, "extMask");
  if (p.has("linkInfo")) link.linkInfo = linkInfoFromJson(p.get("linkInfo")!);
  return link;
}

function linkInfoFromJson(p: JsonValue): LinkInfo {
  const info = new LinkInfo();
  if (p.has("kind")) info.kind = text(p, "kind");
  if (p.has("slaveKind")) info.slaveKind = text(p, "slaveKind");
  if (p.has("macvlan")) {
    const m = p.get("macvlan")!;
    const data = new MacvlanData();
    if (m.has("mode")) data.mode = macvlanModeFromName(text(m, "mode"));
    if (m.has("flags")) data.flags = <u16> num(m, "flags");
    if (m.has("macaddrCount")) data.macaddrCount = <u32> num(m, "macaddrCount");
    if (m.has("bcQueueLen")) data.bcQueueLen = <u32> num(m, "bcQueueLen");
    info.macvlan = data;
  }
  return info;
}

export function addressFromJson(p: JsonValue): AddressMessage {
  const a = new AddressMessage();
  a.family = <u8> optNum(p, "family", 2);
  a.prefixLen = <u8> optNum(p, "prefixLen", 0);
  a.flags = <u32> optNum(p, "flags", 0);
  a.scope = <u8> optNum(p, "scope", 0);
  a.index = <u32> optNum(p, "index", 0);
  if (p.has("address")) a.address = ipBytes(text(p, "address"));
  if (p.has("local")) a.local = ipBytes(text(p, "local"));
  if (p.has("broadcast")) a.broadcast = ipBytes(text(p, "broadcast"));
  if (p.has("label")) a.label = text(p, "label");
  return a;
}

export function routeFromJson(p: JsonValue): RouteMessage {
  const r = new RouteMessage();
  r.family = <u8> optNum(p, "family", r.family);
  r.dstLen = <u8> optNum(p, "dstLen", 0);
  r.srcLen = <u8> optNum(p, "srcLen", 0);
  r.tos = <u8> optNum(p, "tos", 0);
  r.table = <u32> optNum(p, "table", r.table);
  r.protocol = <u8> optNum(p, "protocol", r.protocol);
  r.scope = <u8> optNum(p, "scope", r.scope);
  r.type = <u8> optNum(p, "type", r.type);
  r.flags = <u32> optNum(p, "flags", 0);
  if (p.has("dst")) r.dst = ipBytes(text(p, "dst"));
  if (p.has("gateway")) r.gateway = ipBytes(text(p, "gateway"));
  if (p.has("prefSrc")) r.prefSrc = ipBytes(text(p, "prefSrc"));
  r.oif = <u32> optNum(p, "oif", 0);
  if (p.has("priority")) {
    r.priority = <u32> num(p, "priority");
    r.hasPriority = true;
  }
  r.mtu = <u32> optNum(p, "mtu", 0);
  r.advmss = <u32> optNum(p, "advmss", 0);
  return r;
}

export function text(p: JsonValue, key: string): string {
  const v = p.get(key);
  return v != null ? v.stringValue : "";
}

export function num(p: JsonValue, key: string): f64 {
  const v = p.get(key);
  return v != null ? v.numberValue : 0;
}

export function optNum(p: JsonValue, key: string, fallback: f64): f64 {
  return p.has(key) ? num(p, key) : fallback;
}

/** "02:00:00:00:00:01" → 6 bytes (any count of colon-separated hex pairs). */
export function hexBytes(value: string): Uint8Array {
  const parts = value.split(":");
  const out = new Uint8Array(parts.length);
  for (let i = 0; i < parts.length; i++) out[i] = <u8> I32.parseInt(parts[i], 16);
  return out;
}

export function ipBytes(value: string): Uint8Array {
  const parsed = parseCidr(value);
  return parsed.address != null ? parsed.address!.bytes : new Uint8Array(0);
}
