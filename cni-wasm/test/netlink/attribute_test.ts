import assert from "node:assert/strict";
import { loadNetlink } from "./_netlink_module.ts";
import { bytesToHex, fixtureSection, hexToBytes } from "./_fixtures.ts";

const { nl } = await loadNetlink();

interface EncodeCase {
  name: string;
  ops: unknown[];
  hex: string;
}

// Hand-derived: nla_len (u16), nla_type (u16), payload, zero padding to 4 bytes.
const ENCODE_CASES: EncodeCase[] = [
  { name: "u8 pads 3 bytes", ops: [{ op: "u8", type: 16, value: 6 }], hex: "05 00 10 00 06 00 00 00" },
  { name: "u16 pads 2 bytes", ops: [{ op: "u16", type: 2, value: 0x1234 }], hex: "06 00 02 00 34 12 00 00" },
  { name: "u32", ops: [{ op: "u32", type: 4, value: 1400 }], hex: "08 00 04 00 78 05 00 00" },
  {
    name: "u64",
    ops: [{ op: "u64", type: 9, value: "1311768467463790320" }],
    hex: "0c 00 09 00 f0 de bc 9a 78 56 34 12",
  },
  { name: "i32 negative", ops: [{ op: "i32", type: 37, value: -1 }], hex: "08 00 25 00 ff ff ff ff" },
  {
    name: "string with NUL",
    ops: [{ op: "string", type: 3, value: "eth0" }],
    hex: "09 00 03 00 65 74 68 30 00 00 00 00",
  },
  {
    name: "string without NUL (iproute2's IFLA_INFO_KIND)",
    ops: [{ op: "string", type: 1, value: "macvtap", nul: false }],
    hex: "0b 00 01 00 6d 61 63 76 74 61 70 00",
  },
  {
    name: "empty string is just a NUL",
    ops: [{ op: "string", type: 3, value: "" }],
    hex: "05 00 03 00 00 00 00 00",
  },
  { name: "flag has no payload", ops: [{ op: "flag", type: 7 }], hex: "04 00 07 00" },
  {
    name: "bytes pad to 4",
    ops: [{ op: "bytes", type: 1, length: 6 }],
    hex: "0a 00 01 00 00 00 00 00 00 00 00 00",
  },
  {
    name: "nested IFLA_LINKINFO, byte-equal to `ip link add ... type macvtap mode bridge`",
    ops: [
      { op: "nestStart", type: 18 },
      { op: "string", type: 1, value: "macvtap", nul: false },
      { op: "nestStart", type: 2 },
      { op: "u32", type: 1, value: 4 },
      { op: "nestEnd" },
      { op: "nestEnd" },
    ],
    hex: "1c 00 12 00 0b 00 01 00 6d 61 63 76 74 61 70 00 0c 00 02 00 08 00 01 00 04 00 00 00",
  },
  {
    name: "NLA_F_NESTED is written when the caller ORs it in",
    ops: [{ op: "nestStart", type: 0x8000 | 18 }, { op: "u8", type: 1, value: 1 }, { op: "nestEnd" }],
    hex: "0c 00 12 80 05 00 01 00 01 00 00 00",
  },
];

Deno.test("attribute encoder: every writer against hand-derived bytes", () => {
  for (const c of ENCODE_CASES) {
    const bytes = nl.encodeAttributes(JSON.stringify(c.ops));
    assert.equal(nl.encodeError(), "", c.name);
    assert.equal(bytesToHex(bytes), bytesToHex(hexToBytes(c.hex)), c.name);
  }
});

Deno.test("attribute encoder: the first error sticks and nothing is returned", () => {
  const cases: Array<{ name: string; ops: unknown[]; error: RegExp }> = [
    {
      name: "payload over nla_len's u16",
      ops: [{ op: "bytes", type: 1, length: 65532 }, { op: "u32", type: 4, value: 1 }],
      error: /^attribute 1 is too long: 65536 bytes, nla_len is a u16$/,
    },
    {
      name: "nestEnd without nestStart",
      ops: [{ op: "nestEnd" }],
      error: /nestEnd without a matching nestStart/,
    },
    { name: "nest left open", ops: [{ op: "nestStart", type: 18 }], error: /nested attribute left open/ },
    {
      name: "nest grows past 64 KiB",
      ops: [{ op: "nestStart", type: 18 }, { op: "bytes", type: 1, length: 40000 }, {
        op: "bytes",
        type: 2,
        length: 40000,
      }, { op: "nestEnd" }],
      error: /nested attribute at offset 0 is too long: 80012 bytes/,
    },
  ];
  for (const c of cases) {
    const bytes = nl.encodeAttributes(JSON.stringify(c.ops));
    assert.equal(bytes.length, 0, c.name);
    assert.match(nl.encodeError(), c.error, c.name);
  }
});

interface Walk {
  attributes: Array<{ type: number; flags: number; length: number; nested?: Walk["attributes"] }>;
  error?: string;
}

