import { SlimtrainError } from '../errors.js';

/** The bytes are not a (supported, intact) slimtrain model file; the message says what is wrong. */
export class ModelFileError extends SlimtrainError {}
