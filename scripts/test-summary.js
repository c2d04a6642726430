// Prints the closing `N passed, N failed` line from vitest's JSON report plus the lint and
// type checks, and exits non-zero when anything failed or vitest died without a report.

const fs = require("node:fs");

const [reportPath, checksPassed, checksFailed, vitestStatus] = process.argv.slice(2);
let passed = Number(checksPassed);
let failed = Number(checksFailed);
let skipped = 0;
if (fs.existsSync(reportPath)) {
  const report = JSON.parse(fs.readFileSync(reportPath, "utf8"));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + (report.numTodoTests ?? 0);
  // A file that fails to load has no test results but must still count as a failure.
  for (const file of report.testResults) {
    if (file.status === "failed" && file.assertionResults.length === 0) {
      console.log(`failed to run: ${file.name}: ${(file.message ?? "").split("\n")[0]}`);
      failed += 1;
    }
  }
} else {
  console.log(`vitest wrote no report (exit ${vitestStatus})`);
  failed += 1;
}
if (failed === 0 && Number(vitestStatus) !== 0) {
  console.log(`vitest exited ${vitestStatus} with no failed test`);
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed === 0 ? 0 : 1);
