// The project form's question builder: add and remove questions, show the settings of the
// chosen type, and switch between the builder and the JSON textarea. No build step.
"use strict";

(() => {
  const form = document.querySelector("form[data-builder]");
  if (!form) return;
  const list = form.querySelector("[data-questions]");
  const template = document.getElementById("question-template");
  const boolKeys = ["multiline", "allow_overlap", "allow_ties", "allow_tie", "allow_both_bad", "allow_unchanged", "allow_rewrite"];
  const listKeys = ["labels", "categories", "difficulties", "languages", "harm_categories"];
  // The sampling fields, one `sampling` object in the API (web/client/builder.py).
  const samplingKeys = ["temperature", "max_tokens", "seed"];
  // The box a nested setting needs ticked for this type (its object's name), or null.
  const toggleOf = (setting, type) => {
    const pair = setting.dataset.needs.split(" ").find((p) => p.startsWith(`${type}:`));
    return pair ? pair.slice(type.length + 1) : null;
  };
  const withSampling = (settings) => {
    const sampling = Object.fromEntries(samplingKeys.filter((k) => k in settings).map((k) => [k, settings[k]]));
    samplingKeys.forEach((k) => delete settings[k]);
    if (Object.keys(sampling).length) settings.sampling = sampling;
    return settings;
  };

  // A rubric's criteria lines as the API takes them, as web/criteria_lines.py reads them; a
  // line that does not fit is carried as written, for the server to name its error.
  const justifications = { "justification required": "required", "justification optional": "optional", "no justification": "none" };
  const criteriaOf = (text) => text.split("\n").filter((line) => line.trim()).map((line) => {
    const [name, label, scale, anchors, options] = [...line.split("|").map((p) => p.trim()), "", "", "", ""];
    const criterion = { name };
    if (label) criterion.label = label;
    const range = /^(-?\d+)\s*(?:-|\u2013|to)\s*(-?\d+)$/.exec(scale);
    if (range) [criterion.min, criterion.max] = [Number(range[1]), Number(range[2])];
    else if (scale) return line;
    if (anchors) {
      criterion.anchors = Object.fromEntries(anchors.split(";").filter((p) => p.trim()).map((p) => {
        const at = p.indexOf("=");
        return [p.slice(0, at).trim(), p.slice(at + 1).trim()];
      }));
    }
    for (const option of options.split(",").map((o) => o.trim().toLowerCase()).filter(Boolean)) {
      if (option === "n/a") criterion.allow_na = true;
      else if (option in justifications) criterion.justification = justifications[option];
      else return line;
    }
    return criterion;
  });

  const indexOf = (fieldset) => {
    const select = fieldset.querySelector("[data-question-type]");
    return select ? select.id.split("-")[1] : null;
  };

  const renumber = () => {
    list.querySelectorAll("[data-question]").forEach((fieldset, position) => {
      fieldset.querySelector("[data-number]").textContent = String(position + 1);
    });
  };

  const showSettings = (fieldset) => {
    const type = fieldset.querySelector("[data-question-type]").value;
    const i = indexOf(fieldset);
    fieldset.querySelectorAll("[data-setting]").forEach((setting) => {
      const toggle = toggleOf(setting, type);
      const ticked = !toggle || form.elements[`q-${i}-${toggle}`].checked;
      setting.hidden = !setting.dataset.types.split(" ").includes(type) || !ticked;
    });
  };

  // A text or number field still holding the previous type's default takes the new type's.
  const putDefaults = (select) => {
    const previous = select.dataset.previous;
    select.dataset.previous = select.value;
    select.closest("[data-question]").querySelectorAll("[data-setting]").forEach((setting) => {
      const input = setting.querySelector("input[type=text], input[type=number], textarea");
      const defaults = JSON.parse(setting.dataset.defaults);
      if (!input || !(select.value in defaults)) return;
      // A type without the field left it as a new question's form filled it (under "").
      const was = previous in defaults ? defaults[previous] : defaults[""];
      if (input.value === String(was ?? "")) input.value = String(defaults[select.value] ?? "");
    });
  };

  let next = 0;
  list.querySelectorAll("[data-question]").forEach((fieldset) => {
    next = Math.max(next, Number(indexOf(fieldset)) + 1);
  });

  const addQuestion = () => {
    const html = template.innerHTML.replaceAll("__i__", String(next));
    next += 1;
    list.insertAdjacentHTML("beforeend", html);
    const added = list.lastElementChild;
    remember(added);
    showSettings(added);
    renumber();
    added.querySelector("input").focus();
  };

  form.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches("[data-question-type]")) putDefaults(target);
    const question = target.closest("[data-question]");
    if (question) showSettings(question);  // a type or a live / red-team box changed
    if (target.matches("[data-mode]")) showMode(target.value, true);
  });

  form.addEventListener("click", (event) => {
    const target = event.target;
    if (target.closest("[data-add-question]")) addQuestion();
    const remove = target.closest("[data-remove-question]");
    if (remove) {
      const fieldset = remove.closest("[data-question]");
      const neighbour = fieldset.nextElementSibling || fieldset.previousElementSibling;
      fieldset.remove();
      renumber();
      (neighbour ? neighbour.querySelector("input") : form.querySelector("[data-add-question]")).focus();
    }
  });

  // The builder's questions as the API takes them, to carry over into the JSON textarea.
  const asJson = () => Array.from(list.querySelectorAll("[data-question]")).map((fieldset) => {
    const i = indexOf(fieldset);
    const value = (key) => form.elements[`q-${i}-${key}`];
    const type = value("type").value;
    const settings = {};
    const nested = {};
    fieldset.querySelectorAll("[data-setting]").forEach((setting) => {
      if (setting.hidden) return;
      const toggle = toggleOf(setting, type);
      const into = toggle ? (nested[toggle] ||= {}) : settings;
      if (setting.querySelector("[data-endpoints]")) {
        into.endpoints = Array.from(setting.querySelectorAll("[data-endpoint]:checked")).map((box) => Number(box.value));
        return;
      }
      const input = setting.querySelector("input, textarea, select");
      if (!input) return;
      const key = input.name.slice(`q-${i}-`.length);
      if (key === "prompt_field") { if (input.value.trim() !== "") into.field = input.value.trim(); }
      else if (listKeys.includes(key)) into[key] = input.value.split("\n").map((s) => s.trim()).filter(Boolean);
      else if (key === "criteria") settings.criteria = criteriaOf(input.value);
      else if (boolKeys.includes(key)) settings[key] = input.checked;
      else if (input.type === "checkbox") { if (input.checked) nested[key] ||= {}; }  // live, red_team
      else if (input.type === "number") { if (input.value !== "") into[key] = Number(input.value); }
      else if (input.value.trim() !== "") into[key] = input.value.trim();
    });
    withSampling(settings);
    Object.entries(nested).forEach(([toggle, inner]) => {
      if (form.elements[`q-${i}-${toggle}`].checked) settings[toggle] = withSampling(inner);
    });
    return {
      name: value("name").value.trim(),
      type,
      prompt: value("prompt").value,
      required: value("required").checked,
      settings,
    };
  });

  const showMode = (mode, switched) => {
    if (switched && mode === "json") {
      form.elements.questions_json.value = JSON.stringify(asJson(), null, 2);
    }
    form.querySelectorAll("[data-mode-panel]").forEach((panel) => {
      panel.hidden = panel.dataset.modePanel !== mode;
    });
  };

  const remember = (fieldset) => {
    const select = fieldset.querySelector("[data-question-type]");
    select.dataset.previous = select.value;
  };
  form.querySelectorAll("[data-question]").forEach(remember);
  form.querySelectorAll("[data-question]").forEach(showSettings);
  renumber();
  showMode(form.querySelector("[data-mode]:checked").value, false);
  const summary = document.getElementById("form-errors");
  if (summary) summary.focus();
})();
