import assert from "node:assert/strict";
import type { RuleResult } from "./report.ts";
import { jsonReport, junitXml, type ReportMeta, ruleCells, xmlAttr } from "./report_files.ts";
import { junitProblems, parseXml } from "./xml_check.ts";

const NASTY = 'stdout: {"msg": "a <b> & \'c\'"}\n\tstderr: \u001b[31mred\u001b[0m \u0000 😀 \ud800 ]]>';

const result = (
  rule: string,
  version: string,
  outcome: RuleResult["outcome"],
  detail?: string,
): RuleResult => ({
  rule,
  profile: "p",
  version,
  outcome,
  testName: `${rule} [p ${version}] case`,
  detail,
  durationMs: 120,
});

const RESULTS: RuleResult[] = [
  result("DEL-twice", "0.4.0", "pass"),
  result("DEL-twice", "1.0.0", "pass"),
  result("DEL-twice", "1.0.0", "fail", `second DEL: expected exit 0, got 1\n  ${NASTY}`),
  result("VERSION-echo", "0.4.0", "deviation", 'answers 1.0.0 (observed: VERSION: cniVersion "1.0.0")'),
  result("ADD-ips-version", "1.0.0", "n/a", "no ips"),
  result("DEL-never-added", "any", "pass"),
];
const META: ReportMeta = {
  plugins: [{ profile: "p", description: "a plugin", versions: ["0.4.0", "1.0.0"] }],
  startedAt: new Date("2026-01-02T03:04:05Z"),
  durationMs: 4321,
};

Deno.test("report files: one cell per rule x version, the worst case wins, first failure line", () => {
  const cells = ruleCells(RESULTS);
  assert.deepEqual(cells.map((c) => `${c.id}@${c.version}=${c.outcome}`), [
    "VERSION-echo@0.4.0=deviation",
    "ADD-ips-version@1.0.0=n/a",
    "DEL-twice@0.4.0=pass",
    "DEL-twice@1.0.0=fail",
    "DEL-never-added@any=pass",
  ]);
  const failed = cells.find((c) => c.outcome === "fail")!;
  assert.equal(failed.firstFailure, "second DEL: expected exit 0, got 1");
  assert.equal(failed.cases.length, 2);
  assert.equal(failed.durationMs, 240);
  assert.match(failed.source, /^SPEC 1\.0\.0 §2 DEL: "Plugins MUST accept multiple DEL calls/);
  assert.equal(cells[0]!.firstFailure, 'VERSION: cniVersion "1.0.0"');
  assert.equal(cells[1]!.firstFailure, null);
});

Deno.test("report files: the JSON report carries id, title, source, outcome and first failure per cell", () => {
  const report = JSON.parse(jsonReport(ruleCells(RESULTS), META));
  assert.equal(report.format, "cni-conformance-report/1");
  assert.deepEqual(report.summary, { pass: 2, fail: 1, deviation: 1, "n/a": 1 });
  for (const cell of report.rules) {
    for (const key of ["id", "title", "source", "outcome", "firstFailure", "version"]) {
      assert.ok(key in cell, key);
    }
  }
});

Deno.test("report files: the JUnit XML is well-formed and has the structure CI viewers read", () => {
  const text = junitXml(ruleCells(RESULTS), META);
  const root = parseXml(text);
  assert.deepEqual(junitProblems(root), []);
  const cases = root.children.flatMap((s) => s.children);
  assert.equal(cases.length, 5, "one testcase per rule x version");
  const failure = cases.find((c) => c.children[0]?.name === "failure")!;
  assert.equal(failure.attributes.name, "DEL-twice: a second DEL of the same attachment succeeds");
  assert.equal(failure.attributes.classname, "cni-conformance.p.v1_0_0");
  assert.equal(failure.children[0]!.attributes.message, "second DEL: expected exit 0, got 1");
  assert.ok(failure.children[0]!.text.includes('{"msg": "a <b> & \'c\'"}'), "text survives escaping");
  assert.ok(failure.children[0]!.text.includes("\\u{1b}[31mred"), "ESC is shown, not written");
  assert.ok(failure.children[0]!.text.includes("😀 \\u{d800}"), "pairs stay, lone surrogates are shown");
  assert.deepEqual(
    cases.filter((c) => c.children[0]?.name === "skipped").map((c) => c.children[0]!.attributes.message),
    [
      'known deviation: answers 1.0.0 (observed: VERSION: cniVersion "1.0.0")',
      "not applicable: no ips",
    ],
  );
});

Deno.test("report files: an independent XML parser (Python's expat) reads the JUnit file", async () => {
  const python = "/usr/bin/python3";
  try {
    Deno.statSync(python);
  } catch {
    throw new Error(`${python} is missing: apt-get install python3 (tools/prepare.ts test installs it)`);
  }
  const script = "import sys, xml.etree.ElementTree as E; r = E.fromstring(sys.stdin.buffer.read()); " +
    "print(len(r.findall('./testsuite/testcase')), len(r.findall('.//failure')))";
  const child = new Deno.Command(python, {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  })
    .spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(junitXml(ruleCells(RESULTS), META)));
  await writer.close();
  const out = await child.output();
  assert.equal(new TextDecoder().decode(out.stderr), "");
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "5 1");
});

Deno.test("xml check: malformed documents and broken JUnit counts are refused", () => {
  for (
    const bad of [
      "<a><b></a>",
      '<a x="1" x="2"/>',
      "<a>&nope;</a>",
      "<a>& </a>",
      '<a x="<"/>',
      "<a/><b/>",
      "<a>\u0001</a>",
      "<a>&#1;</a>",
    ]
  ) {
    assert.throws(() => parseXml(bad), Error, bad);
  }
  const wrongCount = parseXml(
    '<testsuites tests="2" failures="0" errors="0" skipped="0"><testsuite name="s" tests="1" failures="0" ' +
      'errors="0" skipped="0"><testcase name="t" classname="c" time="0.1"/></testsuite></testsuites>',
  );
  assert.deepEqual(junitProblems(wrongCount), ['testsuites: tests="2" but it holds 1']);
  assert.equal(xmlAttr('a\n"b"'), "a&#10;&quot;b&quot;");
});
