// @platformatic/kafka is an ES module, which Jest's module loader cannot take; Node's own
// require can (require(esm), Node >= 20.19), so in-process tests load it through that. The
// builtin comes from process.getBuiltinModule: Jest's `require('node:module')` would hand
// back a require that goes through Jest (and this mapping) again.
const { createRequire } = process.getBuiltinModule('node:module');
module.exports = createRequire(`${__dirname}/`)('@platformatic/kafka');
