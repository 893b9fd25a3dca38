/**
 * The engine's tables (packages/engine/test/tables) held against the library's answers: the rows are the contract
 * both editions meet, so the library's tests run them through its own API and check its errors carry the same
 * reason, header and message.
 */
import { assert } from "@effect/vitest"
import * as Either from "effect/Either"
import { expectVerdict, type Verdict } from "../../packages/engine/test/verdict.js"

export type { Verdict }

/** Asserts that no printing of `value` shows any of `forbidden`: the engine's check, shared by both editions. */
export { expectShowsNone as assertShowsNone } from "../../packages/engine/test/verdict.js"

/**
 * Asserts that `result` is the verdict a row gives: the same value on success; on failure an instance of `error`
 * (the library's typed error) with the same reason, the same header (none when the row gives none), and the
 * message when the row gives one. The engine's check (`expectVerdict`), on the `Either` read as the engine's result.
 */
export const assertVerdict = <E extends { readonly reason: string; readonly message: string }>(
  result: Either.Either<unknown, unknown>,
  expected: Verdict,
  error: new(...args: ReadonlyArray<any>) => E
): void => {
  if (Either.isLeft(result)) assert.instanceOf(result.left, error)
  expectVerdict(
    Either.isRight(result)
      ? { ok: true, value: result.right }
      : { ok: false, error: result.left as E & { readonly header?: string } },
    expected
  )
}
