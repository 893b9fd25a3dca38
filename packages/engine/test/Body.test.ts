import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Body, Reply } from "../src/index.js"
import {
  bytesOfSize,
  chunkedStream,
  chunkSize,
  consumedWeb,
  declared,
  type Expected,
  limit,
  sizes,
  type Transfer,
  values,
  webConsumedSays
} from "./tables/bodies.js"

/** What a sink was told, in order: one entry per call. */
interface Told {
  readonly calls: Array<Body.Read>
  readonly sink: Body.Sink
}

const told = (): Told => {
  const calls: Array<Body.Read> = []
  return { calls, sink: Body.sink((read) => calls.push(read)) }
}

const assertRead = (read: Body.Read | undefined, expected: Expected, bytes?: Uint8Array | ReadonlyArray<number>) => {
  expect(read?._tag).toBe(expected._tag)
  if (read?._tag === "Body" && bytes !== undefined) expect([...read.bytes]).toEqual([...bytes])
  if (read?._tag === "Unreadable" && expected._tag === "Unreadable") expect(read.why).toContain(expected.why)
}

describe("Body.declaredOver", () => {
  for (const row of declared) {
    const what = `content-length ${JSON.stringify(row.value)} at a limit of ${limit}`
    it(`${row.over ? "refuses" : "lets through"} ${what}`, () => {
      expect(Body.declaredOver(row.value, limit)).toBe(row.over)
    })
  }
})

describe("Body.fromValue", () => {
  for (const row of values) {
    it(`reads ${row.name} as ${row.expected._tag}`, () => {
      assertRead(Body.fromValue(row.value(), limit, Body.nodeConsumed), row.expected, row.bytes)
    })
  }
})

// node:http, on a real loopback server: each request is read by `read` and answered with what the sink was told.

interface Served {
  readonly url: string
  /** What the sink of the next request's reader was told, once the exchange is over. */
  readonly next: () => Promise<Told>
  readonly close: () => Promise<void>
}

/**
 * A server whose handler runs `read` on each request and answers through `Reply.toNode`: 200 with the body, 413,
 * or 500 with why.
 */
