/**
 * NodeServer on real loopback servers and raw sockets: every early answer reaches a client still sending its body
 * (repeated, to catch the race a plain close loses), the parser's refusals answered, and a stop that keeps every
 * deadline, closes each connection after its answer, and never resets a request it received.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as http from "node:http"
import * as net from "node:net"
import { fileURLToPath } from "node:url"
import { afterEach, describe, expect, it } from "vitest"
import { NodeServer } from "../src/index.js"
import { type Served, type Settings, start as startHere } from "./fixtures/node-server.js"

const FIXTURE = fileURLToPath(new URL("./fixtures/node-server.ts", import.meta.url))

const BIG = new Uint8Array(10 * 1024 * 1024).fill(97)
/** Each kind of early answer is tried this often: a plain close lost the answer in about a third of 30 tries. */
const TRIES = 30

const servers: Array<http.Server> = []
const children: Array<ChildProcess> = []
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    server.close()
  }
  for (const child of children.splice(0)) child.kill()
})

/** The fixture's server in this process. */
const start = async (settings: Settings = {}): Promise<Served> => {
  const served = await startHere(settings)
  servers.push(served.server)
  return served
}

/** The fixture's server in a process of its own, as a receiver is to its senders: its port. */
const startApart = (settings: Settings = {}): Promise<{ readonly port: number }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", FIXTURE, JSON.stringify(settings)], {
      stdio: ["pipe", "pipe", "inherit"]
    })
    children.push(child)
    child.once("exit", (code) => reject(new Error(`the server exited (${code}) before listening`)))
    let out = ""
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk
      const port = /\{"port":(\d+)\}/.exec(out)?.[1]
      if (port !== undefined) resolve({ port: Number(port) })
    })
  })

interface Answer {
  readonly status: number | undefined
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /** The whole answer arrived (its body as long as its `content-length`). */
  readonly complete: boolean
  /** Socket errors the client saw before the answer was whole (`ECONNRESET`: the answer may be lost). */
  readonly errors: ReadonlyArray<string>
}

const parse = (raw: Buffer): Omit<Answer, "errors"> => {
  const end = raw.indexOf("\r\n\r\n")
  if (end === -1) return { status: undefined, headers: {}, body: "", complete: false }
  const [line, ...lines] = raw.subarray(0, end).toString("latin1").split("\r\n")
  const headers: Record<string, string> = {}
  for (const header of lines) {
    const colon = header.indexOf(":")
    headers[header.slice(0, colon).toLowerCase()] = header.slice(colon + 1).trim()
  }
  const body = raw.subarray(end + 4)
  const length = Number(headers["content-length"])
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(line!)?.[1]),
    headers,
    body: body.toString("utf8"),
    complete: Number.isInteger(length) && body.byteLength >= length
  }
}

/** A raw connection to `port`. */
const connect = (port: number): Promise<net.Socket> =>
  new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1")
    socket.once("error", reject)
    socket.once("connect", () => {
      socket.off("error", reject)
      resolve(socket)
    })
  })

/**
 * A client that writes `head`, then `body` as fast as the connection takes it (or `drip`: `body` a few bytes every
 * few milliseconds), reading all the while, and stops writing once it has a whole answer: what a sender of a large
 * or slow delivery does. Resolves with the answer once it is whole or the connection is gone.
 */
const send = async (
  port: number,
  head: string,
  body: Uint8Array,
  options: { readonly drip?: boolean; readonly afterAnswer?: (socket: net.Socket) => void } = {}
): Promise<Answer> => {
  const socket = await connect(port)
  return new Promise((resolve) => {
    let raw = Buffer.alloc(0)
    const errors: Array<string> = []
    let done = false
    const finish = () => {
      if (done) return
      done = true
      clearInterval(dripping)
      resolve({ ...parse(raw), errors })
      if (options.afterAnswer === undefined) socket.destroy()
      else options.afterAnswer(socket)
    }
    socket.on("data", (chunk: Buffer) => {
      raw = Buffer.concat([raw, chunk])
      if (parse(raw).complete) finish()
    })
    socket.on("error", (error: NodeJS.ErrnoException) => errors.push(error.code ?? error.message))
    socket.on("close", finish)
    socket.write(head)
    let at = 0
    let dripping: ReturnType<typeof setInterval> | undefined
    if (options.drip === true) {
      dripping = setInterval(() => {
        if (!done && at < body.byteLength) socket.write(body.subarray(at, at += 8))
      }, 10)
      return
    }
    const pump = () => {
      while (!done && at < body.byteLength) {
        const piece = body.subarray(at, at += 64 * 1024)
        if (!socket.write(piece)) return void socket.once("drain", pump)
      }
    }
    pump()
  })
}

