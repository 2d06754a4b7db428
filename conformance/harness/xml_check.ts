/**
 * A strict reader for the XML the suite writes (no DTD, CDATA, comments or namespaces), and the JUnit
 * structure CI viewers read (Jenkins, GitLab, GitHub test reporters): testsuites > testsuite > testcase,
 * at most one failure/error/skipped per testcase, counts that add up. Used by the tests to prove the JUnit
 * file loads; anything it does not understand is an error, never ignored.
 *
 * @module
 */

/** An element: name, attributes, child elements and its text. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.-]*/;
// deno-lint-ignore no-control-regex
const NOT_XML_CHAR = /[\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\u{fffe}\u{ffff}\u{d800}-\u{dfff}]/u;
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Parses a whole document; throws naming the offset of the first error. */
export function parseXml(text: string): XmlElement {
  const bad = NOT_XML_CHAR.exec(text);
  if (bad) {
    throw new Error(
      `character U+${bad[0].codePointAt(0)!.toString(16)} is not allowed in XML (at ${bad.index})`,
    );
  }
  let pos = 0;
  const prolog = /^<\?xml version="1\.0" encoding="UTF-8"\?>\s*/.exec(text);
  if (prolog) pos = prolog[0].length;
  const [root, end] = parseElement(text, pos);
  if (text.slice(end).trim() !== "") throw new Error(`content after the root element (at ${end})`);
  return root;
}

function parseElement(text: string, start: number): [XmlElement, number] {
  if (text[start] !== "<") throw new Error(`expected "<" at ${start}`);
  const name = NAME.exec(text.slice(start + 1))?.[0];
  if (!name) throw new Error(`expected an element name at ${start + 1}`);
  const element: XmlElement = { name, attributes: {}, children: [], text: "" };
  let pos = parseAttributes(text, start + 1 + name.length, element);
  if (text.startsWith("/>", pos)) return [element, pos + 2];
  if (text[pos] !== ">") throw new Error(`expected ">" closing <${name}> at ${pos}`);
  pos++;
  while (!text.startsWith("</", pos)) {
    if (pos >= text.length) throw new Error(`<${name}> is never closed`);
    if (text[pos] === "<") {
      const [child, next] = parseElement(text, pos);
      element.children.push(child);
      pos = next;
      continue;
    }
    const next = text.indexOf("<", pos);
    element.text += decode(text.slice(pos, next < 0 ? text.length : next), pos);
    pos = next < 0 ? text.length : next;
  }
  const close = `</${name}>`;
  if (!text.startsWith(close, pos)) throw new Error(`expected ${close} at ${pos}`);
  return [element, pos + close.length];
}

function parseAttributes(text: string, start: number, element: XmlElement): number {
  let pos = start;
  while (true) {
    const space = /^\s*/.exec(text.slice(pos))![0].length;
    pos += space;
    if (text[pos] === ">" || text.startsWith("/>", pos)) return pos;
    if (space === 0) throw new Error(`expected whitespace before an attribute at ${pos}`);
    const match = /^([A-Za-z_][\w.-]*)="([^"<]*)"/.exec(text.slice(pos)) ??
      /^([A-Za-z_][\w.-]*)='([^'<]*)'/.exec(text.slice(pos));
    if (!match) throw new Error(`malformed attribute of <${element.name}> at ${pos}`);
    const [whole, name, value] = match as unknown as [string, string, string];
    if (name in element.attributes) throw new Error(`attribute ${name} twice at ${pos}`);
    element.attributes[name] = decode(value, pos);
    pos += whole.length;
  }
}

function decode(raw: string, at: number): string {
  if (raw.includes("]]>")) throw new Error(`"]]>" in text at ${at}`);
  return raw.replace(/&([^;]*);|&/g, (whole, ref: string | undefined) => {
    if (ref === undefined) throw new Error(`bare "&" at ${at}`);
    if (Object.hasOwn(ENTITIES, ref)) return ENTITIES[ref]!;
    const code = /^#x[0-9a-fA-F]+$/.test(ref)
      ? parseInt(ref.slice(2), 16)
      : /^#\d+$/.test(ref)
      ? Number(ref.slice(1))
      : NaN;
    const char = Number.isNaN(code) ? "" : String.fromCodePoint(code);
    if (char === "" || NOT_XML_CHAR.test(char)) throw new Error(`bad reference ${whole} at ${at}`);
    return char;
  });
}

/** Every way `root` departs from the JUnit structure CI viewers read; empty when it conforms. */
export function junitProblems(root: XmlElement): string[] {
  const problems: string[] = [];
  if (root.name !== "testsuites") problems.push(`root is <${root.name}>, not <testsuites>`);
  const totals = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const suite of root.children) {
    if (suite.name !== "testsuite") {
      problems.push(`<testsuites> holds <${suite.name}>`);
      continue;
    }
    const counts = checkSuite(suite, problems);
    for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += counts[key];
  }
  expectCounts(root, totals, "testsuites", problems);
  return problems;
}

function checkSuite(
  suite: XmlElement,
  problems: string[],
): Record<"tests" | "failures" | "errors" | "skipped", number> {
  const counts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const where = `testsuite "${suite.attributes.name}"`;
  if (!suite.attributes.name) problems.push("a testsuite has no name");
  for (const testcase of suite.children) {
    if (testcase.name === "properties") continue;
    if (testcase.name !== "testcase") {
      problems.push(`${where} holds <${testcase.name}>`);
      continue;
    }
    counts.tests++;
    for (const attribute of ["name", "classname", "time"]) {
      if (!testcase.attributes[attribute]) problems.push(`a testcase of ${where} has no ${attribute}`);
    }
    if (!/^\d+(\.\d+)?$/.test(testcase.attributes.time ?? "")) problems.push(`${where}: time is not seconds`);
    const outcomes = testcase.children.filter((c) => ["failure", "error", "skipped"].includes(c.name));
    if (outcomes.length > 1) {
      problems.push(`testcase "${testcase.attributes.name}" has ${outcomes.length} outcomes`);
    }
    for (const outcome of outcomes) {
      counts[outcome.name === "failure" ? "failures" : outcome.name === "error" ? "errors" : "skipped"]++;
    }
  }
  expectCounts(suite, counts, where, problems);
  return counts;
}

function expectCounts(
  element: XmlElement,
  counts: Record<string, number>,
  where: string,
  problems: string[],
): void {
  for (const [key, value] of Object.entries(counts)) {
    if (element.attributes[key] !== String(value)) {
      problems.push(`${where}: ${key}="${element.attributes[key]}" but it holds ${value}`);
    }
  }
}
