/**
 * Drives integration/datapath/frames.py: raw frames into and out of /dev/tapN (optionally as another uid,
 * like QEMU as 107:107) and a link's AF_PACKET socket inside a netns. Deno has neither AF_PACKET nor
 * setuid, so a small Python child does the I/O and reports JSON lines.
 *
 * Requires root, `--allow-run` (nsenter, /usr/bin/python3) and `--allow-read`.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { TestNetns } from "../../testing/netns.ts";

/** Debian's interpreter (the pyenv shims on PATH are not meant for uid 107 or for nsenter). */
export const PYTHON = "/usr/bin/python3";
const FRAMES_PY = fileURLToPath(new URL("../datapath/frames.py", import.meta.url));

/** Who opens the tap: QEMU in virt-launcher runs as 107:107. */
export interface Credentials {
  uid: number;
  gid: number;
}

/** One JSON line of frames.py. */
interface FramesEvent {
  event: "ready" | "frame" | "sent" | "opened" | "error" | "deadline";
  hex?: string;
  errno?: number;
  name?: string;
  what?: string;
}

function framesCommand(args: string[], netns?: TestNetns, as?: Credentials, deadlineS = 20): Deno.Command {
  const options = ["--deadline-s", String(deadlineS)];
  if (as) options.push("--uid", String(as.uid), "--gid", String(as.gid));
  const python = [PYTHON, FRAMES_PY, ...options, ...args];
  const [command, ...rest] = netns ? ["nsenter", `--net=${netns.path}`, "--", ...python] : python;
  return new Deno.Command(command!, { args: rest, stdin: "null", stdout: "piped", stderr: "inherit" });
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

async function runOnce(command: Deno.Command): Promise<FramesEvent> {
  const out = await command.output();
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  const event = JSON.parse(lines.at(-1) || "{}") as FramesEvent;
  if (!event.event) throw new Error(`frames.py said nothing (exit ${out.code})`);
  return event;
}

/** Writes one frame into /dev/tap<ifindex> as `as` (QEMU's side of the tap). */
export function sendOnTap(ifindex: number, frame: Uint8Array, as?: Credentials): Promise<void> {
  return sendOnTapPath(`/dev/tap${ifindex}`, frame, as);
}

/** Writes one frame into the tap character device at `path` as `as`. */
export async function sendOnTapPath(path: string, frame: Uint8Array, as?: Credentials): Promise<void> {
  const event = await runOnce(framesCommand(["send-tap", path, toHex(frame)], undefined, as));
  if (event.event !== "sent") throw new Error(`writing to ${path}: ${JSON.stringify(event)}`);
}

/** Sends one frame out of `ifname` in `netns`. */
export async function sendOnLink(netns: TestNetns, ifname: string, frame: Uint8Array): Promise<void> {
  const event = await runOnce(framesCommand(["send-link", ifname, toHex(frame)], netns));
  if (event.event !== "sent") {
    throw new Error(`sending on ${ifname} in ${netns.name}: ${JSON.stringify(event)}`);
  }
}

/** Opens /dev/tap<ifindex> read/write as `as`: null when it worked, else the errno name (e.g. "EACCES"). */
export async function tapOpenError(ifindex: number, as: Credentials): Promise<string | null> {
  const event = await runOnce(framesCommand(["open-tap", `/dev/tap${ifindex}`], undefined, as));
  if (event.event === "opened") return null;
  if (event.event === "error") return event.name ?? `errno ${event.errno}`;
  throw new Error(`open-tap: unexpected ${JSON.stringify(event)}`);
}

/** A running capture; frames are kept, so several expected frames can be looked for in any order. */
export class FrameCapture implements AsyncDisposable {
  private readonly seen: Uint8Array[] = [];
  private ended = "";

  private constructor(
    private readonly child: Deno.ChildProcess,
    private readonly lines: ReadableStreamDefaultReader<string>,
    private readonly source: string,
  ) {}

  /** Captures what `ifname` in `netns` receives; resolves once the socket is bound. */
  static onLink(netns: TestNetns, ifname: string): Promise<FrameCapture> {
    return FrameCapture.start(framesCommand(["capture-link", ifname], netns), `${ifname} in ${netns.name}`);
  }

  /** Reads what the macvtap hands to /dev/tap<ifindex>, opened as `as`; resolves once it is open. */
  static onTap(ifindex: number, as?: Credentials): Promise<FrameCapture> {
    return FrameCapture.start(
      framesCommand(["capture-tap", `/dev/tap${ifindex}`], undefined, as),
      `/dev/tap${ifindex}`,
    );
  }

  private static async start(command: Deno.Command, source: string): Promise<FrameCapture> {
    const child = command.spawn();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(splitLines()).getReader();
    const capture = new FrameCapture(child, lines, source);
    const first = await capture.nextEvent();
    if (first?.event !== "ready") {
      await capture[Symbol.asyncDispose]();
      throw new Error(`capture on ${source} did not start: ${JSON.stringify(first)}`);
    }
    return capture;
  }

  /**
   * The first frame (seen so far or arriving) for which `matches` is true. Fails when frames.py reaches
   * its deadline first, listing what it did see.
   */
  async find(matches: (frame: Uint8Array) => boolean, what: string): Promise<Uint8Array> {
    const earlier = this.seen.find(matches);
    if (earlier) return earlier;
    while (!this.ended) {
      const event = await this.nextEvent();
      if (event?.event === "frame" && event.hex) {
        const frame = fromHex(event.hex);
        this.seen.push(frame);
        if (matches(frame)) return frame;
      } else {
        this.ended = event ? JSON.stringify(event) : "end of output";
      }
    }
    const seen = this.seen.map(toHex).map((h) => h.slice(0, 80)).join("\n    ");
    throw new Error(`no ${what} on ${this.source} (${this.ended}); frames seen:\n    ${seen || "(none)"}`);
  }

  private async nextEvent(): Promise<FramesEvent | null> {
    const { value, done } = await this.lines.read();
    return done ? null : JSON.parse(value) as FramesEvent;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // it already reached its deadline and exited
    }
    await this.lines.cancel();
    await this.child.status;
  }
}

/** Splits a text stream into lines (no trailing newline, empty lines dropped). */
function splitLines(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, controller) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) if (line !== "") controller.enqueue(line);
    },
    flush(controller) {
      if (rest !== "") controller.enqueue(rest);
    },
  });
}
