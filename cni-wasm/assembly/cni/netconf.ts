// The network configuration on stdin (SPEC.md "Network configuration" plus the
// keys kubevirt/macvtap-cni and its kube-ovn fork define), parsed and validated
// before anything on the node is touched.

import { JsonValue } from "../json/value";
import { matchesIdPattern } from "./env";
import { CniError, ERR_INVALID_CONFIG } from "./errors";
import { FieldReader } from "./fields";
import { parseMac } from "./mac";

/** KubeVirt's qemu runs as 107:107; /dev/tapN must be usable by it. */
export const DEFAULT_TAP_OWNER: i64 = 107;
export const DEFAULT_TAP_GROUP: i64 = 107;

/** IPv4 needs 68 (RFC 791); ETH_MAX_MTU is 65535. */
export const MIN_MTU: i64 = 68;
export const MAX_MTU: i64 = 65535;

/** -1 leaves the owner or group of /dev/tapN unchanged (chown semantics). */
export const KEEP_ID: i64 = -1;
/** Ids cross to the host as i32, so they stop at 2^31 - 1 (real uids/gids stay far below). */
const MAX_ID: i64 = 2147483647;

/** `deviceType` values: a macvtap the device plugin created (the default), or a whole NIC. */
export const DEVICE_TYPE_MACVTAP = "macvtap";
export const DEVICE_TYPE_HOSTDEV = "hostdev";

export class NetConf {
  cniVersion: string = "";
  name: string = "";
  type: string = "";
  /** What deviceID names: DEVICE_TYPE_MACVTAP or DEVICE_TYPE_HOSTDEV. */
  deviceType: string = DEVICE_TYPE_MACVTAP;
  /** From runtimeConfig.deviceID, else deviceID, else pciBusID (Multus sends the last two). */
  deviceID: string = "";
  /** The "mac" key of the config (lowest MAC precedence). */
  mac: string = "";
  /** runtimeConfig.mac, present only when the config declares capabilities.mac. */
  runtimeMac: string = "";
  /** 0 (absent, null or 0 in the config) = keep the MTU the macvtap inherited from its lower link. */
  mtu: i32 = 0;
  promiscMode: bool = false;
  owner: i64 = DEFAULT_TAP_OWNER;
  group: i64 = DEFAULT_TAP_GROUP;
  /** The ipam object, or null; its "type" names the IPAM plugin. */
  ipam: JsonValue | null = null;
  ipamType: string = "";
  prevResult: JsonValue | null = null;
  /** GC: cni.dev/valid-attachments [{containerID, ifname}]. */
  validAttachments: JsonValue | null = null;
  /** The whole document, handed to the IPAM plugin unchanged. */
  raw: JsonValue = JsonValue.object();
}

export class NetConfResult {
  constructor(
    public conf: NetConf,
    public error: CniError | null,
  ) {}
}

/** Parses and validates; the first problem wins and names the field. */
export function parseNetConf(doc: JsonValue): NetConfResult {
  const conf = new NetConf();
  conf.raw = doc;
  if (!doc.isObject) {
    return new NetConfResult(
      conf,
      new CniError(ERR_INVALID_CONFIG, "network configuration must be a JSON object"),
    );
  }
  const top = new FieldReader(doc);
  conf.cniVersion = top.string("cniVersion");
  conf.name = top.string("name");
  conf.type = top.string("type");
  conf.mac = top.string("mac");
  conf.deviceType = top.string("deviceType", DEVICE_TYPE_MACVTAP);
  conf.promiscMode = top.bool("promiscMode");
  conf.owner = top.integer("owner", DEFAULT_TAP_OWNER, KEEP_ID, MAX_ID);
  conf.group = top.integer("group", DEFAULT_TAP_GROUP, KEEP_ID, MAX_ID);
  conf.mtu = <i32> readMtu(top);
  conf.prevResult = top.object("prevResult");
  conf.validAttachments = top.array("cni.dev/valid-attachments");
  readDeviceAndRuntime(conf, top);
  readIpam(conf, top);
  if (top.error != null) return new NetConfResult(conf, top.error);
  return new NetConfResult(conf, validate(conf));
}

function readMtu(top: FieldReader): i64 {
  // 0 means "not set", as in kubevirt/macvtap-cni and the reference plugins (Go's zero value): NADs
  // written for them say "mtu": 0 and must keep working, on ADD and on DEL.
  if (!top.has("mtu")) return 0;
  const value = top.obj.get("mtu")!;
  if (value.isInteger && value.numberValue == 0) return 0;
  return top.integer("mtu", 0, MIN_MTU, MAX_MTU);
}

function readDeviceAndRuntime(conf: NetConf, top: FieldReader): void {
  const deviceID = top.string("deviceID");
  const pciBusID = top.string("pciBusID");
  const runtime = top.object("runtimeConfig");
  let runtimeDevice = "";
  if (runtime != null) {
    const rc = new FieldReader(runtime, "runtimeConfig.");
    runtimeDevice = rc.string("deviceID");
    conf.runtimeMac = rc.string("mac");
    if (rc.error != null && top.error == null) top.error = rc.error;
  }
  conf.deviceID = runtimeDevice.length > 0 ? runtimeDevice : deviceID.length > 0 ? deviceID : pciBusID;
}

function readIpam(conf: NetConf, top: FieldReader): void {
  const ipam = top.object("ipam");
  if (ipam == null) return;
  const reader = new FieldReader(ipam, "ipam.");
  conf.ipam = ipam;
  conf.ipamType = reader.string("type");
  if (reader.error != null && top.error == null) top.error = reader.error;
}

function validate(conf: NetConf): CniError | null {
  if (conf.cniVersion.length == 0) {
    return new CniError(ERR_INVALID_CONFIG, '"cniVersion" is required');
  }
  if (conf.name.length == 0) return new CniError(ERR_INVALID_CONFIG, "missing network name");
  if (!matchesIdPattern(conf.name)) {
    return new CniError(
      ERR_INVALID_CONFIG,
      'invalid network name "' + conf.name + '": must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$',
    );
  }
  if (conf.deviceType != DEVICE_TYPE_MACVTAP && conf.deviceType != DEVICE_TYPE_HOSTDEV) {
    return new CniError(
      ERR_INVALID_CONFIG,
      '"deviceType" must be "macvtap" or "hostdev", not "' + conf.deviceType + '"',
    );
  }
  if (conf.ipam != null && conf.ipamType.length == 0) {
    return new CniError(ERR_INVALID_CONFIG, '"ipam.type" is required when "ipam" is set');
  }
  const macError = checkMac("mac", conf.mac);
  if (macError != null) return macError;
  return checkMac("runtimeConfig.mac", conf.runtimeMac);
}

function checkMac(field: string, value: string): CniError | null {
  if (value.length == 0) return null;
  const parsed = parseMac(value);
  if (parsed.error == null) return null;
  return new CniError(ERR_INVALID_CONFIG, '"' + field + '": ' + parsed.error!);
}
