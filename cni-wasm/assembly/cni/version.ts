// Which CNI spec versions this plugin speaks, and the rules that differ between them.

import { CniError, ERR_INCOMPATIBLE_VERSION } from "./errors";

/**
 * Every version VERSION reports, oldest first. 0.1.0/0.2.0 results have no interfaces list: ADD answers
 * them in their own shape (legacy_result.ts) and needs IPAM for it, since such a result must hold an IP.
 */
export const SUPPORTED_VERSIONS: string[] = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

/** The newest version, used when a request carries none we can echo. */
export const LATEST_VERSION = "1.1.0";

export function isSupportedVersion(version: string): bool {
  return SUPPORTED_VERSIONS.includes(version);
}

/** Refuses a config version we do not speak, explaining what would work. */
export function checkVersion(version: string): CniError | null {
  if (isSupportedVersion(version)) return null;
  return new CniError(
    ERR_INCOMPATIBLE_VERSION,
    'incompatible CNI versions: cniVersion "' + version + '" is not supported',
    "supported versions: " + SUPPORTED_VERSIONS.join(", "),
  );
}

/**
 * ADD at 0.1.0/0.2.0 needs an IPAM plugin: those results describe only ip4/ip6 (no interfaces) and must
 * hold at least one address (libcni's conversion to them fails on a result without one), so an attachment
 * without IPAM has no answer in that version. Refused before anything is touched.
 */
export function checkLegacyAdd(version: string, hasIpam: bool): CniError | null {
  if (versionHasInterfaces(version) || hasIpam) return null;
  return new CniError(
    ERR_INCOMPATIBLE_VERSION,
    "incompatible CNI versions: a cniVersion " + version + " result must carry an IP address, and this " +
      'network has no "ipam"; use cniVersion 0.3.0 or later, or configure IPAM',
    "0.1.0/0.2.0 results describe only ip4/ip6; supported versions: " + SUPPORTED_VERSIONS.join(", "),
  );
}

/** Compares dotted versions numerically: <0, 0, >0. Unparsable parts count as 0. */
export function compareVersions(a: string, b: string): i32 {
  const pa = a.split(".");
  const pb = b.split(".");
  for (let i = 0; i < 3; i++) {
    const x = i < pa.length ? parseVersionPart(pa[i]) : 0;
    const y = i < pb.length ? parseVersionPart(pb[i]) : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

function parseVersionPart(part: string): i32 {
  let n: i32 = 0;
  for (let i = 0; i < part.length && i < 6; i++) {
    const c = part.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return n;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

/** CHECK exists from 0.4.0 on. */
export function versionHasCheck(version: string): bool {
  return compareVersions(version, "0.4.0") >= 0;
}

/** GC and STATUS exist from 1.1.0 on. */
export function versionHasGcAndStatus(version: string): bool {
  return compareVersions(version, "1.1.0") >= 0;
}

/** 0.3.x and 0.4.0 results carry ips[].version; 1.0.0 dropped it. */
export function versionHasIpVersion(version: string): bool {
  return compareVersions(version, "1.0.0") < 0;
}

/** 0.3.0 introduced the interfaces/ips/routes result; 0.1.0 and 0.2.0 have ip4/ip6 objects. */
export function versionHasInterfaces(version: string): bool {
  return compareVersions(version, "0.3.0") >= 0;
}

/** 1.1.0 results may carry interfaces[].mtu (and pciID). */
export function versionHasInterfaceMtu(version: string): bool {
  return compareVersions(version, "1.1.0") >= 0;
}
