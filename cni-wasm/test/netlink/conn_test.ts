import assert from "node:assert/strict";
import { ackFor, concat, doneFor, headerOf, loadNetlink, message, restamp, u32 } from "./_netlink_module.ts";
import { fixtureSection, loadFixture } from "./_fixtures.ts";

const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_DUMP = 0x300;
const NLM_F_DUMP_INTR = 0x10;
const RTMGRP_LINK = 1;

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

/** A minimal RTM_NEWLINK request (set MTU 1400 on ifindex 3). */
function setMtuRequest(
  nl: { encodeLink(t: number, f: number, s: number, p: string): Uint8Array },
): Uint8Array {
  return nl.encodeLink(RTM_NEWLINK, NLM_F_REQUEST, 0, JSON.stringify({ index: 3, mtu: 1400 }));
}

/** The recorded link dump's reply datagrams, restamped as answers to `request` on `port`. */
function recordedDump(request: Uint8Array, port: number): Uint8Array[] {
  return [...loadFixture("link_dump")].filter(([name]) => name.startsWith("reply"))
    .map(([, datagram]) => restamp(datagram, headerOf(request).seq, port));
}

Deno.test("conn open: passes netns and groups, reads the port id as a full u32", async () => {
  const { nl, kernel } = await loadNetlink();
  assert.deepEqual(JSON.parse(nl.connOpen(7, RTMGRP_LINK)), { port: 0xfffff123, conn: 0 });
  assert.deepEqual(kernel.opened, [{ netns: 7, groups: RTMGRP_LINK }]);
  kernel.openErrno = 1;
  const failed = JSON.parse(nl.connOpen(-1, 0));
  assert.equal(failed.error.errno, 1);
  assert.equal(
    failed.text,
    'nl_open: EPERM (1): Operation not permitted, message: "cannot open a netlink socket"',
  );
});

Deno.test("conn request: adds NLM_F_ACK, numbers requests 1, 2, ... and returns null on ACK", async () => {
  const { nl, kernel } = await loadNetlink();
  kernel.responder = (request, k) => [ackFor(request, k.port)];
  nl.connOpen(-1, 0);
  assert.deepEqual(JSON.parse(nl.connRequest(setMtuRequest(nl), "RTM_NEWLINK")), { error: null });
  assert.deepEqual(JSON.parse(nl.connRequest(setMtuRequest(nl), "RTM_NEWLINK")), { error: null });
  assert.deepEqual(kernel.sent.map((m) => headerOf(m).seq), [1, 2]);
  assert.ok(kernel.sent.every((m) => headerOf(m).flags === (NLM_F_REQUEST | NLM_F_ACK)));
});

Deno.test("conn request: a kernel error comes back with errno, ext-ack message and offset", async () => {
  const { nl, kernel } = await loadNetlink();
  kernel.responder = (
    request,
    k,
  ) => [ackFor(request, k.port, 22, { message: "mtu greater than device maximum", offset: 32 })];
  nl.connOpen(-1, 0);
  const result = JSON.parse(nl.connRequest(setMtuRequest(nl), "RTM_NEWLINK index 3"));
  assert.deepEqual(result.error, { errno: 22, message: "mtu greater than device maximum", offset: 32 });
  assert.equal(
    result.text,
    'RTM_NEWLINK index 3: EINVAL (22): Invalid argument, message: "mtu greater than device maximum", offset 32',
  );
});

Deno.test("conn request: answers with another seq or port id are drained, not taken", async () => {
  const { nl, kernel } = await loadNetlink();
  kernel.responder = (request, k) => {
    const seq = headerOf(request).seq;
    const staleError = ackFor(request, k.port, 17);
    new DataView(staleError.buffer).setUint32(8, seq - 1 + 1000, true); // a reply to some other request
    const otherPort = ackFor(request, k.port + 1, 1);
    // The real ACK shares the datagram with a stray message; it is found behind it.
    return [staleError, concat(otherPort, ackFor(request, k.port))];
  };
  nl.connOpen(-1, 0);
  assert.deepEqual(JSON.parse(nl.connRequest(setMtuRequest(nl), "RTM_NEWLINK")), { error: null });
});

