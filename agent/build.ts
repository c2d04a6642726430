#!/usr/bin/env bun
// Bundles src/index.ts to dist/index.js, the project entry that `elizaos start` and `elizaos dev`
// load. `elizaos start` deletes dist/ and runs this script on every start, so it is kept to one
// fast Bun.build call (no type declarations: nothing imports this project as a library).
import { rm } from "node:fs/promises";

await rm("dist", { recursive: true, force: true });
const result = await Bun.build({
  entrypoints: ["./src/index.ts"],
  outdir: "./dist",
  target: "node",
  format: "esm",
  sourcemap: "linked",
  packages: "external",
});
if (!result.success) {
  console.error("Build failed:", result.logs);
  process.exit(1);
}
console.log(`Built ${result.outputs.length} file(s) into dist/`);
