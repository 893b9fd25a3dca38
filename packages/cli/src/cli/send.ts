/** `openai-webhooks send`: sign sample events as OpenAI would and POST them to a receiver. */
import { randomBytes } from "node:crypto"
import { Args, Command, Options } from "@effect/cli"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { Secret } from "openai-webhooks-engine"
import { WebhookEvent, Webhooks, WebhookTesting } from "effect-openai-webhooks"
import { CheckFailed, Unreachable, UsageError } from "./errors.js"

const DEFAULT_URL = "http://127.0.0.1:8787/webhooks/openai"

/** The first of the secrets in `OPENAI_WEBHOOK_SECRET`, which may list several (spaces or commas) in a rotation. */
const first = (secrets: Redacted.Redacted<string>) => Redacted.make(Secret.split(Redacted.value(secrets))[0] ?? "")

const secretOption = Options.redacted("secret").pipe(
  Options.withDescription("The signing secret (whsec_...). Default: OPENAI_WEBHOOK_SECRET (its first secret)."),
  Options.withFallbackConfig(Config.map(Config.redacted("OPENAI_WEBHOOK_SECRET"), first)),
  Options.optional
)

interface Sent {
  readonly status: number
  readonly body: string
  readonly millis: number
}

const post = (url: string, signed: WebhookTesting.Signed<string>) =>
  Effect.tryPromise({
    try: async (): Promise<Sent> => {
      const start = performance.now()
      const response = await fetch(url, { method: "POST", headers: signed.headers, body: signed.body })
      const body = await response.text()
      return { status: response.status, body, millis: performance.now() - start }
    },
    catch: (error) =>
      new Unreachable({
        message: `could not reach ${url}: ${
          (error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : String(error)
        }`,
        hint: "is the receiver running? start it with npm start (or openai-webhooks serve), or pass --url"
      })
  })

const eventFor = (type: string, data: Option.Option<string>, now: number) =>
  Effect.gen(function*() {
    const known = WebhookEvent.isEventType(type)
    if (!known && Option.isNone(data)) {
      return yield* Effect.fail(
        new UsageError({
          message: `unknown event type "${type}"`,
          hint: "list them with openai-webhooks events, or pass --data to send an unknown type"
        })
      )
    }
    const payload = Option.isSome(data)
      ? yield* Effect.try({
        try: () => JSON.parse(data.value) as unknown,
        catch: (error) =>
          new UsageError({ message: `--data is not JSON: ${(error as Error).message}`, hint: `e.g. --data '{"id":"resp_123"}'` })
      })
      : undefined
    const sample = known ? (WebhookTesting.encode(WebhookTesting.sample(type)) as string) : undefined
    const wire = {
      id: `evt_${randomBytes(12).toString("hex")}`,
      object: "event",
      created_at: Math.floor(now / 1000),
      type,
      data: payload ?? JSON.parse(sample!).data
    }
    return yield* Webhooks.decode(JSON.stringify(wire)).pipe(
      Effect.mapError((error) =>
        new UsageError({ message: `--data does not fit ${type}: ${error.message}`, hint: "see the event's fields in the README" })
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
    process.stderr.write(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}${done === total ? "\n" : ""}`)
  )
}

export const command = Command.make(
  "send",
  {
    type: Args.text({ name: "event-type" }).pipe(Args.withDescription("e.g. response.completed"), Args.optional),
    all: Options.boolean("all").pipe(Options.withDescription("Send one event of every known type.")),
    url: Options.text("url").pipe(Options.withDefault(DEFAULT_URL), Options.withDescription("Where to POST.")),
    secret: secretOption,
    data: Options.text("data").pipe(Options.withDescription("The event's data as JSON (wire field names)."), Options.optional),
    id: Options.text("id").pipe(Options.withDescription("The webhook-id. Default: a random msg_... per delivery."), Options.optional),
    timestamp: Options.integer("timestamp").pipe(Options.withDescription("The webhook-timestamp, Unix seconds. Default: now."), Options.optional),
    count: Options.integer("count").pipe(Options.withDefault(1), Options.withDescription("How many to send."))
  },
  (flags) =>
    Effect.gen(function*() {
      const types = flags.all ? [...WebhookEvent.EventType.literals] : Option.toArray(flags.type)
      if (types.length === 0) {
        return yield* Effect.fail(
          new UsageError({ message: "which event type?", hint: "e.g. openai-webhooks send response.completed, or send --all" })
        )
      }
      if (flags.count < 1) return yield* Effect.fail(new UsageError({ message: "--count must be at least 1", hint: "e.g. --count 100" }))
      const secret = Option.getOrElse(Option.map(flags.secret, Redacted.value), () => "")
      if (secret === "") {
        return yield* Effect.fail(
          new UsageError({
            message: "no secret: pass --secret or set OPENAI_WEBHOOK_SECRET",
            hint: "npm start prints its development secret when OPENAI_WEBHOOK_SECRET is unset: pass that one"
          })
        )
      }
      const total = types.length * flags.count
      const results: Array<Sent> = []
      for (const type of types) {
        for (let i = 0; i < flags.count; i++) {
          const event = yield* eventFor(type, flags.data, Date.now())
          const signed = yield* WebhookTesting.sign({
            event,
            secret,
            id: Option.getOrUndefined(flags.id),
            timestamp: Option.getOrUndefined(flags.timestamp)
          }).pipe(Effect.mapError((error) => new UsageError({ message: error.message, hint: "check --secret or OPENAI_WEBHOOK_SECRET" })))
          const sent = yield* post(flags.url, signed)
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
        const hint = first.status !== 401
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
).pipe(
  Command.withDescription(
    "Sign and POST sample events, as OpenAI would. Examples: send response.completed; send --all; " +
      "send batch.completed --count 100; send realtime.call.incoming --url https://example.com/hook --secret whsec_..."
  )
)
