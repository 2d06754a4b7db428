import assert from "node:assert/strict";
import { LineTooLongError, LineWriter, readLines } from "./json_lines.ts";

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return ReadableStream.from(chunks.map((chunk) => encoder.encode(chunk)));
}

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

Deno.test("readLines() joins chunks, splits lines and keeps a last unterminated line", async () => {
  assert.deepEqual(await collect(readLines(streamOf('{"a":', '1}\n{"b"', ":2}\n\nlast"), 100)), [
    '{"a":1}',
    '{"b":2}',
    "",
    "last",
  ]);
});

Deno.test("readLines() decodes UTF-8 split across chunks", async () => {
  const bytes = new TextEncoder().encode("é\n");
  const stream = ReadableStream.from([bytes.slice(0, 1), bytes.slice(1)]);
  assert.deepEqual(await collect(readLines(stream, 10)), ["é"]);
});

Deno.test("readLines() refuses a line over the limit", async () => {
  await assert.rejects(collect(readLines(streamOf("x".repeat(11) + "\n"), 10)), LineTooLongError);
  await assert.rejects(collect(readLines(streamOf("x".repeat(50)), 10)), LineTooLongError);
});

Deno.test("LineWriter keeps concurrent lines whole and in order", async () => {
  const pipe = new TransformStream<Uint8Array, Uint8Array>();
  const writer = new LineWriter(pipe.writable);
  const lines = Array.from({ length: 50 }, (_, i) => `line ${i}`);
  const reading = collect(readLines(pipe.readable, 100));
  await Promise.all(lines.map((line) => writer.write(line + "\n")));
  await writer.close();
  assert.deepEqual(await reading, lines);
});
