// Proves the end-to-end harness rewrites only its own section of bench/RESULTS.md: it splices a
// section into a real file that is absent, that lacks the markers, and that already holds an
// earlier section between other benchmarks' text, and reads the file back each time.
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spliceIntoResults } from '../../bench/e2e/report.ts'

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
