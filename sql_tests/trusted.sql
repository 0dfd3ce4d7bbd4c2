-- comm_result is trusted: the owner of a database, without superuser, can
-- install and use it there.

SELECT current_database() AS regress_db, current_user AS regress_user \gset
CREATE ROLE regress_cr_owner LOGIN;
CREATE DATABASE regress_cr_trusted OWNER regress_cr_owner;
\c regress_cr_trusted regress_cr_owner
SELECT rolsuper FROM pg_roles WHERE rolname = current_user;
CREATE EXTENSION comm_result;
SELECT extname, extversion, pg_get_userbyid(extowner) AS owner FROM pg_extension WHERE extname = 'comm_result';
CREATE TABLE mine (r comm_result NOT NULL);
CREATE TRIGGER mine_guard BEFORE UPDATE ON mine FOR EACH ROW EXECUTE FUNCTION comm_result_guard();
INSERT INTO mine VALUES ('{"batch_id":"b","reference_id":"r","target":"5550100","request_variables":{},"request_status":"COMPLETED"}');
UPDATE mine SET r = comm_result_transition(r, 'COMPLETED');
UPDATE mine SET r = comm_result('b', 'r', '5550100', '{}', 'FAILED');
SELECT (comm_batch_summary(r)).total FROM mine;
-- Not trusted for anyone else: a role that does not own the database
-- cannot install it.
DROP EXTENSION comm_result CASCADE;
\c :regress_db :regress_user
CREATE ROLE regress_cr_other LOGIN;
\c regress_cr_trusted regress_cr_other
CREATE EXTENSION comm_result;
\c :regress_db :regress_user
DROP DATABASE regress_cr_trusted;
DROP ROLE regress_cr_owner;
DROP ROLE regress_cr_other;
