/** SystemService: what runs (mode, backbone, provider, versions), for the status bar and bug reports. */
import type { SystemService, SystemStatus } from '../../src-shared';
import type { Engine } from '../engine/engine';

export interface SystemInfo {
  mode: SystemStatus['mode'];
  versions: SystemStatus['versions'];
  /** Execution provider of the current backbone, when known (filter bank: 'js'). */
  provider?: () => string;
  limits?: SystemStatus['limits'];
}

export class SystemServiceImpl implements SystemService {
  constructor(private readonly engine: Engine, private readonly info: SystemInfo) {}

  async status(): Promise<SystemStatus> {
    const backbone = this.engine.getSettings().backbone;
    return {
      mode: this.info.mode,
      backbone,
      provider: this.info.provider?.() ?? (backbone === 'filters' ? 'js' : 'cpu'),
      versions: { ...this.info.versions },
      openVolumes: this.engine.openCount,
      ...(this.info.limits ? { limits: { ...this.info.limits } } : {}),
    };
  }
}
