/**
 * Every known event type with its one-line description, for `openai-webhooks events`.
 *
 * @internal
 */
import type { EventType } from "../WebhookEvent.js"

const events: ReadonlyArray<{ readonly type: EventType; readonly doc: string }> = [
  { type: "batch.cancelled", doc: "Sent when a batch API request has been cancelled." },
  { type: "batch.completed", doc: "Sent when a batch API request has been completed." },
  { type: "batch.expired", doc: "Sent when a batch API request has expired." },
  { type: "batch.failed", doc: "Sent when a batch API request has failed." },
  { type: "eval.run.canceled", doc: "Sent when an eval run has been canceled." },
  { type: "eval.run.failed", doc: "Sent when an eval run has failed." },
  { type: "eval.run.succeeded", doc: "Sent when an eval run has succeeded." },
  { type: "fine_tuning.job.cancelled", doc: "Sent when a fine-tuning job has been cancelled." },
  { type: "fine_tuning.job.failed", doc: "Sent when a fine-tuning job has failed." },
  { type: "fine_tuning.job.succeeded", doc: "Sent when a fine-tuning job has succeeded." },
  { type: "realtime.call.incoming", doc: "Sent when the Realtime API receives an incoming SIP call." },
  { type: "response.cancelled", doc: "Sent when a background response has been cancelled." },
  { type: "response.completed", doc: "Sent when a background response has been completed." },
  { type: "response.failed", doc: "Sent when a background response has failed." },
  { type: "response.incomplete", doc: "Sent when a background response has been interrupted." },
  { type: "agent.environment.expired", doc: "Sent when an agent environment expires and can no longer resume from a snapshot." },
  { type: "agent.environment.failed", doc: "Sent when an agent environment setup fails before it is attached to a session." },
  { type: "agent.environment.ready", doc: "Sent when an agent environment finishes setup before being attached to a session." },
  { type: "agent.environment.suspended", doc: "Sent when an agent environment is suspended and can resume from a snapshot." },
  { type: "agent.session.action_required", doc: "Sent when an agent session requires an action; retrieve the session for details." },
  { type: "agent.session.created", doc: "Sent when an agent session is created." },
  { type: "agent.session.failed", doc: "Sent when an agent session fails." },
  { type: "agent.session.idle", doc: "Sent when an agent session becomes idle." },
  { type: "agent.session.in_progress", doc: "Sent when an agent session enters the in-progress state." },
  { type: "live.call.incoming", doc: "Sent when an incoming API SIP session is available for Live acceptance. (Deprecated: superseded by live.transport.incoming; existing subscriptions still receive it.)" },
  { type: "live.transport.incoming", doc: "Sent when an incoming API SIP session is available for Live acceptance." },
  { type: "safety.alert.created", doc: "Sent when an approved safety alert is available for an API project." },
  { type: "safety.deactivation_issued", doc: "Sent when a deactivation is issued for a safety identifier in your organization." },
  { type: "safety.org_alert.created", doc: "Sent when an approved safety alert is available for an enterprise workspace." },
  { type: "safety.warning_issued", doc: "Sent when a warning is issued for a safety identifier in your organization." },
  { type: "video.completed", doc: "Sent when a video generation job has completed." },
  { type: "video.failed", doc: "Sent when a video generation job has failed." }
]

export default events
