/**
 * GetPreferredAllocation policy: the devices kubelet must include first, then the lowest indexes.
 *
 * Lowest numeric index (Mvp2 before Mvp10, unlike the string sort of the coldzerofear fork) keeps the device IDs a node
 * hands out small and predictable; macvtaps of one resource are interchangeable, so there is no topology
 * to optimise beyond that.
 *
 * @module
 */
import type {
  ContainerPreferredAllocationRequest,
  ContainerPreferredAllocationResponse,
} from "../kubelet/api_types.ts";
import { DEVICE_INDEX_SEPARATOR } from "./resource_names.ts";

/** Numeric index of any `…Mvp<n>` ID, or Infinity for IDs of another shape (sorted last, by name). */
function indexOf(id: string): number {
  const at = id.lastIndexOf(DEVICE_INDEX_SEPARATOR);
  const digits = at < 0 ? "" : id.slice(at + DEVICE_INDEX_SEPARATOR.length);
  return /^[0-9]+$/.test(digits) ? Number(digits) : Infinity;
}

function byIndex(a: string, b: string): number {
  const difference = indexOf(a) - indexOf(b);
  if (difference !== 0 && !Number.isNaN(difference)) return difference;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Chooses devices for one container.
 *
 * @param request kubelet's available and must-include IDs and the number wanted
 * @returns must-include IDs (in kubelet's order), then available ones by lowest index, `allocation_size` in all
 */
export function preferDevices(
  request: ContainerPreferredAllocationRequest,
): ContainerPreferredAllocationResponse {
  const chosen = [...new Set(request.must_include_deviceIDs)];
  const taken = new Set(chosen);
  const rest = request.available_deviceIDs.filter((id) => !taken.has(id)).sort(byIndex);
  for (const id of rest) {
    if (chosen.length >= request.allocation_size) break;
    chosen.push(id);
    taken.add(id);
  }
  return { deviceIDs: chosen.slice(0, Math.max(request.allocation_size, 0)) };
}
