/**
 * TEST BROKER: the link broker protocol on stdin/stdout over the in-memory {@link FakeNodeLinks}, with one
 * physical-looking `eth0`. For tests and benchmarks of the daemon process that must not touch the kernel.
 * Needs no permissions.
 *
 * @module
 */
import { serveBrokerProtocol } from "./broker_server.ts";
import { FakeNodeLinks } from "./fake_node_links.ts";

if (import.meta.main) {
  const links = new FakeNodeLinks([{ name: "eth0", parentDevName: "virtio2", parentBusName: "virtio" }]);
  await serveBrokerProtocol({
    backend: links,
    input: Deno.stdin.readable,
    output: Deno.stdout.writable,
    implementation: "in-memory fake (test only)",
  });
}
