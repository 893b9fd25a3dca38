import { assert, describe, it } from "@effect/vitest"
import { Effect, Match } from "effect"
import { WebhookEvent, Webhooks, WebhookTesting } from "effect4-openai-webhooks"

type Event = WebhookEvent.UnwrapWebhookEvent
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false

// Type-level proofs: they fail `tsc`, not the test run.
const _eventTypeIsEveryKnownTag: Equals<WebhookEvent.EventType, Exclude<Event["_tag"], "unknown">> = true
const _everyKnownTagIsAnEventType: Equals<Exclude<Event["_tag"], "unknown">, WebhookEvent.EventType> = true
const _unknownIsATag: Equals<Extract<Event["_tag"], "unknown">, "unknown"> = true
const _unknownIsItsOwnClass: Equals<Extract<Event, { readonly _tag: "unknown" }>, WebhookEvent.UnknownWebhookEvent> =
  true
const _batchEvents: Equals<
  Extract<Event, { readonly _tag: `batch.${string}` }>,
  | WebhookEvent.BatchCancelledWebhookEvent
  | WebhookEvent.BatchCompletedWebhookEvent
  | WebhookEvent.BatchExpiredWebhookEvent
  | WebhookEvent.BatchFailedWebhookEvent
> = true

/**
 * One branch per event type, each answering a constant, and `Match.exhaustive`: this compiles only if every class
 * is in the union (a missing one would make its `Match.tag` invalid) and no member is left unmatched.
 */
const route = Match.type<Event>().pipe(
  Match.tag("batch.cancelled", () => "batch.cancelled" as const),
  Match.tag("batch.completed", () => "batch.completed" as const),
  Match.tag("batch.expired", () => "batch.expired" as const),
  Match.tag("batch.failed", () => "batch.failed" as const),
  Match.tag("eval.run.canceled", () => "eval.run.canceled" as const),
  Match.tag("eval.run.failed", () => "eval.run.failed" as const),
  Match.tag("eval.run.succeeded", () => "eval.run.succeeded" as const),
  Match.tag("fine_tuning.job.cancelled", () => "fine_tuning.job.cancelled" as const),
  Match.tag("fine_tuning.job.failed", () => "fine_tuning.job.failed" as const),
  Match.tag("fine_tuning.job.succeeded", () => "fine_tuning.job.succeeded" as const),
  Match.tag("realtime.call.incoming", (event) => {
    event.data.callId satisfies string
    return "realtime.call.incoming" as const
  }),
  Match.tag("response.cancelled", () => "response.cancelled" as const),
  Match.tag("response.completed", () => "response.completed" as const),
  Match.tag("response.failed", () => "response.failed" as const),
  Match.tag("response.incomplete", () => "response.incomplete" as const),
  Match.tag("agent.environment.expired", () => "agent.environment.expired" as const)
).pipe(
  Match.tag("agent.environment.failed", () => "agent.environment.failed" as const),
  Match.tag("agent.environment.ready", () => "agent.environment.ready" as const),
  Match.tag("agent.environment.suspended", () => "agent.environment.suspended" as const),
  Match.tag("agent.session.action_required", (event) => {
    event.data.requiredAction.type satisfies string
    return "agent.session.action_required" as const
  }),
  Match.tag("agent.session.created", (event) => {
    event.data.connect?.remoteUrl satisfies string | undefined
    return "agent.session.created" as const
  }),
  Match.tag("agent.session.failed", () => "agent.session.failed" as const),
  Match.tag("agent.session.idle", () => "agent.session.idle" as const),
  Match.tag("agent.session.in_progress", () => "agent.session.in_progress" as const),
  Match.tag("live.call.incoming", (event) => {
    event.data.sessionId satisfies string
    return "live.call.incoming" as const
  }),
  Match.tag("live.transport.connected", (event) => {
    event.data.type satisfies "webrtc"
    return "live.transport.connected" as const
  }),
  Match.tag("live.transport.incoming", () => "live.transport.incoming" as const),
  Match.tag("safety.alert.created", () => "safety.alert.created" as const),
  Match.tag("safety.deactivation_issued", () => "safety.deactivation_issued" as const),
  Match.tag("safety.org_alert.created", () => "safety.org_alert.created" as const),
  Match.tag("safety.warning_issued", () => "safety.warning_issued" as const),
  Match.tag("video.completed", () => "video.completed" as const),
  Match.tag("video.failed", () => "video.failed" as const)
).pipe(
  Match.tag("unknown", (event) => {
    event.type satisfies string
    return "unknown" as const
  }),
  Match.exhaustive
)

