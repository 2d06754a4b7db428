/**
 * Devices pods hold, as the kubelet's pod-resources List reports them: what the stale link collector must
 * leave alone and what tells whether the List is stable (pod_list_trust.ts).
 *
 * @module
 */
import { RESOURCE_NAMESPACE } from "./resource_names.ts";

/** Devices of one resource held by a pod, as pod-resources reports them. */
export interface HeldDevices {
  resourceName: string;
  deviceIds: string[];
}

/** Whether `held` is of this daemon's resource domain (`macvtap.network.kubevirt.io/…`). */
export function isOurResource(held: HeldDevices): boolean {
  return held.resourceName.startsWith(`${RESOURCE_NAMESPACE}/`);
}

/** `<resource>/<device ID>` of every device of our resource domain that a pod holds. */
export function heldDeviceKeys(held: HeldDevices[]): Set<string> {
  return new Set(
    held.filter(isOurResource).flatMap((h) => h.deviceIds.map((id) => `${h.resourceName}/${id}`)),
  );
}
