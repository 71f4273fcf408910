// What a torrent knows about its data on disk: at start, trust the resume file where the files are
// unchanged and hash the rest; while running, keep the resume file current (on a cadence, at completion
// and on stop). A resume file only ever claims pieces that were verified and synced to disk first.
// Shell: the resume file and the piece hashing (recheck.ts) over a Storage.

import { errorMessage, systemClock, type Clock, type Logger } from "../util/index.ts";
import type { Metainfo } from "../metainfo/index.ts";
import { planCheck } from "./check-plan.ts";
import type { Storage } from "./disk.ts";
import { recheckPieces } from "./recheck.ts";
import { loadResume, saveResume } from "./resume-file.ts";

/** The verified pieces as the resume file stores them (the swarm's Bitfield; storage must not import wire). */
export interface VerifiedPieces {
  readonly count: number;
  toBytes(): Uint8Array;
}

export interface DataCheckOptions {
  readonly meta: Metainfo;
  readonly storage: Storage;
  /** Where the resume file lives (the layout's `resume`); undefined = no resume file (always hash what is on disk). */
  readonly resumePath: string | undefined;
  readonly log: Logger;
  /** A resume file could not be written (the download goes on; a restart will recheck). */
  readonly onWarning: (message: string) => void;
  /** Dates the resume file (`saved`, for people reading it); default the system clock. */
  readonly clock?: Clock;
}

export interface CheckResult {
  readonly verified: number[];
  readonly trusted: number;
  readonly hashed: number;
  /** Why pieces had to be hashed (no resume file, files changed...). */
  readonly reason?: string;
}

export class DataCheck {
  readonly #o: DataCheckOptions;
  #saving: Promise<void> | undefined;
  #savedHaveCount = -1;

  constructor(options: DataCheckOptions) {
    this.#o = options;
  }

  /** Pieces verified on disk: from the resume file where it still holds, by hashing elsewhere. */
  async check(onProgress: (checked: number, total: number) => void, signal?: AbortSignal): Promise<CheckResult> {
    const { meta, storage, resumePath } = this.#o;
    storage.prepare();
    const loaded = resumePath === undefined ? { problem: "resume files off" } : loadResume(resumePath, meta);
    const plan = planCheck(meta, storage.fileStamps(), loaded.state, loaded.problem);
    if (plan.reason !== undefined && plan.toCheck.length > 0) this.#o.log.info(`checking ${plan.toCheck.length} pieces on disk: ${plan.reason}`);
    const good = await recheckPieces(storage, meta, plan.toCheck, { onProgress, signal });
    if (loaded.state !== undefined) this.#savedHaveCount = plan.trusted.length; // nothing new to save yet
    return {
      verified: [...plan.trusted, ...good],
      trusted: plan.trusted.length,
      hashed: plan.toCheck.length,
      ...(plan.reason !== undefined && { reason: plan.reason }),
    };
  }

  /**
   * Writes the resume file for `have` (when it changed since the last save, unless `force`): the
   * verified set is taken first, then every write is synced, then the files are stamped, so the file
   * never claims a piece that is not on disk. Failures are reported, not thrown: a missing resume file
   * only costs a recheck.
   */
  save(have: VerifiedPieces, force = false): Promise<void> {
    const path = this.#o.resumePath;
    if (path === undefined || (!force && have.count === this.#savedHaveCount)) return this.#saving ?? Promise.resolve();
    const run = async () => {
      const snapshot = have.toBytes();
      const count = have.count;
      await this.#o.storage.flush();
      await saveResume(path, {
        infoHash: this.#o.meta.infoHash,
        pieceCount: this.#o.meta.pieceCount,
        have: snapshot,
        files: this.#o.storage.fileStamps(),
        savedAtMs: (this.#o.clock ?? systemClock).epochMs(),
      });
      this.#savedHaveCount = count;
    };
    const previous = this.#saving ?? Promise.resolve();
    const next = previous.then(run).catch((err: unknown) => this.#o.onWarning(errorMessage(err)));
    this.#saving = next;
    return next;
  }
}
