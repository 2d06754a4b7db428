// CNI_ARGS: "K=V;K2=V2" pairs (SPEC.md "Parameters", CONVENTIONS.md "CNI_ARGS").
// Runtimes and Multus always send IgnoreUnknown=1|true plus K8S_POD_* keys, may
// repeat a key, and add MAC= (the requested MAC) and IP= (read by IPAM plugins).

import { CniError, ERR_INVALID_ENV } from "./errors";

/** Keys this plugin knows; anything else is refused unless IgnoreUnknown is true. */
const KNOWN_KEYS: string[] = [
  "IgnoreUnknown",
  "MAC",
  "IP",
  "K8S_POD_NAMESPACE",
  "K8S_POD_NAME",
  "K8S_POD_INFRA_CONTAINER_ID",
  "K8S_POD_UID",
];

export class CniArgs {
  /** MAC= value ("" when absent); validated later with the other MAC sources. */
  mac: string = "";
  ignoreUnknown: bool = false;
  keys: string[] = [];
  values: string[] = [];

  /** Last value of `key`, or "" (later duplicates win, as Multus appends). */
  get(key: string): string {
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (this.keys[i] == key) return this.values[i];
    }
    return "";
  }
}

export class ArgsResult {
  constructor(
    public args: CniArgs,
    public error: CniError | null,
  ) {}
}

export function parseArgs(text: string): ArgsResult {
  const args = new CniArgs();
  if (text.length == 0) return new ArgsResult(args, null);
  const pairs = text.split(";");
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i];
    if (pair.length == 0) continue; // tolerate "a=b;" as runtimes sometimes send it
    const eq = pair.indexOf("=");
    if (eq <= 0 || pair.indexOf("=", eq + 1) >= 0) {
      return new ArgsResult(
        args,
        new CniError(ERR_INVALID_ENV, 'invalid CNI_ARGS pair "' + pair + '": want KEY=VALUE'),
      );
    }
    args.keys.push(pair.substring(0, eq));
    args.values.push(pair.substring(eq + 1));
  }
  args.ignoreUnknown = isTruthy(args.get("IgnoreUnknown"));
  args.mac = args.get("MAC");
  if (!args.ignoreUnknown) {
    const unknown = new Array<string>();
    for (let i = 0; i < args.keys.length; i++) {
      if (!KNOWN_KEYS.includes(args.keys[i])) unknown.push(args.keys[i]);
    }
    if (unknown.length > 0) {
      return new ArgsResult(
        args,
        new CniError(
          ERR_INVALID_ENV,
          "unknown CNI_ARGS keys [" + unknown.join(",") + "] (add IgnoreUnknown=1 to allow them)",
        ),
      );
    }
  }
  return new ArgsResult(args, null);
}

/** Go's strconv.ParseBool true spellings, which libcni accepts for IgnoreUnknown. */
function isTruthy(value: string): bool {
  return value == "1" || value == "t" || value == "T" || value == "true" || value == "TRUE" ||
    value == "True";
}
