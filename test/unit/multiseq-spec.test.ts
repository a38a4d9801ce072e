import { describe, expect, it } from 'vitest';
import { canonicalSequenceName, parseSequenceSpec, resolveDrop, resolveSequenceNames } from '../../src-main/engine/multiseq/spec';

describe('--image name=path / --drop parsing', () => {
  it.each([
    ['flair=/data/x_fla.nii.gz', 'FLAIR', '/data/x_fla.nii.gz'],
    ['t1c=a.nii', 'T1c', 'a.nii'],
    ['T1ce=a.nii', 'T1c', 'a.nii'],
    ['dwi_b1000=dir/dwi', 'dwi_b1000', 'dir/dwi'],
    ['t2=c:\\scans\\t2.nii', 'T2', 'c:\\scans\\t2.nii'],
  ])('%s → name %s, path %s', (arg, name, path) => {
    expect(parseSequenceSpec(arg)).toEqual({ name, path });
  });
  it('a bare path (even one containing "=" after a folder) has no name', () => {
    expect(parseSequenceSpec('scan.nii.gz')).toEqual({ path: 'scan.nii.gz' });
    expect(parseSequenceSpec('/tmp/a=b/scan.nii')).toEqual({ path: '/tmp/a=b/scan.nii' });
  });
  it('refuses empty values and a name without a file', () => {
    expect(() => parseSequenceSpec('')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => parseSequenceSpec('flair=')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => parseSequenceSpec('=x.nii')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
  it('canonical names', () => {
    expect(['flair', 'T1C', 'ct', 'fla', 'Other'].map(canonicalSequenceName)).toEqual(['FLAIR', 'T1c', 'CT', 'FLAIR', 'other']);
  });
  it('given names win over guessed ones; duplicates are refused', () => {
    expect(resolveSequenceNames([{ name: 'T2', path: 'a' }, { path: 'b' }], ['T1', 'FLAIR'])).toEqual(['T2', 'FLAIR']);
    expect(() => resolveSequenceNames([{ path: 'a' }, { path: 'b' }], ['T1', 'T1'])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/both called T1/) }));
  });
  it('--drop must name a sequence of the study and leave one', () => {
    const names = ['T1', 'T1c', 'T2', 'FLAIR'];
    expect(resolveDrop(['flair', 't1c', 'FLAIR'], names)).toEqual(['FLAIR', 'T1c']);
    expect(() => resolveDrop(['dwi'], names)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => resolveDrop(['T1'], ['T1'])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
