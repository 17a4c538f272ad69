// The alarm console's action forms for a signed-in operator: the page carries them as
// <template>s (with the session's CSRF token); each row with a data-id gets Kvittera when it is
// unacknowledged, and Parkera or Återaktivera. The live stream replaces the rows; a row whose
// alarm and state are unchanged gets its old cell back (with what was typed, and the focus).
// A form is sent in the background (the daemon answers 303 when done) so the console stays
// open: the live stream brings the row's new state, and a refusal is shown in the row.
"use strict";
(function () {
  const tbody = document.querySelector('[data-k="alarm-rows"]');
  if (!tbody || !document.getElementById("act-ack")) return;
  const label = tbody.dataset.actLabel || "";
  let kept = new Map();
  let focused = null;
  // The alarm whose action cell had the focus: its new cell gets it when the old one goes.
  let focusedId = null;
  document.addEventListener("focusin", (e) => {
    focused = e.target;
    const tr = e.target.closest && e.target.closest("tr[data-id]");
    focusedId = tr && tbody.contains(tr) ? tr.dataset.id : null;
  });

  // What a refusal page says (its alert), else its text.
  function said(text) {
    const doc = new DOMParser().parseFromString(text, "text/html");
    const alert = doc.querySelector("main [role=alert]");
    return (alert ? alert.textContent : doc.body.textContent).trim().slice(0, 300);
  }

  tbody.addEventListener("submit", (e) => {
    const form = e.target;
    if (!form.matches("td.act form") || !window.fetch) return;
    e.preventDefault();
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    const body = new URLSearchParams(new FormData(form));
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin", redirect: "manual" })
      .then((r) => (r.type === "opaqueredirect" ? "" : r.text().then(said)))
      .then((refusal) => {
        if (button) button.disabled = false;
        const td = form.closest("td.act");
        let msg = td && td.querySelector(".act-error");
        if (!refusal) {
          if (msg) msg.remove();
          return;
        }
        if (td && !msg) {
          msg = document.createElement("p");
          msg.className = "error act-error";
          msg.setAttribute("role", "alert");
          td.appendChild(msg);
        }
        if (msg) msg.textContent = refusal;
      })
      // The daemon out of reach: send it the ordinary way (the browser says what happened).
      .catch(() => form.submit());
  });

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
    if (focused && focused !== active && (!active || active === document.body)) {
      if (document.contains(focused)) {
        focused.focus();
      } else if (focusedId) {
        // The row changed state (acknowledged, shelved): on to its new cell's first control.
        const tr = [...tbody.querySelectorAll("tr[data-id]")].find((r) => r.dataset.id === focusedId);
        const first = tr && tr.querySelector("td.act button, td.act summary, td.act input");
        if (first) first.focus();
      }
    }
  }

  decorate();
  new MutationObserver(decorate).observe(tbody, { childList: true });
})();