const post = (path: string, headers: string) => `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${headers}\r\n`

/** Runs `attempt` `TRIES` times, `parallel` at once. */
const repeat = async <A>(attempt: (i: number) => Promise<A>, parallel = 1): Promise<ReadonlyArray<A>> => {
  const results: Array<A> = []
  for (let i = 0; i < TRIES; i += parallel) {
    results.push(...await Promise.all(Array.from({ length: Math.min(parallel, TRIES - i) }, (_, j) => attempt(i + j))))
  }
  return results
}

const waitFor = (what: () => boolean): Promise<void> =>
  new Promise((resolve) => {
    if (what()) return resolve()
    const check = setInterval(() => what() && (clearInterval(check), resolve()), 5)
  })

describe("NodeServer.limits", () => {
  it("adds up a stop's budget: 15 s request, 1 s check, 10 s handler, 2 s linger is 28 s, inside 30 s", () => {
    const limits = NodeServer.limits({
      headersTimeout: 10_000,
      requestTimeout: 15_000,
      keepAliveTimeout: 5_000,
      handlerTimeout: 10_000
    })
    expect(limits).toEqual({
      headersTimeout: 10_000,
      requestTimeout: 15_000,
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: 1000,
      timeout: 25_000,
      linger: NodeServer.defaultLinger,
      drain: 28_000
    })
    // Kubernetes' default terminationGracePeriodSeconds.
    expect(limits.drain).toBeLessThan(30_000)
  })

  it("keeps the headers within the request, Node's timers within 2^31 - 1 ms, and each check within a tenth", () => {
    const rows = [
      [60_000, 1000, 10, 0],
      [1, 1, 1, 1],
      [2 ** 40, 2 ** 40, Infinity, 5],
      [2500.2, 9999.9, 0.5, 100]
    ] as const
    for (const [headersTimeout, requestTimeout, handlerTimeout, linger] of rows) {
      const limits = NodeServer.limits({ headersTimeout, requestTimeout, keepAliveTimeout: 1, handlerTimeout, linger })
      for (const value of Object.values(limits)) expect(Number.isSafeInteger(value) && value >= 0).toBe(true)
      expect(limits.headersTimeout).toBeLessThanOrEqual(limits.requestTimeout)
      expect(limits.connectionsCheckingInterval).toBeLessThanOrEqual(Math.max(1, limits.headersTimeout / 10))
      expect(limits.drain).toBeLessThanOrEqual(2 ** 31 - 1)
      expect(limits.drain).toBeGreaterThanOrEqual(
        Math.min(2 ** 31 - 1, limits.requestTimeout + limits.connectionsCheckingInterval + limits.linger)
      )
    }
  })
})

