// Test module (asconfig.json: a WASI command, run on the native capability host in stream mode by
// cni-wasm/test/native_module.ts): the netlink and hostdev test-module functions that kernel tests call,
// served over stdin/stdout so they run on the host's real imports instead of fakes.
//
// Protocol: one request line ["functionName", arg, ...] (arguments: JSON strings and integers), one
// reply line {"value": "<what the function returned, as text>"} or {"refused": "<why>"} when the
// request cannot be run. Ends when stdin closes. A trap ends the process (the host prints CNI error 999
// and exits 1); the test side reports that as the failure it is.

import { JsonValue } from "../../assembly/json/value";
import { parseJson } from "../../assembly/json/parse";
import { stringify } from "../../assembly/json/stringify";
import { StdinLines } from "../../assembly/broker/stdin_lines";
import * as nl from "./netlink";
import { lookupNic } from "./hostdev";
import { moveBackToNode } from "./undo";
// Installs the global abort handler (asconfig.json "use": abort=assembly/imports/trap/onAbort).
import "../../assembly/imports/trap";

/** One served function: parameter kinds, one letter each ("s" string, "i" integer), and its caller. */
class Served {
  constructor(public params: string, public run: (request: JsonValue) => string) {}
}

/** Argument `i` of a request (index 0 is the function name), already checked against the params. */
function str(request: JsonValue, i: i32): string {
  return request.items[i + 1].stringValue;
}

function int(request: JsonValue, i: i32): i32 {
  return <i32> <i64> request.items[i + 1].numberValue;
}

function uint(request: JsonValue, i: i32): u32 {
  return <u32> <i64> request.items[i + 1].numberValue;
}

/** Replies of functions that return nothing. */
const NOTHING = "";

const SERVED = new Map<string, Served>();
SERVED.set("netnsOpen", new Served("s", (r: JsonValue): string => nl.netnsOpen(str(r, 0)).toString()));
SERVED.set("netnsClose", new Served("i", (r: JsonValue): string => nl.netnsClose(int(r, 0)).toString()));
SERVED.set("connOpen", new Served("ii", (r: JsonValue): string => nl.connOpen(int(r, 0), uint(r, 1))));
SERVED.set(
  "connSelect",
  new Served("i", (r: JsonValue): string => {
    nl.connSelect(int(r, 0));
    return NOTHING;
  }),
);
SERVED.set(
  "connClose",
  new Served("", (_r: JsonValue): string => {
    nl.connClose();
    return NOTHING;
  }),
);
SERVED.set(
  "connSetTimeout",
  new Served("i", (r: JsonValue): string => {
    nl.connSetTimeout(int(r, 0));
    return NOTHING;
  }),
);
SERVED.set("connRecvEvent", new Served("i", (r: JsonValue): string => nl.connRecvEvent(int(r, 0))));
SERVED.set("countListedLinks", new Served("", (_r: JsonValue): string => nl.countListedLinks().toString()));
SERVED.set(
  "linkIndexByName",
  new Served("s", (r: JsonValue): string => nl.linkIndexByName(str(r, 0)).toString()),
);
SERVED.set("rtnlGetLinkByName", new Served("s", (r: JsonValue): string => nl.rtnlGetLinkByName(str(r, 0))));
SERVED.set(
  "rtnlGetLinkByIndex",
  new Served("i", (r: JsonValue): string => nl.rtnlGetLinkByIndex(int(r, 0))),
);
SERVED.set("rtnlListLinks", new Served("", (_r: JsonValue): string => nl.rtnlListLinks()));
SERVED.set(
  "rtnlListAddresses",
  new Served("ii", (r: JsonValue): string => nl.rtnlListAddresses(<u8> int(r, 0), uint(r, 1))),
);
SERVED.set("rtnlListRoutes", new Served("i", (r: JsonValue): string => nl.rtnlListRoutes(<u8> int(r, 0))));
SERVED.set(
  "rtnlCreateMacvlan",
  new Served(
    "ssisi",
    (r: JsonValue): string => nl.rtnlCreateMacvlan(str(r, 0), str(r, 1), uint(r, 2), str(r, 3), int(r, 4)),
  ),
);
SERVED.set("rtnlCreateLink", new Served("s", (r: JsonValue): string => nl.rtnlCreateLink(str(r, 0))));
SERVED.set("rtnlSetLink", new Served("s", (r: JsonValue): string => nl.rtnlSetLink(str(r, 0))));
SERVED.set("rtnlDeleteLink", new Served("i", (r: JsonValue): string => nl.rtnlDeleteLink(int(r, 0))));
SERVED.set("rtnlAddAddress", new Served("s", (r: JsonValue): string => nl.rtnlAddAddress(str(r, 0))));
SERVED.set("rtnlDeleteAddress", new Served("s", (r: JsonValue): string => nl.rtnlDeleteAddress(str(r, 0))));
SERVED.set("rtnlAddRoute", new Served("s", (r: JsonValue): string => nl.rtnlAddRoute(str(r, 0))));
SERVED.set("lookupNic", new Served("s", (r: JsonValue): string => lookupNic(str(r, 0))));
SERVED.set(
  "moveBackToNode",
  new Served(
    "sssiis",
    (r: JsonValue): string =>
      moveBackToNode(str(r, 0), str(r, 1), str(r, 2), int(r, 3), uint(r, 4), str(r, 5)),
  ),
);

/** i32 and u32 parameters share one letter: any whole number either of them can hold. */
function fitsParam(kind: string, value: JsonValue): bool {
  if (kind == "s") return value.isString;
  return value.isInteger && value.numberValue >= <f64> i32.MIN_VALUE &&
    value.numberValue <= <f64> u32.MAX_VALUE;
}

/** Why `request` cannot be run, or null when it names a served function with fitting arguments. */
function refusal(request: JsonValue | null): string | null {
  if (request == null || !request.isArray || request.length == 0 || !request.items[0].isString) {
    return 'a request is a JSON array ["functionName", arg, ...]';
  }
  const name = request.items[0].stringValue;
  if (!SERVED.has(name)) return 'no function "' + name + '"';
  const params = SERVED.get(name).params;
  if (request.length - 1 != params.length) {
    return name + " takes " + params.length.toString() + " arguments, got " + (request.length - 1).toString();
  }
  for (let i = 0; i < params.length; i++) {
    const kind = params.charAt(i);
    if (!fitsParam(kind, request.items[i + 1])) {
      return name + " argument " + i.toString() + " must be " + (kind == "s" ? "a string" : "an integer");
    }
  }
  return null;
}

/** The reply line for one request line. */
function reply(line: string): string {
  const parsed = parseJson(line);
  const why = parsed.error != null ? "request is not JSON: " + parsed.error! : refusal(parsed.value);
  if (why != null) return stringify(JsonValue.object().setString("refused", why)) + "\n";
  const request = parsed.value!;
  const value = SERVED.get(request.items[0].stringValue).run(request);
  return stringify(JsonValue.object().setString("value", value)) + "\n";
}

function main(): void {
  const input = new StdinLines();
  while (!input.ended) {
    const lines = input.read();
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].length > 0) process.stdout.write(reply(lines[i]));
    }
  }
}

main();
