// The import page: posts the file to the import API with the session's CSRF token, shows
// upload progress, then the report, or every bad line with a "skip invalid rows" retry.
"use strict";

(() => {
  const form = document.querySelector("form[data-import]");
  if (!form) return;
  const report = document.getElementById("import-report");
  const progressBox = form.querySelector("[data-progress]");
  const bar = form.querySelector("progress");
  const button = form.querySelector("button[type=submit]");

  const formatOf = (file) => {
    const chosen = form.elements.format.value;
    if (chosen) return chosen;
    const name = file.name.toLowerCase();
    if (name.endsWith(".csv")) return "csv";
    if (name.endsWith(".json")) return "json";
    return "jsonl";
  };

  const el = (tag, text, attrs = {}) => {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    return node;
  };

  const show = (...nodes) => {
    report.replaceChildren(...nodes);
    report.hidden = false;
    report.focus();
  };

  const problemList = (problems) => {
    const list = el("ul", null, { class: "problems" });
    for (const p of problems) {
      const where = p.line === null || p.line === undefined ? "File" : `Line ${p.line}`;
      const item = el("li");
      item.append(el("strong", `${where}: `));
      item.append(document.createTextNode(
        `${p.field ? `field “${p.field}”, ` : ""}value ${JSON.stringify(p.value ?? null)}, expected ${p.expected}`
      ));
      item.dataset.line = p.line ?? "";
      list.append(item);
    }
    return list;
  };

  const counts = (body) => el(
    "p",
    `Created ${body.created}, updated ${body.updated}, skipped ${body.skipped}.`,
    { class: "ok", "data-report": "done" },
  );

  const upload = (file, skipInvalid) => {
    const params = new URLSearchParams({ format: formatOf(file), skip_invalid: String(skipInvalid) });
    const request = new XMLHttpRequest();
    request.open("POST", `/api/projects/${form.dataset.projectId}/imports?${params}`);
    request.setRequestHeader("X-CSRF-Token", form.dataset.csrfToken);
    request.setRequestHeader("Accept", "application/json");
    request.responseType = "json";
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) bar.value = Math.round((event.loaded / event.total) * 100);
    };
    request.onload = () => finish(request, file);
    request.onerror = () => {
      done();
      show(el("p", "The upload failed: the server could not be reached. Please try again.", { class: "error" }));
    };
    bar.value = 0;
    progressBox.hidden = false;
    button.disabled = true;
    request.send(file);
  };

  const done = () => {
    progressBox.hidden = true;
    button.disabled = false;
  };

  const finish = (request, file) => {
    done();
    const body = request.response || {};
    if (request.status === 201) {
      const nodes = [el("h2", "Imported"), counts(body)];
      if (body.errors && body.errors.length) {
        nodes.push(el("p", `${body.error_count} invalid row(s) were left out:`), problemList(body.errors));
      }
      nodes.push(el("a", "See the dashboard", { href: `/projects/${form.dataset.projectId}` }));
      show(...nodes);
      return;
    }
    const error = body.error || { message: `The server answered ${request.status}.` };
    const nodes = [el("h2", "Nothing was imported"), el("p", error.message, { class: "error", "data-report": "rejected" })];
    if (error.details && error.details.length) nodes.push(problemList(error.details));
    else if (error.field) nodes.push(problemList([{ line: null, field: error.field, value: error.value, expected: error.expected }]));
    if (request.status === 422 && error.details && error.details.length) {
      const retry = el("button", "Import the valid rows, skip the invalid ones", { type: "button", "data-retry": "skip" });
      retry.addEventListener("click", () => upload(file, true));
      nodes.push(el("p", "Or correct the file and upload it again."), retry);
    }
    show(...nodes);
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const file = form.elements.file.files[0];
    if (!file) {
      show(el("p", "Choose a file to import first.", { class: "error" }));
      return;
    }
    upload(file, form.elements.skip_invalid.checked);
  });
})();
