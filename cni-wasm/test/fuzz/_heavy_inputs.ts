/**
 * prevResult-heavy network configurations for the memory-ceiling test (memory_ceiling_test.ts) and the
 * JSON bounds test: the worst shapes found by hand (one per way a document can be expensive: one long
 * string, escapes, non-ASCII, many values, many keys, numbers that print long, deep nesting) and seeded
 * random mixtures of routes, interfaces, IPs, DNS and foreign keys, all sized up to the plugin's 4 MiB
 * stdin limit. Every config is a macvtap network for `deviceID`, cniVersion 1.0.0.
 *
 * @module
 */
import { mulberry32 } from "../../../testing/random.ts";
import { pickOne as pick } from "./_inputs.ts";

/** The plugin's stdin limit (cni-wasm/assembly/cni/stdin_limit.ts). */
export const STDIN_LIMIT_BYTES = 4 << 20;

/** The parser's cap on values per document (cni-wasm/assembly/json/parse.ts MAX_VALUES). */
export const MAX_VALUES = 1 << 16;

/** One config, named for failure messages. */
export interface HeavyConfig {
  name: string;
  /** The config's text, at most STDIN_LIMIT_BYTES of UTF-8. */
  text: string;
}

const encoder = new TextEncoder();

function byteLength(text: string): number {
  return encoder.encode(text).length;
}

/** The config around prevResult members `members` (JSON text without the braces). */
export function configWith(deviceID: string, members: string, extra = ""): string {
  return `{"cniVersion":"1.0.0","name":"heavy","type":"macvtap","deviceID":"${deviceID}"${extra},` +
    `"prevResult":{"cniVersion":"1.0.0"${members.length > 0 ? "," : ""}${members}}}`;
}

/** `head` + as many copies of `unit` as fit under the limit + `tail`, inside prevResult. */
function filled(deviceID: string, head: string, unit: string, tail: string, separator = ""): string {
  const room = STDIN_LIMIT_BYTES - byteLength(configWith(deviceID, head + tail));
  const count = Math.floor((room + separator.length) / (byteLength(unit) + separator.length));
  return configWith(deviceID, head + Array(count).fill(unit).join(separator) + tail);
}

function route(i: number): string {
  return `{"dst":"10.${(i >> 8) & 255}.${i & 255}.0/24","gw":"10.255.0.1"}`;
}

function interfaceAndIp(i: number): [string, string] {
  const mac = `02:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, "0")}:${
    (i & 255).toString(16).padStart(2, "0")
  }`;
  return [
    `{"name":"eth${i}","mac":"${mac}","sandbox":"/var/run/netns/p"}`,
    `{"address":"10.1.${(i >> 8) & 255}.${i & 255}/16","interface":${i}}`,
  ];
}

function list(count: number, item: (i: number) => string): string {
  return Array.from({ length: count }, (_, i) => item(i)).join(",");
}

/** The hand-made worst cases, each as large as its shape allows. */
export function worstShapes(deviceID: string): HeavyConfig[] {
  const ifaces = Array.from({ length: 1500 }, (_, i) => interfaceAndIp(i));
  const shapes: [string, string][] = [
    ["500 routes (184 MB before)", configWith(deviceID, `"routes":[${list(500, route)}]`)],
    [
      "1,500 interfaces and IPs (trapped at 2.1 GB before)",
      configWith(deviceID, `"interfaces":[${ifaces.map((p) => p[0])}],"ips":[${ifaces.map((p) => p[1])}]`),
    ],
    ["21,000 routes (just under the value cap)", configWith(deviceID, `"routes":[${list(21000, route)}]`)],
    ["one 4 MiB string", filled(deviceID, `"x":"`, "a", `"`)],
    ["one 4 MiB key", filled(deviceID, `"`, "k", `":1`)],
    ["a string of escapes", filled(deviceID, `"x":"`, "\\n", `"`)],
    ["a string of \\u escapes", filled(deviceID, `"x":"`, "\\u0001", `"`)],
    ["two-byte UTF-8", filled(deviceID, `"x":"`, "é", `"`)],
    ["four-byte UTF-8", filled(deviceID, `"x":"`, "😀", `"`)],
    ["60,000 keys", configWith(deviceID, list(60000, (i) => `"k${i}":${i}`))],
    ["numbers that print 5x longer, then a string", numbersThenString(deviceID)],
    [
      "nested 60 deep, 30,000 leaves",
      configWith(deviceID, `"x":${"[".repeat(59)}${list(30000, () => "[]")}${"]".repeat(59)}`),
    ],
    ["more values than the cap", filled(deviceID, `"x":[`, "0", `]`, ",")],
  ];
  return shapes.map(([name, text]) => ({ name, text }));
}

