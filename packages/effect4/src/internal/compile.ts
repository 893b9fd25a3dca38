/**
 * Compiles a Schema AST into a decoder for the hot path: the Effect 3 edition's approach (its `compile.ts`), on
 * Effect 4's AST.
 *
 * Why: decoding an event class through its Schema walks the wire struct, renames its keys (`Schema.encodeKeys`),
 * builds the type-side struct, then the class, allocating at each step. For the small, fixed subset of schemas the
 * event classes use, one pass over the parsed JSON gives the class's fields. A compiled decoder answers only "valid:
 * here is the value" or `Invalid`; on `Invalid` the caller runs the Schema itself, so every error message and path
 * comes from the Schema's `SchemaIssue`. Nodes outside the subset compile to `undefined` and the caller keeps the
 * Schema (the unknown event, whose `_tag` is a decoding default, does). Tests hold the compiled decoders to the
 * Schema on every table row and on arbitrary mutations of valid events.
 *
 * A compiled decoder looks into its input only as deep as its schema: the recursion follows the AST, once, when
 * compiling, and `Unknown` is taken as it is (its checks run on it, as the Schema runs them).
 *
 * The subset: `String`, `Number` (with checks: `Schema.Int`'s is tested inline, others run as the Schema runs them),
 * `Literal`, `Unknown`, `Schema.Array(item)`, structs without index signatures (optional keys by `optionalKey`), and
 * a struct whose keys `Schema.encodeKeys` renames: its encoding is one link to a struct of as many fields, in the same
 * order, each the encoded side of the field at its place (what `encodeKeys` builds; anything else is not compiled).
 *
 * @internal
 */
import * as SchemaAST from "effect/SchemaAST"

/** Returned by a compiled decoder for input the Schema would reject. */
export const Invalid: unique symbol = Symbol.for("effect4-openai-webhooks/internal/compile/Invalid")
export type Invalid = typeof Invalid

export type Decoder<A> = (input: unknown) => A | Invalid

const parseOptions: SchemaAST.ParseOptions = {}

/**
 * A decoder from the encoded side of `ast` to its type side, equivalent to the Schema's for valid input (the same
 * value, unknown keys dropped), or `undefined` when `ast` uses a node this compiler does not know.
 */
export const compileAST = (ast: SchemaAST.AST): Decoder<unknown> | undefined => go(ast)

/**
 * The decoder of a `Schema.Class` with renamed keys (`Cls.pipe(Schema.encodeKeys(...))`): from the wire JSON to the
 * object of the class's fields, for `new Cls(fields)`. Its AST is the class's declaration, encoded first as the struct
 * of its fields (the class's own link), then as the struct of wire keys (the renaming link).
 */
export const compileClassFields = (ast: SchemaAST.AST): Decoder<Record<string, unknown>> | undefined => {
  if (ast._tag !== "Declaration" || ast.checks !== undefined || ast.encoding?.length !== 2) return undefined
  const [fields, wire] = ast.encoding
  if (fields!.to._tag !== "Objects" || fields!.to.encoding !== undefined) return undefined
  return renamed(fields!.to, wire!.to)
}

const go = (ast: SchemaAST.AST): Decoder<any> | undefined => {
  if (ast.encoding !== undefined) {
    // A struct whose keys encodeKeys renames; nothing else with an encoding is compiled.
    return ast._tag === "Objects" && ast.encoding.length === 1 && ast.checks === undefined
      ? renamed(ast, ast.encoding[0]!.to)
      : undefined
  }
  const decode = node(ast)
  return decode === undefined ? undefined : withChecks(ast, decode)
}

const node = (ast: SchemaAST.AST): Decoder<any> | undefined => {
  switch (ast._tag) {
    case "String":
      return (u) => (typeof u === "string" ? u : Invalid)
    case "Number":
      return (u) => (typeof u === "number" ? u : Invalid)
    case "Unknown":
      return (u) => u
    case "Literal": {
      const literal = ast.literal
      return (u) => (u === literal ? literal : Invalid)
    }
    case "Arrays":
      return array(ast)
    case "Objects":
      return objects(ast, undefined)
    default:
      return undefined
  }
}

