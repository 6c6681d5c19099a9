import { registryCommandsSuite } from './commands-suite.js';

registryCommandsSuite(['olareg-noref']);
