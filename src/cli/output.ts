// Writing to stdout/stderr without dying when the reader goes away: `ripple ... --json | head -1` closes
// the pipe, and a long-running download or seed must carry on (or stop on its own terms), not crash on
// EPIPE in the middle of a peer event. Shell.

const closed = { stdout: false, stderr: false };

function write(stream: "stdout" | "stderr", text: string): void {
  if (closed[stream]) return;
  try {
    process[stream].write(text);
  } catch (err) {
    // The reader closed the pipe: stop writing to it; everything else is a real error.
    if ((err as { code?: string }).code !== "EPIPE") throw err;
    closed[stream] = true;
  }
}

export function writeOut(text: string): void {
  write("stdout", text);
}

export function writeErr(text: string): void {
  write("stderr", text);
}
