// `bun run netlab`: the network lab by hand. `up` builds hosts (network namespaces) with capped, delayed,
// lossy links and keeps them until Ctrl-C, printing how to run a command on each; `cleanup` removes what a
// killed run left behind. Root only; nothing leaves the machine (the lab lives in 198.18.0.0/15).

import { parseArgs } from "node:util";
import { labUnavailable, NetLab, removeStaleLabs } from "./netlab/lab.ts";
import { parseLoss, parseRate } from "./netlab/units.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    hosts: { type: "string", default: "2" },
    rate: { type: "string", default: "0" },
    delay: { type: "string", default: "0" },
    loss: { type: "string", default: "0" },
    help: { type: "boolean", short: "h", default: false },
  },
});
const command = positionals[0];
if (values.help || (command !== "up" && command !== "cleanup")) {
  console.log(`usage: bun run netlab up [--hosts 2] [--rate 50M|100mbit] [--delay MS] [--loss 0.1%]
       bun run netlab cleanup
  up       hosts h1..hN, each linked to a core router: --rate caps each way (0 = none), --delay is the
           round trip each link adds (two hosts see twice it), --loss per packet each way; Ctrl-C removes all
  cleanup  removes the namespaces of lab runs that were killed (kill -9) before they could clean up`);
  process.exit(values.help ? 0 : 2);
}
if (command === "cleanup") {
  console.log(`removed ${removeStaleLabs()} stale lab(s)`);
  process.exit(0);
}
const loss = parseLoss(values.loss!);
const delayMs = Number(values.delay);
const why = labUnavailable({ needEmulator: delayMs > 0 || loss > 0 });
if (why) {
  console.error(`netlab: ${why}`);
  process.exit(2);
}
const rateBytes = parseRate(values.rate!);
const specs = Array.from({ length: Number(values.hosts) }, (_, i) => ({ name: `h${i + 1}`, upRateBytes: rateBytes, downRateBytes: rateBytes, delayMs, loss }));
const lab = await NetLab.create(specs);
console.log("| host | address | run a command there |\n|---|---|---|");
for (const h of lab.hosts) console.log(`| ${h.name} | ${h.ip} | ip netns exec ${h.netns} CMD |`);
console.log("\nCtrl-C removes the lab.");
await new Promise(() => {});
