// The Effect 4 edition's tests: its type-check, then vitest 5. Both need Node.js 22.19 or newer (effect 4's own
// requirement, and vitest 5's); on an older Node.js (the Effect 3 edition's Node 20) the step says so and passes,
// so that the repository's `npm test` runs on every Node.js it supports, and CI's Node.js 24 step runs this edition.
import { spawnSync } from "node:child_process"
import { dirname } from "node:path"
import { fileURLToPath } from "node:url"

const [major, minor] = process.versions.node.split(".").map(Number)
if (major < 22 || (major === 22 && minor < 19)) {
  console.log(`effect4-openai-webhooks: skipped on Node.js ${process.version}: the Effect 4 edition needs 22.19 or newer`)
  process.exit(0)
}
const cwd = dirname(dirname(fileURLToPath(import.meta.url)))
for (const [command, ...args] of [["tsc", "--noEmit", "-p", "tsconfig.json"], ["vitest", "run", ...process.argv.slice(2)]]) {
  const run = spawnSync("npx", ["--no-install", command, ...args], { cwd, stdio: "inherit" })
  if (run.status !== 0) process.exit(run.status ?? 1)
}
