/**
 * Assertions on plugin runs. Every failure message carries the whole exchange (env, stdin, stdout,
 * stderr, exit code), so a red case can be understood without re-running it.
 *
 * @module
 */
import { AssertionError } from "node:assert/strict";
import { describeRun, type PluginRun } from "./plugin_exec.ts";

/** A route in a result. */
export interface CniRoute {
  dst?: string;
  gw?: string;
}

/** The per-family IP config of 0.1.0/0.2.0 results. */
export interface LegacyIpConfig {
  ip?: string;
  gateway?: string;
  routes?: CniRoute[];
}

/** A CNI Result as the cases read it (interfaces/ips from 0.3.0 on, ip4/ip6 before). */
export interface CniResult {
  cniVersion?: string;
  interfaces?: { name?: string; mac?: string; sandbox?: string; mtu?: number }[];
  ips?: { version?: string; address?: string; gateway?: string; interface?: number }[];
  routes?: CniRoute[];
  dns?: unknown;
  ip4?: LegacyIpConfig;
  ip6?: LegacyIpConfig;
}

/** The error object of SPEC §5. */
export interface CniErrorJson {
  cniVersion?: string;
  code: number;
  msg: string;
  details?: string;
}

/** Throws an AssertionError with the run attached. */
export function fail(message: string, run?: PluginRun): never {
  throw new AssertionError({ message: run ? `${message}\n  ${describeRun(run)}` : message });
}

/** Asserts `condition`, else fails with `message` and the run. */
export function ensure(condition: unknown, message: string, run?: PluginRun): asserts condition {
  if (!condition) fail(message, run);
}

/** The run exited 0. */
export function expectSuccess(run: PluginRun, what: string): PluginRun {
  ensure(run.code === 0, `${what}: expected exit 0, got ${run.code}`, run);
  return run;
}

/** The run exited 0: its stdout as JSON (null when empty or not JSON). */
export function expectOk(run: PluginRun): Record<string, unknown> | null {
  return expectSuccess(run, "the plugin").json as Record<string, unknown> | null;
}

/** The run exited 0 with a JSON Result in `version`. */
export function expectResult(run: PluginRun, version: string, what = "ADD"): CniResult {
  expectSuccess(run, what);
  const result = run.json as CniResult | null;
  ensure(result !== null && typeof result === "object", `${what}: stdout is not a JSON object`, run);
  ensure(
    result.cniVersion === version,
    `${what}: result cniVersion ${JSON.stringify(result.cniVersion)}, config said "${version}"`,
    run,
  );
  return result;
}

/** What an expected error must look like. */
export interface ErrorExpectation {
  /** Exact code, or any of several codes. */
  code?: number | readonly number[];
  /** Substrings that must appear in msg or details (e.g. the variable's name). */
  mentions?: readonly string[];
}

/**
 * The run failed the spec's way: non-zero exit and an error object with a numeric code and a msg on
 * stdout (SPEC 0.4.0: "Errors must be indicated by a non-zero return code and the following JSON being
 * printed to stdout").
 */
export function expectError(run: PluginRun, what: string, expected: ErrorExpectation = {}): CniErrorJson {
  ensure(run.code !== 0, `${what}: expected an error, the plugin exited 0`, run);
  const error = run.json as CniErrorJson | null;
  ensure(error !== null && typeof error === "object", `${what}: no JSON error object on stdout`, run);
  ensure(typeof error.code === "number", `${what}: error JSON has no numeric "code"`, run);
  ensure(typeof error.msg === "string" && error.msg !== "", `${what}: error JSON has no "msg"`, run);
  const codes = expected.code === undefined ? [] : [expected.code].flat();
  ensure(
    codes.length === 0 || codes.includes(error.code),
    `${what}: error code ${error.code}, expected ${codes.join(" or ")}`,
    run,
  );
  const text = `${error.msg} ${error.details ?? ""}`;
  for (const word of expected.mentions ?? []) {
    ensure(text.includes(word), `${what}: error message does not name "${word}"`, run);
  }
  return error;
}

/** The interface entry for `ifname`, which must carry sandbox = `netns` and a MAC. */
export function podInterface(
  result: CniResult,
  ifname: string,
  netns: string,
  run: PluginRun,
): { name?: string; mac?: string; sandbox?: string } {
  const entry = (result.interfaces ?? []).find((i) => i.name === ifname);
  ensure(entry, `result has no interfaces[] entry named "${ifname}"`, run);
  ensure(
    entry.sandbox === netns,
    `interface "${ifname}" sandbox ${JSON.stringify(entry.sandbox)}, want "${netns}"`,
    run,
  );
  ensure(
    typeof entry.mac === "string" && /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(entry.mac),
    "no valid mac",
    run,
  );
  return entry;
}

/** Case-insensitive MAC comparison. */
export function sameMac(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}
