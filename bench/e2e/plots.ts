// Hand-written SVG plots of an end-to-end run, in bench/e2e/plots/: produce throughput by
// configuration (broker beside the mock cluster, with the machine's limits as lines) and latency
// percentiles per rate on a log scale. Plain SVG 1.1 text, so it renders on GitHub and needs no
// plotting dependency.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { clientLoopback, type RunResults } from './report.ts'
import { describeProduce } from './scenarios.ts'

interface Series {
  name: string
  color: string
  dashed?: boolean
}

const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b']
const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const text = (x: number, y: number, body: string, attrs = '') =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${escapeXml(body)}</text>`

function niceMax(value: number): number {
  if (!(value > 0)) return 1
  const magnitude = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude
  return 10 * magnitude
}

function legend(series: Series[], x: number, y: number): string[] {
  return series.flatMap((s, i) => [
    `<line x1="${x}" y1="${y + i * 16}" x2="${x + 18}" y2="${y + i * 16}" stroke="${s.color}" stroke-width="6"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`,
    text(x + 24, y + i * 16 + 4, s.name),
  ])
}

/** Horizontal grouped bars: one group per row label, one bar per series; markers as vertical lines. */
export function barChart(options: {
  title: string
  unit: string
  series: Series[]
  rows: { label: string; values: (number | undefined)[] }[]
  markers: { label: string; value: number | undefined }[]
}): string {
  const left = 190,
    right = 40,
    top = 80,
    barHeight = 9,
    groupGap = 8,
    width = 860
  const groupHeight = options.series.length * barHeight + groupGap
  const plotHeight = Math.max(1, options.rows.length) * groupHeight
  const height = top + plotHeight + 60 + options.series.length * 16
  const all = [...options.rows.flatMap((r) => r.values), ...options.markers.map((m) => m.value)]
  const xMax = niceMax(Math.max(0, ...all.filter((v): v is number => v !== undefined)))
  const xOf = (v: number) => left + (v / xMax) * (width - left - right)
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    text(width / 2, 24, options.title, 'text-anchor="middle" font-size="15" font-weight="bold"'),
  ]
  for (let i = 0; i <= 5; i++) {
    const v = (xMax * i) / 5,
      x = xOf(v)
    out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + plotHeight}" stroke="#ddd"/>`)
    out.push(text(x, top + plotHeight + 14, `${+v.toPrecision(3)}`, 'text-anchor="middle"'))
  }
  out.push(
    text((left + width - right) / 2, top + plotHeight + 30, options.unit, 'text-anchor="middle"'),
  )
  options.rows.forEach((row, r) => {
    const y0 = top + r * groupHeight
    out.push(text(left - 6, y0 + groupHeight / 2, row.label, 'text-anchor="end"'))
    row.values.forEach((v, s) => {
      if (v === undefined) return
      out.push(
        `<rect x="${left}" y="${y0 + s * barHeight}" width="${Math.max(0.5, xOf(v) - left).toFixed(1)}" height="${barHeight - 1}" fill="${options.series[s]!.color}"><title>${escapeXml(`${row.label}, ${options.series[s]!.name}: ${v.toFixed(1)} ${options.unit}`)}</title></rect>`,
      )
    })
  })
  options.markers.forEach((m, i) => {
    if (m.value === undefined) return
    const x = xOf(m.value)
    out.push(
      `<line x1="${x}" y1="${top - 6}" x2="${x}" y2="${top + plotHeight}" stroke="#444" stroke-dasharray="5 4"/>`,
    )
    out.push(text(x + 4, top - 10 - i * 12, `${m.label}: ${m.value.toFixed(0)}`, 'fill="#444"'))
  })
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotHeight}" stroke="#333"/>`)
  out.push(...legend(options.series, left, top + plotHeight + 48), '</svg>')
  return out.join('\n')
}

