/**
 * The receiver's inbox as users run it: `node packages/cli/dist/receiver.js` in child processes on one database
 * (a SQLite file, or the PostgreSQL server `DATABASE_URL` names), killed and restarted, with real signed
 * deliveries and its logfmt lines on stdout.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { DatabaseSync } from "node:sqlite"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import * as SqlClient from "effect/sql/SqlClient"
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted } from "effect"
import { WebhookTesting } from "effect4-openai-webhooks"
import {
  build,
  freePort,
  killGroups,
  type Output,
  PATIENCE,
  type Spawned,
  spawnGroup,
  within
} from "../../engine/test/support/process.js"
import { RECEIVER } from "./support/apps.js"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
const TABLE = "openai_webhook_deliveries"

const databaseUrl = process.env["DATABASE_URL"]
const postgresUrl = databaseUrl !== undefined && /^postgres(ql)?:\/\//.test(databaseUrl) ? databaseUrl : undefined
const skipPostgres = postgresUrl === undefined && process.env["CI"] !== "true"
if (skipPostgres) {
  console.warn(
    "inbox-receiver.test.ts: the PostgreSQL tests are SKIPPED: DATABASE_URL is not a postgres:// URL. " +
      "Set it (DATABASE_URL=postgres://user:password@127.0.0.1:5432/database) to run them; in CI they are required."
  )
}

/** The PostgreSQL URL, or a failure: in CI the PostgreSQL tests run, and fail without a server. */
const requirePostgres = (): string => {
  if (postgresUrl === undefined) {
    throw new Error("CI=true but DATABASE_URL is not a postgres:// URL: the PostgreSQL tests must run")
  }
  return postgresUrl
}

const directory = mkdtempSync(join(tmpdir(), "inbox-receiver-"))
afterAll(() => rmSync(directory, { recursive: true, force: true }))
let files = 0
const sqliteFile = () => join(directory, `${++files}.sqlite`)

// A failed test must not leave a receiver behind.
afterEach(killGroups)

/** The lines about one webhook id, with this message. */
const linesOf = (output: Output, webhookId: string, message: string) =>
  output.lines.filter((line) => line["webhook_id"] === webhookId && line["message"] === message)

interface Receiver extends Spawned {
  readonly url: string
}

interface Settings {
  readonly DATABASE_URL: string
  readonly WEBHOOK_MODE: "inline" | "queued"
  readonly WEBHOOK_LEASE?: string
}

/** Starts the receiver with these settings and waits for its "listening on" line. */
const start = async (settings: Settings): Promise<Receiver> => {
  const port = await freePort()
  const spawned = spawnGroup(["node", RECEIVER], {
    ...process.env,
    ...settings,
    HOST: "127.0.0.1",
    PORT: String(port),
    LOG_LEVEL: "info",
    OPENAI_WEBHOOK_SECRET: secret,
    // The one PostgreSQL database holds what other tests and earlier runs wrote: the receiver takes it over.
    WEBHOOK_TAKE_OVER: "true"
  })
  const { exit, stderr, stdout } = spawned
  const url = `http://127.0.0.1:${port}/webhooks/openai`
  await Promise.race([
    stdout.waitFor("the receiver to listen", (output) =>
      output.lines.find((line) => line["message"] === `listening on ${url}`)),
    exit.then(({ code, signal }) => {
      throw new Error(`the receiver exited (${code ?? signal}) before listening:\n${stdout.text}${stderr.text}`)
    })
  ])
  return { ...spawned, url }
}

/** SIGTERM, then the graceful exit. */
const stop = async (receiver: Receiver) => {
  receiver.child.kill("SIGTERM")
  assert.deepStrictEqual(await within(receiver.exit, "the receiver to exit"), { code: 0, signal: null })
}

const post = async (url: string, delivery: WebhookTesting.Signed) => {
  const body = typeof delivery.body === "string" ? delivery.body : new Uint8Array(delivery.body)
  const response = await fetch(url, { method: "POST", headers: delivery.headers, body })
  return { status: response.status, body: JSON.parse(await response.text()) as unknown }
}

const sign = (type: "response.completed" | "batch.completed" = "response.completed") =>
  WebhookTesting.unsafeSign({ event: WebhookTesting.sample(type), secret })

const idOf = (delivery: WebhookTesting.Signed): string => delivery.headers["webhook-id"]

// Reading a database's rows from the test process.

type Statuses = ReadonlyMap<string, string>

