/**
 * The receiver as a user runs it: `npm start` in a child process on a loopback port, real signed
 * deliveries, its logfmt lines on stdout, and SIGTERM to stop it.
 */
import { mkdtempSync, rmSync } from "node:fs"
import * as http from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as net from "node:net"
import { pathToFileURL } from "node:url"
import { afterAll, afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import * as SqlClient from "effect/sql/SqlClient"
import { Context, Effect, Layer, Result, Schema } from "effect"
import { WebhookEvent, WebhookTesting } from "effect4-openai-webhooks"
import { LOG_LEVELS } from "../src/receiver/config.js"
import * as Database from "../src/receiver/database.js"
import {
  build,
  freePort,
  killGroups,
  linesOf,
  PATIENCE,
  type Run,
  runToEnd,
  within
} from "../../engine/test/support/process.js"
import { type Receiver, receiverEnv, startReceiver, stopReceiver } from "./support/receiver.js"
import { built, RECEIVER } from "./support/apps.js"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
const otherSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// A failed test must not leave a receiver behind: kill its whole process group.
afterEach(killGroups)

// Each receiver gets an inbox of its own: CI exports DATABASE_URL for PostgreSQL, and unset it means .data/.
const databases = mkdtempSync(join(tmpdir(), "receiver-"))
afterAll(() => rmSync(databases, { recursive: true, force: true }))

/** Starts `command` on a free port with an inbox of its own, and waits for the receiver's "listening on" line. */
const start = async (
  command: ReadonlyArray<string>,
  secretEnv: string | undefined,
  extra: NodeJS.ProcessEnv = {}
): Promise<Receiver> => {
  const env = await receiverEnv({ DATABASE_URL: `sqlite:${mkdtempSync(join(databases, "test-"))}/x.sqlite`, ...extra })
  if (secretEnv === undefined) delete env["OPENAI_WEBHOOK_SECRET"]
  else env["OPENAI_WEBHOOK_SECRET"] = secretEnv
  return startReceiver(command, env)
}

const post = async (url: string, delivery: WebhookTesting.Signed) => {
  const body = typeof delivery.body === "string" ? delivery.body : new Uint8Array(delivery.body)
  const response = await fetch(url, { method: "POST", headers: delivery.headers, body })
  return { status: response.status, body: await response.text() }
}

describe("npm start", () => {
  it("serves /healthz, processes a delivery of every event type, rejects another secret, stops on SIGTERM", {
    timeout: 3 * PATIENCE
  }, async () => {
    const receiver = await start(["npm", "start"], secret)
    assert.notInclude(receiver.stderr.text, "OPENAI_WEBHOOK_SECRET is not set")

    const health = await fetch(`${receiver.origin}/healthz`)
    assert.strictEqual(health.status, 200)
    assert.deepStrictEqual(await health.json(), { status: "ok" })

    const samples = WebhookTesting.samples()
    assert.strictEqual(samples.length, WebhookEvent.EventType.literals.length)
    const deliveries = samples.map((event) => ({ event, signed: WebhookTesting.unsafeSign({ event, secret }) }))
    for (const { signed } of deliveries) {
      const reply = await post(receiver.url, signed)
      assert.strictEqual(reply.status, 200, reply.body)
      assert.deepStrictEqual(JSON.parse(reply.body), { received: true })
    }
    for (const { event, signed } of deliveries) {
      await receiver.stdout.waitForLine({
        message: "processed",
        webhook_id: signed.headers["webhook-id"],
        event_type: event._tag
      })
    }

    const forged = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("video.failed"), secret: otherSecret })
    const rejected = await post(receiver.url, forged)
    assert.strictEqual(rejected.status, 401)
    assert.deepStrictEqual(JSON.parse(rejected.body), {
      error: { type: "SignatureError", reason: "NoMatchingSignature" }
    })
    await receiver.stdout.waitForLine({ message: "rejected", webhook_id: forged.headers["webhook-id"] })

    // One line per delivery, and none of them shows the secret or a signature.
    const perDelivery = receiver.stdout.lines.filter((line) => line["webhook_id"] !== undefined)
    assert.strictEqual(perDelivery.length, deliveries.length + 1)
    for (const shown of [receiver.stdout.text, receiver.stderr.text]) {
      assert.notInclude(shown, secret.slice("whsec_".length))
      assert.notInclude(shown, forged.headers["webhook-signature"].slice("v1,".length))
    }

    await stopReceiver(receiver)
  })

  it("without OPENAI_WEBHOOK_SECRET prints a development secret that signs deliveries", {
    timeout: 3 * PATIENCE
  }, async () => {
    const receiver = await start(["npm", "start"], undefined)
    // The send line to copy, with where this run listens: a free port, not the 8787 that send assumes.
    const [printed, url] = await receiver.stderr.waitFor("the development secret's send line", (output) => {
      if (!output.text.includes("OPENAI_WEBHOOK_SECRET is not set")) return undefined
      const line = /npx openai-webhooks send response\.completed --secret (whsec_[A-Za-z0-9+/]+=*) --url (\S+)\n/
        .exec(output.text)
      return line === null ? undefined : [line[1]!, line[2]!] as const
    })
    assert.notStrictEqual(printed, secret)
    assert.strictEqual(url, receiver.url)

    const signed = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("batch.completed"), secret: printed })
    const reply = await post(url, signed)
    assert.strictEqual(reply.status, 200, reply.body)
    await receiver.stdout.waitForLine({
      message: "processed",
      webhook_id: signed.headers["webhook-id"],
      event_type: "batch.completed"
    })

    // Deliveries signed with any other secret, OpenAI's included, are rejected until one is configured.
    const other = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("batch.completed"), secret })
    assert.strictEqual((await post(receiver.url, other)).status, 401)

    await stopReceiver(receiver)
  })
})

