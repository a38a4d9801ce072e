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
