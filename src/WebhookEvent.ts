/**
 * Every OpenAI webhook event as an Effect Schema tagged class.
 *
 * `_tag` holds the wire `type` (`"response.completed"`), so `Match.tag`, `Match.tagStartsWith` and
 * `Match.exhaustive` work on {@link UnwrapWebhookEvent}. Fields are camelCase; the encoded side is
 * OpenAI's snake_case JSON, so `Schema.encode` gives back the wire payload. Unknown extra keys are
 * ignored, `object` is optional everywhere, and enum-like strings OpenAI may extend decode any string.
 *
 * The classes are the one place where the event list is written: each carries, as Schema annotations on its type
 * side, its `description` (OpenAI's sentence), the `data` of OpenAI's reference example (wire JSON, which
 * `WebhookTesting.sample` builds on) and, for a deprecated type, why. {@link EventType}, {@link isEventType} and
 * the list `openai-webhooks events` prints are read off {@link classes}.
 *
 * @example
 * ```ts
 * import { Match } from "effect"
 * import { WebhookEvent } from "effect-openai-webhooks"
 *
 * const describe = Match.type<WebhookEvent.UnwrapWebhookEvent>().pipe(
 *   Match.tag("response.completed", (event) => `response ${event.data.id} is ready`),
 *   Match.tag("realtime.call.incoming", (event) => `call ${event.data.callId} is ringing`),
 *   Match.tagStartsWith("batch.", (event) => `batch ${event.data.id}: ${event._tag}`),
 *   Match.orElse((event) => `ignored ${event._tag}`)
 * )
 * ```
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as eventClass from "./internal/eventClass.js"
import { Json as nesting } from "openai-webhooks-engine"

/**
 * A string OpenAI may extend: any string decodes; the known values are in the type for
 * autocompletion.
 */
const openEnum = <const Known extends ReadonlyArray<string>>(
  ...known: Known
): Schema.Schema<Known[number] | (string & {})> =>
  Schema.String.annotations({ examples: known as any, description: `Known values: ${known.join(", ")}` })

const envelope = <const Type extends string, Data extends Schema.Struct.Field>(type: Type, data: Data) => ({
  id: Schema.String.annotations({ description: "The unique ID of the event." }),
  object: Schema.optionalWith(openEnum("event"), { exact: true }),
  createdAt: Schema.propertySignature(Schema.Int.annotations({ description: "Unix timestamp (seconds)." })).pipe(
    Schema.fromKey("created_at")
  ),
  _tag: Schema.tag(type).pipe(Schema.fromKey("type")),
  data
})

const idData = (description: string) => Schema.Struct({ id: Schema.String.annotations({ description }) })

const BatchData = idData("The unique ID of the batch API request.")
const EvalRunData = idData("The unique ID of the eval run.")
const FineTuningJobData = idData("The unique ID of the fine-tuning job.")
const ResponseData = idData("The unique ID of the model response.")
const AgentEnvironmentData = idData("The ID of the environment.")
const SafetyData = idData("The safety alert or case ID.")
const VideoData = idData("The unique ID of the video.")

/**
 * One header of a SIP INVITE. Untrusted caller metadata: authorization headers are excluded, order
 * and repeats are preserved.
 *
 * @since 0.1.0
 * @category models
 */
export const SipHeader = Schema.Struct({
  name: Schema.String.annotations({ description: "Name of the SIP header." }),
  value: Schema.String.annotations({ description: "Value of the SIP header." })
})

/**
 * @since 0.1.0
 * @category models
 */
export type SipHeader = typeof SipHeader.Type

// Field order follows OpenAI's payloads, so that encoding reproduces them key for key.
const sipHeaders = Schema.propertySignature(
  Schema.Array(SipHeader).annotations({ description: "Headers from the SIP INVITE." })
).pipe(Schema.fromKey("sip_headers"))

