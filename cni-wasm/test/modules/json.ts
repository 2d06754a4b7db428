// Test module (asconfig.test.json): exposes the JSON module to Deno tests.
import { parseJson } from "../../assembly/json/parse";
import { stringify } from "../../assembly/json/stringify";

/** "ok:<compact JSON>" or "err:<message>". */
export function roundTrip(text: string): string {
  const parsed = parseJson(text);
  if (parsed.error != null) return "err:" + parsed.error!;
  return "ok:" + stringify(parsed.value!);
}

/** Indented output, as results are printed. */
export function pretty(text: string): string {
  const parsed = parseJson(text);
  if (parsed.error != null) return "err:" + parsed.error!;
  return stringify(parsed.value!, "    ");
}
