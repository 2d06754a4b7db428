/**
 * One conversation with one link broker process: hello, numbered requests with deadlines, events.
 *
 * {@link BrokerNodeLinks} owns the process lifecycle (spawn, restart); this class only speaks the protocol
 * over a transport and fails everything pending when the transport ends.
 *
 * @module
 */
import {
  BROKER_PROTOCOL_VERSION,
  type BrokerLine,
  encodeLine,
  type Event,
  type Hello,
  MAX_LINE_BYTES,
  parseBrokerLine,
  type Request,
} from "./broker_protocol.ts";
import { NodeLinkError } from "./node_links.ts";
import { LineWriter, readLines } from "./json_lines.ts";

/** Byte streams to and from a broker, and how to end it. */
export interface BrokerTransport {
  /** The broker's stdout. */
  readable: ReadableStream<Uint8Array>;
  /** The broker's stdin. */
  writable: WritableStream<Uint8Array>;
  /** Resolves with a description ("exit code 1") once the broker is gone. */
  exited: Promise<string>;
  /** Ends the broker. */
  kill(): void;
}

/** Request fields after `id`. */
export type RequestBody = Request extends infer R ? R extends { id: number } ? Omit<R, "id"> : never : never;

interface Pending {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** A live conversation with a broker. */
export class BrokerConnection {
  /** Resolves with the broker's hello; rejects if it does not come, or has the wrong version. */
  readonly hello: Promise<Hello>;
  /** Resolves with the reason once the conversation is over. */
  readonly closed: Promise<string>;
  #writer: LineWriter;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #gone: string | null = null;
  #onEvent: (event: Event) => void;

  /**
   * @param transport the broker's streams
   * @param onEvent receives event lines
   * @param helloTimeoutMs how long to wait for the hello line
   */
  constructor(private transport: BrokerTransport, onEvent: (event: Event) => void, helloTimeoutMs: number) {
    this.#onEvent = onEvent;
    this.#writer = new LineWriter(transport.writable);
    let gotHello!: (hello: Hello) => void;
    let failHello!: (error: Error) => void;
    this.hello = new Promise((resolve, reject) => [gotHello, failHello] = [resolve, reject]);
    this.hello.catch(() => {});
    const timer = setTimeout(() => {
      failHello(new NodeLinkError("ETIMEDOUT", `link broker sent no hello within ${helloTimeoutMs} ms`));
      transport.kill();
    }, helloTimeoutMs);
    this.hello.finally(() => clearTimeout(timer)).catch(() => {});
    // stdout reaches EOF when the broker exits, so reading to the end sees every line it wrote.
    this.closed = this.#read(gotHello, failHello).then(async (reason) => {
      reason = `${reason} (${await transport.exited})`;
      this.#fail(reason);
      failHello(new NodeLinkError("EBROKER", `link broker ended before its hello: ${reason}`));
      return reason;
    });
  }

  /** Whether the conversation is still going. */
  get open(): boolean {
    return this.#gone === null;
  }

  /**
   * Sends a request and resolves with its `result`.
   *
   * @throws {NodeLinkError} with the broker's code, ETIMEDOUT after `timeoutMs`, or EBROKER when the broker is gone
   */
  request(body: RequestBody, timeoutMs: number): Promise<unknown> {
    if (this.#gone !== null) {
      return Promise.reject(new NodeLinkError("EBROKER", `link broker is gone: ${this.#gone}`));
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new NodeLinkError("ETIMEDOUT", `link broker did not answer ${body.op} within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#writer.write(encodeLine({ id, ...body } as Request)).catch((error) => {
        this.#settle(id, null, new NodeLinkError("EBROKER", `cannot write to link broker: ${error}`));
      });
    });
  }

  /** Ends the broker and fails what is pending. */
  async close(): Promise<void> {
    this.transport.kill();
    await this.#writer.close();
    await this.closed;
  }

  async #read(gotHello: (hello: Hello) => void, failHello: (error: Error) => void): Promise<string> {
    try {
      for await (const line of readLines(this.transport.readable, MAX_LINE_BYTES)) {
        this.#dispatch(parseBrokerLine(line), gotHello, failHello);
      }
      return "link broker closed its stdout";
    } catch (error) {
      // A broker that breaks the protocol cannot be trusted with further requests.
      this.transport.kill();
      return `link broker broke the protocol: ${(error as Error).message}`;
    }
  }

  #dispatch(line: BrokerLine, gotHello: (hello: Hello) => void, failHello: (error: Error) => void): void {
    if ("hello" in line) {
      if (line.version === BROKER_PROTOCOL_VERSION) return gotHello(line);
      failHello(
        new NodeLinkError(
          "EPROTO",
          `link broker speaks version ${line.version}, need ${BROKER_PROTOCOL_VERSION}`,
        ),
      );
      this.transport.kill();
    } else if ("event" in line) {
      this.#onEvent(line);
    } else if ("error" in line) {
      this.#settle(line.id, null, new NodeLinkError(line.error.code, `link broker: ${line.error.message}`));
    } else {
      this.#settle(line.id, line.result, null);
    }
  }

  #settle(id: number, result: unknown, error: Error | null): void {
    const pending = this.#pending.get(id);
    if (!pending) return; // timed out earlier, or an EPROTO answer to an unreadable line
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve(result);
  }

  #fail(reason: string): void {
    this.#gone ??= reason;
    for (const id of [...this.#pending.keys()]) {
      this.#settle(id, null, new NodeLinkError("EBROKER", `link broker is gone: ${reason}`));
    }
  }
}
