/**
 * The shape of an ADD result per spec version, checked field by field: what a runtime (libcni's
 * types/020, types/040 and types/100 decoders) expects to find, so a result that "works" only because
 * nobody reads it is still caught.
 *
 * - 0.1.0/0.2.0: `ip4`/`ip6` objects (`ip` in CIDR, optional `gateway`, `routes`), `dns`.
 * - 0.3.0 on: `interfaces[]` (`name`, `mac`, `sandbox`), `ips[]` (`address` in CIDR, `gateway`,
 *   `interface` = index into interfaces), `routes[]` (`dst` in CIDR, `gw`), `dns`.
 * - `ips[].version` ("4"/"6", matching the address) in 0.3.x and 0.4.0 only; 1.1.0 routes may carry
 *   `mtu`, `advmss`, `priority`, `table`, `scope` (integers).
 *
 * @module
 */
import { compareVersions, versionHasInterfaces, versionHasIpVersion } from "./profile.ts";

type Json = Record<string, unknown>;

/** Every way `result` departs from the result format of `version`; empty when it conforms. */
export function resultShapeProblems(result: unknown, version: string): string[] {
  if (!isObject(result)) return [`the result is ${describe(result)}, not a JSON object`];
  const problems: string[] = [];
  if (result.cniVersion !== version) {
    problems.push(`cniVersion is ${JSON.stringify(result.cniVersion)}, the config said "${version}"`);
  }
  if (versionHasInterfaces(version)) checkCurrent(result, version, problems);
  else checkLegacy(result, version, problems);
  if (result.dns !== undefined) checkDns(result.dns, problems);
  return problems;
}

/** 0.3.0 and later. */
function checkCurrent(result: Json, version: string, problems: string[]): void {
  for (const key of ["ip4", "ip6"]) {
    if (key in result) problems.push(`"${key}" belongs to 0.1.0/0.2.0 results, not to a ${version} result`);
  }
  const interfaces = optionalArray(result, "interfaces", problems);
  interfaces.forEach((entry, i) => checkInterface(entry, `interfaces[${i}]`, problems));
  optionalArray(result, "ips", problems).forEach((entry, i) =>
    checkIp(entry, `ips[${i}]`, version, interfaces.length, problems)
  );
  optionalArray(result, "routes", problems).forEach((entry, i) =>
    checkRoute(entry, `routes[${i}]`, version, problems)
  );
}

/** 0.1.0 and 0.2.0. */
function checkLegacy(result: Json, version: string, problems: string[]): void {
  for (const key of ["interfaces", "ips"]) {
    if (key in result) problems.push(`"${key}" does not exist in a ${version} result (ip4/ip6 do)`);
  }
  for (const [key, family] of [["ip4", 4], ["ip6", 6]] as const) {
    const config = result[key];
    if (config === undefined) continue;
    if (!isObject(config)) {
      problems.push(`${key} is ${describe(config)}, not an object`);
      continue;
    }
    expectCidr(config.ip, `${key}.ip`, problems, family);
    if (config.gateway !== undefined) expectIp(config.gateway, `${key}.gateway`, problems);
    optionalArray(config, "routes", problems, key).forEach((route, i) =>
      checkRoute(route, `${key}.routes[${i}]`, version, problems)
    );
  }
}

function checkInterface(entry: unknown, where: string, problems: string[]): void {
  if (!isObject(entry)) return void problems.push(`${where} is ${describe(entry)}, not an object`);
  if (typeof entry.name !== "string" || entry.name === "") problems.push(`${where}.name is not a name`);
  if (entry.mac !== undefined && !isMac(entry.mac)) {
    problems.push(`${where}.mac ${JSON.stringify(entry.mac)} is not a MAC address`);
  }
  if (entry.sandbox !== undefined && typeof entry.sandbox !== "string") {
    problems.push(`${where}.sandbox is ${describe(entry.sandbox)}, not a string`);
  }
}

