/**
 * The event catalogue: every webhook event type this version knows, as plain data. It is the one place where the
 * event list is written. Each edition builds its Schema classes from it (both editions' `WebhookEvent.ts`, the Effect
 * 3 library's `src/WebhookEvent.ts` and the Effect 4 library's `packages/effect4/src/WebhookEvent.ts`, are generated
 * from it by `scripts/generate-events.ts`), and the applications print it (`openai-webhooks events`).
 *
 * For each type: its wire `type`, the name of its class, OpenAI's description, its deprecation, the release that
 * first knew it, the shape of its `data` (each field's wire and camelCase names, kind, optionality, description)
 * and OpenAI's reference example as wire JSON. Every event shares the {@link envelope}.
 *
 * The rules every edition applies to these shapes (DESIGN.md, "Event classes"):
 * - fields are camelCase in code and snake_case on the wire; encoding gives back the wire JSON key for key, so
 *   fields are listed in the order of OpenAI's payloads;
 * - keys a shape does not list are ignored, never an error;
 * - an optional field may be absent; present, it has its kind (`null` is not absent);
 * - an `enum` is open: any string decodes, the known values are there for autocompletion and documentation.
 *
 * The facts come from the seed reference, the official SDKs' published types and OpenAI's guides
 * (`packages/engine/test/fixtures/events.json`, a copy of the team's `shared/openai/events.json`, and
 * `events-newer.json` for the types announced since); `packages/engine/test/Events.test.ts` holds this file to them.
 *
 * @since 0.3.0
 */

/**
 * A JSON value, as `JSON.parse` gives it.
 *
 * @since 0.3.0
 * @category models
 */
export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

/**
 * What a field holds:
 * - `string`: any JSON string;
 * - `integer`: a JSON number that is a safe integer (`Number.isSafeInteger`), such as Unix seconds;
 * - `literal`: exactly the string `value`;
 * - `enum`: any string (the set is open: OpenAI may add values), `known` being the values announced so far;
 * - `object`: a JSON object with `fields` (other keys ignored); a `name` makes it a model of its own in the
 *   editions (`SipHeader`), described by `description`;
 * - `array`: a JSON array whose every item is `items`;
 * - `unknown`: any JSON value, kept as it came.
 *
 * @since 0.3.0
 * @category models
 */
export type Shape =
  | { readonly kind: "string" }
  | { readonly kind: "integer" }
  | { readonly kind: "literal"; readonly value: string }
  | { readonly kind: "enum"; readonly known: ReadonlyArray<string> }
  | ObjectShape
  | { readonly kind: "array"; readonly items: Shape }
  | { readonly kind: "unknown" }

/**
 * A JSON object with known fields; see {@link Shape}.
 *
 * @since 0.3.0
 * @category models
 */
export interface ObjectShape {
  readonly kind: "object"
  readonly fields: ReadonlyArray<Field>
  /** The name of the model an edition exports for it (`SipHeader`), when it has one. */
  readonly name?: string
  /** What one such object is; given with `name`. */
  readonly description?: string
}

/**
 * One field of an object: its key on the wire (`call_id`), its name in code (`callId`), what it holds, whether it
 * may be absent, and what it means (OpenAI's words where they have some).
 *
 * @since 0.3.0
 * @category models
 */
export interface Field {
  readonly wire: string
  readonly name: string
  readonly shape: Shape
  readonly optional: boolean
  readonly description: string
}

/**
 * The wire JSON of a whole event, as OpenAI sends it.
 *
 * @since 0.3.0
 * @category models
 */
export interface Sample<T extends string = string> {
  readonly id: string
  readonly object: "event"
  readonly created_at: number
  readonly type: T
  readonly data: { readonly [key: string]: Json }
}

/**
 * One known event type.
 *
 * @since 0.3.0
 * @category models
 */
export interface Event<T extends string = string> {
  /** The wire `type` (`"response.completed"`), which the editions' classes hold as `_tag`. */
  readonly type: T
  /** The class name, as in the seed reference and the official SDKs: `ResponseCompletedWebhookEvent`. */
  readonly className: string
  /** When OpenAI sends the event: one sentence, OpenAI's own. */
  readonly description: string
  /** Why OpenAI deprecated the type and what replaces it, as a sentence; absent when it is not deprecated. */
  readonly deprecated?: string
  /** The release of effect-openai-webhooks that first knew the type (the editions' `@since`). */
  readonly since: string
  /** The fields of `data`, in the order of OpenAI's payloads. */
  readonly data: ReadonlyArray<Field>
  /** OpenAI's reference example of the event (what `WebhookTesting.sample` gives). */
  readonly sample: Sample<T>
}

// ---------------------------------------------------------------------------------------------------------------------
// Building blocks

