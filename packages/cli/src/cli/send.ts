/** `openai-webhooks send`: sign sample events as OpenAI would and POST them to a receiver. */
import { randomBytes } from "node:crypto"
import * as http from "node:http"
import * as https from "node:https"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { Events, Secret, Signature } from "openai-webhooks-engine"
import { FAIL_PREFIX } from "../receiver/handler.js"
import { type Input, type send, urlHint } from "./commands.js"
import { CheckFailed, Unreachable, UsageError } from "./errors.js"

interface Sent {
  readonly status: number
  readonly body: string
  readonly millis: number
}

/**
 * `--url` checked before anything is sent: http or https, a host, a port in range. A URL without a scheme
 * (`127.0.0.1:3001/x`) is the commonest slip, so the hint writes it with one.
 */
export const parseUrl = (text: string): URL | UsageError => {
  const hint = urlHint
  if (text.startsWith("-")) {
    // `--url=--count`: a flag written as the value (effect/cli refuses `--url --count 3` itself: ./mistakes.ts).
    return new UsageError({ message: `--url needs a value, not the flag ${text}`, hint: hint(DEFAULT_EXAMPLE) })
  }
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? undefined : `http://${text}`
  let url: URL
  try {
    url = new URL(text)
  } catch {
    const port = /^(?:[a-z][a-z0-9+.-]*:\/\/)?[^/:]*:(\d+)/i.exec(text)?.[1]
    return port !== undefined && Number(port) > 65535
      ? new UsageError({
        message: `--url ${text}: port ${port} is out of range (1 to 65535)`,
        hint: hint(DEFAULT_EXAMPLE)
      })
      : new UsageError({
        message: `--url ${JSON.stringify(text)} is not a URL${
          withScheme === undefined ? "" : " (no http:// or https://)"
        }`,
        hint: hint(withScheme ?? DEFAULT_EXAMPLE)
      })
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    // `localhost:3001/x` parses, as the scheme `localhost:`.
    return new UsageError({
      message: `--url ${text}: ${
        withScheme === undefined ? `${url.protocol.slice(0, -1)}:// is not http or https` : "no http:// or https://"
      }`,
      hint: hint(withScheme ?? `http://${url.host}${url.pathname}`)
    })
  }
  if (url.port === "0") {
    return new UsageError({ message: `--url ${text}: port 0 is no port to send to`, hint: hint(DEFAULT_EXAMPLE) })
  }
  return url
}

const DEFAULT_EXAMPLE = "http://127.0.0.1:8787/webhooks/openai"

/** A delivery as `WebhookTesting.sign` makes it: the body and the headers OpenAI sends. */
interface Signed {
  readonly body: string
  readonly headers: { readonly [name: string]: string }
}

/**
 * Signs `body` as OpenAI would, with the engine's `Signature.sign`: the same headers as the library's
 * `WebhookTesting.sign`, without loading the library (two thirds of this command's start-up; see
 * bench/cli-startup.ts). `--data` still loads it, to decode the event as the receiver will.
 */
const sign = (key: Secret.Key, body: string, id: string | undefined, timestamp: number | undefined): Signed => {
  const webhookId = id ?? `msg_${randomBytes(16).toString("hex")}`
  const seconds = String(timestamp ?? Math.floor(Date.now() / 1000))
  return {
    body,
    headers: {
      "content-type": "application/json",
      "webhook-id": webhookId,
      "webhook-timestamp": seconds,
      "webhook-signature": Signature.sign(key, webhookId, seconds, body)
    }
  }
}

/**
 * POSTs with `node:http`, not `fetch`: fetch refuses the ports of its "bad port" list (6000, 6665-6669, ...)
 * as browsers do, and a receiver may well listen there. No new dependency, and nothing else is needed of a client.
 */
