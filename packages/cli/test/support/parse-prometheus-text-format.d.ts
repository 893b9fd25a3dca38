/** The types of `parse-prometheus-text-format` (it ships none): the shapes its README documents. */
declare module "parse-prometheus-text-format" {
  /** One sample, or one histogram's series; numbers as printed (`"+Inf"`, `"1e-3"`). */
  export interface Sample {
    readonly labels?: Readonly<Record<string, string>>
    /** Counters, gauges, untyped. */
    readonly value?: string
    /** Histograms: cumulative counts by `le`. */
    readonly buckets?: Readonly<Record<string, string>>
    readonly count?: string
    readonly sum?: string
  }

  export interface Family {
    readonly name: string
    readonly help: string
    readonly type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED"
    readonly metrics: ReadonlyArray<Sample>
  }

  const parse: (text: string) => Array<Family>
  export default parse
}