const string: Shape = { kind: "string" }
const integer: Shape = { kind: "integer" }
const unknown: Shape = { kind: "unknown" }
const literal = (value: string): Shape => ({ kind: "literal", value })
const openEnum = (...known: ReadonlyArray<string>): Shape => ({ kind: "enum", known })
const object = (fields: ReadonlyArray<Field>): Shape => ({ kind: "object", fields })
const array = (items: Shape): Shape => ({ kind: "array", items })

/** `sip_media_security` -> `sipMediaSecurity` */
const camelCase = (wire: string): string => wire.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase())

const required = (wire: string, shape: Shape, description: string): Field => ({
  wire,
  name: camelCase(wire),
  shape,
  optional: false,
  description
})

const optional = (wire: string, shape: Shape, description: string): Field => ({
  ...required(wire, shape, description),
  optional: true
})

/** `agent.session.action_required` -> `AgentSessionActionRequiredWebhookEvent`, the seed's and the SDKs' rule. */
const classNameOf = (type: string): string =>
  type.split(/[._]/).map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join("") + "WebhookEvent"

interface Spec<T extends string> {
  readonly type: T
  readonly description: string
  readonly deprecated?: string
  readonly since?: string
  readonly data: ReadonlyArray<Field>
  /** The `data` of OpenAI's reference example, as wire JSON. */
  readonly sample: { readonly [key: string]: Json }
}

const event = <const T extends string>({ data, deprecated, description, sample, since, type }: Spec<T>): Event<T> => ({
  type,
  className: classNameOf(type),
  description,
  ...(deprecated === undefined ? {} : { deprecated }),
  since: since ?? "0.1.0",
  data,
  // OpenAI's reference examples all share this envelope.
  sample: { id: "evt_abc123", object: "event", created_at: 1719168000, type, data: sample }
})

// ---------------------------------------------------------------------------------------------------------------------
// The envelope and the shapes several types share

/**
 * The fields every event has, in wire order. For a known type, `type` is its literal and `data` the object its
 * {@link Event.data} describes; for a type this version does not know, `type` is any string and `data` any JSON
 * value that nests at most `Json.maxDepth` levels. `object` is optional everywhere: OpenAI's references disagree on
 * whether it is always sent, and nothing depends on it.
 *
 * @since 0.3.0
 * @category models
 */
export const envelope: ReadonlyArray<Field> = [
  required("id", string, "The unique ID of the event."),
  optional("object", openEnum("event"), "The object of the event. Always event."),
  required("created_at", integer, "Unix timestamp (seconds)."),
  required("type", string, "The type of the event."),
  required("data", unknown, "Event data payload.")
]

const idOf = (description: string): ReadonlyArray<Field> => [required("id", string, description)]

const batch = idOf("The unique ID of the batch API request.")
const evalRun = idOf("The unique ID of the eval run.")
const fineTuningJob = idOf("The unique ID of the fine-tuning job.")
const response = idOf("The unique ID of the model response.")
const agentEnvironment = idOf("The ID of the environment.")
const safety = idOf("The safety alert or case ID.")
const video = idOf("The unique ID of the video.")

const sipHeader: ObjectShape = {
  kind: "object",
  name: "SipHeader",
  description: "One header of a SIP INVITE. Untrusted caller metadata: authorization headers are excluded, order " +
    "and repeats are preserved.",
  fields: [
    required("name", string, "Name of the SIP header."),
    required("value", string, "Value of the SIP header.")
  ]
}

const sipMediaSecurity = optional(
  "sip_media_security",
  openEnum("rtp", "srtp"),
  "Media protection negotiated on the SIP leg; omitted when unknown."
)

const sipHeaders = required(
  "sip_headers",
  array(sipHeader),
  "Headers from the SIP INVITE (authorization headers excluded); order and repeats preserved; untrusted caller " +
    "metadata."
)

const pendingLiveSession = required("session_id", string, "The live_... ID of the pending SIP session.")

const sessionId = required("id", string, "The ID of the session.")

const agentSession: ReadonlyArray<Field> = [
  sessionId,
  required("environment_type", openEnum("none", "openai_hosted", "self_hosted"), "The environment type."),
  optional("environment_id", string, "The ID of the environment, when one exists.")
]

const realtimeSample = {
  call_id: "rtc_u0_479a275623b54bdb9b6fbae2f7cbd408",
  sip_media_security: "srtp",
  sip_headers: [
    { name: "Max-Forwards", value: "63" },
    { name: "CSeq", value: "851287 INVITE" },
    { name: "Content-Type", value: "application/sdp" }
  ]
}

const liveSipSample = {
  session_id: "live_u0_479a275623b54bdb9b6fbae2f7cbd408",
  sip_media_security: "srtp",
  sip_headers: [
    { name: "From", value: "<sip:alice@example.com>;tag=abc123" },
    { name: "To", value: "<sip:recipient@example.com>" },
    { name: "Call-ID", value: "call-123@example.com" }
  ]
}

