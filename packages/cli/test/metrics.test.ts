/**
 * The receiver's `GET /metrics` as Prometheus meets it, parsed by a real parser (parse-prometheus-text-format):
 * the receiver itself (`packages/cli/src/receiver.ts`, run by Node through tsx) on a SQLite file and on PostgreSQL,
 * with real signed deliveries; and, for what its example handler never does (fail, run past its timeout) or
 * what a healthy database never does (stop answering), the receiver composed as `npm start` composes it, in
 * this process, with a handler that does.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, afterEach, assert, describe, it } from "@effect/vitest"
import * as SqlClient from "effect/sql/SqlClient"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { Context, Deferred, Effect, Result, Exit, Layer, Logger, Option, Redacted } from "effect"
import parse, { type Family, type Sample } from "parse-prometheus-text-format"
import pg from "pg"
import { type WebhookEvent, WebhookInbox, WebhookTesting } from "effect4-openai-webhooks"
import { load } from "../src/receiver/config.js"
import * as Metrics from "../src/receiver/metrics.js"
import { InboxSql } from "openai-webhooks-engine"
import { postgresUrl, skipPostgres } from "../../../test/support/built-receiver.js"
import { type Inspected, SECRET, startInspected } from "./support/inspector.js"
import { killGroups, linesOf, parseLogfmt, PATIENCE, within } from "../../engine/test/support/process.js"
import { receiverEnv, startReceiver, stopReceiver } from "./support/receiver.js"
import { RECEIVER_SOURCE } from "./support/apps.js"
import { withVariables } from "./support/env.js"

const secret = SECRET
const RECEIVER = ["node", "--import", "tsx", RECEIVER_SOURCE]
const TABLE = "openai_webhook_deliveries"

// A failed test must not leave a receiver behind.
afterEach(killGroups)

const directory = mkdtempSync(join(tmpdir(), "metrics-"))
let databases = 0

/**
 * PostgreSQL: a schema of its own per database (`search_path` in the URL's `options`), so that the counts by
 * status are this test's alone while other test files write to the same database.
 */
const schemas: Array<string> = []
const withSchema = async (base: string): Promise<string> => {
  const schema = `metrics_test_${process.pid}_${++databases}`
  const client = new pg.Client({ connectionString: base })
  await client.connect()
  await client.query(`CREATE SCHEMA ${schema}`)
  await client.end()
  schemas.push(schema)
  const url = new URL(base)
  url.searchParams.set("options", `-c search_path=${schema}`)
  return url.toString()
}

afterAll(async () => {
  rmSync(directory, { recursive: true, force: true })
  if (schemas.length === 0 || postgresUrl === undefined) return
  const client = new pg.Client({ connectionString: postgresUrl })
  await client.connect()
  for (const schema of schemas) await client.query(`DROP SCHEMA ${schema} CASCADE`)
  await client.end()
})

interface Store {
  readonly name: string
  readonly skip: boolean
  /** A fresh, empty database: `DATABASE_URL` as the receiver reads it. */
  readonly database: () => Promise<string>
}

const stores: ReadonlyArray<Store> = [
  { name: "a SQLite file", skip: false, database: async () => `sqlite:${join(directory, `${++databases}.sqlite`)}` },
  {
    name: "PostgreSQL",
    skip: skipPostgres("metrics.test.ts"),
    database: () => {
      if (postgresUrl === undefined) throw new Error("CI=true but DATABASE_URL is not a postgres:// URL")
      return withSchema(postgresUrl)
    }
  }
]

// Scraping and reading a scrape.

interface Scrape {
  readonly status: number
  readonly contentType: string | null
  readonly text: string
  /** Each family by name, with its type. */
  readonly families: ReadonlyMap<string, Family>
  /** Every sample by the name it is written under (a histogram's under `_bucket`, `_sum`, `_count`). */
  readonly samples: ReadonlyMap<string, ReadonlyArray<Sample>>
}

/**
 * The samples of a scrape by name. parse-prometheus-text-format folds the series of a labelled histogram into
 * one and drops their labels (its `flattenMetrics`), so here histograms are parsed as untyped: each line is a
 * sample under its own name, with its labels (`le` included).
 */
