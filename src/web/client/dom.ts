// Small DOM helpers shared by the views.

export function byId<T extends HTMLElement = HTMLElement>(doc: Document, id: string): T {
  const el = doc.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

/** An element with attributes and children; text is always text, never markup. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | boolean | undefined> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : value);
  }
  el.append(...children);
  return el;
}

/** Shows a message in a form's message line (empty hides it); `tone` colours it. */
export function say(el: HTMLElement, message: string, tone: 'ok' | 'bad' | '' = ''): void {
  el.textContent = message;
  el.dataset.tone = tone;
}
