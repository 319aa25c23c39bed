// The commands of `slimtrain`: adding one is a file in this folder and a line here.
import type { Command } from '../command.js';
import { bench } from './bench.js';
import { evaluate } from './eval.js';
import { info } from './info.js';
import { exportCommand, importCommand } from './interchange.js';
import { predict } from './predict.js';
import { reduce } from './reduce.js';
import { sparsity } from './sparsity.js';
import { sweep } from './sweep.js';
import { train } from './train.js';

export const COMMANDS: Command[] = [train, evaluate, predict, sparsity, reduce, exportCommand, importCommand, sweep, bench, info];