const isIntId = "effect/schema/isInt"

/** The node's checks after it: `Schema.Int`'s inline, any other filter run as the Schema runs it. */
const withChecks = (ast: SchemaAST.AST, decode: Decoder<any>): Decoder<any> | undefined => {
  const checks = ast.checks
  if (checks === undefined) return decode
  if (checks.some((check) => check._tag !== "Filter")) return undefined
  const filters = checks as ReadonlyArray<SchemaAST.Filter<unknown>>
  if (filters.length === 1 && filters[0]!.annotations?.["representation"]?.id === isIntId) {
    // Schema.Int, on the hot path of every event (created_at): no issue allocated to find out.
    return (u) => {
      const a = decode(u)
      return a !== Invalid && Number.isSafeInteger(a) ? a : Invalid
    }
  }
  return (u) => {
    const a = decode(u)
    if (a === Invalid) return Invalid
    for (const filter of filters) if (filter.run(a, ast, parseOptions) !== undefined) return Invalid
    return a
  }
}

/** `Schema.Array(item)`: no fixed elements, one rest element. */
const array = (ast: SchemaAST.Arrays): Decoder<any> | undefined => {
  if (ast.elements.length !== 0 || ast.rest.length !== 1) return undefined
  const item = go(ast.rest[0]!)
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

/**
 * The type-side struct `to`, read from the wire struct `from` that `Schema.encodeKeys` made of it: as many fields, in
 * the same order, each the encoded side of the field at its place. The wire keys are `from`'s.
 */
const renamed = (to: SchemaAST.AST, from: SchemaAST.AST): Decoder<any> | undefined => {
  if (to._tag !== "Objects" || from._tag !== "Objects" || from.encoding !== undefined) return undefined
  if (to.propertySignatures.length !== from.propertySignatures.length) return undefined
  const wireKeys = new Map<PropertyKey, PropertyKey>()
  for (let i = 0; i < to.propertySignatures.length; i++) {
    const field = to.propertySignatures[i]!
    const wire = from.propertySignatures[i]!
    if (SchemaAST.toEncoded(field.type) !== wire.type) return undefined
    wireKeys.set(field.name, wire.name)
  }
  return objects(to, wireKeys)
}

/** A struct without index signatures or checks; `wireKeys` maps its keys to the wire's when they are renamed. */
const objects = (
  ast: SchemaAST.Objects,
  wireKeys: ReadonlyMap<PropertyKey, PropertyKey> | undefined
): Decoder<any> | undefined => {
  if (ast.indexSignatures.length !== 0 || ast.checks !== undefined) return undefined
  const steps: Array<Step> = []
  for (const ps of ast.propertySignatures) {
    const wire = wireKeys?.get(ps.name) ?? ps.name
    if (typeof ps.name !== "string" || typeof wire !== "string") return undefined
    const context = ps.type.context
    if (context?.isMutable === true) return undefined
    const decode = go(ps.type)
    if (decode === undefined) return undefined
    steps.push({ wire, name: ps.name, optional: context?.isOptional === true, decode })
  }
  const n = steps.length
  return (u) => {
    // The Schema reads a struct from a non-null object that is not an array.
    if (typeof u !== "object" || u === null || Array.isArray(u)) return Invalid
    const input = u as Record<string, unknown>
    const out: Record<string, unknown> = {}
    for (let i = 0; i < n; i++) {
      const step = steps[i]!
      if (!Object.hasOwn(input, step.wire)) {
        if (step.optional) continue
        return Invalid
      }
      const a = step.decode(input[step.wire])
      if (a === Invalid) return Invalid
      out[step.name] = a
    }
    return out
  }
}
