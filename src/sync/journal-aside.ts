import type { Logger } from '../log.js';
import type { Journal } from '../store/journal.js';

/** A journal found unusable at open was moved aside: say where, and that the rebuild re-sends nothing identical. */
export function warnIfSetAside(journal: Journal, log: Logger): void {
  const aside = journal.setAside;
  if (aside) {
    log.warn(
      { code: 'STATE_DIR_UNUSABLE', journal: aside.from, movedTo: aside.to, reason: aside.reason },
      `the journal ${aside.from} was unusable (${aside.reason}) and is moved aside to ${aside.to}; a new one is rebuilt from the tree and one listing, and what the bucket already holds is not uploaded again`,
    );
  }
}
