/**
 * Effect-free HTTP helpers both editions' tests use to reach their mounting styles: a `node:http` listener in front
 * of a fetch handler (as Bun or Deno would be), and a POST on an explicit agent that says whether it reused its
 * connection.
 */
import type * as http from "node:http"
import * as nodeHttp from "node:http"

/** `duplex: "half"` lets fetch and Request take a stream body (Node's undici requires it). */
export type Init = RequestInit & { readonly duplex?: "half" }

/**
 * node:http in front of a fetch handler, as Bun or Deno would be: the body streams in, and what the
 * handler leaves unread is drained so the connection stays usable.
 */
export const fetchAdapter = (handler: (request: Request) => Promise<Response>): http.RequestListener => (req, res) => {
  const headers = new Headers()
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
  const body = req.method === "GET" || req.method === "HEAD" ? null : new ReadableStream<Uint8Array>({
    start(controller) {
      req.on("data", (chunk: Buffer) => controller.enqueue(new Uint8Array(chunk)))
      req.on("end", () => controller.close())
      req.on("error", (error) => controller.error(error))
    },
    cancel() {
      req.removeAllListeners("data").removeAllListeners("end").resume()
    }
  })
  const init: Init = { method: req.method ?? "GET", headers, body, duplex: "half" }
  const request = new Request(`http://127.0.0.1${req.url ?? "/"}`, init)
  handler(request).then(
    async (response) => {
      const bytes = Buffer.from(await response.arrayBuffer())
      res.writeHead(response.status, Object.fromEntries(response.headers)).end(bytes)
    },
    (error) => res.writeHead(502).end(String(error))
  )
}

export interface NodeReply {
  readonly status: number
  readonly body: string
  /** Whether the request rode a connection an earlier request had opened. */
  readonly reusedSocket: boolean
}

/** A signed delivery as both editions' `WebhookTesting.sign` gives it. */
export interface Delivery {
  readonly body: string | Uint8Array
  readonly headers: Readonly<Record<string, string>>
}

/** An agent of one keep-alive connection: a second request reuses the first one's connection if it can. */
export const oneConnection = (): http.Agent => new nodeHttp.Agent({ keepAlive: true, maxSockets: 1 })

/**
 * POSTs `delivery` on `agent`, with its `content-length` or chunked (1 KiB, then the rest). Resolves once the agent
 * has the connection back (its socket's `free`) or has lost it (`close`), so that a request made right after
 * (Effect 4 runs what follows a resume at once, inside the response's listener) can reuse it.
 */
export const postOn = (
  url: string,
  agent: http.Agent,
  delivery: Delivery,
  transfer: "content-length" | "chunked"
): Promise<NodeReply> =>
  new Promise((resolve, reject) => {
    const body = Buffer.from(delivery.body)
    const headers: Record<string, string> = transfer === "chunked"
      ? { ...delivery.headers, "transfer-encoding": "chunked" }
      : { ...delivery.headers, "content-length": String(body.length) }
    const request = nodeHttp.request(url, { method: "POST", agent, headers }, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("error", reject)
      response.on("end", () => {
        const settle = () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            reusedSocket: request.reusedSocket
          })
        const socket = request.socket
        if (socket === null || socket.destroyed) return settle()
        socket.once("free", settle).once("close", settle)
      })
    })
    request.on("error", reject)
    if (transfer === "chunked") {
      request.write(body.subarray(0, 1024))
      request.end(body.subarray(1024))
    } else {
      request.end(body)
    }
  })
