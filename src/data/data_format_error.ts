import { SlimtrainError } from '../errors.js';

/** A data file is not what it should be; the message says which file and what is wrong. */
export class DataFormatError extends SlimtrainError {}
