/**
 * Names the kubelet sees: extended resource names, device IDs and plugin socket names.
 *
 * Drop-in with kubevirt/macvtap-cni: resource `macvtap.network.kubevirt.io/<name>`, devices
 * `<name>Mvp0 … <name>Mvp<capacity-1>`, socket `macvtap.network.kubevirt.io_<name>` (no `.sock`).
 *
 * @module
 */

/** Domain of every resource this daemon advertises. */
export const RESOURCE_NAMESPACE = "macvtap.network.kubevirt.io";

/** Separator between a resource name and the index of one of its devices. */
export const DEVICE_INDEX_SEPARATOR = "Mvp";

/** Longest name part of an extended resource and longest device ID the kubelet accepts. */
export const MAX_KUBELET_NAME_LENGTH = 63;

/** The kubelet's qualified-name rule for the part after the `/` of a resource name. */
const RESOURCE_SUFFIX_PATTERN = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** `macvtap.network.kubevirt.io/<name>`. */
export function resourceName(name: string): string {
  return `${RESOURCE_NAMESPACE}/${name}`;
}

/** File name of the plugin socket in the device-plugins directory, as the kubelet is told in Register. */
export function socketFileName(name: string): string {
  return `${RESOURCE_NAMESPACE}_${name}`;
}

/** `<name>Mvp<index>`. */
export function deviceId(name: string, index: number): string {
  return `${name}${DEVICE_INDEX_SEPARATOR}${index}`;
}

/**
 * The index of a device ID of resource `name`, or null when the ID does not belong to it.
 *
 * Strict on purpose (no sign, no leading zeros) so that every accepted ID maps to exactly one index
 * and back: `parseDeviceIndex("eth0", "eth0Mvp07")` is null.
 */
export function parseDeviceIndex(name: string, id: string): number | null {
  const prefix = `${name}${DEVICE_INDEX_SEPARATOR}`;
  if (!id.startsWith(prefix)) return null;
  const digits = id.slice(prefix.length);
  if (!/^(0|[1-9][0-9]{0,8})$/.test(digits)) return null;
  return Number(digits);
}

/**
 * Why `name` cannot be a resource name suffix, or null when it can.
 *
 * Checks the kubelet's rule (at most 63 characters of `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`).
 */
export function resourceSuffixProblem(name: string): string | null {
  if (name.length === 0) return "is empty";
  if (name.length > MAX_KUBELET_NAME_LENGTH) {
    return `is ${name.length} characters long, at most ${MAX_KUBELET_NAME_LENGTH} are allowed`;
  }
  if (!RESOURCE_SUFFIX_PATTERN.test(name)) {
    return "must be letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  }
  return null;
}