/** 60,000 numbers 1e20 (printed as 21+ digits), the rest of the 4 MiB one string. */
function numbersThenString(deviceID: string): string {
  const head = `"n":[${list(60000, () => "1e20")}],"s":"`;
  return filled(deviceID, head, "a", `"`);
}

type Rng = () => number;

/** Text with the characters that cost the most to read or write: escapes, control characters, non-ASCII. */
function randomText(rng: Rng, length: number): string {
  const alphabet = ["a", "Z", "0", "\n", "\t", '"', "\\", "\u0001", "é", "€", "😀", "/", " "];
  let out = "";
  for (let i = 0; i < length; i++) out += pick(rng, alphabet);
  return out;
}

/** A number of one of the kinds the parser and printer treat differently. */
function randomNumber(rng: Rng): number {
  return pick(rng, [
    () => Math.floor(rng() * 65536),
    () => -Math.floor(rng() * 1e9),
    () => rng() * 1e6,
    () => 1e20,
    () => 1e-7 * rng(),
    () => 2 ** 53 - 1,
  ])();
}

/** One prevResult member of a random kind, roughly `budget` bytes of JSON. */
function randomMember(rng: Rng, index: number, budget: number): [string, unknown] {
  const count = Math.max(1, Math.floor(budget / 60));
  switch (Math.floor(rng() * 6)) {
    case 0:
      return [
        "routes",
        Array.from({ length: count }, (_, i) => ({ dst: `10.${i & 255}.0.0/16`, gw: "10.0.0.1" })),
      ];
    case 1:
      return [
        "ips",
        Array.from({ length: count }, (_, i) => ({ address: `fd00::${i.toString(16)}/64`, interface: i })),
      ];
    case 2:
      return ["dns", {
        nameservers: Array.from({ length: count }, (_, i) => `10.0.${i & 255}.53`),
        search: ["a.b"],
      }];
    case 3:
      return [`x-text-${index}`, randomText(rng, Math.max(1, Math.floor(budget / 2)))];
    case 4:
      return [`x-numbers-${index}`, Array.from({ length: count * 4 }, () => randomNumber(rng))];
    default:
      return [`x-nested-${index}`, nested(rng, count * 2, 1 + Math.floor(rng() * 40))];
  }
}

function nested(rng: Rng, leaves: number, depth: number): unknown {
  let value: unknown = Array.from({ length: leaves }, () => (rng() < 0.5 ? {} : [randomNumber(rng)]));
  for (let i = 0; i < depth; i++) value = rng() < 0.5 ? [value] : { [`d${i}`]: value };
  return value;
}

/** `count` random mixtures, sizes spread from ~1 KiB to the 4 MiB limit (log-uniform); seeded. */
export function* randomHeavyConfigs(
  deviceID: string,
  count: number,
  seed = 0x68656176,
): Generator<HeavyConfig> {
  const rng = mulberry32(seed);
  for (let n = 0; n < count; n++) {
    const target = Math.floor(2 ** (10 + rng() * 12));
    const members: [string, unknown][] = [];
    const parts = 1 + Math.floor(rng() * 5);
    for (let i = 0; i < parts; i++) members.push(randomMember(rng, i, target / parts));
    let text = configWith(
      deviceID,
      members.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(","),
    );
    while (byteLength(text) > STDIN_LIMIT_BYTES && members.length > 1) {
      members.pop();
      text = configWith(
        deviceID,
        members.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(","),
      );
    }
    if (byteLength(text) <= STDIN_LIMIT_BYTES) {
      yield { name: `random mixture #${n} (${byteLength(text)} bytes)`, text };
    }
  }
}

/** Every config must fit the limit; a generator bug would otherwise test the limit's error instead. */
export function assertWithinLimit(config: HeavyConfig): void {
  const size = byteLength(config.text);
  if (size > STDIN_LIMIT_BYTES) {
    throw new Error(`${config.name}: ${size} bytes, over the ${STDIN_LIMIT_BYTES} limit`);
  }
}
