import { describe, expect, it } from 'vitest';
import { addInOrder, resumeRun, type AddOutcome, type QueuedSequence } from '../../src-renderer/lib/data/sequence-queue';

/** A fake study: series "other*" belong to another patient (mismatch unless confirmed), "bad*" fail outright. */
function fakeStudy() {
  const added: string[] = [];
  const asked: string[] = [];
  const add = async (it: QueuedSequence, confirm: boolean): Promise<AddOutcome> => {
    const id = 'seriesId' in it.source ? it.source.seriesId : it.source.path;
    if (id.startsWith('bad')) return 'failed';
    if (id.startsWith('other') && !confirm) { asked.push(id); return 'mismatch'; }
    added.push(id);
    return 'added';
  };
  return { added, asked, add };
}
const q = (...ids: string[]): QueuedSequence[] => ids.map((seriesId) => ({ source: { seriesId } }));

describe('adding several series in order (a folder opened as one study, a drop)', () => {
  it('all of the same patient: every one added, nothing waits', async () => {
    const s = fakeStudy();
    expect(await addInOrder(q('t1c', 't2', 'flair'), s.add)).toBeNull();
    expect(s.added).toEqual(['t1c', 't2', 'flair']);
  });

  it('one of another patient in the middle waits with the series behind it; "combine anyway" adds it and then them', async () => {
    const s = fakeStudy();
    const run = await addInOrder(q('t1c', 'other-t2', 'flair', 't1'), s.add);
    expect(s.added).toEqual(['t1c']);
    expect(run!.item.source).toEqual({ seriesId: 'other-t2' });
    expect(run!.rest.map((r) => r.source)).toEqual([{ seriesId: 'flair' }, { seriesId: 't1' }]);
    expect(await resumeRun(run!, 'combine', s.add)).toBeNull();
    expect(s.added).toEqual(['t1c', 'other-t2', 'flair', 't1']);
  });

  it('"skip" leaves that one out and still adds the rest; a second mismatch behind it asks again', async () => {
    const s = fakeStudy();
    const run = await addInOrder(q('other-a', 't2', 'other-b', 'flair'), s.add);
    const next = await resumeRun(run!, 'skip', s.add);
    expect(s.added).toEqual(['t2']);
    expect(next!.item.source).toEqual({ seriesId: 'other-b' });
    expect(await resumeRun(next!, 'skip', s.add)).toBeNull();
    expect(s.added).toEqual(['t2', 'flair']);
    expect(s.asked).toEqual(['other-a', 'other-b']);
  });

  it('a series that fails (no overlap, a time series) stops the run, before and after a confirmation', async () => {
    const s = fakeStudy();
    expect(await addInOrder(q('t1c', 'bad-4d', 'flair'), s.add)).toBeNull();
    expect(s.added).toEqual(['t1c']);
    // Another patient, and once confirmed refused for its geometry: the series behind it are not added.
    const s2 = fakeStudy();
    const refusedOnceConfirmed = async (it: QueuedSequence, confirm: boolean): Promise<AddOutcome> => (confirm ? 'failed' : s2.add(it, confirm));
    const run = await addInOrder(q('other-ct', 'flair'), refusedOnceConfirmed);
    expect(run!.rest).toHaveLength(1);
    expect(await resumeRun(run!, 'combine', refusedOnceConfirmed)).toBeNull();
    expect(s2.added).toEqual([]);
  });
});
