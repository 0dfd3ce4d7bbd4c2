'use strict'
// README.md shows examples/usage.js, examples/today.js and examples/load.js
// and their output: each must be what the file is and what it prints against
// a live server. (load.js makes tables: it runs once, in a new database.)

const { it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { createDatabase, dropDatabases } = require('./helpers')

const root = path.join(__dirname, '..')
let db

before(async () => {
  db = await createDatabase('readme', 'CREATE EXTENSION comm_result')
})

after(async () => {
  await dropDatabases()
})

/** The fenced block that follows a marker comment in README.md. */
function block (readme, marker) {
  const at = readme.indexOf(`<!-- ${marker} -->`)
  assert.ok(at >= 0, `README.md has the marker ${marker}`)
  const m = /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(at))
  assert.ok(m, `a code block after ${marker}`)
  return m[1]
}

for (const example of ['usage.js', 'today.js', 'load.js']) {
  it(`README.md shows examples/${example} as it is, and its real output`, async () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')
    const source = fs.readFileSync(path.join(root, 'examples', example), 'utf8')
    assert.equal(block(readme, `example: examples/${example}`), source)
    const stdout = await new Promise((resolve, reject) => {
      execFile(process.execPath, [path.join(root, 'examples', example)],
        { cwd: root, env: { ...process.env, PGDATABASE: db } },
        (err, out, errOut) => err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out))
    })
    assert.equal(stdout, block(readme, `output: examples/${example}`))
  })
}
