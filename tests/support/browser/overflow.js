// What sticks out past the right edge of a viewport W CSS pixels wide (support/browser/page.rs,
// Page::horizontal_overflow): one line per finding, none when everything fits.
(W) => {
  const root = document.documentElement;
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    for (const c of el.classList) s += '.' + c;
    const t = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 30);
    return t ? s + ' "' + t + '"' : s;
  };
  // Inside a box of its own that scrolls or clips sideways (other than html and body): that box
  // is checked instead.
  const inOwnBox = (el) => {
    for (let a = el.parentElement; a && a !== document.body && a !== root; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') return true;
    }
    return false;
  };
  const out = [];
  if (root.scrollWidth > W) out.push('document: scrollWidth ' + root.scrollWidth + ' > ' + W);
  if (window.innerWidth > W) {
    out.push('window: innerWidth ' + window.innerWidth + ' > ' + W + ' (no width=device-width viewport?)');
  }
  for (const el of document.body ? document.body.querySelectorAll('*') : []) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const right = r.right + window.scrollX;
    if (right <= W + 0.5 || inOwnBox(el)) continue;
    out.push(describe(el) + ': right ' + Math.round(right) + ' > ' + W);
  }
  return out;
}
