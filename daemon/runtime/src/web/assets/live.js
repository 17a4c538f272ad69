// driftvakt's live updates: one EventSource on /web/live, values updated in place by their
// data-k key (whole parts by `html`). A value older than its stale limit is shown as stale with its age, also when the
// stream has stopped; with no event for 3 s (or a broken stream) a banner says since when there
// has been no contact. Nothing is loaded from anywhere but this daemon.
"use strict";
(function () {
  const body = document.body;
  const url = body.dataset.live;
  if (!url || !window.EventSource) return;
  const NO_CONTACT_MS = 3000;
  const banner = document.getElementById("banner");
  const keyed = new Map();
  document.querySelectorAll("[data-k]").forEach((el) => keyed.set(el.dataset.k, el));
  const values = new Map();
  keyed.forEach((el, k) => {
    if (el.dataset.at) {
      values.set(k, { k: k, text: el.dataset.v, cls: el.dataset.cls, at: Number(el.dataset.at), after: Number(el.dataset.after) });
    }
  });
  const asof = keyed.get("asof");
  // Server time minus client time (the page's and each event's time say what "now" is there).
  let offset = asof && asof.dataset.t ? Number(asof.dataset.t) - Date.now() : 0;
  let lastContact = Date.now();
  // The site's local time of the newest data (the page's, then each event's): "no contact since".
  let lastTime = body.dataset.time || "";
  let broken = false;
  const lastHtml = new Map();
  let lastRows = null;

  const fill = (tpl, vals) => tpl.replace(/\{(\w+)\}/g, (m, k) => (k in vals ? String(vals[k]) : m));
  const age = (ms) => {
    const s = Math.max(0, Math.floor(ms / 1000));
    if (s < 120) return fill(body.dataset.ageS, { n: s });
    if (s < 7200) return fill(body.dataset.ageMin, { n: Math.floor(s / 60) });
    return fill(body.dataset.ageH, { n: Math.floor(s / 3600) });
  };

  function show(v, now) {
    const el = keyed.get(v.k);
    if (!el) return;
    let text = v.text;
    let cls = v.cls;
    if (v.at != null && now - v.at > v.after) {
      text = fill(body.dataset.stale, { age: age(now - v.at), value: v.text });
      cls = "stale";
    }
    if (el.textContent !== text) el.textContent = text;
    const want = "v " + cls;
    if (el.className !== want) el.className = want;
  }

  function refresh() {
    const now = Date.now() + offset;
    values.forEach((v) => show(v, now));
    const silent = Date.now() - lastContact > NO_CONTACT_MS;
    if (banner && (silent || broken)) {
      banner.textContent = fill(body.dataset.noContact, { time: lastTime });
      banner.hidden = false;
    }
  }

  function apply(f) {
    offset = f.t - Date.now();
    lastContact = Date.now();
    lastTime = f.time;
    broken = false;
    if (banner) banner.hidden = true;
    f.v.forEach((v) => values.set(v.k, v));
    if (asof) asof.textContent = f.asof;
    f.sys.forEach((s) => {
      const el = keyed.get("sys:" + s.k);
      if (!el) return;
      el.textContent = s.text;
      el.classList.toggle("has", (s.n || 0) > 0);
    });
    f.end.forEach((e) => {
      const li = keyed.get("end:" + e.k);
      if (!li) return;
      li.classList.toggle("below", e.below);
      const bar = li.querySelector("progress");
      if (bar) {
        bar.value = e.pct;
        bar.textContent = e.pct + " %";
      }
      const verdict = li.querySelector(".verdict");
      if (verdict) verdict.textContent = e.verdict;
      let limit = li.querySelector(".limit");
      if (e.limit && !limit) {
        limit = document.createElement("span");
        limit.className = "limit";
        li.appendChild(limit);
      }
      if (limit) limit.textContent = e.limit || "";
    });
    const counts = keyed.get("alarm-counts");
    if (counts) counts.textContent = f.alarms.counts;
    const rows = keyed.get("alarm-rows");
    // Compared with the last rows sent, not the element's HTML: other scripts add to the rows.
    if (rows && lastRows !== f.alarms.rows) {
      rows.innerHTML = f.alarms.rows;
      lastRows = f.alarms.rows;
    }
    // Whole parts rendered by the daemon (escaped there), e.g. an exercise's live timeline.
    Object.entries(f.html || {}).forEach(([k, html]) => {
      const el = keyed.get(k);
      if (el && lastHtml.get(k) !== html) {
        el.innerHTML = html;
        lastHtml.set(k, html);
      }
    });
    refresh();
  }

  const source = new EventSource(url);
  source.addEventListener("live", (ev) => {
    try {
      apply(JSON.parse(ev.data));
    } catch (e) {
      broken = true;
    }
  });
  source.onerror = () => {
    broken = true;
    refresh();
  };
  setInterval(refresh, 1000);
})();
