/**
 * The applications on a Node.js below their floor (`engines`, 22.19: Effect 4's and node:sqlite's): each entry point
 * says so and how to run it on Node.js 24, exit 2, instead of failing later on `node:sqlite` with a hint to reinstall.
 * The end-to-end cases run the built command and receiver on an older Node.js when this machine has one (CI's
 * system Node.js 20 at /usr/bin/node, or NODE_BELOW_FLOOR), and say they are skipped otherwise.
 */
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import { assert, beforeAll, describe, it } from "@effect/vitest"
import { assertExplained, build, PATIENCE, runToEnd } from "../../engine/test/support/process.js"
import * as Floor from "../src/floor.js"
import { CLI, RECEIVER } from "./support/apps.js"

describe("the floor", () => {
  it("is the package's engines.node, 22.19.0", () => {
    assert.strictEqual(Floor.range, ">=22.19.0")
  })

  it("admits 22.19.0 and later, refuses what is older", () => {
    const cases: ReadonlyArray<readonly [string, boolean]> = [
      ["20.20.2", true],
      ["20.19.0", true],
      ["22.18.9", true],
      ["22.19.0", false],
      ["22.19.1", false],
      ["22.20.0", false],
      ["24.0.0", false],
      ["24.22.3", false],
      ["100.0.0", false]
    ]
    for (const [version, below] of cases) assert.strictEqual(Floor.below(version), below, version)
  })

  it("refuses an engines range it cannot read rather than guessing", () => {
    assert.throws(() => Floor.below("24.0.0", "^22.19.0"), /engines\.node/)
  })

  it("names the floor, this Node.js, and the command that reruns this process on Node.js 24", () => {
    const text = Floor.refusal("openai-webhooks", ["/usr/bin/node", "/x/dist/cli.js", "send", "response.completed"])
    assert.strictEqual(
      text,
      `error: openai-webhooks needs Node.js >=22.19.0 (Effect 4's floor, and node:sqlite's); this is ${process.version}\n` +
        "hint: install Node.js 24 (https://nodejs.org), or run this on Node.js 24 from the npm registry: " +
        "npx -y node@24 /x/dist/cli.js send response.completed\n"
    )
  })
})

const older = process.env["NODE_BELOW_FLOOR"] ?? "/usr/bin/node"
const olderVersion = existsSync(older)
  ? execFileSync(older, ["-p", "process.versions.node"], { encoding: "utf8" }).trim()
  : undefined
const skip = olderVersion === undefined || !Floor.below(olderVersion)

describe.skipIf(skip)(
  `on Node.js ${olderVersion ?? "(none)"} at ${older}${skip ? " (skipped: no Node.js below the floor here)" : ""}`,
  () => {
    beforeAll(build, PATIENCE)

    it("the command exits 2 saying which Node.js it needs and how to run it, before any command runs", async () => {
      const run = await runToEnd([older, CLI, "send", "response.completed"], { ...process.env })
      assertExplained(
        run,
        2,
        /needs Node\.js >=22\.19\.0 .*this is v/,
        /npx -y node@24 .*dist\/cli\.js send response\.completed$/
      )
    })

    it("the receiver exits 2 the same way, without listening", async () => {
      const run = await runToEnd([older, RECEIVER], { ...process.env, PORT: "1", DATABASE_URL: "memory" })
      assertExplained(run, 2, /the receiver needs Node\.js >=22\.19\.0/, /npx -y node@24 .*dist\/receiver\.js$/)
    })
  }
)
