// Preloaded (`node -r`) by run-original.sh: the original MiniTalk backend requires its data
// manager by the absolute path of its Docker image (`require('/app/data/dataManager')`); this
// maps `/app/` to the folder the backend runs from, so it runs without Docker and without /app.
const Module = require('module');
const path = require('path');

const root = process.cwd();
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (typeof request === 'string' && request.startsWith('/app/')) {
    request = path.join(root, request.slice('/app/'.length));
  }
  return resolve.call(this, request, ...rest);
};
