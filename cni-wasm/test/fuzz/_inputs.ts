/**
 * The fuzzers' inputs, in one place: the in-process fuzzers (netlink/decoders_fuzz_test.ts,
 * cni/dispatch_fuzz_test.ts) and the native differential fuzzer (native_fuzz_test.ts) draw the very
 * same seeded sequences from these generators, so an input one of them reports replays in the others.
 *
 * Requires --allow-read on cni-wasm/test/testdata/netlink (the recorded datagrams) and --allow-env
 * (FUZZ_ITERATIONS).
 *
 * @module
 */
import { loadFixture } from "../netlink/_fixtures.ts";
import { mulberry32 } from "../../../testing/random.ts";

/** FUZZ_ITERATIONS when set (the `fuzz` and `bench` tasks use 100k), else `fallback`. */
export function fuzzIterations(fallback: number): number {
  const text = Deno.env.get("FUZZ_ITERATIONS");
  if (text === undefined) return fallback;
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`FUZZ_ITERATIONS must be a positive integer, got "${text}"`);
  }
  return count;
}

// ---------------------------------------------------------------- netlink decoders

/** The decoders' seed ("nlms"); decoder i draws from mulberry32(DECODER_SEED + i). */
export const DECODER_SEED = 0x6e6c6d73;

/** Where each decoder's input starts inside a recorded message: whole datagram, payload, or attributes. */
const START_IN_MESSAGE: Record<string, number> = {
  messages: 0,
  error: 0,
  done: 0,
  describe: 0,
  link: 16,
  address: 16,
  route: 16,
  attributes: 32,
};

/** Every recorded datagram (tools/capture_netlink.py): the seeds mutations start from. */
export function corpus(): Uint8Array[] {
  const files = [
    "link_dump",
    "link_eth0",
    "link_events",
    "errors",
    "addr_dump",
    "route_dump",
    "iproute2_requests",
  ];
  return files.flatMap((f) => [...loadFixture(f).values()]);
}

type Rng = () => number;

/** One element of `items`, chosen by `rng` (one draw). */
export function pickOne<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error(`cannot pick from ${items.length} items`);
  return item;
}

function randomBytes(rng: Rng, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(rng() * 256);
  return out;
}

/** Lengths that sit on the edges the decoders check. */
const INTERESTING_U16 = [0, 1, 3, 4, 5, 8, 15, 16, 17, 0x7fff, 0x8000, 0xfffc, 0xffff];

function mutateBytes(rng: Rng, input: Uint8Array): Uint8Array {
  const out = input.slice();
  const pick = (n: number) => Math.floor(rng() * n);
  switch (pick(5)) {
    case 0: // flip a few bytes
      for (let i = 0; i < 1 + pick(4) && out.length; i++) {
        const at = pick(out.length);
        out[at] = out[at]! ^ (1 << pick(8));
      }
      return out;
    case 1: // truncate
      return out.slice(0, pick(out.length + 1));
    case 2: { // an edge-case length (nla_len / nlmsg_len) at a 4-byte boundary
      if (out.length < 2) return out;
      const at = pick(Math.floor(out.length / 4)) * 4;
      new DataView(out.buffer).setUint16(
        Math.min(at, out.length - 2),
        pickOne(rng, INTERESTING_U16),
        true,
      );
      return out;
    }
    case 3: // duplicate a slice (nested structures inside structures)
      return new Uint8Array([...out.slice(0, pick(out.length)), ...out.slice(pick(out.length))]);
    default: // random tail
      return new Uint8Array([...out.slice(0, pick(out.length + 1)), ...randomBytes(rng, pick(64))]);
  }
}

/** One decoder input and where it came from (enough to regenerate it). */
export interface DecoderInput {
  decoder: string;
  /** Index of the decoder in the netlink test module's decoderNames(). */
  index: number;
  bytes: Uint8Array;
  origin: string;
}

/**
 * `perDecoder` inputs for each decoder in turn: 37.5 % random bytes, the rest mutations of the
 * recorded datagrams (cut to where that decoder starts reading).
 */
