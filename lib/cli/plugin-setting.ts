import { listSetting } from './settings.js';

/**
 * `--plugin MODULE` (repeatable, or `EDGE_STL_PLUGIN`): algorithm plugins registered in the
 * ClassFactory through `registerAlgorithms`, on every command that loads or trains a model.
 */
export const PLUGIN_SETTING = listSetting({
  arg: '<module>',
  help: 'algorithm plugin module registered in the ClassFactory (repeatable)',
});
