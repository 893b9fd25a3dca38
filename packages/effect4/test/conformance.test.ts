/**
 * The engine's mounting conformance table (packages/engine/test/tables/mounting.ts), which the Effect 3 edition
 * runs too, sent through every mounting style of this edition on real loopback servers (a web handler also called
 * directly): each row must get the same status, body and log outcome from all of them. A style that answers
 * differently from the table is a mounting that drifted from the core.
 */
import { assert, layer } from "@effect/vitest"
import { Cause, Clock, Context, Effect, Exit, Layer } from "effect"
import { behaviours, limit, type Row, rows, timeoutMillis } from "../../engine/test/tables/mounting.js"
import { expectRow } from "../../engine/test/support/mounting.js"
import type { WebhookEvent, Webhooks } from "../src/index.js"
import { type Endpoint, type Observed, observe, styles } from "./support/mount.js"

/** The handler every style runs: the engine's table says what it does with each event type. */
const handle = (event: WebhookEvent.UnwrapWebhookEvent, _delivery: Webhooks.Delivery): Effect.Effect<void, Error> => {
  switch (behaviours[event._tag]) {
    case "fail":
      return Effect.fail(new Error("the handler failed"))
    case "die":
      return Effect.die(new Error("the handler died"))
    case "throw":
      // A throw instead of a failed Effect: user code with a bug.
      throw new Error("the handler threw")
    case "hang":
      return Effect.never
    default:
      return Effect.void
  }
}

/** The engine's levels as Effect 4's logger names them. */
const LEVEL = { info: "Info", warning: "Warn", error: "Error" } as const

interface Mounted {
  readonly style: string
  readonly endpoint: Endpoint
  readonly observed: Observed
  /** How many times the handler was called. */
  readonly calls: () => number
}

class Mounts extends Context.Service<Mounts, ReadonlyArray<Mounted>>()("test/conformance/Mounts") {}

// Each style has its own logger and tracer, provided where its route's services are.
const MountsLive = Layer.effect(
  Mounts,
  Effect.forEach(styles, (style) =>
    Effect.gen(function*() {
      const observed = observe()
      let calls = 0
      const endpoint = yield* Effect.orDie(style.mount({
        handle: (event, delivery) => {
          calls++
          return handle(event, delivery)
        },
        maxBodySize: limit,
        timeout: timeoutMillis
      }, observed.layer))
      return { style: style.name, endpoint, observed, calls: () => calls }
    }), { concurrency: "unbounded" })
)

/** Sends the row's request to one style; the engine's `expectRow` judges the answer, the line and the runs. */
const check = (mounted: Mounted, row: Row) =>
  Effect.gen(function*() {
    const request = row.request(yield* Clock.currentTimeMillis)
    const lines = mounted.observed.lines.length
    const calls = mounted.calls()
    const answer = yield* Effect.promise(async () => {
      const response = await mounted.endpoint.fetch(request)
      return { status: response.status, headers: response.headers, body: await response.text() }
    })
    // The line may follow the answer (a timed-out handler is answered first).
    yield* mounted.observed.untilLines(lines + 1)
    const logged = mounted.observed.lines.slice(lines)
    yield* Effect.sync(() =>
      expectRow(`${row.name}, through ${mounted.style}`, row, request, answer, logged, mounted.calls() - calls, LEVEL)
    )
  })

layer(MountsLive, { excludeTestServices: true })("every mounting style answers the table alike", (it) => {
  it.effect("mounts every style this edition's documentation shows", () =>
    Effect.map(Mounts, (mounts) => {
      assert.deepStrictEqual(mounts.map((mounted) => mounted.style), [
        "toHttpApp on HttpRouter.add",
        "layerRoute on HttpRouter",
        "toWebHandler called with a Request",
        "toWebHandler behind node:http",
        "makeNodeListener on node:http"
      ])
    }))

  for (const row of rows) {
    // Every style answers before the row ends, even when one of them differs: a late line would land in
    // the next row. The failures of all styles that differ are reported together.
    it.effect(`${row.name}: ${row.expected.status} ${row.expected.outcome}`, () =>
      Effect.gen(function*() {
        const mounts = yield* Mounts
        const results = yield* Effect.forEach(mounts, (mounted) => Effect.exit(check(mounted, row)), {
          concurrency: "unbounded"
        })
        const differ = results.flatMap((exit) => (Exit.isFailure(exit) ? [String(Cause.squash(exit.cause))] : []))
        assert.deepStrictEqual(differ, [], differ.join("\n"))
      }))
  }
})
