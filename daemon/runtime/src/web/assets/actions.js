// The alarm console's action forms for a signed-in operator: the page carries them as
// <template>s (with the session's CSRF token); each row with a data-id gets Kvittera when it is
// unacknowledged, and Parkera or Återaktivera. The live stream replaces the rows; a row whose
// alarm and state are unchanged gets its old cell back (with what was typed, and the focus).
"use strict";
(function () {
  const tbody = document.querySelector('[data-k="alarm-rows"]');
  if (!tbody || !document.getElementById("act-ack")) return;
  const label = tbody.dataset.actLabel || "";
  let kept = new Map();
  let focused = null;
  document.addEventListener("focusin", (e) => { focused = e.target; });

  function add(td, name, id) {
    const t = document.getElementById("act-" + name);
    if (!t) return;
    const part = t.content.cloneNode(true);
    part.querySelectorAll("form").forEach((f) => {
      f.action = "/larm/" + encodeURIComponent(id) + "/" + f.dataset.verb;
    });
    td.appendChild(part);
  }

  function cell(tr) {
    const key = tr.dataset.id + "|" + tr.className;
    const old = kept.get(key);
    if (old) return old;
    const td = document.createElement("td");
    td.className = "act";
    if (label) td.dataset.label = label;
    if (tr.classList.contains("unacked")) add(td, "ack", tr.dataset.id);
    add(td, tr.classList.contains("shelved") ? "unshelve" : "shelve", tr.dataset.id);
    return td;
  }

  function decorate() {
    const next = new Map();
    tbody.querySelectorAll("tr[data-id]").forEach((tr) => {
      let td = tr.querySelector("td.act");
      if (!td) {
        td = cell(tr);
        tr.appendChild(td);
      }
      next.set(tr.dataset.id + "|" + tr.className, td);
    });
    kept = next;
    const active = document.activeElement;
    if (focused && focused !== active && (!active || active === document.body) && document.contains(focused)) {
      focused.focus();
    }
  }

  decorate();
  new MutationObserver(decorate).observe(tbody, { childList: true });
})();