// ---------------------------------------------------------------------------------------------------------------------
// The catalogue

const catalogue = [
  event({
    type: "batch.cancelled",
    description: "Sent when a batch API request has been cancelled.",
    data: batch,
    sample: { id: "batch_abc123" }
  }),
  event({
    type: "batch.completed",
    description: "Sent when a batch API request has been completed.",
    data: batch,
    sample: { id: "batch_abc123" }
  }),
  event({
    type: "batch.expired",
    description: "Sent when a batch API request has expired.",
    data: batch,
    sample: { id: "batch_abc123" }
  }),
  event({
    type: "batch.failed",
    description: "Sent when a batch API request has failed.",
    data: batch,
    sample: { id: "batch_abc123" }
  }),
  event({
    type: "eval.run.canceled",
    description: "Sent when an eval run has been canceled.",
    data: evalRun,
    sample: { id: "evalrun_abc123" }
  }),
  event({
    type: "eval.run.failed",
    description: "Sent when an eval run has failed.",
    data: evalRun,
    sample: { id: "evalrun_abc123" }
  }),
  event({
    type: "eval.run.succeeded",
    description: "Sent when an eval run has succeeded.",
    data: evalRun,
    sample: { id: "evalrun_abc123" }
  }),
  event({
    type: "fine_tuning.job.cancelled",
    description: "Sent when a fine-tuning job has been cancelled.",
    data: fineTuningJob,
    sample: { id: "ftjob_abc123" }
  }),
  event({
    type: "fine_tuning.job.failed",
    description: "Sent when a fine-tuning job has failed.",
    data: fineTuningJob,
    sample: { id: "ftjob_abc123" }
  }),
  event({
    type: "fine_tuning.job.succeeded",
    description: "Sent when a fine-tuning job has succeeded.",
    data: fineTuningJob,
    sample: { id: "ftjob_abc123" }
  }),
  event({
    type: "realtime.call.incoming",
    description: "Sent when the Realtime API receives an incoming SIP call.",
    data: [required("call_id", string, "The ID of the pending SIP call (rtc_...)."), sipMediaSecurity, sipHeaders],
    sample: realtimeSample
  }),
  event({
    type: "response.cancelled",
    description: "Sent when a background response has been cancelled.",
    data: response,
    sample: { id: "resp_abc123" }
  }),
  event({
    type: "response.completed",
    description: "Sent when a background response has been completed.",
    data: response,
    sample: { id: "resp_abc123" }
  }),
  event({
    type: "response.failed",
    description: "Sent when a background response has failed.",
    data: response,
    sample: { id: "resp_abc123" }
  }),
  event({
    type: "response.incomplete",
    description: "Sent when a background response has been interrupted.",
    data: response,
    sample: { id: "resp_abc123" }
  }),
  event({
    type: "agent.environment.expired",
    description: "Sent when an agent environment expires and can no longer resume from a snapshot.",
    data: agentEnvironment,
    sample: { id: "env_abc123" }
  }),
  event({
    type: "agent.environment.failed",
    description: "Sent when an agent environment setup fails before it is attached to a session.",
    data: agentEnvironment,
    sample: { id: "env_abc123" }
  }),
  event({
    type: "agent.environment.ready",
    description: "Sent when an agent environment finishes setup before being attached to a session.",
    data: agentEnvironment,
    sample: { id: "env_abc123" }
  }),
  event({
    type: "agent.environment.suspended",
    description: "Sent when an agent environment is suspended and can resume from a snapshot.",
    data: agentEnvironment,
    sample: { id: "env_abc123" }
  }),
  event({
    type: "agent.session.action_required",
    description: "Sent when an agent session requires an action; retrieve the session for details.",
    data: [
      sessionId,
      required(
        "required_action",
        object([
          // mcp_approval_request: announced in issue 10, after the facts of 2026-11-26.
          required(
            "type",
            openEnum(
              "computer_use_approval_request",
              "function_call",
              "environment_connection",
              "mcp_approval_request"
            ),
            "The kind of action the session requires."
          )
        ]),
        "The action type."
      )
    ],
    sample: { id: "sess_abc123", required_action: { type: "function_call" } }
  }),
  event({
    type: "agent.session.created",
    description: "Sent when an agent session is created.",
    data: [
      ...agentSession,
      optional(
        "connect",
        object([required("remote_url", string, "The URL the self-hosted environment connects to.")]),
        "URL used to connect a self-hosted environment."
      )
    ],
    sample: {
      id: "sess_abc123",
      environment_type: "self_hosted",
      environment_id: "env_abc123",
      connect: { remote_url: "wss://example.com/connect" }
    }
  }),
  event({
    type: "agent.session.failed",
    description: "Sent when an agent session fails.",
    data: agentSession,
    sample: { id: "sess_abc123", environment_type: "openai_hosted" }
  }),
  event({
    type: "agent.session.idle",
    description: "Sent when an agent session becomes idle.",
    data: agentSession,
    sample: { id: "sess_abc123", environment_type: "openai_hosted" }
  }),
  event({
    type: "agent.session.in_progress",
    description: "Sent when an agent session enters the in-progress state.",
    data: agentSession,
    sample: { id: "sess_abc123", environment_type: "openai_hosted" }
  }),
  event({
    type: "live.call.incoming",
    description: "Sent when an incoming API SIP session is available for Live acceptance.",
    deprecated: "Superseded by live.transport.incoming; existing subscriptions still receive it.",
    data: [pendingLiveSession, sipMediaSecurity, sipHeaders],
    sample: liveSipSample
  }),
  event({
    type: "live.transport.connected",
    description: "Sent when a direct Live WebRTC session is created or an Instant Connect session activates.",
    // Announced in issue 10.
    since: "0.2.0",
    data: [
      required("session_id", string, "The live_... ID of the Live session."),
      required("type", literal("webrtc"), "The connected transport type. Always webrtc.")
    ],
    sample: { session_id: "live_u0_479a275623b54bdb9b6fbae2f7cbd408", type: "webrtc" }
  }),
  event({
    type: "live.transport.incoming",
    description: "Sent when an incoming API SIP session is available for Live acceptance.",
    data: [
      required("type", literal("sip"), "The incoming transport type. Always sip."),
      pendingLiveSession,
      sipMediaSecurity,
      sipHeaders
    ],
    sample: { type: "sip", ...liveSipSample }
  }),
  event({
    type: "safety.alert.created",
    description: "Sent when an approved safety alert is available for an API project.",
    data: safety,
    sample: { id: "alert_0123456789abcdef0123456789abcdef" }
  }),
  event({
    type: "safety.deactivation_issued",
    description: "Sent when a deactivation is issued for a safety identifier in your organization.",
    data: safety,
    sample: { id: "C-abc123" }
  }),
  event({
    type: "safety.org_alert.created",
    description: "Sent when an approved safety alert is available for an enterprise workspace.",
    data: safety,
    sample: { id: "alert_0123456789abcdef0123456789abcdef" }
  }),
  event({
    type: "safety.warning_issued",
    description: "Sent when a warning is issued for a safety identifier in your organization.",
    data: safety,
    sample: { id: "C-abc123" }
  }),
  event({
    type: "video.completed",
    description: "Sent when a video generation job has completed.",
    data: video,
    sample: { id: "video_abc123" }
  }),
  event({
    type: "video.failed",
    description: "Sent when a video generation job has failed.",
    data: video,
    sample: { id: "video_abc123" }
  })
] as const

