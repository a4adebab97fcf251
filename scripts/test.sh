#!/usr/bin/env bash
# Type-checks, runs every test, and ends with the plain summary line CI reads: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .arbiter
rm -f .arbiter/test-results.json
tsc --noEmit -p .; tsc_rc=$?
vitest run "$@"; vitest_rc=$?
node -e '
  const fs = require("node:fs");
  let passed = 0, failed = 0;
  try {
    const r = JSON.parse(fs.readFileSync(".arbiter/test-results.json", "utf8"));
    passed = r.numPassedTests; failed = r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0);
    for (const s of r.testResults) if (s.status === "failed" && s.assertionResults.length === 0) failed++;
  } catch { failed++; }
  if (Number(process.argv[1]) !== 0) { console.log("type-check failed"); failed++; }
  console.log(`${passed} passed, ${failed} failed`);
' "$tsc_rc"
[[ $tsc_rc -eq 0 && $vitest_rc -eq 0 ]]
