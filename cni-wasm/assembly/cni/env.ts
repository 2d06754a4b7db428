// The CNI_* environment: reading it, and the table of which variables each
// command needs (the same table libcni's skel enforces, so runtimes see the
// errors they expect).

import { CniError, ERR_INVALID_ENV } from "./errors";

export class CniEnv {
  command: string = "";
  containerId: string = "";
  netns: string = "";
  ifname: string = "";
  args: string = "";
  path: string = "";
}

export function readEnv(env: Map<string, string>): CniEnv {
  const e = new CniEnv();
  e.command = lookup(env, "CNI_COMMAND");
  e.containerId = lookup(env, "CNI_CONTAINERID");
  e.netns = lookup(env, "CNI_NETNS");
  e.ifname = lookup(env, "CNI_IFNAME");
  e.args = lookup(env, "CNI_ARGS");
  e.path = lookup(env, "CNI_PATH");
  return e;
}

function lookup(env: Map<string, string>, name: string): string {
  return env.has(name) ? env.get(name) : "";
}

/** One row of the table: the variables a command cannot run without. */
export class CommandRule {
  constructor(
    public command: string,
    public needsContainerId: bool,
    public needsNetns: bool,
    public needsIfname: bool,
    public needsPath: bool,
  ) {}
}

// DEL does not need CNI_NETNS: the runtime may call it after the sandbox is gone.
// GC and STATUS act on no attachment; VERSION needs nothing at all (libcni probes
// it with CNI_NETNS/IFNAME/PATH set to "dummy" and no container ID).
export const COMMAND_RULES: CommandRule[] = [
  new CommandRule("ADD", true, true, true, true),
  new CommandRule("CHECK", true, true, true, true),
  new CommandRule("DEL", true, false, true, true),
  new CommandRule("GC", false, false, false, true),
  new CommandRule("STATUS", false, false, false, true),
  new CommandRule("VERSION", false, false, false, false),
];

export function findRule(command: string): CommandRule | null {
  for (let i = 0; i < COMMAND_RULES.length; i++) {
    if (COMMAND_RULES[i].command == command) return COMMAND_RULES[i];
  }
  return null;
}

/**
 * Checks presence per the table, then the shape of container ID and interface name. `checkIfname` false
 * leaves the name's shape to the caller (DEL: a name ADD would refuse names nothing of ours).
 */
export function validateEnv(env: CniEnv, rule: CommandRule, checkIfname: bool = true): CniError | null {
  const missing = new Array<string>();
  if (rule.needsContainerId && env.containerId.length == 0) missing.push("CNI_CONTAINERID");
  if (rule.needsNetns && env.netns.length == 0) missing.push("CNI_NETNS");
  if (rule.needsIfname && env.ifname.length == 0) missing.push("CNI_IFNAME");
  if (rule.needsPath && env.path.length == 0) missing.push("CNI_PATH");
  if (missing.length > 0) {
    return new CniError(ERR_INVALID_ENV, "required env variables [" + missing.join(",") + "] missing");
  }
  if (rule.needsContainerId) {
    const err = validateContainerId(env.containerId);
    if (err != null) return err;
  }
  if (rule.needsIfname && checkIfname) return validateIfname(env.ifname);
  return null;
}

/** CNI_CONTAINERID must match ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$ (SPEC.md "Parameters"). */
export function validateContainerId(id: string): CniError | null {
  if (matchesIdPattern(id)) return null;
  return new CniError(
    ERR_INVALID_ENV,
    'invalid CNI_CONTAINERID "' + id + '": must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$',
  );
}

/** ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$ — the pattern libcni uses for container IDs and network names. */
export function matchesIdPattern(text: string): bool {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const alnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    if (alnum) continue;
    if (i > 0 && (c == 0x5f || c == 0x2e || c == 0x2d)) continue;
    return false;
  }
  return text.length > 0;
}

/** IFNAMSIZ - 1: the kernel's limit for interface names, in bytes. */
export const MAX_IFNAME_BYTES: i32 = 15;

/**
 * SPEC.md "Parameters" (as libcni's ValidateInterfaceName reads it: 1..15 bytes, not "." or "..", no '/',
 * ':' or Unicode whitespace) plus the kernel's '%': a name holding it is a pattern to the kernel
 * ("net%d" becomes the first free "net0", "net1"...), so the interface would not be called CNI_IFNAME.
 */
export function validateIfname(name: string): CniError | null {
  const bytes = String.UTF8.byteLength(name);
  if (bytes == 0 || bytes > MAX_IFNAME_BYTES) {
    return badIfname(
      name,
      "must be 1 to " + MAX_IFNAME_BYTES.toString() + " bytes long, is " + bytes.toString(),
    );
  }
  if (name == "." || name == "..") return badIfname(name, '"." and ".." are not interface names');
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c == 0x2f || c == 0x3a || isUnicodeSpace(c)) {
      return badIfname(name, "contains '/', ':' or whitespace");
    }
    if (c == 0x25) {
      return badIfname(name, "contains '%', which the kernel reads as a name pattern (net%d becomes net0)");
    }
  }
  return null;
}

function badIfname(name: string, why: string): CniError {
  return new CniError(ERR_INVALID_ENV, 'invalid CNI_IFNAME "' + name + '": ' + why);
}

/** Go's unicode.IsSpace: ASCII \t \n \v \f \r and space, U+0085, U+00A0, and the White_Space runes above. */
function isUnicodeSpace(c: i32): bool {
  if (c == 0x20 || (c >= 0x09 && c <= 0x0d) || c == 0x85 || c == 0xa0) return true;
  if (c < 0x1680) return false;
  return c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
    c == 0x205f || c == 0x3000;
}