/** Lines over categorical x positions with a logarithmic y axis (latencies span decades). */
export function logLineChart(options: {
  title: string
  unit: string
  xLabels: string[]
  series: (Series & { values: (number | undefined)[] })[]
}): string {
  const left = 70,
    right = 30,
    top = 50,
    width = 720,
    plotHeight = 340
  const height = top + plotHeight + 60 + options.series.length * 16
  const values = options.series
    .flatMap((s) => s.values)
    .filter((v): v is number => v !== undefined && v > 0)
  const lowExp = Math.floor(Math.log10(Math.min(...values, 1e6)))
  const highExp = Math.max(lowExp + 1, Math.ceil(Math.log10(Math.max(...values, 1))))
  const yOf = (v: number) =>
    top + plotHeight - ((Math.log10(v) - lowExp) / (highExp - lowExp)) * plotHeight
  const xOf = (i: number) =>
    left + 30 + (i * (width - left - right - 60)) / Math.max(1, options.xLabels.length - 1)
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    text(width / 2, 24, options.title, 'text-anchor="middle" font-size="15" font-weight="bold"'),
  ]
  for (let e = lowExp; e <= highExp; e++) {
    const y = yOf(10 ** e)
    out.push(`<line x1="${left}" y1="${y}" x2="${width - right}" y2="${y}" stroke="#ddd"/>`)
    out.push(text(left - 6, y + 4, formatPower(e), 'text-anchor="end"'))
  }
  options.xLabels.forEach((label, i) =>
    out.push(text(xOf(i), top + plotHeight + 16, label, 'text-anchor="middle"')),
  )
  out.push(
    text(
      16,
      top + plotHeight / 2,
      options.unit,
      `transform="rotate(-90 16 ${top + plotHeight / 2})" text-anchor="middle"`,
    ),
  )
  for (const s of options.series) {
    const points = s.values.flatMap((v, i) =>
      v !== undefined && v > 0 ? [`${xOf(i).toFixed(1)},${yOf(v).toFixed(1)}`] : [],
    )
    out.push(
      `<polyline points="${points.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    )
    for (const p of points)
      out.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3" fill="${s.color}"/>`)
  }
  out.push(
    `<rect x="${left}" y="${top}" width="${width - left - right}" height="${plotHeight}" fill="none" stroke="#333"/>`,
  )
  out.push(...legend(options.series, left, top + plotHeight + 40), '</svg>')
  return out.join('\n')
}

/** Axis labels for a power of ten of microseconds, in the unit that reads best. */
function formatPower(exponent: number): string {
  const us = 10 ** exponent
  if (us >= 1e6) return `${us / 1e6} s`
  if (us >= 1e3) return `${us / 1e3} ms`
  return us >= 1 ? `${us} µs` : `${us.toPrecision(1)} µs`
}

/** Writes produce.svg and latency.svg for a run; returns the files written. */
export function writePlots(results: RunResults, dir: string): string[] {
  mkdirSync(dir, { recursive: true })
  // A plot this run has no data for must not survive from an earlier run and mislead.
  for (const name of ['produce.svg', 'latency.svg']) rmSync(join(dir, name), { force: true })
  const written: string[] = []
  if (results.produce) {
    const svg = barChart({
      title: 'Produce throughput by configuration',
      unit: 'MB/s (10^6 bytes of payload)',
      series: [
        { name: results.targetName, color: palette[0]! },
        { name: 'librdkafka mock cluster (in memory)', color: palette[1]! },
      ],
      rows: results.produce.map((r) => ({
        label: describeProduce(r.config),
        values: [r.broker?.mbPerSec, r.mock?.mbPerSec],
      })),
      markers: [
        { label: 'loopback TCP', value: clientLoopback(results.limits) },
        {
          label: 'page cache, new data',
          value:
            results.limits.pageCacheWriteAfterProduceMbPerSec ??
            results.limits.pageCacheWriteMbPerSec,
        },
        { label: 'disk write', value: results.limits.diskWriteMbPerSec },
      ],
    })
    writeFileSync(join(dir, 'produce.svg'), svg)
    written.push(join(dir, 'produce.svg'))
  }
  const measured = results.latency?.filter((r) => r.result) ?? []
  if (measured.length) {
    const svg = logLineChart({
      title: 'End-to-end latency by percentile (1 KiB records, acks=1)',
      unit: 'latency from intended send time (log scale)',
      xLabels: ['p50', 'p90', 'p99', 'p99.9', 'max'],
      series: measured.map((row, i) => ({
        name: `${row.target === 'mock' ? 'mock cluster' : results.targetName}, ${row.rate} records/s`,
        color: palette[i % palette.length]!,
        dashed: row.target === 'mock',
        values: [
          row.result!.p50Us,
          row.result!.p90Us,
          row.result!.p99Us,
          row.result!.p999Us,
          row.result!.maxUs,
        ],
      })),
    })
    writeFileSync(join(dir, 'latency.svg'), svg)
    written.push(join(dir, 'latency.svg'))
  }
  return written
}