const sipMediaSecurity = Schema.optionalWith(
  openEnum("rtp", "srtp").annotations({ description: "Media protection negotiated on the SIP leg." }),
  { exact: true }
).pipe(Schema.fromKey("sip_media_security"))

const RealtimeCallIncomingData = Schema.Struct({
  callId: Schema.propertySignature(
    Schema.String.annotations({ description: "The ID of the pending SIP call (rtc_...)." })
  ).pipe(Schema.fromKey("call_id")),
  sipMediaSecurity,
  sipHeaders
})

const liveSessionId = Schema.propertySignature(
  Schema.String.annotations({ description: "The live_... ID of the pending SIP session." })
).pipe(Schema.fromKey("session_id"))

const LiveCallIncomingData = Schema.Struct({ sessionId: liveSessionId, sipMediaSecurity, sipHeaders })

const LiveTransportIncomingData = Schema.Struct({
  type: Schema.Literal("sip").annotations({ description: "The incoming transport type. Always sip." }),
  sessionId: liveSessionId,
  sipMediaSecurity,
  sipHeaders
})

const LiveTransportConnectedData = Schema.Struct({
  sessionId: Schema.propertySignature(
    Schema.String.annotations({ description: "The live_... ID of the Live session." })
  ).pipe(Schema.fromKey("session_id")),
  type: Schema.Literal("webrtc").annotations({ description: "The connected transport type. Always webrtc." })
})

const sessionId = Schema.String.annotations({ description: "The ID of the session." })

const AgentSessionActionRequiredData = Schema.Struct({
  id: sessionId,
  requiredAction: Schema.propertySignature(
    Schema.Struct({
      type: openEnum("computer_use_approval_request", "function_call", "environment_connection", "mcp_approval_request")
    })
  ).pipe(Schema.fromKey("required_action"))
})

const agentSessionFields = {
  id: sessionId,
  environmentType: Schema.propertySignature(openEnum("none", "openai_hosted", "self_hosted")).pipe(
    Schema.fromKey("environment_type")
  ),
  environmentId: Schema.optionalWith(
    Schema.String.annotations({ description: "The ID of the environment, when one exists." }),
    { exact: true }
  ).pipe(Schema.fromKey("environment_id"))
}

const AgentSessionData = Schema.Struct(agentSessionFields)

const AgentSessionCreatedData = Schema.Struct({
  ...agentSessionFields,
  connect: Schema.optionalWith(
    Schema.Struct({
      remoteUrl: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("remote_url"))
    }).annotations({ description: "URL used to connect a self-hosted environment." }),
    { exact: true }
  )
})

/**
 * Sent when a batch API request has been cancelled.
 *
 * @since 0.1.0
 * @category models
 */
export class BatchCancelledWebhookEvent extends Schema.Class<BatchCancelledWebhookEvent>("BatchCancelledWebhookEvent")(
  envelope("batch.cancelled", BatchData),
  eventClass.about(BatchData, {
    description: "Sent when a batch API request has been cancelled.",
    sample: { id: "batch_abc123" }
  })
) {}

/**
 * Sent when a batch API request has been completed.
 *
 * @since 0.1.0
 * @category models
 */
export class BatchCompletedWebhookEvent extends Schema.Class<BatchCompletedWebhookEvent>("BatchCompletedWebhookEvent")(
  envelope("batch.completed", BatchData),
  eventClass.about(BatchData, {
    description: "Sent when a batch API request has been completed.",
    sample: { id: "batch_abc123" }
  })
) {}

/**
 * Sent when a batch API request has expired.
 *
 * @since 0.1.0
 * @category models
 */
export class BatchExpiredWebhookEvent extends Schema.Class<BatchExpiredWebhookEvent>("BatchExpiredWebhookEvent")(
  envelope("batch.expired", BatchData),
  eventClass.about(BatchData, {
    description: "Sent when a batch API request has expired.",
    sample: { id: "batch_abc123" }
  })
) {}

