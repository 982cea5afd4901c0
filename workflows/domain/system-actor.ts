/** The workflow itself as an actor: timers and automatic steps (docs/domain.md, "Timers"). */
import type { Actor } from './state';

export const SYSTEM: Actor = { role: 'system', id: 'system' };
