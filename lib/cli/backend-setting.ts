import { BACKEND_CHOICES } from '../tf/backend.js';
import { choiceSetting } from './settings.js';

/**
 * `--backend` (or `EDGE_STL_BACKEND`, the variable the chart sets): the TF.js backend. No value
 * means `auto`, which `initBackend` applies.
 */
export const BACKEND_SETTING = choiceSetting({
  choices: BACKEND_CHOICES,
  defaultText: 'auto',
  help: 'TF.js backend',
});
