export { pathUnder, PathEscapeError } from './path-under.js';