describe("the receiver process that npm start runs", () => {
  beforeAll(async () => {
    await build()
  }, PATIENCE)

  for (const keepAlive of [false, true]) {
    const connection = keepAlive ? "keep-alive" : "connection: close"
    it(`on SIGTERM stops accepting, answers the delivery in flight (${connection}), logs stopped and exits 0`, {
      timeout: 2 * PATIENCE
    }, async () => {
      const receiver = await start(["node", RECEIVER], secret)
      const signed = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("video.completed"), secret })
      const body = Buffer.from(signed.body)

      // `expect: 100-continue` holds the body back until the receiver has taken the request: then it is in
      // flight. `agent: false` asks for `connection: close`, so the receiver need not wait for an idle keep-alive.
      const request = http.request(receiver.url, {
        method: "POST",
        // With keep-alive, the receiver must close the connection after answering, or it would never stop.
        agent: keepAlive ? new http.Agent({ keepAlive: true }) : false,
        headers: { ...signed.headers, "content-length": String(body.length), expect: "100-continue" }
      })
      const continued = within(new Promise<void>((resolve) => request.once("continue", resolve)), "100 Continue")
      const answered = within(
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          request.once("error", reject)
          request.once("response", (response) => {
            if (keepAlive) assert.strictEqual(response.headers["connection"], "close")
            const chunks: Array<Buffer> = []
            response.on("data", (chunk: Buffer) => chunks.push(chunk))
            response.once("end", () =>
              resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }))
          })
        }),
        "the answer to the delivery in flight"
      )
      request.flushHeaders()
      await continued

      receiver.child.kill("SIGTERM")
      await receiver.stdout.waitForLine({ message: "stopping: no new deliveries; waiting for those in flight" })
      request.end(body)

      const reply = await answered
      assert.strictEqual(reply.status, 200, reply.body)
      assert.deepStrictEqual(await within(receiver.exit, "the receiver to exit"), { code: 0, signal: null })
      await within(receiver.stdout.ended, "the end of the receiver's output")
      const messages = receiver.stdout.lines.map((line) => line["message"])
      const processed = receiver.stdout.lines.findIndex((line) =>
        line["message"] === "processed" && line["webhook_id"] === signed.headers["webhook-id"]
      )
      assert.isAbove(processed, messages.indexOf("stopping: no new deliveries; waiting for those in flight"))
      assert.strictEqual(messages.at(-1), "stopped")
    })
  }
})

describe("the receiver's settings", () => {
  beforeAll(async () => {
    await build()
  }, PATIENCE)

  it("LOG_LEVEL=debug shows the example handler's own line for each event", { timeout: 2 * PATIENCE }, async () => {
    const receiver = await start(["node", RECEIVER], secret, { LOG_LEVEL: "debug" })
    const signed = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("batch.completed"), secret })
    assert.strictEqual((await post(receiver.url, signed)).status, 200)
    const line = await receiver.stdout.waitForLine({ level: "DEBUG", webhook_id: signed.headers["webhook-id"] })
    assert.match(line["message"]!, /^batch batch_\w+: batch\.completed$/)
    await stopReceiver(receiver)
  })
})

