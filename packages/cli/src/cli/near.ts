/**
 * "did you mean send?": the word nearest to a mistyped one, by edit distance, as @effect/cli corrected it before
 * (case-insensitive, at most 2 edits). Effect 4's `effect/cli` suggests flags and commands itself, but keeps its
 * distance to itself; this one serves the values of a flag (`--status faild`) and the groups' commands. The distance
 * is `leven`'s (Levenshtein: single-letter insertions, deletions and substitutions).
 */
import leven from "leven"

/** The nearest of `words` to `word`, within 2 edits (the first of equals), or undefined. */
export const nearest = (word: string, words: ReadonlyArray<string>): string | undefined => {
  let best: { readonly word: string; readonly distance: number } | undefined
  const wanted = word.toLowerCase()
  for (const candidate of words) {
    const distance = leven(wanted, candidate.toLowerCase())
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { word: candidate, distance }
  }
  return best?.word
}
