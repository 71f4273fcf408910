// Every fuzz target, by layer: what test/fuzz/decoders.test.ts and scripts/fuzz.ts run. Pure.

import type { FuzzTarget } from "../helpers/fuzz.ts";
import { bencodeTargets } from "./bencode.fuzz.ts";
import { dhtTargets } from "./dht.fuzz.ts";
import { metainfoTargets } from "./metainfo.fuzz.ts";
import { resumeTargets } from "./resume.fuzz.ts";
import { trackerTargets } from "./tracker.fuzz.ts";
import { utpTargets } from "./utp.fuzz.ts";
import { wireTargets } from "./wire.fuzz.ts";

export const FUZZ_LAYERS: Record<string, readonly FuzzTarget[]> = {
  bencode: bencodeTargets,
  metainfo: metainfoTargets,
  wire: wireTargets,
  tracker: trackerTargets,
  dht: dhtTargets,
  resume: resumeTargets,
  utp: utpTargets,
};
