// Writing to stdout/stderr for the CLI: a live status line on a terminal that other stderr output
// clears first (so log lines never land in the middle of it), and no crash when the reader goes away
// (`ripple ... --json | head -1` closes the pipe; a long download or seed carries on). Shell.

const closed = { stdout: false, stderr: false };
/** Characters of the live line now on the terminal (0 = none). */
let liveLength = 0;

function isEpipe(err: unknown): boolean {
  return (err as { code?: string }).code === "EPIPE";
}

// The synchronous write may succeed and the stream report EPIPE later, as an 'error' event.
for (const stream of ["stdout", "stderr"] as const) {
  process[stream].on("error", (err) => {
    if (!isEpipe(err)) throw err;
    closed[stream] = true;
  });
}

function write(stream: "stdout" | "stderr", text: string): void {
  if (closed[stream]) return;
  try {
    process[stream].write(text);
  } catch (err) {
    // The reader closed the pipe: stop writing to it; everything else is a real error.
    if (!isEpipe(err)) throw err;
    closed[stream] = true;
  }
}

export function writeOut(text: string): void {
  write("stdout", text);
}

/** Writes to stderr, first clearing the live line if one is shown (the next update redraws it). */
export function writeErr(text: string): void {
  clearLive();
  write("stderr", text);
}

/** Replaces the live status line on stderr (terminals only: it relies on carriage returns). */
export function writeLive(line: string): void {
  write("stderr", "\r" + line + " ".repeat(Math.max(0, liveLength - line.length)));
  liveLength = line.length;
}

export function clearLive(): void {
  if (liveLength === 0) return;
  write("stderr", "\r" + " ".repeat(liveLength) + "\r");
  liveLength = 0;
}

/** A stream-like sink for consola, so log lines also clear the live line first. */
export const stderrSink = { write: (text: string) => writeErr(text) };