describe("a receiver that cannot start", () => {
  beforeAll(async () => {
    await build()
  }, PATIENCE)

  /** The built receiver to its end, on a free port and an in-memory inbox unless `extra` says otherwise. */
  const receiver = async (extra: NodeJS.ProcessEnv): Promise<Run> =>
    runToEnd(["node", RECEIVER], await receiverEnv({ OPENAI_WEBHOOK_SECRET: secret, ...extra }))

  /** Exit `code`, and on stderr exactly an `error:` line like `error` and a `hint:` line like `hint`: no stack. */
  const assertFailed = (run: Run, code: 1 | 2, error: RegExp, hint: RegExp) => {
    assert.strictEqual(run.code, code, run.stdout + run.stderr)
    const lines = linesOf(run.stderr)
    assert.strictEqual(lines.length, 2, run.stderr)
    assert.match(lines[0]!, /^error: /)
    assert.match(lines[0]!, error)
    assert.match(lines[1]!, /^hint: /)
    assert.match(lines[1]!, hint)
    assert.notMatch(run.stdout, /listening on/)
  }

  it("refuses an unknown LOG_LEVEL, naming every valid one, and exits 2", async () => {
    const run = await receiver({ LOG_LEVEL: "loud" })
    assertFailed(run, 2, /^error: LOG_LEVEL: .*"loud"/, /^hint: LOG_LEVEL is one of /)
    for (const level of LOG_LEVELS) assert.include(run.stderr, level)
  })

  it("names every variable it cannot use, and exits 2", async () => {
    const run = await receiver({
      PORT: "99999",
      WEBHOOK_MODE: "fast",
      WEBHOOK_WORKERS: "0",
      WEBHOOK_HEADERS_TIMEOUT: "10",
      WEBHOOK_MAX_CONNECTIONS: "none"
    })
    assertFailed(
      run,
      2,
      /PORT: .*"99999".*WEBHOOK_MODE: .*"fast".*WEBHOOK_WORKERS: .*WEBHOOK_HEADERS_TIMEOUT: .*WEBHOOK_MAX_CONNECTIONS: /,
      /PORT is .*WEBHOOK_MODE is inline or queued.*WEBHOOK_HEADERS_TIMEOUT is a duration.*WEBHOOK_MAX_CONNECTIONS is /
    )
  })

  it("refuses a malformed OPENAI_WEBHOOK_SECRET without showing it, and exits 2", async () => {
    // A character outside base64's alphabet: damage, however the secret's padding is read.
    const key = "Q2hvcnRLZXlNYXRlcmlhbEZvclRlc3Q"
    const run = await receiver({ OPENAI_WEBHOOK_SECRET: `whsec_${key}!==` })
    assertFailed(run, 2, /^error: OPENAI_WEBHOOK_SECRET: /, /signing secret/)
    assert.notInclude(run.stdout + run.stderr, key)
  })

  it("refuses a DATABASE_URL it does not know without echoing it, and exits 2", async () => {
    const run = await receiver({ DATABASE_URL: "mysql://root:pw_Zq81hidden@db.example/webhooks" })
    assertFailed(run, 2, /^error: DATABASE_URL: /, /sqlite:<path>, memory, or postgres:\/\//)
    assert.notInclude(run.stdout + run.stderr, "pw_Zq81hidden")
  })

  it("says another process listens on PORT, and exits 1", async () => {
    const taken = net.createServer()
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve))
    try {
      const port = (taken.address() as net.AddressInfo).port
      const run = await receiver({ PORT: String(port) })
      assertFailed(run, 1, new RegExp(`^error: cannot listen on 127\\.0\\.0\\.1:${port}: another process`), /PORT/)
    } finally {
      await new Promise((resolve) => taken.close(resolve))
    }
  })

  it("says the PostgreSQL server does not answer, without its password, and exits 1", async () => {
    const url = `postgres://webhooks:pw_Zq81hidden@127.0.0.1:${await freePort()}/webhooks`
    const run = await receiver({ DATABASE_URL: url })
    assertFailed(run, 1, /^error: cannot open PostgreSQL 127\.0\.0\.1:\d+\/webhooks: .*ECONNREFUSED/, /server running/)
    assert.notInclude(run.stdout + run.stderr, "pw_Zq81hidden")
  })
})

