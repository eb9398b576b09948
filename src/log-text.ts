// Key names, ids and error texts come from servers: they are data, so every log line is neutralised before it is
// written — one line, no control characters, and no `::` that could start a workflow command (`::warning::`,
// `::set-output`, `::stop-commands::`) — whatever a server sent.
export function neutralise(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
      .replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
      .replace(/::/g, ':\u200b:')
  );
}