describe("every early answer reaches a client still sending its body", () => {
  const expectAnswered = (answers: ReadonlyArray<Answer>, status: number) => {
    for (const answer of answers) {
      expect(answer.errors).toEqual([])
      expect(answer.complete).toBe(true)
      expect(answer.status).toBe(status)
      expect(answer.headers["connection"]).toBe("close")
    }
  }

  it(`413 to a declared 10 MiB body sent with Connection: close (${TRIES} tries)`, async () => {
    const { port } = await startApart()
    const head = post("/", `connection: close\r\ncontent-length: ${BIG.byteLength}\r\n`)
    const answers = await repeat(() => send(port, head, BIG))
    // The 413 has no `Connection: close` of its own: the client asked for it.
    for (const answer of answers) {
      expect(answer.errors).toEqual([])
      expect(answer.complete).toBe(true)
      expect(answer.status).toBe(413)
    }
  })

  it(`413 to a chunked body once it passes the limit (${TRIES} tries)`, async () => {
    const { port } = await startApart()
    const chunks = Buffer.concat([Buffer.from(`${BIG.byteLength.toString(16)}\r\n`), BIG, Buffer.from("\r\n0\r\n\r\n")])
    const answers = await repeat(() =>
      send(port, post("/", "connection: close\r\ntransfer-encoding: chunked\r\n"), chunks)
    )
    for (const answer of answers) {
      expect(answer.errors).toEqual([])
      expect(answer.complete).toBe(true)
      expect(answer.status).toBe(413)
    }
  })

  it(`an application's refusal with Connection: close, before reading the body (${TRIES} tries)`, async () => {
    const { port } = await startApart()
    const answers = await repeat(() => send(port, post("/refuse", `content-length: ${BIG.byteLength}\r\n`), BIG))
    expectAnswered(answers, 400)
  })

  it(`400 from the parser to a malformed chunk, while the client goes on sending (${TRIES} tries)`, async () => {
    const { port } = await startApart()
    const chunks = Buffer.concat([Buffer.from("zz\r\n"), BIG])
    const answers = await repeat(() => send(port, post("/", "transfer-encoding: chunked\r\n"), chunks))
    expectAnswered(answers, 400)
    expect(JSON.parse(answers[0]!.body)).toEqual({
      error: { type: "BadRequest", message: "The request is not a valid HTTP/1.1 request (RFC 9112)" }
    })
  })

  it(`408 to a body that arrives too slowly, while it still arrives (${TRIES} tries)`, async () => {
    const { port } = await startApart({ requestTimeout: 300 })
    const body = new Uint8Array(4096).fill(97)
    const answers = await repeat(
      () => send(port, post("/", `content-length: ${body.byteLength}\r\n`), body, { drip: true }),
      TRIES
    )
    expectAnswered(answers, 408)
    expect(JSON.parse(answers[0]!.body).error.type).toBe("RequestTimeout")
  })

  it("a request answered 408 is over: its body ending while the server lingers tells its reader nothing", async () => {
    const served = await start({ requestTimeout: 300 })
    const body = new Uint8Array(4096).fill(97)
    const answers = await repeat(
      (i) =>
        send(served.port, post("/", `x-id: slow-${i}\r\ncontent-length: ${body.byteLength}\r\n`), body, {
          drip: true,
          // Once answered, the client sends the rest of its body at once: the body ends while the server lingers.
          afterAnswer: (socket) => socket.end(body)
        }),
      TRIES
    )
    expectAnswered(answers, 408)
    await waitFor(() => served.managed.connections() === 0)
    // No handler runs for a delivery its sender was told failed.
    for (let i = 0; i < TRIES; i++) expect(served.told.get(`slow-${i}`)).toEqual([])
  })

  it("431 to headers larger than the parser takes, with a JSON body", async () => {
    const { port } = await startApart()
    const answer = await send(port, post("/", `x-big: ${"a".repeat(20_000)}\r\ncontent-length: 5\r\n`), BIG)
    expectAnswered([answer], 431)
    expect(JSON.parse(answer.body).error.type).toBe("RequestHeaderFieldsTooLarge")
  })
})

/** Resolves once `socket` has closed: with what it received, and the errors it saw. */
const closing = (socket: net.Socket) => {
  let raw = Buffer.alloc(0)
  const errors: Array<string> = []
  socket.on("data", (chunk: Buffer) => (raw = Buffer.concat([raw, chunk])))
  socket.on("error", (error: NodeJS.ErrnoException) => errors.push(error.code ?? error.message))
  return {
    answer: () => parse(raw),
    closed: new Promise<{ readonly raw: string; readonly errors: ReadonlyArray<string> }>((resolve) =>
      socket.once("close", () => resolve({ raw: raw.toString("latin1"), errors }))
    )
  }
}