function checkIp(entry: unknown, where: string, version: string, count: number, problems: string[]): void {
  if (!isObject(entry)) return void problems.push(`${where} is ${describe(entry)}, not an object`);
  const family = expectCidr(entry.address, `${where}.address`, problems);
  if (entry.gateway !== undefined) expectIp(entry.gateway, `${where}.gateway`, problems);
  const index = entry.interface;
  if (
    index !== undefined && !(Number.isInteger(index) && (index as number) >= 0 && (index as number) < count)
  ) {
    problems.push(`${where}.interface ${JSON.stringify(index)} is not an index into interfaces (${count})`);
  }
  if (!versionHasIpVersion(version)) {
    if (entry.version !== undefined) problems.push(`${where}.version does not exist in a ${version} result`);
  } else if (entry.version !== "4" && entry.version !== "6") {
    problems.push(`${where}.version is ${JSON.stringify(entry.version)}, not "4" or "6"`);
  } else if (family !== null && entry.version !== String(family)) {
    problems.push(`${where}.version "${entry.version}" but the address is IPv${family}`);
  }
}

const ROUTE_INTEGERS_1_1_0 = ["mtu", "advmss", "priority", "table", "scope"];

function checkRoute(entry: unknown, where: string, version: string, problems: string[]): void {
  if (!isObject(entry)) return void problems.push(`${where} is ${describe(entry)}, not an object`);
  expectCidr(entry.dst, `${where}.dst`, problems);
  if (entry.gw !== undefined) expectIp(entry.gw, `${where}.gw`, problems);
  if (compareVersions(version, "1.1.0") < 0) return;
  for (const key of ROUTE_INTEGERS_1_1_0) {
    if (entry[key] !== undefined && !Number.isInteger(entry[key])) {
      problems.push(`${where}.${key} is ${describe(entry[key])}, not an integer`);
    }
  }
}

function checkDns(dns: unknown, problems: string[]): void {
  if (!isObject(dns)) return void problems.push(`dns is ${describe(dns)}, not an object`);
  for (const key of ["nameservers", "search", "options"]) {
    const list = dns[key];
    if (list !== undefined && !(Array.isArray(list) && list.every((s) => typeof s === "string"))) {
      problems.push(`dns.${key} is not a list of strings`);
    }
  }
  if (dns.domain !== undefined && typeof dns.domain !== "string") problems.push("dns.domain is not a string");
}

function optionalArray(parent: Json, key: string, problems: string[], prefix = ""): unknown[] {
  const value = parent[key];
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  problems.push(`${prefix ? `${prefix}.` : ""}${key} is ${describe(value)}, not a list`);
  return [];
}

/** Checks "<ip>/<prefix>"; returns the address family, or null when it is not one. */
function expectCidr(value: unknown, where: string, problems: string[], family?: 4 | 6): 4 | 6 | null {
  const [address, prefix, extra] = typeof value === "string" ? value.split("/") : [];
  const found = address === undefined ? null : ipFamily(address);
  const bits = found === 4 ? 32 : 128;
  if (found === null || extra !== undefined || !/^\d{1,3}$/.test(prefix ?? "") || Number(prefix) > bits) {
    problems.push(`${where} ${JSON.stringify(value)} is not an address in CIDR notation`);
    return null;
  }
  if (family !== undefined && found !== family) problems.push(`${where} ${value} is not IPv${family}`);
  return found;
}

function expectIp(value: unknown, where: string, problems: string[]): void {
  if (typeof value !== "string" || ipFamily(value) === null) {
    problems.push(`${where} ${JSON.stringify(value)} is not an IP address`);
  }
}

/** 4 or 6 for a literal IPv4 or IPv6 address, else null. */
export function ipFamily(text: string): 4 | 6 | null {
  if (/^(\d{1,3})(\.\d{1,3}){3}$/.test(text)) {
    return text.split(".").every((octet) => Number(octet) <= 255 && !/^0\d/.test(octet)) ? 4 : null;
  }
  if (!text.includes(":") || /[^0-9a-fA-F:.]/.test(text)) return null;
  // The WHATWG URL parser implements the full IPv6 literal grammar (::, embedded IPv4).
  try {
    new URL(`http://[${text}]/`);
    return 6;
  } catch {
    return null;
  }
}

/** Colon-separated hex bytes: 6 for Ethernet, more for other link types (InfiniBand has 20). */
function isMac(value: unknown): boolean {
  return typeof value === "string" && /^([0-9a-fA-F]{2}:){5,}[0-9a-fA-F]{2}$/.test(value);
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "string" ? `the string ${JSON.stringify(value)}` : `a ${typeof value}`;
}
