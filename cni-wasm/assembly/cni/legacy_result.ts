// Results of spec 0.1.0 and 0.2.0: one "ip4" and one "ip6" object ({ip, gateway, routes}) and "dns", no
// interfaces. The plugin keeps results in the 1.x shape (result.ts); these two functions are the
// conversions libcni applies between the shapes (types/040 convertFrom02x and convertTo02x), so an IPAM
// plugin answering a 0.2.0 config (Debian host-local does) is understood, and a 0.2.0 runtime gets the
// shape it parses.

import { JsonValue } from "../json/value";

/** Whether `result` is in the 0.1.0/0.2.0 shape: ip4 or ip6, no ips list. */
export function isLegacyResult(result: JsonValue): bool {
  if (!result.isObject || result.has("ips")) return false;
  return isObjectMember(result, "ip4") || isObjectMember(result, "ip6");
}

/**
 * The 1.x shape of a 0.1.0/0.2.0 result: ip4 then ip6 become ips[] entries ({address, gateway}), their
 * routes (dst, gw) routes[], dns stays; other members are kept as they are.
 */
export function fromLegacyResult(legacy: JsonValue): JsonValue {
  const out = JsonValue.object();
  const ips = JsonValue.array();
  const routes = JsonValue.array();
  appendLegacyIp(legacy.get("ip4"), ips, routes);
  appendLegacyIp(legacy.get("ip6"), ips, routes);
  for (let i = 0; i < legacy.keys.length; i++) {
    const key = legacy.keys[i];
    if (key != "ip4" && key != "ip6" && key != "cniVersion") out.set(key, legacy.items[i]);
  }
  out.set("ips", ips);
  if (routes.items.length > 0) out.set("routes", routes);
  return out;
}

function appendLegacyIp(config: JsonValue | null, ips: JsonValue, routes: JsonValue): void {
  if (config == null || !config.isObject) return;
  const entry = JsonValue.object();
  const ip = config.get("ip");
  if (ip != null) entry.set("address", ip);
  const gateway = config.get("gateway");
  if (gateway != null && !gateway.isNull) entry.set("gateway", gateway);
  ips.push(entry);
  const list = config.get("routes");
  if (list == null || !list.isArray) return;
  for (let i = 0; i < list.items.length; i++) routes.push(list.items[i]);
}

/**
 * `result` (1.x shape) as a `version` 0.1.0/0.2.0 runtime reads it: the first IPv4 and the first IPv6
 * ips[] entry become ip4 and ip6 ({ip, gateway}); each route goes to the object of its dst's family, with
 * only dst and gw (a route of a family without an address is dropped, as libcni drops it); dns always.
 */
export function toLegacyResult(result: JsonValue, version: string): JsonValue {
  const out = JsonValue.object().setString("cniVersion", version);
  const ip4 = firstIpConfig(result, false);
  const ip6 = firstIpConfig(result, true);
  const routes = result.get("routes");
  if (routes != null && routes.isArray) {
    for (let i = 0; i < routes.items.length; i++) addLegacyRoute(routes.items[i], ip4, ip6);
  }
  if (ip4 != null) out.set("ip4", ip4);
  if (ip6 != null) out.set("ip6", ip6);
  const dns = result.get("dns");
  out.set("dns", dns != null && dns.isObject ? dns : JsonValue.object());
  return out;
}

/** {ip, gateway} of the first ips[] entry of the family, or null. */
function firstIpConfig(result: JsonValue, v6: bool): JsonValue | null {
  const ips = result.get("ips");
  if (ips == null || !ips.isArray) return null;
  for (let i = 0; i < ips.items.length; i++) {
    const entry = ips.items[i];
    const address = entry.isObject ? entry.get("address") : null;
    if (address == null || !address.isString || isV6Text(address.stringValue) != v6) continue;
    const config = JsonValue.object().set("ip", address);
    const gateway = entry.get("gateway");
    if (gateway != null && gateway.isString) config.set("gateway", gateway);
    return config;
  }
  return null;
}

function addLegacyRoute(route: JsonValue, ip4: JsonValue | null, ip6: JsonValue | null): void {
  const dst = route.isObject ? route.get("dst") : null;
  if (dst == null || !dst.isString) return;
  const target = isV6Text(dst.stringValue) ? ip6 : ip4;
  if (target == null) return;
  let list = target.get("routes");
  if (list == null) {
    list = JsonValue.array();
    target.set("routes", list);
  }
  const copy = JsonValue.object().set("dst", dst);
  const gw = route.get("gw");
  if (gw != null && gw.isString) copy.set("gw", gw);
  list.push(copy);
}

/** The family as result.ts decides it for ips[].version: IPv6 text holds a colon. */
function isV6Text(text: string): bool {
  return text.includes(":");
}

function isObjectMember(doc: JsonValue, key: string): bool {
  const value = doc.get(key);
  return value != null && value.isObject;
}