Deno.test("attribute decoder: walks a recorded RTM_NEWLINK (eth0) without error", () => {
  const reply = fixtureSection("link_eth0", "reply-1");
  const walk: Walk = JSON.parse(nl.walkAttributes(reply, 16 + 16));
  assert.equal(walk.error, undefined);
  const types = walk.attributes.map((a) => a.type);
  assert.ok(types.includes(3) && types.includes(56) && types.includes(57), `types: ${types}`);
  // IFLA_PROP_LIST / IFLA_AF_SPEC come with NLA_F_NESTED and are walked as nests.
  const nested = walk.attributes.filter((a) => a.flags === 0x8000);
  assert.ok(nested.length > 0 && nested.every((a) => Array.isArray(a.nested)));
});

Deno.test("attribute decoder: truncated or lying headers are errors, never traps", () => {
  const cases: Array<{ name: string; hex: string; error: RegExp; seen: number }> = [
    {
      name: "3 bytes left",
      hex: "08 00 04 00 78 05 00 00 05 00 01",
      error: /truncated attribute header at offset 8: 3 bytes left/,
      seen: 1,
    },
    {
      name: "nla_len 3",
      hex: "03 00 01 00",
      error: /attribute 1 at offset 0 has length 3, shorter than its header/,
      seen: 0,
    },
    {
      name: "nla_len 0",
      hex: "00 00 00 00 00 00 00 00",
      error: /has length 0, shorter than its header/,
      seen: 0,
    },
    {
      name: "nla_len past the end",
      hex: "08 00 04 00 78 05 00 00 10 00 03 00 65 74 68 30",
      error: /attribute 3 at offset 8 has length 16, past the end \(8 bytes left\)/,
      seen: 1,
    },
  ];
  for (const c of cases) {
    const walk: Walk = JSON.parse(nl.walkAttributes(hexToBytes(c.hex), 0));
    assert.match(walk.error ?? "", c.error, c.name);
    assert.equal(walk.attributes.length, c.seen, c.name);
  }
});

Deno.test("attribute decoder: the last attribute may omit its padding", () => {
  const walk: Walk = JSON.parse(nl.walkAttributes(hexToBytes("08 00 04 00 78 05 00 00 05 00 10 00 06"), 0));
  assert.equal(walk.error, undefined);
  assert.deepEqual(walk.attributes.map((a) => a.length), [4, 1]);
});

interface Read {
  value?: unknown;
  error?: string;
  afterError?: unknown;
  nextAfterError: boolean;
}

Deno.test("attribute decoder: typed getters check the exact length", () => {
  const ok: Array<[string, string, unknown]> = [
    ["u8", "05 00 10 00 06 00 00 00", 6],
    ["u16", "06 00 02 00 34 12 00 00", 0x1234],
    ["u32", "08 00 04 00 78 05 00 00", 1400],
    ["u64", "0c 00 09 00 f0 de bc 9a 78 56 34 12", "1311768467463790320"],
    ["i32", "08 00 25 00 fe ff ff ff", -2],
    ["string", "09 00 03 00 65 74 68 30 00 00 00 00", "eth0"],
    ["string", "0b 00 01 00 6d 61 63 76 74 61 70 00", "macvtap"],
    ["flag", "04 00 07 00", true],
    ["bytes", "0a 00 01 00 02 00 00 00 00 01 00 00", [2, 0, 0, 0, 0, 1]],
  ];
  for (const [getter, hex, value] of ok) {
    const read: Read = JSON.parse(nl.readAttribute(hexToBytes(hex), getter));
    assert.equal(read.error, undefined, `${getter} ${hex}`);
    assert.deepEqual(read.value, value, `${getter} ${hex}`);
  }
  const wrong: Array<[string, string, string, unknown]> = [
    ["u32", "06 00 04 00 78 05 00 00", "attribute 4 is not a u32; length 2", 0],
    ["u8", "08 00 10 00 06 00 00 00", "attribute 16 is not a u8; length 4", 0],
    ["u16", "05 00 02 00 01 00 00 00", "attribute 2 is not a u16; length 1", 0],
    ["u64", "08 00 09 00 01 00 00 00", "attribute 9 is not a u64; length 4", "0"],
    ["i32", "0c 00 25 00 01 00 00 00 00 00 00 00", "attribute 37 is not a i32; length 8", 0],
    ["flag", "05 00 07 00 01 00 00 00", "attribute 7 is not a flag; length 1", false],
  ];
  for (const [getter, hex, error, zero] of wrong) {
    const read: Read = JSON.parse(nl.readAttribute(hexToBytes(hex + " 08 00 04 00 01 00 00 00"), getter));
    assert.equal(read.error, error);
    assert.deepEqual(read.value, zero, `${getter}: a failed read returns zero`);
    assert.deepEqual(read.afterError, zero, `${getter}: reads after an error return zero`);
    assert.equal(read.nextAfterError, false, `${getter}: next() stops after an error`);
  }
});
