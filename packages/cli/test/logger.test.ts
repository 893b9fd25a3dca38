/**
 * The receiver's logfmt lines: whatever an annotation holds (a webhook-id or a body from the wire), one
 * line comes out, with no control character a terminal would act on, and the value reads back whole.
 */
import { pathToFileURL } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Schema from "effect/Schema"
import { format } from "../src/receiver/logger.js"
import { parseLogfmt, PATIENCE, runToEnd } from "../../engine/test/support/process.js"
import { built } from "./support/apps.js"

const line = (annotation: unknown) =>
  format({ logLevel: "Warn", message: "rejected", cause: Cause.empty, date: new Date(0) }, { webhook_id: annotation })

/** Every control character but the line's own end. */
const CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/

describe("receiver logger", () => {
  it("quotes and escapes ESC, BEL and C1 controls, so a hostile webhook-id cannot drive a terminal", () => {
    for (const hostile of ["msg_\u009b31mred", "\u001b[31mred\u001b[0m\u0007", "a\u007fb", "x\ny=forged"]) {
      const text = line(hostile)
      assert.isFalse(CONTROLS.test(text), JSON.stringify(text))
      assert.strictEqual(text.indexOf("\n"), text.length - 1)
      assert.strictEqual(parseLogfmt(text.slice(0, -1))["webhook_id"], hostile)
    }
  })

  it("writes a value too deep or cyclic for JSON.stringify as text instead of throwing", () => {
    const cyclic: Record<string, unknown> = {}
    cyclic["self"] = cyclic
    let deep: unknown = 0
    for (let i = 0; i < 100_000; i++) deep = [deep]
    for (const value of [cyclic, deep]) assert.match(line(value), /^timestamp=.* webhook_id=\S+/)
  })

  it.prop("any string annotation gives one line without controls that reads back whole", [Schema.String], ([text]) => {
    const out = line(text)
    assert.isFalse(CONTROLS.test(out))
    assert.strictEqual(out.indexOf("\n"), out.length - 1)
    assert.strictEqual(parseLogfmt(out.slice(0, -1))["webhook_id"], text)
  })

  it("writes every line of the turn in which the process exits, which never reaches its flush", {
    timeout: PATIENCE
  }, async () => {
    // The lines wait for the end of the event loop's turn; process.exit() ends the process within this one.
    const script = [
      `const { Effect } = await import(${JSON.stringify(pathToFileURL(built("../node_modules/effect/dist/index.js")).href)})`,
      `const ReceiverLogger = await import(${JSON.stringify(pathToFileURL(built("../src/receiver/logger.ts")).href)})`,
      `Effect.runSync(Effect.provide(Effect.forEach(Array.from({ length: 1000 }, (_, i) => i), (i) => ` +
      `Effect.logInfo("line " + i)), ReceiverLogger.layer))`,
      `process.exit(0)`
    ].join("\n")
    const run = await runToEnd(["node", "--import", "tsx", "--input-type=module", "-e", script], process.env)
    assert.strictEqual(run.code, 0, run.stderr)
    const messages = run.stdout.split("\n").filter((line) => line !== "").map((line) => parseLogfmt(line)["message"])
    assert.deepStrictEqual(messages, Array.from({ length: 1000 }, (_, i) => `line ${i}`))
  })
})
