// Test module (asconfig.test.json): exposes the netlink codec to Deno tests.
// Decoders answer with JSON descriptions (test/modules/_describe.ts);
// encoders take their parameters as JSON with the field names describe() uses,
// so a test can encode, describe, and compare with what it passed in.
// conn.ts and rtnl.ts run against the `macvtap_host` imports the test supplies
// (a fake kernel in JS: FakeKernel in cni-wasm/test/netlink/_netlink_module.ts).

import { JsonValue } from "../../assembly/json/value";
import { parseJson } from "../../assembly/json/parse";
import { stringify } from "../../assembly/json/stringify";
import { AttributeDecoder, AttributeEncoder } from "../../assembly/netlink/attribute";
import { host_netns_close, host_netns_open } from "../../assembly/imports/bindings";
import { NetlinkConn } from "../../assembly/netlink/conn";
import {
  describeAddress,
  describeDatagram,
  describeError,
  describeLink,
  describeMessage,
  describeRoute,
} from "./_describe";
import { decodeDonePayload, decodeErrorMessage, NetlinkError, Result } from "../../assembly/netlink/error";
import { LinkMessage } from "../../assembly/netlink/link";
import { macvlanModeFromName } from "../../assembly/netlink/macvlan";
import {
  MACVLAN_MODE_BRIDGE,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REQUEST,
  NLMSG_DONE,
  RTM_NEWLINK,
} from "../../assembly/netlink/constants";
import { Message, MessageDecoder } from "../../assembly/netlink/message";
import * as rtnl from "../../assembly/netlink/rtnl";
import { addressFromJson, linkFromJson, num, routeFromJson, text } from "./_netlink_params";

let lastError: string = "";

/** The error of the last encode* call that returned no bytes. */
export function encodeError(): string {
  return lastError;
}

// ---------------------------------------------------------------- decoding

/** JSON description of every message in a datagram. */
export function describe(datagram: Uint8Array): string {
  return describeDatagram(datagram);
}

/**
 * NetlinkError.toString() of the first message (NLMSG_ERROR or NLMSG_DONE) of a datagram, for operation `op`.
 */
export function errorText(datagram: Uint8Array, op: string): string {
  const d = new MessageDecoder(datagram);
  if (!d.next()) return "walk error: " + (d.error != null ? d.error! : "empty");
  return endOfAnswer(op, d).toString();
}

/** The current message read as NLMSG_DONE's errno when it is one, else as NLMSG_ERROR. */
function endOfAnswer(op: string, d: MessageDecoder): NetlinkError {
  if (d.header.type == NLMSG_DONE) return decodeDonePayload(op, d.header, d.payload());
  return decodeErrorMessage(op, d.header, d.payload());
}

/**
 * JSON list of the attributes in bytes[start..]: {type, flags, length}, nested ones under "nested" up to
 * depth 3.
 */
export function walkAttributes(bytes: Uint8Array, start: i32): string {
  const d = new AttributeDecoder(bytes, start);
  const out = JsonValue.object().set("attributes", walk(d, 0));
  if (d.error != null) out.setString("error", d.error!);
  return stringify(out);
}

function walk(d: AttributeDecoder, depth: i32): JsonValue {
  const list = JsonValue.array();
  while (d.next()) {
    const item = JsonValue.object()
      .setNumber("type", d.type())
      .setNumber("flags", d.typeFlags())
      .setNumber("length", d.length());
    if (depth < 3 && d.typeFlags() != 0) item.set("nested", walk(d.nested(), depth + 1));
    list.push(item);
  }
  return list;
}

/**
 * Reads the first attribute of bytes with getter `name` ("u8" ... "string", "bytes", "flag"): {"value",
 * "error"}.
 */
export function readAttribute(bytes: Uint8Array, name: string): string {
  const d = new AttributeDecoder(bytes);
  const out = JsonValue.object();
  if (d.next()) out.set("value", readWith(d, name));
  // A second read after an error must return the zero value, not the payload.
  if (d.error != null) out.setString("error", d.error!).set("afterError", readWith(d, name));
  out.setBool("nextAfterError", d.error != null && d.next());
  return stringify(out);
}

function readWith(d: AttributeDecoder, name: string): JsonValue {
  if (name == "u8") return JsonValue.number(d.u8());
  if (name == "u16") return JsonValue.number(d.u16());
  if (name == "u32") return JsonValue.number(d.u32());
  if (name == "u64") return JsonValue.string(d.u64().toString());
  if (name == "i32") return JsonValue.number(d.i32());
  if (name == "string") return JsonValue.string(d.string());
  if (name == "flag") return JsonValue.bool(d.flag());
  const bytes = d.bytes();
  const list = JsonValue.array();
  for (let i = 0; i < bytes.length; i++) list.push(JsonValue.number(bytes[i]));
  return list;
}