export function* decoderInputs(decoders: string[], perDecoder: number): Generator<DecoderInput> {
  const seeds = corpus();
  const randomInputs = Math.round(perDecoder * 0.375);
  for (const [index, decoder] of decoders.entries()) {
    const rng = mulberry32(DECODER_SEED + index);
    for (let i = 0; i < randomInputs; i++) {
      const bytes = randomBytes(rng, Math.floor(rng() * 200));
      yield { decoder, index, bytes, origin: `random #${i} (seed ${DECODER_SEED + index})` };
    }
    for (let i = 0; i < perDecoder - randomInputs; i++) {
      const base = pickOne(rng, seeds).subarray(START_IN_MESSAGE[decoder] ?? 0);
      const bytes = mutateBytes(rng, base);
      yield { decoder, index, bytes, origin: `mutation #${i} (seed ${DECODER_SEED + index})` };
    }
  }
}

// ---------------------------------------------------------------- the CNI front door

/** A config that passes every check, every optional field set. */
export const VALID_CONFIG = JSON.stringify({
  cniVersion: "1.0.0",
  name: "macvtap0",
  type: "macvtap",
  deviceID: "eth0Mvp3",
  pciBusID: "eth0Mvp3",
  mac: "02:00:00:00:00:01",
  mtu: 1500,
  promiscMode: true,
  owner: 107,
  group: 107,
  capabilities: { mac: true },
  runtimeConfig: { mac: "02:00:00:00:00:02", deviceID: "eth0Mvp3" },
  ipam: { type: "host-local", ranges: [[{ subnet: "10.0.0.0/24" }]] },
  args: { cni: { ips: ["10.0.0.5"] } },
  prevResult: { cniVersion: "1.0.0", interfaces: [{ name: "net1" }] },
});

/** The CNI_* variables of a valid ADD. */
export const VALID_ENV: Readonly<Record<string, string>> = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "c0ffee",
  CNI_NETNS: "/run/netns/pod",
  CNI_IFNAME: "net1",
  CNI_PATH: "/opt/cni/bin",
  CNI_ARGS: "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=vm;MAC=02:00:00:00:00:03;IP=10.0.0.5",
};
const COMMANDS = ["ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION", "add", "", "BOGUS"];
const ALPHABET = `{}[]":,.-+=;/ 0123456789abcdefxyzACDEFINMPV\\u00e9\u0001\n`;

/** The dispatch test module's env form: "NAME=value" lines (a newline inside a value becomes a space). */
export function envText(env: Record<string, string>): string {
  return Object.entries(env).map(([k, v]) => `${k}=${v.replaceAll("\n", " ")}`).join("\n");
}

function mutateText(text: string, random: () => number, edits: number): string {
  const chars = [...text];
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * (chars.length + 1));
    const c = ALPHABET.charAt(Math.floor(random() * ALPHABET.length));
    const op = random();
    if (op < 0.35) chars.splice(at, 1 + Math.floor(random() * 4));
    else if (op < 0.7) chars.splice(at, 0, c);
    else chars[at] = c;
  }
  return chars.join("");
}

/** One call of the CNI front door. */
export interface Invocation {
  env: Record<string, string>;
  stdin: string;
}

/** `iterations` calls with a random command, mutated or missing variables, and (mostly) a mutated config. */
export function* mutatedInvocations(iterations: number): Generator<Invocation> {
  const random = mulberry32(0xc0f1);
  for (let i = 0; i < iterations; i++) {
    const env = { ...VALID_ENV };
    env.CNI_COMMAND = pickOne(random, COMMANDS);
    for (const key of Object.keys(env)) {
      if (random() < 0.15) env[key] = mutateText(env[key]!, random, 1 + Math.floor(random() * 3));
      if (random() < 0.03) delete env[key];
    }
    const stdin = random() < 0.9 ? mutateText(VALID_CONFIG, random, 1 + Math.floor(random() * 6)) : "";
    yield { env, stdin };
  }
}

/** `count` valid configs with one field replaced by a value of the wrong type (run with VALID_ENV). */
export function* typeConfusedConfigs(count: number): Generator<string> {
  const random = mulberry32(0x7e57);
  const base = JSON.parse(VALID_CONFIG) as Record<string, unknown>;
  const odd = [null, true, 0, -1, 1e300, 1.5, "", "x".repeat(300), [], [1, "a"], {}, { type: 7 }];
  for (let i = 0; i < count; i++) {
    const config: Record<string, unknown> = structuredClone(base);
    const keys = Object.keys(config);
    const key = pickOne(random, keys);
    config[key] = pickOne(random, odd);
    yield JSON.stringify(config);
  }
}
