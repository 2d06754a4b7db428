// macvtap CNI plugin entry point: wiring only. Reads the environment and stdin,
// hands them to the dispatcher with the verb table, prints, exits. The config's
// deviceType picks the path: a macvtap the device plugin created (default), or
// a whole NIC ("hostdev").

import { dispatch, Verb } from "./cni/dispatch";
import { Invocation, Outcome } from "./cni/invocation";
import { DEVICE_TYPE_HOSTDEV } from "./cni/netconf";
import { cmdAdd } from "./macvtap/add";
import { cmdCheck } from "./macvtap/check";
import { cmdDel } from "./macvtap/del";
import { cmdHostdevAdd } from "./hostdev/add";
import { cmdHostdevCheck } from "./hostdev/check";
import { cmdHostdevDel } from "./hostdev/del";
import { cmdGc, cmdStatus } from "./attach/status";
import { readStdin } from "./imports/stdin";
// Installs the global abort handler (asconfig.json "use": abort=assembly/imports/trap/onAbort).
import "./imports/trap";

function isHostdev(inv: Invocation): bool {
  return inv.conf.deviceType == DEVICE_TYPE_HOSTDEV;
}

function add(inv: Invocation): Outcome {
  return isHostdev(inv) ? cmdHostdevAdd(inv) : cmdAdd(inv);
}

function del(inv: Invocation): Outcome {
  return isHostdev(inv) ? cmdHostdevDel(inv) : cmdDel(inv);
}

function check(inv: Invocation): Outcome {
  return isHostdev(inv) ? cmdHostdevCheck(inv) : cmdCheck(inv);
}

// GC and STATUS only forward to IPAM: the same for both device types.
const VERBS: Verb[] = [
  new Verb("ADD", add),
  new Verb("DEL", del),
  new Verb("CHECK", check),
  new Verb("GC", cmdGc),
  new Verb("STATUS", cmdStatus),
];

const input = readStdin();
const reply = dispatch(process.env, input.text, VERBS, input.error);
if (reply.stderr.length > 0) process.stderr.write(reply.stderr);
process.stdout.write(reply.stdout);
process.exit(reply.exitCode);