// Each branch's answer is in the result type, so the result is exactly the set of tags.
const _routeAnswersEveryTag: Equals<ReturnType<typeof route>, Event["_tag"]> = true

const family = Match.type<Event>().pipe(
  Match.tagStartsWith("batch.", (event) => {
    true satisfies Equals<typeof event, Extract<Event, { readonly _tag: `batch.${string}` }>>
    return "batch" as const
  }),
  Match.tagStartsWith("fine_tuning.job.", () => "fine tuning" as const),
  Match.tagStartsWith("agent.session.", (event) => {
    event.data.id satisfies string
    return "agent session" as const
  }),
  Match.orElse(() => "other" as const)
)

const brandNew = (type: string) =>
  Webhooks.decode(
    JSON.stringify({ id: "evt_new", object: "event", created_at: 1719168000, type, data: { id: "thing_1" } })
  )

describe("Match on UnwrapWebhookEvent", () => {
  it("proves at the type level that EventType, the union and the routes cover the same tags", () => {
    assert.deepStrictEqual(
      [
        _eventTypeIsEveryKnownTag,
        _everyKnownTagIsAnEventType,
        _unknownIsATag,
        _unknownIsItsOwnClass,
        _batchEvents,
        _routeAnswersEveryTag
      ],
      [true, true, true, true, true, true]
    )
  })

  it("routes every sample to the branch of its own type", () => {
    const samples = WebhookTesting.samples()
    assert.strictEqual(samples.length, 33)
    assert.deepStrictEqual(samples.map(route), [...WebhookEvent.EventType.literals])
    for (const event of samples) assert.strictEqual(route(event), event._tag)
  })

  it.effect("routes an event of an unknown type to the unknown branch", () =>
    Effect.gen(function*() {
      const event = yield* brandNew("brand.new.event")
      assert.strictEqual(route(event), "unknown")
    }))

  it.effect("routes an unknown type that looks like a known family to the unknown branch", () =>
    Effect.gen(function*() {
      const event = yield* brandNew("batch.paused")
      assert.strictEqual(route(event), "unknown")
      assert.strictEqual(family(event), "other")
    }))

  it("routes 4 batch, 3 fine-tuning and 5 agent session events by tag prefix", () => {
    const counts = new Map<string, Array<string>>()
    for (const event of WebhookTesting.samples()) {
      const answer = family(event)
      counts.set(answer, [...(counts.get(answer) ?? []), event._tag])
    }
    assert.deepStrictEqual(counts.get("batch"), ["batch.cancelled", "batch.completed", "batch.expired", "batch.failed"])
    assert.deepStrictEqual(counts.get("fine tuning"), [
      "fine_tuning.job.cancelled",
      "fine_tuning.job.failed",
      "fine_tuning.job.succeeded"
    ])
    assert.deepStrictEqual(counts.get("agent session"), [
      "agent.session.action_required",
      "agent.session.created",
      "agent.session.failed",
      "agent.session.idle",
      "agent.session.in_progress"
    ])
    assert.strictEqual(counts.get("other")?.length, 33 - 4 - 3 - 5)
    // "agent.session." must not catch its sibling family "agent.environment.".
    assert.include(counts.get("other") ?? [], "agent.environment.ready")
  })
})
