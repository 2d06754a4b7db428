// IPAM delegation (SPEC.md "Delegated plugins"): the plugin named by ipam.type
// is looked up in CNI_PATH by the host and run with the same environment (only
// CNI_COMMAND overridden) and the complete config on stdin. Its errors are
// passed through with their own code (kube-ovn's RPC failures are 11, "try
// again later"), so the runtime sees what the IPAM plugin meant.

import { host_ipam_exec, host_ipam_output } from "../host/bindings";
import { JsonValue } from "../json/value";
import { parseJson } from "../json/parse";
import { CniError, ERR_IPAM } from "./errors";
import { normalizeResult } from "./result";

/** errno values the host returns from ipam_exec. */
const ENOENT: i32 = 2;
const EINVAL: i32 = 22;
const EMSGSIZE: i32 = 90;
const ETIMEDOUT: i32 = 110;

export class IpamOutcome {
  constructor(
    /** ADD: the result, normalized to the 1.x shape; null for DEL/CHECK/GC/STATUS. */
    public result: JsonValue | null,
    public error: CniError | null,
  ) {}
}

/** Runs `ipamType` with CNI_COMMAND=command and `stdin`; ADD must yield a result with at least one IP. */
export function execIpam(ipamType: string, command: string, stdin: string): IpamOutcome {
  const typeBytes = String.UTF8.encode(ipamType);
  const commandBytes = String.UTF8.encode(command);
  const stdinBytes = String.UTF8.encode(stdin);
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
  if (length < 0) return new IpamOutcome(null, spawnError(ipamType, command, -length));
  const output = readOutput(length);
  const exitStatus = load<i32>(status);
  if (exitStatus != 0) return new IpamOutcome(null, pluginError(ipamType, command, exitStatus, output));
  if (command != "ADD") return new IpamOutcome(null, null);
  return parseAddResult(ipamType, output);
}

function readOutput(length: i32): string {
  if (length == 0) return "";
  const buffer = new ArrayBuffer(length);
  const copied = host_ipam_output(changetype<usize>(buffer), length);
  return String.UTF8.decode(buffer.slice(0, max(copied, 0)));
}

function spawnError(ipamType: string, command: string, errno: i32): CniError {
  const what = "IPAM plugin \"" + ipamType + "\" (" + command + ")";
  if (errno == ENOENT) return new CniError(ERR_IPAM, what + ": not found in CNI_PATH");
  if (errno == EINVAL) return new CniError(ERR_IPAM, what + ": not a valid plugin name");
  if (errno == ETIMEDOUT) return new CniError(ERR_IPAM, what + ": killed after its timeout");
  if (errno == EMSGSIZE) return new CniError(ERR_IPAM, what + ": printed more than 4 MiB, stopped");
  return new CniError(ERR_IPAM, what + ": could not run it (errno " + errno.toString() + ")");
}

/** A failing plugin prints a CNI error on stdout: keep its code and words. */
function pluginError(ipamType: string, command: string, exitStatus: i32, output: string): CniError {
  const prefix = "IPAM plugin \"" + ipamType + "\" (" + command + ") failed";
  const parsed = parseJson(output);
  const doc = parsed.value;
  if (doc != null && doc.isObject) {
    const code = doc.get("code");
    const msg = doc.get("msg");
    if (code != null && code.isInteger && msg != null && msg.isString) {
      const details = doc.get("details");
      const detailText = details != null && details.isString ? details.stringValue : "";
      return new CniError(<i32>code.numberValue, prefix + ": " + msg.stringValue, detailText);
    }
  }
  return new CniError(ERR_IPAM, prefix + " with exit status " + exitStatus.toString(), truncate(output));
}

function parseAddResult(ipamType: string, output: string): IpamOutcome {
  const parsed = parseJson(output);
  const doc = parsed.value;
  if (doc == null || !doc.isObject) {
    const why = parsed.error != null ? parsed.error! : "not a JSON object";
    return new IpamOutcome(null, new CniError(ERR_IPAM, "IPAM plugin \"" + ipamType + "\" printed an unusable result: " + why, truncate(output)));
  }
  const result = normalizeResult(doc);
  const ips = result.get("ips");
  if (ips == null || !ips.isArray || ips.items.length == 0) {
    return new IpamOutcome(null, new CniError(ERR_IPAM, "IPAM plugin \"" + ipamType + "\" returned no IP configuration"));
  }
  return new IpamOutcome(result, null);
}

function truncate(text: string): string {
  return text.length > 512 ? text.substring(0, 512) + "..." : text;
}
