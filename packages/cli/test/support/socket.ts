/**
 * HTTP/1.1 by hand over a raw socket, for the requests no well-behaved client sends: malformed or huge
 * headers, bytes outside ASCII, framing that lies, a body written one piece at a time, a client that
 * leaves. The request is bytes, written as they are; the answer is read until it is complete.
 */
import * as net from "node:net"

/** An HTTP message's header line as it goes on the wire: its value is written byte for byte (latin1). */
export type Header = readonly [name: string, value: string]

export interface RawRequest {
  /** Default: POST. */
  readonly method?: string
  /** The request-target. Default: /webhooks/openai. */
  readonly target?: string
  /** Written as they are, in order, after `Host` (unless `host` is false). */
  readonly headers?: ReadonlyArray<Header>
  readonly body?: Uint8Array
  /**
   * How the body is framed: `length` adds `Content-Length` (the default), `chunked` adds
   * `Transfer-Encoding: chunked` and sends chunks of `chunk` bytes, `none` adds neither (the headers say).
   */
  readonly framing?: "length" | "chunked" | "none"
  /** The size of each chunk when chunked. Default: the whole body in one. */
  readonly chunk?: number
  /** Add `Host: 127.0.0.1`. Default: true. */
  readonly host?: boolean
  /** Add `Connection: close`, so that the receiver closes once it has answered. Default: true. */
  readonly close?: boolean
}

/** The bytes of a request. */
export const requestBytes = (request: RawRequest): Buffer => {
  const body = request.body ?? new Uint8Array(0)
  const framing = request.framing ?? "length"
  const lines = [`${request.method ?? "POST"} ${request.target ?? "/webhooks/openai"} HTTP/1.1`]
  if (request.host !== false) lines.push("Host: 127.0.0.1")
  if (request.close !== false) lines.push("Connection: close")
  for (const [name, value] of request.headers ?? []) lines.push(`${name}: ${value}`)
  if (framing === "length") lines.push(`Content-Length: ${body.byteLength}`)
  if (framing === "chunked") lines.push("Transfer-Encoding: chunked")
  const head = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1")
  if (framing !== "chunked") return Buffer.concat([head, body])
  const size = Math.max(1, request.chunk ?? body.byteLength)
  const parts: Array<Uint8Array> = [head]
  for (let at = 0; at < body.byteLength; at += size) {
    const piece = body.subarray(at, at + size)
    parts.push(Buffer.from(`${piece.byteLength.toString(16)}\r\n`, "latin1"), piece, Buffer.from("\r\n", "latin1"))
  }
  parts.push(Buffer.from("0\r\n\r\n", "latin1"))
  return Buffer.concat(parts)
}

export interface RawAnswer {
  /** The status of the first final (non-1xx) answer; undefined when none came before the connection closed. */
  readonly status: number | undefined
  /** Its header lines, names in lower case. */
  readonly headers: Readonly<Record<string, string>>
  /** Its body (dechunked), as text. */
  readonly body: string
  /** Everything the receiver sent, as latin1 text: for checks on what an answer may never contain. */
  readonly raw: string
}

/** The first final answer in `raw`, or undefined while it is incomplete. */
const parse = (raw: Buffer, closed: boolean): RawAnswer | undefined => {
  let start = 0
  for (;;) {
    const end = raw.indexOf("\r\n\r\n", start)
    if (end === -1) return undefined
    const head = raw.subarray(start, end).toString("latin1").split("\r\n")
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0]!)?.[1])
    const headers: Record<string, string> = {}
    for (const line of head.slice(1)) {
      const colon = line.indexOf(":")
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    const from = end + 4
    if (status >= 100 && status < 200) {
      start = from
      continue
    }
    const text = raw.toString("latin1")
    const length = headers["content-length"]
    if (length !== undefined) {
      if (raw.length - from < Number(length)) return closed ? { status, headers, body: "", raw: text } : undefined
      return { status, headers, body: raw.subarray(from, from + Number(length)).toString("utf8"), raw: text }
    }
    if (headers["transfer-encoding"] === "chunked") {
      const chunks: Array<Buffer> = []
      let at = from
      for (;;) {
        const lineEnd = raw.indexOf("\r\n", at)
        if (lineEnd === -1) return closed ? { status, headers, body: "", raw: text } : undefined
        const size = parseInt(raw.subarray(at, lineEnd).toString("latin1"), 16)
        if (size === 0) return { status, headers, body: Buffer.concat(chunks).toString("utf8"), raw: text }
        if (raw.length < lineEnd + 2 + size + 2) return closed ? { status, headers, body: "", raw: text } : undefined
        chunks.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size))
        at = lineEnd + 2 + size + 2
      }
    }
    // Neither: the body runs to the close (Node's own 400 and 431 have none).
    return closed ? { status, headers, body: raw.subarray(from).toString("utf8"), raw: text } : undefined
  }
}

