/**
 * OpenAI's webhook endpoint API as documented, served on a loopback port for tests: endpoints in memory (ids
 * `whe_...`, secrets `whsec_...`), newest first with cursor pagination, OpenAI's error JSON, an `x-request-id` on
 * every answer, and keys OpenAI might add one day on every object (so that a client that refuses them fails).
 *
 * Test controls: {@link FakeOpenAI.answerNext} makes the next requests answer a status (with `retry-after`, a body
 * of the test's choosing, a malformed body on a 2xx); {@link FakeOpenAI.stallNext} holds the next request
 * unanswered until the test releases it (or the client gives up); {@link FakeOpenAI.requests} records every
 * request with its headers and body. Nothing here waits on time.
 *
 * Effect-free, so that both editions' endpoints tests (and the command's) run against the same API: each wraps
 * {@link FakeOpenAI.start} and {@link FakeOpenAI.close} in its own Effect's `acquireRelease`.
 */
import { randomBytes } from "node:crypto"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as Secret from "../../src/Secret.js"
import * as Signature from "../../src/Signature.js"
import subscribableFixture from "../fixtures/subscribable-event-types.json" with { type: "json" }

/**
 * The types an endpoint may subscribe to: what `GET /webhook_event_types` answers today, the one fixture the
 * drift test (`test/event-drift.test.ts`) also checks against this version's classes.
 */
export const subscribable: ReadonlyArray<string> = subscribableFixture.data

export interface RecordedRequest {
  readonly method: string
  /** Without the query: `/v1/webhook_endpoints`. */
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

/** How {@link FakeOpenAI.answerNext} answers a request instead of handling it. */
export interface Scripted {
  readonly status: number
  /** The `retry-after` header. */
  readonly retryAfter?: string | undefined
  /** The raw body. Default: OpenAI's error JSON for the status (or `{}` for a 2xx). */
  readonly body?: string | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
}

interface StoredEndpoint {
  id: string
  name: string
  url: string
  eventTypes: ReadonlyArray<string>
  secret: string
  /** The previous secret while it stays active (rotation with keep_old_secret_active_for_24_hours). */
  previous: { readonly secret: string; readonly until: number } | undefined
  createdAt: number
  updatedAt: number | undefined
  /** Insertion order, to break ties in `createdAt`. */
  order: number
}

interface Stall {
  readonly arrived: Promise<void>
  /** Lets the held request be handled (its change made even if the client has gone) and answered. */
  readonly release: () => void
  /** Resolves once the released request has been handled. */
  readonly handled: Promise<void>
}

const last4 = (s: string) => s.slice(-4)

export class FakeOpenAI {
  readonly requests: Array<RecordedRequest> = []
  /** What `POST /webhook_endpoints/{id}/test` reports the endpoint answered. */
  testDeliveryStatus = 200
  private readonly endpoints = new Map<string, StoredEndpoint>()
  private readonly scripted: Array<Scripted | { readonly stall: StallControl }> = []
  private readonly stalls: Array<StallControl> = []
  private requestCount = 0
  private order = 0
  /** The fake's clock, in Unix seconds: each change moves it one second on, so that the newest is well defined. */
  now = 1_795_970_000

  private constructor(readonly server: http.Server, readonly apiKey: string, readonly origin: string) {}

  /** The base URL to give the client: `http://127.0.0.1:<port>/v1`. */
  get baseUrl(): string {
    return `${this.origin}/v1`
  }

  static async start(apiKey: string): Promise<FakeOpenAI> {
    let fake: FakeOpenAI | undefined
    const server = http.createServer((request, response) => void fake!.handle(request, response))
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const { port } = server.address() as AddressInfo
    fake = new FakeOpenAI(server, apiKey, `http://127.0.0.1:${port}`)
    return fake
  }

  close(): Promise<void> {
    for (const stall of this.stalls) stall.release()
    this.server.closeAllConnections()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }

  /** The next `count` requests get `answer` instead of being handled (after the ones scripted before). */
  answerNext(count: number, answer: Scripted): void {
    for (let i = 0; i < count; i++) this.scripted.push(answer)
  }

