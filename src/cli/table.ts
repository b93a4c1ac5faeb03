// Column-aligned tables as Kafka's tools print them: a header row, then each row, every column
// padded to its widest cell and separated by one space; the last column is not padded.

export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map(String))]
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)))
  return cells
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join(' ')
        .trimEnd(),
    )
    .join('\n')
}