const post = (url: URL, signed: Signed) =>
  Effect.callback<Sent, Unreachable>((resume, signal) => {
    const start = performance.now()
    const request = (url.protocol === "https:" ? https : http).request(
      url,
      { method: "POST", headers: { ...signed.headers, "content-length": Buffer.byteLength(signed.body) }, signal },
      (response) => {
        const chunks: Array<Buffer> = []
        response.on("data", (chunk: Buffer) => chunks.push(chunk))
        response.on("end", () =>
          resume(Effect.succeed({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            millis: performance.now() - start
          })))
        response.on("error", (error) => resume(Effect.fail(unreachable(url, error))))
      }
    )
    request.on("error", (error) => {
      if (!signal.aborted) resume(Effect.fail(unreachable(url, error)))
    })
    request.end(signed.body)
  })

const unreachable = (url: URL, error: Error) =>
  new Unreachable({
    message: `could not reach ${url.href}: ${error.message}`,
    hint: "is the receiver running? start it with npx openai-webhooks serve, or pass --url"
  })

type JsonObject = { readonly [key: string]: unknown }

const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** `patch` over `base`: objects merged key by key, at every depth; anything else (an array too) replaces. */
export const merge = (base: unknown, patch: unknown): unknown => {
  if (!isObject(base) || !isObject(patch)) return patch
  const out: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(patch)) out[key] = merge(base[key], value)
  return out
}

/**
 * The wire JSON of the event to send: the type's sample with a fresh id and time, `data` merged over its data. With
 * `data` (or a type this version does not know), decoded as the receiver will decode it, so that a mistake is said
 * here, naming --data.
 */
const eventFor = (type: string, data: unknown, now: number) =>
  Effect.gen(function*() {
    const known = Events.byType(type)
    if (known === undefined && data === undefined) {
      return yield* Effect.fail(
        new UsageError({
          message: `unknown event type "${type}"`,
          hint: "list them with openai-webhooks events, or pass --data to send a type this version does not know"
        })
      )
    }
    const body = JSON.stringify({
      id: `evt_${randomBytes(12).toString("hex")}`,
      object: "event",
      created_at: Math.floor(now / 1000),
      type,
      data: known === undefined ? data : data === undefined ? known.sample.data : merge(known.sample.data, data)
    })
    if (data === undefined) return body
    const { Webhooks } = yield* Effect.promise(() => import("effect4-openai-webhooks"))
    return yield* Webhooks.decode(body).pipe(
      Effect.as(body),
      Effect.mapError((error) =>
        new UsageError({
          message: `--data does not fit ${type}: ${error.message}`,
          hint: `see ${type}'s fields and sample: openai-webhooks events ${type}`
        })
      )
    )
  })

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0

const progress = (done: number, total: number) => {
  if (!process.stderr.isTTY || total < 2) return Effect.void
  const width = 30
  const filled = Math.round((done / total) * width)
  return Effect.sync(() =>
    process.stderr.write(
      `\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}${done === total ? "\n" : ""}`
    )
  )
}

/** Printable ASCII, as a header value can carry it; Standard Webhooks ids are short. */
const ID = /^[\x21-\x7e]{1,256}$/

