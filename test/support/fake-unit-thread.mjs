import { parentPort, threadId } from "node:worker_threads";

// A stand-in for src/scan/unit-thread.ts: answers each unit as if it had analyzed it, after the
// delay its first file's name asks for ("ms-40"), holding what that name says ("held-300", MB).
parentPort.on("message", (message) => {
  if (message.type !== "unit") return;
  const name = message.unit.files[0];
  const number = (key, otherwise) => Number(new RegExp(`${key}-(\\d+)`).exec(name)?.[1] ?? otherwise);
  setTimeout(() => {
    parentPort.postMessage({ id: message.id, result: { findings: [], thread: threadId, path: name }, digests: {}, heldBytes: number("held", 100) * 1024 * 1024 });
  }, number("ms", 20));
});
