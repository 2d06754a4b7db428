// What ADD checks before it changes anything, for both device types: the
// requested MAC parses, and CNI_IFNAME is free in the pod.

import { CniError, ERR_IFNAME_IN_USE, ERR_INVALID_ENV } from "../cni/errors";
import { Invocation } from "../cni/invocation";
import { parseMac } from "../cni/mac";
import { NetlinkConn } from "../netlink/conn";
import { getLinkByName } from "../netlink/rtnl";
import { netlinkFailure } from "./failures";

export class MacRequest {
  constructor(
    public mac: Uint8Array | null,
    public error: CniError | null,
  ) {}
}

/**
 * MAC precedence, lowest to highest: config "mac" < CNI_ARGS MAC < runtimeConfig.mac (< the IPAM result's,
 * pod_side.ts).
 */
export function requestedMac(inv: Invocation): MacRequest {
  let text = inv.conf.mac;
  let source = "mac";
  if (inv.args.mac.length > 0) {
    text = inv.args.mac;
    source = "CNI_ARGS MAC";
  }
  if (inv.conf.runtimeMac.length > 0) {
    text = inv.conf.runtimeMac;
    source = "runtimeConfig.mac";
  }
  if (text.length == 0) return new MacRequest(null, null);
  const parsed = parseMac(text);
  if (parsed.error == null) return new MacRequest(parsed.bytes, null);
  // Config values were validated with the config; only CNI_ARGS can still be wrong here.
  return new MacRequest(null, new CniError(ERR_INVALID_ENV, source + ": " + parsed.error!));
}

/**
 * SPEC.md ADD: "If an interface of the requested name already exists in the container, the plugin MUST return
 * an error".
 */
export function ifnameInUse(pod: NetlinkConn, ifname: string, netns: string): CniError | null {
  const existing = getLinkByName(pod, ifname);
  if (existing.error != null) {
    return netlinkFailure('looking up "' + ifname + '" in the pod', existing.error!);
  }
  if (existing.value == null) return null;
  return new CniError(
    ERR_IFNAME_IN_USE,
    'interface "' + ifname + '" already exists in netns "' + netns + '"',
  );
}
