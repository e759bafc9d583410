/**
 * The code of the password-strength worker thread, as plain JavaScript run with
 * `new Worker(source, { eval: true })`. A string rather than a file: the same code then runs under
 * tsx from source and from the compiled dist, with no worker file to locate or compile and no
 * loader to inherit. It loads zxcvbn-ts and its dictionaries from the absolute module URLs the
 * main thread resolved (`workerData.coreUrl`, `workerData.commonUrl`), reports `ready` (or
 * `failed`), then answers one message at a time: `estimate` with the score only, `common` with
 * the common-password list joined by newlines (one message, cheap to copy). It never logs: the
 * passwords it sees must not reach any output.
 */
export const STRENGTH_WORKER_SOURCE = `'use strict';
const { parentPort, workerData } = require('node:worker_threads');

const loading = Promise.all([import(workerData.coreUrl), import(workerData.commonUrl)]).then(([core, common]) => ({
  zxcvbn: new core.ZxcvbnFactory({
    ...workerData.options,
    dictionary: common.dictionary,
    graphs: common.adjacencyGraphs,
  }),
  commonPasswords: common.dictionary['passwords-common'],
}));

loading.then(
  () => parentPort.postMessage({ kind: 'ready' }),
  (error) => parentPort.postMessage({
    kind: 'failed',
    reason: String(error instanceof Error ? error.message : error).slice(0, 300),
  }),
);

parentPort.on('message', (request) => {
  loading.then(({ zxcvbn, commonPasswords }) => {
    if (request.kind === 'estimate') {
      let score;
      try {
        score = zxcvbn.check(request.password, request.userInputs).score;
      } catch {
        score = undefined;
      }
      parentPort.postMessage({ kind: 'estimate', id: request.id, score });
    } else if (request.kind === 'common') {
      parentPort.postMessage({ kind: 'common', text: commonPasswords.join('\\n') });
    }
  }, () => undefined);
});
`;