export interface Exchange {
  /**
   * What the client does once it has written the request: wait for the answer (the default), half-close
   * (`end`: no more bytes will come) and wait, or leave at once (`destroy`: no answer is read).
   */
  readonly then?: "answer" | "end" | "destroy"
  /** Write the request in this many separate writes, each one flushed before the next. Default: 1. */
  readonly pieces?: number
}

/**
 * Sends `bytes` to 127.0.0.1:`port` and resolves with the first final answer as soon as it is complete, or
 * with what came when the connection closed. A write the receiver cut short (it answered before reading
 * everything, then closed) is not an error: the answer is what counts.
 */
export const exchange = (port: number, bytes: Uint8Array, options: Exchange = {}): Promise<RawAnswer> =>
  new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1")
    socket.setNoDelay(true)
    let received = Buffer.alloc(0)
    let settled = false
    const settle = (answer: RawAnswer) => {
      if (settled) return
      settled = true
      socket.destroy()
      resolve(answer)
    }
    socket.on("data", (data: Buffer) => {
      received = Buffer.concat([received, data])
      const answer = parse(received, false)
      if (answer !== undefined) settle(answer)
    })
    socket.on("error", (error: NodeJS.ErrnoException) => {
      // The receiver answered and closed while the rest of the request was being written.
      if (error.code !== "EPIPE" && error.code !== "ECONNRESET") reject(error)
    })
    socket.on("close", () =>
      settle(parse(received, true) ?? { status: undefined, headers: {}, body: "", raw: received.toString("latin1") }))
    socket.once("connect", async () => {
      const count = Math.max(1, Math.min(options.pieces ?? 1, bytes.byteLength))
      const size = Math.ceil(bytes.byteLength / count)
      for (let at = 0; at < bytes.byteLength && !socket.destroyed; at += size) {
        await new Promise<void>((written) => socket.write(bytes.subarray(at, at + size), () => written()))
      }
      if (options.then === "destroy") settle({ status: undefined, headers: {}, body: "", raw: "" })
      else if (options.then === "end" && !socket.destroyed) socket.end()
    })
  })

export interface Sent {
  /** The first final answer, as far as it came. */
  readonly answer: RawAnswer | undefined
  /** Whether that answer arrived whole (its body as long as its `content-length`). */
  readonly whole: boolean
  /** The socket errors seen before it was whole: `ECONNRESET` or `EPIPE` is a reset that can lose the answer. */
  readonly errors: ReadonlyArray<string>
}

/**
 * A sender of a large or slow body: writes `head`, then `body` as fast as the connection takes it (or, with `drip`,
 * 8 bytes every 10 ms), reading all the while, and stops once it has a whole answer; a server that answers before
 * the body is in must still get that answer to it. Resolves with the answer once whole, or when the connection ends.
 */
export const sendWhileReading = (
  port: number,
  head: string | Uint8Array,
  body: Uint8Array,
  options: { readonly drip?: boolean } = {}
): Promise<Sent> =>
  new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1")
    let received = Buffer.alloc(0)
    const errors: Array<string> = []
    let done = false
    let dripping: NodeJS.Timeout | undefined
    const whole = (answer: RawAnswer | undefined) =>
      answer !== undefined && answer.status !== undefined &&
      Buffer.byteLength(answer.body) >= Number(answer.headers["content-length"] ?? Infinity)
    const finish = () => {
      if (done) return
      done = true
      clearInterval(dripping)
      const answer = parse(received, true)
      resolve({ answer, whole: whole(answer), errors })
      socket.destroy()
    }
    socket.on("data", (data: Buffer) => {
      received = Buffer.concat([received, data])
      if (whole(parse(received, false))) finish()
    })
    socket.on("error", (error: NodeJS.ErrnoException) => errors.push(error.code ?? error.message))
    socket.on("close", finish)
    socket.once("connect", () => {
      socket.write(head)
      let at = 0
      if (options.drip === true) {
        dripping = setInterval(() => {
          if (at < body.byteLength) socket.write(body.subarray(at, at += 8))
        }, 10)
        return
      }
      const pump = () => {
        while (!done && at < body.byteLength) {
          if (!socket.write(body.subarray(at, at += 64 * 1024))) return void socket.once("drain", pump)
        }
      }
      pump()
    })
  })
