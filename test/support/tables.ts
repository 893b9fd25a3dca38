/**
 * The engine's tables (packages/engine/test/tables) held against the library's answers: the rows are the contract
 * both editions meet, so the library's tests run them through its own API and check its errors carry the same
 * reason, header and message.
 */
import { assert } from "@effect/vitest"
import * as Either from "effect/Either"
import type { Verdict } from "../../packages/engine/test/verdict.js"

export type { Verdict }

/** Asserts that no printing of `value` shows any of `forbidden`: the engine's check, shared by both editions. */
export { expectShowsNone as assertShowsNone } from "../../packages/engine/test/verdict.js"

/**
 * Asserts that `result` is the verdict a row gives: the same value on success; on failure an instance of `error`
 * (the library's typed error) with the same reason, the same header (none when the row gives none), and the
 * message when the row gives one.
 */
export const assertVerdict = <E extends { readonly reason: string; readonly message: string }>(
  result: Either.Either<unknown, unknown>,
  expected: Verdict,
  error: new(...args: ReadonlyArray<any>) => E
): void => {
  if (expected.ok) {
    assert.deepStrictEqual(result, Either.right(expected.delivery))
    return
  }
  assert.isTrue(Either.isLeft(result), "a failure")
  if (Either.isRight(result)) return
  assert.instanceOf(result.left, error)
  const left = result.left as E
  assert.strictEqual(left.reason, expected.reason)
  assert.strictEqual((left as { readonly header?: string }).header, expected.header)
  if (typeof expected.message === "string") assert.strictEqual(left.message, expected.message)
  else if (expected.message !== undefined) assert.match(left.message, expected.message)
}
