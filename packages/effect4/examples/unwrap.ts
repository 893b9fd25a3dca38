import { Effect, Match } from "effect"
import { Webhooks, WebhookEvent, WebhookSecret, WebhookTesting } from "effect4-openai-webhooks"

// What your HTTP framework hands you: the raw body (string or bytes) and the headers.
const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
const { body, headers } = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("response.completed"), secret })

const handle = Match.type<WebhookEvent.UnwrapWebhookEvent>().pipe(
  Match.tag("response.completed", (event) => Effect.log(`response ${event.data.id} completed`)),
  Match.tag("realtime.call.incoming", (event) => Effect.log(`call ${event.data.callId} is ringing`)),
  Match.tagStartsWith("batch.", (event) => Effect.log(`batch ${event.data.id}: ${event._tag}`)),
  Match.tag("unknown", (event) => Effect.logWarning(`new event type ${event.type}`)),
  Match.orElse((event) => Effect.log(`ignored ${event._tag}`))
)

export const program = Webhooks.unwrap(body, headers).pipe(
  Effect.flatMap(handle),
  Effect.catchTags({
    SignatureError: (error) => Effect.logWarning(`rejected (${error.reason}): ${error.message}`),
    DecodeError: (error) => Effect.logError(`authentic but unreadable (${error.reason}): ${error.message}`)
  }),
  Effect.provide(WebhookSecret.layer(secret))
)

if (import.meta.url === `file://${process.argv[1]}`) Effect.runFork(program)
