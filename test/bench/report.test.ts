// Proves the end-to-end harness rewrites only its own section of bench/RESULTS.md: it splices a
// section into a real file that is absent, that lacks the markers, and that already holds an
// earlier section between other benchmarks' text, and reads the file back each time; and that
// consume ratios are given against loopback measured with the broker's congestion control.
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { renderMarkdown, spliceIntoResults, type RunResults } from '../../bench/e2e/report.ts'

const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-report-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('creates RESULTS.md with the markers when it is absent', () => {
  const path = join(dir, 'absent.md')
  spliceIntoResults(path, 'first run\n')
  const text = readFileSync(path, 'utf8')
  expect(text).toContain('## End-to-end\n\n<!-- e2e:begin -->\nfirst run\n<!-- e2e:end -->\n')
})

test('appends the section when the file has no markers, keeping what was there', () => {
  const path = join(dir, 'no-markers.md')
  writeFileSync(path, '# Results\n\n## Micro\n\nmitata table\n')
  spliceIntoResults(path, 'e2e table')
  const text = readFileSync(path, 'utf8')
  expect(text.startsWith('# Results\n\n## Micro\n\nmitata table\n\n## End-to-end\n')).toBe(true)
  expect(text).toContain('<!-- e2e:begin -->\ne2e table\n<!-- e2e:end -->')
})

test('replaces only the text between the markers', () => {
  const path = join(dir, 'markers.md')
  const before = '# Results\n\n## End-to-end\n\n<!-- e2e:begin -->\nold\n<!-- e2e:end -->\n'
  const after = '\n## Micro\n\nmitata table\n'
  writeFileSync(path, before + after)
  spliceIntoResults(path, 'new\n')
  expect(readFileSync(path, 'utf8')).toBe(before.replace('old', 'new') + after)
})

test('consume ratios use the loopback figure of the broker’s congestion control, and show the system’s', () => {
  const results: RunResults = {
    machine: { cpuCount: 2, cpuModel: 'test cpu', kernel: '6.0', date: '2026-11-22T00:00:00Z' },
    quick: true,
    targetName: 'Sluice',
    limits: {
      loopbackMbPerSec: 4000,
      loopbackCongestion: 'cubic',
      loopbackSystemMbPerSec: 1600,
      systemCongestion: 'bbr',
      diskWriteMbPerSec: 1000,
      notes: [],
    },
    consume: [{ sendfile: 'on', consumers: 1, mbPerSec: 1200, cpuSecondsPerGb: 0.25 }],
    notes: [],
  }
  const text = renderMarkdown(results, { plotsPrefix: '' })
  expect(text).toContain(
    "loopback TCP 4000.0 MB/s (iperf3 on 127.0.0.1, cubic as the broker's loopback connections use; 1600.0 MB/s with the system's default bbr)",
  )
  expect(text).toContain('| 1200.0 MB/s = 0.30× loopback (cubic) | **no** |')
  expect(text).toContain(
    '| sendfile | Consumers | MB/s, all consumers | × loopback (cubic) | × loopback (bbr) | Broker CPU s per GB sent |',
  )
  expect(text).toContain('| on | 1 | 1200.0 | 0.30× | 0.75× | 0.25 |')
})
