/**
 * A `node:http` server's connections, from the first request to the last byte: the timeouts as Node takes them and
 * how long a graceful stop can take with them ({@link limits}), closing a connection without losing its last
 * answer ({@link lingeringClose}), answering what Node's parser refuses ({@link manage}'s `clientError`), and a
 * graceful stop that keeps every deadline ({@link manage}'s `stop`).
 *
 * Why a module of its own, and why here: Node gets three things wrong for a webhook receiver, whatever edition or
 * framework serves it.
 *
 * - **A closed connection loses its answer.** After an answer with `Connection: close` Node destroys the socket as
 *   soon as the answer is written. A client still sending its body (a 10 MiB delivery answered 413 early) then has
 *   its next segments answered with a TCP reset, and a reset discards what the client had not read yet: usually the
 *   413 itself. RFC 9112 9.6: a server closes in stages, first its sending side, then reads until the client closes
 *   too or a while has passed ({@link lingeringClose}, as Apache and nginx do).
 * - **`server.close()` stops the request and headers timeouts.** It clears the timer that looks for connections past
 *   them, so a client stalling mid-body after a SIGTERM gets no 408 and holds the process until the socket's
 *   inactivity timeout: past Kubernetes' grace period. `stop` stops listening without stopping that timer.
 * - **`server.close()` resets requests on keep-alive connections.** It destroys the connections idle at that instant,
 *   and a client under load is usually writing its next request on them: a reset. And the answers in flight keep
 *   their connections alive for more. `stop` makes each answer in flight, and each request that arrives on an open
 *   connection after it, close its connection (`Connection: close`), and closes the connections still idle half a
 *   second later.
 *
 * Nothing here imports `node:*` at run time (only types): the module loads on edge runtimes with the rest of the
 * engine, and does its work only when handed a `node:http` server.
 *
 * @since 0.4.0
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http"
import type { Socket } from "node:net"
import type { Duplex } from "node:stream"
import { abandon } from "./Body.js"

/**
 * How long a closing connection keeps reading (and dropping) what its client still sends after the last answer, in
 * milliseconds, unless the client closes first: Apache's lingering close waits 2 s for each read, nginx's 5 s. Long
 * enough for a client on a slow link to read the answer and stop sending; short enough to count in a stop's budget.
 *
 * @since 0.4.0
 * @category constants
 */
export const defaultLinger = 2000

/**
 * How often a stopping server closes its idle connections, in milliseconds: the first sweep comes this long after
 * the stop, so a client under load has sent its next request (answered with `Connection: close`) by then.
 *
 * @since 0.4.0
 * @category constants
 */
export const defaultIdle = 500

/**
 * How {@link manage} closes connections.
 *
 * @since 0.4.0
 * @category models
 */
export interface Options {
  /** How long a closing connection lingers, in milliseconds: {@link defaultLinger} unless given. */
  readonly linger?: number
  /** How often a stopping server closes its idle connections, in milliseconds: {@link defaultIdle} unless given. */
  readonly idle?: number
}

/** Node's timers hold at most 2^31 - 1 ms; a longer one fires at once. */
const MAX_TIMER = 2 ** 31 - 1

/**
 * The timeouts of a webhook receiver's server, in milliseconds: what the application sets.
 *
 * @since 0.4.0
 * @category models
 */
export interface Timeouts {
  /** The request line and headers must arrive within this, counted from their first byte. */
  readonly headersTimeout: number
  /** The whole request, headers and body, must arrive within this, counted from its first byte. */
  readonly requestTimeout: number
  /** How long a connection may stay idle between two requests. */
  readonly keepAliveTimeout: number
  /** How long the handler may take once the body has arrived, before the delivery is answered (500). */
  readonly handlerTimeout: number
  /** How long a closing connection lingers: {@link defaultLinger} unless given. */
  readonly linger?: number
}

/**
 * What a `node:http` server is given, in whole milliseconds (what Node takes), and how long a stop can take.
 *
 * @since 0.4.0
 * @category models
 */
export interface Limits {
  readonly headersTimeout: number
  readonly requestTimeout: number
  readonly keepAliveTimeout: number
  /** How often Node looks for connections past the headers or request timeout (`connectionsCheckingInterval`). */
  readonly connectionsCheckingInterval: number
  /** The socket's inactivity timeout (`server.timeout`): the backstop for a connection no other timeout covers. */
  readonly timeout: number
  /** How long a closing connection lingers. */
  readonly linger: number
  /**
   * The drain deadline: the longest a stop can take with these timeouts, from the signal to the last connection
   * closed. See {@link limits}.
   */
  readonly drain: number
}

