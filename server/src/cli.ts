// `wakeaudit` command line: the same analysis as the editor, headless.
const USAGE = 'usage: wakeaudit check [--format text|json|sarif] PATH...';

function main(argv: string[]): number {
  const [command] = argv;
  if (command === '--help' || command === '-h') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  process.stderr.write(`wakeaudit: unknown command ${JSON.stringify(command ?? '')}\n${USAGE}\n`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
