/**
 * The receiver (`packages/cli/src/receiver.ts`, run by Node through tsx) on a SQLite file that is deleted under it:
 * it stops answering 200 (500, so that OpenAI retries), says why once, and says it is unhealthy where an operator
 * looks: `/healthz` answers 503 with the reason and `openai_webhook_inbox_up` is 0.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, afterEach, assert, describe, it } from "@effect/vitest"
import { WebhookTesting } from "effect4-openai-webhooks"
import { killGroups, PATIENCE } from "../../engine/test/support/process.js"
import { RECEIVER_SOURCE } from "./support/apps.js"
import { SECRET } from "./support/inspector.js"
import { receiverEnv, startReceiver, stopReceiver } from "./support/receiver.js"

const RECEIVER = ["node", "--import", "tsx", RECEIVER_SOURCE]

afterEach(killGroups)

const directory = mkdtempSync(join(tmpdir(), "inbox-health-"))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

const post = async (url: string, id: string) => {
  const delivery = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("response.completed"), secret: SECRET, id })
  const response = await fetch(url, { method: "POST", headers: delivery.headers, body: delivery.body })
  await response.arrayBuffer()
  return response.status
}

describe("the receiver on a SQLite file deleted under it", () => {
  for (const mode of ["inline", "queued"] as const) {
    it(`${mode}: answers 500 from then on, logs why once, /healthz 503, openai_webhook_inbox_up 0`, {
      timeout: 2 * PATIENCE
    }, async () => {
      const file = join(directory, `${mode}.sqlite`)
      const receiver = await startReceiver(
        RECEIVER,
        await receiverEnv({ OPENAI_WEBHOOK_SECRET: SECRET, DATABASE_URL: `sqlite:${file}`, WEBHOOK_MODE: mode })
      )
      assert.strictEqual((await fetch(`${receiver.origin}/healthz`)).status, 200)
      assert.strictEqual(await post(receiver.url, "msg_kept"), 200)
      rmSync(file)
      for (let i = 0; i < 10; i++) assert.strictEqual(await post(receiver.url, `msg_lost_${i}`), 500)
      const gone = await receiver.stdout.waitForLine({ message: "inbox: the database file is gone" })
      assert.strictEqual(gone["level"], "ERROR")
      assert.include(gone["error"], `the inbox's database file ${file} was deleted`)
      assert.strictEqual(
        receiver.stdout.lines.filter((line) => line["message"] === "inbox: the database file is gone").length,
        1
      )
      const health = await fetch(`${receiver.origin}/healthz`)
      assert.strictEqual(health.status, 503)
      assert.deepStrictEqual(await health.json(), { status: "unhealthy", error: gone["error"] })
      const metrics = await (await fetch(`${receiver.origin}/metrics`)).text()
      assert.match(metrics, /^openai_webhook_inbox_up 0$/m)
      await stopReceiver(receiver)
    })
  }
})
