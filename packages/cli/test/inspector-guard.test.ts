/**
 * `serve` pointed at an application's database (to look at its deliveries in the inspector) must not run its
 * example handler and workers there: they would mark the application's deliveries done. The command, from its
 * source through tsx, on a SQLite inbox that a library app wrote (a queued delivery, pending): refused with exit 2
 * and `error:`/`hint:`; `--inspect-only` serves the page and takes nothing; `--take-over` makes it the receiver's.
 */
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { afterAll, afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import * as SqlClient from "effect/sql/SqlClient"
import { Effect, Layer, Option } from "effect"
import { WebhookInbox, WebhookTesting } from "effect4-openai-webhooks"
import { assertExplained, killGroups, runToEnd, spawnGroup } from "../../engine/test/support/process.js"
import { receiverEnv, stopReceiver } from "./support/receiver.js"
import { CLI_SOURCE } from "./support/apps.js"
import { SECRET } from "./support/inspector.js"

const CLI = ["node", "--import", "tsx", CLI_SOURCE]
const TOKEN = "inspector-token-for-the-guard-0123"

let dir: string
let file: string

/** What the inbox holds about `id`, read as the application reads it. */
const statusOf = (id: string) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function*() {
        const detail = yield* WebhookInbox.get(id)
        return Option.map(detail, (d) => d.status)
      }).pipe(Effect.provide(
        WebhookInbox.layerSql({ mode: "queued" }).pipe(Layer.provide(SqliteClient.layer({ filename: file })))
      ))
    )
  )

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "effect-openai-webhooks-guard-"))
  file = join(dir, "app.sqlite")
  // The application's inbox: one delivery queued, which its own workers would process with its own handler, and
  // one it handled 30 days ago, which it keeps (its retention is its own: longer than the default 7 days).
  const signed = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("response.completed"), secret: SECRET })
  await Effect.runPromise(
    Effect.scoped(
      Effect.gen(function*() {
        const store = yield* WebhookInbox.WebhookInbox
        const now = Math.floor(Date.now() / 1000)
        yield* store.enqueue("msg_the_apps", "response.completed", now, signed.body)
        yield* store.enqueue("msg_the_apps_old", "response.completed", now, signed.body)
        const sql = yield* SqlClient.SqlClient
        const old = Date.now() - 30 * 86_400_000
        yield* sql`UPDATE openai_webhook_deliveries SET status = 'done', received_at = ${old}, updated_at = ${old}
WHERE webhook_id = 'msg_the_apps_old'`
      }).pipe(Effect.provide(
        WebhookInbox.layerSql({ mode: "queued", retention: "90 days" }).pipe(
          Layer.provideMerge(SqliteClient.layer({ filename: file }))
        )
      ))
    )
  )
})

afterEach(() => killGroups())
afterAll(() => rm(dir, { recursive: true, force: true }))

