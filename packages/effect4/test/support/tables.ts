/**
 * The engine's tables (packages/engine/test/tables) held against this edition's answers, through the engine's own
 * checks (packages/engine/test/verdict.ts): an Effect 4 `Result` is read as the engine's, so a row is judged the
 * same way in the engine, in the Effect 3 edition and here. Only the error's class is this edition's.
 */
import { assert } from "@effect/vitest"
import * as Result from "effect/Result"
import { expectVerdict, type Verdict } from "../../../engine/test/verdict.js"

export { expectShowsNone as assertShowsNone } from "../../../engine/test/verdict.js"
export type { Verdict }

/**
 * Asserts that `result` is the verdict a row gives: the same value on success; on failure an instance of `error`
 * (the edition's typed error) with the same reason, header and message the row gives.
 */
export const assertVerdict = <E extends { readonly reason: string; readonly message: string }>(
  result: Result.Result<unknown, unknown>,
  expected: Verdict,
  error: new(...args: ReadonlyArray<any>) => E
): void => {
  if (Result.isFailure(result)) assert.instanceOf(result.failure, error)
  expectVerdict(
    Result.isSuccess(result)
      ? { ok: true, value: result.success }
      : { ok: false, error: result.failure as E & { readonly header?: string } },
    expected
  )
}
