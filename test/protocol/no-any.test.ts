// Proves that no type in src/ is `any`: the codec's values are `unknown` until RequestOf and
// ResponseOf (derived from the schemas) say what they are, so a wrong field name or type in a
// handler fails tsc instead of reaching the wire. Each file is parsed with TypeScript's own
// parser and every `any` keyword in a type position is listed with its file and line; the word
// in comments and strings does not count.

import { expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { Glob } from 'bun'
import ts from 'typescript'

const root = join(import.meta.dir, '../..')

function anyTypes(path: string): string[] {
  const text = readFileSync(path, 'utf8')
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true)
  const found: string[] = []
  const visit = (node: ts.Node): void => {
    if (node.kind === ts.SyntaxKind.AnyKeyword) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source))
      found.push(`${relative(root, path)}:${line + 1}`)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

test('no type in src/ is any', () => {
  const found: string[] = []
  for (const file of new Glob('src/**/*.ts').scanSync({ cwd: root, absolute: true })) {
    found.push(...anyTypes(file))
  }
  expect(found).toEqual([])
}, 60_000)