/**
 * Sent when a batch API request has failed.
 *
 * @since 0.1.0
 * @category models
 */
export class BatchFailedWebhookEvent extends Schema.Class<BatchFailedWebhookEvent>("BatchFailedWebhookEvent")(
  envelope("batch.failed", BatchData),
  eventClass.about(BatchData, {
    description: "Sent when a batch API request has failed.",
    sample: { id: "batch_abc123" }
  })
) {}

/**
 * Sent when an eval run has been canceled.
 *
 * @since 0.1.0
 * @category models
 */
export class EvalRunCanceledWebhookEvent extends Schema.Class<EvalRunCanceledWebhookEvent>("EvalRunCanceledWebhookEvent")(
  envelope("eval.run.canceled", EvalRunData),
  eventClass.about(EvalRunData, {
    description: "Sent when an eval run has been canceled.",
    sample: { id: "evalrun_abc123" }
  })
) {}

/**
 * Sent when an eval run has failed.
 *
 * @since 0.1.0
 * @category models
 */
export class EvalRunFailedWebhookEvent extends Schema.Class<EvalRunFailedWebhookEvent>("EvalRunFailedWebhookEvent")(
  envelope("eval.run.failed", EvalRunData),
  eventClass.about(EvalRunData, {
    description: "Sent when an eval run has failed.",
    sample: { id: "evalrun_abc123" }
  })
) {}

/**
 * Sent when an eval run has succeeded.
 *
 * @since 0.1.0
 * @category models
 */
export class EvalRunSucceededWebhookEvent extends Schema.Class<EvalRunSucceededWebhookEvent>("EvalRunSucceededWebhookEvent")(
  envelope("eval.run.succeeded", EvalRunData),
  eventClass.about(EvalRunData, {
    description: "Sent when an eval run has succeeded.",
    sample: { id: "evalrun_abc123" }
  })
) {}

/**
 * Sent when a fine-tuning job has been cancelled.
 *
 * @since 0.1.0
 * @category models
 */
export class FineTuningJobCancelledWebhookEvent extends Schema.Class<FineTuningJobCancelledWebhookEvent>("FineTuningJobCancelledWebhookEvent")(
  envelope("fine_tuning.job.cancelled", FineTuningJobData),
  eventClass.about(FineTuningJobData, {
    description: "Sent when a fine-tuning job has been cancelled.",
    sample: { id: "ftjob_abc123" }
  })
) {}

/**
 * Sent when a fine-tuning job has failed.
 *
 * @since 0.1.0
 * @category models
 */
export class FineTuningJobFailedWebhookEvent extends Schema.Class<FineTuningJobFailedWebhookEvent>("FineTuningJobFailedWebhookEvent")(
  envelope("fine_tuning.job.failed", FineTuningJobData),
  eventClass.about(FineTuningJobData, {
    description: "Sent when a fine-tuning job has failed.",
    sample: { id: "ftjob_abc123" }
  })
) {}

/**
 * Sent when a fine-tuning job has succeeded.
 *
 * @since 0.1.0
 * @category models
 */
export class FineTuningJobSucceededWebhookEvent extends Schema.Class<FineTuningJobSucceededWebhookEvent>("FineTuningJobSucceededWebhookEvent")(
  envelope("fine_tuning.job.succeeded", FineTuningJobData),
  eventClass.about(FineTuningJobData, {
    description: "Sent when a fine-tuning job has succeeded.",
    sample: { id: "ftjob_abc123" }
  })
) {}

/**
 * Sent when the Realtime API receives an incoming SIP call.
 *
 * @since 0.1.0
 * @category models
 */