const whole = (millis: number): number => Math.min(MAX_TIMER, Math.max(1, Math.ceil(millis)))

/**
 * The server's limits from the application's timeouts:
 *
 * - The headers timeout is at most the request timeout: the request includes its headers (and Node refuses a
 *   headers timeout above the request timeout).
 * - Node checks both only every `connectionsCheckingInterval` (30 s by default, which made 60 s and 300 s into 90 s
 *   and 330 s): a tenth of the shorter, at most a second, keeps each within 10% of what was set.
 * - Inactivity: a client that sends requests and never reads the answers stalls the server's writes, and no other
 *   timeout covers a stalled write. The longest silence of a good exchange is its body (at most the request
 *   timeout) and then its handler (at most the handler timeout): past both, the connection is closed.
 * - The drain deadline adds up what a request already on the wire when the stop begins may still take: the rest of
 *   its request timeout (then 408), plus the check interval (how late Node may notice), plus its handler's timeout
 *   (then 500), plus the linger after its answer. `request + interval + handler + linger`; nothing that started
 *   after the stop counts, since a stopping server takes no new connection and closes the open ones after their
 *   answer in flight. With 15 s, 1 s, 10 s and 2 s that is 28 s: inside Kubernetes' default grace period (30 s).
 *
 * @since 0.4.0
 * @category constructors
 */
export const limits = (timeouts: Timeouts): Limits => {
  const requestTimeout = whole(timeouts.requestTimeout)
  const headersTimeout = Math.min(whole(timeouts.headersTimeout), requestTimeout)
  const handlerTimeout = Math.max(0, Math.ceil(timeouts.handlerTimeout))
  const connectionsCheckingInterval = Math.max(1, Math.min(1000, Math.floor(headersTimeout / 10)))
  const linger = Math.max(0, Math.ceil(timeouts.linger ?? defaultLinger))
  return {
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: whole(timeouts.keepAliveTimeout),
    connectionsCheckingInterval,
    timeout: Math.min(MAX_TIMER, requestTimeout + handlerTimeout),
    linger,
    drain: Math.min(MAX_TIMER, requestTimeout + connectionsCheckingInterval + handlerTimeout + linger)
  }
}

/** Sockets closing lingeringly: a second close (Node's own, then ours at a stop) is a no-op. */
const lingering = new WeakSet<Duplex>()

/**
 * Closes `socket` in stages, so that the client reads the last answer (RFC 9112 9.6): ends the sending side (the
 * answers already written go out, then a FIN), keeps reading and dropping whatever the client still sends, and
 * destroys the socket once the client has closed its side too and the answers are out, or after `linger`
 * milliseconds whatever happens. Destroying at once instead would answer the client's next segments with a reset,
 * which makes its TCP stack drop the answer it had not read yet. Called again on a socket already closing, it does
 * nothing.
 *
 * @since 0.4.0
 * @category closing
 */
export const lingeringClose = (socket: Duplex, linger: number = defaultLinger): void => {
  if (socket.destroyed || lingering.has(socket)) return
  lingering.add(socket)
  const destroy = () => socket.destroy()
  const timer = setTimeout(destroy, linger)
  // The socket keeps the process up while it lingers; the timer alone must not.
  ;(timer as { unref?: () => void }).unref?.()
  socket.once("close", () => clearTimeout(timer))
  // The client has closed its side: nothing more will come; close ours once the answers are out.
  const peerDone = () => {
    if (socket.writableFinished) destroy()
    else socket.once("finish", destroy)
  }
  if (socket.readableEnded) peerDone()
  else socket.once("end", peerDone)
  socket.end()
}

/**
 * Whether `socket` is closing lingeringly (or gone): no answer can be written on it any more.
 *
 * @since 0.4.0
 * @category predicates
 */
export const isClosing = (socket: Duplex): boolean =>
  socket.destroyed || socket.writableEnded || lingering.has(socket)

/** A whole HTTP/1.1 answer as text (JSON, ASCII), for a socket no `ServerResponse` owns. */
const rawAnswer = (status: number, reason: string, type: string, message: string): string => {
  const body = JSON.stringify({ error: { type, message } })
  return `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: application/json\r\n` +
    `content-length: ${body.length}\r\n\r\n${body}`
}

/**
 * What a server answers to a request Node's parser gave up on (its `clientError`), by the error's code, as Node's
 * own answers but with a JSON body saying why: the request or its headers past their timeout (408), headers too
 * large (431), chunk extensions too large (413), and anything else the parser refuses (400: a malformed request,
 * `Transfer-Encoding` with `Content-Length`, bare LF line ends, ...). Each closes the connection: after a request
 * the parser refused, the next bytes cannot be trusted.
 *
 * @since 0.4.0
 * @category answers
 */
