/**
 * The receiver's HTTP server as clients on the network meet it: raw sockets (bytes written as given) against
 * the receiver (`src/bin/receiver.ts`, run by Node through tsx, so that this file needs no build) in a child
 * process: the server's timeouts under slow clients, its bound on connections.
 */
import * as net from "node:net"
import { afterAll, afterEach, assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Either, FastCheck } from "effect"
import { type ReceiverConfig, load } from "../src/bin/receiver/config.js"
import { limits } from "../src/bin/receiver/server.js"
import { WebhookTesting } from "../src/index.js"
import { killGroups, PATIENCE, within } from "./support/process.js"
import { type Receiver, receiverEnv, startReceiver, stopReceiver } from "./support/receiver.js"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
const RECEIVER = ["node", "--import", "tsx", "src/bin/receiver.ts"]

// A failed test must not leave a receiver behind; a receiver shared by a block is killed after the block.
afterAll(killGroups)

/** The receiver with an in-memory inbox on a free loopback port, `extra` over its environment. */
const start = async (extra: NodeJS.ProcessEnv = {}): Promise<Receiver> =>
  startReceiver(RECEIVER, await receiverEnv({ OPENAI_WEBHOOK_SECRET: secret, ...extra }))

interface Response {
  readonly status: number
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/**
 * The complete responses at the start of `text`, in order: bodies framed by `content-length`, by chunks, or
 * (neither, and not 1xx) by the end of the connection when `ended`.
 */
const responses = (text: string, ended: boolean): ReadonlyArray<Response> => {
  const parsed: Array<Response> = []
  let rest = text
  for (;;) {
    const end = rest.indexOf("\r\n\r\n")
    if (end === -1) return parsed
    const [statusLine, ...lines] = rest.slice(0, end).split("\r\n")
    const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine!)?.[1])
    const headers: Record<string, string> = {}
    for (const line of lines) {
      const colon = line.indexOf(":")
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
    }
    let after = rest.slice(end + 4)
    let body = ""
    if (status >= 100 && status < 200) body = ""
    else if (headers["content-length"] !== undefined) {
      const length = Number(headers["content-length"])
      if (after.length < length) return parsed
      body = after.slice(0, length)
      after = after.slice(length)
    } else if (headers["transfer-encoding"] === "chunked") {
      for (;;) {
        const line = after.indexOf("\r\n")
        if (line === -1) return parsed
        const size = parseInt(after.slice(0, line), 16)
        if (after.length < line + 2 + size + 2) return parsed
        body += after.slice(line + 2, line + 2 + size)
        after = after.slice(line + 2 + size + 2)
        if (size === 0) break
      }
    } else {
      if (!ended) return parsed
      body = after
      after = ""
    }
    parsed.push({ status, headers, body })
    rest = after
  }
}

/** A raw TCP connection to the receiver: what it wrote back, and when it closed. */
class Connection {
  text = ""
  isClosed = false
  /** Resolves with everything received once the server has closed the connection. */
  readonly closed: Promise<string>
  private readonly listeners = new Set<() => void>()

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding("latin1")
    socket.on("data", (chunk: string) => {
      this.text += chunk
      for (const listener of this.listeners) listener()
    })
    // A write after the server closed (a slow client's next byte) fails: that is the close, seen from here.
    socket.on("error", () => undefined)
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.isClosed = true
        for (const listener of this.listeners) listener()
        resolve(this.text)
      })
    )
  }

  static open(port: number): Promise<Connection> {
    return within(
      new Promise((resolve, reject) => {
        const socket = net.connect(port, "127.0.0.1")
        socket.once("error", reject)
        socket.once("connect", () => {
          socket.off("error", reject)
          resolve(new Connection(socket))
        })
      }),
      "a connection to the receiver"
    )
  }

  write(bytes: string | Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes)
  }

  get responses(): ReadonlyArray<Response> {
    return responses(this.text, this.isClosed)
  }

  /** Waits for `count` complete responses (or the close: then those there are). */
  async until(count: number): Promise<ReadonlyArray<Response>> {
    await within(
      new Promise<void>((resolve) => {
        const check = () => {
          if (this.isClosed || this.responses.length >= count) {
            this.listeners.delete(check)
            resolve()
          }
        }
        this.listeners.add(check)
        check()
      }),
      `${count} response(s)`
    )
    return this.responses
  }

  /** Waits for the server to close the connection; its responses then. */
  async end(what: string, ms: number = PATIENCE): Promise<ReadonlyArray<Response>> {
    await within(this.closed, what, ms)
    return this.responses
  }

  destroy(): void {
    this.socket.destroy()
  }
}

/** Writes `bytes` on a new connection, and gives the responses once `count` are complete or the server closes. */
const exchange = async (port: number, bytes: string, count: number = 1) => {
  const connection = await Connection.open(port)
  connection.write(bytes)
  const got = await connection.until(count)
  return { connection, responses: got }
}

const signed = (type: Parameters<typeof WebhookTesting.sample>[0] = "batch.completed") =>
  WebhookTesting.unsafeSign({ event: WebhookTesting.sample(type), secret })