export class RealtimeCallIncomingWebhookEvent extends Schema.Class<RealtimeCallIncomingWebhookEvent>("RealtimeCallIncomingWebhookEvent")(
  envelope("realtime.call.incoming", RealtimeCallIncomingData),
  eventClass.about(RealtimeCallIncomingData, {
    description: "Sent when the Realtime API receives an incoming SIP call.",
    sample: {
      call_id: "rtc_u0_479a275623b54bdb9b6fbae2f7cbd408",
      sip_media_security: "srtp",
      sip_headers: [
        { name: "Max-Forwards", value: "63" },
        { name: "CSeq", value: "851287 INVITE" },
        { name: "Content-Type", value: "application/sdp" }
      ]
    }
  })
) {}

/**
 * Sent when a background response has been cancelled.
 *
 * @since 0.1.0
 * @category models
 */
export class ResponseCancelledWebhookEvent extends Schema.Class<ResponseCancelledWebhookEvent>("ResponseCancelledWebhookEvent")(
  envelope("response.cancelled", ResponseData),
  eventClass.about(ResponseData, {
    description: "Sent when a background response has been cancelled.",
    sample: { id: "resp_abc123" }
  })
) {}

/**
 * Sent when a background response has been completed.
 *
 * @since 0.1.0
 * @category models
 */
export class ResponseCompletedWebhookEvent extends Schema.Class<ResponseCompletedWebhookEvent>("ResponseCompletedWebhookEvent")(
  envelope("response.completed", ResponseData),
  eventClass.about(ResponseData, {
    description: "Sent when a background response has been completed.",
    sample: { id: "resp_abc123" }
  })
) {}

/**
 * Sent when a background response has failed.
 *
 * @since 0.1.0
 * @category models
 */
export class ResponseFailedWebhookEvent extends Schema.Class<ResponseFailedWebhookEvent>("ResponseFailedWebhookEvent")(
  envelope("response.failed", ResponseData),
  eventClass.about(ResponseData, {
    description: "Sent when a background response has failed.",
    sample: { id: "resp_abc123" }
  })
) {}

/**
 * Sent when a background response has been interrupted.
 *
 * @since 0.1.0
 * @category models
 */
export class ResponseIncompleteWebhookEvent extends Schema.Class<ResponseIncompleteWebhookEvent>("ResponseIncompleteWebhookEvent")(
  envelope("response.incomplete", ResponseData),
  eventClass.about(ResponseData, {
    description: "Sent when a background response has been interrupted.",
    sample: { id: "resp_abc123" }
  })
) {}

/**
 * Sent when an agent environment expires and can no longer resume from a snapshot.
 *
 * @since 0.1.0
 * @category models
 */
export class AgentEnvironmentExpiredWebhookEvent extends Schema.Class<AgentEnvironmentExpiredWebhookEvent>("AgentEnvironmentExpiredWebhookEvent")(
  envelope("agent.environment.expired", AgentEnvironmentData),
  eventClass.about(AgentEnvironmentData, {
    description: "Sent when an agent environment expires and can no longer resume from a snapshot.",
    sample: { id: "env_abc123" }
  })
) {}

/**
 * Sent when an agent environment setup fails before it is attached to a session.
 *
 * @since 0.1.0
 * @category models
 */
export class AgentEnvironmentFailedWebhookEvent extends Schema.Class<AgentEnvironmentFailedWebhookEvent>("AgentEnvironmentFailedWebhookEvent")(
  envelope("agent.environment.failed", AgentEnvironmentData),
  eventClass.about(AgentEnvironmentData, {
    description: "Sent when an agent environment setup fails before it is attached to a session.",
    sample: { id: "env_abc123" }
  })
) {}

/**
 * Sent when an agent environment finishes setup before being attached to a session.
 *
 * @since 0.1.0
 * @category models
 */
export class AgentEnvironmentReadyWebhookEvent extends Schema.Class<AgentEnvironmentReadyWebhookEvent>("AgentEnvironmentReadyWebhookEvent")(
  envelope("agent.environment.ready", AgentEnvironmentData),
  eventClass.about(AgentEnvironmentData, {
    description: "Sent when an agent environment finishes setup before being attached to a session.",
    sample: { id: "env_abc123" }
  })
) {}