const sqliteStatuses = (filename: string, ids: ReadonlyArray<string>): Statuses => {
  // node:sqlite, what @effect/sql-sqlite-node 4 runs on.
  const file = new DatabaseSync(filename)
  try {
    const placeholders = ids.map(() => "?").join(", ")
    const rows = file.prepare(`SELECT webhook_id, status FROM ${TABLE} WHERE webhook_id IN (${placeholders})`)
      .all(...ids) as unknown as Array<{ webhook_id: string; status: string }>
    return new Map(rows.map((row) => [row.webhook_id, row.status]))
  } finally {
    file.close()
  }
}

const postgresStatuses = (url: string, ids: ReadonlyArray<string>): Promise<Statuses> =>
  Effect.runPromise(
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const rows = yield* sql<{ webhook_id: string; status: string }>`SELECT webhook_id, status FROM ${sql(TABLE)}
WHERE ${sql.in("webhook_id", ids)}`
      return new Map(rows.map((row) => [row.webhook_id, row.status]))
    }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url) })))
  )

interface Engine {
  readonly name: string
  readonly skip: boolean
  /** A database for one test: its URL for the receiver, and a way to read the status of ids. */
  readonly make: () => { readonly url: string; readonly statuses: (ids: ReadonlyArray<string>) => Promise<Statuses> }
}

const sqliteEngine: Engine = {
  name: "a SQLite file",
  skip: false,
  make: () => {
    const filename = sqliteFile()
    return { url: `sqlite:${filename}`, statuses: async (ids) => sqliteStatuses(filename, ids) }
  }
}

/** The one PostgreSQL database, shared with other tests: every assertion is about ids made here. */
const postgresEngine: Engine = {
  name: "PostgreSQL",
  skip: skipPostgres,
  make: () => {
    const url = requirePostgres()
    return { url, statuses: (ids) => postgresStatuses(url, ids) }
  }
}

