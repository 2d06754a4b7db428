// IPAM delegation (SPEC.md "Delegated plugins"): the plugin named by ipam.type
// is looked up in CNI_PATH by the host and run with the same environment (only
// CNI_COMMAND overridden) and the complete config on stdin. Its errors are
// passed through with their own code (kube-ovn's RPC failures are 11, "try
// again later"), so the runtime sees what the IPAM plugin meant.

import { host_ipam_exec, host_ipam_output } from "../imports/bindings";
import { reserveMemory } from "../imports/memory_budget";
import { JsonValue } from "../json/value";
import { parseJson } from "../json/parse";
import { stringify } from "../json/stringify";
import { CniError, ERR_INCOMPATIBLE_VERSION, ERR_IPAM } from "./errors";
import { normalizeResult } from "./result";

/** errno values the host returns from ipam_exec. */
const ENOENT: i32 = 2;
const EINVAL: i32 = 22;
const EMSGSIZE: i32 = 90;
const ETIMEDOUT: i32 = 110;

/**
 * Most output of an IPAM plugin the module reads (the host stops at 4 MiB). Real
 * results are a few KiB; the bound keeps a run with a 4 MiB config and a large
 * result inside the CNI's memory cap, so no answer can make it trap.
 */
export const MAX_IPAM_OUTPUT_BYTES: i32 = 1 << 20;

/**
 * Most JSON values read from one IPAM output: what a config may hold besides
 * (json/parse.ts MAX_VALUES) and still fit the memory cap. A result with 16
 * addresses, 1,000 routes and DNS holds about 3,100.
 */
export const MAX_IPAM_VALUES: i32 = 1 << 14;

export class IpamOutcome {
  constructor(
    /** ADD: the result, normalized to the 1.x shape; null for DEL/CHECK/GC/STATUS. */
    public result: JsonValue | null,
    public error: CniError | null,
    /** False when the plugin never started (not in CNI_PATH, bad name): then it cannot hold anything. */
    public ran: bool = true,
  ) {}

  /** What the plugin printed, for VERSION. */
  output: string = "";
}

/** Runs `ipamType` with CNI_COMMAND=command and `stdin`; ADD must yield a result with at least one IP. */
export function execIpam(ipamType: string, command: string, stdin: string): IpamOutcome {
  const typeBytes = String.UTF8.encode(ipamType);
  const commandBytes = String.UTF8.encode(command);
  const stdinBytes = utf8Of(stdin);
  const status = memory.data(4);
  const length = host_ipam_exec(
    changetype<usize>(typeBytes),
    typeBytes.byteLength,
    changetype<usize>(commandBytes),
    commandBytes.byteLength,
    changetype<usize>(stdinBytes),
    stdinBytes.byteLength,
    status,
  );
  if (length < 0) return spawnFailure(ipamType, command, -length);
  const exitStatus = load<i32>(status);
  // Only a result, a version report or an error is read; a plain success says all in its exit status.
  if (exitStatus == 0 && command != "ADD" && command != "VERSION") return new IpamOutcome(null, null);
  if (length > MAX_IPAM_OUTPUT_BYTES) {
    return new IpamOutcome(null, oversized(ipamType, command, exitStatus, length));
  }
  if (!reserveMemory(readingCost(length))) {
    return new IpamOutcome(null, outOfMemory(ipamType, command, length));
  }
  const output = readOutput(length);
  if (exitStatus != 0) return new IpamOutcome(null, pluginError(ipamType, command, exitStatus, output));
  if (command == "ADD") return parseAddResult(ipamType, output);
  const answered = new IpamOutcome(null, null);
  answered.output = output;
  return answered;
}

/**
 * Before anything moves: the IPAM plugin is in CNI_PATH and speaks the config's
 * cniVersion (its VERSION report, as libcni reads it). A plugin that answers
 * VERSION with something that is no report is given the benefit of the doubt:
 * its ADD will tell. Errors: 106 not found, the plugin's own error, 1 version.
 */
export function checkIpamPlugin(ipamType: string, cniVersion: string): CniError | null {
  const report = askVersions(ipamType, cniVersion);
  if (report.error != null) return report.error;
  const versions = report.versions;
  if (versions == null || versions.includes(cniVersion)) return null;
  return new CniError(
    ERR_INCOMPATIBLE_VERSION,
    'IPAM plugin "' + ipamType + '" does not support cniVersion ' + cniVersion,
    "its VERSION reports supportedVersions " + quotedList(versions),
  );
}

export class VersionReport {
  constructor(
    /** The versions the plugin lists; null when its answer is no report. */
    public versions: string[] | null,
    /** The plugin could not be asked (not in CNI_PATH) or failed VERSION. */
    public error: CniError | null,
  ) {}
}

/** The IPAM plugin's VERSION report, asked with `cniVersion` on stdin as libcni asks. */
export function askVersions(ipamType: string, cniVersion: string): VersionReport {
  const request = stringify(JsonValue.object().setString("cniVersion", cniVersion));
  const asked = execIpam(ipamType, "VERSION", request);
  if (asked.error != null) return new VersionReport(null, asked.error);
  const report = parseJson(asked.output, MAX_IPAM_VALUES).value;
  if (report == null || !report.isObject) return new VersionReport(null, null);
  const listed = report.get("supportedVersions");
  if (listed == null || !listed.isArray) return new VersionReport(null, null);
  const versions = new Array<string>();
  for (let i = 0; i < listed.items.length; i++) {
    if (listed.items[i].isString) versions.push(listed.items[i].stringValue);
  }
  return new VersionReport(versions, null);
}

