// Closing rules for popovers and panels: Escape, or a press outside them; plain DOM, no framework.

export type DismissReason = 'escape' | 'outside';

export interface DismissOptions {
  /** The popover and whatever opens it: presses on these do not count as outside. */
  inside: readonly (HTMLElement | null | undefined)[];
  onDismiss: (reason: DismissReason) => void;
}

/** Whether a modal `<dialog>` is open (older browsers lack `:modal`; any open dialog counts there). */
function modalOpen(): boolean {
  try {
    return document.querySelector('dialog[open]:modal') !== null;
  } catch {
    return document.querySelector('dialog[open]') !== null;
  }
}

/**
 * Listens on the document until the returned function is called. Escape is ignored while a modal
 * `<dialog>` is open (it closes itself), so a dialog opened from a popover does not close both.
 */
export function watchDismiss(opts: DismissOptions): () => void {
  const onKey = (event: KeyboardEvent): void => {
    if (event.key !== 'Escape' || event.defaultPrevented) return;
    if (modalOpen()) return;
    event.preventDefault();
    opts.onDismiss('escape');
  };
  const onPointer = (event: PointerEvent): void => {
    const target = event.target;
    if (!(target instanceof Node)) return;
    if (opts.inside.some((el) => el?.contains(target))) return;
    // Presses inside a modal dialog (stacked above us) are not "outside".
    if (target instanceof Element && target.closest('dialog[open]')) return;
    opts.onDismiss('outside');
  };
  document.addEventListener('keydown', onKey);
  document.addEventListener('pointerdown', onPointer, true);
  return () => {
    document.removeEventListener('keydown', onKey);
    document.removeEventListener('pointerdown', onPointer, true);
  };
}
