import assert from "node:assert/strict";
import { originOf, parseAssignments, parseInstructions, parseStages } from "./containerfile.ts";

const FILE = `# header
ARG V=1.2
FROM base:\${V} AS build
WORKDIR /src
COPY tools/ tools/
COPY a.txt b.txt ./
RUN make \\
# a comment inside a continued RUN
  all
FROM runtime
ENV X=1 Y="two words"
WORKDIR /app
COPY --from=build /src/out/ out/
COPY --from=build /src/tools/run.sh bin/run
COPY conf.json etc/
`;

Deno.test("parseInstructions() joins continued lines and drops comments", () => {
  const runs = parseInstructions(FILE).filter((i) => i.keyword === "RUN");
  assert.deepEqual(runs.map((r) => r.args.replace(/\s+/g, " ")), ["make all"]);
});

Deno.test("parseStages() tracks names, bases with ARGs, WORKDIR, ENV and COPY destinations", () => {
  const [build, runtime] = parseStages(FILE);
  assert.equal(build.name, "build");
  assert.equal(build.base, "base:1.2");
  assert.equal(build.workdir, "/src");
  assert.deepEqual(runtime.env, { X: "1", Y: "two words" });
  assert.deepEqual(runtime.copies.map((c) => [c.from, c.destination, c.intoDirectory]), [
    ["build", "/app/out", true],
    ["build", "/app/bin/run", false],
    [null, "/app/etc", true],
  ]);
  assert.deepEqual(parseAssignments("A=1 B='x y'"), { A: "1", B: "x y" });
});

Deno.test("originOf() follows COPY --from back to the build context or to what a RUN wrote", () => {
  const stages = parseStages(FILE);
  assert.deepEqual(originOf(stages, "/app/etc/conf.json"), { context: "conf.json" });
  assert.deepEqual(originOf(stages, "/app/bin/run"), { context: "tools/run.sh" });
  assert.deepEqual(originOf(stages, "/app/out/x"), {
    built: { stage: "build", path: "/src/out/x", repoPath: "out/x" },
  });
  assert.equal(originOf(stages, "/usr/bin/env"), null);
  assert.equal(originOf(stages, "/app/outside"), null);
});
