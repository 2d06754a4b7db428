// DEL for both device types: the IPAM release, which runs first, and how its
// error and the device type's own link step combine into one answer.

import { CniError } from "../cni/errors";
import { execIpam } from "../cni/ipam";
import { Invocation, Outcome } from "../cni/invocation";

/**
 * DEL's IPAM half, for both device types. It runs FIRST, while the interface is
 * still in the pod: the dhcp plugin sends its DHCPRELEASE through it. It runs even
 * when the netns is gone: only the IPAM plugin can release the lease.
 */
export function releaseIpam(inv: Invocation): CniError | null {
  if (inv.conf.ipamType.length == 0) return null;
  return execIpam(inv.conf.ipamType, "DEL", inv.stdin).error;
}

/** The link step runs whatever IPAM answered; the IPAM error, if any, is the one reported. */
export function delOutcome(ipamError: CniError | null, linkError: CniError | null): Outcome {
  if (ipamError != null) return Outcome.failed(ipamError);
  return linkError != null ? Outcome.failed(linkError) : Outcome.done(null);
}