/** The flags checked, before anything is sent: each mistake names its flag (exit 2). */
const checked = (flags: Input<typeof send>) =>
  Effect.gen(function*() {
    const usage = (message: string, hint: string) => Effect.fail(new UsageError({ message, hint }))
    if (flags.all && flags.type !== undefined) {
      return yield* usage(
        `--all sends every type: it takes no <event-type> (got "${flags.type}")`,
        `send ${flags.type} alone, or send --all`
      )
    }
    const types = flags.all ? [...Events.types] : flags.type === undefined ? [] : [flags.type]
    if (types.length === 0) {
      return yield* usage("which event type?", "e.g. openai-webhooks send response.completed, or send --all")
    }
    if (flags.count < 1) return yield* usage("--count must be at least 1", "e.g. --count 100")
    const url = parseUrl(flags.url)
    if (url instanceof UsageError) return yield* Effect.fail(url)
    if (flags.id !== undefined && !ID.test(flags.id)) {
      return yield* usage(
        `--id ${JSON.stringify(flags.id)}: a webhook-id is 1 to 256 printable characters, without spaces`,
        "e.g. --id msg_1, or leave --id out for a random one per delivery"
      )
    }
    if (flags.timestamp !== undefined && flags.timestamp < 0) {
      return yield* usage("--timestamp must not be negative", "Unix seconds, e.g. --timestamp 1719168000")
    }
    let data: unknown = undefined
    if (flags.data !== undefined) {
      try {
        data = JSON.parse(flags.data)
      } catch (error) {
        return yield* usage(`--data is not JSON: ${(error as Error).message}`, `e.g. --data '{"id":"resp_123"}'`)
      }
      if (!isObject(data)) return yield* usage("--data must be a JSON object", `e.g. --data '{"id":"resp_123"}'`)
    }
    const secret = flags.secret ?? Secret.split(process.env["OPENAI_WEBHOOK_SECRET"] ?? "")[0] ?? ""
    if (secret === "") {
      return yield* usage(
        flags.secret === undefined ? "no secret: pass --secret or set OPENAI_WEBHOOK_SECRET" : "--secret is empty",
        "the receiver prints its development secret at start (npx openai-webhooks serve): pass that one"
      )
    }
    const key = Secret.parse(secret, flags.secret === undefined ? "OPENAI_WEBHOOK_SECRET" : "--secret")
    if (!key.ok) {
      return yield* usage(
        key.error.message,
        "pass the whsec_... secret the receiver uses (--secret or OPENAI_WEBHOOK_SECRET)"
      )
    }
    const id = flags.fail
      ? (flags.id ?? randomBytes(16).toString("hex")).replace(/^(?!fail_)/, FAIL_PREFIX)
      : flags.id
    return { types, url, data, key: key.value, id }
  })

export const run = (flags: Input<typeof send>) =>
  Effect.gen(function*() {
    const { data, id, key, types, url } = yield* checked(flags)
    const total = types.length * flags.count
    const results: Array<Sent> = []
    for (const type of types) {
      for (let i = 0; i < flags.count; i++) {
        const signed = sign(key, yield* eventFor(type, data, Date.now()), id, flags.timestamp)
        const sent = yield* post(url, signed)
        results.push(sent)
        if (total === 1 || flags.all && flags.count === 1) {
          yield* Console.log(`${sent.status} ${type} ${signed.headers["webhook-id"]} ${sent.body}`)
        } else {
          yield* progress(results.length, total)
        }
      }
    }
    if (total > 1) {
      const statuses = new Map<number, number>()
      for (const { status } of results) statuses.set(status, (statuses.get(status) ?? 0) + 1)
      const latencies = results.map((r) => r.millis).sort((a, b) => a - b)
      yield* Console.log(
        `sent ${total}: ${[...statuses].map(([status, n]) => `${n} x ${status}`).join(", ")}; latency ms p50 ${
          percentile(latencies, 50).toFixed(1)
        }, p90 ${percentile(latencies, 90).toFixed(1)}, p99 ${percentile(latencies, 99).toFixed(1)}, max ${
          (latencies.at(-1) ?? 0).toFixed(1)
        }`
      )
    }
    const first = results.find((r) => r.status < 200 || r.status > 299)
    if (first !== undefined) {
      const hint = flags.fail && first.status === 500
        ? "expected with --fail: the example handler failed on purpose; see it with openai-webhooks inbox list " +
          "--status failed, then inbox recover or discard"
        : first.status !== 401
        ? undefined
        : first.body.includes("Timestamp")
        ? "the receiver finds the timestamp out of its tolerance: check --timestamp and both clocks"
        : "the receiver uses another secret: pass the one it printed, or its OPENAI_WEBHOOK_SECRET"
      const message = `not every answer was 2xx (first: ${first.status} ${first.body})`
      // A CheckFailed is printed by the command itself: main only gives it its exit code.
      yield* Console.error(message)
      if (hint !== undefined) yield* Console.error(`hint: ${hint}`)
      return yield* Effect.fail(new CheckFailed({ message, hint }))
    }
  })