export const clientErrorAnswers = {
  timeout: rawAnswer(
    408,
    "Request Timeout",
    "RequestTimeout",
    "The request did not arrive within the server's headers or request timeout"
  ),
  headersTooLarge: rawAnswer(
    431,
    "Request Header Fields Too Large",
    "RequestHeaderFieldsTooLarge",
    "The request's headers are larger than the server takes"
  ),
  chunkExtensionsTooLarge: rawAnswer(
    413,
    "Payload Too Large",
    "PayloadTooLarge",
    "The request's chunk extensions are larger than the server takes"
  ),
  badRequest: rawAnswer(400, "Bad Request", "BadRequest", "The request is not a valid HTTP/1.1 request (RFC 9112)")
} as const

/** {@link clientErrorAnswers} by the code of Node's error, as Node chooses its own. */
const answerTo = (code: string | undefined): string => {
  switch (code) {
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return clientErrorAnswers.timeout
    case "HPE_HEADER_OVERFLOW":
      return clientErrorAnswers.headersTooLarge
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return clientErrorAnswers.chunkExtensionsTooLarge
    default:
      return clientErrorAnswers.badRequest
  }
}

/**
 * A request listener of `node:http` (`request`, or `checkContinue`).
 *
 * @since 0.4.0
 * @category models
 */
export type Listener = (request: IncomingMessage, response: ServerResponse) => void

/**
 * What a stop did: `cut` connections were still open at the drain deadline and were destroyed (0 when every
 * deadline held).
 *
 * @since 0.4.0
 * @category models
 */
export interface Stopped {
  readonly cut: number
}

/**
 * A server's connections, managed: see {@link manage}.
 *
 * @since 0.4.0
 * @category models
 */
export interface Managed {
  /**
   * Wraps a listener: the server answers a request through it. While stopping, every answer closes its connection
   * (`Connection: close`); a request that arrives on a connection already closing is read and dropped, unanswered,
   * since no answer can reach its client any more.
   */
  readonly listener: (listener: Listener) => Listener
  /** Whether `stop` has been called. */
  readonly stopping: () => boolean
  /**
   * Stops gracefully, and resolves once every connection is closed: stops listening (the headers and request
   * timeouts still hold, and are still answered 408), makes each answer in flight and each later one close its
   * connection, closes the idle connections every `idle` milliseconds (see {@link Options}), and destroys what is
   * still open after `drain` milliseconds (see {@link limits}). Called again, it gives the same promise. Never
   * rejects.
   */
  readonly stop: (drain: number) => Promise<Stopped>
  /** How many connections are open. */
  readonly connections: () => number
}

/** `net.Server`'s own `close`: what `http.Server#close` calls after stopping its timeout checker. */
const listenerClose = (server: Server): (this: Server, callback: (error?: Error) => void) => void => {
  let close = server.close as (this: Server, callback: (error?: Error) => void) => void
  // The deepest `close` of the prototype chain (http.Server extends net.Server, and https.Server tls.Server, which
  // extends net.Server): `net.Server.prototype.close`.
  for (let proto = Object.getPrototypeOf(server); proto !== null; proto = Object.getPrototypeOf(proto)) {
    if (Object.prototype.hasOwnProperty.call(proto, "close")) close = (proto as { close: typeof close }).close
  }
  return close
}

/**
 * Node's timeout checker, once the server has no connection left: stopped as `server.close()` would have. Found by
 * its symbol's description; where a Node version names it otherwise, it is left to run (unref'd, it holds nothing
 * up, and finds no connection to check).
 */
const stopChecking = (server: Server): void => {
  for (const symbol of Object.getOwnPropertySymbols(server)) {
    if (symbol.description === "http.server.connectionsCheckingInterval") {
      clearInterval((server as unknown as Record<symbol, ReturnType<typeof setInterval>>)[symbol])
    }
  }
}

