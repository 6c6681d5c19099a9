import { registryCommandsSuite } from './commands-suite.js';

registryCommandsSuite(['distribution3']);
