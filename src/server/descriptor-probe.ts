// Whether the process could open one more file descriptor now, which is what accept(2) needs.
// Two system calls on a descriptor-free path; run from a timer, never per request.

import { closeSync, openSync } from 'node:fs'

/** EMFILE or ENFILE when no descriptor can be had (accepts fail), null otherwise. */
export function descriptorsExhausted(): string | null {
  try {
    closeSync(openSync('/dev/null', 'r'))
    return null
  } catch (error) {
    const code = (error as { code?: string }).code
    // Anything else (no /dev/null in a bare container) says nothing about descriptors.
    return code === 'EMFILE' || code === 'ENFILE' ? code : null
  }
}