describe("the receiver's database", () => {
  beforeAll(async () => {
    await build()
  }, PATIENCE)

  /**
   * Builds the database layer of `url` in a fresh node, and says which drivers that node loaded. They are ES modules
   * (not in `require.cache`): a resolve hook, registered before the receiver's module is imported, sees each.
   */
  const loads = async (url: string) => {
    const effect = pathToFileURL(built("../node_modules/effect/dist/index.js")).href
    const script = [
      `import { registerHooks } from "node:module"`,
      `const resolved = []`,
      `registerHooks({ resolve: (specifier, context, next) => { const found = next(specifier, context); ` +
      `resolved.push(found.url); return found } })`,
      `const { Effect, Result, Exit, Layer } = await import(${JSON.stringify(effect)})`,
      `const Database = await import(${JSON.stringify(pathToFileURL(built("receiver/database.js")).href)})`,
      `const database = Result.getOrThrow(Database.parse(process.env.URL))`,
      `const exit = await Effect.runPromiseExit(Effect.scoped(Layer.build(Database.layer(database))))`,
      `const has = (name) => resolved.some((url) => url.includes("/node_modules/" + name + "/"))`,
      `console.log(JSON.stringify({ built: Exit.isSuccess(exit), pg: has("@effect/sql-pg"), ` +
      `sqlite: has("@effect/sql-sqlite-node") }))`
    ].join("\n")
    const run = await runToEnd(["node", "--input-type=module", "-e", script], { ...process.env, URL: url })
    assert.strictEqual(run.code, 0, run.stderr)
    return JSON.parse(run.stdout) as { built: boolean; pg: boolean; sqlite: boolean }
  }

  it("names a driver to install with the range this package depends on", () => {
    // A bare `npm install` of a driver takes the registry's latest, which may need another Effect.
    assert.strictEqual(Database.installSpec("@effect/sql-sqlite-node"), "@effect/sql-sqlite-node@~4.1.0")
    assert.strictEqual(Database.installSpec("@effect/sql-pg"), "@effect/sql-pg@~4.1.5")
  })

  it("loads the SQLite driver (node:sqlite) and not the PostgreSQL one for SQLite", async () => {
    assert.deepStrictEqual(await loads("memory"), { built: true, pg: false, sqlite: true })
  })

  it("loads the PostgreSQL driver and not the SQLite one for PostgreSQL (a server that does not answer)", async () => {
    assert.deepStrictEqual(await loads(`postgres://u:p@127.0.0.1:${await freePort()}/x`), {
      built: false,
      pg: true,
      sqlite: false
    })
  })

  it("opens its SQLite file in WAL mode with synchronous = NORMAL: the inbox syncs the log itself", async () => {
    const dir = mkdtempSync(join(tmpdir(), "openai-webhooks-durable-"))
    try {
      const database = Result.getOrThrow(Database.parse(`sqlite:${join(dir, "inbox.sqlite")}`))
      const pragmas = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
        const context = yield* Layer.build(Database.layer(database))
        const sql = Context.get(context, SqlClient.SqlClient)
        const [journal] = yield* sql<{ journal_mode: string }>`PRAGMA journal_mode`
        const [synchronous] = yield* sql<{ synchronous: number }>`PRAGMA synchronous`
        return { journal: journal?.journal_mode, synchronous: synchronous?.synchronous }
      })))
      // 1 is NORMAL (0 OFF, 2 FULL, 3 EXTRA): the inbox's `durable` syncs the log before a 200 (tested with the inbox).
      assert.deepStrictEqual(pragmas, { journal: "wal", synchronous: 1 })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it.prop(
    "never shows the password of a postgres:// URL in what it logs",
    {
      // Well-formed text (a lone surrogate has no URL encoding: not a password anyone can type).
      password: Schema.String.check(Schema.makeFilter((text) => !/\p{Cs}/u.test(text))),
      scheme: Schema.Literals(["postgres", "postgresql"])
    },
    ({ password, scheme }) => {
      const hidden = `pw_${password}`
      const parsed = Database.parse(`${scheme}://webhooks:${encodeURIComponent(hidden)}@db.example:5432/inbox`)
      assert.isTrue(parsed._tag === "Success")
      if (parsed._tag === "Success") {
        assert.strictEqual(parsed.success.description, "PostgreSQL db.example:5432/inbox")
        assert.notInclude(parsed.success.description, hidden)
      }
    }
  )
})
