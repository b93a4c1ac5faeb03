// Metric families in Prometheus's text exposition format (version 0.0.4): counters and
// histograms updated as things happen, gauges read from the broker when scraped. Labels are given
// in a fixed order per family, and a family's series are bounded by what labels it sees (API
// names, topics, partitions, groups), all of which the broker itself bounds.

export type Labels = Record<string, string | number>

function labelText(labels: Labels): string {
  const entries = Object.entries(labels)
  if (entries.length === 0) return ''
  const escaped = entries.map(
    ([k, v]) =>
      `${k}="${String(v).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`,
  )
  return `{${escaped.join(',')}}`
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`
}

/** A monotonically increasing count per label set. */
export class Counter {
  private readonly values = new Map<string, number>()

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** Adds `by` (default 1) to the series of these labels, rendered once as the map key. */
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels)
    this.values.set(key, (this.values.get(key) ?? 0) + by)
  }

  /** Adds `by` to the series whose rendered labels are `key` (labelKey), for hot paths. */
  incKey(key: string, by = 1): void {
    this.values.set(key, (this.values.get(key) ?? 0) + by)
  }

  value(labels: Labels = {}): number {
    return this.values.get(labelText(labels)) ?? 0
  }

  render(): string {
    let out = header(this.name, this.help, 'counter')
    if (this.values.size === 0) out += `${this.name} 0\n`
    for (const [key, value] of this.values) out += `${this.name}${key} ${value}\n`
    return out
  }
}

export const labelKey = labelText

/** A histogram with fixed upper bounds, per label set. */
export class Histogram {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>()

  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
  ) {}

  observe(key: string, value: number): void {
    let s = this.series.get(key)
    if (!s) this.series.set(key, (s = { counts: this.bounds.map(() => 0), sum: 0, count: 0 }))
    for (let i = 0; i < this.bounds.length; i++) if (value <= this.bounds[i]!) s.counts[i]!++
    s.sum += value
    s.count++
  }

  render(): string {
    let out = header(this.name, this.help, 'histogram')
    for (const [key, s] of this.series) {
      const inner = key === '' ? '' : `${key.slice(1, -1)},`
      this.bounds.forEach((bound, i) => {
        out += `${this.name}_bucket{${inner}le="${bound}"} ${s.counts[i]}\n`
      })
      out += `${this.name}_bucket{${inner}le="+Inf"} ${s.count}\n`
      out += `${this.name}_sum${key} ${s.sum}\n${this.name}_count${key} ${s.count}\n`
    }
    return out
  }
}

/**
 * A family read at scrape time: `read` returns each series' labels and value. A gauge, or a
 * counter that something else keeps (`type` 'counter').
 */
export class Gauge {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => Iterable<[Labels, number]>,
    private readonly type: 'gauge' | 'counter' = 'gauge',
  ) {}

  render(): string {
    let out = header(this.name, this.help, this.type)
    for (const [labels, value] of this.read()) out += `${this.name}${labelText(labels)} ${value}\n`
    return out
  }
}

export type Family = Counter | Histogram | Gauge

export function renderAll(families: readonly Family[]): string {
  return families.map((f) => f.render()).join('')
}
