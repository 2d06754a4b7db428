// tap_stat / tap_chown on a real macvtap's /dev/tap<ifindex>, and the refusals:
// symlinks, files that are not character devices, missing nodes, bad ifindexes.
import assert from "node:assert/strict";
import { TestNetns, uniqueIfindex } from "../../../testing/netns.ts";
import { runProbe } from "./_probe.ts";
import { rootTest } from "../../../testing/root_gate.ts";

/** A macvtap on a veth lower inside a throwaway netns; /dev/tap<ifindex> appears globally. */
async function withMacvtap(body: (ifindex: number) => Promise<void>): Promise<void> {
  await using ns = await TestNetns.create("host-tap");
  await ns.addVeth("ht-lower", "ht-peer");
  const ifindex = await ns.addMacvtap("ht-tap", "ht-lower");
  await body(ifindex);
}

/** Creates /dev/tap<n> as something that is not a tap device, removing it afterwards. */
async function withFakeNode(make: (path: string) => Promise<void>, body: (n: number) => Promise<void>) {
  const ifindex = uniqueIfindex();
  const path = `/dev/tap${ifindex}`;
  await make(path);
  try {
    await body(ifindex);
  } finally {
    await Deno.remove(path);
  }
}

rootTest(
  "tap_stat/tap_chown: owner changes on the real device; -1 keeps uid or gid",
  async () => {
    await withMacvtap(async (ifindex) => {
      const before = await runProbe(["tap-stat", String(ifindex)]);
      assert.equal(before.values.get("stat"), "0", before.stdout);
      assert.match(before.values.get("mode") ?? "", /^20\d{3}$/, "a character device");

      assert.equal(
        (await runProbe(["tap-chown", String(ifindex), "107", "108"])).values.get("chown"),
        "0",
      );
      const info = await Deno.stat(`/dev/tap${ifindex}`);
      assert.deepEqual([info.uid, info.gid], [107, 108]);

      assert.equal((await runProbe(["tap-chown", String(ifindex), "-1", "0"])).values.get("chown"), "0");
      const after = await runProbe(["tap-stat", String(ifindex)]);
      assert.deepEqual([after.values.get("uid"), after.values.get("gid")], ["107", "0"]);
    });
  },
);

rootTest(
  "tap_chown/tap_stat: a symlink /dev/tapN is refused with -ELOOP and its target is untouched",
  async () => {
    const target = await Deno.makeTempFile();
    try {
      await withFakeNode((path) => Deno.symlink(target, path), async (ifindex) => {
        assert.equal(
          (await runProbe(["tap-chown", String(ifindex), "107", "107"])).values.get("chown"),
          "-40",
        );
        assert.equal((await runProbe(["tap-stat", String(ifindex)])).values.get("stat"), "-40");
        assert.equal((await Deno.stat(target)).uid, 0);
      });
    } finally {
      await Deno.remove(target);
    }
  },
);

rootTest(
  "tap_chown: a regular file at /dev/tapN is not a character device: -ENODEV, owner unchanged",
  async () => {
    await withFakeNode((path) => Deno.writeTextFile(path, ""), async (ifindex) => {
      assert.equal(
        (await runProbe(["tap-chown", String(ifindex), "107", "107"])).values.get("chown"),
        "-19",
      );
      assert.equal((await Deno.stat(`/dev/tap${ifindex}`)).uid, 0);
    });
  },
);

rootTest(
  "tap_stat/tap_chown: a missing node is -ENOENT, a non-positive ifindex or bad id -EINVAL",
  async () => {
    const missing = String(uniqueIfindex());
    assert.equal((await runProbe(["tap-stat", missing])).values.get("stat"), "-2");
    assert.equal((await runProbe(["tap-chown", missing, "1", "1"])).values.get("chown"), "-2");
    const run = await runProbe(["bad-handles"]);
    for (const key of ["tap_stat_zero", "tap_chown_negative", "tap_chown_bad_uid"]) {
      assert.equal(run.values.get(key), "-22", key);
    }
  },
);