/** JSON list of message headers in a datagram, plus "error" when the walk stopped. */
export function walkMessages(datagram: Uint8Array): string {
  const d = new MessageDecoder(datagram);
  const list = JsonValue.array();
  while (d.next()) {
    list.push(
      JsonValue.object().setNumber("offset", d.offset).setNumber("length", d.header.length)
        .setNumber("type", d.header.type).setNumber("payloadLength", d.payload().length),
    );
  }
  const out = JsonValue.object().set("messages", list);
  if (d.error != null) out.setString("error", d.error!);
  return stringify(out);
}

// ---------------------------------------------------------------- encoding

/**
 * Runs encoder operations from JSON: [{"op":"u32","type":4,"value":1400}, {"op":"nestStart","type":18},
 * {"op":"string","type":1,"value":"macvtap","nul":false}, {"op":"nestEnd"} ...]. Empty bytes +
 * encodeError() on error.
 */
export function encodeAttributes(opsJson: string): Uint8Array {
  const ops = parseJson(opsJson).value!;
  const e = new AttributeEncoder();
  for (let i = 0; i < ops.length; i++) {
    const op = ops.items[i];
    const kind = text(op, "op");
    const type = <u16> num(op, "type");
    if (kind == "u8") e.u8(type, <u8> num(op, "value"));
    else if (kind == "u16") e.u16(type, <u16> num(op, "value"));
    else if (kind == "u32") e.u32(type, <u32> num(op, "value"));
    else if (kind == "u64") e.u64(type, U64.parseInt(text(op, "value")));
    else if (kind == "i32") e.i32(type, <i32> num(op, "value"));
    else if (kind == "string") e.string(type, text(op, "value"), !op.has("nul") || op.get("nul")!.boolValue);
    else if (kind == "bytes") e.bytes(type, new Uint8Array(<i32> num(op, "length")));
    else if (kind == "flag") e.flag(type);
    else if (kind == "nestStart") e.nestStart(type);
    else if (kind == "nestEnd") e.nestEnd();
  }
  return finish(e.finish(), e.error);
}

export function encodeLink(msgType: u16, flags: u16, seq: u32, paramsJson: string): Uint8Array {
  const encoded = linkFromJson(parseJson(paramsJson).value!).encode(msgType, flags, seq);
  return finish(encoded.value, encoded.error);
}

export function encodeAddress(msgType: u16, flags: u16, seq: u32, paramsJson: string): Uint8Array {
  const encoded = addressFromJson(parseJson(paramsJson).value!).encode(msgType, flags, seq);
  return finish(encoded.value, encoded.error);
}

export function encodeRoute(msgType: u16, flags: u16, seq: u32, paramsJson: string): Uint8Array {
  const encoded = routeFromJson(parseJson(paramsJson).value!).encode(msgType, flags, seq);
  return finish(encoded.value, encoded.error);
}

function finish(bytes: Uint8Array | null, error: string | null): Uint8Array {
  lastError = error != null ? error! : "";
  return bytes != null ? bytes! : new Uint8Array(0);
}

// ---------------------------------------------------------------- benchmarks (codec_bench.ts)

/** Decodes every RTM_NEWLINK of a datagram; returns how many decoded (no JSON involved). */
export function countLinks(datagram: Uint8Array): i32 {
  const d = new MessageDecoder(datagram);
  let count = 0;
  while (d.next()) {
    if (d.header.type == RTM_NEWLINK && LinkMessage.decode(d.payload()).error == null) count++;
  }
  return count;
}

/** Encodes the Allocate-time request (macvtap, bridge mode, on a lower link); returns its length. */
export function encodeMacvtapCreate(): i32 {
  const link = rtnl.newMacvlanLink("macvtap", "mvtf2644cc3624e", 3, MACVLAN_MODE_BRIDGE, 1234567);
  return link.encode(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL).value!.length;
}

/** rtnl.listLinks on the current connection; the number of links, or -errno (no JSON involved). */
export function countListedLinks(): i32 {
  const r = rtnl.listLinks(conn!);
  return r.error != null ? -r.error!.errno : r.value!.length;
}

/** rtnl.getLinkByName on the current connection; the ifindex, 0 when absent, or -errno. */
export function linkIndexByName(name: string): i32 {
  const r = rtnl.getLinkByName(conn!, name);
  if (r.error != null) return -r.error!.errno;
  return r.value == null ? 0 : r.value!.index;
}

// ---------------------------------------------------------------- fuzzing (_netlink_fuzz.ts)

export { decoderNames, fuzzDecode } from "./_netlink_fuzz";

// ---------------------------------------------------------------- conn.ts and rtnl.ts over the fake host

// Several connections may be open (one per netns in the kernel tests); the
// conn* and rtnl* functions act on the one connOpen or connSelect chose last.
const conns: NetlinkConn[] = [];
let conn: NetlinkConn | null = null;

/** Opens a connection and makes it current: {"port", "conn": its number for connSelect} or {"error"}. */
export function connOpen(netns: i32, groups: u32): string {
  const opened = NetlinkConn.open(netns, groups);
  if (opened.error != null) return stringify(errorJson(opened.error));
  conn = opened.value;
  conns.push(conn!);
  return stringify(JsonValue.object().setNumber("port", conn!.port).setNumber("conn", conns.length - 1));
}