/** Freezes a value and everything it holds, so that no user of the shared catalogue can change it for others. */
const deepFreeze = <A>(value: A): A => {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
  }
  return value
}

/**
 * Every known event type, in the order of OpenAI's reference (the order of the editions' classes and of
 * `openai-webhooks events`). Frozen.
 *
 * @since 0.3.0
 * @category catalogue
 */
export const all: typeof catalogue = deepFreeze(catalogue)

deepFreeze(envelope)

/**
 * The wire `type` of every known event type: `"batch.cancelled" | "batch.completed" | ...`.
 *
 * @since 0.3.0
 * @category models
 */
export type Type = (typeof catalogue)[number]["type"]

/**
 * Every known wire `type`, in the order of {@link all}.
 *
 * @since 0.3.0
 * @category catalogue
 */
export const types: ReadonlyArray<Type> = Object.freeze(all.map((event) => event.type))

const index: ReadonlyMap<string, Event<Type>> = new Map(all.map((event) => [event.type, event]))

/**
 * The known event type `type`, or `undefined` for a type this version does not know (such as a newer one).
 *
 * @since 0.3.0
 * @category catalogue
 */
export const byType = (type: string): Event<Type> | undefined => index.get(type)

/**
 * The known event type `type`, typed by it.
 *
 * @since 0.3.0
 * @category catalogue
 */
export const get = <T extends Type>(type: T): Event<T> => index.get(type) as Event<T>

/**
 * Whether `type` is a wire `type` this version knows.
 *
 * @since 0.3.0
 * @category catalogue
 */
export const isKnown = (type: string): type is Type => index.has(type)

/**
 * One line about an event type: its description, then its deprecation (`... Deprecated: Superseded by ...`); what
 * `openai-webhooks events` prints beside the type.
 *
 * @since 0.3.0
 * @category catalogue
 */
export const summary = (event: Event): string =>
  event.deprecated === undefined ? event.description : `${event.description} Deprecated: ${event.deprecated}`