/**
 * Sent when an agent environment is suspended and can resume from a snapshot.
 *
 * @since 0.1.0
 * @category models
 */
export class AgentEnvironmentSuspendedWebhookEvent extends Schema.Class<AgentEnvironmentSuspendedWebhookEvent>("AgentEnvironmentSuspendedWebhookEvent")(
  envelope("agent.environment.suspended", AgentEnvironmentData),
  eventClass.about(AgentEnvironmentData, {
    description: "Sent when an agent environment is suspended and can resume from a snapshot.",
    sample: { id: "env_abc123" }
  })
) {}

/**
 * Sent when an agent session requires an action; retrieve the session for details.
 *
 * @since 0.1.0
 * @category models
 */
export class AgentSessionActionRequiredWebhookEvent extends Schema.Class<AgentSessionActionRequiredWebhookEvent>("AgentSessionActionRequiredWebhookEvent")(
  envelope("agent.session.action_required", AgentSessionActionRequiredData),
  eventClass.about(AgentSessionActionRequiredData, {
    description: "Sent when an agent session requires an action; retrieve the session for details.",
    sample: { id: "sess_abc123", required_action: { type: "function_call" } }
  })
) {}

/**
 * Sent when an agent session is created.
 *
 * @since 0.1.0
 * @category models
 */
export class AgentSessionCreatedWebhookEvent extends Schema.Class<AgentSessionCreatedWebhookEvent>("AgentSessionCreatedWebhookEvent")(
  envelope("agent.session.created", AgentSessionCreatedData),
  eventClass.about(AgentSessionCreatedData, {
    description: "Sent when an agent session is created.",
    sample: {
      id: "sess_abc123",
      environment_type: "self_hosted",
      environment_id: "env_abc123",
      connect: { remote_url: "wss://example.com/connect" }
    }
  })
) {}

/**
 * Sent when an agent session fails.
 *
 * @since 0.1.0
 * @category models
 */
export class AgentSessionFailedWebhookEvent extends Schema.Class<AgentSessionFailedWebhookEvent>("AgentSessionFailedWebhookEvent")(
  envelope("agent.session.failed", AgentSessionData),
  eventClass.about(AgentSessionData, {
    description: "Sent when an agent session fails.",
    sample: { id: "sess_abc123", environment_type: "openai_hosted" }
  })
) {}

/**
 * Sent when an agent session becomes idle.
 *
 * @since 0.1.0
 * @category models
 */
export class AgentSessionIdleWebhookEvent extends Schema.Class<AgentSessionIdleWebhookEvent>("AgentSessionIdleWebhookEvent")(
  envelope("agent.session.idle", AgentSessionData),
  eventClass.about(AgentSessionData, {
    description: "Sent when an agent session becomes idle.",
    sample: { id: "sess_abc123", environment_type: "openai_hosted" }
  })
) {}

/**
 * Sent when an agent session enters the in-progress state.
 *
 * @since 0.1.0
 * @category models
 */
export class AgentSessionInProgressWebhookEvent extends Schema.Class<AgentSessionInProgressWebhookEvent>("AgentSessionInProgressWebhookEvent")(
  envelope("agent.session.in_progress", AgentSessionData),
  eventClass.about(AgentSessionData, {
    description: "Sent when an agent session enters the in-progress state.",
    sample: { id: "sess_abc123", environment_type: "openai_hosted" }
  })
) {}

/**
 * Sent when an incoming API SIP session is available for Live acceptance.
 *
 * @deprecated Superseded by live.transport.incoming; existing subscriptions still receive it.
 *
 * @since 0.1.0
 * @category models
 */
