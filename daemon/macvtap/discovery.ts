/**
 * Auto-discovery (`[]` config): one resource per suitable lower link, following links as they come and go.
 *
 * Suitable = physical or bond, as upstream (vishvananda/netlink's `*Device` or `*Bond`), decided from netlink
 * alone because the sandboxed daemon cannot read /sys:
 * - not loopback;
 * - kind `bond`, or no kind at all *and* a parent device (IFLA_PARENT_DEV_NAME) — the parent check is
 *   stricter than upstream and keeps out kind-less virtual devices such as teql0, which the auto-discovery
 *   of kubevirt/macvtap-cni offered (https://github.com/kubevirt/macvtap-cni/issues/115).
 *
 * @module
 */
import { DEFAULT_CAPACITY, DEFAULT_MODE, type ResourceConfig } from "../config.ts";
import type { Link } from "../links/node_links.ts";
import { resourceSuffixProblem } from "../resources/resource_names.ts";

/** Whether a link may carry discovered macvtap resources. */
export function isSuitableLower(link: Link): boolean {
  if (link.loopback) return false;
  if (link.kind === "bond") return true;
  return link.kind === undefined && link.parentDevName !== undefined;
}

/** Resources for the suitable links, plus the links skipped because their names cannot be resource names. */
export function discoverResources(links: Link[]): { resources: ResourceConfig[]; skipped: string[] } {
  const resources: ResourceConfig[] = [];
  const skipped: string[] = [];
  for (const link of links.filter(isSuitableLower)) {
    if (resourceSuffixProblem(link.name)) {
      skipped.push(link.name);
      continue;
    }
    resources.push({
      name: link.name,
      lowerDevice: link.name,
      mode: DEFAULT_MODE,
      capacity: DEFAULT_CAPACITY,
    });
  }
  resources.sort((a, b) => a.name < b.name ? -1 : 1);
  return { resources, skipped };
}
