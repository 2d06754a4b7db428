// The command dispatcher: the only place that turns error values into the
// spec's error JSON and an exit code. Order of checks follows libcni's skel so
// runtimes get the codes they expect: command, env, stdin JSON, config, version.

import { JsonValue } from "../json/value";
import { parseJson } from "../json/parse";
import { stringify, stringifyBounded } from "../json/stringify";
import { parseArgs } from "./args";
import { findRule, readEnv, validateEnv, validateIfname } from "./env";
import { CniError, ERR_DECODING, ERR_INCOMPATIBLE_VERSION, ERR_INVALID_ENV } from "./errors";
import { Handler, Invocation, Outcome } from "./invocation";
import { parseNetConf } from "./netconf";
import {
  checkLegacyAdd,
  checkVersion,
  isSupportedVersion,
  LATEST_VERSION,
  SUPPORTED_VERSIONS,
  versionHasCheck,
  versionHasGcAndStatus,
} from "./version";

/** One verb and the handler that serves it. */
export class Verb {
  constructor(
    public command: string,
    public handler: Handler,
  ) {}
}

/** What the process prints and exits with. */
export class Reply {
  constructor(
    public stdout: string,
    public exitCode: i32,
    /** A note for the runtime's log, printed on stderr. */
    public stderr: string = "",
  ) {}
}

/** How results and errors are indented (as Go's json.MarshalIndent in the reference plugins). */
export const INDENT = "    ";

/**
 * Runs one invocation. `verbs` maps ADD/DEL/CHECK/GC/STATUS to handlers; VERSION is answered here.
 * `stdinError` is set when stdin could not be taken whole (over the size limit): every verb but VERSION
 * then fails with it.
 */
export function dispatch(
  environment: Map<string, string>,
  stdin: string,
  verbs: Verb[],
  stdinError: CniError | null = null,
): Reply {
  const env = readEnv(environment);
  const rule = findRule(env.command);
  if (rule == null) {
    const what = env.command.length == 0 ? "CNI_COMMAND is not set" : "unknown CNI_COMMAND: " + env.command;
    return errorReply(new CniError(ERR_INVALID_ENV, what), LATEST_VERSION);
  }
  if (env.command == "VERSION") return versionReply(stdin);
  // DEL checks the shape of CNI_IFNAME only once the config is known good (see foreignIfnameDel).
  const envError = validateEnv(env, rule, env.command != "DEL");
  if (envError != null) return errorReply(envError, requestedVersion(stdin));
  if (stdinError != null) return errorReply(stdinError, LATEST_VERSION);

  const parsed = parseJson(stdin);
  if (parsed.error != null) {
    return errorReply(
      new CniError(ERR_DECODING, "error decoding network config: " + parsed.error!),
      LATEST_VERSION,
    );
  }
  const confResult = parseNetConf(parsed.value!);
  const version = confResult.conf.cniVersion.length > 0 ? confResult.conf.cniVersion : LATEST_VERSION;
  if (confResult.error != null) return errorReply(confResult.error!, version);
  const gateError = versionGate(env.command, version, confResult.conf.ipamType.length > 0);
  if (gateError != null) return errorReply(gateError, version);
  if (env.command == "DEL" && validateIfname(env.ifname) != null) return foreignIfnameDel(env.ifname);

  const argsResult = parseArgs(env.args);
  // DEL must clean up even when the runtime's CNI_ARGS are odd; the other verbs refuse them.
  if (argsResult.error != null && env.command != "DEL") return errorReply(argsResult.error!, version);

  const outcome = runVerb(verbs, new Invocation(env, confResult.conf, argsResult.args, stdin));
  if (outcome.error != null) return errorReply(outcome.error!, version);
  const output = outcome.output;
  return new Reply(output == null ? "" : stringifyBounded(output, INDENT, "\n"), 0);
}

function runVerb(verbs: Verb[], inv: Invocation): Outcome {
  for (let i = 0; i < verbs.length; i++) {
    if (verbs[i].command == inv.env.command) return verbs[i].handler(inv);
  }
  return Outcome.failed(new CniError(ERR_INVALID_ENV, "unknown CNI_COMMAND: " + inv.env.command));
}

/**
 * DEL with a CNI_IFNAME that ADD refuses (code 4, before touching anything): no interface, lease or link
 * of ours can carry that name, so there is nothing to delete, and DEL succeeds (SPEC.md DEL: complete
 * without error even if resources are missing). Failing would leave the runtime retrying a DEL that can
 * never succeed after the ADD it follows was refused. Nothing is opened, not even the IPAM plugin.
 */
function foreignIfnameDel(ifname: string): Reply {
  const why = validateIfname(ifname)!;
  return new Reply(
    "",
    0,
    "macvtap: DEL has nothing to do: " + why.msg + ", so no attachment of ours has it\n",
  );
}

/** The config version must be one we speak, and new enough for the verb (SPEC.md per verb). */
function versionGate(command: string, version: string, hasIpam: bool): CniError | null {
  const unsupported = checkVersion(version);
  if (unsupported != null) return unsupported;
  if (command == "ADD") return checkLegacyAdd(version, hasIpam);
  if (command == "CHECK" && !versionHasCheck(version)) {
    return new CniError(
      ERR_INCOMPATIBLE_VERSION,
      "config version does not allow CHECK",
      "cniVersion " + version + " < 0.4.0",
    );
  }
  if ((command == "GC" || command == "STATUS") && !versionHasGcAndStatus(version)) {
    return new CniError(
      ERR_INCOMPATIBLE_VERSION,
      "config version does not allow " + command,
      "cniVersion " + version + " < 1.1.0",
    );
  }
  return null;
}

/** VERSION: the supported list, answered in the requested version when we speak it. */
function versionReply(stdin: string): Reply {
  const report = JsonValue.object().setString("cniVersion", requestedVersion(stdin));
  const list = JsonValue.array();
  for (let i = 0; i < SUPPORTED_VERSIONS.length; i++) list.push(JsonValue.string(SUPPORTED_VERSIONS[i]));
  report.set("supportedVersions", list);
  return new Reply(stringify(report, "", "\n"), 0);
}

/** cniVersion from stdin when it is one we speak, else the latest: errors are printed in it. */
function requestedVersion(stdin: string): string {
  const parsed = parseJson(stdin);
  if (parsed.value == null || !parsed.value!.isObject) return LATEST_VERSION;
  const version = parsed.value!.get("cniVersion");
  if (version == null || !version.isString || !isSupportedVersion(version.stringValue)) return LATEST_VERSION;
  return version.stringValue;
}

/** The spec's error object, printed on stdout (libcni reads errors from stdout), exit 1. */
export function errorReply(error: CniError, version: string): Reply {
  const doc = JsonValue.object()
    .setString("cniVersion", version)
    .setNumber("code", <f64> error.code)
    .setString("msg", error.msg);
  if (error.details.length > 0) doc.setString("details", error.details);
  return new Reply(stringifyBounded(doc, INDENT, "\n"), 1);
}
