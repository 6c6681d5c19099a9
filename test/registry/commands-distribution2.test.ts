import { registryCommandsSuite } from './commands-suite.js';

registryCommandsSuite(['distribution2']);
