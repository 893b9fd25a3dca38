/**
 * The receiver's example handler: one branch per event family. Put your work where the debug lines are;
 * a failure here answers 500 and OpenAI retries. The receiver itself logs one line per delivery.
 */
import * as Effect from "effect/Effect"
import * as Match from "effect/Match"
import type { WebhookEvent, Webhooks } from "effect-openai-webhooks"

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

// The matcher is built once; building it per delivery would cost more than the dispatch itself.
export const handle = (event: WebhookEvent.UnwrapWebhookEvent, _delivery: Webhooks.Delivery): Effect.Effect<void> =>
  dispatch(event)
