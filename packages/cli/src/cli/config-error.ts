/**
 * A `ConfigError` read for the person who set the variable: Effect 4's `ConfigError` holds a `SchemaError` (or a
 * `SourceError`) whose issue points at the variable, where Effect 3's was a tree folded by `reduceWithContext`.
 */
import type * as Config from "effect/Config"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"

/** The first problem of a `ConfigError`: the variable, what is wrong with it, and whether it is that it is unset. */
export interface Problem {
  readonly name: string
  readonly message: string
  readonly missing: boolean
}

/**
 * Whether a config issue says a variable is missing: Effect 4 reads a variable that is not set as a value that is
 * not there (`MissingKey`, or "Expected string" of nothing), under the pointer to the variable. A variable that is
 * set is text, which no string setting refuses as a type.
 */
const isMissing = (issue: SchemaIssue.Issue): boolean => {
  switch (issue._tag) {
    case "MissingKey":
      return true
    case "InvalidType":
      return issue.input === undefined
    case "Pointer":
    case "Filter":
    case "Encoding":
      return isMissing(issue.issue)
    case "Composite":
    case "AnyOf":
      return issue.issues.some(isMissing)
    default:
      return false
  }
}

const standard = SchemaIssue.makeFormatterStandardSchemaV1()

/** The first problem `error` reports, or undefined when it names no variable (a source that failed). */
export const problemOf = (error: Config.ConfigError): Problem | undefined => {
  if (!Schema.isSchemaError(error.cause)) return undefined
  const first = standard(error.cause.issue).issues[0]
  if (first === undefined) return undefined
  return {
    name: (first.path ?? []).map(String).join("."),
    message: first.message,
    missing: isMissing(error.cause.issue)
  }
}