/**
 * Takes over how `server`'s connections end, from now on (call it before `listen`):
 *
 * - every close after an answer is a {@link lingeringClose} (Node's `destroySoon`, which an answer with
 *   `Connection: close` calls, becomes one), so that the client reads that answer;
 * - Node's `clientError` (a request past the headers or request timeout, or one its parser refuses) is answered as
 *   Node would ({@link clientErrorAnswers}) and closed lingeringly: a client still sending reads its 408 or 400;
 * - `stop` is a graceful stop that keeps every deadline (see {@link Managed}).
 *
 * Requests must reach the application through `listener` (see {@link Managed}). Costs nothing per request but a
 * map update; per connection, one entry and one listener.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http"
 * import { NodeServer } from "openai-webhooks-engine"
 *
 * const limits = NodeServer.limits({
 *   headersTimeout: 10_000, requestTimeout: 15_000, keepAliveTimeout: 5_000, handlerTimeout: 10_000
 * })
 * const server = createServer({
 *   headersTimeout: limits.headersTimeout,
 *   requestTimeout: limits.requestTimeout,
 *   connectionsCheckingInterval: limits.connectionsCheckingInterval
 * })
 * const managed = NodeServer.manage(server, { linger: limits.linger })
 * server.on("request", managed.listener((request, response) => response.end("ok")))
 * server.listen(8787)
 * process.once("SIGTERM", () => managed.stop(limits.drain))
 * ```
 *
 * @since 0.4.0
 * @category constructors
 */
export const manage = (server: Server, options: Options = {}): Managed => {
  const linger = options.linger ?? defaultLinger
  const idle = options.idle ?? defaultIdle
  // Every open connection, with the answer it is writing or will write next (undefined before its first request).
  const connections = new Map<Duplex, ServerResponse | undefined>()
  let stopped: Promise<Stopped> | undefined

  function lingerSoon(this: Socket): void {
    lingeringClose(this, linger)
  }
  function forget(this: Duplex): void {
    connections.delete(this)
  }
  const track = (socket: Duplex): void => {
    connections.set(socket, undefined)
    // Node calls it once an answer with `Connection: close` (or to a client that asked for it) is written.
    ;(socket as Socket).destroySoon = lingerSoon
    socket.once("close", forget)
  }

  server.on("connection", track)
  server.on("clientError", (error: Error & { readonly code?: string }, socket: Duplex) => {
    // A closing connection's trailing bytes (the parser refuses them again and again): it closes on its own.
    if (lingering.has(socket) || socket.destroyed) return
    if (error.code === "ECONNRESET" || !socket.writable) return void socket.destroy()
    const answering = connections.get(socket)
    // An answer already under way cannot be followed by another: the connection is cut, as Node does.
    if (answering !== undefined && answering.headersSent && !answering.writableFinished) return void socket.destroy()
    // Answered here before its body ended (a timeout, or a malformed chunk): its reader must not run a handler if
    // the rest still arrives. A request whose body had ended (the error is in the bytes after it) goes on.
    if (answering !== undefined && !answering.writableFinished && !answering.req.complete) abandon(answering.req)
    socket.write(answerTo(error.code))
    lingeringClose(socket, linger)
  })

  const listener = (handle: Listener): Listener => (request, response) => {
    const socket = request.socket
    if (isClosing(socket)) {
      // Pipelined behind an answer that closed the connection, or sent after the stop closed it: nobody can read
      // an answer. Read it to its end, so that the lingering close keeps draining.
      request.resume()
      return
    }
    if (connections.has(socket)) connections.set(socket, response)
    else {
      track(socket)
      connections.set(socket, response)
    }
    if (stopped !== undefined) response.setHeader("connection", "close")
    handle(request, response)
  }

  const stop = (drain: number): Promise<Stopped> => {
    if (stopped !== undefined) return stopped
    stopped = new Promise<Stopped>((resolve) => {
      let cut = 0
      const deadline = setTimeout(() => {
        for (const socket of connections.keys()) {
          cut++
          socket.destroy()
        }
      }, Math.min(MAX_TIMER, Math.max(0, drain)))
      ;(deadline as { unref?: () => void }).unref?.()
      // Connections between two requests (Node's own judgement, which sees a request's first bytes) are closed
      // after a while rather than at once: under load their clients send the next request within milliseconds,
      // and that request, answered with `Connection: close`, is the clean way to tell them. One closed at once
      // would answer that request with a reset. A connection that stays idle is closed at the next sweep, as its
      // keep-alive timeout would (the same race, which clients expect).
      const sweep = setInterval(() => server.closeIdleConnections(), Math.max(1, idle))
      ;(sweep as { unref?: () => void }).unref?.()
      // Stops listening and resolves once the last connection has closed; Node keeps checking the timeouts.
      listenerClose(server).call(server, () => {
        clearTimeout(deadline)
        clearInterval(sweep)
        stopChecking(server)
        resolve({ cut })
      })
      // Answers in flight close their connections; one already written as keep-alive leaves it idle, to be swept.
      for (const [socket, answering] of connections) {
        if (isClosing(socket) || answering === undefined || answering.headersSent) continue
        answering.setHeader("connection", "close")
      }
    })
    return stopped
  }

  return { listener, stopping: () => stopped !== undefined, stop, connections: () => connections.size }
}
