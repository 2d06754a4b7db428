// The command line (main.ts) against plugins nobody here wrote (Debian's bridge and ptp), against ours,
// and against two deliberately broken plugins (testdata/): exit status, JSON report and JUnit XML.
// The runs of a test start together (each in its own process and netns) to keep the suite's time down.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { isRoot } from "../testing/netns.ts";
import type { RuleCell } from "./harness/report_files.ts";
import { junitProblems, parseXml, type XmlElement } from "./harness/xml_check.ts";
import { MAIN, RECIPES } from "./results/recipes.ts";
import { rootTest } from "../testing/root_gate.ts";

const TESTDATA = fileURLToPath(new URL("testdata", import.meta.url));

/** What one command line run left behind. */
interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  cells: RuleCell[];
  junit: XmlElement | null;
}

async function runCli(args: string[], reportDir?: string, name = "run"): Promise<CliRun> {
  const files = reportDir
    ? ["--report", `${reportDir}/${name}.json`, "--junit", `${reportDir}/${name}.xml`]
    : [];
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args, ...files],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const run: CliRun = {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
    cells: [],
    junit: null,
  };
  if (reportDir && run.code < 2) {
    run.cells = JSON.parse(await Deno.readTextFile(`${reportDir}/${name}.json`)).rules;
    run.junit = parseXml(await Deno.readTextFile(`${reportDir}/${name}.xml`));
  }
  return run;
}

/** "RULE@version" of the cells with this outcome, sorted. */
function cellsWith(run: CliRun, outcome: RuleCell["outcome"]): string[] {
  return run.cells.filter((c) => c.outcome === outcome).map((c) => `${c.id}@${c.version}`).sort();
}

/** The JUnit file holds one testcase per cell of the JSON report and the structure CI viewers read. */
function expectJunitMatches(run: CliRun): void {
  assert.ok(run.junit, "no JUnit file");
  assert.deepEqual(junitProblems(run.junit), []);
  const testcases = run.junit.children.flatMap((suite) =>
    suite.children.filter((c) => c.name === "testcase")
  );
  assert.equal(testcases.length, run.cells.length);
  const failures = testcases.filter((t) => t.children.some((c) => c.name === "failure")).length;
  assert.equal(failures, run.cells.filter((c) => c.outcome === "fail").length);
}

function explain(run: CliRun): string {
  const failed = run.cells.filter((c) => c.outcome === "fail").map((c) =>
    `${c.id}@${c.version}: ${c.firstFailure}`
  );
  return `exit ${run.code}\n${failed.join("\n")}\nstderr: ${run.stderr.slice(-2000)}`;
}

Deno.test("CLI: usage errors exit 2 and say what is wrong; --help exits 0", async () => {
  const cases: [string[], RegExp][] = [
    [["--plugin", "/usr/lib/cni/ptp"], /--plugin needs --config/],
    [["--versions", "1.0.0"], /--versions needs --plugin/],
    [
      ["--plugin", "/usr/lib/cni/ptp", "--config", `${TESTDATA}/ptp-broken.json`, "--versions", "2.0.0"],
      /not a spec version/,
    ],
  ];
  if (isRoot) {
    cases.push([
      ["--plugin", "/usr/lib/cni/ptp", "--config", `${TESTDATA}/no-such.json`],
      /--config .*no-such\.json/,
    ]);
    cases.push([
      ["--plugin", `${TESTDATA}/ptp-broken.json`, "--config", `${TESTDATA}/ptp-broken.json`],
      /is not executable/,
    ]);
  }
  for (const [args, message] of cases) {
    const run = await runCli(args);
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, message);
  }
  const help = await runCli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: deno task conformance/);
});

