/**
 * Options given in code, checked alike by every edition: what a message about an option that cannot be used says,
 * word for word, and the rules of a webhook route's options (its inbox modes, its handler). Each edition raises its
 * own Effect's error (`IllegalArgumentException` in Effect 3, `IllegalArgumentError` in Effect 4) with these
 * messages, when the Effect or Layer that was given the options is built, never per request.
 *
 * Every message reads `<Module>: <option>: <what it accepts>; got <value>`, and shows the value as it was given
 * (a string quoted), never a secret (no option checked here holds one).
 *
 * @since 0.4.0
 */

/**
 * The modules whose options are checked: the first word of every message.
 *
 * @since 0.4.0
 * @category models
 */
export type Module = "WebhookHttp" | "WebhookInbox" | "WebhookEndpoints" | "WebhookInspector"

/**
 * `<Module>: <option>: <text>`: the whole message of an option that cannot be used.
 *
 * @example
 * ```ts
 * import { Options } from "openai-webhooks-engine"
 *
 * Options.message("WebhookHttp", "maxBodySize", Options.expectedWhole("bytes", 1, 0))
 * // "WebhookHttp: maxBodySize: Expected a whole number of bytes, at least 1; got 0"
 * ```
 *
 * @since 0.4.0
 * @category messages
 */
export const message = (module: Module, option: string, text: string): string => `${module}: ${option}: ${text}`

/**
 * A value as a message shows it: what was given, not a reformatting of it (a string in JSON quotes).
 *
 * @since 0.4.0
 * @category messages
 */
export const shown = (value: unknown): string => typeof value === "string" ? JSON.stringify(value) : String(value)

/**
 * A duration the edition's Effect cannot read (`"5 minuets"`).
 *
 * @since 0.4.0
 * @category messages
 */
export const expectedDuration = (input: unknown): string =>
  `Expected a duration such as "10 seconds" or "1500 millis"; got ${shown(input)}`

/**
 * A duration of zero (or less) where a positive one is needed.
 *
 * @since 0.4.0
 * @category messages
 */
export const expectedPositiveDuration = (input: unknown): string =>
  `Expected a duration longer than zero; got ${shown(input)}`

/**
 * Whether `value` is a whole number of at least `min` (a safe integer: `1.5`, `NaN` and `Infinity` are not).
 *
 * @since 0.4.0
 * @category predicates
 */
export const isWhole = (value: number, min: number): boolean => Number.isSafeInteger(value) && value >= min

/**
 * A number that is not a whole number of `unit` of at least `min` ({@link isWhole}).
 *
 * @since 0.4.0
 * @category messages
 */
export const expectedWhole = (unit: string, min: number, value: number): string =>
  `Expected a whole number of ${unit}, at least ${min}; got ${value}`

// A webhook route's options (WebhookHttp).

/**
 * How a route uses the inbox: `inline` (the handler runs while OpenAI waits, once per `webhook-id`) or `queued`
 * (stored, answered at once, run by the inbox's workers).
 *
 * @since 0.4.0
 * @category route
 */
export type Mode = "inline" | "queued"

/**
 * Every {@link Mode}.
 *
 * @since 0.4.0
 * @category route
 */
export const modes: ReadonlyArray<Mode> = ["inline", "queued"]

/**
 * Whether `value` is a {@link Mode}.
 *
 * @since 0.4.0
 * @category route
 */
export const isMode = (value: unknown): value is Mode => value === "inline" || value === "queued"

/**
 * A route's `inbox` that is no {@link Mode} (`Malformed`).
 *
 * @since 0.4.0
 * @category route
 */
export const expectedMode = (value: unknown): string => `Expected "inline" or "queued"; got ${String(value)}`

/**
 * A route's `handle` that is not a function (`Malformed`): a route without one says `inbox: "queued"`.
 *
 * @since 0.4.0
 * @category route
 */
export const expectedHandler = (value: unknown): string =>
  `Expected a function, (event, delivery) => Effect; got ${String(value)} (a route without one says inbox: "queued")`

/**
 * A route that says `inbox` and finds no inbox when it starts (`Conflict`): only options of a wider type than a
 * literal get there, since a route that says `inbox` requires the inbox in its type.
 *
 * @since 0.4.0
 * @category route
 */
export const noInbox = (uses: Mode): string =>
  `the route says inbox: "${uses}", and no WebhookInbox is provided: provide WebhookInbox.layerSql`

/**
 * A route that says `inbox: uses` and is given an inbox built in the other mode (`Conflict`).
 *
 * @since 0.4.0
 * @category route
 */
export const inboxOfOtherMode = (uses: Mode, mode: Mode): string =>
  `the route says inbox: "${uses}", and the WebhookInbox it is given is ${mode}: build it ` +
  `with WebhookInbox.layerSql({ mode: "${uses}" }) (or WEBHOOK_MODE=${uses} for WebhookInbox.layerConfig)`

/**
 * The line a route without an inbox says once, when it starts (at warning level): every copy of a delivery (OpenAI
 * sends some, and retries any answer that is not 2xx) runs the handler. Most likely an inbox given to the workers
 * only. `message` is the line's message, `error` its `error` annotation.
 *
 * @since 0.4.0
 * @category route
 */
export const notDeduplicated = {
  message: "deliveries are not deduplicated",
  error: "this webhook route has no WebhookInbox, so every copy of a webhook-id runs the handler: to deduplicate, " +
    "provide WebhookInbox.layerSql to the route (not only to WebhookInbox.layerWorker) and say inbox: \"inline\" " +
    "(or \"queued\") in its options"
} as const
