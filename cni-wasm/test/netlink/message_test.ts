import assert from "node:assert/strict";
import { attr, concat, cstring, headerOf, loadNetlink, message, u32 } from "./_netlink_module.ts";
import { fixtureSection, hexToBytes } from "./_fixtures.ts";

const { nl } = await loadNetlink();

interface Walk {
  messages: Array<{ offset: number; length: number; type: number; payloadLength: number }>;
  error?: string;
}

interface Described {
  messages: Array<Record<string, unknown> & { type: string; seq: number }>;
  error?: string;
}

const describe = (bytes: Uint8Array): Described => JSON.parse(nl.describe(bytes));

/** The first message `bytes` describe; fails the test when there is none. */
function firstMessage(bytes: Uint8Array): Described["messages"][number] {
  const [first] = describe(bytes).messages;
  assert.ok(first, "the datagram describes at least one message");
  return first;
}

Deno.test("message walk: a recorded multipart datagram holds several messages, each aligned", () => {
  const datagram = fixtureSection("link_dump", "reply-1");
  const walk: Walk = JSON.parse(nl.walkMessages(datagram));
  assert.equal(walk.error, undefined);
  const [first, second] = walk.messages;
  assert.ok(first && second && walk.messages.length === 2, `two messages: ${JSON.stringify(walk.messages)}`);
  assert.equal(first.offset, 0);
  assert.equal(second.offset, (first.length + 3) & ~3);
  assert.equal(second.offset + second.length, datagram.length);
  assert.ok(walk.messages.every((m) => m.type === 16 && m.payloadLength === m.length - 16));
});

Deno.test("message walk: misleading lengths stop the walk with an error", () => {
  const good = message(16, 0, 1, 0, new Uint8Array(16));
  const cases: Array<{ name: string; bytes: Uint8Array; seen: number; error: RegExp }> = [
    {
      name: "nlmsg_len past the datagram",
      bytes: concat(good, hexToBytes("ff 00 00 00 10 00 00 00 00 00 00 00 00 00 00 00")),
      seen: 1,
      error: /message at offset 32 has nlmsg_len 255, past the end of the datagram \(16 bytes left\)/,
    },
    {
      name: "nlmsg_len shorter than a header",
      bytes: hexToBytes("0c 00 00 00 10 00 00 00 00 00 00 00 00 00 00 00"),
      seen: 0,
      error: /message at offset 0 has nlmsg_len 12, shorter than its header/,
    },
    {
      name: "truncated header",
      bytes: concat(good, hexToBytes("10 00 00 00 10 00")),
      seen: 1,
      error: /truncated message header at offset 32: 6 bytes left/,
    },
    {
      name: "nlmsg_len 0xffffffff",
      bytes: hexToBytes("ff ff ff ff 10 00 00 00 00 00 00 00 00 00 00 00"),
      seen: 0,
      error: /has nlmsg_len 4294967295, past the end/,
    },
  ];
  for (const c of cases) {
    const walk: Walk = JSON.parse(nl.walkMessages(c.bytes));
    assert.equal(walk.messages.length, c.seen, c.name);
    assert.match(walk.error ?? "", c.error, c.name);
  }
  assert.deepEqual(JSON.parse(nl.walkMessages(new Uint8Array(0))), { messages: [] });
});

Deno.test("errors: recorded ACK and errnos, capped, uncapped and without ext-ack", () => {
  const expected: Array<[string, Record<string, unknown>]> = [
    ["ack", { errno: 0 }],
    ["eexist-capped", { errno: 17 }],
    ["eexist-uncapped", { errno: 17 }],
    ["eexist-plain", { errno: 17 }],
    ["einval", { errno: 22, message: "mtu greater than device maximum" }],
    ["enodev", { errno: 19 }],
  ];
  for (const [section, error] of expected) {
    const m = firstMessage(fixtureSection("errors", section));
    assert.equal(m.type, "NLMSG_ERROR", section);
    assert.deepEqual(m.error, error, section);
  }
});

Deno.test("errors: toString names op, errno, text, ext-ack message and offset", () => {
  const einval = fixtureSection("errors", "einval");
  assert.equal(
    nl.errorText(einval, "RTM_NEWLINK"),
    'RTM_NEWLINK: EINVAL (22): Invalid argument, message: "mtu greater than device maximum"',
  );
  assert.equal(
    nl.errorText(fixtureSection("errors", "eexist-capped"), "RTM_NEWLINK"),
    "RTM_NEWLINK: EEXIST (17): File exists",
  );
  const withOffset = errorMessage(17, 0x300, { message: "link exists", offset: 36 });
  assert.equal(
    nl.errorText(withOffset, "RTM_NEWLINK"),
    'RTM_NEWLINK: EEXIST (17): File exists, message: "link exists", offset 36',
  );
  assert.equal(nl.errorText(errorMessage(4095, 0x100), "X"), "X: errno 4095 (4095): Unknown error 4095");
});