export class LiveCallIncomingWebhookEvent extends Schema.Class<LiveCallIncomingWebhookEvent>("LiveCallIncomingWebhookEvent")(
  envelope("live.call.incoming", LiveCallIncomingData),
  eventClass.about(LiveCallIncomingData, {
    description: "Sent when an incoming API SIP session is available for Live acceptance.",
    sample: {
      session_id: "live_u0_479a275623b54bdb9b6fbae2f7cbd408",
      sip_media_security: "srtp",
      sip_headers: [
        { name: "From", value: "<sip:alice@example.com>;tag=abc123" },
        { name: "To", value: "<sip:recipient@example.com>" },
        { name: "Call-ID", value: "call-123@example.com" }
      ]
    },
    deprecated: "Superseded by live.transport.incoming; existing subscriptions still receive it."
  })
) {}

/**
 * Sent when a direct Live WebRTC session is created or an Instant Connect session activates.
 *
 * `data.sessionId` is the Live session (`live_...`); `data.type` is `"webrtc"`, the transport that connected.
 *
 * @since 0.2.0
 * @category models
 */
export class LiveTransportConnectedWebhookEvent extends Schema.Class<LiveTransportConnectedWebhookEvent>("LiveTransportConnectedWebhookEvent")(
  envelope("live.transport.connected", LiveTransportConnectedData),
  eventClass.about(LiveTransportConnectedData, {
    description: "Sent when a direct Live WebRTC session is created or an Instant Connect session activates.",
    sample: { session_id: "live_u0_479a275623b54bdb9b6fbae2f7cbd408", type: "webrtc" }
  })
) {}

/**
 * Sent when an incoming API SIP session is available for Live acceptance.
 *
 * @since 0.1.0
 * @category models
 */
export class LiveTransportIncomingWebhookEvent extends Schema.Class<LiveTransportIncomingWebhookEvent>("LiveTransportIncomingWebhookEvent")(
  envelope("live.transport.incoming", LiveTransportIncomingData),
  eventClass.about(LiveTransportIncomingData, {
    description: "Sent when an incoming API SIP session is available for Live acceptance.",
    sample: {
      type: "sip",
      session_id: "live_u0_479a275623b54bdb9b6fbae2f7cbd408",
      sip_media_security: "srtp",
      sip_headers: [
        { name: "From", value: "<sip:alice@example.com>;tag=abc123" },
        { name: "To", value: "<sip:recipient@example.com>" },
        { name: "Call-ID", value: "call-123@example.com" }
      ]
    }
  })
) {}

/**
 * Sent when an approved safety alert is available for an API project.
 *
 * @since 0.1.0
 * @category models
 */
export class SafetyAlertCreatedWebhookEvent extends Schema.Class<SafetyAlertCreatedWebhookEvent>("SafetyAlertCreatedWebhookEvent")(
  envelope("safety.alert.created", SafetyData),
  eventClass.about(SafetyData, {
    description: "Sent when an approved safety alert is available for an API project.",
    sample: { id: "alert_0123456789abcdef0123456789abcdef" }
  })
) {}

/**
 * Sent when a deactivation is issued for a safety identifier in your organization.
 *
 * @since 0.1.0
 * @category models
 */
export class SafetyDeactivationIssuedWebhookEvent extends Schema.Class<SafetyDeactivationIssuedWebhookEvent>("SafetyDeactivationIssuedWebhookEvent")(
  envelope("safety.deactivation_issued", SafetyData),
  eventClass.about(SafetyData, {
    description: "Sent when a deactivation is issued for a safety identifier in your organization.",
    sample: { id: "C-abc123" }
  })
) {}

/**
 * Sent when an approved safety alert is available for an enterprise workspace.
 *
 * @since 0.1.0
 * @category models
 */
export class SafetyOrgAlertCreatedWebhookEvent extends Schema.Class<SafetyOrgAlertCreatedWebhookEvent>("SafetyOrgAlertCreatedWebhookEvent")(
  envelope("safety.org_alert.created", SafetyData),
  eventClass.about(SafetyData, {
    description: "Sent when an approved safety alert is available for an enterprise workspace.",
    sample: { id: "alert_0123456789abcdef0123456789abcdef" }
  })
) {}

