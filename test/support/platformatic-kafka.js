// @platformatic/kafka is an ES module, which Jest's module loader cannot take; Node's own
// require can (require(esm), Node >= 20.19), so in-process tests load it through that.
const { createRequire } = require('node:module');
module.exports = createRequire(__filename)('@platformatic/kafka');
