// Opening a message's actions without a mouse: a tap on the message toggles them, a long press (or the browser's long-press menu) opens them; plain DOM, no framework.

/** How long a finger rests on the element before it counts as a long press. */
export const LONG_PRESS_MS = 450;
/** How far a finger may move and still be pressing (not scrolling). */
const SLOP_PX = 10;

export interface PressOptions {
  /** Whether presses count now (a confirmed message, not being edited). */
  enabled: () => boolean;
  /** A tap without a mouse: toggle. */
  ontap: () => void;
  /** A long press: open. */
  onlongpress: () => void;
}

/** Presses on controls, links or the actions themselves do their own thing. */
function onControl(target: EventTarget | null): boolean {
  return target instanceof Element && target.closest('a, button, textarea, input, .message-actions') !== null;
}

function noMouse(): boolean {
  return matchMedia('(hover: none)').matches;
}

/** Listens on `node` until the returned function is called. */
export function watchPress(node: HTMLElement, opts: PressOptions): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let at: { x: number; y: number } | null = null;
  /** A long press opened the actions: the click its release makes must not press what is now under the finger. */
  let swallow = false;

  const end = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    at = null;
  };
  const down = (e: PointerEvent): void => {
    if (e.pointerType !== 'touch' || !opts.enabled() || onControl(e.target)) return;
    at = { x: e.clientX, y: e.clientY };
    swallow = false;
    timer = setTimeout(() => {
      timer = null;
      swallow = true;
      // Only the release's own click is swallowed, not a later tap.
      setTimeout(() => (swallow = false), 1500);
      navigator.vibrate?.(10);
      opts.onlongpress();
    }, LONG_PRESS_MS);
  };
  const move = (e: PointerEvent): void => {
    if (at && Math.hypot(e.clientX - at.x, e.clientY - at.y) > SLOP_PX) end();
  };
  const clickCapture = (e: MouseEvent): void => {
    if (!swallow) return;
    swallow = false;
    e.preventDefault();
    e.stopPropagation();
  };
  const click = (e: MouseEvent): void => {
    if (!opts.enabled() || onControl(e.target) || !noMouse() || getSelection()?.toString()) return;
    opts.ontap();
  };
  // A long press on a phone opens the actions rather than the browser's menu (links keep theirs).
  const menu = (e: MouseEvent): void => {
    if (!opts.enabled() || onControl(e.target) || !noMouse()) return;
    e.preventDefault();
    opts.onlongpress();
  };
  node.addEventListener('pointerdown', down);
  node.addEventListener('pointerup', end);
  node.addEventListener('pointercancel', end);
  node.addEventListener('pointermove', move);
  node.addEventListener('click', clickCapture, true);
  node.addEventListener('click', click);
  node.addEventListener('contextmenu', menu);
  return () => {
    end();
    node.removeEventListener('pointerdown', down);
    node.removeEventListener('pointerup', end);
    node.removeEventListener('pointercancel', end);
    node.removeEventListener('pointermove', move);
    node.removeEventListener('click', clickCapture, true);
    node.removeEventListener('click', click);
    node.removeEventListener('contextmenu', menu);
  };
}
