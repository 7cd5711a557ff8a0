// Reads {"documents": {name: document}, "datasources": {name: datasources}} on stdin and prints
// {"documents": {name: [problem]}, "datasources": {name: [problem]}}: apl-suggester's findings
// (errors and warnings alike) for each. Run by skill/tools/validation/apl_check.py.
'use strict';
const { StaticAplTemplateValidator } = require('apl-suggester');

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const { documents = {}, datasources = {} } = JSON.parse(input);
  const validator = new StaticAplTemplateValidator();
  const found = { documents: {}, datasources: {} };
  const quiet = console.log;
  console.log = () => {}; // the validator prints notes such as "No mixin for component" to stdout
  try {
    for (const [name, document] of Object.entries(documents)) {
      found.documents[name] = await validator.validate(document);
    }
    for (const [name, sources] of Object.entries(datasources)) {
      found.datasources[name] = await validator.validateDataSources(sources);
    }
  } finally {
    console.log = quiet;
  }
  process.stdout.write(JSON.stringify(found));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(2);
});
