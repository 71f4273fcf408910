// SIGINT/SIGTERM handling: the first signal asks for a graceful stop, a second one exits at once.

export type StopSignal = "SIGINT" | "SIGTERM";

/** Calls `onStop` on the first SIGINT/SIGTERM; returns a function that removes the handlers. */
export function onStopSignal(onStop: (signal: StopSignal) => void): () => void {
  let stopping = false;
  const handler = (signal: StopSignal) => {
    if (stopping) process.exit(signal === "SIGINT" ? 130 : 143);
    stopping = true;
    onStop(signal);
  };
  const onInt = () => handler("SIGINT");
  const onTerm = () => handler("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  return () => {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  };
}
