// The Result ADD prints, for both device types: prevResult (if any) plus the
// attached interface and the IPAM result, checked to fit the plugin's memory
// while the undo stack can still take everything back.

import { CniError, ERR_INVALID_CONFIG } from "../cni/errors";
import { INDENT } from "../cni/dispatch";
import { Invocation } from "../cni/invocation";
import { formatMac } from "../cni/mac";
import { addInterface, Attachment, normalizeResult, renderResult } from "../cni/result";
import { reserveMemory } from "../imports/memory_budget";
import { boundedLength } from "../json/stringify";
import { JsonValue } from "../json/value";
import { LinkMessage } from "../netlink/link";

/**
 * The Result must be printable within the plugin's memory, or ADD fails here,
 * while the undo stack can still take everything back: a trap while printing
 * would leave the link in the pod. Printing needs the text (2 bytes a unit) and
 * its UTF-8 copy for stdout (at most 3 bytes a unit).
 */
export function resultFits(result: JsonValue): CniError | null {
  const units = boundedLength(result, INDENT);
  if (reserveMemory(units * 5)) return null;
  return new CniError(
    ERR_INVALID_CONFIG,
    "the Result would be " + units.toString() + " characters, more than the plugin's memory can print",
    "prevResult or the IPAM result is far larger than any attachment needs",
  );
}

/** prevResult (if any) plus our interface and the IPAM result, rendered in the config's version. */
export function buildResult(
  inv: Invocation,
  link: LinkMessage,
  ipamResult: JsonValue | null,
  pciID: string = "",
): JsonValue {
  const prev = inv.conf.prevResult;
  const result = prev != null ? normalizeResult(prev) : JsonValue.object();
  const attachment = new Attachment();
  attachment.name = inv.env.ifname;
  attachment.mac = link.address != null ? formatMac(link.address!) : "";
  attachment.sandbox = inv.env.netns;
  attachment.mtu = <i32> link.mtu;
  attachment.pciID = pciID;
  const index = addInterface(result, attachment);
  if (ipamResult != null) mergeIpam(result, ipamResult, index);
  return renderResult(result, inv.conf.cniVersion);
}

/** ips (pointing at our interface), routes and dns from the IPAM result. */
function mergeIpam(result: JsonValue, ipam: JsonValue, interfaceIndex: i32): void {
  const ips = ipam.get("ips");
  if (ips != null && ips.isArray) {
    for (let i = 0; i < ips.items.length; i++) {
      if (ips.items[i].isObject) ips.items[i].setNumber("interface", <f64> interfaceIndex);
    }
  }
  appendArray(result, ipam, "ips");
  appendArray(result, ipam, "routes");
  const dns = ipam.get("dns");
  if (dns != null && dns.isObject && dns.keys.length > 0) result.set("dns", dns);
}

function appendArray(result: JsonValue, source: JsonValue, key: string): void {
  const items = source.get(key);
  if (items == null || !items.isArray || items.items.length == 0) return;
  let target = result.get(key);
  if (target == null || !target.isArray) {
    target = JsonValue.array();
    result.set(key, target);
  }
  for (let i = 0; i < items.items.length; i++) target.push(items.items[i]);
}
