import { parentPort, resourceLimits, threadId } from "node:worker_threads";

// A stand-in for src/scan/unit-thread.ts: answers each unit as if it had analyzed it, after the
// delay its first file's name asks for ("ms-40"), holding what that name says ("held-300", MB).
// A unit named "oom" needs more heap than any limit a thread is started with: on a thread with a
// limit it allocates until V8 stops the thread, as a unit too large for its thread does.
parentPort.on("message", (message) => {
  if (message.type !== "unit") return;
  const name = message.unit.files[0];
  // Without a limit of its own, a thread reports V8's default for the machine: gigabytes.
  const limited = resourceLimits.maxOldGenerationSizeMb < 1024;
  if (name.includes("oom") && limited) {
    const keep = [];
    for (;;) keep.push(new Array(1e6).fill(1.5));
  }
  const number = (key, otherwise) => Number(new RegExp(`${key}-(\\d+)`).exec(name)?.[1] ?? otherwise);
  setTimeout(() => {
    parentPort.postMessage({ id: message.id, result: { findings: [], thread: threadId, path: name, limited }, digests: {}, heldBytes: number("held", 100) * 1024 * 1024 });
  }, number("ms", 20));
});
