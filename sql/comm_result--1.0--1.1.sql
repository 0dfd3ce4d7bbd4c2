/* comm_result--1.0--1.1.sql: upgrade from 1.0 to 1.1 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION comm_result UPDATE TO '1.1'" to load this file. \quit

/*
 * 1.1 changes no object: it is the release in which the extension became
 * trusted (see comm_result.control), with its robustness suites.  A fresh
 * install of 1.1 runs comm_result--1.0.sql and then this script, so an
 * upgraded database and a new one are built the same way.
 */
