/**
 * Reading a `SchemaIssue` (Effect 4's parse failure, `ParseResult.ParseIssue` in Effect 3) as the edition's errors
 * show it: the first failure's wire path and message.
 *
 * @internal
 */
import * as SchemaIssue from "effect/SchemaIssue"

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** The first failure an issue holds: its path (wire keys, since decoding reads the encoded side) and message. */
export const first = (
  issue: SchemaIssue.Issue
): { readonly path: ReadonlyArray<PropertyKey>; readonly message: string } | undefined => {
  const found = formatter(issue).issues[0]
  if (found === undefined) return undefined
  // Standard Schema allows a segment as `{ key }`; Effect's formatter writes the keys themselves.
  const path = (found.path ?? []).map((segment) => typeof segment === "object" ? segment.key : segment)
  return { path, message: found.message }
}
