/**
 * Costs of the codec as the CNI and the broker use it, measured through the test
 * test module (so each figure includes one JS → wasm call and copying the input in).
 *
 * Run: deno bench -A cni-wasm/test/netlink/codec_bench.ts
 */
import { ackFor, headerOf, loadNetlink, restamp } from "./_netlink_module.ts";
import { fixtureSection, loadFixture } from "./_fixtures.ts";

const { nl, kernel } = await loadNetlink();
const fiveLinks = fixtureSection("link_dump", "reply-2");
const dump = [...loadFixture("link_dump")].filter(([name]) => name.startsWith("reply")).map(([, d]) => d);
const eth0 = fixtureSection("link_eth0", "reply-1");
nl.connOpen(-1, 0);

Deno.bench("decode a recorded dump datagram (5 RTM_NEWLINK, 7.5 KB)", () => {
  if (nl.countLinks(fiveLinks) !== 5) throw new Error("decode failed");
});

Deno.bench("encode RTM_NEWLINK create macvtap (Allocate)", () => {
  if (nl.encodeMacvtapCreate() !== 88) throw new Error("encode failed");
});

Deno.bench("rtnl.getLinkByName on the fake kernel (request, reply, ACK, decode)", (b) => {
  kernel.responder = (request, k) => [restamp(eth0, headerOf(request).seq, k.port), ackFor(request, k.port)];
  b.start();
  const index = nl.linkIndexByName("eth0");
  b.end();
  if (index <= 0) throw new Error(`getLinkByName: ${index}`);
});

Deno.bench("rtnl.listLinks on the fake kernel (7 links over 3 datagrams)", (b) => {
  kernel.responder = (request, k) => dump.map((d) => restamp(d, headerOf(request).seq, k.port));
  b.start();
  const count = nl.countListedLinks();
  b.end();
  if (count !== 7) throw new Error(`listLinks: ${count}`);
});

Deno.bench("describe a dump datagram as JSON (tests and logs only)", () => {
  nl.describe(fiveLinks);
});
