// Test module (asconfig.test.json): the whole CNI front door — env table,
// stdin JSON, config validation, versions, CNI_ARGS, error rendering — with verb
// handlers that touch nothing, so fuzzing reaches every parser without a kernel.

import { dispatch, Verb } from "../../assembly/cni/dispatch";
import { Invocation, Outcome } from "../../assembly/cni/invocation";
import { JsonValue } from "../../assembly/json/value";
import { CniError } from "../../assembly/cni/errors";
import { stdinTooLarge } from "../../assembly/cni/stdin_limit";

function echoConfig(inv: Invocation): Outcome {
  const out = JsonValue.object()
    .setString("deviceID", inv.conf.deviceID)
    .setString("mac", inv.args.mac)
    .setNumber("mtu", <f64> inv.conf.mtu);
  return Outcome.done(out);
}

function nothing(_inv: Invocation): Outcome {
  return Outcome.done(null);
}

/** DEL answers that it ran, so tests can tell a DEL the dispatcher settled itself from one it handed on. */
function delReached(inv: Invocation): Outcome {
  return Outcome.done(JsonValue.object().setString("handled", "DEL").setString("ifname", inv.env.ifname));
}

const VERBS: Verb[] = [
  new Verb("ADD", echoConfig),
  new Verb("DEL", delReached),
  new Verb("CHECK", nothing),
  new Verb("GC", nothing),
  new Verb("STATUS", nothing),
];

/** "<exit code>\n<stdout>" for one invocation; env is "NAME=value" lines. */
export function run(envLines: string, stdin: string): string {
  return runWith(envLines, stdin, null);
}

/** As run, for a stdin the host found over the limit (readStdin's error). */
export function runOverLimit(envLines: string): string {
  return runWith(envLines, "", stdinTooLarge());
}

/** "<exit code>\n<stderr>" of one invocation: the note a DEL the dispatcher settled leaves for the log. */
export function stderrOf(envLines: string, stdin: string): string {
  const reply = dispatch(envMap(envLines), stdin, VERBS);
  return reply.exitCode.toString() + "\n" + reply.stderr;
}

function runWith(envLines: string, stdin: string, stdinError: CniError | null): string {
  const reply = dispatch(envMap(envLines), stdin, VERBS, stdinError);
  return reply.exitCode.toString() + "\n" + reply.stdout;
}

function envMap(envLines: string): Map<string, string> {
  const env = new Map<string, string>();
  const lines = envLines.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const eq = lines[i].indexOf("=");
    if (eq > 0) env.set(lines[i].substring(0, eq), lines[i].substring(eq + 1));
  }
  return env;
}
