/**
 * The receiver's HTTP server as clients on the network meet it: raw sockets (bytes written as given) against
 * the receiver (`packages/cli/src/receiver.ts`, run by Node through tsx, so that this file needs no build) in a child
 * process: RFC 9112's request handling, the server's timeouts under slow clients, its bound on connections.
 */
import * as net from "node:net"
import { afterAll, afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import { Arbitrary, Duration, Effect, Result, Schema } from "effect"
import { WebhookTesting } from "effect4-openai-webhooks"
import { type ReceiverConfig, load } from "../src/receiver/config.js"
import * as Rfc9112 from "../src/receiver/rfc9112.js"
import { limits } from "../src/receiver/server.js"
import { killGroups, PATIENCE, within } from "../../engine/test/support/process.js"
import { type Receiver, receiverEnv, startReceiver, stopReceiver } from "./support/receiver.js"
import { RECEIVER_SOURCE } from "./support/apps.js"
import { withVariables } from "./support/env.js"
import { type Sent, sendWhileReading } from "./support/socket.js"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
const RECEIVER = ["node", "--import", "tsx", RECEIVER_SOURCE]
const LIMIT = 1024 * 1024

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

/** `text` as chunks of `size` bytes, with the last chunk: a chunked body (RFC 9112 7.1). */
const chunked = (text: string, size: number): string => {
  let out = ""
  for (let at = 0; at < text.length; at += size) {
    const chunk = text.slice(at, at + size)
    out += `${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n`
  }
  return `${out}0\r\n\r\n`
}

const processed = (receiver: Receiver, delivery: WebhookTesting.Signed) =>
  receiver.stdout.waitForLine({ message: "processed", webhook_id: delivery.headers["webhook-id"] })

describe("RFC 9112 request handling of the receiver", () => {
  let receiver: Receiver
  beforeAll(async () => {
    receiver = await start()
  }, PATIENCE)
  afterAll(async () => {
    if (receiver !== undefined && receiver.child.exitCode === null) await stopReceiver(receiver)
  }, PATIENCE)
  const port = () => receiver.port

  describe("request-target forms (3.2)", () => {
    it("origin-form with a query routes on its path", async () => {
      const delivery = signed()
      const { responses } = await exchange(port(), post("/webhooks/openai?x=1", delivery))
      assert.strictEqual(responses[0]?.status, 200, responses[0]?.body)
      await processed(receiver, delivery)
    })

    it("absolute-form is accepted (a server MUST, 3.2.2), and its Host header is ignored", async () => {
      for (const host of [`127.0.0.1:${port()}`, "other.example"]) {
        const delivery = signed()
        const target = `http://127.0.0.1:${port()}/webhooks/openai?x=1`
        const { responses } = await exchange(port(), post(target, delivery, { host }))
        assert.strictEqual(responses[0]?.status, 200, responses[0]?.body)
        await processed(receiver, delivery)
      }
      const health = await exchange(port(), `GET HTTP://Example.COM:80/healthz HTTP/1.1\r\nhost: x\r\n\r\n`)
      assert.deepStrictEqual(JSON.parse(health.responses[0]!.body), { status: "ok" })
    })

    it("absolute-form with userinfo, an empty host or another scheme is refused with 400", async () => {
      for (const target of ["http://user@127.0.0.1/healthz", "http:///healthz", "ftp://127.0.0.1/healthz"]) {
        const { responses } = await exchange(port(), `GET ${target} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`)
        assert.strictEqual(responses[0]?.status, 400, target)
        assert.strictEqual(responses[0]?.headers["connection"], "close")
      }
    })

    it("asterisk-form: OPTIONS * is answered 200 with no content; * with any other method 400", async () => {
      const options = await exchange(port(), "OPTIONS * HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
      assert.strictEqual(options.responses[0]?.status, 200)
      assert.strictEqual(options.responses[0]?.headers["content-length"], "0")
      for (const method of ["GET", "POST"]) {
        const { responses } = await exchange(port(), `${method} * HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 0\r\n\r\n`)
        assert.strictEqual(responses[0]?.status, 400, method)
      }
    })

    it("authority-form: CONNECT is answered 405 (not a proxy) and closed; with another method, 400", async () => {
      const connect = await exchange(port(), `CONNECT 127.0.0.1:${port()} HTTP/1.1\r\nhost: 127.0.0.1:${port()}\r\n\r\n`)
      const [refused] = await connect.connection.end("the CONNECT connection to close")
      assert.strictEqual(refused?.status, 405)
      assert.strictEqual(refused?.headers["allow"], "")
      assert.strictEqual(JSON.parse(refused!.body).error.type, "MethodNotAllowed")

      const other = await exchange(port(), `POST 127.0.0.1:${port()} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 0\r\n\r\n`)
      const responses = await other.connection.end("the connection to close")
      assert.deepStrictEqual(responses.map((response) => response.status), [400])
    })
  })

  describe("Host (3.2)", () => {
    it("an HTTP/1.1 request without Host, with two, or with an invalid one gets 400 and a closed connection", async () => {
      const requests = [
        "GET /healthz HTTP/1.1\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nhost: a.example\r\nhost: b.example\r\n\r\n",
        "GET /healthz HTTP/1.0\r\nhost: a.example\r\nHost: a.example\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nhost: a.example/path\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nhost: user@a.example\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nhost: a example\r\n\r\n"
      ]
      for (const request of requests) {
        const { connection } = await exchange(port(), request)
        const responses = await connection.end(`the connection of ${JSON.stringify(request)} to close`)
        assert.deepStrictEqual(responses.map((response) => response.status), [400], request)
      }
    })

    it("accepts one valid Host (a name, an IPv4 or IPv6 address, a port, or empty), and none in HTTP/1.0", async () => {
      for (const host of ["example.com", "127.0.0.1:8787", "[::1]:8787", ""]) {
        const { responses } = await exchange(port(), `GET /healthz HTTP/1.1\r\nhost: ${host}\r\n\r\n`)
        assert.strictEqual(responses[0]?.status, 200, host)
      }
      const { responses } = await exchange(port(), "GET /healthz HTTP/1.0\r\n\r\n")
      assert.strictEqual(responses[0]?.status, 200)
    })

    it("answers 505 to a major version other than 1 (RFC 9110 15.6.6)", async () => {
      const { responses } = await exchange(port(), "GET /healthz HTTP/2.0\r\nhost: a.example\r\n\r\n")
      assert.strictEqual(responses[0]?.status, 505)
    })
  })

  describe("Expect (RFC 9110 10.1.1)", () => {
    it("100-continue within the limit: 100 Continue, then the body, then 200", async () => {
      const delivery = signed()
      const request = post("/webhooks/openai", delivery, { extra: "expect: 100-continue\r\n" })
      const [head, body] = request.split(/(?<=\r\n\r\n)/, 2) as [string, string]
      const connection = await Connection.open(port())
      connection.write(head)
      const [continued] = await connection.until(1)
      assert.strictEqual(continued?.status, 100)
      connection.write(body)
      const [, answered] = await connection.until(2)
      assert.strictEqual(answered?.status, 200, answered?.body)
      await processed(receiver, delivery)
      connection.destroy()
    })

    it("100-continue over the limit: 413 without 100, and the connection closed without reading the body", async () => {
      const delivery = signed()
      const head = `POST /webhooks/openai HTTP/1.1\r\nhost: 127.0.0.1\r\n${headerLines(delivery)}` +
        `content-length: ${LIMIT + 1}\r\nexpect: 100-continue\r\n\r\n`
      const connection = await Connection.open(port())
      connection.write(head)
      // No byte of the body is ever sent: the server closes on its own.
      const responses = await connection.end("the server to close the connection")
      assert.deepStrictEqual(responses.map((response) => response.status), [413])
      assert.strictEqual(responses[0]?.headers["connection"], "close")
      assert.strictEqual(JSON.parse(responses[0]!.body).error.type, "PayloadTooLarge")
    })

    it("100-continue with a method other than POST: 405 without 100", async () => {
      const { connection } = await exchange(
        port(),
        "PUT /webhooks/openai HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 5\r\nexpect: 100-continue\r\n\r\n"
      )
      const responses = await connection.end("the server to close the connection")
      assert.deepStrictEqual(responses.map((response) => response.status), [405])
    })

    it("an expectation other than 100-continue gets 417", async () => {
      const delivery = signed()
      const { connection, responses } = await exchange(
        port(),
        post("/webhooks/openai", delivery, { extra: "expect: fancy\r\n" })
      )
      assert.deepStrictEqual(responses.map((response) => response.status), [417])
      connection.destroy()
    })
  })

  describe("message body length (6.3)", () => {
    const smuggled = "GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n"
    const cases = [
      ["Content-Length then Transfer-Encoding", (body: string) =>
        `content-length: ${Buffer.byteLength(body)}\r\ntransfer-encoding: chunked\r\n`],
      ["Transfer-Encoding then Content-Length", (body: string) =>
        `transfer-encoding: chunked\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`],
      ["Transfer-Encoding: chunked and Content-Length: 0", () => `transfer-encoding: chunked\r\ncontent-length: 0\r\n`],
      ["a final transfer coding other than chunked", () => `transfer-encoding: chunked, gzip\r\n`],
      ["two different Content-Lengths", (body: string) =>
        `content-length: ${Buffer.byteLength(body)}\r\ncontent-length: 5\r\n`]
    ] as const
    for (const [name, framing] of cases) {
      it(`${name}: 400, the connection closed, and the request hidden in the body never processed`, async () => {
        const delivery = signed()
        const body = `0\r\n\r\n${smuggled}`
        const request = `POST /webhooks/openai HTTP/1.1\r\nhost: 127.0.0.1\r\n${headerLines(delivery)}` +
          `${framing(body)}\r\n${body}`
        const { connection } = await exchange(port(), request)
        const responses = await connection.end("the server to close the connection")
        assert.deepStrictEqual(responses.map((response) => response.status), [400])
        assert.notInclude(connection.text, "\"status\":\"ok\"")
      })
    }

    it("a chunked body within the limit is verified as usual", async () => {
      const delivery = signed()
      const request = `POST /webhooks/openai HTTP/1.1\r\nhost: 127.0.0.1\r\n${headerLines(delivery)}` +
        `transfer-encoding: chunked\r\n\r\n${chunked(String(delivery.body), 7)}`
      const { responses } = await exchange(port(), request)
      assert.strictEqual(responses[0]?.status, 200, responses[0]?.body)
      await processed(receiver, delivery)
    })

    it("a chunked body over the limit gets 413 before its end", async () => {
      const delivery = signed()
      const connection = await Connection.open(port())
      connection.write(
        `POST /webhooks/openai HTTP/1.1\r\nhost: 127.0.0.1\r\n${headerLines(delivery)}transfer-encoding: chunked\r\n\r\n`
      )
      // One chunk over the limit, and no last chunk: the answer cannot wait for the end.
      connection.write(`${(LIMIT + 1).toString(16)}\r\n${"a".repeat(LIMIT + 1)}\r\n`)
      const [answered] = await connection.until(1)
      assert.strictEqual(answered?.status, 413)
      connection.destroy()
    })
  })

  describe("pipelining (9.3.2)", () => {
    it("two requests written in one packet get two answers, in order, on one connection", async () => {
      const first = signed("response.completed")
      const second = signed("batch.failed")
      const packet = post("/webhooks/openai", first) + "GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n" +
        post("/webhooks/openai", second, { extra: "connection: close\r\n" })
      const { connection } = await exchange(port(), packet, 3)
      const responses = await connection.end("the connection to close after the third answer")
      assert.deepStrictEqual(responses.map((response) => response.status), [200, 200, 200])
      assert.deepStrictEqual(responses.map((response) => JSON.parse(response.body)), [
        { received: true },
        { status: "ok" },
        { received: true }
      ])
      await processed(receiver, first)
      await processed(receiver, second)
      const order = receiver.stdout.lines.filter((line) => line["message"] === "processed").map((line) =>
        line["webhook_id"]
      )
      assert.isBelow(order.indexOf(first.headers["webhook-id"]), order.indexOf(second.headers["webhook-id"]))
    })
  })
})

describe("early answers reach a sender still sending its body (RFC 9112 9.6: a lingering close)", () => {
  // A plain close lost the answer to a reset in about a third of 30 tries: each kind is tried that often.
  const TRIES = 30
  const BIG = new Uint8Array(10 * 1024 * 1024).fill(97)
  let receiver: Receiver
  beforeAll(async () => {
    receiver = await start({ WEBHOOK_HEADERS_TIMEOUT: "1 second", WEBHOOK_REQUEST_TIMEOUT: "1 second" })
  }, PATIENCE)
  afterAll(async () => {
    if (receiver !== undefined && receiver.child.exitCode === null) await stopReceiver(receiver)
  }, PATIENCE)

  const tries = async (attempt: () => Promise<Sent>, parallel = 1): Promise<ReadonlyArray<Sent>> => {
    const sent: Array<Sent> = []
    for (let i = 0; i < TRIES; i += parallel) sent.push(...await Promise.all(Array.from({ length: parallel }, attempt)))
    return sent
  }
  const answered = (sent: ReadonlyArray<Sent>, status: number, type: string) => {
    for (const { answer, errors, whole } of sent) {
      assert.deepStrictEqual(errors, [], "no reset before the answer was in")
      assert.isTrue(whole, `a whole answer, got ${answer?.raw.slice(0, 80)}`)
      assert.strictEqual(answer?.status, status)
      assert.strictEqual(JSON.parse(answer!.body).error.type, type)
    }
  }
  const head = (extra: string, target = "/webhooks/openai", host = "host: 127.0.0.1\r\n") => {
    const delivery = signed()
    return `POST ${target} HTTP/1.1\r\n${host}${headerLines(delivery)}${extra}\r\n`
  }

  const chunked = Buffer.concat([Buffer.from(`${BIG.byteLength.toString(16)}\r\n`), BIG, Buffer.from("\r\n0\r\n\r\n")])
  const slow = new Uint8Array(4096).fill(97)
  const kinds: ReadonlyArray<{
    readonly name: string
    readonly head: () => string
    readonly body: Uint8Array
    readonly status: number
    readonly type: string
    readonly drip?: boolean
  }> = [
    {
      name: "413 to a declared 10 MiB body sent with Connection: close",
      head: () => head(`connection: close\r\ncontent-length: ${BIG.byteLength}\r\n`),
      body: BIG,
      status: 413,
      type: "PayloadTooLarge"
    },
    {
      name: "413 to a chunked body once it passes the limit",
      head: () => head("connection: close\r\ntransfer-encoding: chunked\r\n"),
      body: chunked,
      status: 413,
      type: "PayloadTooLarge"
    },
    {
      name: "413 to Expect: 100-continue over the limit, from a sender that sends the body anyway",
      head: () => head(`expect: 100-continue\r\ncontent-length: ${BIG.byteLength}\r\n`),
      body: BIG,
      status: 413,
      type: "PayloadTooLarge"
    },
    {
      name: "400 to an invalid Host (the receiver's RFC 9112 rules), before the body is read",
      head: () => head(`content-length: ${BIG.byteLength}\r\n`, "/webhooks/openai", "host: a b\r\n"),
      body: BIG,
      status: 400,
      type: "BadRequest"
    },
    {
      name: "400 from the parser to Transfer-Encoding with Content-Length",
      head: () => head(`transfer-encoding: chunked\r\ncontent-length: ${BIG.byteLength}\r\n`),
      body: BIG,
      status: 400,
      type: "BadRequest"
    },
    {
      name: "404 to a body posted elsewhere with Connection: close, never read",
      head: () => head(`connection: close\r\ncontent-length: ${BIG.byteLength}\r\n`, "/elsewhere"),
      body: BIG,
      status: 404,
      type: "NotFound"
    },
    {
      name: "408 to a body still arriving, too slowly, at the request timeout",
      head: () => head(`content-length: ${slow.byteLength}\r\n`),
      body: slow,
      status: 408,
      type: "RequestTimeout",
      // Each takes the request timeout: all at once.
      drip: true
    }
  ]
  for (const kind of kinds) {
    it(kind.name, { timeout: 2 * PATIENCE }, async () => {
      const send = () => sendWhileReading(receiver.port, kind.head(), kind.body, { drip: kind.drip === true })
      answered(await tries(send, kind.drip === true ? TRIES : 1), kind.status, kind.type)
    })
  }
})

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
    load.pipe(withVariables(env))

  it.effect("defaults: headers 10 s, request 15 s, keep-alive 5 s, 1000 connections", () =>
    Effect.gen(function*() {
      const loaded = yield* settings({})
      assert.deepStrictEqual(
        [loaded.headersTimeout, loaded.requestTimeout, loaded.keepAliveTimeout].map(Duration.toMillis),
        [10_000, 15_000, 5_000]
      )
      assert.strictEqual(loaded.maxConnections, 1000)
      // With the handler's 10 s, a stop fits Kubernetes' default grace period (30 s): see NodeServer.limits.
      assert.strictEqual(limits(loaded).drain, 28_000)
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

  it.effect("the lease defaults to 30 s, and a lease under a second or a timeout of zero is refused", () =>
    Effect.gen(function*() {
      const loaded = yield* settings({})
      assert.strictEqual(Duration.toMillis(loaded.lease), 30_000)
      for (const [name, value] of [["WEBHOOK_LEASE", "500 millis"], ["WEBHOOK_TIMEOUT", "0 seconds"]] as const) {
        const error = yield* Effect.flip(settings({ [name]: value }))
        assert.strictEqual(error._tag, "InvalidConfig")
        assert.match(error.message, new RegExp(`^${name}: `))
        assert.match(error.hint, new RegExp(`^${name} is a duration (of at least 1 second|from 1 millis to 1 hour)`))
      }
    }))

  it.effect("a WEBHOOK_PATH that no request could match is refused, naming the variable", () =>
    Effect.gen(function*() {
      // Empty counts as unset, as for every variable (see config.test.ts): the default path.
      assert.strictEqual((yield* settings({ WEBHOOK_PATH: "" })).path, "/webhooks/openai")
      for (const path of ["webhooks", "/a b", "/x?y=1", "/x#y"]) {
        const error = yield* Effect.flip(settings({ WEBHOOK_PATH: path }))
        assert.strictEqual(error._tag, "InvalidConfig")
        assert.match(error.message, /^WEBHOOK_PATH: /)
        assert.match(error.hint, /^WEBHOOK_PATH is a path starting with \//)
      }
      assert.strictEqual((yield* settings({ WEBHOOK_PATH: "/hooks/openai" })).path, "/hooks/openai")
    }))

  it.effect("a WEBHOOK_PATH on the receiver's own paths is refused: deliveries, matched first, would hide them", () =>
    Effect.gen(function*() {
      for (const path of ["/healthz", "/metrics", "/inbox", "/inbox/api/stats"]) {
        const error = yield* Effect.flip(settings({ WEBHOOK_PATH: path }))
        assert.strictEqual(error._tag, "InvalidConfig")
        assert.match(error.message, /^WEBHOOK_PATH: Expected a path other than the receiver's own/)
        assert.match(error.hint, /other than \/healthz, \/metrics and \/inbox/)
      }
      assert.strictEqual((yield* settings({ WEBHOOK_PATH: "/inboxes" })).path, "/inboxes")
    }))

  const duration = Arbitrary.map(
    Arbitrary.schema(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 3_600_000 }))),
    Duration.millis
  )
  it.prop(
    "the Node limits: whole milliseconds, headers within the request, checked often enough, a backstop past both",
    { headers: duration, request: duration, keepAlive: duration, handler: duration },
    ({ handler, headers, keepAlive, request }) => {
      const base = Result.getOrThrow(Effect.runSync(Effect.result(settings({}))))
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

describe("the request-target (RFC 9112 3.2)", () => {
  const matching = (pattern: RegExp) => Schema.String.check(Schema.isPattern(pattern))
  const segment = Arbitrary.schema(matching(/^[A-Za-z0-9\-._~!$&'()*+,;=:@%]*$/))
  const path = Arbitrary.map(Arbitrary.array(segment, { maxLength: 5 }), (segments) => `/${segments.join("/")}`)
  const query = Schema.UndefinedOr(matching(/^[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/))
  const octet = Arbitrary.schema(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 255 })))
  // A host name, an IPv4 address, or an IPv6 one in brackets (full, or with :: for a run of zeros).
  const host = Arbitrary.schema(Schema.Union([
    matching(/^[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?){0,3}\.[a-z]{2,6}$/),
    matching(/^\[[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){7}\]$/),
    matching(/^\[(?:[0-9a-f]{1,4}:){0,3}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,3})?\]$/)
  ]))
  const ipv4 = Arbitrary.map(Arbitrary.all([octet, octet, octet, octet]), (octets) => octets.join("."))
  const anyHost = Arbitrary.flatMap(Arbitrary.schema(Schema.Boolean), (v4) => v4 ? ipv4 : host)
  const port = Schema.UndefinedOr(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 })))

  it.prop(
    "absolute-form routes exactly as its origin-form does, whatever its authority",
    { path, query, host: anyHost, port, https: Schema.Boolean },
    ({ host, https, path, port, query }) => {
      const origin = query === undefined ? path : `${path}?${query}`
      const authority = port === undefined ? host : `${host}:${port}`
      assert.strictEqual(Rfc9112.pathOf(origin), path)
      assert.strictEqual(Rfc9112.pathOf(`${https ? "https" : "http"}://${authority}${origin}`), path)
      assert.isTrue(Rfc9112.isAuthority(authority))
    }
  )

  it("an absolute-form without a path is /, and * is asterisk-form", () => {
    assert.strictEqual(Rfc9112.pathOf("http://example.com"), "/")
    assert.strictEqual(Rfc9112.pathOf("http://example.com?x=1"), "/")
    assert.strictEqual(Rfc9112.pathOf("*"), "*")
  })

  it("refuses what is none of the forms", () => {
    for (const target of ["", "webhooks/openai", "127.0.0.1:8787", "ftp://a/b", "http://", "http://:80/x"]) {
      assert.isUndefined(Rfc9112.pathOf(target), target)
    }
  })
})