const samplesOf = (text: string): ReadonlyMap<string, ReadonlyArray<Sample>> => {
  const samples = new Map<string, Array<Sample>>()
  for (const family of parse(text.replace(/^# TYPE (\S+) histogram$/gm, "# TYPE $1 untyped"))) {
    samples.set(family.name, [...(samples.get(family.name) ?? []), ...family.metrics])
  }
  return samples
}

const scrape = async (origin: string, headers: Record<string, string> = {}): Promise<Scrape> => {
  const response = await fetch(`${origin}/metrics`, { headers })
  const text = await response.text()
  const ok = response.status === 200
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    text,
    families: new Map(ok ? parse(text).map((family) => [family.name, family]) : []),
    samples: ok ? samplesOf(text) : new Map()
  }
}

/** The samples of `name` whose labels include `labels`. */
const samplesWith = (scraped: Scrape, name: string, labels: Record<string, string> = {}): ReadonlyArray<Sample> =>
  (scraped.samples.get(name) ?? []).filter((sample) =>
    Object.entries(labels).every(([key, value]) => sample.labels?.[key] === value)
  )

/** The value of the one sample of `name` whose labels include `labels`, or undefined when there is none. */
const valueOf = (scraped: Scrape, name: string, labels: Record<string, string> = {}): number | undefined => {
  const matching = samplesWith(scraped, name, labels)
  assert.isAtMost(matching.length, 1, `${name} ${JSON.stringify(labels)}: several samples`)
  return matching[0] === undefined ? undefined : Number(matching[0].value)
}

const DELIVERIES = "openai_webhook_deliveries_total"
const DURATION = "openai_webhook_handler_duration_seconds"
const INBOX = "openai_webhook_inbox_deliveries"
const AGE = "openai_webhook_inbox_oldest_pending_age_seconds"
const UP = "openai_webhook_inbox_up"

/** The label sets of the handler-duration series. */
const durationSeries = (scraped: Scrape) =>
  samplesWith(scraped, `${DURATION}_count`).map((sample) => sample.labels)

/**
 * The handler-duration series of one event type and outcome, checked as a histogram: every bucket of
 * `Metrics.BUCKETS` and `+Inf`, cumulative (never decreasing), `+Inf` equal to the count.
 */
const durations = (scraped: Scrape, labels: { event_type: string; outcome: string }) => {
  assert.strictEqual(scraped.families.get(DURATION)?.type, "HISTOGRAM")
  const count = valueOf(scraped, `${DURATION}_count`, labels)
  assert.isDefined(count, `${DURATION} ${JSON.stringify(labels)}`)
  const buckets = samplesWith(scraped, `${DURATION}_bucket`, labels)
    .map((sample) => {
      const le = sample.labels!["le"]!
      return [le === "+Inf" ? Infinity : Number(le), Number(sample.value)] as const
    })
    .sort(([a], [b]) => a - b)
  assert.deepStrictEqual(buckets.map(([le]) => le), [...Metrics.BUCKETS, Infinity])
  for (let i = 1; i < buckets.length; i++) assert.isAtLeast(buckets[i]![1], buckets[i - 1]![1], JSON.stringify(buckets))
  assert.strictEqual(buckets.at(-1)![1], count)
  return { count: count!, sum: valueOf(scraped, `${DURATION}_sum`, labels)!, buckets: new Map(buckets) }
}

/** The inbox gauges: every status (0 included), the oldest pending age, and whether the inbox answered. */
const inboxOf = (scraped: Scrape) => ({
  byStatus: Object.fromEntries(InboxSql.statuses.map((status) => [status, valueOf(scraped, INBOX, { status })])),
  age: valueOf(scraped, AGE),
  up: valueOf(scraped, UP)
})

const zeros = Object.fromEntries(InboxSql.statuses.map((status) => [status, 0]))

// Deliveries.

const post = async (url: string, delivery: WebhookTesting.Signed) => {
  const body = typeof delivery.body === "string" ? delivery.body : new Uint8Array(delivery.body)
  const response = await fetch(url, { method: "POST", headers: delivery.headers, body })
  await response.arrayBuffer()
  return response.status
}

const sign = (type: "response.completed" | "batch.completed" | "video.completed") =>
  WebhookTesting.unsafeSign({ event: WebhookTesting.sample(type), secret })

/** An authentic delivery of a type this version does not know. */
const unknownType = () =>
  WebhookTesting.unsafeSign({
    payload: JSON.stringify({ id: "evt_1", object: "event", created_at: 1, type: "response.teleported", data: {} }),
    secret
  })

describe.each(stores)("the receiver's /metrics on $name", (store) => {
  it.skipIf(store.skip)(
    "counts each delivery's outcome by event type, times each handler run, counts the inbox's rows by status",
    { timeout: 2 * PATIENCE },
    async () => {
      const receiver = await startReceiver(
        RECEIVER,
        await receiverEnv({ OPENAI_WEBHOOK_SECRET: secret, DATABASE_URL: await store.database() })
      )
      const empty = await scrape(receiver.origin)
      assert.strictEqual(empty.status, 200)
      assert.strictEqual(empty.contentType, "text/plain; version=0.0.4; charset=utf-8")
      assert.deepStrictEqual(inboxOf(empty), { byStatus: zeros, age: 0, up: 1 })

      const completed = sign("response.completed")
      assert.strictEqual(await post(receiver.url, completed), 200)
      assert.strictEqual(await post(receiver.url, completed), 200) // a duplicate: the handler does not run
      assert.strictEqual(await post(receiver.url, unknownType()), 200)
      const forged = WebhookTesting.unsafeSign({
        event: WebhookTesting.sample("batch.completed"),
        secret: "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
      })
      assert.strictEqual(await post(receiver.url, forged), 401)
      assert.strictEqual(await post(receiver.url, WebhookTesting.unsafeSign({ payload: "{\"id\":1}", secret })), 400)

      // An answer is shared for a second (Metrics.FRESH_FOR): the one after the deliveries may come a second later.
      const scraped = await scrapeUntil(
        receiver.origin,
        "a scrape made after the deliveries",
        (scraped) => inboxOf(scraped).byStatus["done"] === 2
      )
      assert.strictEqual(scraped.status, 200)
      const counts = scraped.families.get(DELIVERIES)
      assert.strictEqual(counts?.type, "COUNTER")
      assert.sameDeepMembers(
        counts!.metrics.map((sample): Record<string, unknown> => ({ ...sample.labels, value: Number(sample.value) })),
        [
          { outcome: "processed", event_type: "response.completed", value: 1 },
          { outcome: "duplicate", event_type: "response.completed", value: 1 },
          { outcome: "processed", event_type: "unknown", value: 1 },
          { outcome: "rejected", event_type: "none", value: 1 },
          { outcome: "invalid", event_type: "none", value: 1 }
        ]
      )

      // Two runs of the handler: the duplicate did not run it; the rejected and the invalid never reached it.
      assert.sameDeepMembers(durationSeries(scraped), [
        { event_type: "response.completed", outcome: "processed" },
        { event_type: "unknown", outcome: "processed" }
      ])
      for (const event_type of ["response.completed", "unknown"]) {
        const run = durations(scraped, { event_type, outcome: "processed" })
        assert.strictEqual(run.count, 1)
        // The example handler logs at debug level and returns: far under the first bucket's 5 ms... or not far
        // on a loaded machine, but always under a minute.
        assert.isAbove(run.sum, 0)
        assert.isBelow(run.sum, 60)
      }

      assert.deepStrictEqual(inboxOf(scraped), { byStatus: { ...zeros, done: 2 }, age: 0, up: 1 })
      // Node's own, with prom-client's default names.
      assert.strictEqual(scraped.families.get("process_cpu_user_seconds_total")?.type, "COUNTER")
      assert.strictEqual(scraped.families.get("nodejs_eventloop_lag_seconds")?.type, "GAUGE")

      await stopReceiver(receiver)
    }
  )
})

describe("the receiver's /metrics token", () => {
  const token = "metrics-token-0123456789abcdef"

  it("with WEBHOOK_METRICS_TOKEN set, answers 401 and nothing else without the token, 200 with it", {
    timeout: 2 * PATIENCE
  }, async () => {
    const receiver = await startReceiver(
      RECEIVER,
      await receiverEnv({ OPENAI_WEBHOOK_SECRET: secret, WEBHOOK_METRICS_TOKEN: token })
    )
    for (
      const headers of [
        {},
        { authorization: `Bearer ${token}x` },
        { authorization: `Bearer ${token.slice(0, -1)}` },
        { authorization: `Basic ${token}` },
        { authorization: token },
        { authorization: "Bearer " }
      ]
    ) {
      const refused = await scrape(receiver.origin, headers)
      assert.strictEqual(refused.status, 401, JSON.stringify(headers))
      assert.strictEqual(refused.contentType, "application/json")
      assert.notInclude(refused.text, "openai_webhook")
      assert.notInclude(refused.text, token)
    }
    // Not even which methods it takes, without the token.
    const post = await fetch(`${receiver.origin}/metrics`, { method: "POST", body: "{}" })
    assert.strictEqual(post.status, 401)
    assert.notInclude(await post.text(), "GET")

    const scraped = await scrape(receiver.origin, { authorization: `Bearer ${token}` })
    assert.strictEqual(scraped.status, 200)
    assert.strictEqual(scraped.families.get(DELIVERIES)?.type, "COUNTER")
    const head = await fetch(`${receiver.origin}/metrics`, {
      method: "HEAD",
      headers: { authorization: `Bearer ${token}` }
    })
    assert.strictEqual(head.status, 200)
    assert.strictEqual(await head.text(), "")
    const wrongMethod = await fetch(`${receiver.origin}/metrics`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` }
    })
    assert.strictEqual(wrongMethod.status, 405)
    assert.strictEqual(wrongMethod.headers.get("allow"), "GET, HEAD")
    await wrongMethod.arrayBuffer()

    await stopReceiver(receiver)
    assert.notInclude(receiver.stdout.text + receiver.stderr.text, token)
  })

  it("without WEBHOOK_METRICS_TOKEN, /metrics is open on loopback", { timeout: 2 * PATIENCE }, async () => {
    const receiver = await startReceiver(RECEIVER, await receiverEnv({ OPENAI_WEBHOOK_SECRET: secret }))
    const scraped = await scrape(receiver.origin, { authorization: "Bearer anything" })
    assert.strictEqual(scraped.status, 200)
    assert.isDefined(scraped.families.get(DELIVERIES))
    await stopReceiver(receiver)
  })

  it("WEBHOOK_METRICS=off serves no /metrics", { timeout: 2 * PATIENCE }, async () => {
    const receiver = await startReceiver(
      RECEIVER,
      await receiverEnv({ OPENAI_WEBHOOK_SECRET: secret, WEBHOOK_METRICS: "off" })
    )
    assert.strictEqual((await scrape(receiver.origin)).status, 404)
    await stopReceiver(receiver)
  })
})

const settingsFrom = (variables: Record<string, string>) =>
  Effect.result(load.pipe(withVariables(variables)))

describe("the metrics settings", () => {
  it.effect("WEBHOOK_METRICS defaults to on and WEBHOOK_METRICS_TOKEN to none", () =>
    Effect.gen(function*() {
      const settings = Result.getOrThrow(yield* settingsFrom({}))
      assert.strictEqual(settings.metrics, true)
      assert.isTrue(Option.isNone(settings.metricsToken))
      assert.strictEqual(Result.getOrThrow(yield* settingsFrom({ WEBHOOK_METRICS: "off" })).metrics, false)
    }))

  it.effect("a WEBHOOK_METRICS_TOKEN too short, or one no Authorization header could carry, stops the start", () =>
    Effect.gen(function*() {
      const tokens = ["", "tooshort123", "two words, long enough", "tab\there-long-enough", " padded-long-enough"]
      for (const token of tokens) {
        const error = yield* Effect.flip(
          settingsFrom({ WEBHOOK_METRICS_TOKEN: token }).pipe(Effect.flatMap(Effect.fromResult))
        )
        assert.include(error.message, "WEBHOOK_METRICS_TOKEN")
        assert.include(error.hint, "WEBHOOK_METRICS_TOKEN is a random string of at least 16")
        if (token.trim() !== "") assert.notInclude(`${error.message} ${error.hint}`, token.trim())
      }
    }))
})

// The receiver composed as npm start composes it, in this process, with a handler that fails and one that hangs.

/** `batch.completed` fails, `video.completed` never ends (past the 100 ms timeout), the rest succeed. */
const troubled = (event: WebhookEvent.UnwrapWebhookEvent) =>
  event._tag === "batch.completed"
    ? Effect.fail("the handler failed on purpose")
    : event._tag === "video.completed"
    ? Effect.never
    : Effect.void

/** One statement on `database`, over a connection of its own (the receiver keeps its own). */
const execute = (database: string, statement: string) => {
  const client: Layer.Layer<SqlClient.SqlClient, unknown> = database.startsWith("sqlite:")
    ? SqliteClient.layer({ filename: database.slice("sqlite:".length) })
    : PgClient.layer({ url: Redacted.make(database) })
  return Effect.runPromise(
    Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(statement)).pipe(Effect.provide(client))
  )
}

/** Scrapes until `done` holds of a scrape: what a worker or an interruption does after the answer is awaited. */
const scrapeUntil = (origin: string, what: string, done: (scraped: Scrape) => boolean): Promise<Scrape> =>
  within(
    (async () => {
      for (;;) {
        const scraped = await scrape(origin)
        if (done(scraped)) return scraped
      }
    })(),
    what
  )

const FAILED = { event_type: "batch.completed", outcome: "failed" }
const INTERRUPTED = { event_type: "video.completed", outcome: "interrupted" }
const PROCESSED = { event_type: "response.completed", outcome: "processed" }

/**
 * The runs of the handler in one series that `scraped` has more than `baseline`. The histogram and the counter
 * are the process's, and this file starts several receivers in it: each test counts from a scrape before it.
 */
const runsSince = (baseline: Scrape, scraped: Scrape, labels: Record<string, string>): number =>
  (valueOf(scraped, `${DURATION}_count`, labels) ?? 0) - (valueOf(baseline, `${DURATION}_count`, labels) ?? 0)

const deliver = async (receiver: Inspected, type: "response.completed" | "batch.completed" | "video.completed") => {
  const id = `msg_${type}_${Math.random().toString(36).slice(2)}`
  const response = await receiver.deliver({ id, event: WebhookTesting.sample(type) })
  await response.arrayBuffer()
  return response.status
}

describe.each(stores)("the metrics of failing handlers and a failing inbox, on $name", (store) => {
  let receiver: Inspected | undefined
  afterEach(async () => {
    await receiver?.close()
    receiver = undefined
  })

  it.skipIf(store.skip)(
    "times failed and interrupted runs, counts their deliveries as waiting, and says when the inbox stops answering",
    { timeout: 2 * PATIENCE },
    async () => {
      const database = await store.database()
      receiver = await startInspected(troubled, { DATABASE_URL: database, WEBHOOK_TIMEOUT: "100 millis" })
      const { origin } = receiver
      const baseline = await scrape(origin)
      const before = Date.now()
      assert.strictEqual(await deliver(receiver, "batch.completed"), 500)
      assert.strictEqual(await deliver(receiver, "video.completed"), 500)
      assert.strictEqual(await deliver(receiver, "response.completed"), 200)

      // The timed-out run is interrupted once its 500 is sent: its observation may land just after.
      const scraped = await scrapeUntil(
        origin,
        "the interrupted run's observation",
        (scraped) => runsSince(baseline, scraped, INTERRUPTED) > 0
      )
      const after = Date.now()
      for (const labels of [FAILED, INTERRUPTED, PROCESSED]) {
        durations(scraped, labels)
        assert.strictEqual(runsSince(baseline, scraped, labels), 1, JSON.stringify(labels))
      }
      // The interrupted one ran for its timeout, 100 ms, at least: not in the buckets below.
      const fast = (scraped: Scrape) =>
        valueOf(scraped, `${DURATION}_count`, INTERRUPTED) === undefined
          ? 0
          : durations(scraped, INTERRUPTED).buckets.get(0.05)!
      assert.strictEqual(fast(scraped) - fast(baseline), 0)
      for (const event_type of ["batch.completed", "video.completed"]) {
        const count = (scraped: Scrape) => valueOf(scraped, DELIVERIES, { outcome: "failed", event_type }) ?? 0
        assert.strictEqual(count(scraped) - count(baseline), 1, event_type)
      }

      const inbox = inboxOf(scraped)
      assert.deepStrictEqual(inbox.byStatus, { ...zeros, failed: 2, done: 1 })
      assert.strictEqual(inbox.up, 1)
      // The first failed delivery has waited since it was received: less than the test has run.
      assert.isAbove(inbox.age!, 0)
      assert.isAtMost(inbox.age!, (after - before) / 1000)

      // The inbox's table gone: the scrape still answers, without the inbox's counts, and one line says why.
      await execute(database, `ALTER TABLE ${TABLE} RENAME TO ${TABLE}_away`)
      await scrapeUntil(origin, "a scrape made after the table went", (scraped) => valueOf(scraped, UP) === 0)
      for (let i = 0; i < 2; i++) {
        const down = await scrape(origin)
        assert.strictEqual(down.status, 200)
        assert.strictEqual(valueOf(down, UP), 0)
        assert.isFalse(down.families.has(INBOX))
        assert.isFalse(down.families.has(AGE))
        assert.isDefined(down.families.get(DELIVERIES))
      }
      const warning = await receiver.waitForLine({ message: "metrics: the inbox did not answer" })
      assert.strictEqual(warning["level"], "WARN")
      assert.include(warning["error"], "openai_webhook_inbox_up is 0")

      await execute(database, `ALTER TABLE ${TABLE}_away RENAME TO ${TABLE}`)
      const back = await scrapeUntil(origin, "a scrape made after the table came back", (s) => valueOf(s, UP) === 1)
      assert.deepStrictEqual(inboxOf(back).byStatus, { ...zeros, failed: 2, done: 1 })
      assert.strictEqual(valueOf(back, UP), 1)
      await receiver.waitForLine({ message: "metrics: the inbox answers again" })
      // Said once each, not once per scrape.
      const said = linesOf(receiver.logs()).map(parseLogfmt).map((line) => line["message"])
      assert.deepStrictEqual(said.filter((message) => message?.startsWith("metrics:")), [
        "metrics: the inbox did not answer",
        "metrics: the inbox answers again"
      ])
      assert.notInclude(receiver.logs(), SECRET.slice("whsec_".length))
    }
  )

  it.skipIf(store.skip)("in queued mode, times the workers' runs: processed, failed, interrupted", {
    timeout: 2 * PATIENCE
  }, async () => {
    receiver = await startInspected(troubled, {
      DATABASE_URL: await store.database(),
      WEBHOOK_MODE: "queued",
      WEBHOOK_TIMEOUT: "100 millis"
    })
    const { origin } = receiver
    const baseline = await scrape(origin)
    for (const type of ["batch.completed", "video.completed", "response.completed"] as const) {
      assert.strictEqual(await deliver(receiver, type), 200)
    }
    // The workers run them after the answers. The failed two are tried again a second later, and so on: the
    // first attempt of each is what this waits for.
    const scraped = await scrapeUntil(
      origin,
      "the workers' first run of each",
      (scraped) => [FAILED, INTERRUPTED, PROCESSED].every((labels) => runsSince(baseline, scraped, labels) > 0)
    )
    for (const labels of [FAILED, INTERRUPTED, PROCESSED]) durations(scraped, labels)
    const { byStatus } = inboxOf(scraped)
    assert.strictEqual(byStatus["done"], 1)
    // Waiting for their next attempt, or in it.
    assert.strictEqual(byStatus["pending"]! + byStatus["processing"]!, 2)
  })
})

// What a scrape costs, and who may scrape.

/** `listener` on a Node server of its own on loopback, for the test's scope: its origin. */
const serve = (listener: Metrics.Listener, onRequest: () => void = () => undefined) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly origin: string; readonly server: Server }>((resume) => {
      const server = createServer((request, response) => {
        onRequest()
        listener(request, response)
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({ origin: `http://127.0.0.1:${port}`, server }))
      })
    }),
    ({ server }) => Effect.callback<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
  )

const SCRAPERS = 8

describe.each(stores)("a scrape's cost on $name", (store) => {
  it.live.skipIf(store.skip)(
    `${SCRAPERS} scrapes at once make one query of the inbox, and a scrape within a second of it reuses its answer`,
    () =>
      Effect.gen(function*() {
        const database = yield* Effect.promise(() => store.database())
        const client: Layer.Layer<SqlClient.SqlClient, unknown> = database.startsWith("sqlite:")
          ? SqliteClient.layer({ filename: database.slice("sqlite:".length) })
          : PgClient.layer({ url: Redacted.make(database) })
        const context = yield* Layer.build(WebhookInbox.layerSql().pipe(Layer.provide(client)))
        const inbox = Context.get(context, WebhookInbox.WebhookInbox)
        // The query waits until every scrape has arrived: they are in flight together, whatever the machine's speed.
        const arrived = yield* Deferred.make<void>()
        let requests = 0
        let queries = 0
        const counted: WebhookInbox.Store = {
          ...inbox,
          stats: Effect.andThen(
            Effect.andThen(Effect.sync(() => queries++), Deferred.await(arrived)),
            inbox.stats
          )
        }
        const listener = yield* Metrics.make({ metrics: true, metricsToken: Option.none(), host: "127.0.0.1" }).pipe(
          Effect.provideService(WebhookInbox.WebhookInbox, counted)
        )
        const { origin } = yield* serve(listener!, () => {
          if (++requests === SCRAPERS) Deferred.doneUnsafe(arrived, Exit.void)
        })
        yield* inbox.claim("evt_a", "batch.completed", 1, "{}")
        const scraped = yield* Effect.promise(() => Promise.all(Array.from({ length: SCRAPERS }, () => scrape(origin))))
        assert.strictEqual(queries, 1)
        for (const each of scraped) {
          assert.strictEqual(each.status, 200)
          assert.strictEqual(each.text, scraped[0]!.text)
          assert.deepStrictEqual(inboxOf(each), { byStatus: { ...zeros, processing: 1 }, age: 0, up: 1 })
        }
        // Within the second, the same answer again, with no query.
        assert.strictEqual((yield* Effect.promise(() => scrape(origin))).text, scraped[0]!.text)
        assert.strictEqual(queries, 1)
      }).pipe(Effect.scoped),
    2 * PATIENCE
  )
})

describe("who may scrape", () => {
  it.effect("bound beyond loopback without WEBHOOK_METRICS_TOKEN, /metrics answers 403 and says how to open it", () =>
    Effect.gen(function*() {
      for (const host of ["127.0.0.1", "::1", "localhost", "127.0.0.2"]) assert.isTrue(Metrics.isLoopback(host), host)
      for (const host of ["0.0.0.0", "::", "10.0.0.5", "192.168.1.2", "example.com"]) {
        assert.isFalse(Metrics.isLoopback(host), host)
      }
      const logs: Array<string> = []
      const logger = Logger.layer([Logger.make(({ message }) => logs.push(String(message)))])
      const closed = yield* Metrics.make({ metrics: true, metricsToken: Option.none(), host: "0.0.0.0" }).pipe(
        Effect.provide(logger)
      )
      assert.match(logs.join("\n"), /metrics: \/metrics answers 403: .*WEBHOOK_METRICS_TOKEN is unset/)
      const { origin } = yield* serve(closed!)
      const answer = yield* Effect.promise(() => scrape(origin))
      assert.strictEqual(answer.status, 403)
      assert.include(answer.text, "WEBHOOK_METRICS_TOKEN")
      assert.notInclude(answer.text, "openai_webhook")

      const token = "metrics-token-0123456789abcdef"
      const open = yield* Metrics.make({
        metrics: true,
        metricsToken: Option.some(Redacted.make(token)),
        host: "0.0.0.0"
      })
      const withToken = yield* serve(open!)
      assert.strictEqual((yield* Effect.promise(() => scrape(withToken.origin))).status, 401)
      const scraped = yield* Effect.promise(() => scrape(withToken.origin, { authorization: `Bearer ${token}` }))
      assert.strictEqual(scraped.status, 200)
      assert.isDefined(scraped.families.get(DELIVERIES))
    }))
})
