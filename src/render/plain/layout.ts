// Text layout for the plain renderer: word wrap, padding and rules, measured on unstyled text (colour is
// applied after layout so escape codes never skew a width).

/**
 * Word-wraps `text` to `width` columns. Words longer than a line are hard-broken; an empty text gives one
 * empty line so a labelled row always prints its label.
 */
export function wrap(text: string, width: number): string[] {
  const max = Math.max(1, width);
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      let rest = word;
      while (rest.length > max) {
        if (line) {
          lines.push(line);
          line = '';
        }
        lines.push(rest.slice(0, max));
        rest = rest.slice(max);
      }
      if (!line) line = rest;
      else if (line.length + 1 + rest.length <= max) line += ' ' + rest;
      else {
        lines.push(line);
        line = rest;
      }
    }
    lines.push(line);
  }
  return lines;
}

export function padEnd(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

export function repeat(ch: string, n: number): string {
  return n > 0 ? ch.repeat(n) : '';
}

/** cli-table3 characters for a table without box drawing: columns separated by `gap` spaces only. */
export function borderlessChars(gap: number) {
  return {
    top: '',
    'top-mid': '',
    'top-left': '',
    'top-right': '',
    bottom: '',
    'bottom-mid': '',
    'bottom-left': '',
    'bottom-right': '',
    left: '',
    'left-mid': '',
    mid: '',
    'mid-mid': '',
    right: '',
    'right-mid': '',
    middle: ' '.repeat(gap),
  };
}