/**
 * Sent when a warning is issued for a safety identifier in your organization.
 *
 * @since 0.1.0
 * @category models
 */
export class SafetyWarningIssuedWebhookEvent extends Schema.Class<SafetyWarningIssuedWebhookEvent>("SafetyWarningIssuedWebhookEvent")(
  envelope("safety.warning_issued", SafetyData),
  eventClass.about(SafetyData, {
    description: "Sent when a warning is issued for a safety identifier in your organization.",
    sample: { id: "C-abc123" }
  })
) {}

/**
 * Sent when a video generation job has completed.
 *
 * @since 0.1.0
 * @category models
 */
export class VideoCompletedWebhookEvent extends Schema.Class<VideoCompletedWebhookEvent>("VideoCompletedWebhookEvent")(
  envelope("video.completed", VideoData),
  eventClass.about(VideoData, {
    description: "Sent when a video generation job has completed.",
    sample: { id: "video_abc123" }
  })
) {}

/**
 * Sent when a video generation job has failed.
 *
 * @since 0.1.0
 * @category models
 */
export class VideoFailedWebhookEvent extends Schema.Class<VideoFailedWebhookEvent>("VideoFailedWebhookEvent")(
  envelope("video.failed", VideoData),
  eventClass.about(VideoData, {
    description: "Sent when a video generation job has failed.",
    sample: { id: "video_abc123" }
  })
) {}

// The one list of classes: the union, `classes` and `EventType` are made from it.
const known = [
  BatchCancelledWebhookEvent,
  BatchCompletedWebhookEvent,
  BatchExpiredWebhookEvent,
  BatchFailedWebhookEvent,
  EvalRunCanceledWebhookEvent,
  EvalRunFailedWebhookEvent,
  EvalRunSucceededWebhookEvent,
  FineTuningJobCancelledWebhookEvent,
  FineTuningJobFailedWebhookEvent,
  FineTuningJobSucceededWebhookEvent,
  RealtimeCallIncomingWebhookEvent,
  ResponseCancelledWebhookEvent,
  ResponseCompletedWebhookEvent,
  ResponseFailedWebhookEvent,
  ResponseIncompleteWebhookEvent,
  AgentEnvironmentExpiredWebhookEvent,
  AgentEnvironmentFailedWebhookEvent,
  AgentEnvironmentReadyWebhookEvent,
  AgentEnvironmentSuspendedWebhookEvent,
  AgentSessionActionRequiredWebhookEvent,
  AgentSessionCreatedWebhookEvent,
  AgentSessionFailedWebhookEvent,
  AgentSessionIdleWebhookEvent,
  AgentSessionInProgressWebhookEvent,
  LiveCallIncomingWebhookEvent,
  LiveTransportConnectedWebhookEvent,
  LiveTransportIncomingWebhookEvent,
  SafetyAlertCreatedWebhookEvent,
  SafetyDeactivationIssuedWebhookEvent,
  SafetyOrgAlertCreatedWebhookEvent,
  SafetyWarningIssuedWebhookEvent,
  VideoCompletedWebhookEvent,
  VideoFailedWebhookEvent
] as const

