// The hostdev NIC lookup on THIS machine, read-only: the hostdev test module runs findNic() on the native capability
// host (cni-wasm/test/native_module.ts) in the machine's own netns (RTM_GETLINK and RTM_GETROUTE dumps,
// sysfs readlinks; nothing is sent that changes a link). eth0 is this VM's virtio NIC and carries the
// default route, so asking for it by its PCI address must find it and refuse it. Its ifindex, name and MAC
// are compared before and after.
import assert from "node:assert/strict";
import { rootTest } from "../../../testing/root_gate.ts";
import { NativeModule } from "../native_module.ts";
import { machineEth0 } from "../../../testing/hostdev_node.ts";

/** eth0's PCI address from sysfs as Deno reads it (the nearest PCI device above its parent), or null. */
async function eth0PciAddress(): Promise<string | null> {
  try {
    const path = await Deno.realPath("/sys/class/net/eth0/device");
    return path.split("/").reverse().find((part) =>
      /^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(part)
    ) ??
      null;
  } catch {
    return null;
  }
}

const pci = await eth0PciAddress();

rootTest(
  "the machine's eth0 is found by its PCI address and refused: it carries the default route",
  async () => {
    const before = await machineEth0();
    {
      await using native = await NativeModule.start();
      const answer = JSON.parse(await native.call("lookupNic", pci!));
      assert.equal(answer.code, 101, JSON.stringify(answer));
      assert.match(
        answer.msg,
        /refusing to move "eth0" \(deviceID "[0-9a-f:.]+"\) into the pod: it carries a default route/,
      );
    }
    assert.equal(await machineEth0(), before);
  },
  { skip: pci === null ? "this machine's eth0 has no PCI address" : null },
);
