/**
 * How a user names the sequences of a study on the command line (or in a dialog): "flair=<file>" names it,
 * a bare "<file>" is named later from its description/file name (guessSequenceName). Names are matched
 * case-insensitively and written in their usual spelling (flair → FLAIR, t1ce → T1c).
 */
import { MedSegError } from '../../../src-shared';
import { SEQUENCE_NAMES, type SequenceName } from './study';

export interface SequenceSpec {
  /** Given by the user, or undefined to guess from the file. */
  name?: SequenceName;
  path: string;
}

const ALIASES: Record<string, SequenceName> = { t1ce: 'T1c', t1gd: 'T1c', t1post: 'T1c', fla: 'FLAIR', t2flair: 'FLAIR' };

/** The usual spelling of a sequence name (T1, T1c, T2, FLAIR, CT, other); unknown names are kept as written. */
export function canonicalSequenceName(name: string): SequenceName {
  const low = name.trim().toLowerCase();
  const known = SEQUENCE_NAMES.find((s) => s.toLowerCase() === low);
  return known ?? ALIASES[low] ?? name.trim();
}

const NAME_RE = /^([A-Za-z][A-Za-z0-9_+-]{0,31})=(.+)$/;

export function parseSequenceSpec(arg: string): SequenceSpec {
  const a = arg.trim();
  if (!a) throw new MedSegError('INVALID_ARGUMENT', 'An --image value is empty; give a file, or name=file (e.g. flair=FLAIR.nii.gz).');
  const m = NAME_RE.exec(a);
  if (m) return { name: canonicalSequenceName(m[1]), path: m[2] };
  if (/^=/.test(a) || /^[^/\\]*=$/.test(a)) {
    throw new MedSegError('INVALID_ARGUMENT', `"${arg}" is not name=file: write for example flair=FLAIR.nii.gz.`);
  }
  return { path: a };
}

/** Final names for the sequences (given or guessed); two sequences with one name are refused. */
export function resolveSequenceNames(specs: SequenceSpec[], guessed: SequenceName[]): SequenceName[] {
  const names = specs.map((s, i) => s.name ?? guessed[i]);
  const seen = new Map<string, number>();
  names.forEach((n, i) => {
    const prev = seen.get(n.toLowerCase());
    if (prev !== undefined) {
      throw new MedSegError('INVALID_ARGUMENT', `Two images are both called ${n} (${specs[prev].path} and ${specs[i].path}). Name them, e.g. --image t1=… --image t1c=….`);
    }
    seen.set(n.toLowerCase(), i);
  });
  return names;
}

/** --drop names, checked against the study's sequences; at least one sequence must stay. */
export function resolveDrop(drop: string[], names: SequenceName[]): SequenceName[] {
  const out: SequenceName[] = [];
  for (const d of drop) {
    const c = canonicalSequenceName(d).toLowerCase();
    const hit = names.find((n) => n.toLowerCase() === c);
    if (!hit) throw new MedSegError('INVALID_ARGUMENT', `--drop ${d}: there is no such sequence; the sequences are ${names.join(', ')}.`);
    if (!out.includes(hit)) out.push(hit);
  }
  if (out.length >= names.length && names.length > 0) throw new MedSegError('INVALID_ARGUMENT', 'Every sequence would be left out; keep at least one.');
  return out;
}
