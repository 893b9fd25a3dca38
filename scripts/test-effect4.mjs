// The tests of a package on Effect 4 (the Effect 4 edition, the applications), run from that package's folder: its
// type-check, then vitest 5. Both need Node.js 22.19 or newer (effect 4's own requirement, and vitest 5's); on an
// older Node.js (the Effect 3 edition's Node 20) the step says so and passes, so that the repository's `npm test` runs
// on every Node.js it supports, and CI's Node.js 24 step runs these packages.
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"

const { name } = JSON.parse(readFileSync("package.json", "utf8"))
const [major, minor] = process.versions.node.split(".").map(Number)
if (major < 22 || (major === 22 && minor < 19)) {
  console.log(`${name}: skipped on Node.js ${process.version}: Effect 4 needs 22.19 or newer`)
  process.exit(0)
}
for (const [command, ...args] of [["tsc", "--noEmit", "-p", "tsconfig.json"], ["vitest", "run", ...process.argv.slice(2)]]) {
  const run = spawnSync("npx", ["--no-install", command, ...args], { stdio: "inherit" })
  if (run.status !== 0) process.exit(run.status ?? 1)
}
