// Test harness (asconfig.harness.json): the whole CNI front door — env table,
// stdin JSON, config validation, versions, CNI_ARGS, error rendering — with verb
// handlers that touch nothing, so fuzzing reaches every parser without a kernel.

import { dispatch, Verb } from "../../assembly/cni/dispatch";
import { Invocation, Outcome } from "../../assembly/cni/invocation";
import { JsonValue } from "../../assembly/json/value";

function echoConfig(inv: Invocation): Outcome {
  const out = JsonValue.object()
    .setString("deviceID", inv.conf.deviceID)
    .setString("mac", inv.args.mac)
    .setNumber("mtu", <f64>inv.conf.mtu);
  return Outcome.done(out);
}

function nothing(_inv: Invocation): Outcome {
  return Outcome.done(null);
}

const VERBS: Verb[] = [
  new Verb("ADD", echoConfig),
  new Verb("DEL", nothing),
  new Verb("CHECK", nothing),
  new Verb("GC", nothing),
  new Verb("STATUS", nothing),
];

/** "<exit code>\n<stdout>" for one invocation; env is "NAME=value" lines. */
export function run(envLines: string, stdin: string): string {
  const env = new Map<string, string>();
  const lines = envLines.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const eq = lines[i].indexOf("=");
    if (eq > 0) env.set(lines[i].substring(0, eq), lines[i].substring(eq + 1));
  }
  const reply = dispatch(env, stdin, VERBS);
  return reply.exitCode.toString() + "\n" + reply.stdout;
}
