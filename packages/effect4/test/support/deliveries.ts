/**
 * Deliveries for the HTTP tests: signed with the edition's `WebhookTesting`, sent to a mounted style, and what a
 * delivery left behind found again.
 */
import { assert } from "@effect/vitest"
import { Effect } from "effect"
import { otherSecret, secret } from "../../../engine/test/tables/mounting.js"
import { type WebhookEvent, WebhookTesting, type Webhooks } from "../../src/index.js"
import { type Init, type LogLine, type Observed, observe, type RouteOptions, type Style } from "./mount.js"

export { otherSecret, secret }

export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly body: string
}

export interface Harness extends Observed {
  readonly url: string | undefined
  readonly send: (init: Init) => Effect.Effect<Reply>
  readonly post: (signed: WebhookTesting.Signed) => Effect.Effect<Reply>
}

/** `style` mounted with `options`, with a recording logger and tracer. */
export const mount = <E>(style: Style, options: RouteOptions<E>) =>
  Effect.gen(function*() {
    const observed = observe()
    const endpoint = yield* Effect.orDie(style.mount(options, observed.layer))
    const send = (init: Init) =>
      Effect.promise(async (): Promise<Reply> => {
        const response = await endpoint.fetch(init)
        return { status: response.status, headers: response.headers, body: await response.text() }
      })
    const post = (signed: WebhookTesting.Signed) =>
      send({ method: "POST", headers: signed.headers, body: bodyOf(signed) })
    const harness: Harness = { ...observed, url: endpoint.url, send, post }
    return harness
  })

export interface Seen {
  readonly event: WebhookEvent.UnwrapWebhookEvent
  readonly delivery: Webhooks.Delivery
}

/** A handler that records what it is given and succeeds. */
export const recorder = () => {
  const seen: Array<Seen> = []
  const handle = (event: WebhookEvent.UnwrapWebhookEvent, delivery: Webhooks.Delivery) =>
    Effect.sync(() => {
      seen.push({ event, delivery })
    })
  return { seen, handle }
}

export const signed = (type: WebhookEvent.EventType = "response.completed", signWith: string = secret) =>
  WebhookTesting.sign({ event: WebhookTesting.sample(type), secret: signWith })

export const signedPayload = (payload: string, signWith: string = secret) =>
  WebhookTesting.sign({ payload, secret: signWith })

/** A valid `response.completed` body padded with JSON whitespace to exactly `size` bytes. */
export const paddedTo = (size: number): string => {
  const body = WebhookTesting.encode(WebhookTesting.sample("response.completed"))
  return body + " ".repeat(size - Buffer.byteLength(body))
}

/** The body as fetch takes it. */
export const bodyOf = (delivery: WebhookTesting.Signed): string | Uint8Array<ArrayBuffer> =>
  typeof delivery.body === "string" ? delivery.body : new Uint8Array(delivery.body)

export const idOf = (delivery: WebhookTesting.Signed): string => delivery.headers["webhook-id"]

export const parse = (reply: Reply): unknown => JSON.parse(reply.body)

export const assertJson = (reply: Reply) => assert.match(reply.headers.get("content-type") ?? "", /^application\/json/)

/** The one log line of a delivery. */
export const lineOf = (lines: ReadonlyArray<LogLine>, webhookId: string): LogLine => {
  const found = lines.filter((line) => line.annotations["webhook_id"] === webhookId)
  assert.strictEqual(found.length, 1, `one log line for ${webhookId}, got ${JSON.stringify(found)}`)
  return found[0]!
}

/** A line as one string, to search for what it must never show. */
export const textOf = (line: LogLine): string => [line.message, JSON.stringify(line.annotations), line.cause].join(" ")