/** Makes connection `index` (from connOpen) current. */
export function connSelect(index: i32): void {
  conn = conns[index];
}

/** Closes the current connection. */
export function connClose(): void {
  if (conn != null) conn!.close();
}

/** netns_open of the host: a handle for connOpen and for IFLA_NET_NS_FD, or -errno. */
export function netnsOpen(path: string): i32 {
  const bytes = String.UTF8.encode(path, false);
  return host_netns_open(changetype<usize>(bytes), bytes.byteLength);
}

export function netnsClose(handle: i32): i32 {
  return host_netns_close(handle);
}

export function connSetTimeout(ms: i32): void {
  conn!.replyTimeoutMs = ms;
}

export function connRequest(message: Uint8Array, op: string): string {
  return stringify(errorJson(conn!.request(message, op)));
}

export function connCall(message: Uint8Array, op: string): string {
  return messagesJson(conn!.call(message, op));
}

export function connDump(message: Uint8Array, op: string): string {
  return messagesJson(conn!.dump(message, op));
}

/** {"message": description | null, "error"}; both null means the wait timed out. */
export function connRecvEvent(timeoutMs: i32): string {
  const r = conn!.recvEvent(timeoutMs);
  const out = errorJson(r.error);
  const m = r.value;
  out.set("message", m == null ? JsonValue.null() : describeMessage(m.header, m.payload));
  return stringify(out);
}

function messagesJson(r: Result<Message[]>): string {
  const out = errorJson(r.error);
  const list = JsonValue.array();
  const messages = r.value;
  if (messages != null) {
    for (let i = 0; i < messages.length; i++) {
      list.push(describeMessage(messages[i].header, messages[i].payload));
    }
  }
  return stringify(out.set("messages", list));
}

/** {"error": null} or {"error": {errno, message?, offset?}, "text": toString()}. */
function errorJson(e: NetlinkError | null): JsonValue {
  const out = JsonValue.object();
  if (e == null) return out.set("error", JsonValue.null());
  return out.set("error", describeError(e)).setString("text", e.toString());
}

export function rtnlGetLinkByName(name: string): string {
  return linkJson(rtnl.getLinkByName(conn!, name));
}

export function rtnlGetLinkByIndex(index: i32): string {
  return linkJson(rtnl.getLinkByIndex(conn!, index));
}

function linkJson(r: Result<LinkMessage>): string {
  const link = r.value;
  return stringify(errorJson(r.error).set("link", link == null ? JsonValue.null() : describeLink(link)));
}

export function rtnlListLinks(): string {
  const r = rtnl.listLinks(conn!);
  const list = JsonValue.array();
  if (r.value != null) { for (let i = 0; i < r.value!.length; i++) list.push(describeLink(r.value![i])); }
  return stringify(errorJson(r.error).set("links", list));
}

export function rtnlListAddresses(family: u8, index: u32): string {
  const r = rtnl.listAddresses(conn!, family, index);
  const list = JsonValue.array();
  if (r.value != null) { for (let i = 0; i < r.value!.length; i++) list.push(describeAddress(r.value![i])); }
  return stringify(errorJson(r.error).set("addresses", list));
}

export function rtnlListRoutes(family: u8): string {
  const r = rtnl.listRoutes(conn!, family);
  const list = JsonValue.array();
  if (r.value != null) { for (let i = 0; i < r.value!.length; i++) list.push(describeRoute(r.value![i])); }
  return stringify(errorJson(r.error).set("routes", list));
}

export function rtnlCreateMacvlan(
  kind: string,
  name: string,
  lowerIndex: u32,
  mode: string,
  index: i32,
): string {
  const link = rtnl.newMacvlanLink(kind, name, lowerIndex, macvlanModeFromName(mode), index);
  return stringify(errorJson(rtnl.createLink(conn!, link)));
}

export function rtnlCreateLink(paramsJson: string): string {
  return stringify(errorJson(rtnl.createLink(conn!, linkFromJson(parseJson(paramsJson).value!))));
}

export function rtnlSetLink(paramsJson: string): string {
  return stringify(errorJson(rtnl.setLink(conn!, linkFromJson(parseJson(paramsJson).value!))));
}

export function rtnlDeleteLink(index: i32): string {
  return stringify(errorJson(rtnl.deleteLink(conn!, index)));
}

export function rtnlAddAddress(paramsJson: string): string {
  return stringify(errorJson(rtnl.addAddress(conn!, addressFromJson(parseJson(paramsJson).value!))));
}

export function rtnlDeleteAddress(paramsJson: string): string {
  return stringify(errorJson(rtnl.deleteAddress(conn!, addressFromJson(parseJson(paramsJson).value!))));
}

export function rtnlAddRoute(paramsJson: string): string {
  return stringify(errorJson(rtnl.addRoute(conn!, routeFromJson(parseJson(paramsJson).value!))));
}
