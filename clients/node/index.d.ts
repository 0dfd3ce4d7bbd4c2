// Types for pg-comm-result (node-postgres support for the comm_result extension).
/// <reference types="node" />

/**
 * The twelve statuses: the nine of 1.0 and CALL_COMPLETED, SENT and
 * UNSUBSCRIBED (1.3), which the API sent for a while.
 */
export type CommStatus =
  | 'PENDING' | 'DUPLICATE' | 'INITIATED' | 'CONNECTED' | 'COMPLETED'
  | 'FAILED' | 'CANCELED' | 'INVALID' | 'SKIPPED'
  | 'CALL_COMPLETED' | 'SENT' | 'UNSUBSCRIBED'

/** Any JSON value, as request_variables holds them. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/** A value of insights: strings and numbers only (numbers as parseJson gives them). */
export type InsightValue = string | number

/**
 * A parsed comm_result: the API's JSON object. Fields that the value does not
 * have are absent (not undefined-valued), JSON nulls are null. `attempt_count`
 * is always present (absent in the input means 0). The sid is under the key
 * the value was given: `call_manager_sid` (April 2025) or
 * `channel_manager_sid` (today), never both.
 *
 * T is the type of created_at/sent_at (string by default, Date with
 * `timestamps: 'date'`), I the type of session_id/conversation_id (number,
 * or bigint above Number.MAX_SAFE_INTEGER, by default).
 */
export interface CommResult<T = string, I = number | bigint> {
  batch_id: string
  reference_id: string
  target: string
  request_variables: { [key: string]: JsonValue }
  request_status?: CommStatus
  call_manager_sid?: string | null
  created_at?: T
  sent_at?: T | null
  attempt_count: number
  session_id?: I | null
  conversation_id?: I | null
  channel_manager_sid?: string | null
  channel_manager_status?: string | null
  insights_status?: string | null
  insights?: { [key: string]: InsightValue } | null
  line_type?: string | null
  enrichment?: { [key: string]: JsonValue } | null
}

/** What commResult() accepts: strings, Dates and bigints where the API has strings and integers. */
export interface CommResultInput {
  batch_id: string
  reference_id: string
  target: string
  request_variables: { [key: string]: unknown }
  request_status?: CommStatus | null
  call_manager_sid?: string | null
  created_at?: string | Date | null
  sent_at?: string | Date | null
  attempt_count?: number | null
  session_id?: number | bigint | string | null
  conversation_id?: number | bigint | string | null
  /** today's name of call_manager_sid: give one of the two */
  channel_manager_sid?: string | null
  channel_manager_status?: string | null
  insights_status?: string | null
  insights?: { [key: string]: unknown } | null
  line_type?: string | null
  enrichment?: { [key: string]: unknown } | null
  [key: string]: unknown
}

/** What the writers take: an input object, or a parsed value written back as it is. */
export type CommResultParam = CommResultInput | CommResult<any, any>

export interface ParseOptions {
  /**
   * created_at and sent_at: 'string' (default) keeps the canonical RFC 3339
   * text with its microseconds (`2025-01-17T09:00:00.123456Z`); 'date' gives
   * a Date, which holds milliseconds only (the rest is truncated); a function
   * receives the canonical string and returns what you want.
   */
  timestamps?: 'string' | 'date' | ((iso: string) => unknown)
  /**
   * session_id and conversation_id: 'number' (default: a number, or a bigint
   * when above Number.MAX_SAFE_INTEGER, never a rounded number), 'bigint'
   * (always), 'string' (the digits).
   */
  int64?: 'number' | 'bigint' | 'string'
  /** The JSON parser for the whole text (default JSON.parse), e.g. a lossless one for request_variables. */
  parseJson?: (text: string) => any
}

export interface LoadTypesOptions extends ParseOptions {
  /** Parsers for every other type (default: pg.types). */
  base?: { getTypeParser(oid: number, format?: string): any }
}

export interface CommResultInfo {
  /** The installed extension version. */
  version: string
  /** The schema the extension is installed in. */
  schema: string
  database: string
  oids: {
    comm_result: number
    comm_result_array: number
    comm_status: number
    comm_status_array: number
  }
}

export interface CommResultTypes {
  info: CommResultInfo
  getTypeParser(oid: number, format?: string): any
}

export interface Queryable {
  query(config: { text: string, values?: unknown[], rowMode?: string } | string): Promise<{ rows: any[] }>
}

/** Raised when the database has no comm_result extension (code 'COMM_RESULT_NOT_INSTALLED'). */
export class CommResultExtensionError extends Error {
  code: 'COMM_RESULT_NOT_INSTALLED'
  database: string
  schema?: string
}

/** Look up the OIDs on a connected client and set parsers on that client only. */
export function register(client: { setTypeParser(oid: number, format: string, fn: (text: string) => any): void } & Queryable,
  options?: ParseOptions): Promise<CommResultInfo>

/** A pg.Pool `onConnect` hook (pg 8.20 / pg-pool 3.13 or later): `new Pool({ onConnect: onConnect() })`. */
export function onConnect(options?: ParseOptions): (client: any) => Promise<void>