describe("serve on an inbox another application writes", () => {
  it("refuses to run its example handler there: exit 2, error: and hint:, the delivery left pending", async () => {
    const env = await receiverEnv({ OPENAI_WEBHOOK_SECRET: SECRET })
    const refused = await runToEnd([...CLI, "serve", "--database", `sqlite:${file}`], env)
    assertExplained(
      refused,
      2,
      /^error: the inbox in the SQLite file .*app\.sqlite holds deliveries that another application wrote/,
      /^hint: serve --inspect-only to look at it .* or serve --take-over if this inbox is this receiver's own/
    )
    assert.deepStrictEqual(await statusOf("msg_the_apps"), Option.some("pending"))
    // Nor migrated or purged by it: what the application handled a month ago is still there.
    assert.deepStrictEqual(await statusOf("msg_the_apps_old"), Option.some("done"))
  })

  it("with --inspect-only, serves the inspector over it and takes no delivery", async () => {
    const env = await receiverEnv({ OPENAI_WEBHOOK_SECRET: SECRET, WEBHOOK_INSPECTOR_TOKEN: TOKEN })
    const spawned = spawnGroup([...CLI, "serve", "--database", `sqlite:${file}`, "--inspect-only"], env)
    const origin = `http://127.0.0.1:${env["PORT"]}`
    await spawned.stdout.waitForLine({ message: `inspect-only on ${origin}: no deliveries taken` })
    const receiver = { ...spawned, origin, url: `${origin}/webhooks/openai`, port: Number(env["PORT"]) }
    try {
      const shown = await fetch(`${origin}/inbox/api/delivery?id=msg_the_apps`, {
        headers: { authorization: `Bearer ${TOKEN}` }
      })
      assert.strictEqual(shown.status, 200)
      assert.strictEqual((await shown.json() as { status: string }).status, "pending")
      // No delivery is taken here: the webhook path is not served.
      const signed = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("batch.completed"), secret: SECRET })
      const posted = await fetch(receiver.url, { method: "POST", body: signed.body, headers: signed.headers })
      assert.strictEqual(posted.status, 404)
    } finally {
      await stopReceiver(receiver)
    }
    // No worker ran: the application's delivery is still its own to process; and its retention, not the
    // receiver's default, decides when what it handled is purged.
    assert.deepStrictEqual(await statusOf("msg_the_apps"), Option.some("pending"))
    assert.deepStrictEqual(await statusOf("msg_the_apps_old"), Option.some("done"))
    assert.notInclude(spawned.stdout.text, "msg_the_apps")
  })

  it("refuses --inspect-only with --take-over, and an unusable value, as usage mistakes", async () => {
    const env = await receiverEnv({ OPENAI_WEBHOOK_SECRET: SECRET })
    const both = await runToEnd([...CLI, "serve", "--database", `sqlite:${file}`, "--inspect-only", "--take-over"], env)
    assertExplained(both, 2, /--inspect-only and --take-over/, /--inspect-only .* --take-over/)
    const wrong = await runToEnd([...CLI, "serve", "--database", `sqlite:${file}`], {
      ...env,
      WEBHOOK_INSPECT_ONLY: "maybe"
    })
    assertExplained(wrong, 2, /^error: WEBHOOK_INSPECT_ONLY is true or false, not "maybe"$/, /WEBHOOK_INSPECT_ONLY=true/)
  })

  it("with --take-over, makes it the receiver's: later starts need no flag", async () => {
    const env = await receiverEnv({ OPENAI_WEBHOOK_SECRET: SECRET })
    for (const flags of [["--take-over"], []]) {
      const spawned = spawnGroup([...CLI, "serve", "--database", `sqlite:${file}`, ...flags], env)
      const origin = `http://127.0.0.1:${env["PORT"]}`
      const url = `${origin}/webhooks/openai`
      await spawned.stdout.waitForLine({ message: `listening on ${url}` })
      await stopReceiver({ ...spawned, origin, url, port: Number(env["PORT"]) })
    }
  })
})

describe("serve on its own inbox", () => {
  it("starts on a new inbox and claims it, as before", async () => {
    const own = join(dir, "own.sqlite")
    const env = await receiverEnv({ OPENAI_WEBHOOK_SECRET: SECRET })
    for (let start = 0; start < 2; start++) {
      const spawned = spawnGroup([...CLI, "serve", "--database", `sqlite:${own}`], env)
      const origin = `http://127.0.0.1:${env["PORT"]}`
      const url = `${origin}/webhooks/openai`
      await spawned.stdout.waitForLine({ message: `listening on ${url}` })
      if (start === 0) {
        const signed = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("batch.completed"), secret: SECRET })
        assert.strictEqual((await fetch(url, { method: "POST", body: signed.body, headers: signed.headers })).status, 200)
      }
      await stopReceiver({ ...spawned, origin, url, port: Number(env["PORT"]) })
    }
  })
})