Deno.test("conn call: collects the reply messages before the ACK", async () => {
  const { nl, kernel } = await loadNetlink();
  const recorded = fixtureSection("errors", "getlink-reply-1");
  kernel.responder = (
    request,
    k,
  ) => [restamp(recorded, headerOf(request).seq, k.port), ackFor(request, k.port)];
  nl.connOpen(-1, 0);
  const query = nl.encodeLink(RTM_GETLINK, NLM_F_REQUEST, 0, JSON.stringify({ name: "vlo0" }));
  const result = JSON.parse(nl.connCall(query, "RTM_GETLINK"));
  assert.equal(result.error, null);
  assert.deepEqual(result.messages.map((m: Json) => m.link.name), ["vlo0"]);
});

Deno.test("conn dump: a multipart answer over several datagrams ends at NLMSG_DONE", async () => {
  const { nl, kernel } = await loadNetlink();
  kernel.responder = (request, k) => recordedDump(request, k.port);
  nl.connOpen(-1, 0);
  const query = nl.encodeLink(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 0, "{}");
  const result = JSON.parse(nl.connDump(query, "RTM_GETLINK dump"));
  assert.equal(result.error, null);
  assert.equal(result.messages.length, 7);
  assert.equal(headerOf(kernel.request(0)).flags, NLM_F_REQUEST | NLM_F_DUMP, "no NLM_F_ACK on dumps");
});

Deno.test("conn dump: an NLMSG_ERROR or an errno in NLMSG_DONE ends the dump with that error", async () => {
  const { nl, kernel } = await loadNetlink();
  nl.connOpen(-1, 0);
  const query = () => nl.encodeLink(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 0, "{}");
  kernel.responder = (request, k) => [ackFor(request, k.port, 95, { message: "dump not supported" })];
  const refused = JSON.parse(nl.connDump(query(), "RTM_GETLINK dump"));
  assert.deepEqual(refused.error, { errno: 95, message: "dump not supported" });
  assert.deepEqual(refused.messages, []);
  kernel.responder = (request, k) => [recordedDump(request, k.port)[0]!, doneFor(request, k.port, 16)];
  const failedLate = JSON.parse(nl.connDump(query(), "RTM_GETLINK dump"));
  assert.equal(failedLate.error.errno, 16);
  assert.deepEqual(failedLate.messages, [], "a failed dump returns no partial list");
});

Deno.test("conn dump: NLM_F_DUMP_INTR returns the messages with EINTR so the caller can retry", async () => {
  const { nl, kernel } = await loadNetlink();
  kernel.responder = (request, k) => {
    const [first, ...rest] = recordedDump(request, k.port);
    assert.ok(first, "the recorded dump has a first message");
    const flagged = first.slice();
    const v = new DataView(flagged.buffer);
    v.setUint16(6, v.getUint16(6, true) | NLM_F_DUMP_INTR, true);
    return [flagged, ...rest];
  };
  nl.connOpen(-1, 0);
  const result = JSON.parse(
    nl.connDump(nl.encodeLink(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 0, "{}"), "dump"),
  );
  assert.equal(result.error.errno, 4);
  assert.match(result.text, /NLM_F_DUMP_INTR/);
  assert.equal(result.messages.length, 7);
});

Deno.test("conn: no answer, a cut datagram and garbage are errors, never hangs or traps", async () => {
  const { nl, kernel } = await loadNetlink();
  nl.connOpen(-1, 0);
  nl.connSetTimeout(25);
  kernel.responder = () => [];
  const silent = JSON.parse(nl.connRequest(setMtuRequest(nl), "RTM_NEWLINK"));
  assert.equal(
    silent.text,
    'RTM_NEWLINK: ETIMEDOUT (110): Connection timed out, message: "no answer within 25 ms"',
  );
  kernel.responder = (request, k) => [concat(ackFor(request, k.port), new Uint8Array(70_000))];
  const huge = JSON.parse(nl.connRequest(setMtuRequest(nl), "RTM_NEWLINK"));
  assert.equal(huge.error.errno, 90);
  assert.match(huge.text, /filled the 65536-byte receive buffer/);
  kernel.responder = () => [new Uint8Array([0xff, 0xff, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0])];
  const garbage = JSON.parse(nl.connRequest(setMtuRequest(nl), "RTM_NEWLINK"));
  assert.equal(garbage.error.errno, 74);
  assert.match(garbage.text, /truncated message header at offset 0: 12 bytes left/);
  kernel.responder = () => [-104];
  assert.equal(JSON.parse(nl.connRequest(setMtuRequest(nl), "RTM_NEWLINK")).error.errno, 104);
});

