/**
 * Request headers read case-insensitively from every shape HTTP libraries hand over: fetch `Headers`, Node's
 * `IncomingHttpHeaders`, `@effect/platform`'s `Headers`, or any record of names to values.
 *
 * @since 0.3.0
 */

/**
 * Request headers: fetch `Headers`, or a record of names to a value, a list of values (a header sent on several
 * lines, kept apart) or `undefined` (absent). Node's `IncomingHttpHeaders` and `@effect/platform`'s `Headers` are
 * such records. Names may be in any case.
 *
 * @since 0.3.0
 * @category models
 */
export type HeadersInput =
  | globalThis.Headers
  | { readonly [name: string]: string | ReadonlyArray<string> | undefined }

const FetchHeaders: typeof globalThis.Headers | undefined = globalThis.Headers

/**
 * The value of header `name`, which must be given in lower case, or `undefined` when it is absent. A list of values
 * (a repeated header) is joined with a space, which keeps every entry of a repeated `webhook-signature`; an empty
 * list is absent. Fetch `Headers` join a repeated header with `", "` themselves.
 *
 * @example
 * ```ts
 * import { Headers } from "openai-webhooks-engine"
 *
 * Headers.get({ "Webhook-Id": "msg_1" }, "webhook-id") // "msg_1"
 * Headers.get({ "webhook-signature": ["v1,a", "v1,b"] }, "webhook-signature") // "v1,a v1,b"
 * ```
 *
 * @since 0.3.0
 * @category getters
 */
export const get = (headers: HeadersInput, name: string): string | undefined => {
  if (FetchHeaders !== undefined && headers instanceof FetchHeaders) return headers.get(name) ?? undefined
  const record = headers as { readonly [name: string]: string | ReadonlyArray<string> | undefined }
  // Node and @effect/platform give lower-case keys: try that first, then any case.
  let value = record[name]
  if (value === undefined) {
    for (const key in record) {
      if (key.length === name.length && record[key] !== undefined && key.toLowerCase() === name) {
        value = record[key]
        break
      }
    }
  }
  if (value === undefined || typeof value === "string") return value
  return value.length === 0 ? undefined : value.join(" ")
}
