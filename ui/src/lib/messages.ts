/** How a message status looks: its badge tone. */
export type Tone = 'ok' | 'wait' | 'bad' | '';

export function statusTone(status: string): Tone {
  switch (status) {
    case 'delivered':
    case 'read':
      return 'ok';
    case 'queued':
    case 'sent':
      return 'wait';
    case 'failed':
      return 'bad';
    default:
      return '';
  }
}
