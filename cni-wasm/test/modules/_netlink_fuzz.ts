// Test-module helper (not an entry): the codec's decoders on arbitrary bytes, for
// the netlink test module (netlink.ts, in V8) and the native fuzzer
// (fuzz_command.ts, under ASan and UBSan), which must answer alike.

import { AddressMessage } from "../../assembly/netlink/address";
import { AttributeDecoder } from "../../assembly/netlink/attribute";
import { decodeDonePayload, decodeErrorMessage } from "../../assembly/netlink/error";
import { LinkMessage } from "../../assembly/netlink/link";
import { Decoded, MessageDecoder } from "../../assembly/netlink/message";
import { RouteMessage } from "../../assembly/netlink/route";
import { describeDatagram } from "./_describe";

/** The decoders fuzzDecode can run, comma-separated. */
export function decoderNames(): string {
  return "messages,error,done,link,address,route,attributes,describe";
}

/** Runs decoder `name` on arbitrary bytes; returns "ok" or "err". A trap is the only failure. */
export function fuzzDecode(name: string, bytes: Uint8Array): string {
  if (name == "messages") {
    const d = new MessageDecoder(bytes);
    while (d.next()) d.message();
    return d.error == null ? "ok" : "err";
  }
  if (name == "error" || name == "done") {
    const d = new MessageDecoder(bytes);
    if (!d.next()) return "err";
    const e = name == "error"
      ? decodeErrorMessage("fuzz", d.header, d.payload())
      : decodeDonePayload("fuzz", d.header, d.payload());
    return e.toString().length > 0 ? "ok" : "err";
  }
  if (name == "link") return okOrErr<LinkMessage>(LinkMessage.decode(bytes));
  if (name == "address") return okOrErr<AddressMessage>(AddressMessage.decode(bytes));
  if (name == "route") return okOrErr<RouteMessage>(RouteMessage.decode(bytes));
  if (name == "attributes") return exhaustAttributes(new AttributeDecoder(bytes), 0) ? "ok" : "err";
  return describeDatagram(bytes).length > 0 ? "ok" : "err";
}

function okOrErr<T>(d: Decoded<T>): string {
  return d.error == null ? "ok" : "err";
}

/** Every getter on every attribute, and nested() on each, four levels deep. */
function exhaustAttributes(d: AttributeDecoder, depth: i32): bool {
  while (d.next()) {
    d.string();
    d.bytes();
    if (depth < 4) exhaustAttributes(d.nested(), depth + 1);
    d.u8(); // Records an error unless the length is 1: the walk then stops, as designed.
  }
  return d.error == null;
}
