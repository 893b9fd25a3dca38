/** How the engine's tests hold a `Result` against a row of the tables. */
import * as util from "node:util"
import { expect } from "vitest"
import type * as Result from "../src/Result.js"

/** A row's verdict: a value, or a failure's reason, header (where the module has one) and message. */
export type Verdict =
  | { readonly ok: true; readonly delivery: unknown }
  | {
    readonly ok: false
    readonly reason: string
    readonly header?: string | undefined
    /** The whole message (a string) or what it must match; unchecked when absent. */
    readonly message?: string | RegExp | undefined
  }

/**
 * Everything a value shows when printed: an error's message, the value as a string, as JSON and through
 * `node:util.inspect` (alone, and inside an object, as a logger shows a field), as the engine's results and each
 * edition's errors and services are printed.
 */
export const renderings = (value: unknown): ReadonlyArray<string> => [
  ...(value instanceof Error ? [value.message] : []),
  String(value),
  JSON.stringify(value),
  util.inspect(value, { depth: 10 }),
  util.inspect(value, { depth: 10, showHidden: true }),
  util.inspect({ value }, { depth: 10, showHidden: true })
]

/** Asserts that no printing of `value` shows any of `forbidden` (strings shorter than 8 characters are not checked). */
export const expectShowsNone = (value: unknown, forbidden: ReadonlyArray<string>): void => {
  for (const text of renderings(value)) {
    for (const secret of forbidden) if (secret.length >= 8) expect(text).not.toContain(secret)
  }
}

/**
 * Asserts that `result` is the verdict `expected` describes: the same value on success; on failure the same reason,
 * the same header (none when the row gives none), and the message when the row gives one.
 */
export const expectVerdict = (
  result: Result.Result<unknown, Result.Problem<string>>,
  expected: Verdict
): void => {
  if (expected.ok) {
    expect(result).toEqual({ ok: true, value: expected.delivery })
    return
  }
  expect(result.ok, "a failure").toBe(false)
  if (result.ok) return
  expect(result.error.reason).toBe(expected.reason)
  expect(result.error.header).toBe(expected.header)
  if (typeof expected.message === "string") expect(result.error.message).toBe(expected.message)
  else if (expected.message !== undefined) expect(result.error.message).toMatch(expected.message)
}
