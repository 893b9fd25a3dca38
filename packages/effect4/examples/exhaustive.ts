import { Match } from "effect"
import type { WebhookEvent } from "effect4-openai-webhooks"

// Match.exhaustive fails to compile the day a new event class lands and is not handled here.
export const family = Match.type<WebhookEvent.UnwrapWebhookEvent>().pipe(
  Match.tagStartsWith("response.", () => "responses"),
  Match.tagStartsWith("batch.", () => "batches"),
  Match.tagStartsWith("eval.run.", () => "evals"),
  Match.tagStartsWith("fine_tuning.job.", () => "fine-tuning"),
  Match.tagStartsWith("video.", () => "videos"),
  Match.tag("realtime.call.incoming", () => "calls"),
  Match.tagStartsWith("live.", () => "calls"),
  Match.tagStartsWith("agent.", () => "agents"),
  Match.tagStartsWith("safety.", () => "safety"),
  Match.tag("unknown", (event) => `unknown (${event.type})`),
  Match.exhaustive
)
