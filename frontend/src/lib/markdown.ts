/** Item text as safe markdown, with markdown-it: raw HTML is off (every tag is shown as
 * text), links with a javascript:, vbscript:, file: or data: address are refused by its
 * validateLink, and images are off too, so that an item cannot make the worker's browser
 * call a third-party server. Links open in a new tab without a referrer. */
import { html, type TemplateResult } from "lit";
import { unsafeHTML } from "lit/directives/unsafe-html.js";
import MarkdownIt from "markdown-it";

const md = new MarkdownIt({ html: false, linkify: false, typographer: false, breaks: true });
md.disable(["image"]);

const defaultLinkOpen =
  md.renderer.rules["link_open"] ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules["link_open"] = (tokens, idx, options, env, self) => {
  const token = tokens[idx]!;
  token.attrSet("target", "_blank");
  token.attrSet("rel", "noopener noreferrer nofollow");
  return defaultLinkOpen(tokens, idx, options, env, self);
};

/** Above this size the text is shown as it is (markdown-it takes about 80 ms per MB). */
const MAX_MARKDOWN_CHARS = 2_000_000;

/** HTML for a text field, or null when the text is too large to parse and should be shown
 * as plain text. Only markdown-it's own output (escaped text inside its tags) comes back. */
export function renderMarkdown(text: string): string | null {
  if (text.length > MAX_MARKDOWN_CHARS) return null;
  return md.render(text);
}

/** Markdown-it's escaped output, or the text as it is when it is too large to parse. */
export function markdownView(text: string): TemplateResult {
  const rendered = renderMarkdown(text);
  if (rendered === null) return html`<div class="fl-text">${text}</div>`;
  return html`<div class="fl-text fl-markdown">${unsafeHTML(rendered)}</div>`;
}