/** The signature headers of a delivery as header lines. */
const headerLines = (delivery: WebhookTesting.Signed): string =>
  Object.entries(delivery.headers).map(([name, value]) => `${name}: ${value}\r\n`).join("")

/** A POST of `delivery` as bytes: `target`, `host`, `content-length`, then `extra` header lines and the body. */
const post = (
  target: string,
  delivery: WebhookTesting.Signed,
  options: { readonly host?: string; readonly extra?: string; readonly body?: string } = {}
): string => {
  const body = options.body ?? String(delivery.body)
  return `POST ${target} HTTP/1.1\r\nhost: ${options.host ?? "127.0.0.1"}\r\n${headerLines(delivery)}` +
    `content-length: ${Buffer.byteLength(body)}\r\n${options.extra ?? ""}\r\n${body}`
}

const processed = (receiver: Receiver, delivery: WebhookTesting.Signed) =>
  receiver.stdout.waitForLine({ message: "processed", webhook_id: delivery.headers["webhook-id"] })

describe("the receiver's server under slow clients", () => {
  afterEach(killGroups)
  const SLOWLORIS = 200
  const SILENT = 50
  const SLOW_BODIES = 50
  const IDLE = 50
  const DELIVERIES = 20
  // Node's own defaults would take 60 s (+30 s until it looks) for headers and 300 s (+30 s) for a request.
  const DEADLINE = 30_000

  it(
    "closes slowloris, silent, slow-body and idle keep-alive connections after the configured timeouts, and " +
      "answers ordinary deliveries 200 meanwhile",
    { timeout: 3 * PATIENCE },
    async () => {
      const receiver = await start({
        WEBHOOK_HEADERS_TIMEOUT: "1 second",
        WEBHOOK_REQUEST_TIMEOUT: "2 seconds",
        WEBHOOK_KEEP_ALIVE_TIMEOUT: "1 second"
      })
      const open = (count: number) =>
        Promise.all(Array.from({ length: count }, () => Connection.open(receiver.port)))

      // Headers a byte at a time, never finished.
      const slowloris = await open(SLOWLORIS)
      for (const connection of slowloris) connection.write("POST /webhooks/openai HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ")
      // Connected, and not a byte sent.
      const silent = await open(SILENT)
      // Complete headers, and a body a byte at a time that never reaches its length.
      const slowBodies = await open(SLOW_BODIES)
      for (const connection of slowBodies) {
        connection.write(post("/webhooks/openai", signed(), { body: "x".repeat(1000) }).slice(0, -1000))
      }
      // One request answered, then nothing: a keep-alive connection left idle.
      const idle = await open(IDLE)
      for (const connection of idle) connection.write("GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
      const kept = await Promise.all(idle.map((connection) => connection.until(1)))

      const dripping = [...slowloris, ...slowBodies]
      const drip = setInterval(() => {
        for (const connection of dripping) connection.write("x")
      }, 100)
      try {
        for (let i = 0; i < DELIVERIES; i++) {
          const delivery = signed()
          const { responses } = await exchange(
            receiver.port,
            post("/webhooks/openai", delivery, { extra: "connection: close\r\n" })
          )
          assert.strictEqual(responses[0]?.status, 200, responses[0]?.body)
          await processed(receiver, delivery)
        }

        const ended = (connections: ReadonlyArray<Connection>, what: string) =>
          within(Promise.all(connections.map((connection) => connection.closed)), what, DEADLINE)
        // Node answers 408 to a request it gave up on, then closes.
        for (const text of await ended(slowloris, "the server to close every slowloris connection")) {
          assert.match(text, /^HTTP\/1\.1 408 /)
        }
        for (const text of await ended(silent, "the server to close every silent connection")) {
          assert.match(text, /^HTTP\/1\.1 408 /)
        }
        for (const text of await ended(slowBodies, "the server to close every slow body")) {
          assert.match(text, /^HTTP\/1\.1 408 /)
        }
        // The keep-alive timeout is the one configured (Node says it in seconds), and the idle close says nothing.
        for (const [response] of kept) assert.strictEqual(response?.headers["keep-alive"], "timeout=1")
        await ended(idle, "the server to close every idle keep-alive connection")
        for (const connection of idle) assert.lengthOf(connection.responses, 1)
      } finally {
        clearInterval(drip)
      }

      const health = await exchange(receiver.port, "GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
      assert.strictEqual(health.responses[0]?.status, 200)
      health.connection.destroy()
      assert.notInclude(receiver.stdout.text, "level=ERROR")
      await stopReceiver(receiver)
    }
  )

  it("beyond WEBHOOK_MAX_CONNECTIONS closes new connections, serves the open ones, and says so once", {
    timeout: 2 * PATIENCE
  }, async () => {
    const MAX = 5
    const receiver = await start({ WEBHOOK_MAX_CONNECTIONS: String(MAX), WEBHOOK_KEEP_ALIVE_TIMEOUT: "10 minutes" })
    // Each connection has had an answer: the server has taken it, and counts it.
    const held = await Promise.all(Array.from({ length: MAX }, () => Connection.open(receiver.port)))
    for (const connection of held) connection.write("GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
    for (const connection of held) assert.strictEqual((await connection.until(1))[0]?.status, 200)

    const refused = await Connection.open(receiver.port)
    refused.write("GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
    await refused.end("the server to close the connection over the limit")
    assert.strictEqual(refused.text, "")
    const warning = await receiver.stdout.waitForLine({ message: "connections refused" })
    assert.strictEqual(warning["max_connections"], String(MAX))
    assert.strictEqual(warning["level"], "WARN")

    // The open ones are served meanwhile.
    const delivery = signed()
    held[0]!.write(post("/webhooks/openai", delivery))
    const [, answered] = await held[0]!.until(2)
    assert.strictEqual(answered?.status, 200, answered?.body)
    await processed(receiver, delivery)

    // One ends: a new connection is taken again (once the server has seen the end: until then it is refused).
    held[1]!.destroy()
    const accepted = await within(
      (async () => {
        for (;;) {
          const { connection, responses } = await exchange(
            receiver.port,
            "GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n"
          )
          connection.destroy()
          if (responses.length > 0) return responses[0]!
        }
      })(),
      "a connection to be taken again"
    )
    assert.strictEqual(accepted.status, 200)
    for (const connection of held) connection.destroy()
    await stopReceiver(receiver)
  })
})

describe("the receiver's server settings", () => {
  const settings = (env: Record<string, string>) =>
    Effect.withConfigProvider(load, ConfigProvider.fromMap(new Map(Object.entries(env))))

  it.effect("defaults: headers 10 s, request 30 s, keep-alive 5 s, 1000 connections", () =>
    Effect.gen(function*() {
      const loaded = yield* settings({})
      assert.deepStrictEqual(
        [loaded.headersTimeout, loaded.requestTimeout, loaded.keepAliveTimeout].map(Duration.toMillis),
        [10_000, 30_000, 5_000]
      )
      assert.strictEqual(loaded.maxConnections, 1000)
    }))

  it.effect("reads each from its variable", () =>
    Effect.gen(function*() {
      const loaded = yield* settings({
        WEBHOOK_HEADERS_TIMEOUT: "2 seconds",
        WEBHOOK_REQUEST_TIMEOUT: "1500 millis",
        WEBHOOK_KEEP_ALIVE_TIMEOUT: "1 minute",
        WEBHOOK_MAX_CONNECTIONS: "64"
      })
      assert.deepStrictEqual(
        [loaded.headersTimeout, loaded.requestTimeout, loaded.keepAliveTimeout].map(Duration.toMillis),
        [2_000, 1_500, 60_000]
      )
      assert.strictEqual(loaded.maxConnections, 64)
    }))

  const bad = [
    ["WEBHOOK_HEADERS_TIMEOUT", "soon"],
    ["WEBHOOK_HEADERS_TIMEOUT", "0 seconds"],
    ["WEBHOOK_REQUEST_TIMEOUT", "2 hours"],
    ["WEBHOOK_REQUEST_TIMEOUT", "-1 seconds"],
    ["WEBHOOK_KEEP_ALIVE_TIMEOUT", "30"],
    ["WEBHOOK_MAX_CONNECTIONS", "0"],
    ["WEBHOOK_MAX_CONNECTIONS", "many"]
  ] as const
  for (const [name, value] of bad) {
    it.effect(`refuses ${name}=${value}, naming the variable and what it accepts`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(settings({ [name]: value }))
        assert.strictEqual(error._tag, "InvalidConfig")
        assert.match(error.message, new RegExp(`^${name}: `))
        assert.match(error.hint, new RegExp(`^${name} is (a duration from 1 millis to 1 hour|a whole number)`))
      }))
  }

  const duration = FastCheck.integer({ min: 1, max: 3_600_000 }).map(Duration.millis)
  it.prop(
    "the Node limits: whole milliseconds, headers within the request, checked often enough, a backstop past both",
    { headers: duration, request: duration, keepAlive: duration, handler: duration },
    ({ handler, headers, keepAlive, request }) => {
      const base = Either.getOrThrow(Effect.runSync(Effect.either(settings({}))))
      const config: ReceiverConfig = {
        ...base,
        headersTimeout: headers,
        requestTimeout: request,
        keepAliveTimeout: keepAlive,
        timeout: handler
      }
      const limit = limits(config)
      for (const value of Object.values(limit)) assert.isTrue(Number.isSafeInteger(value) && value >= 1)
      assert.strictEqual(limit.requestTimeout, Duration.toMillis(request))
      assert.strictEqual(limit.headersTimeout, Math.min(Duration.toMillis(headers), Duration.toMillis(request)))
      assert.strictEqual(limit.keepAliveTimeout, Duration.toMillis(keepAlive))
      // Node checks the two every interval: each fires at most a tenth (or a second) late.
      assert.isAtMost(limit.connectionsCheckingInterval, Math.max(1, Math.min(1000, limit.headersTimeout / 10)))
      assert.isAtLeast(limit.timeout, limit.requestTimeout + Duration.toMillis(handler))
    }
  )
})
