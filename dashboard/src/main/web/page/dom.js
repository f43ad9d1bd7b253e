// The only way the page puts text into the document: textContent and attributes, never
// innerHTML, so no server string is ever parsed as markup.

/** The element with data-testid="id" (it must exist: the page's markup is fixed). */
export function byTestId(doc, id) {
  const found = doc.querySelector(`[data-testid="${id}"]`);
  if (found === null) {
    throw new Error(`no element with data-testid="${id}"`);
  }
  return found;
}

/**
 * A new element: attrs are set as attributes (data-testid included), text as its textContent,
 * children appended after it.
 */
export function element(doc, tag, attrs = {}, text = null, children = []) {
  const node = doc.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) {
      node.setAttribute(name, value === true ? '' : String(value));
    }
  }
  if (text !== null) {
    node.textContent = text;
  }
  for (const child of children) {
    node.append(child);
  }
  return node;
}

/** Sets the text of the element with that test id, and its data-value (raw value, '' for null). */
export function showValue(doc, id, text, value) {
  const node = byTestId(doc, id);
  node.textContent = text;
  node.dataset.value = value === null || value === undefined ? '' : String(value);
  return node;
}