  /**
   * The next request (after the ones scripted before) is held unanswered: `arrived` resolves when it has come in,
   * `release` lets it be handled as usual.
   */
  stallNext(): Stall {
    const stall = new StallControl()
    this.stalls.push(stall)
    this.scripted.push({ stall })
    return stall
  }

  /** The requests to a path, in order (`/v1/webhook_endpoints`). */
  requestsTo(method: string, path: string): ReadonlyArray<RecordedRequest> {
    return this.requests.filter((request) => request.method === method && request.path === path)
  }

  /** An endpoint as stored, with its secrets: what OpenAI signs deliveries with. */
  secretsOf(id: string, at: number = this.now): ReadonlyArray<string> {
    const endpoint = this.endpoints.get(id)
    if (endpoint === undefined) return []
    const previous = endpoint.previous !== undefined && at < endpoint.previous.until ? [endpoint.previous.secret] : []
    return [endpoint.secret, ...previous]
  }

  /**
   * A delivery to the endpoint as OpenAI sends it at `at` (Unix seconds): one `v1,` signature for each secret
   * active then (both, during the 24 hours after a rotation that kept the old one).
   */
  deliver(id: string, payload: string, at: number = this.now): Record<string, string> {
    const webhookId = `msg_${randomBytes(12).toString("hex")}`
    const signatures = this.secretsOf(id, at).map((secret) => {
      const key = Secret.parse(secret)
      if (!key.ok) throw new Error(key.error.message)
      return Signature.sign(key.value, webhookId, String(at), payload)
    })
    return { "webhook-id": webhookId, "webhook-timestamp": String(at), "webhook-signature": signatures.join(" ") }
  }

  /** Adds `count` endpoints directly, as if created earlier; returns their IDs, oldest first. */
  seed(count: number, eventTypes: ReadonlyArray<string> = ["response.completed"]): ReadonlyArray<string> {
    return Array.from({ length: count }, (_, i) =>
      this.store({ name: `seeded ${i + 1}`, url: `https://example.com/hooks/${i + 1}`, eventTypes }).id)
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse) {
    const chunks: Array<Buffer> = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const url = new URL(request.url ?? "/", this.origin)
    const recorded: RecordedRequest = {
      method: request.method ?? "",
      path: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      body: Buffer.concat(chunks).toString("utf8")
    }
    this.requests.push(recorded)
    const requestId = `req_${(++this.requestCount).toString().padStart(6, "0")}`
    const scripted = this.scripted.shift()
    if (scripted !== undefined && "stall" in scripted) {
      scripted.stall.arrive()
      await scripted.stall.released
      // A request that arrived is processed, as OpenAI would, even when its client has stopped waiting.
      const [status, json] = this.route(recorded)
      scripted.stall.handle()
      if (response.destroyed || request.socket.destroyed) return
      response.writeHead(status, { "content-type": "application/json", "x-request-id": requestId })
      response.end(JSON.stringify(json))
      return
    } else if (scripted !== undefined) {
      const body = scripted.body ?? (scripted.status >= 200 && scripted.status < 300
        ? "{}"
        : JSON.stringify({ error: errorFor(scripted.status) }))
      response.writeHead(scripted.status, {
        "content-type": "application/json",
        "x-request-id": requestId,
        ...(scripted.retryAfter === undefined ? {} : { "retry-after": scripted.retryAfter }),
        ...scripted.headers
      })
      response.end(body)
      return
    }
    const [status, json] = this.route(recorded)
    response.writeHead(status, { "content-type": "application/json", "x-request-id": requestId })
    response.end(JSON.stringify(json))
  }

