// A byte range of an open segment file: what a fetch sends without copying. The server writes a
// slice with sendfile when it is large, or reads and writes it when small; both give the same bytes.

export interface FileSlice {
  /** An open descriptor of the segment's .log file, owned by the segment (never closed by readers). */
  fd: number
  /** Byte position in the file where the slice starts. */
  position: number
  sizeBytes: number
}

export function isFileSlice(value: unknown): value is FileSlice {
  return typeof value === 'object' && value !== null && 'fd' in value && 'sizeBytes' in value
}
