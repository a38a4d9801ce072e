// Runs the BUILT main bundle (argv[2]) against the stub and prints what the shell did as JSON.
import { pathToFileURL } from 'node:url';
import { state } from 'electron';

const bundle = process.argv[2];
await import(pathToFileURL(bundle).href);
for (let i = 0; i < 500 && !(state.windows.length > 0 && state.menuTemplate); i++) await new Promise((r) => setTimeout(r, 10));
if (state.errorBox) throw new Error(`start-up failed: ${state.errorBox.join(': ')}`);

const win = state.windows[0];
const wc = win.webContents;
const frame = { url: 'app://medseg/index.html', parent: null };
const trusted = { sender: { id: wc.id }, senderFrame: frame };
const foreign = { sender: { id: 999 }, senderFrame: frame };
const call = (channel, ev, ...args) => state.ipc.get(channel)(ev, ...args);
const prevented = (event) => {
  let p = false;
  const e = { url: 'https://evil.example/', preventDefault() { p = true; } };
  for (const f of wc.listeners(event)) f(e, e.url);
  return p;
};
const findItem = (label) => state.menuTemplate.flatMap((m) => m.submenu ?? []).find((i) => i.label === label);

const page = await state.protocolHandlers.app(new Request('app://medseg/index.html'));
findItem('Undo').click();
findItem('Three planes (MPR)').click();

const out = {
  webPreferences: win.options.webPreferences,
  show: win.options.show,
  loadedURL: wc.loadedURL,
  lockRequested: state.lockRequested,
  privileged: state.privileged,
  protocolSchemes: Object.keys(state.protocolHandlers),
  pageStatus: page.status,
  pageCsp: page.headers.get('content-security-policy'),
  channels: [...state.ipc.keys()].sort(),
  windowOpen: wc.openHandler({ url: 'https://evil.example/' }),
  navigationPrevented: prevented('will-navigate'),
  webviewPrevented: prevented('will-attach-webview'),
  permissionGranted: await new Promise((r) => state.permission.request(wc, 'media', r, {})),
  permissionCheck: state.permission.check(wc, 'notifications', 'app://medseg', {}),
  status: await call('system.status', trusted),
  foreign: await call('system.status', foreign),
  invalid: await call('segmentation.setVisibleSlice', trusted, 'vol-1', -1),
  ungranted: await call('study.openPath', trusted, '/etc/passwd'),
  menu: state.menuTemplate.map((m) => m.label),
  sent: wc.sent,
};
process.stdout.write(JSON.stringify(out));
process.exit(0);
