/**
 * Every repository path a Markdown file names in backticks exists, so a newcomer following a README never
 * looks for a file that moved or was removed.
 *
 * A code span counts as a path when it is made of path characters only (no spaces, no `<…>` placeholders,
 * no `://`) and either starts with an entry of the repository root or of the Markdown file's own folder
 * (`daemon/launch.ts`, `harness/runner.ts` in conformance/README.md), or is a file name with one of our
 * source extensions (`sandbox.ts`), which must then be the end of some file's path. Paths on a node
 * (`/dev/tapN`), build outputs (`dist/…`), fenced code blocks and other projects' files (`pkg/cni/plugin.go`,
 * `linux/netlink.h`, wasm2c's `wasm-rt-impl.c`) are not checked. A `*` checks the folder before it.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { pathExists } from "../testing/files.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
/** Generated or installed trees: not documentation, and not where documented paths live. */
const SKIPPED_DIRS = new Set([".git", "node_modules", "dist", "build", ".cache", "coverage"]);
const PATH_CHARS = /^[\w.-]+(\/[\w.*-]+)*\/?$/;
const OUR_EXTENSIONS = /\.(ts|py|sh|c|h)$/;
/** Files of other projects the docs name by their usual paths. */
const FOREIGN = [/^linux\//, /^wasm-rt/];

/** Every file under `root` (relative paths), skipping {@link SKIPPED_DIRS}. */
function filesUnder(root: string, dir = ""): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(dir ? `${root}/${dir}` : root)) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory && !SKIPPED_DIRS.has(entry.name)) found.push(...filesUnder(root, path));
    else if (entry.isFile) found.push(path);
  }
  return found;
}

/** The inline code spans of a Markdown text, with fenced blocks left out, and the line of each. */
function codeSpans(markdown: string): { text: string; line: number }[] {
  const spans: { text: string; line: number }[] = [];
  let fenced = false;
  markdown.split("\n").forEach((line, index) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    else if (!fenced) {
      for (const match of line.matchAll(/`([^`]+)`/g)) spans.push({ text: match[1] ?? "", line: index + 1 });
    }
  });
  return spans;
}

/** The part of a path that must exist: all of it, or the folder before its first `*`. */
function checkedPart(span: string): string {
  const star = span.indexOf("*");
  const path = star < 0 ? span : span.slice(0, span.lastIndexOf("/", star) + 1);
  return path.replace(/\/$/, "") || ".";
}

/** Why `span` in the Markdown file `doc` (relative to `root`) names no file, or null when it is fine. */
function missingPath(root: string, files: string[], doc: string, span: string): string | null {
  if (!PATH_CHARS.test(span) || span.startsWith("dist/") || FOREIGN.some((re) => re.test(span))) return null;
  const docDir = doc.includes("/") ? `${root}/${doc.slice(0, doc.lastIndexOf("/"))}` : root;
  const first = span.split("/")[0] ?? "";
  const part = checkedPart(span);
  if (pathExists(`${root}/${first}`) || pathExists(`${docDir}/${first}`)) {
    return pathExists(`${docDir}/${part}`) || pathExists(`${root}/${part}`) ? null : `no ${part}`;
  }
  if (span.includes("/") || !OUR_EXTENSIONS.test(span)) return null;
  return files.some((file) => file === span || file.endsWith(`/${span}`)) ? null : `no file named ${span}`;
}

/** Every backticked path of every Markdown file under `root` that does not exist, as "file:line: why". */
function missingDocPaths(root: string): string[] {
  const files = filesUnder(root);
  const problems: string[] = [];
  for (const doc of files.filter((file) => file.endsWith(".md"))) {
    for (const span of codeSpans(Deno.readTextFileSync(`${root}/${doc}`))) {
      const why = missingPath(root, files, doc, span.text);
      if (why) problems.push(`${doc}:${span.line}: \`${span.text}\`: ${why}`);
    }
  }
  return problems;
}

Deno.test("every repository path the Markdown files name exists", () => {
  assert.deepEqual(missingDocPaths(ROOT), []);
});

Deno.test("missingDocPaths() flags moved files and folders, not URLs, node paths, foreign files or examples", () => {
  const root = Deno.makeTempDirSync({ prefix: "doc-paths-" });
  try {
    Deno.mkdirSync(`${root}/daemon/links`, { recursive: true });
    Deno.mkdirSync(`${root}/dist`);
    Deno.writeTextFileSync(`${root}/daemon/links/node_links.ts`, "");
    Deno.writeTextFileSync(`${root}/daemon/README.md`, "`links/node_links.ts` and `links/`\n");
    Deno.writeTextFileSync(
      `${root}/README.md`,
      [
        "`daemon/links/node_links.ts` `daemon/links/*.ts` `node_links.ts` `dist/cni/macvtap` `/dev/tapN`",
        "`https://github.com/x/y` `pkg/cni/plugin.go` `linux/netlink.h` `wasm-rt-impl.c` `deno task test`",
        "`k8s.v1.cni.cncf.io/resourceName` `net/ipv4/conf/<if>/arp_notify` `SPEC.md`",
        "```",
        "daemon/host/gone.ts `daemon/host/gone.ts`",
        "```",
        "`daemon/host/links.ts` `daemon/gone/` `tools/launcher.sh` `launcher.sh` `gone/*.ts`",
      ].join("\n"),
    );
    assert.deepEqual(missingDocPaths(root), [
      "README.md:7: `daemon/host/links.ts`: no daemon/host/links.ts",
      "README.md:7: `daemon/gone/`: no daemon/gone",
      "README.md:7: `launcher.sh`: no file named launcher.sh",
    ]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