/**
 * An event whose `type` this version does not know yet. Decoding never fails on a new event type:
 * it arrives here with its wire `type` and raw `data`, and encodes back to the same JSON.
 *
 * `data` is any JSON value that nests at most 128 levels of arrays and objects (OpenAI's nest a few). Deeper
 * `data` is not an event (`DecodeError` `InvalidEvent` at `data`): kept, it would overflow the stack of whatever
 * walks it later (`JSON.stringify`, `String(event)`, a logger).
 *
 * @example
 * ```ts
 * import { Match } from "effect"
 * import { WebhookEvent } from "effect-openai-webhooks"
 *
 * const handle = Match.type<WebhookEvent.UnwrapWebhookEvent>().pipe(
 *   Match.tag("unknown", (event) => `not handled yet: ${event.type}`),
 *   Match.orElse((event) => event._tag)
 * )
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export class UnknownWebhookEvent extends Schema.Class<UnknownWebhookEvent>("UnknownWebhookEvent")({
  id: Schema.String,
  object: Schema.optionalWith(openEnum("event"), { exact: true }),
  createdAt: Schema.propertySignature(Schema.Int).pipe(Schema.fromKey("created_at")),
  // Not on the wire: set on decode, dropped on encode (any `_tag` key a payload carries is ignored).
  _tag: Schema.optionalToRequired(Schema.Unknown, Schema.Literal("unknown"), {
    decode: () => "unknown" as const,
    encode: () => Option.none()
  }).pipe(Schema.withConstructorDefault(() => "unknown" as const)),
  type: Schema.String.pipe(
    Schema.filter((type) => !isEventType(type) || `"${type}" is a known event type: use its class`)
  ),
  // Required like every envelope field: a payload without `data` is not an event.
  data: Schema.Unknown.pipe(
    Schema.filter((data) =>
      data === undefined
        ? false
        : nesting.deeperThan(data, nesting.maxDepth)
        ? `nests more than ${nesting.maxDepth} levels of arrays and objects`
        : true
    )
  ).annotations({
    // JSON values only, so that encode-then-JSON round trips hold in property tests.
    arbitrary: () => (fc) => fc.json({ depthSize: "small" }).map((text) => JSON.parse(text) as unknown)
  })
}) {}

/**
 * Every event an OpenAI webhook can deliver: one class per known type, and
 * {@link UnknownWebhookEvent} for the rest. The Type side is what handlers receive; the Encoded side
 * is the wire JSON object.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { WebhookEvent } from "effect-openai-webhooks"
 *
 * const event = Schema.decodeUnknownSync(WebhookEvent.UnwrapWebhookEvent)({
 *   id: "evt_abc123",
 *   object: "event",
 *   created_at: 1719168000,
 *   type: "response.completed",
 *   data: { id: "resp_abc123" }
 * })
 * // event._tag === "response.completed", event.data.id === "resp_abc123"
 * ```
 *
 * For bodies from outside, prefer `Webhooks.decode`: it is faster, and its `DecodeError` names the wire path in a
 * message of a few hundred characters at most. Decoding with this Schema, Effect writes the rejected value whole
 * into the `ParseError`'s `message` when that is read, and turns `type` into a string to pick the class: for JSON
 * nested a few thousand levels deep either overflows the stack.
 *
 * @since 0.1.0
 * @category models
 */
export const UnwrapWebhookEvent = Schema.Union(...known, UnknownWebhookEvent)

/**
 * @since 0.1.0
 * @category models
 */
export type UnwrapWebhookEvent = typeof UnwrapWebhookEvent.Type

/** The wire `type` of each class of a list, in order: a tuple type, so that `EventType` is the exact union. */
type TypesOf<Classes extends ReadonlyArray<{ readonly Type: { readonly _tag: string } }>> = {
  readonly [K in keyof Classes]: Classes[K]["Type"]["_tag"]
}

/**
 * Every event type this version knows, as on the wire, in the order of OpenAI's reference: read off the classes.
 *
 * @since 0.1.0
 * @category models
 */
export const EventType = Schema.Literal(...(known.map(eventClass.typeOf) as unknown as TypesOf<typeof known>))

/**
 * @since 0.1.0
 * @category models
 */
export type EventType = typeof EventType.Type

/**
 * The classes of every known event type, in the order of OpenAI's reference.
 *
 * @since 0.1.0
 * @category models
 */
export const classes: ReadonlyArray<(typeof known)[number]> = known

/**
 * Whether a wire `type` string is one this version knows.
 *
 * @since 0.1.0
 * @category guards
 */
export const isEventType = (type: string): type is EventType => knownTypes.has(type)

const knownTypes: ReadonlySet<string> = new Set(EventType.literals)