  private route(request: RecordedRequest): readonly [number, unknown] {
    if (request.headers.authorization !== `Bearer ${this.apiKey}`) {
      const given = /^Bearer (.*)$/.exec(request.headers.authorization ?? "")?.[1]
      return [401, {
        error: {
          message: given === undefined
            ? "You didn't provide an API key."
            : `Incorrect API key provided: sk-...${last4(given)}. You can find your API key at ` +
              "https://platform.openai.com/account/api-keys.",
          type: "invalid_request_error",
          param: null,
          code: "invalid_api_key"
        }
      }]
    }
    let body: Record<string, unknown> = {}
    if (request.body !== "") {
      try {
        body = JSON.parse(request.body) as Record<string, unknown>
      } catch {
        return invalid("We could not parse the JSON body of your request.", null)
      }
    }
    const parts = request.path.split("/").slice(1) // ["v1", "webhook_endpoints", id?, action?]
    if (parts[0] !== "v1") return notFoundRoute(request)
    if (parts[1] === "webhook_event_types" && parts.length === 2 && request.method === "GET") {
      return [200, { object: "list", data: subscribable }]
    }
    if (parts[1] !== "webhook_endpoints") return notFoundRoute(request)
    const id = parts[2] === undefined ? undefined : decodeURIComponent(parts[2])
    const action = parts[3]
    if (id === undefined) {
      if (request.method === "POST") return this.create(body)
      if (request.method === "GET") return this.list(request.query)
      return notFoundRoute(request)
    }
    const endpoint = this.endpoints.get(id)
    if (endpoint === undefined) {
      return [404, {
        error: {
          message: `No webhook endpoint found with id '${id}'.`,
          type: "invalid_request_error",
          param: "id",
          code: "webhook_endpoint_not_found"
        }
      }]
    }
    if (action === undefined && request.method === "GET") return [200, wire(endpoint)]
    if (action === undefined && request.method === "POST") return this.update(endpoint, body)
    if (action === undefined && request.method === "DELETE") {
      this.endpoints.delete(id)
      return [200, { id, object: "webhook_endpoint.deleted", deleted: true }]
    }
    if (action === "rotate_secret" && request.method === "POST") {
      const keep = body["keep_old_secret_active_for_24_hours"] === true
      this.now += 1
      endpoint.previous = keep ? { secret: endpoint.secret, until: this.now + 24 * 60 * 60 } : undefined
      endpoint.secret = newSecret()
      endpoint.updatedAt = this.now
      return [200, { ...wire(endpoint), signing_secret: endpoint.secret }]
    }
    if (action === "test" && request.method === "POST") {
      const type = body["event_type"]
      if (typeof type !== "string" || !subscribable.includes(type)) {
        return invalid("event_type must be one of the types listed by GET /v1/webhook_event_types.", "event_type")
      }
      return [200, {
        object: "webhook_endpoint.test",
        webhook_endpoint_id: endpoint.id,
        event_type: type,
        status_code: this.testDeliveryStatus,
        success: this.testDeliveryStatus >= 200 && this.testDeliveryStatus < 300
      }]
    }
    return notFoundRoute(request)
  }

  private create(body: Record<string, unknown>): readonly [number, unknown] {
    const problem = checkFields(body, true)
    if (problem !== undefined) return problem
    const endpoint = this.store({
      name: body["name"] as string,
      url: body["url"] as string,
      eventTypes: body["event_types"] as ReadonlyArray<string>
    })
    return [200, { ...wire(endpoint), signing_secret: endpoint.secret }]
  }

  private update(endpoint: StoredEndpoint, body: Record<string, unknown>): readonly [number, unknown] {
    const problem = checkFields(body, false)
    if (problem !== undefined) return problem
    if (typeof body["name"] === "string") endpoint.name = body["name"]
    if (typeof body["url"] === "string") endpoint.url = body["url"]
    if (Array.isArray(body["event_types"])) endpoint.eventTypes = body["event_types"] as ReadonlyArray<string>
    this.now += 1
    endpoint.updatedAt = this.now
    return [200, wire(endpoint)]
  }

  private list(query: URLSearchParams): readonly [number, unknown] {
    const limitText = query.get("limit")
    const limit = limitText === null ? 20 : Number(limitText)
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return invalid("limit must be an integer between 1 and 100.", "limit")
    }
    const newestFirst = [...this.endpoints.values()].sort((a, b) => b.createdAt - a.createdAt || b.order - a.order)
    const after = query.get("after")
    const start = after === null ? 0 : newestFirst.findIndex((endpoint) => endpoint.id === after) + 1
    if (after !== null && start === 0) return invalid(`No webhook endpoint found with id '${after}'.`, "after")
    const page = newestFirst.slice(start, start + limit)
    return [200, {
      object: "list",
      data: page.map(wire),
      first_id: page[0]?.id ?? null,
      last_id: page.at(-1)?.id ?? null,
      has_more: start + limit < newestFirst.length
    }]
  }

