/**
 * A worker thread of indexer.ts: indexes the batches of files it is sent and posts back their
 * facts. It keeps no index of its own between batches (the calling thread has the index).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { IndexedBatch, indexOneFile } from './indexer';
import { phaseClock, phasesSince } from './phases';
import type { FactNeeds } from './factsPolicy';
import { Workspace, WorkspaceLimits } from './workspace';

// The facts' strings are detached by the copy to the main thread, which interns them.
// The rules' needs come from the calling thread's workspace: the front end keeps what they name.
const { limits, needs } = workerData as { limits: WorkspaceLimits; needs: FactNeeds[] };
const ready = Workspace.create({ needs, keepTrees: false, detachStrings: false }, limits);

parentPort?.on('message', (batch: { files: string[]; keepText: boolean; force: boolean; hashText: boolean }) => {
  void ready.then((ws) => {
    const before = { ...phaseClock };
    const indexed = batch.files.map((file) => {
      const r = indexOneFile(ws, file, batch.keepText, batch.force, batch.hashText);
      ws.remove(file);
      return r;
    });
    parentPort?.postMessage({ indexed, phases: phasesSince(phaseClock, before) } satisfies IndexedBatch);
  });
});
