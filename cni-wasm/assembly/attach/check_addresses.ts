// CHECK's address part: every ips[] entry of prevResult that belongs to our
// interface must still be on the link (later plugins may add more; that is fine).

import { CniError, ERR_CHECK_MISMATCH } from "../cni/errors";
import { formatIp, parseCidr } from "../cni/ip";
import { JsonValue } from "../json/value";
import { AF_UNSPEC } from "../netlink/constants";
import { NetlinkConn } from "../netlink/conn";
import { listAddresses } from "../netlink/rtnl";
import { netlinkFailure } from "./failures";

export function checkAddresses(
  pod: NetlinkConn,
  ifindex: i32,
  result: JsonValue,
  interfaceIndex: i32,
): CniError | null {
  const ips = result.get("ips");
  if (ips == null || !ips.isArray || ips.items.length == 0) return null;
  const listed = listAddresses(pod, AF_UNSPEC, <u32> ifindex);
  if (listed.error != null) return netlinkFailure("listing addresses", listed.error!);
  const present = new Array<string>();
  const addresses = listed.value!;
  for (let i = 0; i < addresses.length; i++) {
    const bytes = addresses[i].local != null ? addresses[i].local : addresses[i].address;
    if (bytes != null) present.push(formatIp(bytes) + "/" + addresses[i].prefixLen.toString());
  }
  for (let i = 0; i < ips.items.length; i++) {
    const entry = ips.items[i];
    const owner = entry.get("interface");
    if (owner == null || !owner.isInteger || <i32> owner.numberValue != interfaceIndex) continue;
    const address = entry.get("address");
    if (address == null || !address.isString) continue;
    const parsed = parseCidr(address.stringValue);
    if (parsed.error != null) return new CniError(ERR_CHECK_MISMATCH, "prevResult: " + parsed.error!);
    const wanted = formatIp(parsed.address!.bytes) + "/" + parsed.address!.prefix.toString();
    if (!present.includes(wanted)) {
      return new CniError(
        ERR_CHECK_MISMATCH,
        "address " + address.stringValue + " is missing from the interface",
      );
    }
  }
  return null;
}