  private store(fields: { name: string; url: string; eventTypes: ReadonlyArray<string> }): StoredEndpoint {
    this.now += 1
    const endpoint: StoredEndpoint = {
      id: `whe_${randomBytes(12).toString("hex")}`,
      ...fields,
      secret: newSecret(),
      previous: undefined,
      createdAt: this.now,
      updatedAt: undefined,
      order: this.order++
    }
    this.endpoints.set(endpoint.id, endpoint)
    return endpoint
  }
}

class StallControl implements Stall {
  arrive!: () => void
  release!: () => void
  handle!: () => void
  readonly arrived = new Promise<void>((resolve) => this.arrive = resolve)
  readonly released = new Promise<void>((resolve) => this.release = resolve)
  readonly handled = new Promise<void>((resolve) => this.handle = resolve)
}

const newSecret = () => `whsec_${randomBytes(32).toString("base64")}`

/** An endpoint as OpenAI answers it, with a key this client does not know (OpenAI adds fields). */
const wire = (endpoint: StoredEndpoint) => ({
  id: endpoint.id,
  object: "webhook_endpoint",
  name: endpoint.name,
  url: endpoint.url,
  event_types: endpoint.eventTypes,
  signing_secret_hint: `whsec_...${last4(endpoint.secret)}`,
  created_at: endpoint.createdAt,
  ...(endpoint.updatedAt === undefined ? {} : { updated_at: endpoint.updatedAt }),
  status: "enabled"
})

const invalid = (message: string, param: string | null): readonly [number, unknown] => [400, {
  error: { message, type: "invalid_request_error", param, code: null }
}]

const notFoundRoute = (request: RecordedRequest): readonly [number, unknown] => [404, {
  error: {
    message: `Invalid URL (${request.method} ${request.path})`,
    type: "invalid_request_error",
    param: null,
    code: null
  }
}]

/** OpenAI's checks on create (all fields required) and update (each optional). */
const checkFields = (body: Record<string, unknown>, required: boolean): readonly [number, unknown] | undefined => {
  const { event_types: eventTypes, name, url } = body
  if (required || url !== undefined) {
    if (typeof url !== "string" || !url.startsWith("https://") || url.length > 2048) {
      return invalid("url must be an HTTPS URL of at most 2048 characters.", "url")
    }
  }
  if (required || name !== undefined) {
    // Characters, as Python's len() counts them (code points), not UTF-16 units.
    if (typeof name !== "string" || [...name].length < 1 || [...name].length > 256) {
      return invalid("name must be between 1 and 256 characters.", "name")
    }
  }
  if (required || eventTypes !== undefined) {
    if (!Array.isArray(eventTypes) || eventTypes.some((type) => !subscribable.includes(type as string))) {
      return invalid("event_types must only contain types listed by GET /v1/webhook_event_types.", "event_types")
    }
  }
  return undefined
}

/** The error OpenAI answers a status with, when a test scripts the status alone. */
export const errorFor = (status: number) => {
  switch (status) {
    case 400:
      return { message: "Invalid request.", type: "invalid_request_error", param: null, code: null }
    case 401:
      return { message: "Invalid authorization.", type: "invalid_request_error", param: null, code: "invalid_api_key" }
    case 403:
      return {
        message: "You have insufficient permissions for this operation.",
        type: "invalid_request_error",
        param: null,
        code: "insufficient_permissions"
      }
    case 404:
      return { message: "Not found.", type: "invalid_request_error", param: null, code: null }
    case 409:
      return {
        message: "The endpoint is being changed by another request.",
        type: "invalid_request_error",
        param: null,
        code: "conflict"
      }
    case 422:
      return { message: "The URL could not be verified.", type: "invalid_request_error", param: "url", code: null }
    case 429:
      return { message: "Rate limit reached for requests.", type: "requests", param: null, code: "rate_limit_exceeded" }
    default:
      return {
        message: "The server had an error while processing your request.",
        type: "server_error",
        param: null,
        code: null
      }
  }
}
