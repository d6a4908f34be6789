import { html, type Html } from "./html.js";

/** A page that says one thing (not found, signed out, a sign-in that failed) and where to go next. */
export function messagePage(title: string, text: string | Html, next?: { href: string; label: string }): Html {
  return html`<div class="center"><h1>${title}</h1><p>${text}</p>${next ? html`<p><a class="button" href="${next.href}">${next.label}</a></p>` : ""}</div>`;
}
