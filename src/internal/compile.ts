/**
 * Compiles a Schema AST into a decoder for the hot path.
 *
 * Why: `Schema.decodeUnknown` of a struct with renamed keys (`fromKey`) validates the wire side,
 * renames, then validates the type side again, allocating at each step, and a `Schema.Class` adds a
 * declaration check on top. For the small, fixed subset of schemas our event classes use, one pass
 * over the parsed JSON is enough. A compiled decoder answers only "valid: here is the value" or
 * `Invalid`; on `Invalid` the caller runs the Schema itself, so every error message and path comes
 * from the Schema. Nodes outside the subset compile to `undefined` and the caller keeps the Schema.
 * A property test asserts that the compiled decoder and the Schema agree on arbitrary input.
 *
 * A compiled decoder looks into its input only as deep as its schema: the recursion follows the AST, once, when
 * compiling, and `Unknown` is taken as it is. So 100,000 levels of `[` where a string is expected are rejected at the
 * first level, and test/nesting.test.ts holds every decoding entry point to that.
 *
 * @internal
 */
import { identity } from "effect/Function"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"

/** Returned by a compiled decoder for input the Schema would reject. */
export const Invalid: unique symbol = Symbol.for("effect-openai-webhooks/internal/compile/Invalid")
export type Invalid = typeof Invalid

export type Decoder<A> = (input: unknown) => A | Invalid

const parseOptions: AST.ParseOptions = {}

/**
 * A decoder equivalent to decoding with the Schema of `ast` for valid input (same value, extra keys
 * dropped), or `undefined` when the schema uses a node this compiler does not know. Given the wire side
 * of a `Schema.Class`, say.
 */
export const compileAST = (ast: AST.AST): Decoder<unknown> | undefined => go(ast)

const go = (ast: AST.AST): Decoder<any> | undefined => {
  switch (ast._tag) {
    case "StringKeyword":
      return (u) => (typeof u === "string" ? u : Invalid)
    case "NumberKeyword":
      return (u) => (typeof u === "number" ? u : Invalid)
    case "BooleanKeyword":
      return (u) => (typeof u === "boolean" ? u : Invalid)
    case "UnknownKeyword":
    case "AnyKeyword":
      return identity
    case "Literal": {
      const literal = ast.literal
      return (u) => (u === literal ? literal : Invalid)
    }
    case "Refinement":
      return refinement(ast)
    case "TupleType":
      return array(ast)
    case "TypeLiteral":
      return typeLiteral(ast, undefined)
    case "Transformation":
      return renaming(ast)
    default:
      return undefined
  }
}

const refinement = (ast: AST.Refinement): Decoder<any> | undefined => {
  const from = go(ast.from)
  if (from === undefined) return undefined
  // Schema.Int: the one refinement on the hot path, checked without allocating a ParseIssue.
  if (ast.annotations[AST.SchemaIdAnnotationId] === Schema.IntSchemaId) {
    return (u) => {
      const a = from(u)
      return a !== Invalid && Number.isSafeInteger(a) ? a : Invalid
    }
  }
  const filter = ast.filter
  return (u) => {
    const a = from(u)
    return a !== Invalid && filter(a, parseOptions, ast)._tag === "None" ? a : Invalid
  }
}

/** `Schema.Array(item)`: no fixed elements, one rest element. */
const array = (ast: AST.TupleType): Decoder<any> | undefined => {
  if (ast.elements.length !== 0 || ast.rest.length !== 1) return undefined
  const item = go(ast.rest[0]!.type)
  if (item === undefined) return undefined
  return (u) => {
    if (!Array.isArray(u)) return Invalid
    const out = new Array(u.length)
    for (let i = 0; i < u.length; i++) {
      const a = item(u[i])
      if (a === Invalid) return Invalid
      out[i] = a
    }
    return out
  }
}

interface Step {
  readonly wire: string
  readonly name: string
  readonly optional: boolean
  readonly decode: Decoder<any>
}

/** A struct without index signatures; `renames` maps wire keys to decoded keys. */
const typeLiteral = (
  ast: AST.TypeLiteral,
  renames: ReadonlyMap<PropertyKey, PropertyKey> | undefined
): Decoder<any> | undefined => {
  if (ast.indexSignatures.length !== 0) return undefined
  const steps: Array<Step> = []
  for (const ps of ast.propertySignatures) {
    if (typeof ps.name !== "string") return undefined
    const decode = go(ps.type)
    if (decode === undefined) return undefined
    const name = renames?.get(ps.name) ?? ps.name
    if (typeof name !== "string") return undefined
    steps.push({ wire: ps.name, name, optional: ps.isOptional, decode })
  }
  const n = steps.length
  return (u) => {
    // Schema accepts arrays here too (isRecordOrArray); required keys then fail as they do there.
    if (typeof u !== "object" || u === null) return Invalid
    const input = u as Record<string, unknown>
    const out: Record<string, unknown> = {}
    for (let i = 0; i < n; i++) {
      const step = steps[i]!
      const raw = input[step.wire]
      if (raw === undefined && step.optional && !Object.prototype.hasOwnProperty.call(input, step.wire)) continue
      const a = step.decode(raw)
      if (a === Invalid) return Invalid
      out[step.name] = a
    }
    return out
  }
}

/** A struct whose transformation only renames keys (`Schema.fromKey`). */
const renaming = (ast: AST.Transformation): Decoder<any> | undefined => {
  const transformation = ast.transformation
  if (transformation._tag !== "TypeLiteralTransformation" || ast.from._tag !== "TypeLiteral") return undefined
  const renames = new Map<PropertyKey, PropertyKey>()
  for (const pst of transformation.propertySignatureTransformations) {
    if (pst.decode !== identity || pst.encode !== identity) return undefined
    renames.set(pst.from, pst.to)
  }
  return typeLiteral(ast.from, renames)
}
