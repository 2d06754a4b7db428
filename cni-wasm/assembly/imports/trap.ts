import { host_trap } from "./bindings";

// Installed as the global `abort` (asconfig.json "use"): instead of the shim's
// "print to stderr and exit 255", the host learns that the module trapped and
// turns it into CNI error 999, discarding any half-written stdout.
export function onAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  const text = message == null ? "abort" : message;
  const file = fileName == null ? "" : fileName;
  host_trap(changetype<usize>(text), text.length, changetype<usize>(file), file.length, line, column);
  unreachable();
}
