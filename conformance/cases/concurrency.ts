// Concurrent attachments of different containers (rule ADD-concurrent).
import { type CaseSpec } from "../harness/cases.ts";
import { ensure, expectSuccess, podInterface } from "../../testing/expect.ts";
import { versionHasInterfaces } from "../harness/profile.ts";
import { expectAddResult, prevResultForDel, requireLink } from "../harness/steps.ts";

const cases: CaseSpec[] = [];

const PARALLEL = 4;

cases.push({
  rule: "ADD-concurrent",
  name: `${PARALLEL} ADDs then ${PARALLEL} DELs of different containers in parallel`,
  fn: async (ctx) => {
    const sandbox = await ctx.sandbox();
    const attachments = [];
    for (let i = 0; i < PARALLEL; i++) attachments.push(await sandbox.attachment());
    const adds = await Promise.all(attachments.map((a) => sandbox.add(a, ctx.version)));
    const results = adds.map((run) => expectAddResult(run, ctx.version));
    for (const [i, attachment] of attachments.entries()) {
      if (versionHasInterfaces(ctx.version)) {
        podInterface(results[i]!, attachment.ifname, attachment.pod.path, adds[i]!);
      }
      await requireLink(attachment.pod, attachment.ifname, adds[i]!);
    }
    const dels = await Promise.all(
      attachments.map((a, i) => sandbox.del(a, ctx.version, prevResultForDel(ctx.version, results[i]!))),
    );
    for (const [i, attachment] of attachments.entries()) {
      expectSuccess(dels[i]!, "parallel DEL");
      ensure(!(await attachment.pod.link(attachment.ifname)), "interface left after parallel DEL", dels[i]!);
    }
  },
});

/** The concurrency cases. */
export const CONCURRENCY_CASES: readonly CaseSpec[] = cases;