describe("the receiver with an inbox", () => {
  beforeAll(async () => {
    await build()
  }, PATIENCE)

  it.skipIf(skipPostgres)("two receivers on one PostgreSQL database, 25 copies each at once: processed exactly once", {
    timeout: 3 * PATIENCE
  }, async () => {
    const settings: Settings = { DATABASE_URL: requirePostgres(), WEBHOOK_MODE: "inline" }
    // Started together, as two instances of a deployment: both run the migrations at once.
    const [a, b] = await Promise.all([start(settings), start(settings)])
    const delivery = sign()
    const id = idOf(delivery)
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => post(i % 2 === 0 ? a.url : b.url, delivery))
    )
    assert.deepStrictEqual(replies.map((reply) => reply.status), Array(50).fill(200))
    assert.strictEqual(replies.filter((reply) => JSON.stringify(reply.body) === "{\"received\":true}").length, 1)
    // One line per copy in each receiver's output.
    for (const receiver of [a, b]) {
      await receiver.stdout.waitFor(`25 lines about ${id}`, (output) =>
        output.lines.filter((line) => line["webhook_id"] === id).length === 25 ? true : undefined)
    }
    const lines = [...a.stdout.lines, ...b.stdout.lines].filter((line) => line["webhook_id"] === id)
    assert.strictEqual(lines.filter((line) => line["message"] === "processed").length, 1)
    assert.strictEqual(lines.filter((line) => line["message"] === "duplicate").length, 49)
    await Promise.all([stop(a), stop(b)])
  })

  const kills = [
    { when: "once every delivery is answered", count: 40, working: false },
    { when: "while its workers are processing", count: 200, working: true }
  ] as const
  for (const engine of [sqliteEngine, postgresEngine]) {
    for (const kill of kills) {
      it.skipIf(engine.skip)(`queued on ${engine.name}, SIGKILLed ${kill.when}: all are processed after a restart`, {
        timeout: 3 * PATIENCE
      }, async () => {
        const database = engine.make()
        // The lease is written by the process that takes a delivery: the killed one needs the short one too.
        const settings: Settings = { DATABASE_URL: database.url, WEBHOOK_MODE: "queued", WEBHOOK_LEASE: "1 second" }
        const first = await start(settings)
        const deliveries = Array.from({ length: kill.count }, () => sign())
        const ids = deliveries.map(idOf)
        const replies = await Promise.all(deliveries.map((delivery) => post(first.url, delivery)))
        if (kill.working) await first.stdout.waitForLine({ message: "processed" })
        first.child.kill("SIGKILL")
        const queued = { received: true, queued: true }
        assert.deepStrictEqual(replies.map((reply) => reply.body), Array(kill.count).fill(queued))
        assert.deepStrictEqual(await within(first.exit, "the receiver to die"), { code: null, signal: "SIGKILL" })

        const atKill = await database.statuses(ids)
        // Every acknowledged delivery is stored: pending, taken (processing) or already done.
        for (const id of ids) assert.oneOf(atKill.get(id), ["pending", "processing", "done"], id)
        const left = ids.filter((id) => atKill.get(id) !== "done")

        const second = await start(settings)
        for (const id of left) await second.stdout.waitForLine({ message: "processed", webhook_id: id })
        const after = await database.statuses(ids)
        assert.deepStrictEqual(ids.filter((id) => after.get(id) !== "done"), [])
        // Each one processed at least once overall; those done before the kill not again.
        for (const id of ids) {
          const processed = [...linesOf(first.stdout, id, "processed"), ...linesOf(second.stdout, id, "processed")]
          assert.isTrue(processed.length > 0 || atKill.get(id) === "done", id)
        }
        for (const id of ids.filter((id) => atKill.get(id) === "done")) {
          assert.deepStrictEqual(linesOf(second.stdout, id, "processed"), [], id)
        }
        console.info(`queued on ${engine.name}, killed ${kill.when}: of ${kill.count} deliveries, ${
          ids.filter((id) => atKill.get(id) === "pending").length
        } were pending, ${ids.filter((id) => atKill.get(id) === "processing").length} processing`)
        await stop(second)
      })
    }
  }

  it("inline on a SQLite file, SIGKILLed under load while its writer thread holds batches: every 200 is done", {
    timeout: 3 * PATIENCE
  }, async () => {
    const database = sqliteEngine.make()
    const settings: Settings = { DATABASE_URL: database.url, WEBHOOK_MODE: "inline" }
    const receiver = await start(settings)
    const sent: Array<string> = []
    const answered: Array<string> = []
    let killed = false
    let reached = () => {}
    const enough = new Promise<void>((resolve) => {
      reached = resolve
    })
    // 16 senders, each posting the next delivery as soon as the last is answered, until the receiver dies: the
    // writer thread is handed batch after batch, and the kill lands while some are out.
    const sender = async () => {
      while (!killed) {
        const delivery = sign()
        sent.push(idOf(delivery))
        try {
          const reply = await post(receiver.url, delivery)
          assert.strictEqual(reply.status, 200)
          answered.push(idOf(delivery))
          if (answered.length === 300) reached()
        } catch (error) {
          if (!killed) throw error
        }
      }
    }
    const senders = Array.from({ length: 16 }, sender)
    await enough
    killed = true
    receiver.child.kill("SIGKILL")
    await Promise.all(senders)
    assert.deepStrictEqual(await within(receiver.exit, "the receiver to die"), { code: null, signal: "SIGKILL" })

    const statuses = await database.statuses(sent)
    // Nothing answered 200 is lost: each is done in the file the killed process left.
    assert.deepStrictEqual(answered.filter((id) => statuses.get(id) !== "done"), [])
    // Deliveries were in flight at the kill (sent, never answered): the kill did not land on an idle receiver.
    const unanswered = sent.filter((id) => !answered.includes(id))
    assert.isAbove(unanswered.length, 0)
    console.info(`inline on a SQLite file, killed under load: ${answered.length} answered 200 (all done), ${
      unanswered.length
    } in flight: ${unanswered.filter((id) => statuses.get(id) === "done").length} done, ${
      unanswered.filter((id) => statuses.get(id) === "processing").length
    } processing, ${unanswered.filter((id) => !statuses.has(id)).length} not stored`)
  })

  it("after a restart on the same SQLite file, a copy is logged duplicate and not processed", {
    timeout: 3 * PATIENCE
  }, async () => {
    const settings: Settings = { DATABASE_URL: `sqlite:${sqliteFile()}`, WEBHOOK_MODE: "inline" }
    const delivery = sign("batch.completed")
    const id = idOf(delivery)
    const first = await start(settings)
    assert.deepStrictEqual(await post(first.url, delivery), { status: 200, body: { received: true } })
    await first.stdout.waitForLine({ message: "processed", webhook_id: id, event_type: "batch.completed" })
    await stop(first)

    const second = await start(settings)
    assert.deepStrictEqual(await post(second.url, delivery), {
      status: 200,
      body: { received: true, duplicate: true }
    })
    await second.stdout.waitForLine({ message: "duplicate", webhook_id: id, event_type: "batch.completed" })
    assert.deepStrictEqual(linesOf(second.stdout, id, "processed"), [])
    await stop(second)
  })
})
