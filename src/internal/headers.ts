/**
 * Case-insensitive header lookup over every header shape users hand us.
 *
 * @internal
 */
import type * as PlatformHeaders from "@effect/platform/Headers"

export type HeadersInput =
  | globalThis.Headers
  | PlatformHeaders.Headers
  | { readonly [name: string]: string | ReadonlyArray<string> | undefined }

const FetchHeaders: typeof globalThis.Headers | undefined = globalThis.Headers

/**
 * The value of header `name` (lower case), or undefined. Repeated values (arrays) are joined with a
 * space, which keeps every entry of a repeated `webhook-signature` header.
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
