import assert from "node:assert/strict";
import { PodListTrust } from "./pod_list_trust.ts";

const ETH0 = "macvtap.network.kubevirt.io/eth0";
const held = (...ids: string[]) => [{ resourceName: ETH0, deviceIds: ids }];

Deno.test("PodListTrust: paused at start until the List stayed the same for the grace period", () => {
  let clock = 0;
  const trust = new PodListTrust(1000, () => clock);
  assert.equal(trust.observe(held()), false);
  clock = 600;
  assert.equal(trust.observe(held("eth0Mvp1")), false, "the list changed: the wait starts again");
  clock = 1500;
  assert.equal(trust.observe(held("eth0Mvp1")), false, "stable for 900 ms only");
  clock = 1600;
  assert.equal(trust.observe(held("eth0Mvp1")), true);
  clock = 1700;
  assert.equal(trust.observe(held()), true, "pods coming and going later do not pause it");
});

Deno.test("PodListTrust: a kubelet restart pauses it again, even with an unchanged List", () => {
  let clock = 0;
  const trust = new PodListTrust(1000, () => clock);
  clock = 1000;
  assert.equal(trust.observe(held("eth0Mvp1")), false);
  clock = 2000;
  assert.equal(trust.observe(held("eth0Mvp1")), true);
  trust.kubeletRestarted();
  assert.equal(trust.paused, true);
  clock = 2500;
  assert.equal(trust.observe(held("eth0Mvp1")), false, "the first List after the restart starts the wait");
  clock = 3400;
  assert.equal(trust.observe(held("eth0Mvp1")), false);
  clock = 3500;
  assert.equal(trust.observe(held("eth0Mvp1")), true);
});

Deno.test("PodListTrust: devices of other resource domains and their order do not count as changes", () => {
  let clock = 0;
  const trust = new PodListTrust(1000, () => clock);
  trust.observe(held("eth0Mvp1", "eth0Mvp2"));
  clock = 999;
  trust.observe([...held("eth0Mvp2", "eth0Mvp1"), { resourceName: "nvidia.com/gpu", deviceIds: ["GPU-1"] }]);
  clock = 1000;
  assert.equal(trust.observe(held("eth0Mvp1", "eth0Mvp2")), true);
});

Deno.test("PodListTrust with no grace period trusts the first List", () => {
  const trust = new PodListTrust(0);
  assert.equal(trust.observe([]), true);
});
