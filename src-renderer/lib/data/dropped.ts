/**
 * Files dropped on the page in a browser (web mode), as plain files with relative names. Dropped folders arrive as
 * entries and are walked; a DataTransfer without entries (made by a script) gives its files as they are.
 */
export interface DroppedFile {
  name: string;
  file: File;
}

async function walk(entry: FileSystemEntry, prefix: string, out: DroppedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej));
    out.push({ name: prefix + entry.name, file });
  } else if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
      if (batch.length === 0) break;
      for (const e of batch) await walk(e, `${prefix}${entry.name}/`, out);
    }
  }
}

export async function droppedFiles(dt: DataTransfer): Promise<DroppedFile[]> {
  const out: DroppedFile[] = [];
  // Entries must be taken synchronously, before the first await: the DataTransfer empties after the event.
  const entries = Array.from(dt.items).map((i) => i.webkitGetAsEntry()).filter((x): x is FileSystemEntry => x !== null);
  const files = Array.from(dt.files);
  if (entries.length) for (const en of entries) await walk(en, '', out);
  else for (const f of files) out.push({ name: f.name, file: f });
  return out;
}

/**
 * What a drop gives the workstation: in a browser the files themselves (to be uploaded), in Electron their real
 * paths (the preload resolves them). Both the panels and the window-wide drop go through this one shape.
 */
export type Drop = { files: DroppedFile[] } | { paths: string[] };

/** The Electron side of a drop: real paths of dropped files (absent in web mode). */
export interface DropPaths {
  pathsForDroppedFiles(files: ArrayLike<{ readonly name: string }>): Promise<string[]>;
}

/** A drag that carries files from outside the page (not a text selection or an element dragged within it). */
export function carriesFiles(dt: DataTransfer | null | undefined): dt is DataTransfer {
  return !!dt && Array.from(dt.types).includes('Files');
}

/**
 * Read a drop. Must be called inside the drop event: everything is taken from the DataTransfer before the first
 * await (it is emptied once the event returns), so the result may be awaited later, e.g. after asking the user.
 */
export function readDrop(dt: DataTransfer, desktop: DropPaths | null | undefined): Promise<Drop> {
  if (desktop) {
    const files = Array.from(dt.files);
    return desktop.pathsForDroppedFiles(files).then((paths) => ({ paths }));
  }
  return droppedFiles(dt).then((files) => ({ files }));
}

/** Number of items a drop holds (files, or paths that may be folders). */
export function dropSize(d: { files: ArrayLike<unknown> } | { paths: ArrayLike<unknown> }): number {
  return 'paths' in d ? d.paths.length : d.files.length;
}
