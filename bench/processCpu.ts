import { readFileSync } from "node:fs";

/**
 * CPU seconds (user + system) a process has used so far, from /proc on Linux (USER_HZ is 100);
 * NaN when it cannot be read (another system, or the process is gone).
 */
export function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Azurite's pid: the child of this process running azurite.js (startAzurite does not expose it). */
export function azuritePid(): number | undefined {
  try {
    const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    return children.find((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("azurite"));
  } catch {
    return undefined;
  }
}
