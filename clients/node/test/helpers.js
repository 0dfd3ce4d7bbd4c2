'use strict'
// Shared test helpers. Connection parameters come from the standard PG*
// environment variables (PGHOST may be a socket directory); PGDATABASE is
// only used to create and drop the fresh databases each test file works in.

const pg = require('pg')

const RUN = `${process.pid}_${Date.now().toString(36)}`

/** Create a fresh database (dropped by dropDatabases) and run setup SQL in it. */
async function createDatabase (suffix, setupSql) {
  const name = `cr_node_${suffix}_${RUN}`.toLowerCase()
  const admin = new pg.Client()
  await admin.connect()
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`)
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'`)
  } finally {
    await admin.end()
  }
  created.push(name)
  if (setupSql) {
    const c = new pg.Client({ database: name })
    await c.connect()
    try {
      await c.query(setupSql)
    } finally {
      await c.end()
    }
  }
  return name
}

const created = []

async function dropDatabases () {
  const admin = new pg.Client()
  await admin.connect()
  try {
    for (const name of created.splice(0)) {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    }
  } finally {
    await admin.end()
  }
}

/** A connected client on the given database. */
async function connect (database, config) {
  const c = new pg.Client(Object.assign({ database }, config))
  await c.connect()
  return c
}

/**
 * Records shaped like the outbound batch results API (and its SDK) returns
 * them, already in canonical form (UTC, six-digit fractions), so what comes
 * back must equal what went in.
 */
const SDK_RECORDS = [
  {
    batch_id: '20250117.9',
    reference_id: '12345',
    target: '+15125551234',
    request_variables: { first_name: 'Ana', last_name: 'Souza', appointment: { date: '2025-01-20', time: '10:30', clinic: { name: 'Nord', floor: 2 } }, reminders: [1, 7] },
    request_status: 'COMPLETED',
    call_manager_sid: 'LMc4b16a9df2ce33d84b3d30581fe6598c',
    created_at: '2025-01-17T09:00:00.123456Z',
    sent_at: '2025-01-17T09:00:05.000001Z',
    attempt_count: 1,
    session_id: 42,
    conversation_id: 9001
  },
  {
    batch_id: '20250117.9',
    reference_id: '12346',
    target: 'ana.souza@example.com',
    request_variables: {},
    request_status: 'PENDING',
    call_manager_sid: null,
    created_at: '2025-01-17T09:00:00Z',
    sent_at: null,
    attempt_count: 0,
    session_id: null,
    conversation_id: null
  },
  {
    batch_id: '20250117.10',
    reference_id: 'ref-ü-😀',
    target: 'josé.garcía@exämple.es',
    request_variables: { nombre: 'José', 名前: '太郎', note: 'line1\nline2\t"quoted" \\ \u2028', emoji: '👩‍💻', nested: { deep: { deeper: [null, true, false, 'x', { k: 'v' }] } } },
    request_status: 'FAILED',
    created_at: '2024-02-29T23:59:59.999999Z',
    attempt_count: 2
  },
  {
    batch_id: 'b',
    reference_id: 'r',
    target: 'tel:+1 (555) 010-0199',
    request_variables: { n: 1.5, big: 12345, neg: -3, s: '' },
    attempt_count: 0
  },
  {
    batch_id: ' batch with spaces ',
    reference_id: '0007',
    target: '用户@例子.广告',
    request_variables: { a: { b: { c: { d: { e: 'f' } } } } },
    request_status: 'INITIATED',
    call_manager_sid: 'CA0123',
    sent_at: '0001-01-01T00:00:00Z',
    attempt_count: 2147483647,
    session_id: 9007199254740991,
    conversation_id: 0
  }
]

module.exports = { createDatabase, dropDatabases, connect, SDK_RECORDS, RUN }
