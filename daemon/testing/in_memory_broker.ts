/**
 * TEST HELPER: a link broker that runs in the test's own process — the broker side of the protocol
 * ({@link serveBrokerProtocol}) over in-memory streams, with any {@link NodeLinks} (usually the fake)
 * doing the work. Lets unit tests drive {@link BrokerNodeLinks} through the real protocol code.
 *
 * @module
 */
import type { BrokerTransport } from "../links/broker_connection.ts";
import type { BrokerFactory } from "../links/broker_node_links.ts";
import { serveBrokerProtocol } from "./broker_server.ts";
import type { NodeLinks } from "../links/node_links.ts";

/** A factory of in-memory brokers plus a way to crash the current one. */
export interface InMemoryBroker {
  factory: BrokerFactory;
  /** How many brokers were started. */
  readonly starts: number;
  /** Ends the current broker as if it had crashed. */
  crash(): void;
}

/** Brokers serving `backend` in memory. */
export function inMemoryBroker(backend: NodeLinks, implementation = "in-memory test broker"): InMemoryBroker {
  let starts = 0;
  let current: BrokerTransport | null = null;
  const factory: BrokerFactory = () => {
    starts++;
    current = startOne(backend, implementation);
    return current;
  };
  return {
    factory,
    get starts() {
      return starts;
    },
    crash: () => current?.kill(),
  };
}

function startOne(backend: NodeLinks, implementation: string): BrokerTransport {
  let requests!: ReadableStreamDefaultController<Uint8Array>;
  const input = new ReadableStream<Uint8Array>({ start: (c) => void (requests = c) });
  const endInput = () => {
    try {
      requests.close();
    } catch {
      // Already closed.
    }
  };
  const writable = new WritableStream<Uint8Array>({
    write: (chunk) => requests.enqueue(chunk),
    close: endInput,
  });
  const output = new TransformStream<Uint8Array, Uint8Array>();
  const exited = serveBrokerProtocol({ backend, input, output: output.writable, implementation })
    .then(() => "exit code 0", (error) => `failed: ${error}`);
  return { readable: output.readable, writable, exited, kill: endInput };
}
