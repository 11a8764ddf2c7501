// Resumable uploads of item photos and videos with the tus protocol
// (POST /api/v1/items/{id}/uploads, then PATCH /api/v1/uploads/{id}), through
// tus-js-client (/tus.min.js, vendored, which sets window.tus). Each file shows
// its progress and a cancel button; a dropped connection is retried from the
// offset the server holds, and after a reload choosing the same file for the
// same item again continues where it stopped (tus-js-client keeps the upload's
// URL in localStorage under the file's fingerprint).
import { t, reason } from "/i18n.js";

const $ = (id) => document.getElementById(id);

// Waits between attempts after a failure the server did not refuse (a dropped
// connection, a 5xx): about two minutes in all before giving up.
const retryDelays = [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000];

/** errorOf reads the API's {"error":{"code","message"}} from a tus-js-client error, or {}. */
function errorOf(err) {
  try {
    return JSON.parse(err?.originalResponse?.getBody() || "").error || {};
  } catch {
    return {};
  }
}

/** Uploads owns the list of files being sent (#uploads) and the note of unfinished ones. */
export class Uploads {
  constructor(ctx) {
    this.ctx = ctx;
    this.entries = []; // { name, item, state, sent, total, mediaID, code, upload }
    this.showUnfinished();
  }

  /** send uploads the files to an item, all at once, and resolves when each has finished or failed. */
  send(itemID, files) {
    return Promise.all([...files].map((f) => this.sendOne(itemID, f)));
  }

  sendOne(itemID, file) {
    const entry = { name: file.name, item: itemID, state: "uploading", sent: 0, total: file.size, mediaID: "", code: "" };
    this.entries.push(entry);
    const row = this.row(entry);
    return new Promise((resolve) => {
      const finish = (state) => { entry.state = state; this.paint(entry, row); this.showUnfinished(); resolve(entry); };
      const upload = new window.tus.Upload(file, {
        endpoint: `/api/v1/items/${itemID}/uploads`,
        retryDelays,
        metadata: { filename: file.name, item: itemID },
        removeFingerprintOnSuccess: true,
        onProgress: (sent, total) => { entry.sent = sent; entry.total = total; this.paint(entry, row); },
        onAfterResponse: (_req, res) => { entry.mediaID = res.getHeader("Media-Id") || entry.mediaID; },
        // Retry what the server did not refuse by rule: a dropped connection, a 5xx, and the tus protocol's
        // own answers (plain text, no error code), such as a stale offset or a request that another one
        // for the same upload (the browser resending after a reset) interrupted; the retry asks for the offset.
        onShouldRetry: (err) => {
          const status = err?.originalResponse?.getStatus() || 0;
          return !status || status >= 500 || !errorOf(err).code;
        },
        onSuccess: () => finish("done"),
        onError: (err) => {
          const e = errorOf(err);
          entry.code = e.code || "unavailable";
          this.ctx.fail({ code: e.code, message: `${file.name}: ${e.message || err?.message || err}` });
          finish("failed");
        },
      });
      entry.upload = upload;
      entry.cancel = async () => {
        try { await upload.abort(true); } catch { /* already gone */ }
        finish("cancelled");
      };
      upload.findPreviousUploads().then((prev) => {
        if (prev.length) upload.resumeFromPreviousUpload(prev[0]);
        upload.start();
      });
    });
  }

  /** row adds the list entry of one file: its name, a progress bar, the percentage and a cancel button. */
  row(entry) {
    const li = document.createElement("li");
    li.className = "row spread upload";
    li.dataset.upload = entry.name;
    const name = document.createElement("span");
    name.textContent = entry.name;
    const bar = document.createElement("progress");
    bar.max = 100;
    const pct = document.createElement("small");
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "small";
    cancel.textContent = t.cancel;
    cancel.onclick = () => entry.cancel?.();
    li.append(name, bar, pct, cancel);
    $("uploads").append(li);
    this.paint(entry, li);
    return li;
  }

  paint(entry, li) {
    const [, bar, pct, cancel] = li.children;
    const p = entry.total ? Math.floor((100 * entry.sent) / entry.total) : 0;
    bar.value = p;
    li.dataset.state = entry.state;
    pct.textContent = entry.state === "uploading" ? `${p}%` : (t.uploadStates[entry.state] || entry.state);
    cancel.classList.toggle("hidden", entry.state !== "uploading");
    if (entry.state === "done" || entry.state === "cancelled") setTimeout(() => li.remove(), 4000);
    if (entry.state === "failed") pct.textContent = reason(entry.code, t.uploadStates.failed);
  }

  /** showUnfinished names the uploads a reload interrupted: choosing the same file again resumes them. */
  async showUnfinished() {
    const note = $("uploads-unfinished");
    let left = [];
    try {
      left = await window.tus.defaultOptions.urlStorage.findAllUploads();
    } catch { /* no localStorage */ }
    const busy = new Set(this.entries.filter((e) => e.state === "uploading").map((e) => e.name));
    const names = left.map((u) => u.metadata?.filename).filter((n) => n && !busy.has(n));
    note.textContent = names.length ? `${t.unfinished}: ${names.join(", ")}` : "";
    note.classList.toggle("hidden", !names.length);
  }
}