rootTest(
  "CLI: Debian bridge (1.0.0) and ptp (0.2.0) and our macvtap (1.0.0) pass with their deviations",
  async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "cni-conformance-cli-" });
    const runs = {
      bridge: runCli([...RECIPES.bridge!.args, "--versions", "1.0.0"], dir, "bridge"),
      ptp: runCli([...RECIPES.ptp!.args, "--versions", "0.2.0"], dir, "ptp"),
      macvtap: runCli([...RECIPES["macvtap-ipam"]!.args, "--versions", "1.0.0"], dir, "macvtap"),
    };
    try {
      await t.step("bridge: exit 0, its three deviations, the IPAM and leak rules applied", async () => {
        const run = await runs.bridge;
        assert.equal(run.code, 0, explain(run));
        assert.deepEqual(cellsWith(run, "deviation"), [
          "ADD-prevresult@1.0.0",
          "ENV-ifname-pattern@any",
          "ERR-version@1.0.0",
        ]);
        for (
          const id of [
            "ADD-result-shape@1.0.0",
            "ADD-ips-applied@1.0.0",
            "CHECK-missing-route@1.0.0",
            "DEL-leaves-nothing@any",
          ]
        ) {
          assert.ok(cellsWith(run, "pass").includes(id), `${id} did not pass`);
        }
        expectJunitMatches(run);
      });
      await t.step("ptp: exit 0; at 0.2.0 the old result format, ADD-interface n/a", async () => {
        const run = await runs.ptp;
        assert.equal(run.code, 0, explain(run));
        assert.ok(cellsWith(run, "pass").includes("ADD-result-shape@0.2.0"));
        assert.ok(cellsWith(run, "n/a").includes("ADD-interface@0.2.0"));
        assert.ok(cellsWith(run, "deviation").includes("VERSION-echo@0.2.0"));
        expectJunitMatches(run);
      });
      await t.step(
        "macvtap with host-local: exit 0, addresses, routes and the deviceID capability checked",
        async () => {
          const run = await runs.macvtap;
          assert.equal(run.code, 0, explain(run));
          const applied = [
            "ADD-ips-applied",
            "CHECK-missing-address",
            "CHECK-missing-route",
            "LIBCNI-capabilities",
          ];
          for (const id of applied.map((rule) => `${rule}@1.0.0`)) {
            assert.ok(cellsWith(run, "pass").includes(id), `${id} did not pass`);
          }
          expectJunitMatches(run);
        },
      );
    } finally {
      await Promise.allSettled(Object.values(runs));
      await Deno.remove(dir, { recursive: true });
    }
  },
);

/** The rules both broken plugins are run against: each must fail exactly its own. */
const BROKEN_RULES = [
  "--rules",
  "ADD-result-shape,ADD-link,DEL-removes,DEL-netns-gone",
  "--versions",
  "1.0.0",
];

rootTest(
  "CLI: a broken plugin fails exactly the matching rule, exit 1",
  async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "cni-conformance-cli-" });
    const broken = (name: string) =>
      runCli(
        [
          "--plugin",
          `${TESTDATA}/${name}`,
          "--config",
          `${TESTDATA}/ptp-broken.json`,
          "--cni-path",
          "/usr/lib/cni",
          "--ipam",
          ...BROKEN_RULES,
        ],
        dir,
        name,
      );
    const runs = { badShape: broken("ptp-bad-shape"), delNeedsNetns: broken("ptp-del-needs-netns") };
    try {
      await t.step("ADD result with addresses out of CIDR notation: ADD-result-shape fails", async () => {
        const run = await runs.badShape;
        assert.equal(run.code, 1, explain(run));
        assert.deepEqual(cellsWith(run, "fail"), ["ADD-result-shape@1.0.0"]);
        const cell = run.cells.find((c) => c.outcome === "fail")!;
        assert.match(
          cell.firstFailure!,
          /ips\[0\]\.address "10\.249\.0\.\d+" is not an address in CIDR notation/,
        );
        assert.match(cell.source, /in CIDR notation/);
        expectJunitMatches(run);
      });
      await t.step("DEL failing once the netns is gone: DEL-netns-gone fails", async () => {
        const run = await runs.delNeedsNetns;
        assert.equal(run.code, 1, explain(run));
        assert.deepEqual(cellsWith(run, "fail"), ["DEL-netns-gone@1.0.0"]);
        const cell = run.cells.find((c) => c.outcome === "fail")!;
        assert.equal(cell.firstFailure, "DEL with CNI_NETNS deleted: expected exit 0, got 1");
        expectJunitMatches(run);
      });
    } finally {
      await Promise.allSettled(Object.values(runs));
      await Deno.remove(dir, { recursive: true });
    }
  },
);
