import type { Workstation } from '../../src-renderer/lib/state/workstation.svelte';
declare global {
  interface Window {
    __medseg: Workstation;
  }
}
export {};
