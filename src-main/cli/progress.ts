/** cli-progress on stderr, only when stderr is a terminal (logs and pipes stay clean). */
import cliProgress from 'cli-progress';
import type { Progress } from './command';

export function makeProgress(total: number, label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { stream, format: `${label} [{bar}] {percentage}% {item}`, hideCursor: true, clearOnComplete: true, etaBuffer: 20 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total * 100, 0, { item: '' });
  return {
    update: (fraction, item) => bar.update(Math.round(Math.max(0, Math.min(total, fraction)) * 100), { item: item ?? '' }),
    stop: () => bar.stop(),
  };
}
