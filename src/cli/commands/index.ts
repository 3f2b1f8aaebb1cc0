/**
 * The registry of `klwasm` subcommands, in the order `klwasm --help` lists them. To add a command,
 * write `commands/<name>.ts` exporting a `Command` (see `../command.ts`) and list it here.
 */
import type { Command } from '../command.js';
import { benchCommand } from './bench.js';
import { diagnoseCommand } from './diagnose.js';
import { klCommand } from './kl.js';
import { logsumexpCommand } from './logsumexp.js';
import { logSoftmaxCommand, softmaxCommand } from './softmax.js';

export const COMMANDS: readonly Command[] = [klCommand, softmaxCommand, logSoftmaxCommand, logsumexpCommand, diagnoseCommand, benchCommand];
