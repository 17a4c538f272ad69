// Focuses the input matching SEL and empties it (support/browser/page.rs, Page::fill): null, or
// why it cannot.
(SEL) => {
  const el = document.querySelector(SEL);
  if (!el) return 'nothing matches ' + SEL;
  el.scrollIntoView({ block: 'center' });
  el.focus();
  if (document.activeElement !== el) return SEL + ' cannot be focused';
  el.value = '';
  el.dispatchEvent(new Event('input', { bubbles: true }));
  return null;
}
