// Where to click the element matching SEL (support/browser/page.rs, Page::click): its centre,
// scrolled into view, as {x, y} in CSS pixels, or {error} when nothing matches, it has no size
// or another element covers it.
(SEL) => {
  const el = document.querySelector(SEL);
  if (!el) return { error: 'nothing matches ' + SEL };
  el.scrollIntoView({ block: 'center', inline: 'center' });
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) return { error: SEL + ' has no size (hidden?)' };
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  const top = document.elementFromPoint(x, y);
  if (!top || !(top === el || el.contains(top))) {
    return { error: SEL + ' is covered by ' + (top ? top.outerHTML.slice(0, 80) : 'nothing') };
  }
  return { x, y };
}
