/**
 * Adding several series to a study one after another (a scanned folder opened as one study, files dropped on the
 * Sequences panel). A series of another patient or exam stops the run and waits for the user's answer; the series
 * after it wait with it, so that "Combine anyway" or "Skip" goes on with them instead of dropping them. A series
 * that fails for another reason (no overlap, a time series) stops the run, its error shown.
 */
export type SequenceSource = { path: string } | { seriesId: string };

export interface QueuedSequence {
  source: SequenceSource;
  name?: string;
}

export type AddOutcome = 'added' | 'mismatch' | 'failed';

/** The series waiting for the user's answer, and those queued behind it. */
export interface PendingRun {
  item: QueuedSequence;
  rest: QueuedSequence[];
}

/**
 * Adds `items` in order with `add` (confirm = false); returns the run to resume after a mismatch, or null when
 * every item was added or one failed.
 */
export async function addInOrder(items: QueuedSequence[], add: (item: QueuedSequence, confirm: boolean) => Promise<AddOutcome>): Promise<PendingRun | null> {
  for (let i = 0; i < items.length; i++) {
    const r = await add(items[i], false);
    if (r === 'mismatch') return { item: items[i], rest: items.slice(i + 1) };
    if (r === 'failed') return null;
  }
  return null;
}

/** The user's answer to a pending run: 'combine' adds the waiting series anyway, 'skip' leaves it out; then the rest. */
export async function resumeRun(run: PendingRun, answer: 'combine' | 'skip', add: (item: QueuedSequence, confirm: boolean) => Promise<AddOutcome>): Promise<PendingRun | null> {
  if (answer === 'combine') {
    const r = await add(run.item, true);
    if (r !== 'added') return null;
  }
  return addInOrder(run.rest, add);
}
