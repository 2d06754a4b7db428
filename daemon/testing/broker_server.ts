/**
 * The broker side of the link broker protocol, over any {@link NodeLinks} backend.
 *
 * Used by the in-memory test broker (`daemon/testing/fake_broker.ts`) and by unit tests (backend =
 * {@link FakeNodeLinks}). The real link broker (cni-wasm/assembly/broker/) implements the same protocol in
 * the wasm; the mandate checks below are part of the protocol, not of this helper.
 *
 * @module
 */
import {
  BROKER_PROTOCOL_NAME,
  BROKER_PROTOCOL_VERSION,
  type BrokerLine,
  encodeLine,
  type Event,
  MAX_LINE_BYTES,
  parseRequest,
  type Request,
  TEMP_LINK_PATTERN,
} from "../links/broker_protocol.ts";
import { type LinkEvent, NodeLinkError, type NodeLinks } from "../links/node_links.ts";
import { LineWriter, readLines } from "../links/json_lines.ts";

/** What {@link serveBrokerProtocol} needs. */
export interface BrokerServeOptions {
  /** Where the work is done. */
  backend: NodeLinks;
  /** Request lines (a broker's stdin). */
  input: ReadableStream<Uint8Array>;
  /** Hello, responses and events (a broker's stdout). */
  output: WritableStream<Uint8Array>;
  /** Named in the hello line. */
  implementation: string;
}

/**
 * Answers requests until `input` ends, then stops watching and closes `output`.
 *
 * @returns resolves when the conversation is over
 */
export async function serveBrokerProtocol(options: BrokerServeOptions): Promise<void> {
  const writer = new LineWriter(options.output);
  const send = (line: BrokerLine) => writer.write(encodeLine(line)).catch(() => {});
  const session = new BrokerSession(options.backend, send);
  await send({
    hello: BROKER_PROTOCOL_NAME,
    version: BROKER_PROTOCOL_VERSION,
    implementation: options.implementation,
  });
  const inFlight = new Set<Promise<void>>();
  try {
    for await (const line of readLines(options.input, MAX_LINE_BYTES)) {
      if (line.trim() === "") continue;
      const answered = session.answer(line);
      inFlight.add(answered);
      answered.finally(() => inFlight.delete(answered));
    }
  } finally {
    await Promise.allSettled([...inFlight]);
    session.close();
    await writer.close();
  }
}

class BrokerSession {
  #watch: Disposable | null = null;

  constructor(private backend: NodeLinks, private send: (line: BrokerLine) => Promise<void>) {}

  async answer(line: string): Promise<void> {
    let request: Request;
    try {
      request = parseRequest(line);
    } catch (error) {
      const id = (error as { id?: number }).id ?? 0;
      return this.send({ id, error: { code: "EPROTO", message: (error as Error).message } });
    }
    try {
      const result = await this.#perform(request);
      await this.send({ id: request.id, result });
    } catch (error) {
      const code = error instanceof NodeLinkError ? error.code : "EIO";
      await this.send({ id: request.id, error: { code, message: (error as Error).message } });
    }
  }

  async #perform(request: Request): Promise<unknown> {
    switch (request.op) {
      case "list":
        return { links: await this.backend.list() };
      case "listTempLinks":
        return { links: await this.backend.listTempLinks() };
      case "listPeerMacvtaps":
        return { macvtaps: await this.backend.listPeerMacvtaps() };
      case "watch":
        this.#watch ??= await this.backend.watch((event) => void this.send(toEventLine(event)));
        return { watching: true };
      case "createMacvtap":
        requireTempName(request.name);
        return await this.backend.createMacvtap({
          name: request.name,
          lower: request.lower,
          mode: request.mode,
          ...(request.ifindex === undefined ? {} : { ifindex: request.ifindex }),
        });
      case "deleteLink":
        requireTempName(request.name);
        return { deleted: await this.backend.deleteLink(request.name) };
    }
  }

  close(): void {
    this.#watch?.[Symbol.dispose]();
    this.#watch = null;
  }
}

function requireTempName(name: string): void {
  if (!TEMP_LINK_PATTERN.test(name)) {
    throw new NodeLinkError("EPERM", `refusing to touch link "${name}": not a temp link name`);
  }
}

function toEventLine(event: LinkEvent): Event {
  if (event.type === "resync") return { event: "resync", reason: event.reason };
  return { event: "link", action: event.type, link: event.link };
}
