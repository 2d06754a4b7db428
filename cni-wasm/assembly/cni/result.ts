// CNI Results: built in the 1.x shape internally and rendered in the config's
// version on output (SPEC.md "Success"; 0.3.x/0.4.0 ips carry "version", 1.0.0
// dropped it, 1.1.0 adds interfaces[].mtu and pciID). prevResult and IPAM results of any
// version we speak are normalized into the same shape first. Copies append
// member by member (JsonValue.append), so building a result is linear in its size.

import { JsonValue } from "../json/value";
import { fromLegacyResult, isLegacyResult, toLegacyResult } from "./legacy_result";
import { versionHasInterfaceMtu, versionHasInterfaces, versionHasIpVersion } from "./version";

/** The interface this plugin attached, as reported in interfaces[]. */
export class Attachment {
  name: string = "";
  mac: string = "";
  sandbox: string = "";
  /** 0 = not reported. */
  mtu: i32 = 0;
  /** PCI address of a whole NIC handed to the pod (1.1.0 interfaces[].pciID); "" = not reported. */
  pciID: string = "";
}

/**
 * Copy of `result` in the 1.x shape: ips[].version removed (0.1.0/0.2.0 ip4/ip6 converted), unknown keys
 * kept.
 */
export function normalizeResult(result: JsonValue): JsonValue {
  if (isLegacyResult(result)) return fromLegacyResult(result);
  const out = JsonValue.object();
  for (let i = 0; i < result.keys.length; i++) {
    const key = result.keys[i];
    if (key == "cniVersion") continue;
    if (key == "ips" && result.items[i].isArray) {
      out.append(key, withoutMember(result.items[i], "version"));
    } else {
      out.append(key, result.items[i]);
    }
  }
  return out;
}

/**
 * Appends our interface to `base` (a normalized prevResult, or a fresh object)
 * and returns its index in interfaces[], which ips[].interface refers to.
 */
export function addInterface(base: JsonValue, attachment: Attachment): i32 {
  let interfaces = base.get("interfaces");
  if (interfaces == null || !interfaces.isArray) {
    interfaces = JsonValue.array();
    base.set("interfaces", interfaces);
  }
  const entry = JsonValue.object()
    .setString("name", attachment.name)
    .setString("mac", attachment.mac);
  if (attachment.mtu > 0) entry.setNumber("mtu", <f64> attachment.mtu);
  entry.setString("sandbox", attachment.sandbox);
  if (attachment.pciID.length > 0) entry.setString("pciID", attachment.pciID);
  interfaces.push(entry);
  return interfaces.items.length - 1;
}

/** The result as printed for `version`: cniVersion first, per-version fields added or dropped. */
export function renderResult(result: JsonValue, version: string): JsonValue {
  if (!versionHasInterfaces(version)) return toLegacyResult(result, version);
  const out = JsonValue.object().setString("cniVersion", version);
  for (let i = 0; i < result.keys.length; i++) {
    const key = result.keys[i];
    const value = result.items[i];
    if (key == "cniVersion") continue;
    if (key == "ips" && value.isArray && versionHasIpVersion(version)) {
      out.append(key, withIpVersions(value));
    } else if (key == "interfaces" && value.isArray && !versionHasInterfaceMtu(version)) {
      out.append(key, withoutMember(withoutMember(value, "mtu"), "pciID"));
    } else {
      out.append(key, value);
    }
  }
  return out;
}

function withIpVersions(ips: JsonValue): JsonValue {
  const out = JsonValue.array();
  for (let i = 0; i < ips.items.length; i++) {
    const ip = ips.items[i];
    const address = ip.get("address");
    if (!ip.isObject || address == null || !address.isString) {
      out.push(ip);
      continue;
    }
    // 0.3.x/0.4.0 readers require "version" and expect it first.
    const copy = JsonValue.object().setString("version", address.stringValue.includes(":") ? "6" : "4");
    for (let k = 0; k < ip.keys.length; k++) {
      if (ip.keys[k] != "version") copy.append(ip.keys[k], ip.items[k]);
    }
    out.push(copy);
  }
  return out;
}

/** Copy of an array of objects with `member` removed from each. */
function withoutMember(list: JsonValue, member: string): JsonValue {
  const out = JsonValue.array();
  for (let i = 0; i < list.items.length; i++) {
    const item = list.items[i];
    if (!item.isObject || !item.has(member)) {
      out.push(item);
      continue;
    }
    const copy = JsonValue.object();
    for (let k = 0; k < item.keys.length; k++) {
      if (item.keys[k] != member) copy.append(item.keys[k], item.items[k]);
    }
    out.push(copy);
  }
  return out;
}

/** Index of the interfaces[] entry with this name and sandbox, or -1. */
export function findInterface(result: JsonValue, name: string, sandbox: string): i32 {
  const interfaces = result.get("interfaces");
  if (interfaces == null || !interfaces.isArray) return -1;
  for (let i = 0; i < interfaces.items.length; i++) {
    const entry = interfaces.items[i];
    const entryName = entry.get("name");
    const entrySandbox = entry.get("sandbox");
    if (entryName == null || !entryName.isString || entryName.stringValue != name) continue;
    if (entrySandbox != null && entrySandbox.isString && entrySandbox.stringValue == sandbox) return i;
  }
  return -1;
}
