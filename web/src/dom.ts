/** Attributes of an element made by `h`: plain attributes, `class`, and `on*` listeners. */
type Props = Record<string, string | number | boolean | null | undefined | EventListener>;

/** What `h` appends: nodes, and text as text nodes (never parsed as HTML), skipping null and false. */
export type Child = Node | string | null | false;

/**
 * Makes an element. Text is appended as text nodes, so what users typed is shown as typed
 * and never parsed as HTML. `onclick`-style props become listeners; `true` sets an empty
 * attribute and `false`, null or undefined leave it out.
 */
export function h<Tag extends keyof HTMLElementTagNameMap>(tag: Tag, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[Tag] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  for (const child of children) if (child !== null && child !== false) element.append(child);
  return element;
}

/** A labelled text input: the label wraps the input, so a click or a screen reader finds it. */
export function field(label: string, props: Props): { label: HTMLLabelElement; input: HTMLInputElement } {
  const input = h('input', { type: 'text', required: true, ...props });
  return { label: h('label', { class: 'field' }, h('span', {}, label), input), input };
}

/** Replaces an element's children, keeping focus on the element with the same `data-focus` key if it had it. */
export function replaceChildren(parent: HTMLElement, ...children: Child[]): void {
  const focused = document.activeElement instanceof HTMLElement && parent.contains(document.activeElement) ? document.activeElement.dataset.focus : undefined;
  parent.replaceChildren(...children.filter((child): child is Node | string => child !== null && child !== false));
  if (focused !== undefined) parent.querySelector<HTMLElement>(`[data-focus="${CSS.escape(focused)}"]`)?.focus();
}
