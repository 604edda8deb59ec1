import { readFileSync } from 'node:fs';

/**
 * Peak RSS of this process in MiB. On Linux VmHWM from /proc, which exec resets; getrusage's maxrss
 * (process.resourceUsage().maxRSS) is inherited from the parent that spawned the process, so a child of
 * a large parent would report the parent's peak. Elsewhere, maxRSS.
 */
export function peakRssMiB(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}
