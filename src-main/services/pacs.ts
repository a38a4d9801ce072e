/**
 * PacsService: a PACS speaking DICOMweb. Browse studies (QIDO-RS), open a series (WADO-RS, written to the user's
 * cache folder and opened like files), store the segmentation back as DICOM SEG (STOW-RS). The server address is
 * saved in the user's folder; the password or token in the SecretStore, and never sent back to the page.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  MedSegError,
  type OpenedVolume, type PacsServerInfo, type PacsServerSettings, type PacsSeries, type PacsService, type PacsStudy,
} from '../../src-shared';
import { DicomWebClient, type DicomWebAuth } from '../io/dicomweb';
import { buildSeg } from '../io/seg';
import { classesFor } from '../io';
import { writeFileAtomic } from '../engine/workspace';
import type { Engine } from '../engine/engine';
import type { EmitFn } from './host';
import type { SecretStore } from './secrets';

interface Saved {
  url: string;
  authType: 'none' | 'basic' | 'bearer';
  username?: string;
}

export interface PacsOptions {
  engine: Engine;
  emit: EmitFn;
  /** Opens a folder of retrieved instances exactly like a local open (the study service's openPath). */
  openFolder: (dir: string) => Promise<OpenedVolume>;
  dataDir?: string;
  secrets?: SecretStore;
}

const SECRET_KEY = 'pacs';

export class PacsServiceImpl implements PacsService {
  private saved: Saved | null | undefined;
  constructor(private readonly o: PacsOptions) {}

  private get settingsFile(): string | null {
    return this.o.dataDir ? join(this.o.dataDir, 'pacs.json') : null;
  }

  private async load(): Promise<Saved | null> {
    if (this.saved !== undefined) return this.saved;
    this.saved = null;
    if (this.settingsFile) {
      try {
        const v = JSON.parse(await readFile(this.settingsFile, 'utf8')) as Saved;
        if (typeof v.url === 'string') this.saved = v;
      } catch {
        // no server configured yet
      }
    }
    return this.saved;
  }

  private async info(s: Saved): Promise<PacsServerInfo> {
    const secret = await this.o.secrets?.get(SECRET_KEY);
    return { url: s.url, authType: s.authType, username: s.username, secretStored: !!secret, secretStorage: this.o.secrets?.kind ?? 'none' };
  }

  async getServer(): Promise<PacsServerInfo | null> {
    const s = await this.load();
    return s ? this.info(s) : null;
  }

  async setServer(settings: PacsServerSettings): Promise<PacsServerInfo> {
    const a = settings.auth;
    const s: Saved = { url: settings.url.replace(/\/+$/, ''), authType: a.type, username: a.type === 'basic' ? a.username : undefined };
    const secret = a.type === 'basic' ? a.password : a.type === 'bearer' ? a.token : undefined;
    if (secret !== undefined) {
      if (!this.o.secrets) throw new MedSegError('WRITE_FAILED', 'Passwords cannot be stored in this mode.');
      await this.o.secrets.set(SECRET_KEY, secret);
    } else if (a.type === 'none') await this.o.secrets?.set(SECRET_KEY, null);
    this.saved = s;
    if (this.settingsFile) {
      await mkdir(this.o.dataDir!, { recursive: true });
      await writeFileAtomic(this.settingsFile, JSON.stringify(s, null, 1));
    }
    return this.info(s);
  }

  private async client(): Promise<DicomWebClient> {
    const s = await this.load();
    if (!s) throw new MedSegError('SERVER_UNREACHABLE', 'No image server (PACS) is set up yet: enter its DICOMweb address in the settings.');
    const secret = (await this.o.secrets?.get(SECRET_KEY)) ?? '';
    const auth: DicomWebAuth = s.authType === 'basic' ? { type: 'basic', username: s.username ?? '', password: secret }
      : s.authType === 'bearer' ? { type: 'bearer', token: secret } : { type: 'none' };
    return new DicomWebClient({ baseUrl: s.url, auth });
  }

  async searchStudies(query: { patientName?: string; patientId?: string; studyDate?: string }): Promise<PacsStudy[]> {
    const q: Record<string, string> = {};
    if (query.patientName) q.PatientName = query.patientName;
    if (query.patientId) q.PatientID = query.patientId;
    if (query.studyDate) q.StudyDate = query.studyDate;
    return (await this.client()).searchStudies(q);
  }

  async searchSeries(studyInstanceUid: string): Promise<PacsSeries[]> {
    return (await this.client()).searchSeries(studyInstanceUid);
  }

  async openSeries(studyInstanceUid: string, seriesInstanceUid: string): Promise<OpenedVolume> {
    const c = await this.client();
    const root = this.o.dataDir ? join(this.o.dataDir, 'pacs-cache') : join(process.env.TMPDIR ?? '/tmp', 'medseg-pacs-cache');
    const dir = join(root, seriesInstanceUid.replace(/[^0-9.]/g, '_'));
    await rm(dir, { recursive: true, force: true });
    await c.retrieveSeries(studyInstanceUid, seriesInstanceUid, dir, {
      onProgress: (done, total) => this.o.emit('pacs', 'progress', { done, total, stage: 'retrieve' }),
    });
    return this.o.openFolder(dir);
  }

  async storeSegmentation(volumeId: string): Promise<{ seriesInstanceUid: string; warnings: string[] }> {
    const s = this.o.engine.session(volumeId);
    const pred = s.getPrediction();
    if (!pred) throw new MedSegError('LABELS_EMPTY', 'There is no segmentation to store yet: paint at least two classes and wait for the result.');
    const seg = buildSeg({ volume: s.volume, labels: pred.data, classes: classesFor(pred.data, s.getClasses()) });
    this.o.emit('pacs', 'progress', { done: 0, total: 1, stage: 'store' });
    await (await this.client()).store([seg.bytes], seg.studyInstanceUid);
    this.o.emit('pacs', 'progress', { done: 1, total: 1, stage: 'store' });
    return { seriesInstanceUid: seg.seriesInstanceUid, warnings: seg.warnings };
  }
}
