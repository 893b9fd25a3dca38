/**
 * The receiver's example handler: one branch per event family. Put your work where the debug lines are;
 * a failure here answers 500 and OpenAI retries. The receiver itself logs one line per delivery.
 *
 * A failure to look at: a delivery whose `webhook-id` starts with {@link FAIL_PREFIX} fails here, every time
 * (`openai-webhooks send <type> --fail` sends one), so that the inbox's failed and dead deliveries, `inbox recover`
 * and `inbox discard` (and the inspector's Recover and Discard) can be tried without writing code. The mark is in
 * the id, not in `data`: decoding keeps only the fields a type defines, and the id is what the inbox lists.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Match from "effect/Match"
import type { WebhookEvent, Webhooks } from "effect4-openai-webhooks"

const dispatch = Match.type<WebhookEvent.UnwrapWebhookEvent>().pipe(
  Match.tagStartsWith("response.", (event) => Effect.logDebug(`response ${event.data.id}: ${event._tag}`)),
  Match.tagStartsWith("batch.", (event) => Effect.logDebug(`batch ${event.data.id}: ${event._tag}`)),
  Match.tagStartsWith("eval.run.", (event) => Effect.logDebug(`eval run ${event.data.id}: ${event._tag}`)),
  Match.tagStartsWith("fine_tuning.job.", (event) => Effect.logDebug(`fine-tuning job ${event.data.id}: ${event._tag}`)),
  Match.tagStartsWith("video.", (event) => Effect.logDebug(`video ${event.data.id}: ${event._tag}`)),
  Match.tag("realtime.call.incoming", (event) => Effect.logDebug(`realtime call ${event.data.callId} is ringing`)),
  Match.tag("live.call.incoming", "live.transport.incoming", (event) =>
    Effect.logDebug(`live session ${event.data.sessionId} is ringing`)),
  Match.tag("live.transport.connected", (event) =>
    Effect.logDebug(`live session ${event.data.sessionId} connected over ${event.data.type}`)),
  Match.tagStartsWith("agent.environment.", (event) => Effect.logDebug(`environment ${event.data.id}: ${event._tag}`)),
  Match.tagStartsWith("agent.session.", (event) => Effect.logDebug(`session ${event.data.id}: ${event._tag}`)),
  Match.tagStartsWith("safety.", (event) => Effect.logDebug(`safety notice ${event.data.id}: ${event._tag}`)),
  Match.tag("unknown", (event) => Effect.logDebug(`an event type this version does not know: ${event.type}`)),
  Match.exhaustive
)

/** The start of a `webhook-id` the example handler fails on: what `openai-webhooks send --fail` sends. */
export const FAIL_PREFIX = "fail_"

/** The failure of a delivery marked {@link FAIL_PREFIX}: on purpose, to try recovering and discarding. */
export class FailedOnPurpose extends Data.TaggedError("FailedOnPurpose")<{ readonly message: string }> {}

// The matcher is built once; building it per delivery would cost more than the dispatch itself.
export const handle = (
  event: WebhookEvent.UnwrapWebhookEvent,
  delivery: Webhooks.Delivery
): Effect.Effect<void, FailedOnPurpose> =>
  delivery.id.startsWith(FAIL_PREFIX)
    ? Effect.fail(
      new FailedOnPurpose({
        message: `the example handler fails on a webhook-id starting with ${FAIL_PREFIX} (sent by send --fail)`
      })
    )
    : dispatch(event)