/** One-time look-up; the result is a `types` object for `new pg.Pool({ types })` or `new pg.Client({ types })`. */
export function loadTypes(target: Queryable | object | string, options?: LoadTypesOptions): Promise<CommResultTypes>

/** The schema and OIDs of the extension in the database behind a connection. */
export function lookup(queryable: Queryable): Promise<CommResultInfo>

/** A query parameter for `$1::comm_result` (or, inside an array, `$1::comm_result[]`). */
export function commResult(obj: CommResultParam): { value: CommResultParam, toPostgres(): string, toJSON(): CommResultParam }

/** The JSON text that commResult() sends. */
export function toCommResultText(obj: CommResultParam): string

/** Parse the canonical text of a comm_result (as `r::text` returns it). */
export function parseCommResult(text: string, options?: ParseOptions): CommResult<any, any>

/** The text parsers, by type name. */
export function makeParsers(options?: ParseOptions): {
  comm_result(text: string): CommResult<any, any>
  comm_status(text: string): CommStatus
  comm_result_array(text: string): Array<CommResult<any, any> | null>
  comm_status_array(text: string): Array<CommStatus | null>
}

/**
 * The binary form of a value, byte for byte what comm_result_send writes for
 * it (version 1 for April fields with call_manager_sid, version 2 otherwise).
 * Throws CommResultInputError for what the format cannot carry.
 */
export function toCommResultBinary(obj: CommResultParam): Buffer

/** A query parameter sent in binary format, for `$1::comm_result` (not inside array parameters). */
export function commResultBinary(obj: CommResultParam): { value: CommResultParam, toPostgres(): Buffer, toJSON(): CommResultParam }

/** Parse the binary form (version 1 or 2), as comm_result_send(r) or binary COPY return it. */
export function parseCommResultBinary(data: Uint8Array, options?: ParseOptions): CommResult<any, any>

/** RFC 3339 text to microseconds since 2000-01-01 UTC, as the server reads it. */
export function parseTimestamp(text: string, field?: string): bigint

/**
 * What toCommResultBinary refuses itself; `code` is the SQLSTATE the server
 * gives the same mistake in text input. loadResponse throws one with code
 * '22021' for a string body with a lone surrogate, which UTF-8 cannot carry.
 */
export class CommResultInputError extends TypeError {
  code: '22P02' | '22003' | '22007' | '22008' | '22021'
}

/** Binary data that parseCommResultBinary cannot read (code '22P03', as the server's receive). */
export class CommResultBinaryError extends TypeError {
  code: '22P03'
}

/** The field names in canonical order (the sid as call_manager_sid). */
export const FIELDS: readonly string[]

/** The two keys of the sid: ['call_manager_sid', 'channel_manager_sid']. */
export const SID_KEYS: readonly ['call_manager_sid', 'channel_manager_sid']

/** The twelve statuses in code order (the status byte of the binary format): PENDING 0 ... SKIPPED 8, CALL_COMPLETED 9, SENT 10, UNSUBSCRIBED 11. */
export const STATUSES: readonly CommStatus[]

/**
 * A table name for the load helpers: a name, 'schema.name' (one dot at most),
 * or [schema, name] / [name] for names with a dot. Each part is quoted as an
 * identifier: taken as written, case, spaces and quotes included.
 */
export type TableName = string | readonly [string] | readonly [string, string]

export interface LoadOptions {
  /** The results table (default 'results'). */
  table?: TableName
  /** The rejects table (default 'results_rejects'). */
  rejectsTable?: TableName
}

/** What loadResponse did with one response. */
export interface LoadCounts {
  /** Distinct requests (batch_id, reference_id) among the valid records. */
  valid: number
  /** Rows of the results table inserted or changed. */
  loaded: number
  /** valid - loaded: already there, and the merge changed nothing. */
  unchanged: number
  /** Elements that are not valid records. */
  rejected: number
  /** Of those, the ones not yet kept in the rejects table for this batch. */
  newRejects: number
}

/** What replayRejects did. */
export interface ReplayCounts {
  /** Rejects that load now, moved into the results table. */
  replayed: number
  /** Rejects that still do not load, left as they are. */
  stillRejected: number
}

/**
 * Load one response of the results endpoint in one statement, losing
 * nothing (examples/load_checked.sql): the valid records are merged into the
 * results table, every other element is kept in the rejects table with its
 * problems and its exact text. The body, as received, is sent as its UTF-8
 * bytes in one parameter and never parsed on the client. A body that is not
 * a complete JSON array rejects with a pg DatabaseError of code '22P02', and
 * nothing is written.
 */
export function loadResponse(client: Queryable, body: string | Uint8Array, batchId: string,
  options?: LoadOptions): Promise<LoadCounts>

/** Create the two tables of the recipe and their unique indexes, if missing (one query, one transaction). */
export function ensureTables(client: Queryable, options?: LoadOptions): Promise<void>

/** Move the rejects that are valid now into the results table; the others stay. */
export function replayRejects(client: Queryable, options?: LoadOptions): Promise<ReplayCounts>
