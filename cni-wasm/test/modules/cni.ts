// Test module (asconfig.test.json): exposes the CNI parsing and result
// layers to Deno tests. Every function returns a JSON string.

import { JsonValue } from "../../assembly/json/value";
import { parseJson } from "../../assembly/json/parse";
import { stringify } from "../../assembly/json/stringify";
import { CniError } from "../../assembly/cni/errors";
import { CniEnv, findRule, validateEnv } from "../../assembly/cni/env";
import { parseArgs } from "../../assembly/cni/args";
import { parseNetConf } from "../../assembly/cni/netconf";
import { formatMac, parseMac } from "../../assembly/cni/mac";
import { addInterface, Attachment, normalizeResult, renderResult } from "../../assembly/cni/result";
import { checkVersion } from "../../assembly/cni/version";
import {
  isTempLinkName as isTempLink,
  tempLinkName as tempLink,
} from "../../assembly/macvtap/temp_link_name";

function errorJson(err: CniError): string {
  return stringify(
    JsonValue.object().setNumber("code", err.code).setString("msg", err.msg).setString(
      "details",
      err.details,
    ),
  );
}

export function tempLinkName(deviceID: string): string {
  return tempLink(deviceID);
}

export function isTempLinkName(name: string): bool {
  return isTempLink(name);
}

export function config(text: string): string {
  const parsed = parseJson(text);
  if (parsed.error != null) return stringify(JsonValue.object().setString("decodeError", parsed.error!));
  const result = parseNetConf(parsed.value!);
  if (result.error != null) return errorJson(result.error!);
  const c = result.conf;
  const versionError = checkVersion(c.cniVersion);
  const out = JsonValue.object()
    .setString("cniVersion", c.cniVersion).setString("name", c.name).setString("deviceID", c.deviceID)
    .setString("deviceType", c.deviceType)
    .setString("mac", c.mac).setString("runtimeMac", c.runtimeMac).setNumber("mtu", c.mtu)
    .setBool("promiscMode", c.promiscMode).setNumber("owner", <f64> c.owner).setNumber("group", <f64> c.group)
    .setString("ipamType", c.ipamType).setBool("hasPrevResult", c.prevResult != null);
  if (versionError != null) out.setNumber("versionError", versionError.code);
  return stringify(out);
}

export function args(text: string): string {
  const result = parseArgs(text);
  if (result.error != null) return errorJson(result.error!);
  return stringify(
    JsonValue.object().setString("mac", result.args.mac).setBool("ignoreUnknown", result.args.ignoreUnknown),
  );
}

export function env(
  command: string,
  containerId: string,
  netns: string,
  ifname: string,
  path: string,
): string {
  const rule = findRule(command);
  if (rule == null) return "unknown";
  const e = new CniEnv();
  e.command = command;
  e.containerId = containerId;
  e.netns = netns;
  e.ifname = ifname;
  e.path = path;
  const err = validateEnv(e, rule);
  return err == null ? "ok" : errorJson(err);
}

export function mac(text: string): string {
  const parsed = parseMac(text);
  return parsed.error != null ? "err:" + parsed.error! : formatMac(parsed.bytes!);
}

/** Normalizes `prev` (may be "null"), appends an interface and renders for `version`. */
export function result(
  prev: string,
  version: string,
  name: string,
  macText: string,
  sandbox: string,
  mtu: i32,
): string {
  const parsed = parseJson(prev);
  const base = parsed.value != null && parsed.value!.isObject
    ? normalizeResult(parsed.value!)
    : JsonValue.object();
  const a = new Attachment();
  a.name = name;
  a.mac = macText;
  a.sandbox = sandbox;
  a.mtu = mtu;
  addInterface(base, a);
  return stringify(renderResult(base, version));
}

/** A fresh result with one interface carrying `pciID`, rendered for `version`. */
export function resultWithPciId(version: string, pciID: string): string {
  const base = JsonValue.object();
  const a = new Attachment();
  a.name = "net1";
  a.mac = "02:00:00:00:00:01";
  a.sandbox = "/run/netns/p";
  a.pciID = pciID;
  addInterface(base, a);
  return stringify(renderResult(base, version));
}

import { formatIp, parseCidr } from "../../assembly/cni/ip";

/** "<address as formatIp>/<prefix>" or "err:<message>". */
export function cidr(text: string): string {
  const parsed = parseCidr(text);
  if (parsed.error != null) return "err:" + parsed.error!;
  return formatIp(parsed.address!.bytes) + "/" + parsed.address!.prefix.toString();
}

/** `doc` (a result of any version we speak) normalized to the 1.x shape, then rendered for `version`. */
export function convertResult(doc: string, version: string): string {
  const parsed = parseJson(doc);
  if (parsed.value == null) return "err:" + parsed.error!;
  return stringify(renderResult(normalizeResult(parsed.value!), version));
}

/** `doc` normalized to the 1.x shape (what ADD and CHECK work on). */
export function normalized(doc: string): string {
  const parsed = parseJson(doc);
  if (parsed.value == null) return "err:" + parsed.error!;
  return stringify(normalizeResult(parsed.value!));
}

import { networkOf } from "../../assembly/cni/ip";

/** The network of a CIDR as "<address as formatIp>/<prefix>" (host bits cleared), or "err:<message>". */
export function network(text: string): string {
  const parsed = parseCidr(text);
  if (parsed.error != null) return "err:" + parsed.error!;
  const net = networkOf(parsed.address!);
  return formatIp(net.bytes) + "/" + net.prefix.toString();
}
