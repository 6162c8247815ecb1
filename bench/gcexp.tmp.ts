import { QueueServiceClient } from "@azure/storage-queue";
import { startAzurite } from "devhost";
async function run(mode: "deleted" | "live", n: number) {
  const az = await startAzurite();
  const svc = QueueServiceClient.fromConnectionString(az.connectionString);
  const q = svc.getQueueClient("gcq"); await q.create();
  const t0 = performance.now();
  for (let i = 0; i < n; i += 50) {
    await Promise.all(Array.from({ length: 50 }, async () => {
      const sent = await q.sendMessage("x".repeat(300), mode === "live" ? { visibilityTimeout: 86400 } : {});
      if (mode === "deleted") await q.deleteMessage(sent.messageId, sent.popReceipt);
    }));
  }
  console.log(mode, n, "sent in", Math.round(performance.now() - t0));
  let max = 0; let at = 0;
  const end = performance.now() + 65_000;
  while (performance.now() < end) {
    const s = performance.now(); await svc.getProperties(); const d = performance.now() - s;
    if (d > max) { max = d; at = Math.round((performance.now() - t0) / 1000); }
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(mode, n, "max probe", Math.round(max), "ms at", at, "s");
  await az.stop();
}
const [mode, n] = process.argv.slice(2);
run(mode as "deleted" | "live", Number(n)).catch((e) => { console.error(e); process.exitCode = 1; });