/** ["0.1.0","1.0.0"] as JSON text (linear, however many the plugin lists). */
function quotedList(items: string[]): string {
  const array = JsonValue.array();
  for (let i = 0; i < items.length; i++) array.push(JsonValue.string(items[i]));
  return stringify(array);
}

/**
 * stdin, as UTF-8 for the host. Every IPAM call of a run sends the same config
 * (up to 4 MiB): it is encoded once, since the CNI's runtime never frees.
 */
let encodedText: string | null = null;
let encodedBytes: ArrayBuffer = new ArrayBuffer(0);

function utf8Of(text: string): ArrayBuffer {
  if (encodedText === text) return encodedBytes;
  encodedBytes = String.UTF8.encode(text);
  encodedText = text;
  return encodedBytes;
}

function readOutput(length: i32): string {
  if (length == 0) return "";
  const buffer = new ArrayBuffer(length);
  const copied = host_ipam_output(changetype<usize>(buffer), length);
  return String.UTF8.decodeUnsafe(changetype<usize>(buffer), <usize> max(copied, 0));
}

function spawnFailure(ipamType: string, command: string, errno: i32): IpamOutcome {
  const what = 'IPAM plugin "' + ipamType + '" (' + command + ")";
  // Not found or not a valid name: it never ran. A timeout or an oversized output: it did.
  if (errno == ENOENT) {
    return new IpamOutcome(null, new CniError(ERR_IPAM, what + ": not found in CNI_PATH"), false);
  }
  if (errno == EINVAL) {
    return new IpamOutcome(null, new CniError(ERR_IPAM, what + ": not a valid plugin name"), false);
  }
  if (errno == ETIMEDOUT) {
    return new IpamOutcome(null, new CniError(ERR_IPAM, what + ": killed after its timeout"));
  }
  if (errno == EMSGSIZE) {
    return new IpamOutcome(null, new CniError(ERR_IPAM, what + ": printed more than 4 MiB, stopped"));
  }
  return new IpamOutcome(
    null,
    new CniError(ERR_IPAM, what + ": could not run it (errno " + errno.toString() + ")"),
    false,
  );
}

/**
 * Memory that reading and parsing `length` bytes of output can take: the bytes,
 * their text (2 bytes a unit), the strings parsed from it, and MAX_IPAM_VALUES
 * values at their largest (an object with its two arrays, about 200 bytes).
 */
function readingCost(length: i32): i64 {
  return <i64> length * 5 + <i64> MAX_IPAM_VALUES * 200;
}

function outOfMemory(ipamType: string, command: string, length: i32): CniError {
  return new CniError(
    ERR_IPAM,
    'IPAM plugin "' + ipamType + '" (' + command + ") printed " + length.toString() +
      " bytes, more than the plugin's memory has room for next to this config",
  );
}

function oversized(ipamType: string, command: string, exitStatus: i32, length: i32): CniError {
  const what = 'IPAM plugin "' + ipamType + '" (' + command + ")";
  const printed = "printed " + length.toString() + " bytes, more than the " +
    MAX_IPAM_OUTPUT_BYTES.toString() +
    " this plugin reads";
  if (exitStatus != 0) {
    return new CniError(ERR_IPAM, what + " failed with exit status " + exitStatus.toString(), printed);
  }
  return new CniError(ERR_IPAM, what + " " + printed);
}

/** A failing plugin prints a CNI error on stdout: keep its code and words. */
function pluginError(ipamType: string, command: string, exitStatus: i32, output: string): CniError {
  const prefix = 'IPAM plugin "' + ipamType + '" (' + command + ") failed";
  const parsed = parseJson(output, MAX_IPAM_VALUES);
  const doc = parsed.value;
  if (doc != null && doc.isObject) {
    const code = doc.get("code");
    const msg = doc.get("msg");
    if (code != null && code.isInteger && msg != null && msg.isString) {
      const details = doc.get("details");
      const detailText = details != null && details.isString ? details.stringValue : "";
      return new CniError(<i32> code.numberValue, prefix + ": " + msg.stringValue, detailText);
    }
  }
  return new CniError(ERR_IPAM, prefix + " with exit status " + exitStatus.toString(), truncate(output));
}

function parseAddResult(ipamType: string, output: string): IpamOutcome {
  const parsed = parseJson(output, MAX_IPAM_VALUES);
  const doc = parsed.value;
  if (doc == null || !doc.isObject) {
    const why = parsed.error != null ? parsed.error! : "not a JSON object";
    return new IpamOutcome(
      null,
      new CniError(
        ERR_IPAM,
        'IPAM plugin "' + ipamType + '" printed an unusable result: ' + why,
        truncate(output),
      ),
    );
  }
  const result = normalizeResult(doc);
  const ips = result.get("ips");
  if (ips == null || !ips.isArray || ips.items.length == 0) {
    return new IpamOutcome(
      null,
      new CniError(ERR_IPAM, 'IPAM plugin "' + ipamType + '" returned no IP configuration'),
    );
  }
  return new IpamOutcome(result, null);
}

function truncate(text: string): string {
  return text.length > 512 ? text.substring(0, 512) + "..." : text;
}
