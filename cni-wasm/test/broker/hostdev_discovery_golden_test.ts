// Hostdev discovery on golden bytes, end to end through the real code on both sides: the recorded virtio
// eth0 (link_eth0.hex) → the link broker's Link mapping (wasm) with this VM's real sysfs symlink targets
// for virtio2 (served by a fake bus_device_link) → the daemon's NIC selection (TypeScript). The same NIC
// is offered by driver virtio_net while it carries no default route, and never once it does.
import assert from "node:assert/strict";
import { loadModule } from "../load_module.ts";
import { fixtureSection } from "../netlink/_fixtures.ts";
import { type SysfsArguments, VIRTIO2_SYSFS } from "../hostdev/_hostdev_module.ts";
import { assignNics, nicDeviceId } from "../../../daemon/hostdev/nic_selection.ts";
import { checkLink } from "../../../daemon/links/broker_protocol.ts";
import type { HostdevResourceConfig } from "../../../daemon/config.ts";
import type { Link } from "../../../daemon/links/node_links.ts";

let memory: WebAssembly.Memory | null = null;
const text = (ptr: number, len: number) => new TextDecoder().decode(new Uint8Array(memory!.buffer, ptr, len));
const broker = await loadModule<{
  memory: WebAssembly.Memory;
  linksOfDatagramRouted(datagram: Uint8Array, defaultRouteIndex: number): string;
}>("broker", {
  macvtap_host: {
    link_numa_node: () => -2,
    bus_device_link: (...[bus, busLen, dev, devLen, which, buf, cap]: SysfsArguments) => {
      const target =
        VIRTIO2_SYSFS[`${text(bus, busLen)}/${text(dev, devLen)}${which === 1 ? "/driver" : ""}`];
      if (target === undefined) return -2;
      const bytes = new TextEncoder().encode(target);
      if (bytes.length > cap) return -34;
      new Uint8Array(memory!.buffer, buf, bytes.length).set(bytes);
      return bytes.length;
    },
  },
});
memory = broker.memory;

const eth0Datagram = fixtureSection("link_eth0", "reply-1");
const ETH0_INDEX = new DataView(eth0Datagram.buffer, eth0Datagram.byteOffset).getInt32(16 + 4, true);
const VIRTIO_NICS: HostdevResourceConfig = {
  name: "nics",
  kind: "hostdev",
  select: { by: "driver", driver: "virtio_net" },
};

function eth0(defaultRouteIndex: number): Link {
  const out = broker.linksOfDatagramRouted(eth0Datagram, defaultRouteIndex);
  assert.ok(!out.startsWith("err:"), out);
  const [link] = (JSON.parse(out) as unknown[]).map(checkLink);
  assert.ok(link, `the broker lists eth0: ${out}`);
  return link;
}

Deno.test("golden eth0: the broker reports driver virtio_net and PCI address 0000:00:03.0 (above virtio2)", () => {
  const link = eth0(0);
  assert.equal(link.driver, "virtio_net");
  assert.equal(link.pciAddress, "0000:00:03.0");
  assert.equal(link.defaultRoute, undefined);
  assert.equal(nicDeviceId(link), "0000:00:03.0");
});

Deno.test("golden eth0: offered by driver while it has no default route, never with one", () => {
  assert.deepEqual(assignNics([VIRTIO_NICS], [eth0(0)], new Set()).get("nics")!.map(nicDeviceId), [
    "0000:00:03.0",
  ]);
  const routed = eth0(ETH0_INDEX);
  assert.equal(routed.defaultRoute, true);
  assert.deepEqual(assignNics([VIRTIO_NICS], [routed], new Set()).get("nics"), []);
});