/** NLMSG_ERROR for a 20-byte request, capped (flag 0x100) or with the request echoed in full. */
function errorMessage(
  errno: number,
  flags: number,
  ext: { message?: string; offset?: number; missType?: number; missNest?: number } = {},
  tlvOverride?: Uint8Array,
): Uint8Array {
  const request = message(
    16,
    5,
    7,
    0,
    hexToBytes("00 00 00 00 03 00 00 00 00 00 00 00 00 00 00 00 08 00 04 00"),
  );
  const echo = (flags & 0x100) ? request.subarray(0, 16) : request;
  const tlvs = tlvOverride ?? concat(
    ext.message !== undefined ? attr(1, cstring(ext.message)) : new Uint8Array(0),
    ext.offset !== undefined ? attr(2, u32(ext.offset)) : new Uint8Array(0),
    ext.missType !== undefined ? attr(5, u32(ext.missType)) : new Uint8Array(0),
    ext.missNest !== undefined ? attr(6, u32(ext.missNest)) : new Uint8Array(0),
  );
  return message(2, flags, 7, 99, concat(u32(-errno), echo, tlvs));
}

Deno.test("errors: ext-ack TLVs after an uncapped echo are found through the echoed nlmsg_len", () => {
  const uncapped = errorMessage(22, 0x200, { message: "bad mtu", offset: 32 });
  assert.deepEqual(firstMessage(uncapped).error, { errno: 22, message: "bad mtu", offset: 32 });
  const missing = errorMessage(22, 0x300, { missType: 3, missNest: 20 });
  assert.deepEqual(firstMessage(missing).error, { errno: 22, missingType: 3, missingNest: 20 });
  assert.match(nl.errorText(missing, "RTM_NEWLINK"), /missing attribute 3 in the nest at offset 20$/);
});

Deno.test("errors: malformed ext-ack TLVs are ignored, the errno is kept", () => {
  const cases: Array<[string, Uint8Array]> = [
    ["TLV length past the end", errorMessage(17, 0x300, {}, hexToBytes("ff 00 01 00 41 42 43 00"))],
    ["TLV header cut short", errorMessage(17, 0x300, {}, hexToBytes("08 00"))],
    ["OFFS is not a u32", errorMessage(17, 0x300, {}, hexToBytes("06 00 02 00 01 00 00 00"))],
    [
      "echoed nlmsg_len runs past the payload",
      message(
        2,
        0x200,
        7,
        99,
        concat(u32(-17), hexToBytes("ff 00 00 00 10 00 05 00 07 00 00 00 00 00 00 00")),
      ),
    ],
    [
      "echoed nlmsg_len shorter than a header",
      message(
        2,
        0x200,
        7,
        99,
        concat(u32(-17), hexToBytes("04 00 00 00 10 00 05 00 07 00 00 00 00 00 00 00")),
      ),
    ],
  ];
  for (const [name, bytes] of cases) {
    const m = firstMessage(bytes);
    assert.equal((m.error as { errno: number }).errno, 17, name);
  }
});

Deno.test("errors: payloads that cannot hold an errno become EBADMSG, not a trap", () => {
  const short = message(2, 0, 7, 99, hexToBytes("ef ff"));
  assert.deepEqual(firstMessage(short).error, {
    errno: 74,
    message: "error payload is 2 bytes, too short for an errno",
  });
  const positive = message(2, 0, 7, 99, concat(u32(17), new Uint8Array(16)));
  assert.deepEqual(firstMessage(positive).error, {
    errno: 74,
    message: "error payload holds 17, not a negated errno",
  });
});

Deno.test("errors: NLMSG_DONE carries a dump's errno and ext-ack TLVs after it", () => {
  const recorded = fixtureSection("link_dump", "reply-3");
  assert.deepEqual(firstMessage(recorded), {
    type: "NLMSG_DONE",
    flags: 2,
    seq: headerOf(recorded).seq,
    pid: headerOf(recorded).pid,
    done: { errno: 0 },
  });
  const failed = message(3, 0x202, 9, 99, concat(u32(-16), attr(1, cstring("dump busy"))));
  assert.deepEqual(firstMessage(failed).done, { errno: 16, message: "dump busy" });
  assert.equal(
    nl.errorText(failed, "RTM_GETLINK dump"),
    'RTM_GETLINK dump: EBUSY (16): Device or resource busy, message: "dump busy"',
  );
  const empty = message(3, 2, 9, 99, new Uint8Array(0));
  assert.deepEqual(firstMessage(empty).done, { errno: 0 });
});
