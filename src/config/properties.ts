// A reader for Java `.properties` text, the format of Kafka's `server.properties`.
//
// Follows java.util.Properties.load: `#` and `!` start a comment only at the start of a line;
// a key ends at the first unescaped `=`, `:` or whitespace; a line ending in an odd number of
// backslashes continues on the next line (whose leading whitespace is dropped); `\t \n \r \f`,
// `\uXXXX` and `\<any>` are escapes. A repeated key keeps its last value, as Java does.

export interface PropertyEntry {
  key: string
  value: string
  /** 1-based line where the entry starts, for error messages. */
  line: number
}

export function parsePropertiesEntries(text: string): PropertyEntry[] {
  const naturalLines = text.split(/\r\n|\r|\n/)
  const entries: PropertyEntry[] = []
  for (let i = 0; i < naturalLines.length; i++) {
    const startLine = i + 1
    let logical = naturalLines[i]!.replace(/^[ \t\f]+/, '')
    if (logical === '' || logical[0] === '#' || logical[0] === '!') continue
    while (endsWithContinuation(logical) && i + 1 < naturalLines.length) {
      logical = logical.slice(0, -1) + naturalLines[++i]!.replace(/^[ \t\f]+/, '')
    }
    if (endsWithContinuation(logical)) logical = logical.slice(0, -1)
    const { key, value } = splitKeyValue(logical)
    entries.push({ key: unescape(key), value: unescape(value), line: startLine })
  }
  return entries
}

/** Key → value, the last occurrence of a key winning. */
export function parseProperties(text: string): Map<string, string> {
  const map = new Map<string, string>()
  for (const entry of parsePropertiesEntries(text)) map.set(entry.key, entry.value)
  return map
}

function endsWithContinuation(line: string): boolean {
  let backslashes = 0
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) backslashes++
  return backslashes % 2 === 1
}

function splitKeyValue(line: string): { key: string; value: string } {
  let keyEnd = 0
  while (keyEnd < line.length) {
    const c = line[keyEnd]!
    if (c === '\\') {
      keyEnd += 2
      continue
    }
    if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break
    keyEnd++
  }
  keyEnd = Math.min(keyEnd, line.length)
  let valueStart = keyEnd
  while (valueStart < line.length && ' \t\f'.includes(line[valueStart]!)) valueStart++
  if (valueStart < line.length && (line[valueStart] === '=' || line[valueStart] === ':')) {
    valueStart++
    while (valueStart < line.length && ' \t\f'.includes(line[valueStart]!)) valueStart++
  }
  return { key: line.slice(0, keyEnd), value: line.slice(valueStart) }
}

function unescape(text: string): string {
  if (!text.includes('\\')) return text
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c !== '\\' || i + 1 >= text.length) {
      out += c
      continue
    }
    const next = text[++i]!
    if (next === 't') out += '\t'
    else if (next === 'n') out += '\n'
    else if (next === 'r') out += '\r'
    else if (next === 'f') out += '\f'
    else if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) {
      out += String.fromCharCode(parseInt(text.slice(i + 1, i + 5), 16))
      i += 4
    } else out += next
  }
  return out
}
