// What a reader sees of a job summary: the Markdown rendered as GitHub renders it (GFM, with `marked`), and the
// visible text of that HTML. Tests check these, not the Markdown: whether a string is markup is the renderer's call.
import { marked } from 'marked';

/** The summary's Markdown as GFM HTML. */
export function summaryHtml(markdown: string): string {
  return marked.parse(markdown, { gfm: true, async: false });
}

/**
 * The text a reader sees in rendered HTML: the line breaks between tags and the tags dropped (a table cell ends with ` | `, a row, paragraph, item,
 * heading or `<br>` with a line break), then entities decoded, so the text is exactly the characters shown.
 */
export function visibleText(html: string): string {
  return html
    .replace(/>\n+</g, '><')
    .replace(/<\/t[dh]>/g, ' | ')
    .replace(/<br>|<\/(tr|p|li|h[1-6]|summary)>/g, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#(\d+)|#x([0-9a-f]+)|amp|lt|gt|quot);/gi, (entity, _, decimal?: string, hex?: string) => {
      if (decimal) return String.fromCodePoint(Number(decimal));
      if (hex) return String.fromCodePoint(parseInt(hex, 16));
      return { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"' }[entity.toLowerCase()]!;
    });
}

/** The visible text of a rendered summary: what `expect(…).toContain(keyName)` should look at. */
export function summaryText(markdown: string): string {
  return visibleText(summaryHtml(markdown));
}

/** The HTML elements of a rendered summary, in order: `['h2', 'table', 'thead', …]`. */
export function elementsOf(html: string): string[] {
  return [...html.matchAll(/<([a-z][a-z0-9]*)\b/gi)].map((match) => match[1]!.toLowerCase());
}