Deno.test("conn events: recorded RTMGRP_LINK datagrams arrive in order; then a timeout", async () => {
  const { nl, kernel } = await loadNetlink();
  nl.connOpen(-1, RTMGRP_LINK);
  kernel.queue.push(...loadFixture("link_events").values());
  const names: string[] = [];
  for (;;) {
    const event = JSON.parse(nl.connRecvEvent(100));
    assert.equal(event.error, null);
    if (event.message === null) break;
    names.push(`${event.message.type} ${event.message.link.name}`);
  }
  assert.equal(names[0], "RTM_NEWLINK evt1");
  assert.equal(names.at(-1), "RTM_DELLINK evt1");
  kernel.queue.push(-105);
  const lost = JSON.parse(nl.connRecvEvent(100));
  assert.equal(lost.error.errno, 105, "ENOBUFS: events were dropped, re-list");
});

Deno.test("conn events: events that arrive during a request are kept for recvEvent", async () => {
  const { nl, kernel } = await loadNetlink();
  const event = fixtureSection("link_events", "event-1");
  kernel.responder = (request, k) => [event, ackFor(request, k.port)];
  nl.connOpen(-1, RTMGRP_LINK);
  assert.deepEqual(JSON.parse(nl.connRequest(setMtuRequest(nl), "RTM_NEWLINK")), { error: null });
  const kept = JSON.parse(nl.connRecvEvent(0));
  assert.equal(kept.message.link.name, "evt1");
  assert.equal(JSON.parse(nl.connRecvEvent(0)).message, null);
});

Deno.test("conn events: past 4096 waiting events the oldest are dropped and recvEvent says ENOBUFS", async () => {
  const { nl, kernel } = await loadNetlink();
  const event = (index: number) => message(RTM_NEWLINK, 0, 0, 0, concat(u32(0), u32(index), u32(0), u32(0)));
  const burst = (from: number, count: number) =>
    concat(...Array.from({ length: count }, (_, i) => event(from + i)));
  kernel.responder = (
    request,
    k,
  ) => [burst(1, 2000), burst(2001, 2000), burst(4001, 100), ackFor(request, k.port)];
  nl.connOpen(-1, RTMGRP_LINK);
  assert.deepEqual(JSON.parse(nl.connRequest(setMtuRequest(nl), "RTM_NEWLINK")), { error: null });
  const lost = JSON.parse(nl.connRecvEvent(0));
  assert.equal(lost.error.errno, 105);
  assert.match(lost.text, /more than 4096 events were waiting/);
  assert.equal(JSON.parse(nl.connRecvEvent(0)).message.link.index, 5, "events 1-4 were dropped");
});

Deno.test("conn close: once; later requests fail with EBADF without touching the host", async () => {
  const { nl, kernel } = await loadNetlink();
  nl.connOpen(-1, 0);
  nl.connClose();
  nl.connClose();
  assert.equal(kernel.closed, 1);
  const result = JSON.parse(nl.connRequest(setMtuRequest(nl), "RTM_NEWLINK"));
  assert.equal(result.error.errno, 9);
  assert.equal(kernel.sent.length, 0);
});

Deno.test("conn: a reply message with an unknown low type is skipped, not an error", async () => {
  const { nl, kernel } = await loadNetlink();
  kernel.responder = (request, k) => [
    concat(message(1, 0, headerOf(request).seq, k.port, u32(0)), ackFor(request, k.port)), // NLMSG_NOOP
  ];
  nl.connOpen(-1, 0);
  assert.deepEqual(JSON.parse(nl.connCall(setMtuRequest(nl), "x")), { error: null, messages: [] });
});
