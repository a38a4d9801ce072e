import { describe, expect, it } from 'vitest';
import { confirmableCode, exportFormatOf, exportPath, progressFraction, suggestedName } from '../../src-renderer/lib/data/exchange';
import { MedSegError } from '../../src-shared';

describe('export path and format', () => {
  it('reads the format from the extension, case-insensitively', () => {
    expect(exportFormatOf('/tmp/a.DCM')).toBe('dicom-seg');
    expect(exportFormatOf('/tmp/a.nii.gz')).toBe('nifti');
    expect(exportFormatOf('/tmp/a.nii')).toBe('nifti');
    expect(exportFormatOf('/tmp/a.nrrd')).toBe('nrrd');
    expect(exportFormatOf('/tmp/a.gz')).toBeNull();
    expect(exportFormatOf('/tmp/liver')).toBeNull();
  });
  it('keeps a typed extension of ours and adds the chosen one otherwise', () => {
    expect(exportPath(' /tmp/liver.nrrd ', 'nifti')).toBe('/tmp/liver.nrrd');
    expect(exportPath('/tmp/liver', 'nifti')).toBe('/tmp/liver.nii.gz');
    expect(exportPath('/tmp/liver', 'dicom-seg')).toBe('/tmp/liver.dcm');
    expect(exportPath('/tmp/liver.txt', 'nrrd')).toBe('/tmp/liver.txt.nrrd');
  });
  it('suggests a file-system-safe name from the series description', () => {
    expect(suggestedName('CT Body 5.0/B31f', 'nifti')).toBe('CT_Body_50B31f_seg.nii.gz');
    expect(suggestedName(undefined, 'dicom-seg')).toBe('segmentation_seg.dcm');
  });
});

describe('confirmable failures', () => {
  it('FILE_EXISTS and GRID_MISMATCH can be confirmed; other codes and untyped errors cannot', () => {
    expect(confirmableCode(new MedSegError('FILE_EXISTS', 'exists'))).toBe('FILE_EXISTS');
    expect(confirmableCode({ code: 'GRID_MISMATCH', message: 'other series' })).toBe('GRID_MISMATCH');
    expect(confirmableCode(new MedSegError('HEAD_MISMATCH', 'other features'))).toBeNull();
    expect(confirmableCode(new Error('boom'))).toBeNull();
    expect(confirmableCode(null)).toBeNull();
  });
});

describe('progress', () => {
  it('is a clamped fraction, 0 while the total is unknown', () => {
    expect(progressFraction({ done: 3, total: 12 })).toBe(0.25);
    expect(progressFraction({ done: 5, total: 0 })).toBe(0);
    expect(progressFraction({ done: 20, total: 10 })).toBe(1);
    expect(progressFraction(null)).toBe(0);
  });
});
