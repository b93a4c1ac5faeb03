// Proves the .properties reader follows java.util.Properties.load on the syntax Kafka's
// server.properties files use: separators, comments, continuations, escapes, repeated keys.

import { expect, test } from 'bun:test'
import { parseProperties, parsePropertiesEntries } from '../../src/config/properties.ts'

test('key=value, key: value, key value, whitespace around separators', () => {
  const map = parseProperties('a=1\nb: 2\nc 3\n  d  =  4  \ne\t:\tfive\nf=\ng\n')
  expect([...map]).toEqual([
    ['a', '1'],
    ['b', '2'],
    ['c', '3'],
    ['d', '4  '],
    ['e', 'five'],
    ['f', ''],
    ['g', ''],
  ])
})

test('comments start with # or ! only at the start of a line; blank lines are skipped', () => {
  const map = parseProperties('# comment\n  ! another\n\n   \nurl=http://x#not-a-comment\n')
  expect([...map]).toEqual([['url', 'http://x#not-a-comment']])
})

test('a trailing odd backslash continues the line; leading whitespace of the next is dropped', () => {
  const map = parseProperties(
    'listeners=PLAINTEXT://a:1,\\\n    PLAINTEXT://b:2\npath=C:\\\\dir\\\\\nnext=x\n',
  )
  expect(map.get('listeners')).toBe('PLAINTEXT://a:1,PLAINTEXT://b:2')
  expect(map.get('path')).toBe('C:\\dir\\') // an even number of backslashes does not continue
  expect(map.get('next')).toBe('x')
})

test('escapes in keys and values, including \\uXXXX and escaped separators', () => {
  const map = parseProperties('my\\ key\\=x=a\\tb\\nc\\u0041\\:\\z\n')
  expect(map.get('my key=x')).toBe('a\tb\ncA:z')
})

test('CRLF and CR line endings; the last of a repeated key wins; line numbers are kept', () => {
  const entries = parsePropertiesEntries('a=1\r\n# c\r\nb=2\rb=3')
  expect(entries).toEqual([
    { key: 'a', value: '1', line: 1 },
    { key: 'b', value: '2', line: 3 },
    { key: 'b', value: '3', line: 4 },
  ])
  expect(parseProperties('b=2\nb=3').get('b')).toBe('3')
})

test('a continuation at the end of the file is dropped', () => {
  expect(parseProperties('a=1\\').get('a')).toBe('1')
})