const serve = (read: (request: http.IncomingMessage, sink: Body.Sink) => void): Promise<Served> =>
  new Promise((resolve) => {
    const waiting: Array<(told: Told) => void> = []
    const server = http.createServer((request, response) => {
      const seen = told()
      read(request, Body.sink((got) => {
        seen.calls.push(got)
        if (seen.calls.length > 1) return
        const answer = got._tag === "Body"
          ? { status: 200, body: new TextDecoder().decode(got.bytes), headers: {} }
          : got._tag === "TooLarge"
          ? Reply.tooLarge(limit)
          : Reply.jsonAnswer(500, { why: got.why })
        Reply.toNode(response, answer)
      }))
      response.on("finish", () => waiting.shift()?.(seen))
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}/`,
        next: () => new Promise((done) => waiting.push(done)),
        close: () => new Promise((done) => server.close(() => done()))
      })
    })
  })

interface Exchange {
  readonly status: number
  readonly body: string
  readonly reusedSocket: boolean
}

/** Sends `bytes` with their length, or chunked in {@link chunkSize} writes. */
const post = (url: string, bytes: Uint8Array, transfer: Transfer, agent?: http.Agent): Promise<Exchange> =>
  new Promise((resolve, reject) => {
    const headers: Record<string, string> = transfer === "chunked"
      ? { "transfer-encoding": "chunked" }
      : { "content-length": String(bytes.byteLength) }
    const options: http.RequestOptions = { method: "POST", headers, ...(agent === undefined ? {} : { agent }) }
    const request = http.request(url, options, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("utf8"),
          reusedSocket: request.reusedSocket
        }))
      response.on("error", reject)
    })
    request.on("error", reject)
    if (transfer === "chunked") {
      for (let i = 0; i < bytes.byteLength; i += chunkSize) request.write(bytes.subarray(i, i + chunkSize))
      request.end()
    } else {
      request.end(bytes)
    }
  })

describe("Body.readNode on node:http", () => {
  let server: Served
  beforeAll(async () => {
    server = await serve((request, sink) => Body.readNode(request, limit, sink))
  })
  afterAll(() => server.close())

  for (const row of sizes) {
    it(`reads ${row.name} (${row.size} bytes) as ${row.expected._tag}, said once`, async () => {
      const bytes = bytesOfSize(row.size)
      const seen = server.next()
      const exchange = await post(server.url, bytes, row.transfer)
      const { calls } = await seen
      expect(calls.length).toBe(1)
      assertRead(calls[0], row.expected, bytes)
      expect(exchange.status).toBe(row.expected._tag === "Body" ? 200 : 413)
    })
  }

  it("keeps a keep-alive connection usable after a body over the limit (the rest is read and dropped)", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    try {
      for (const transfer of ["content-length", "chunked"] as const) {
        const over = await post(server.url, bytesOfSize(4 * limit), transfer, agent)
        expect(over.status).toBe(413)
        expect(JSON.parse(over.body)).toEqual({
          error: { type: "PayloadTooLarge", message: `The body is larger than ${limit} bytes` }
        })
        const next = await post(server.url, bytesOfSize(10), transfer, agent)
        expect(next.status).toBe(200)
        expect(next.reusedSocket).toBe(true)
      }
    } finally {
      agent.destroy()
    }
  })
})

describe("Body.readNode after a framework's body parser", () => {
  /** A parser that reads the stream to its end and leaves `value` in `req.body`, as Express's and Fastify's do. */
  const behind = (value: () => unknown) =>
    serve((request, sink) => {
      request.on("data", () => undefined)
      request.on("end", () => {
        expect(request.readableEnded).toBe(true)
        Body.readNode(Object.assign(request, { body: value() }), limit, sink)
      })
    })

  for (const row of values) {
    it(`reads ${row.name} left in req.body as ${row.expected._tag}`, async () => {
      const server = await behind(row.value)
      try {
        const seen = server.next()
        await post(server.url, bytesOfSize(10), "content-length")
        const { calls } = await seen
        expect(calls.length).toBe(1)
        assertRead(calls[0], row.expected, row.bytes)
      } finally {
        await server.close()
      }
    })
  }
})

describe("Body.isIncomingMessage and Body.untouched", () => {
  it("tells a node:http request from other values, and sees whether its body was touched", async () => {
    const checks: Array<readonly [boolean, boolean, boolean]> = []
    const server = await serve((request, sink) => {
      const before = Body.untouched(request)
      request.on("data", () => undefined)
      checks.push([Body.isIncomingMessage(request), before, Body.untouched(request)])
      Body.readNode(request, limit, sink)
    })
    try {
      const seen = server.next()
      await post(server.url, bytesOfSize(10), "content-length")
      await seen
    } finally {
      await server.close()
    }
    expect(checks).toEqual([[true, true, false]])
    for (const other of [new Request("http://127.0.0.1/"), {}, null, "text", { on: () => undefined, headers: {} }]) {
      expect(Body.isIncomingMessage(other)).toBe(false)
    }
  })
})

// Web: real Request objects, as a fetch-style runtime hands them over.

/** A POST `Request` of `bytes`: with a `content-length` header as a server runtime sets it, or a stream without. */
const request = (bytes: Uint8Array, transfer: Transfer): Request =>
  transfer === "chunked"
    ? new Request("http://127.0.0.1/", { method: "POST", body: chunkedStream(bytes), duplex: "half" } as RequestInit)
    : new Request("http://127.0.0.1/", {
      method: "POST",
      body: new Uint8Array(bytes),
      headers: { "content-length": String(bytes.byteLength) }
    })

/** What `Body.readWeb` tells, once it has told something and the stream has had a turn more to tell it again. */
const readWeb = async (req: Request): Promise<Told> => {
  const calls: Array<Body.Read> = []
  const first = new Promise<void>((resolve) => {
    const sink = Body.sink((read) => {
      calls.push(read)
      resolve()
    })
    Body.readWeb(req, limit, sink)
  })
  await first
  await new Promise((resolve) => setImmediate(resolve))
  return { calls, sink: Body.sink(() => undefined) }
}

describe("Body.readWeb on a web Request", () => {
  for (const row of sizes) {
    it(`reads ${row.name} (${row.size} bytes) as ${row.expected._tag}, said once`, async () => {
      const bytes = bytesOfSize(row.size)
      const req = request(bytes, row.transfer)
      const { calls } = await readWeb(req)
      expect(calls.length).toBe(1)
      assertRead(calls[0], row.expected, bytes)
    })
  }

  it("cancels a stream over the limit rather than reading the rest", async () => {
    let pulled = 0
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(bytesOfSize(chunkSize))
      }
    }, { highWaterMark: 0 })
    const { calls } = await readWeb(
      new Request("http://127.0.0.1/", { method: "POST", body: endless, duplex: "half" } as RequestInit)
    )
    expect(calls.map((read) => read._tag)).toEqual(["TooLarge"])
    expect(pulled).toBeLessThan(limit / chunkSize + 4)
  })

  it("reads a POST without a body as an empty body", async () => {
    const { calls } = await readWeb(new Request("http://127.0.0.1/", { method: "POST" }))
    expect(calls.length).toBe(1)
    assertRead(calls[0], { _tag: "Body" }, [])
  })

  for (const row of consumedWeb) {
    it(`says the body is unreadable, and how to mount the handler, when ${row.name} ran first`, async () => {
      const req = request(new TextEncoder().encode("{\"type\":\"x\"}"), "content-length")
      await row.consume(req)
      const { calls } = await readWeb(req)
      expect(calls.length).toBe(1)
      assertRead(calls[0], { _tag: "Unreadable", why: webConsumedSays })
      expect(calls[0]).toEqual({ _tag: "Unreadable", why: Body.webConsumed })
    })
  }

  it("says why when the stream fails part-way", async () => {
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("{\"id\":"))
        controller.error(new Error("the client went away"))
      }
    })
    const { calls } = await readWeb(
      new Request("http://127.0.0.1/", { method: "POST", body: broken, duplex: "half" } as RequestInit)
    )
    expect(calls).toEqual([{ _tag: "Unreadable", why: Body.readFailed(new Error("the client went away")) }])
    expect(Body.readFailed(new Error("the client went away"))).toBe(
      "the request body could not be read (the client went away): OpenAI will retry"
    )
    expect(Body.readFailed("gone")).toContain("(gone)")
  })
})

describe("Body.node and Body.web", () => {
  it("reach into each kind of request for its method, headers and body", async () => {
    const req = new Request("http://127.0.0.1/", { method: "PUT", headers: { "webhook-id": "msg_1" }, body: "{}" })
    expect(Body.web.method(req)).toBe("PUT")
    expect(Body.web.headers(req).get("webhook-id")).toBe("msg_1")
    expect(Body.web.read).toBe(Body.readWeb)
    expect(Body.node.read).toBe(Body.readNode)
    const server = await serve((request, sink) => {
      expect(Body.node.method(request)).toBe("POST")
      expect(Body.node.headers(request)["content-length"]).toBe("10")
      Body.node.read(request, limit, sink)
    })
    try {
      const seen = server.next()
      expect((await post(server.url, bytesOfSize(10), "content-length")).status).toBe(200)
      await seen
    } finally {
      await server.close()
    }
  })
})
