// macvtap CNI plugin entry point: wiring only. Reads the environment and stdin,
// hands them to the dispatcher with the verb table, prints, exits.

import { dispatch, Verb } from "./cni/dispatch";
import { cmdAdd } from "./macvtap/add";
import { cmdCheck } from "./macvtap/check";
import { cmdDel } from "./macvtap/del";
import { cmdGc, cmdStatus } from "./macvtap/status";
import { readStdin } from "./host/stdin";
// Installs the global abort handler (asconfig.json "use": abort=assembly/host/trap/onAbort).
import "./host/trap";

const VERBS: Verb[] = [
  new Verb("ADD", cmdAdd),
  new Verb("DEL", cmdDel),
  new Verb("CHECK", cmdCheck),
  new Verb("GC", cmdGc),
  new Verb("STATUS", cmdStatus),
];

const reply = dispatch(process.env, readStdin(), VERBS);
process.stdout.write(reply.stdout);
process.exit(reply.exitCode);
