/**
 * Host-side names of the macvtaps the daemon creates at Allocate and the CNI later adopts.
 *
 * Shared contract with kubevirt/macvtap-cni (≥ April 2026) and our CNI: `mvt` + 12 lowercase hex digits
 * of xxh64(deviceID, seed 0) truncated to 48 bits. Always 15 characters, so it fits IFNAMSIZ whatever the
 * device ID, and no udev rule matching `eth*` renames it. The plugin's side has the same names
 * (cni-wasm/assembly/macvtap/temp_link_name.ts); both tests read testdata/temp_link_names.json.
 *
 * @module
 */
import { xxh64 } from "./xxh64.ts";

/** Prefix of every temp link name. */
export const TEMP_LINK_PREFIX = "mvt";

/** Exactly the names {@link tempLinkName} can produce. */
export const TEMP_LINK_PATTERN: RegExp = /^mvt[0-9a-f]{12}$/;

const LOW_48_BITS = (1n << 48n) - 1n;

/**
 * The temp link name for a device ID.
 *
 * @param deviceId e.g. `eth0Mvp0`
 * @returns e.g. `mvtf2644cc3624e`
 */
export function tempLinkName(deviceId: string): string {
  const hex = (xxh64(deviceId) & LOW_48_BITS).toString(16).padStart(12, "0");
  return `${TEMP_LINK_PREFIX}${hex}`;
}

/** True when `name` has the shape of a temp link name (it may still belong to no known device). */
export function isTempLinkName(name: string): boolean {
  return TEMP_LINK_PATTERN.test(name);
}