describe("NodeServer.manage: stop", () => {
  it("keeps the request timeout after the stop: a sender stalled mid-body gets its 408 on time", async () => {
    const served = await start({ requestTimeout: 1000, headersTimeout: 500 })
    const socket = await connect(served.port)
    const seen = closing(socket)
    const sent = Date.now()
    socket.write(post("/", "x-id: stalled\r\ncontent-length: 100\r\n") + "{\"half\":")
    await served.arrived()
    const stopped = served.managed.stop(60_000)
    expect(served.managed.stopping()).toBe(true)
    const { errors, raw } = await seen.closed
    const after = Date.now() - sent
    expect(raw).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/)
    expect(errors).toEqual([])
    // At the request timeout, noticed within Node's check interval (100 ms here), not at the drain deadline.
    expect(after).toBeGreaterThanOrEqual(1000)
    expect(after).toBeLessThan(5000)
    expect(await stopped).toEqual({ cut: 0 })
    expect(served.told.get("stalled")).toEqual([])
  })

  it("answers what is in flight with Connection: close, closes idle keep-alive connections, takes none new", async () => {
    const served = await start()
    // One answered and left open (keep-alive), one whose answer is held.
    const idle = await connect(served.port)
    const idleSeen = closing(idle)
    idle.write("GET /hold HTTP/1.1\r\nhost: 127.0.0.1\r\nx-id: before\r\n\r\n")
    await served.arrived()
    served.held.shift()!()
    await waitFor(() => idleSeen.answer().complete)
    expect(idleSeen.answer().headers["connection"]).toBe("keep-alive")

    const busy = await connect(served.port)
    const busySeen = closing(busy)
    busy.write("GET /hold HTTP/1.1\r\nhost: 127.0.0.1\r\nx-id: in-flight\r\n\r\n")
    await served.arrived()

    const stopped = served.managed.stop(60_000)
    const refused = await connect(served.port).then(() => "connected", (error: NodeJS.ErrnoException) => error.code)
    expect(refused).toBe("ECONNREFUSED")
    served.held.shift()!()
    const busyEnd = await busySeen.closed
    expect(busyEnd.errors).toEqual([])
    expect(parse(Buffer.from(busyEnd.raw, "latin1"))).toMatchObject({
      status: 200,
      complete: true,
      headers: { connection: "close" }
    })
    // The idle connection is closed by the server with nothing more said.
    const idleEnd = await idleSeen.closed
    expect(idleEnd.errors).toEqual([])
    expect(idleEnd.raw.match(/HTTP\/1\.1 /g)).toHaveLength(1)
    expect(await stopped).toEqual({ cut: 0 })
  })

  it("answers a request sent on an idle keep-alive connection just after the stop, with Connection: close", {
    timeout: 10_000
  }, async () => {
    const served = await start({ idle: 5000 })
    const socket = await connect(served.port)
    const seen = closing(socket)
    socket.write("GET /hold HTTP/1.1\r\nhost: 127.0.0.1\r\nx-id: first\r\n\r\n")
    await served.arrived()
    served.held.shift()!()
    await waitFor(() => seen.answer().complete)
    const stopped = served.managed.stop(60_000)
    // The client does not know yet: its next request goes on the same connection.
    socket.write("GET /hold HTTP/1.1\r\nhost: 127.0.0.1\r\nx-id: second\r\n\r\n")
    await served.arrived()
    served.held.shift()!()
    const { errors, raw } = await seen.closed
    expect(errors).toEqual([])
    const second = Buffer.from(raw.slice(raw.lastIndexOf("HTTP/1.1 ")), "latin1")
    expect(parse(second)).toMatchObject({ status: 200, complete: true, headers: { connection: "close" } })
    expect(JSON.parse(parse(second).body)).toEqual({ id: "second" })
    expect(await stopped).toEqual({ cut: 0 })
  })

  it("cuts what outlives the drain deadline, and says how many", async () => {
    const served = await start()
    const socket = await connect(served.port)
    const seen = closing(socket)
    socket.write("GET /never HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
    await served.arrived()
    expect(await served.managed.stop(100)).toEqual({ cut: 1 })
    expect((await seen.closed).raw).toBe("")
  })

  it("under load with keep-alive, answers every request it received, those after the stop with Connection: close", {
    timeout: 30_000
  }, async () => {
    const served = await start()
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 })
    const outcomes = new Map<string, string>()
    let next = 0
    let refused = false
    const client = async () => {
      while (!refused) {
        const id = `load-${next++}`
        outcomes.set(
          id,
          await new Promise<string>((resolve) => {
            const request = http.request({
              port: served.port,
              host: "127.0.0.1",
              method: "POST",
              agent,
              headers: { "x-id": id, "content-length": "2" }
            }, (response) => {
              response.resume()
              response.on("end", () => resolve(`${response.statusCode} ${response.headers.connection}`))
            })
            request.on("error", (error: NodeJS.ErrnoException) => resolve(`error ${error.code}`))
            request.end("{}")
          })
        )
        if (outcomes.get(id) === "error ECONNREFUSED") refused = true
      }
    }
    const clients = Array.from({ length: 16 }, client)
    // Well under way: every connection has carried requests.
    await waitFor(() => served.received.length >= 500)
    const stopped = served.managed.stop(60_000)
    await Promise.all(clients)
    agent.destroy()
    expect(await stopped).toEqual({ cut: 0 })
    const counts: Record<string, number> = {}
    for (const outcome of outcomes.values()) counts[outcome] = (counts[outcome] ?? 0) + 1
    // Each request the server received was answered whole; the only failures are new connections refused.
    for (const id of served.received) expect(outcomes.get(id)).toMatch(/^200 /)
    expect(Object.keys(counts).filter((outcome) => !/^200 (keep-alive|close)$/.test(outcome))).toEqual([
      "error ECONNREFUSED"
    ])
    expect(counts["200 close"]).toBeGreaterThanOrEqual(1)
  })
})
