/**
 * Every IPC message is checked against the windows we created and the page we loaded into them: a message
 * from another webContents (a devtools extension, a future auxiliary window) or from a frame that navigated
 * away from our page is refused.
 */

/** What the check reads from an IpcMainInvokeEvent (a real event satisfies it; tests pass a fake). */
export interface SenderInfo {
  sender: { id: number };
  senderFrame: { url: string; parent: unknown } | null;
}

/** "<scheme>://<host>" of a URL; WHATWG URL gives "null" as origin for custom schemes like app://, so build it. */
export function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

export interface SenderPolicy {
  /** webContents ids of our windows, looked up at call time (windows come and go). */
  windowContentsIds(): Iterable<number>;
  /** Origin of our page: app://medseg, or the dev server's origin in development. */
  origin: string;
}

export function isTrustedSender(event: SenderInfo, policy: SenderPolicy): boolean {
  const frame = event.senderFrame;
  // null: the frame was destroyed or navigated while the message was in flight.
  if (!frame) return false;
  // Only the top frame holds our page; the page never embeds frames.
  if (frame.parent !== null && frame.parent !== undefined) return false;
  let ours = false;
  for (const id of policy.windowContentsIds()) if (id === event.sender.id) ours = true;
  if (!ours) return false;
  return originOf(frame.url) === policy.origin;
}
